"""lectures_lib.compute against published counts.

Sources: Kaplan et al. 2020, arXiv 2001.08361 (Sec. 1.3 the PF-day; Sec. 2.1, Eq. 2.1-2.2 and Table 1
parameter and FLOP counts); Brown et al. 2020, arXiv 2005.14165 (Table 2.1 model shapes, Table D.1
training compute); Hoffmann et al. 2022, arXiv 2203.15556 (Table 3).
"""

import numpy as np
import pytest

from lectures_lib import compute


def test_pf_day_is_8_64e19_flops():  # Kaplan et al. 2020, Sec. 1.3: 1 PF-day = 8.64e19 FLOPs
    assert compute.PF_DAY_FLOPS == pytest.approx(8.64e19, rel=1e-12)
    assert compute.pf_days_to_flops(1.0) == pytest.approx(8.64e19, rel=1e-12)
    assert compute.flops_to_pf_days(8.64e19) == pytest.approx(1.0, rel=1e-12)


def test_gpt3_training_compute():  # Brown et al. 2020, Table D.1: 3.14e23 FLOPs = 3.64e3 PF-days
    # 6 N D with N = 175e9 and D = 300e9 (Table 2.1 and Sec. 2.2); 6ND gives 3.15e23, within 0.5%
    flops = compute.training_flops(175e9, 300e9)
    assert flops == pytest.approx(3.14e23, rel=5e-3)
    assert compute.flops_to_pf_days(flops) == pytest.approx(3.64e3, rel=5e-3)


def test_pf_day_conversions_are_inverse():
    x = np.logspace(15, 27, 13)
    np.testing.assert_allclose(compute.pf_days_to_flops(compute.flops_to_pf_days(x)), x, rtol=1e-14)


def test_training_flops_broadcasts_like_scalar_calls():
    n, d = np.array([1e9, 2e9, 7e9]), np.array([[1e10], [3e11]])
    out = compute.training_flops(n, d)
    assert out.shape == (2, 3)
    for i in range(2):
        for j in range(3):
            assert out[i, j] == compute.training_flops(float(n[j]), float(d[i, 0]))


def test_training_tokens_inverts_training_flops():  # D = C / (6N) is the inverse of C = 6ND in D
    n, d = np.array([4e8, 7e10, 1e12]), np.array([8e9, 1.4e12, 2e13])
    np.testing.assert_allclose(compute.training_tokens(compute.training_flops(n, d), n), d, rtol=1e-14)


def test_chinchilla_table3_rows_are_6nd():  # Hoffmann et al. 2022, Table 3 (parameters, FLOPs, tokens)
    # every row but the Gopher-budget one (67B, 5.76e23) is 6ND to the printed precision
    rows = [(400e6, 1.92e19, 8.0e9), (1e9, 1.21e20, 20.2e9), (10e9, 1.23e22, 205.1e9),
            (175e9, 3.85e24, 3.7e12), (280e9, 9.90e24, 5.9e12), (520e9, 3.43e25, 11.0e12),
            (1e12, 1.27e26, 21.2e12), (10e12, 1.30e28, 216.2e12)]
    for n, flops, d in rows:
        assert compute.training_flops(n, d) == pytest.approx(flops, rel=0.01)
    n, d = compute.allocation_for_ratio(1.21e20, 20.2)
    assert n == pytest.approx(1e9, rel=0.01) and d == pytest.approx(20.2e9, rel=0.01)


def test_allocation_for_ratio_round_trip():  # the split spends the whole budget at the asked D / N
    for flops, ratio in ((1e20, 20.0), (5.76e23, 1.0), (3e25, 300.0)):
        n, d = compute.allocation_for_ratio(flops, ratio)
        assert compute.training_flops(n, d) == pytest.approx(flops, rel=1e-12)
        assert compute.tokens_per_param(n, d) == pytest.approx(ratio, rel=1e-12)


