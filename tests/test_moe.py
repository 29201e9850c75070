"""lectures_lib.moe against the papers: Mixtral (Jiang et al. 2024), DeepSeek-V3 (DeepSeek-AI 2024), Switch
Transformers (Fedus et al. 2022), Krajewski et al. 2024.

Published: the total and active parameter counts (abstracts; Switch Table 9), the balancing loss (Switch Eq. 4-6)
and the capacity (Switch Eq. 3). The counts are also compared with an independent brute-force count that lists
every weight tensor of the released checkpoints (names and shapes from the configuration files), and the forward
pass with a token-by-token loop over every expert.
"""

import math

import numpy as np
import pytest

from lectures_lib import compute, lifetime, moe

# -- parameter counts --------------------------------------------------------------------------------------


@pytest.mark.parametrize("config, total, active", [
    (moe.MIXTRAL_8X7B, 47e9, 13e9),     # Jiang et al. 2024, abstract: "47B parameters", "13B active" [V-A]
    (moe.DEEPSEEK_V3, 671e9, 37e9),     # DeepSeek-AI 2024, abstract: 671B total, 37B activated [V-P]
    (moe.SWITCH_C, 1571e9, None),       # Fedus et al. 2022, Table 9: 1571B [V-P]
])
def test_counts_match_the_papers(config, total, active):
    assert config.total_params == pytest.approx(total, rel=0.02)
    if active is not None:
        assert config.active_params == pytest.approx(active, rel=0.03)
    assert moe.PUBLISHED_COUNTS[config.name] == (total, active)


def _mixtral_tensors():
    """Every tensor of the Mixtral checkpoint (names as in its model index), with its shape."""
    d, layers, vocab, ff, experts = 4096, 32, 32000, 14336, 8
    q, kv = 32 * 128, 8 * 128
    tensors = {"embed_tokens": (vocab, d), "norm": (d,), "lm_head": (vocab, d)}
    for i in range(layers):
        p = f"layers.{i}."
        tensors.update({p + "q_proj": (q, d), p + "k_proj": (kv, d), p + "v_proj": (kv, d), p + "o_proj": (d, q),
                        p + "input_layernorm": (d,), p + "post_attention_layernorm": (d,), p + "gate": (experts, d)})
        for e in range(experts):
            for w, shape in (("w1", (ff, d)), ("w2", (d, ff)), ("w3", (ff, d))):
                tensors[f"{p}experts.{e}.{w}"] = shape
    return tensors


def _deepseek_v3_tensors():
    """Every tensor of the DeepSeek-V3 main model (config_671B.json; multi-token prediction module excluded)."""
    d, layers, dense, vocab = 7168, 61, 3, 129280
    heads, q_rank, kv_rank, nope, rope, v_dim = 128, 1536, 512, 128, 64, 128
    tensors = {"embed_tokens": (vocab, d), "norm": (d,), "lm_head": (vocab, d)}
    for i in range(layers):
        p = f"layers.{i}."
        tensors.update({
            p + "q_a_proj": (q_rank, d), p + "q_a_layernorm": (q_rank,),
            p + "q_b_proj": (heads * (nope + rope), q_rank),
            p + "kv_a_proj_with_mqa": (kv_rank + rope, d), p + "kv_a_layernorm": (kv_rank,),
            p + "kv_b_proj": (heads * (nope + v_dim), kv_rank), p + "o_proj": (d, heads * v_dim),
            p + "input_layernorm": (d,), p + "post_attention_layernorm": (d,)})
        if i < dense:
            for w, shape in (("gate_proj", (18432, d)), ("up_proj", (18432, d)), ("down_proj", (d, 18432))):
                tensors[p + "mlp." + w] = shape
            continue
        tensors[p + "mlp.gate.weight"] = (256, d)
        tensors[p + "mlp.gate.e_score_correction_bias"] = (256,)
        for e in [*range(256), "shared"]:
            for w, shape in (("gate_proj", (2048, d)), ("up_proj", (2048, d)), ("down_proj", (d, 2048))):
                tensors[f"{p}mlp.experts.{e}.{w}"] = shape
    return tensors


def _count(tensors, skip=lambda name: False):
    return sum(math.prod(shape) for name, shape in tensors.items() if not skip(name))


def test_mixtral_brute_force_count():
    tensors = _mixtral_tensors()
    unused = lambda name: ".experts." in name and int(name.split(".experts.")[1].split(".")[0]) >= 2  # noqa: E731
    assert _count(tensors) == moe.MIXTRAL_8X7B.total_params == 46_702_792_704  # REFERENCE 12c recount
    assert _count(tensors, unused) == moe.MIXTRAL_8X7B.active_params == 12_879_925_248
    # Hugging Face's rounding, 46.7B and 12.9B
    assert round(moe.MIXTRAL_8X7B.total_params / 1e8) == 467 and round(moe.MIXTRAL_8X7B.active_params / 1e8) == 129


