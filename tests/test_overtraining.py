"""The over-training law of Gadre et al. 2024 (arXiv 2403.08540): its printed constants, our refit of the
released runs, and the paper's headline extrapolations. Expected values are the paper's own (arXiv v2: Table 6,
App. F and Sec. 4)."""

import time

import numpy as np
import pytest

from lectures_lib import overtraining as ot
from lectures_lib.compute import TRAINING_FLOPS_PER_PARAM_TOKEN
from lectures_lib.data import DATASETS, load_gadre_2024

# Gadre et al. 2024, Table 6 (v2), loss on C4 validation: E, a, b, eta per training set [V-P].
TABLE_6 = {"c4_original": (1.51, 141, 190, 0.121), "rpj": (1.84, 212, 367, 0.136),
           "rw_original": (1.73, 157, 246, 0.127)}
# Gadre et al. 2024, App. F: compute-optimal multiplier M* per training set [V-P].
M_STAR = {"c4_original": 3.36, "rpj": 7.42, "rw_original": 5.85}


@pytest.fixture(scope="module")
def runs():
    return load_gadre_2024("c4_val")


def _refit(runs, dataset):
    chosen = runs.where(dataset=dataset)
    chosen = chosen.where(ot.paper_fitting_set(chosen.n_params, chosen.tokens_per_param))
    return ot.fit_overtraining(chosen.training_flops, chosen.tokens_per_param, chosen.loss)


@pytest.fixture(scope="module")
def refits(runs):
    return {name: _refit(runs, name) for name in DATASETS}


def test_printed_constants_are_table_6():
    for name, (e, a, b, eta) in TABLE_6.items():
        law = ot.GADRE_2024_LAWS[name]
        assert (law.E, law.a, law.b, law.eta) == (e, a, b, eta)
    assert ot.GADRE_2024_LAWS["rpj"] is ot.GADRE_2024_RPJ and ot.GADRE_2024_LAWS["c4_original"] is ot.GADRE_2024_C4
    assert ot.GADRE_2024_M_STAR == M_STAR


def test_eq4_is_the_chinchilla_form_with_one_exponent():
    # Gadre et al. 2024, Eq. 3 -> Eq. 4: L(N, D) = E + A N^-alpha + B D^-alpha with alpha = 2 eta, A = a / 6^eta
    law = ot.GADRE_2024_RPJ
    n, d = np.array([1e7, 4e8, 7e9]), np.array([2e8, 1e11, 1.4e11])
    by_nd = law.E + law.A * n ** (-2 * law.eta) + law.B * d ** (-2 * law.eta)
    np.testing.assert_allclose(law.loss(TRAINING_FLOPS_PER_PARAM_TOKEN * n * d, d / n), by_nd, rtol=1e-12)
    assert law.A == pytest.approx(212 / 6**0.136)


def test_compute_optimal_multiplier_minimises_the_loss():
    law = ot.GADRE_2024_C4
    grid = np.logspace(-1, 3, 20001)
    assert grid[np.argmin(law.loss(1e21, grid))] == pytest.approx(law.compute_optimal_multiplier, rel=1e-3)
    # from the rounded printed constants: near, but not equal to, the printed M* (which used full precision)
    for name, printed in M_STAR.items():
        assert ot.GADRE_2024_LAWS[name].compute_optimal_multiplier == pytest.approx(printed, rel=0.03)
    assert round(ot.GADRE_2024_RPJ.compute_optimal_multiplier, 2) != M_STAR["rpj"]


def test_paper_fitting_set_is_table_1(runs):
    # Gadre et al. 2024, Table 1: 0.011B, 0.079B, 0.154B, 0.411B at M = 20, and 0.011B at M = 320
    rpj = runs.where(dataset="rpj")
    chosen = rpj.where(ot.paper_fitting_set(rpj.n_params, rpj.tokens_per_param))
    pairs = sorted(zip(np.round(chosen.n_params / 1e9, 3), np.round(chosen.tokens_per_param), strict=True))
    assert pairs == [(0.011, 20), (0.011, 320), (0.079, 20), (0.154, 20), (0.412, 20)]
    # "2.4e19 FLOPs" of Table 1
    assert round(chosen.training_flops.sum() / 1e19, 1) == 2.4


def test_refit_reproduces_table_6_to_its_printed_digits(refits):
    for name, (e, a, b, eta) in TABLE_6.items():
        law = refits[name]
        assert (round(law.E, 2), round(law.a), round(law.b), round(law.eta, 3)) == (e, a, b, eta), name
        assert round(law.compute_optimal_multiplier, 2) == M_STAR[name], name


