"""lectures_lib.kaplan against Kaplan et al. 2020 (arXiv 2001.08361) as recorded in ../shared/REFERENCE.md."""

import numpy as np
import pytest

from lectures_lib import compute, kaplan


def test_published_constants():  # Eq. 1.1-1.3, Table 2, Table 6 [V-P]
    k = kaplan.KAPLAN_2020
    constants = (k.alpha_n, k.n_c, k.alpha_d, k.d_c, k.alpha_c_min, k.c_min_c)
    assert constants == (0.076, 8.8e13, 0.095, 5.4e13, 0.050, 3.1e8)
    j = kaplan.KAPLAN_2020_JOINT
    assert (j.alpha_n, j.alpha_d, j.n_c, j.d_c) == (0.076, 0.103, 6.4e13, 1.8e13)
    f = kaplan.KAPLAN_2020_FRONTIER
    frontier = (f.params_coefficient, f.params_exponent, f.tokens_coefficient, f.tokens_exponent)
    assert frontier == (1.3e9, 0.73, 2e10, 0.27)


def test_loss_vs_params_worked_values():  # REFERENCE [D]: 1e8 -> 2.830, 1e9 -> 2.376, 1e10 -> 1.994
    np.testing.assert_allclose(kaplan.loss_vs_params([1e8, 1e9, 1e10]), [2.830, 2.376, 1.994], atol=5e-4)


def test_loss_vs_data_and_compute_are_their_formulas():
    assert kaplan.loss_vs_data(5.4e13) == pytest.approx(1.0)
    assert kaplan.loss_vs_data(5.4e11) == pytest.approx(100**0.095)
    assert kaplan.loss_vs_compute(3.1e8) == pytest.approx(1.0)
    assert kaplan.loss_vs_compute(3.1e6) == pytest.approx(100**0.05)


def test_joint_law_limits():  # Eq. 1.5 reduces to L(N) for D -> infinity
    j = kaplan.KAPLAN_2020_JOINT
    assert kaplan.loss(1e9, 1e30) == pytest.approx(j.converged_loss(1e9), rel=1e-9)
    assert kaplan.loss(1e30, 1e10) == pytest.approx((1.8e13 / 1e10) ** 0.103, rel=1e-9)
    assert kaplan.loss(1e9, 1e10) > kaplan.loss(1e9, 1e11)


def test_data_exponent_of_joint_fit_is_0_74():  # REFERENCE: 0.076/0.103 = 0.738 [D]
    j = kaplan.KAPLAN_2020_JOINT
    assert j.alpha_n / j.alpha_d == pytest.approx(0.738, abs=5e-4)


def test_frontier_tenfold():  # REFERENCE [D]: 10x compute -> 5.37x model, 1.86x data
    assert kaplan.compute_optimal_params(10.0) / kaplan.compute_optimal_params(1.0) == pytest.approx(5.37, abs=5e-3)
    assert kaplan.compute_optimal_tokens(10.0) / kaplan.compute_optimal_tokens(1.0) == pytest.approx(1.86, abs=5e-3)
    assert kaplan.compute_optimal_params(1.0) == 1.3e9


def test_gpt3_budget_on_the_frontier():
    pf_days = compute.flops_to_pf_days(compute.training_flops(175e9, 300e9))
    assert kaplan.compute_optimal_params(pf_days) == pytest.approx(5.18e11, rel=2e-3)
    assert kaplan.compute_optimal_tokens(pf_days) == pytest.approx(1.83e11, rel=2e-3)


def test_predicted_compute_exponent():  # REFERENCE [D]: 0.0520 with 0.76/0.21/0.076
    assert kaplan.predicted_compute_exponent() == pytest.approx(0.0520, abs=5e-5)


def test_critical_batch_size():  # Eq. 1.4: B_crit = 2e8 / L**(1/0.21) tokens
    assert kaplan.critical_batch_size(1.0) == pytest.approx(2e8)
    # doubles for a loss drop of about 13% (Fig. 10 caption)
    assert kaplan.critical_batch_size(0.87) / kaplan.critical_batch_size(1.0) == pytest.approx(1.94, abs=0.03)


def test_tokens_to_avoid_overfitting():  # Eq. 4.4
    assert kaplan.tokens_to_avoid_overfitting(1e9) == pytest.approx(5e3 * 1e9**0.74)