def test_deepseek_v3_brute_force_count():
    tensors = _deepseek_v3_tensors()

    def unused(name):  # a token uses the shared expert and 8 of the 256 routed ones
        if ".experts." not in name:
            return False
        which = name.split(".experts.")[1].split(".")[0]
        return which != "shared" and int(which) >= 8

    assert _count(tensors) == moe.DEEPSEEK_V3.total_params == 671_026_419_200
    assert _count(tensors, unused) == moe.DEEPSEEK_V3.active_params
    assert round(moe.DEEPSEEK_V3.active_params / 1e7) == 3755  # 37.55B with embedding and head (REFERENCE 12c)


def test_switch_c_count_and_what_is_active():
    c = moe.SWITCH_C
    assert round(c.total_params / 1e7) == 157131  # 1,571.31B (REFERENCE 12c, 32 heads)
    experts = 30 * 2048 * 2 * 2080 * 6144
    assert round(experts / 1e7) == 157035          # the experts alone, 1,570.35B
    encoder, decoder = c.stack_active_params()
    assert round(encoder / 1e7) == 70 and round(decoder / 1e7) == 96  # about 0.70B and 0.96B per token
    assert c.active_params < 2e9                   # not the "about 100B" of the lecture notes


def test_training_uses_active_parameters_and_memory_holds_all():
    m = moe.MIXTRAL_8X7B
    assert m.training_flops(1e12) == compute.training_flops(m.active_params, 1e12)
    assert m.weight_bytes() == lifetime.weight_bytes(m.total_params, 2.0)
    assert m.flops_per_token == compute.inference_flops(m.active_params - 32000 * 4096, 1)


def test_kv_cache_values():
    # REFERENCE 12c: Mixtral 128 KiB per token in bf16; DeepSeek-V3's MLA keeps 512 + 64 values per layer
    assert moe.MIXTRAL_8X7B.kv_cache_values_per_token() * 2 == 128 * 1024
    assert moe.DEEPSEEK_V3.kv_cache_values_per_token() * 2 == 70_272
    m = moe.MIXTRAL_8X7B
    assert m.kv_cache_values_per_token() * 2 == lifetime.kv_cache_bytes_per_token(32, 8, 128, 2.0)


def test_pieces_are_the_shared_layer_helpers():  # one formula for MoEConfig and compute.gated_transformer_params
    m = moe.MIXTRAL_8X7B
    assert m.attention_params == compute.attention_layer_params(4096, 32, 8, 128)
    assert m.expert_params == compute.feed_forward_params(4096, 14336)
    assert moe.SWITCH_C.expert_params == compute.feed_forward_params(2080, 6144, gated=False)
    assert all(isinstance(x, int) for x in (m.attention_params, m.expert_params, m.total_params))
    # Llama 3 8B written as a one-expert MoEConfig: its blocks (norms aside) are gated_transformer_params
    llama = moe.MoEConfig("Llama 3 8B", n_layers=32, d_model=4096, n_heads=32, n_kv_heads=8, head_dim=128,
                          d_ff_expert=14336, n_experts=1, top_k=1, vocab_size=128256)
    blocks = llama.total_params - llama.embedding_params - (2 * 32 + 1) * 4096
    assert blocks == compute.gated_transformer_params(32, 4096, 32, 8, 128, 14336) == 6_979_321_856


# -- routing -------------------------------------------------------------------------------------------------


def test_top_k_orders_choose_the_same_experts_with_different_weights():
    rng = np.random.default_rng(0)
    logits = rng.standard_normal((50, 8))
    i1, w1 = moe.top_k_route(logits, 2)
    i2, w2 = moe.top_k_route(logits, 2, order="softmax_then_topk")
    np.testing.assert_array_equal(i1, i2)
    np.testing.assert_array_equal(i1[:, 0], logits.argmax(axis=1))
    np.testing.assert_allclose(w1.sum(axis=1), 1.0, rtol=1e-12)
    assert (w2.sum(axis=1) < 1).all()
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(w2, np.take_along_axis(probs, i2, axis=1), rtol=1e-12)
    # Mixtral: weights = softmax of the two chosen logits = the two probabilities renormalised
    np.testing.assert_allclose(w1, w2 / w2.sum(axis=1, keepdims=True), rtol=1e-12)
    _, single = moe.top_k_route(logits, 1)
    np.testing.assert_array_equal(single, 1.0)   # top-1 then softmax: always weight 1, nothing to learn from


