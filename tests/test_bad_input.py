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


# ------------------------------------------------------------------------------------------------
# The modules of chapters 4 to 8
# ------------------------------------------------------------------------------------------------
def _new_modules():
    from lectures_lib import distillation, frequency, moe, quantization, repetition, trends
    from lectures_lib import test_time as tt

    zipf = frequency.zipf_probabilities(100, 0.5)
    # (function, valid keyword arguments, the arguments that take a single number, not an array)
    return [
        (tt.reasoning_flops, {"n_params": 1e9, "reasoning_tokens": 1000.0, "n_layers": 24, "d_attn": 2048},
         ("n_layers", "d_attn")),
        (tt.best_of_n_accuracy, {"p": 0.3, "samples": 4.0, "true_positive_rate": 0.9, "false_positive_rate": 0.1},
         ("true_positive_rate", "false_positive_rate")),
        (tt.simulate_best_of_n, {"p": 0.3, "samples": [1, 4], "true_positive_rate": 0.9,
                                 "false_positive_rate": 0.1}, ("true_positive_rate", "false_positive_rate")),
        (tt.estimator_moments, {"p": 0.3, "n": 10, "k": 2}, ("p",)),
        (tt.BetaDifficulty.from_mean, {"mean": 0.3, "concentration": 2.0}, ("mean", "concentration")),
        (moe.KRAJEWSKI_2024_MOE.compute_optimal, {"flops": 1e21, "active_fraction": 0.25, "granularity": 8.0},
         ("active_fraction", "granularity")),
        (moe.KRAJEWSKI_2024_MOE.as_chinchilla_law, {"granularity": 8.0}, ("granularity",)),
        (moe.expert_capacity, {"n_tokens": 1024, "n_experts": 8, "capacity_factor": 1.25}, ("capacity_factor",)),
        (moe.expansion_active_fraction, {"expansion": 64.0, "ffn_to_attention": 2.0}, ("ffn_to_attention",)),
        (moe.load_balancing_loss, {"router_probs": np.full((4, 2), 0.5), "expert_index": [0, 1, 0, 1],
                                   "alpha": 0.01}, ("alpha",)),
        (moe.simulate_router, {"n_steps": 2, "tokens_per_step": 8, "alpha": 0.01, "gamma": 0.001,
                               "popularity_pull": 0.003, "learning_rate": 10.0},
         ("alpha", "gamma", "popularity_pull", "learning_rate")),
        (frequency.accuracy_by_frequency, {"probabilities": zipf, "n_samples": 1000.0,
                                           "class_edges": [0.1, 1.0, 10.0, 100.0]}, ("n_samples",)),
        (frequency.samples_to_reach, {"rank": 10.0, "alpha": 0.5, "offset": 1.0}, ("alpha", "offset")),
        (frequency.zipf_probabilities, {"n_facts": 100, "alpha": 0.5, "offset": 1.0}, ("alpha", "offset")),
        (frequency.capacity_error, {"capacity": 10.0, "alpha": 0.5, "offset": 1.0}, ("alpha", "offset")),
        (repetition.effective_tokens, {"unique_tokens": 1e9, "epochs": 4.0, "r_star": 15.0}, ("r_star",)),
        (repetition.effective_tokens_ceiling, {"unique_tokens": 1e9, "r_star": 15.0}, ("r_star",)),
        (repetition.effective_params, {"n_params": 1e10, "unique_tokens": 1e9, "r_star": 5.0}, ("r_star",)),
        (distillation.BUSBRIDGE_2025.break_even_tokens, {"n_params": 1e9, "teacher_loss": 2.0, "low": 1e8,
                                                         "high": 1e15}, ("n_params", "teacher_loss", "low", "high")),
        (distillation.soft_targets, {"logits": [1.0, 2.0], "temperature": 2.0}, ("temperature",)),
        (distillation.fit_softmax_regression, {"features": np.eye(2), "targets": np.eye(2), "ridge": 0.1},
         ("ridge",)),
        (trends.trend_flops, {"year": 2024.0, "anchor_year": 2020.0, "anchor_flops": 1e23, "growth_per_year": 4.0},
         ("anchor_year", "anchor_flops", "growth_per_year")),
        (trends.year_for_flops, {"flops": 1e25, "anchor_year": 2020.0, "anchor_flops": 1e23,
                                 "growth_per_year": 4.0}, ("anchor_year", "anchor_flops", "growth_per_year")),
        (trends.accelerator_hours, {"flops": 1e24, "peak_flops_per_second": 1e15, "utilisation": 0.4},
         ("peak_flops_per_second", "utilisation")),
        (trends.training_cost, {"flops": 1e24, "peak_flops_per_second": 1e15, "utilisation": 0.4,
                                "dollars_per_accelerator_hour": 2.0, "kilowatts_per_accelerator": 1.0},
         ("dollars_per_accelerator_hour", "kilowatts_per_accelerator")),
        (quantization.outlier_features, {"x": np.eye(3), "threshold": 6.0}, ("threshold",)),
    ]