def test_training_is_three_forward_passes():  # Kaplan et al. 2020, Sec. 2.1: backward costs twice the forward
    n, d = np.array([1e8, 7e9, 175e9]), np.array([1e9, 1e12, 3e11])
    np.testing.assert_allclose(compute.training_flops(n, d), 3 * compute.inference_flops(n, d), rtol=1e-14)
    assert compute.inference_flops(7e9, 0) == 0.0


def test_gpt3_shapes_give_the_published_sizes():  # Brown et al. 2020, Table 2.1 (n_ctx = 2048, n_vocab 50257)
    # GPT-3 Small: 12 layers, d_model 768 -> 125M parameters, embeddings included
    small = compute.transformer_params(12, 768) + compute.embedding_params(50257, 768, 2048)
    assert small == pytest.approx(125e6, rel=2e-3)
    # GPT-3 175B: 96 layers, d_model 12288 -> 175.0B; Eq. 2.1 leaves out biases and layer norms (0.2%)
    large = compute.transformer_params(96, 12288) + compute.embedding_params(50257, 12288, 2048)
    assert large == pytest.approx(175.0e9, rel=5e-3)


def test_transformer_params_counts_the_weight_matrices():  # Kaplan et al. 2020, Table 1, by enumeration
    n_layers, d_model, d_ff, d_attn = 3, 10, 30, 5
    per_layer = [(d_model, d_attn)] * 4 + [(d_model, d_ff), (d_ff, d_model)]  # Q, K, V, O; MLP in, out
    count = n_layers * sum(np.zeros(shape).size for shape in per_layer)
    assert compute.transformer_params(n_layers, d_model, d_ff=d_ff, d_attn=d_attn) == count
    # the defaults are the standard shape d_attn = d_model, d_ff = 4 d_model
    assert compute.transformer_params(4, 64) == compute.transformer_params(4, 64, d_ff=256, d_attn=64)


def test_attention_term_is_small_for_wide_models():  # Kaplan et al. 2020, Sec. 2.1 after Eq. 2.2
    # the context term relative to 2N is n_ctx / (12 d_model) for the standard shape
    for n_layers, d_model, n_ctx in ((96, 12288, 2048), (12, 768, 1024)):
        n = compute.transformer_params(n_layers, d_model)
        ratio = compute.forward_flops_per_token(n, n_layers, n_ctx, d_model) / compute.inference_flops(n, 1) - 1
        assert ratio == pytest.approx(n_ctx / (12 * d_model), rel=1e-12)


def test_dense_layer_is_15_params():  # the lecture notes' 4-in, 3-out example: a 3x4 weight matrix and 3 biases
    assert compute.dense_layer_params(4, 3) == np.zeros((3, 4)).size + np.zeros(3).size == 15
    assert compute.dense_layer_params(4, 3, bias=False) == 12


def test_layer_helpers_give_llama3_8b():  # Dubey et al. 2024, Table 3: 32 layers x (41.9M + 176.2M) = 6.98B
    attention = compute.attention_layer_params(4096, 32, 8, 128)
    feed_forward = compute.feed_forward_params(4096, 14336)
    assert (attention, feed_forward) == (41_943_040, 176_160_768)
    assert compute.gated_transformer_params(32, 4096, 32, 8, 128, 14336) == 32 * (attention + feed_forward)
    assert compute.gated_transformer_params(32, 4096, 32, 8, 128, 14336) == 6_979_321_856
    assert compute.feed_forward_params(64, 100, gated=False) == 2 * 64 * 100
    assert compute.attention_layer_params(64, 4, 4, 16) == 4 * 64 * 64  # multi-head: 4 d_model d_attn


@pytest.mark.parametrize("call, error, name", [
    (lambda: compute.attention_layer_params(64, 4, 0, 16), ValueError, "n_kv_heads"),
    (lambda: compute.feed_forward_params(64, -1), ValueError, "d_ff"),
    (lambda: compute.feed_forward_params(64, 100, gated="yes"), TypeError, "gated"),
])
def test_layer_helpers_name_bad_input(call, error, name):
    with pytest.raises(error, match=name):
        call()