def test_capacity_is_switch_eq_3():
    assert moe.expert_capacity(4096, 8, 1.0) == 512          # tokens / experts x capacity factor
    assert moe.expert_capacity(4096, 8, 1.25) == 640
    assert moe.expert_capacity(4096, 8, 1.25, top_k=2) == 1280
    assert moe.expert_capacity(10, 4, 1.0) == 2              # 2.5 slots rounded down
    assert moe.expert_capacity(3, 8, 0.5) == 1               # at least one slot


def test_dropped_tokens_by_hand():
    index = np.array([0, 0, 0, 1, 0, 2])                     # expert 0 gets four tokens
    keep = moe.capacity_mask(index, 3, 2)
    np.testing.assert_array_equal(keep, [True, True, False, True, False, True])
    assert moe.dropped_fraction(index, 3, 2) == pytest.approx(2 / 6)
    two = np.array([[0, 1], [0, 1], [0, 2]])                 # first choices fill the slots first
    np.testing.assert_array_equal(moe.capacity_mask(two, 3, 2), [[True, True], [True, True], [False, True]])
    np.testing.assert_allclose(moe.expert_load(two, 3), [3 / 6, 2 / 6, 1 / 6])


def test_balancing_loss_uniform_is_alpha():
    n_tokens, n_experts = 64, 8
    probs = np.full((n_tokens, n_experts), 1 / n_experts)
    index = np.arange(n_tokens) % n_experts
    assert moe.load_balancing_loss(probs, index) == pytest.approx(0.01, rel=1e-12)
    assert moe.load_balancing_loss(probs, index, alpha=0.1) == pytest.approx(0.1, rel=1e-12)


def test_balancing_loss_collapse_is_alpha_times_n():
    # every token to expert 3 with probability 1: f_3 = P_3 = 1, so alpha N sum f_i P_i = alpha N
    for n_experts in (2, 8, 64):
        probs = np.zeros((32, n_experts))
        probs[:, 3 % n_experts] = 1.0
        index = np.full(32, 3 % n_experts)
        assert moe.load_balancing_loss(probs, index) == pytest.approx(0.01 * n_experts, rel=1e-12)


def test_balancing_loss_against_a_loop():
    rng = np.random.default_rng(1)
    logits = rng.standard_normal((40, 5)) * 2
    probs = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    index = probs.argmax(axis=1)
    total = 0.0
    for i in range(5):
        f = sum(1 for t in range(40) if index[t] == i) / 40
        p = sum(probs[t, i] for t in range(40)) / 40
        total += f * p
    assert moe.load_balancing_loss(probs, index) == pytest.approx(0.01 * 5 * total, rel=1e-12)
    assert 0.01 <= moe.load_balancing_loss(probs, index) <= 0.05


# -- the forward pass ---------------------------------------------------------------------------------------


def _loop_forward(x, layer, top_k, order, kept=None):
    """Token by token: the router's top-k experts, each expert computed in full, weighted and summed."""
    out = np.zeros_like(x, dtype=float)
    for t in range(x.shape[0]):
        logits = x[t] @ layer.router
        chosen = sorted(range(len(logits)), key=lambda e: -logits[e])[:top_k]
        if order == "topk_then_softmax":
            z = np.exp(logits[chosen] - logits[chosen].max())
            gates = z / z.sum()
        else:
            z = np.exp(logits - logits.max())
            gates = (z / z.sum())[chosen]
        for slot, (e, gate) in enumerate(zip(chosen, gates, strict=True)):
            if kept is not None and not kept[t, slot]:
                continue
            h = x[t] @ layer.w_in[e]
            if layer.w_gate is None:
                h = np.maximum(h, 0)
            else:
                g = x[t] @ layer.w_gate[e]
                h = h * g / (1 + np.exp(-g))
            out[t] += gate * (h @ layer.w_out[e])
    return out


@pytest.mark.parametrize("gated", [True, False])
@pytest.mark.parametrize("order", moe.ROUTING_ORDERS)
def test_forward_pass_matches_a_loop(gated, order):
    layer = moe.init_moe_layer(16, 24, 6, gated=gated, seed=3, dtype=np.float64)
    x = np.random.default_rng(4).standard_normal((30, 16))
    result = moe.moe_forward(x, layer, 2, order=order)
    np.testing.assert_allclose(result.y, _loop_forward(x, layer, 2, order), rtol=1e-10, atol=1e-12)
    assert result.kept.all()


