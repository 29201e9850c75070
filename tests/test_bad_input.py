"""Every public function rejects bad input with a ValueError or TypeError that names the argument."""

import math

import numpy as np
import pytest

from lectures_lib import chinchilla as ch
from lectures_lib import compute, kaplan
from lectures_lib import power_laws as pl

# (function, valid keyword arguments, (argument, bad-value label) pairs that are in fact valid)
CASES = [
    (compute.training_flops, {"n_params": 1e9, "n_tokens": 1e10}, set()),
    (compute.inference_flops, {"n_params": 1e9, "n_tokens": 1e10}, {("n_tokens", "zero")}),
    (compute.forward_flops_per_token, {"n_params": 1e9, "n_layers": 24, "n_ctx": 1024, "d_attn": 2048}, set()),
    (compute.transformer_params, {"n_layers": 24, "d_model": 2048, "d_ff": 8192, "d_attn": 2048},
     {("d_ff", "none"), ("d_attn", "none")}),
    (compute.embedding_params, {"n_vocab": 50257, "d_model": 768, "n_ctx": 1024}, {("n_ctx", "zero")}),
    (compute.tokens_per_param, {"n_params": 1e9, "n_tokens": 1e10}, set()),
    (compute.flops_to_pf_days, {"flops": 1e20}, set()),
    (compute.pf_days_to_flops, {"pf_days": 1.0}, set()),
    (compute.allocation_for_ratio, {"flops": 1e21, "ratio": 20}, set()),
    (compute.training_tokens, {"flops": 1e21, "n_params": 1e9}, set()),
    (kaplan.loss_vs_params, {"n_params": 1e9}, set()),
    (kaplan.loss_vs_data, {"n_tokens": 1e10}, set()),
    (kaplan.loss_vs_compute, {"pf_days": 1.0}, set()),
    (kaplan.loss, {"n_params": 1e9, "n_tokens": 1e10}, set()),
    (kaplan.compute_optimal_params, {"pf_days": 1.0}, set()),
    (kaplan.compute_optimal_tokens, {"pf_days": 1.0}, set()),
    (kaplan.critical_batch_size, {"loss_nats": 2.0}, set()),
    (kaplan.tokens_to_avoid_overfitting, {"n_params": 1e9}, set()),
    (kaplan.predicted_compute_exponent, {"alpha_n": 0.076, "alpha_b": 0.21, "alpha_s": 0.76}, set()),
    (kaplan.KAPLAN_2020_JOINT.converged_loss, {"n_params": 1e9}, set()),
    (pl.PowerLaw(2.0, 0.5), {"x": 3.0}, set()),
    (ch.BESIROGLU_2024.loss, {"n_params": 1e9, "n_tokens": 1e10}, set()),
    (ch.BESIROGLU_2024.compute_optimal, {"flops": 1e21}, set()),
    (ch.BESIROGLU_2024.optimal_tokens_per_param, {"flops": 1e21}, set()),
    (ch.BESIROGLU_2024.optimal_loss, {"flops": 1e21}, set()),
    (ch.BESIROGLU_2024.flops_for_optimal_params, {"n_params": 1e9}, set()),
    (ch.BESIROGLU_2024.tokens_for_params, {"n_params": 1e9}, set()),
    (ch.BESIROGLU_2024.params_for_tokens, {"n_tokens": 1e12}, set()),
]

BAD_VALUES = [
    ("negative", -1.0, ValueError),
    ("zero", 0.0, ValueError),
    ("nan", math.nan, ValueError),
    ("inf", math.inf, ValueError),
    ("nan in array", np.array([1.0, np.nan]), ValueError),
    ("string", "abc", TypeError),
    ("none", None, TypeError),
    ("boolean", True, TypeError),
    ("empty array", np.array([]), ValueError),
    ("list of strings", ["a", "b"], TypeError),
]


def _ids():
    for function, kwargs, allowed in CASES:
        for arg in kwargs:
            for label, value, error in BAD_VALUES:
                if (arg, label) in allowed:
                    continue
                name = getattr(function, "__name__", type(function).__name__)
                yield pytest.param(function, kwargs, arg, value, error, id=f"{name}-{arg}-{label}")


@pytest.mark.parametrize("function, kwargs, arg, value, error", list(_ids()))
def test_bad_argument_is_named(function, kwargs, arg, value, error):
    bad = dict(kwargs, **{arg: value})
    with pytest.raises(error, match=arg):
        function(**bad)