def test_refit_reproduces_the_headline_extrapolations(runs, refits):
    # Gadre et al. 2024, Sec. 4: RedPajama, 1.4B at M = 640 and 6.9B at M = 20 predicted to 0.7% (the authors'
    # notebook: 0.7103% and 0.7320%); with the rounded constants the errors double (REFERENCE 12a, [D]).
    rpj = runs.where(dataset="rpj")
    law = refits["rpj"]
    errors, rounded = [], []
    for size, multiplier in ((1.44e9, 640), (6.89e9, 20)):
        i = np.flatnonzero(np.isclose(rpj.n_params, size, rtol=0.01) & np.isclose(rpj.tokens_per_param, multiplier))
        assert i.size == 1
        c, actual = rpj.training_flops[i[0]], rpj.loss[i[0]]
        errors.append(round(100 * abs(law.loss(c, multiplier) / actual - 1), 4))
        rounded.append(round(100 * abs(ot.GADRE_2024_RPJ.loss(c, multiplier) / actual - 1), 1))
    assert errors == [0.7103, 0.7320]
    assert rounded == [1.4, 1.4]


def test_fit_is_fast_and_deterministic(runs):
    start = time.perf_counter()
    first = _refit(runs, "rpj")
    assert time.perf_counter() - start < 1.0
    assert _refit(runs, "rpj") == first


def test_fit_recovers_a_known_law():
    truth = ot.OvertrainingLaw(E=1.7, a=180.0, b=300.0, eta=0.13)
    flops = np.array([1e16, 8e17, 3e18, 2e19, 2e17, 5e18])
    multiplier = np.array([20, 20, 20, 20, 320, 80])
    fitted = ot.fit_overtraining(flops, multiplier, truth.loss(flops, multiplier))
    for field in ("E", "a", "b", "eta"):
        assert getattr(fitted, field) == pytest.approx(getattr(truth, field), rel=1e-4)


def test_equal_loss_compute_ratio_matches_the_loss():
    law = ot.GADRE_2024_RPJ
    ratio = law.equal_loss_compute_ratio(640)
    for flops in (1e19, 1e22):
        assert law.loss(ratio * flops, 640) == pytest.approx(law.loss(flops, 20), rel=1e-12)
    assert law.equal_loss_compute_ratio(20) == pytest.approx(1.0)
    assert law.reducible_ratio(640) ** (1 / law.eta) == pytest.approx(ratio)


def test_interpolation_is_exact_on_a_power_law_and_inverts():
    flops = np.array([1e16, 1e18, 1e20])
    loss = 50.0 * flops**-0.07
    assert ot.interpolate_loss(flops, loss, 1e19) == pytest.approx(50.0 * 1e19**-0.07, rel=1e-12)
    assert ot.compute_for_loss(flops, loss, 50.0 * 1e17**-0.07) == pytest.approx(1e17, rel=1e-9)
    with pytest.raises(ValueError, match="at_flops"):
        ot.interpolate_loss(flops, loss, 1e21)          # no extrapolation
    with pytest.raises(ValueError, match="at_loss"):
        ot.compute_for_loss(flops, loss, 1.0)
    with pytest.raises(ValueError, match="fall"):
        ot.compute_for_loss(flops, loss[::-1], 3.0)


@pytest.mark.parametrize(("call", "name", "error"), [
    (lambda: ot.OvertrainingLaw(E=-1.0, a=1.0, b=1.0, eta=0.1), "E", ValueError),
    (lambda: ot.OvertrainingLaw(E=1.0, a=1.0, b=1.0, eta=0.0), "eta", ValueError),
    (lambda: ot.GADRE_2024_RPJ.loss(-1e20, 20), "flops", ValueError),
    (lambda: ot.GADRE_2024_RPJ.loss(1e20, "20"), "token_multiplier", TypeError),
    (lambda: ot.GADRE_2024_RPJ.equal_loss_compute_ratio(640, reference=0), "reference", ValueError),
    (lambda: ot.fit_overtraining([1e18] * 4, [20] * 4, [3.0] * 4), "flops", ValueError),
    (lambda: ot.fit_overtraining([1e18] * 5, [20] * 5, [3.0] * 4), "loss", ValueError),
    (lambda: ot.fit_overtraining(np.logspace(16, 20, 5), [20] * 5, [3.0] * 5), "token_multiplier", ValueError),
    (lambda: ot.paper_fitting_set([1e7, 2e7], [20]), "token_multiplier", ValueError),
    (lambda: ot.interpolate_loss([1e18, 1e18], [3.0, 2.9], 1e18), "flops", ValueError),
])
def test_bad_input_is_named(call, name, error):
    with pytest.raises(error, match=name):
        call()


def test_figures_reject_bad_input(runs):
    from lectures_lib.explorers.lifetime import plot_overtraining_lines, plot_overtraining_scale

    rpj = runs.where(dataset="rpj")
    with pytest.raises(ValueError, match="fitted"):
        plot_overtraining_lines(rpj.training_flops, rpj.tokens_per_param, rpj.loss, fitted=np.ones(3, dtype=bool))
    with pytest.raises(TypeError, match="overtraining_law"):
        plot_overtraining_scale(object(), [40.0], [1.1], [])