def _single_number_ids():
    for function, kwargs, args in _new_modules():
        name = getattr(function, "__qualname__", type(function).__name__)
        for arg in args:
            for label, value in (("array", np.array([1.0, 2.0])), ("one-value list", [0.5]), ("string", "abc"),
                                 ("none", None), ("nan", math.nan)):
                yield pytest.param(function, kwargs, arg, value, id=f"{name}-{arg}-{label}")


@pytest.mark.parametrize("function, kwargs, arg, value", list(_single_number_ids()))
def test_single_number_arguments_refuse_arrays(function, kwargs, arg, value):
    """An argument that takes one number names itself for an array, a string, None or NaN, instead of
    numpy's "only 0-dimensional arrays can be converted" (or a silent NaN)."""
    error = ValueError if isinstance(value, float) else TypeError
    with pytest.raises(error, match=arg):
        function(**dict(kwargs, **{arg: value}))


@pytest.mark.parametrize("function, kwargs, args", _new_modules(),
                         ids=lambda x: getattr(x, "__qualname__", "") if callable(x) else "")
def test_single_number_arguments_accept_numbers(function, kwargs, args):
    """The valid calls of the table above run, and a 0-d numpy array counts as a single number."""
    function(**kwargs)
    function(**dict(kwargs, **{arg: np.asarray(kwargs[arg]) for arg in args}))


def test_scalar_helper():
    from lectures_lib import _validate as v

    assert v.scalar(2, "x") == 2.0 and isinstance(v.scalar(np.float32(2), "x"), float)
    assert v.scalar(-1.0, "x", v.finite) == -1.0
    assert v.scalar(0.5, "x", v.in_range, 0.0, 1.0, low_open=True) == 0.5
    with pytest.raises(TypeError, match="x must be a single number"):
        v.scalar([1.0], "x")
    with pytest.raises(ValueError, match=r"x must lie in \(0, 1\]"):
        v.scalar(0.0, "x", v.in_range, 0.0, 1.0, low_open=True)


@pytest.mark.parametrize("make, field, value, error", [
    (lambda **k: _tt().CoverageLaw(**{"a": -1.0, "b": -0.3, **k}), "a", "x", TypeError),
    (lambda **k: _tt().CoverageLaw(**{"a": -1.0, "b": -0.3, **k}), "a", 0.5, ValueError),
    (lambda **k: _tt().CoverageLaw(**{"a": -1.0, "b": -0.3, **k}), "a", math.nan, ValueError),
    (lambda **k: _tt().CoverageLaw(**{"a": -1.0, "b": -0.3, **k}), "b", None, TypeError),
    (lambda **k: _tt().CoverageLaw(**{"a": -1.0, "b": -0.3, **k}), "b", 0.0, ValueError),
    (lambda **k: _tt().CoverageLaw(**{"a": -1.0, "b": -0.3, **k}), "b", np.array([-0.3, -0.2]), TypeError),
    (lambda **k: _tt().BetaDifficulty(**{"alpha": 0.5, "beta": 2.0, **k}), "alpha", "x", TypeError),
    (lambda **k: _tt().BetaDifficulty(**{"alpha": 0.5, "beta": 2.0, **k}), "alpha", 0.0, ValueError),
    (lambda **k: _tt().BetaDifficulty(**{"alpha": 0.5, "beta": 2.0, **k}), "beta", math.inf, ValueError),
    (lambda **k: _tt().SkillModel(**k), "reference_params", "1e9", TypeError),
    (lambda **k: _tt().SkillModel(**k), "reference_params", -1.0, ValueError),
    (lambda **k: _tt().SkillModel(**k), "skill_at_reference", "x", TypeError),
    (lambda **k: _tt().SkillModel(**k), "skill_at_reference", math.nan, ValueError),
    (lambda **k: _tt().SkillModel(**k), "per_decade", "x", TypeError),
    (lambda **k: _tt().SkillModel(**k), "per_decade", 0.0, ValueError),
])
def test_test_time_law_fields(make, field, value, error):
    with pytest.raises(error, match=field):
        make(**{field: value})


def _tt():
    from lectures_lib import test_time

    return test_time


def test_test_time_law_fields_keep_their_ranges():
    tt = _tt()
    assert tt.CoverageLaw(a=-1, b=-0.5).coverage(1.0) == pytest.approx(math.exp(-1))
    assert tt.BetaDifficulty(alpha=1, beta=3).mean == 0.25
    assert tt.SkillModel(skill_at_reference=-2.0).success_probability(1e9, 0.0) == pytest.approx(1 / (1 + math.e**2))