@pytest.mark.parametrize("function, kwargs, allowed", CASES)
def test_valid_arguments_give_finite_results(function, kwargs, allowed):
    result = function(**kwargs)
    assert np.all(np.isfinite(result))


def test_dense_layer_needs_whole_numbers():
    with pytest.raises(TypeError, match="n_inputs"):
        compute.dense_layer_params(4.5, 3)
    with pytest.raises(ValueError, match="n_outputs"):
        compute.dense_layer_params(4, 0)
    with pytest.raises(TypeError, match="bias"):
        compute.dense_layer_params(4, 3, bias="yes")


@pytest.mark.parametrize("field, value, error", [
    ("coefficient", 0.0, ValueError), ("coefficient", "a", TypeError), ("exponent", math.nan, ValueError),
    ("floor", -1.0, ValueError),
])
def test_power_law_fields(field, value, error):
    kwargs = {"coefficient": 1.0, "exponent": 0.5, "floor": 0.0, field: value}
    with pytest.raises(error, match=field):
        pl.PowerLaw(**kwargs)


@pytest.mark.parametrize("fit", [pl.fit_power_law, pl.fit_power_law_with_floor, pl.loglog_slope])
@pytest.mark.parametrize("x, y, error, name", [
    ([1.0, 2.0, -3.0, 4.0], [1.0, 2.0, 3.0, 4.0], ValueError, "x"),
    ([1.0, 2.0, 3.0, 4.0], [1.0, 0.0, 3.0, 4.0], ValueError, "y"),
    ([1.0, 2.0, 3.0, 4.0], [1.0, np.nan, 3.0, 4.0], ValueError, "y"),
    ([[1.0, 2.0], [3.0, 4.0]], [[1.0, 2.0], [3.0, 4.0]], ValueError, "one-dimensional"),
    ([1.0, 2.0, 3.0, 4.0, 5.0], [1.0, 2.0, 3.0, 4.0], ValueError, "same shape"),
    ("abcd", [1.0, 2.0, 3.0, 4.0], TypeError, "x"),
    ([], [], ValueError, "x"),
])
def test_fits_reject_bad_data(fit, x, y, error, name):
    with pytest.raises(error, match=name):
        fit(x, y)


def test_simulation_arguments():
    law = pl.PowerLaw(1.0, 0.5)
    with pytest.raises(ValueError, match="relative_noise"):
        pl.simulate_power_law([1.0, 2.0], relative_noise=-0.1, law=law)
    with pytest.raises(TypeError, match="seed"):
        pl.simulate_power_law([1.0, 2.0], seed=1.5, law=law)


def test_explorer_budget_out_of_range():
    from lectures_lib.explorers import plot_kaplan_frontier

    with pytest.raises(ValueError, match="pf_days"):
        plot_kaplan_frontier(1e9)