def test_forward_pass_drops_overflow():
    layer = moe.init_moe_layer(8, 8, 4, seed=5, dtype=np.float64)
    x = np.random.default_rng(6).standard_normal((40, 8))
    result = moe.moe_forward(x, layer, 2, capacity_factor=0.5)
    assert not result.kept.all()
    counts = np.bincount(result.expert_index[result.kept], minlength=4)
    assert counts.max() <= moe.expert_capacity(40, 4, 0.5, 2) == 10
    np.testing.assert_allclose(result.y, _loop_forward(x, layer, 2, "topk_then_softmax", result.kept), rtol=1e-10,
                               atol=1e-12)


# -- the router simulation ----------------------------------------------------------------------------------


def test_router_collapses_without_balancing_and_not_with_it():
    peak = {}
    for balancing in moe.BALANCING_METHODS:
        history = moe.simulate_router(balancing=balancing)
        peak[balancing] = history.load[-100:].max(axis=1).mean() * history.n_experts
    assert peak["none"] > 3.5            # two experts take nearly everything (4x the even share at top-2)
    assert peak["aux_loss"] < 1.6 and peak["bias"] < 1.6
    none = moe.simulate_router()
    assert none.dropped(1.25)[-1] > 0.6 and none.dropped(1.25)[0] < 0.05
    assert none.balancing_loss[-1] > 3 * none.balancing_loss[0]


def test_router_history_drops_match_the_mask():
    history = moe.simulate_router(n_steps=5)
    counts = history.counts[-1]
    index = np.repeat(np.arange(history.n_experts), counts)
    cap = moe.expert_capacity(history.tokens_per_step, history.n_experts, 1.0, history.top_k)
    assert history.dropped(1.0)[-1] == pytest.approx(moe.dropped_fraction(index, history.n_experts, cap))


# -- scaling laws -------------------------------------------------------------------------------------------


def test_krajewski_constants():  # Krajewski et al. 2024, Table 1
    law = moe.KRAJEWSKI_2024_MOE
    assert (law.a, law.alpha, law.b, law.beta, law.g, law.gamma, law.c) == (18.1, 0.115, 30.8, 0.147, 2.1, 0.58, 0.47)
    dense = moe.KRAJEWSKI_2024_DENSE
    assert (dense.a, dense.alpha, dense.b, dense.beta, dense.c) == (16.3, 0.126, 26.7, 0.127, 0.47)


def test_granularity_law_form():
    law = moe.KRAJEWSKI_2024_MOE
    n, d = 1e9, 2e10
    expected = 0.47 + (2.1 / 8**0.58 + 18.1) / n**0.115 + 30.8 / d**0.147
    assert law.loss(n, d, 8) == pytest.approx(expected, rel=1e-14)
    losses = law.loss(n, d, np.array([1, 2, 4, 8, 16]))
    assert (np.diff(losses) < 0).all()   # finer experts always help in the law (router cost is not in it)
    assert law.as_chinchilla_law(8).loss(n, d) == pytest.approx(expected, rel=1e-14)


def test_compute_optimal_moe_spends_the_budget_on_active_parameters():
    law = moe.KRAJEWSKI_2024_MOE
    r = moe.expansion_active_fraction(64)
    assert r == pytest.approx(3 / 129)
    n_total, tokens = law.compute_optimal(1e21, r)
    assert compute.training_flops(r * n_total, tokens) == pytest.approx(1e21, rel=1e-10)
    # brute force: the loss along the budget is smallest at the returned size
    grid = n_total * np.logspace(-0.5, 0.5, 201)
    best = grid[np.argmin(law.loss(grid, 1e21 / (6 * r * grid)))]
    assert best == pytest.approx(n_total, rel=0.02)


# -- bad input ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("change, error, name", [
    ({"top_k": 9}, ValueError, "top_k"),
    ({"d_model": 0}, ValueError, "d_model"),
    ({"d_ff_expert": -5}, ValueError, "d_ff_expert"),
    ({"n_experts": 2.5}, TypeError, "n_experts"),
    ({"n_kv_heads": 5}, ValueError, "n_kv_heads"),
    ({"n_dense_layers": 40}, ValueError, "n_dense_layers"),
    ({"n_dense_layers": 2}, ValueError, "d_ff_dense"),
    ({"gated": "yes"}, TypeError, "gated"),
])
def test_bad_configurations(change, error, name):
    import dataclasses

    with pytest.raises(error, match=name):
        dataclasses.replace(moe.MIXTRAL_8X7B, **change)


