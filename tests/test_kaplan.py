"""lectures_lib.kaplan against Kaplan et al. 2020 (arXiv 2001.08361): Eq. 1.1-1.5, 4.4, 6.4; Tables 2 and 6."""

import numpy as np
import pytest

from lectures_lib import compute, kaplan
from lectures_lib.power_laws import PowerLaw


def test_published_constants():  # Eq. 1.1-1.3, Table 2, Table 6
    printed = {  # (scale, exponent) as printed in Eq. 1.1, 1.2 and 1.3
        kaplan.KAPLAN_2020_LOSS_VS_PARAMS: (8.8e13, 0.076),
        kaplan.KAPLAN_2020_LOSS_VS_DATA: (5.4e13, 0.095),
        kaplan.KAPLAN_2020_LOSS_VS_COMPUTE: (3.1e8, 0.050),
    }
    for law, (scale, exponent) in printed.items():
        assert isinstance(law, PowerLaw) and law.floor == 0.0
        assert law.exponent == exponent and law.scale == pytest.approx(scale, rel=1e-12)
        assert law.loss(scale) == pytest.approx(1.0, rel=1e-12)  # (X_c / X)**alpha is 1 at X = X_c
    j = kaplan.KAPLAN_2020_JOINT
    assert (j.alpha_n, j.alpha_d, j.n_c, j.d_c) == (0.076, 0.103, 6.4e13, 1.8e13)
    table6 = {  # coefficient and exponent of X = k * C_min**e, C_min in PF-days
        kaplan.KAPLAN_2020_OPTIMAL_PARAMS: (1.3e9, 0.73),
        kaplan.KAPLAN_2020_OPTIMAL_TOKENS: (2e10, 0.27),
        kaplan.KAPLAN_2020_OPTIMAL_BATCH: (2.0e6, 0.24),
        kaplan.KAPLAN_2020_OPTIMAL_STEPS: (5.4e3, 0.03),
    }
    for law, (coefficient, exponent) in table6.items():
        assert isinstance(law, PowerLaw) and (law.coefficient, -law.exponent) == (coefficient, exponent)


def test_joint_law_is_validated():
    with pytest.raises(ValueError, match="d_c"):
        kaplan.KaplanJointLaw(alpha_n=0.076, alpha_d=0.103, n_c=6.4e13, d_c=-1.0)


def test_every_law_can_be_replaced():
    steeper = PowerLaw.from_scale(8.8e13, 0.1)
    assert kaplan.loss_vs_params(1e9, law=steeper) == pytest.approx((8.8e13 / 1e9) ** 0.1)
    with pytest.raises(TypeError, match="law"):
        kaplan.loss_vs_params(1e9, law=kaplan.KAPLAN_2020_JOINT)


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