def _runs(count=12):
    return ch.simulate_isoflop_runs([1e19, 1e20], sizes_per_budget=count // 2, noise=0.0, law=ch.BESIROGLU_2024)[1:]


@pytest.mark.parametrize("change, error, name", [
    (lambda n, d, y: (n[:-1], d, y), ValueError, "same shape"),
    (lambda n, d, y: (n[:5], d[:5], y[:5]), ValueError, "at least 6"),
    (lambda n, d, y: (n, -d, y), ValueError, "n_tokens"),
    (lambda n, d, y: (n, d, np.where(np.arange(y.size) == 2, np.nan, y)), ValueError, "loss"),
    (lambda n, d, y: (n, d, np.zeros_like(y)), ValueError, "loss"),
    (lambda n, d, y: (list(map(str, n)), d, y), TypeError, "n_params"),
    (lambda n, d, y: (n.reshape(2, -1), d, y), ValueError, "one-dimensional"),
])
@pytest.mark.parametrize("function", [ch.fit, ch.fit_result, ch.bootstrap], ids=["fit", "fit_result", "bootstrap"])
def test_fit_rejects_bad_runs(function, change, error, name):
    with pytest.raises(error, match=name):
        function(*change(*_runs()))


def test_fit_options():
    n, d, loss = _runs()
    with pytest.raises(ValueError, match="delta"):
        ch.fit(n, d, loss, delta=0.0)
    with pytest.raises(ValueError, match="n_starts"):
        ch.fit_result(n, d, loss, n_starts=0)
    with pytest.raises(ValueError, match="reduction"):
        ch.naive_fit(n, d, loss, (5, 5, 0.5, 0.5, 0.5), "median")
    with pytest.raises(ValueError, match="start"):
        ch.naive_fit(n, d, loss, (5, 5, 0.5), "sum")
    with pytest.raises(ValueError, match="n_resamples"):
        ch.bootstrap(n, d, loss, n_resamples=0)
    with pytest.raises(TypeError, match="seed"):
        ch.bootstrap(n, d, loss, n_resamples=2, seed=0.5)


@pytest.mark.parametrize("field", ["E", "A", "B", "alpha", "beta"])
@pytest.mark.parametrize("value, error", [(0.0, ValueError), (-1.0, ValueError), (math.nan, ValueError),
                                          ("x", TypeError)])
def test_law_constants(field, value, error):
    kwargs = {"E": 1.7, "A": 400.0, "B": 400.0, "alpha": 0.3, "beta": 0.3, field: value}
    with pytest.raises(error, match=field):
        ch.ChinchillaLaw(**kwargs)


def test_simulators_and_helpers():
    law = ch.BESIROGLU_2024
    with pytest.raises(ValueError, match="budgets"):
        ch.simulate_isoflop_runs([-1.0], law=law)
    with pytest.raises(ValueError, match="noise"):
        ch.simulate_isoflop_runs([1e20], noise=-0.1, law=law)
    with pytest.raises(TypeError, match="sizes_per_budget"):
        ch.simulate_isoflop_runs([1e20], sizes_per_budget=2.5, law=law)
    with pytest.raises(ValueError, match="sizes"):
        ch.simulate_training_curves([0.0], 1e10, law=law)
    with pytest.raises(ValueError, match="n_params"):
        ch.isoflop_minimum([1e9, 2e9], [2.0, 2.1])
    with pytest.raises(ValueError, match="flops"):
        ch.allocation_exponent([1e20, 1e20], [1e9, 2e9])
    with pytest.raises(ValueError, match="flop_grid"):
        ch.training_curve_envelope([1e9, 1e9], [1e9, 1e10], [3.0, 2.5], [np.inf])


def test_isoflop_explorer_arguments():
    from lectures_lib import chinchilla as ch
    from lectures_lib.explorers import explore_isoflop, plot_isoflop

    with pytest.raises(TypeError, match="law"):
        plot_isoflop(1e21, law="Besiroglu et al. 2024 (replication)")
    with pytest.raises(ValueError, match="flops"):
        plot_isoflop(1e30, law=ch.BESIROGLU_2024)
    with pytest.raises(ValueError, match="law"):
        explore_isoflop(law=ch.ChinchillaLaw(E=1.7, A=400.0, B=400.0, alpha=0.3, beta=0.3))


def test_inference_arguments():
    from lectures_lib import lifetime

    law = lifetime.SARDANA_2024
    with pytest.raises(TypeError, match="law"):
        lifetime.lifetime_optimal(2.0, 1e12, law="Chinchilla")
    with pytest.raises(ValueError, match="inference_tokens"):
        lifetime.lifetime_optimal(2.0, -1.0, law=law)
    with pytest.raises(ValueError, match="target_loss"):
        lifetime.lifetime_optimal(math.nan, 1e12, law=law)
    for bad, error in ((0.0, ValueError), (1.5, ValueError), (math.nan, ValueError), ("half", TypeError)):
        with pytest.raises(error, match="size_fraction"):
            lifetime.size_overhead(bad, law=law)
    with pytest.raises(ValueError, match="train_tokens"):
        lifetime.lifetime_flops(1e9, 0.0, 1e9)
    with pytest.raises(ValueError, match="inference_tokens"):
        lifetime.lifetime_flops(1e9, 1e10, -5.0)
    with pytest.raises(ValueError, match="loss"):
        law.flops_for_loss(1.0)
    with pytest.raises(ValueError, match="serving_dollars_per_exaflop"):
        lifetime.option_costs(1e9, 8e9, api_dollars_per_million_tokens=1.0, training_dollars_per_exaflop=2.0,
                         serving_dollars_per_exaflop=0.0, finetune_tokens=1e9, pretrain_tokens=1e12)
    from lectures_lib.explorers import plot_lifetime

    with pytest.raises(ValueError, match="inference_tokens"):
        plot_lifetime(70e9, 1e20)
    with pytest.raises(TypeError, match="law"):
        plot_lifetime(70e9, 1e13, law=None)


def test_floor_explorer_arguments():
    from lectures_lib.explorers import law_with_floor

    with pytest.raises(ValueError, match="exponent"):
        law_with_floor(0.9, 1.0)
    with pytest.raises(ValueError, match="floor"):
        law_with_floor(0.3, 3.9)
    with pytest.raises(TypeError, match="floor"):
        law_with_floor(0.3, "high")