@pytest.mark.parametrize("call, error, name", [
    (lambda: moe.top_k_route(np.zeros((4, 3)), 4), ValueError, "top_k"),
    (lambda: moe.top_k_route(np.zeros(4), 1), ValueError, "logits"),
    (lambda: moe.top_k_route(np.zeros((4, 3)), 1, order="random"), ValueError, "order"),
    (lambda: moe.top_k_route(np.array([[np.nan, 1.0]]), 1), ValueError, "logits"),
    (lambda: moe.expert_capacity(4096, 8, 0.0), ValueError, "capacity_factor"),
    (lambda: moe.expert_capacity(4096, 8, -1.0), ValueError, "capacity_factor"),
    (lambda: moe.expert_capacity(4096, 8, 1.0, top_k=9), ValueError, "top_k"),
    (lambda: moe.expert_capacity(4096.0, 8, 1.0), TypeError, "n_tokens"),
    (lambda: moe.capacity_mask(np.array([0, 5]), 3, 2), ValueError, "expert_index"),
    (lambda: moe.capacity_mask(np.array([0.0, 1.0]), 3, 2), TypeError, "expert_index"),
    (lambda: moe.load_balancing_loss(np.full((4, 2), 0.3), np.zeros(4, int)), ValueError, "router_probs"),
    (lambda: moe.load_balancing_loss(np.full((4, 2), 0.5), np.zeros(3, int)), ValueError, "expert_index"),
    (lambda: moe.load_balancing_loss(np.full((4, 2), 0.5), np.zeros(4, int), alpha=-1), ValueError, "alpha"),
    (lambda: moe.simulate_router(balancing="magic"), ValueError, "balancing"),
    (lambda: moe.simulate_router(top_k=9), ValueError, "top_k"),
    (lambda: moe.moe_forward(np.zeros((3, 5)), moe.init_moe_layer(4, 4, 2), 1), ValueError, "x"),
    (lambda: moe.moe_forward(np.zeros((3, 4)), "layer", 1), TypeError, "layer"),
    (lambda: moe.moe_forward(np.zeros((3, 4)), moe.init_moe_layer(4, 4, 2), 1, capacity_factor=0), ValueError,
     "capacity_factor"),
    (lambda: moe.KRAJEWSKI_2024_MOE.loss(1e9, 1e10, 0.0), ValueError, "granularity"),
    (lambda: moe.KRAJEWSKI_2024_MOE.compute_optimal(1e21, 1.5), ValueError, "active_fraction"),
    (lambda: moe.expansion_active_fraction(0.5), ValueError, "expansion"),
    (lambda: moe.GranularityLaw(a=-1.0, alpha=0.1, b=1.0, beta=0.1, g=1.0, gamma=0.5, c=0.4), ValueError, "a"),
])
def test_bad_input_is_named(call, error, name):
    with pytest.raises(error, match=name):
        call()


def test_experts_used_by_a_batch_against_a_simulation():
    rng = np.random.default_rng(7)
    for batch, experts, k in ((1, 8, 2), (4, 8, 2), (16, 256, 8)):
        trials = [len({e for _ in range(batch) for e in rng.choice(experts, k, replace=False)}) / experts
                  for _ in range(4000)]
        assert moe.expected_fraction_of_experts_used(batch, experts, k) == pytest.approx(np.mean(trials), abs=0.01)
    assert moe.expected_fraction_of_experts_used(1, 8, 2) == 0.25
    with pytest.raises(ValueError, match="top_k"):
        moe.expected_fraction_of_experts_used(4, 8, 9)


def test_a_single_expert_is_a_dense_model():
    import dataclasses

    dense = dataclasses.replace(moe.MIXTRAL_8X7B, n_experts=1, top_k=1)
    assert dense.router_params == 0 and dense.total_params == dense.active_params
    # Mistral 7B's shape (Mixtral's with one expert): 7.24B, so "8x7B" would suggest 58B, not 47B
    assert round(dense.total_params / 1e7) == 724


def test_layer_shapes_are_checked():
    good = moe.init_moe_layer(4, 6, 3)
    with pytest.raises(ValueError, match="router"):
        moe.MoELayer(np.zeros(4), good.w_in, good.w_out)
    with pytest.raises(ValueError, match="w_in"):
        moe.MoELayer(good.router, good.w_in[:, :2], good.w_out)
    with pytest.raises(ValueError, match="w_gate"):
        moe.MoELayer(good.router, good.w_in, good.w_out, good.w_in[:, :, :2])
    with pytest.raises(ValueError, match="d_ff"):
        moe.init_moe_layer(4, 0, 3)
