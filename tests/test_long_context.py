"""Long context: Kaplan's per-token FLOPs with the attention term, Llama 3's parameter counts and KV cache.

Published: Kaplan et al. 2020 (arXiv 2001.08361), Table 1 / Eq. 2.2, C_forward = 2N + 2 n_layer n_ctx d_attn;
the Llama 3 shapes of Dubey et al. 2024 (arXiv 2407.21783), Table 3. The parameter and byte counts are
redone here in exact integer arithmetic.
"""

import numpy as np
import pytest

from lectures_lib import compute
from lectures_lib.explorers.context import block_params, explore_context, kv_cache_gib, plot_context
from lectures_lib.models import ARCHITECTURES

L8, L70 = ARCHITECTURES["Llama 3 8B"], ARCHITECTURES["Llama 3 70B"]


def _blocks_exact(a, d_ff):  # q and o: d_model x heads x head_dim; k and v: d_model x kv_heads x head_dim; 3 FFN
    return a.n_layers * (a.d_model * a.head_dim * (2 * a.n_heads + 2 * a.n_kv_heads) + 3 * a.d_model * d_ff)


def test_llama3_table3_shapes_and_ffn():  # Dubey et al. 2024, Table 3
    assert (L8.n_layers, L8.d_model, L8.n_heads, L8.n_kv_heads) == (32, 4096, 32, 8)
    assert (L70.n_layers, L70.d_model, L70.n_heads, L70.n_kv_heads) == (80, 8192, 64, 8)
    assert compute.LLAMA3_FFN_DIM == {"Llama 3 8B": 14336, "Llama 3 70B": 28672}


def test_block_parameters_exactly():
    assert block_params("Llama 3 8B") == _blocks_exact(L8, 14336) == 6_979_321_856
    assert block_params("Llama 3 70B") == _blocks_exact(L70, 28672) == 68_451_041_280
    # with untied input and output embeddings (vocabulary 128,256 in the released config) and the RMSNorm
    # weights (two per layer plus the final one), the total is the "8B" of the model's name
    total = 6_979_321_856 + 2 * 128_256 * 4096 + (2 * 32 + 1) * 4096
    assert total == 8_030_261_248 and round(total / 1e9) == 8


def test_gated_params_by_definition():  # 2 layers: q, k, v, o of 64 x (4 x 16) each, three 64 x 100 matrices
    got = compute.gated_transformer_params(2, 64, 4, 4, 16, 100)
    assert got == 2 * (64 * 16 * (8 + 8) + 3 * 64 * 100)


def test_attention_term_is_kaplan_eq_2_2():
    n, layers, ctx, d_attn = 6.98e9, 32, np.array([8192, 131072]), 4096
    total = compute.forward_flops_per_token(n, layers, ctx, d_attn)
    np.testing.assert_allclose(compute.attention_flops_per_token(layers, ctx, d_attn), total - 2 * n, rtol=1e-12)
    np.testing.assert_allclose(compute.attention_share(n, layers, ctx, d_attn), (total - 2 * n) / total, rtol=1e-12)


def test_context_term_for_llama3():  # REFERENCE 12c, computed: +15% at 8K, 2.5x 2N at 128K (8B); +8%, 1.25x (70B)
    n8, n70 = block_params("Llama 3 8B"), block_params("Llama 3 70B")
    term8 = compute.attention_flops_per_token(32, [8192, 131072], 4096)
    term70 = compute.attention_flops_per_token(80, [8192, 131072], 8192)
    assert term8[0] == 2 * 32 * 8192 * 4096 and round(term8[0] / 1e8) == 21 and round(term8[1] / 1e8) == 344
    assert round(100 * term8[0] / (2 * n8)) == 15 and round(term8[1] / (2 * n8), 1) == 2.5
    assert round(term70[0] / 1e8) == 107 and round(term70[1] / 1e8) == 1718
    assert round(100 * term70[0] / (2 * n70)) == 8 and round(term70[1] / (2 * n70), 2) == 1.25


def test_context_for_a_share_by_brute_force():
    n, layers, d_attn = block_params("Llama 3 8B"), 32, 4096
    for share in (0.1, 0.5, 0.9):
        ctx = compute.context_for_attention_share(n, layers, d_attn, share)
        grid = np.arange(1, 2_000_000, dtype=float)
        crossing = grid[np.argmax(compute.attention_share(n, layers, grid, d_attn) >= share)]
        assert ctx - 1e-6 <= crossing < ctx + 1
    assert compute.context_for_attention_share(n, layers, d_attn) == pytest.approx(n / (layers * d_attn))
    assert round(compute.context_for_attention_share(n, 32, 4096)) == 53_248 == 52 * 1024
    assert round(compute.context_for_attention_share(block_params("Llama 3 70B"), 80, 8192)) == 104_448 == 102 * 1024


def test_kv_cache_with_and_without_grouped_query_attention():  # 2 x layers x KV heads x head size x 2 bytes
    assert L8.kv_cache_bytes_per_token() == 2 * 32 * 8 * 128 * 2 == 131_072
    assert L70.kv_cache_bytes_per_token() == 2 * 80 * 8 * 128 * 2 == 327_680
    assert kv_cache_gib(L8, 131072) == 16 and kv_cache_gib(L8, 131072, grouped=False) == 64
    assert kv_cache_gib(L70, 131072) == 40 and kv_cache_gib(L70, 131072, grouped=False) == 320
    assert kv_cache_gib(L8, 8192) == 1


@pytest.mark.parametrize("call, name", [
    (lambda: compute.attention_flops_per_token(0, 10, 10), "n_layers"),
    (lambda: compute.attention_flops_per_token(2, -1, 10), "n_ctx"),
    (lambda: compute.attention_share(1e9, 2, 10, np.nan), "d_attn"),
    (lambda: compute.context_for_attention_share(1e9, 2, 10, 1.0), "share"),
    (lambda: compute.context_for_attention_share(1e9, 2, 10, 0.0), "share"),
    (lambda: compute.gated_transformer_params(2, 64, 4, 4, 16, -3), "d_ff"),
    (lambda: kv_cache_gib(L8, 0), "context_tokens"),
    (lambda: block_params("GPT-3"), "name"),
    (lambda: plot_context(10.0), "context_tokens"),
    (lambda: plot_context(4096.0, "Llama 3 405B"), "model"),
])
def test_bad_input_is_named(call, name):
    with pytest.raises(ValueError, match=name):
        call()


def test_explorer_moves_with_context_and_model():
    plot = plot_context(8192.0, "Llama 3 8B")
    share = plot.share_point.get_data()[1][0]
    assert share == pytest.approx(100 * 2 * 32 * 8192 * 4096 / (2 * 6_979_321_856 + 2 * 32 * 8192 * 4096))
    assert plot.grouped_point.get_data()[1][0] == 1 and "8B" in plot.describe()
    plot.update(131072.0, "Llama 3 70B")
    assert plot.grouped_point.get_data()[1][0] == 40 and plot.full_point.get_data()[1][0] == 320
    assert "70B" in plot.readout.get_text() and "40 GiB" in plot.readout.get_text()
    widget = explore_context(131072.0, "Llama 3 8B")
    slider, choice, image = widget.children
    frames = {bytes(image.value)}
    choice.value = "Llama 3 70B"
    frames.add(bytes(image.value))
    slider.value = 4096.0
    frames.add(bytes(image.value))
    assert len(frames) == 3
