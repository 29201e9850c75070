"""lectures_lib.lifetime against Sardana et al. 2024 and De Vries 2023 (../shared/REFERENCE.md, section 4)."""

import time

import numpy as np
import pytest

import support

from lectures_lib import chinchilla as ch
from lectures_lib import lifetime

LAW = lifetime.SARDANA_2024


def test_lifetime_flops_and_break_even():
    assert lifetime.lifetime_flops(70e9, 1.4e12, 0) == pytest.approx(5.88e23)
    assert lifetime.lifetime_flops(70e9, 1.4e12, 1e13) == pytest.approx(5.88e23 + 1.4e24)
    assert lifetime.break_even_inference_tokens(1.4e12) == pytest.approx(4.2e12)  # [D]


@pytest.mark.parametrize("n_ref, d_inf, n_expected, tokens_ratio, saved", [  # REFERENCE 4a [D]
    (70e9, 1e13, 41.55e9, 7.923e12 / 4.255e12, 0.119),
    (30e9, 1e13, 13.61e9, 2.845, 0.280),
    (7e9, 1e11, 6.0e9, 1.176, None),
])
def test_sardana_worked_examples(n_ref, d_inf, n_expected, tokens_ratio, saved):
    d_ref = LAW.tokens_for_params(n_ref)
    target = LAW.loss(n_ref, d_ref)
    n, d = lifetime.lifetime_optimal(target, d_inf, law=LAW)
    assert n == pytest.approx(n_expected, rel=2e-3)
    assert d / d_ref == pytest.approx(tokens_ratio, rel=2e-3)
    assert LAW.loss(n, d) == pytest.approx(target, rel=1e-12)
    if saved is not None:
        assert lifetime.lifetime_savings(n_ref, d_inf, law=LAW) == pytest.approx(saved, abs=1e-3)


def test_seventy_b_chinchilla_of_this_law():  # REFERENCE: 4.255T tokens, loss 1.8918
    d = LAW.tokens_for_params(70e9)
    assert d == pytest.approx(4.255e12, rel=1e-3) and LAW.loss(70e9, d) == pytest.approx(1.8918, abs=1e-4)


@pytest.mark.parametrize("law", [LAW, ch.HOFFMANN_2022, ch.BESIROGLU_2024])
@pytest.mark.parametrize("d_inf", [1e9, 1e11, 1e12, 1e13, 1e14, 1e15])
def test_agrees_with_brute_force(law, d_inf):
    target = law.optimal_loss(1e23)
    n, _ = lifetime.lifetime_optimal(target, d_inf, law=law)
    assert n == pytest.approx(support.lifetime_optimal_search(law, target, d_inf), rel=1e-6)


def test_no_inference_is_the_chinchilla_optimum():
    n_opt, d_opt = ch.BESIROGLU_2024.compute_optimal(1e22)
    n, d = lifetime.lifetime_optimal(ch.BESIROGLU_2024.optimal_loss(1e22), 0.0, law=ch.BESIROGLU_2024)
    assert n == pytest.approx(n_opt, rel=1e-9) and d == pytest.approx(d_opt, rel=1e-9)


def test_vectorised_and_fast():
    usage = np.logspace(9, 15, 1000)
    n, d = lifetime.lifetime_optimal(2.0, usage, law=LAW)
    assert n.shape == d.shape == (1000,)
    assert np.all(np.diff(n) < 0) and np.all(np.diff(d) > 0)  # more usage: smaller model, more tokens
    start = time.perf_counter()
    lifetime.lifetime_optimal(2.0, usage, law=LAW)
    assert time.perf_counter() - start < 1.0  # the 50 ms target is measured in benchmarks/lifetime.py


def test_unreachable_target():
    with pytest.raises(ValueError, match="irreducible"):
        lifetime.lifetime_optimal(LAW.E, 1e12, law=LAW)
    with pytest.raises(ValueError, match="target_loss"):
        lifetime.lifetime_optimal(1.0, 1e12, law=LAW)


@pytest.mark.parametrize("law, expected", [  # REFERENCE 4b [D]
    (ch.HOFFMANN_2022, {0.75: 0.028, 0.5: 0.208, 0.4: 0.437, 0.3: 1.055, 0.25: 1.886}),
    (ch.BESIROGLU_2024, {0.5: 0.259, 0.3: 1.613}),
])
def test_size_overhead(law, expected):
    for k, value in expected.items():
        assert lifetime.size_overhead(k, law=law) == pytest.approx(value, abs=1e-3)
    assert lifetime.size_overhead(1.0, law=law) == pytest.approx(0.0, abs=1e-12)
    critical = lifetime.critical_size_fraction(law=law)
    assert np.isinf(lifetime.size_overhead(critical * 0.99, law=law))
    assert np.isfinite(lifetime.size_overhead(critical * 1.01, law=law))


def test_size_overhead_does_not_depend_on_the_budget():
    law = ch.BESIROGLU_2024
    for budget in (1e20, 1e24):
        n_opt, _ = law.compute_optimal(budget)
        loss = law.optimal_loss(budget)
        n = 0.5 * n_opt
        d = (law.B / (loss - law.E - law.A * n**-law.alpha)) ** (1 / law.beta)
        assert 6 * n * d / budget - 1 == pytest.approx(lifetime.size_overhead(0.5, law=law), rel=1e-9)


def test_compute_optimal_equivalent():
    law = ch.BESIROGLU_2024
    n_opt, d_opt = law.compute_optimal(1e22)
    flops, fraction, overhead = lifetime.compute_optimal_equivalent(n_opt, d_opt, law=law)
    assert flops == pytest.approx(1e22) and fraction == pytest.approx(1.0) and overhead == pytest.approx(0, abs=1e-9)
    _, fraction_small, overhead_small = lifetime.compute_optimal_equivalent(0.5 * n_opt, 1e13, law=law)
    assert overhead_small > 0


def test_option_costs():
    costs = lifetime.option_costs(np.array([0.0, 1e12]), 8e9, api_dollars_per_million_tokens=1.0,
                             training_dollars_per_exaflop=2.0, serving_dollars_per_exaflop=20.0,
                             finetune_tokens=1e10, pretrain_tokens=15e12)
    np.testing.assert_allclose(costs["use an API"], [0.0, 1e6])
    assert costs["fine-tune an open model"][0] == pytest.approx(6 * 8e9 * 1e10 * 2e-18)
    assert costs["pre-train your own"][1] - costs["fine-tune an open model"][1] == pytest.approx(
        6 * 8e9 * (15e12 - 1e10) * 2e-18)


def test_equal_loss_models_reach_the_target():
    n, d = lifetime.equal_loss_models(2.0, np.linspace(0.05, 0.95, 7), law=LAW)
    np.testing.assert_allclose(LAW.loss(n, d), 2.0, rtol=1e-12)
    assert np.all(np.diff(n) < 0) and np.all(np.diff(d) > 0)
    for bad in (0.0, 1.0, 1.5):
        with pytest.raises(ValueError, match="shares"):
            lifetime.equal_loss_models(2.0, bad, law=LAW)