def test_majority_vote_limit_needs_one_dimensional_shares():
    tt = _tt()
    with pytest.raises(ValueError, match="wrong_shares"):
        tt.majority_vote_limit(0.4, wrong_shares=[[0.5, 0.5], [0.5, 0.5]])
    assert tt.majority_vote_limit(0.4, wrong_shares=[0.5, 0.5]) == 1.0


def test_data_constrained_optimum_checks_the_law():
    from lectures_lib import repetition

    with pytest.raises(TypeError, match="law"):
        repetition.data_constrained_optimum(1e21, 1e10, law="x")


def test_whole_number_checks_share_one_helper():
    from lectures_lib import _validate as v
    from lectures_lib import frequency, moe, quantization

    assert v.positive_int(0, "n", minimum=0) == 0 and v.positive_int(16, "n", maximum=16) == 16
    with pytest.raises(ValueError, match=r"n must be a whole number from 2 to 16, got 17"):
        v.positive_int(17, "n", minimum=2, maximum=16)
    with pytest.raises(TypeError, match=r"n must be a whole number >= 0"):
        v.positive_int(1.0, "n", minimum=0)
    with pytest.raises(ValueError, match="n_shared_experts"):
        moe.MoEConfig("m", 2, 8, 2, 4, 16, 4, 2, 100, n_shared_experts=-1)
    with pytest.raises(TypeError, match="d_model"):
        moe.MoEConfig("m", 2, 8.0, 2, 4, 16, 4, 2, 100)
    for bad, error in ((1, ValueError), (17, ValueError), (4.0, TypeError), (True, TypeError)):
        with pytest.raises(error, match="bits"):
            quantization.quantize(np.ones(4), bad)
    with pytest.raises(ValueError, match="n_facts"):
        frequency.uniform_probabilities(frequency.MAX_FACTS + 1)


def test_relative_error_of_zeros_is_zero():
    import warnings

    from lectures_lib import quantization as qz

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for scheme in qz.SCHEMES:
            bits = 4 if scheme == "nf4" else 8
            assert qz.relative_error(np.zeros((4, 8)), bits, scheme) == 0.0
            assert qz.relative_error(np.zeros((4, 8)), bits, scheme, block_size=4) == 0.0
        summary = qz.outlier_summary(np.ones((4, 3)), np.zeros((3, 2)))
    assert summary.int8_error == 0.0
    with pytest.raises(ValueError, match="x is zero everywhere"):
        qz.outlier_summary(np.zeros((4, 3)), np.ones((3, 2)))


def test_pack_and_unpack_check_their_codes():
    from lectures_lib import quantization as qz

    with pytest.raises(TypeError, match="codes"):
        qz.pack_codes(np.array([1.5, 2.0]), 4)
    with pytest.raises(ValueError, match="codes"):
        qz.pack_codes(np.array([-3, 2]), 4)
    with pytest.raises(ValueError, match="codes"):
        qz.pack_codes([16], 4)
    packed = qz.pack_codes(np.array([1, 2, 3], np.uint8), 3)
    assert list(qz.unpack_codes(list(packed), 3, 3)) == [1, 2, 3]
    with pytest.raises(TypeError, match="packed"):
        qz.unpack_codes(["a", "b"], 4, 2)
    with pytest.raises(TypeError, match="packed"):
        qz.unpack_codes(None, 4, 2)
    with pytest.raises(ValueError, match="packed"):
        qz.unpack_codes([300], 8, 1)
    with pytest.raises(ValueError, match="count"):
        qz.unpack_codes(packed, 3, 9)
    with pytest.raises(TypeError, match="count"):
        qz.unpack_codes(packed, 3, 2.0)


@pytest.mark.parametrize("ids, error", [("abc", TypeError), ([1.5] * 20, TypeError), (None, TypeError),
                                        ([[1] * 20], ValueError), ([1, 2], ValueError), ([200] * 20, ValueError),
                                        ([-1] * 20, ValueError)])
def test_tiny_lm_loss_checks_ids(ids, error):
    from lectures_lib import tiny_lm

    model = tiny_lm.train_tiny_lm(steps=1, checkpoint_every=1).model
    with pytest.raises(error, match="ids"):
        model.loss(ids)
    with pytest.raises(error, match="ids"):
        tiny_lm.quantized_loss(model, ids, 8)


def test_train_tiny_lm_learning_rate_is_one_number():
    from lectures_lib import tiny_lm

    with pytest.raises(TypeError, match="learning_rate"):
        tiny_lm.train_tiny_lm(steps=1, learning_rate=np.array([0.1, 0.2]))
