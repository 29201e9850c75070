"""lectures_lib.power_laws: evaluation, inversion and fits that recover known laws."""

import numpy as np
import pytest

from lectures_lib import power_laws as pl


def test_evaluate_and_invert():  # worked by hand: 1 + 2 * 4**-0.5 = 2
    law = pl.PowerLaw(coefficient=2.0, exponent=0.5, floor=1.0)
    assert law(4.0) == pytest.approx(2.0)
    assert law.inverse(2.0) == pytest.approx(4.0)
    np.testing.assert_allclose(law(np.array([1.0, 100.0])), [3.0, 1.2])


@pytest.mark.parametrize("law, x", [
    (pl.PowerLaw(2.0, 0.5, floor=1.0), np.logspace(-2, 6, 9)),  # further out the floor swamps the reducible part
    (pl.PowerLaw(40.0, 0.06), np.logspace(-2, 25, 28)),
    (pl.PowerLaw(1.3e9, -0.73), np.logspace(-2, 25, 28)),
])
def test_inverse_round_trip(law, x):
    np.testing.assert_allclose(law.inverse(law(x)), x, rtol=1e-9)


def test_from_scale_round_trip():  # the printed form (X_c / X)**alpha of Kaplan et al. 2020, Eq. 1.1-1.3
    law = pl.PowerLaw.from_scale(8.8e13, 0.076)
    assert law.scale == pytest.approx(8.8e13, rel=1e-12)
    assert law(8.8e13) == pytest.approx(1.0, rel=1e-12)


@pytest.mark.parametrize("law", [pl.PowerLaw(1.0, 0.076), pl.PowerLaw(406.4, 0.34, floor=1.69),
                                 pl.PowerLaw(1.3e9, -0.73)])
def test_doubling_and_tenfold_factors_are_measured_ratios(law):
    # the factors are what the reducible part actually does when x doubles or grows tenfold
    for x in (1e3, 1e9, 1e20):
        assert law.doubling_factor == pytest.approx((law(2 * x) - law.floor) / (law(x) - law.floor), rel=1e-9)
        assert law.tenfold_factor == pytest.approx((law(10 * x) - law.floor) / (law(x) - law.floor), rel=1e-9)


def test_doubling_factor_of_kaplan_exponent():
    # derived from Kaplan et al. 2020, Eq. 1.1 (alpha_N = 0.076): 2**-0.076 = 0.9487, the "5% per doubling"
    assert pl.PowerLaw(1.0, 0.076).doubling_factor == pytest.approx(0.9487, abs=1e-4)


def test_inverse_below_floor_is_an_error():
    with pytest.raises(ValueError, match="floor"):
        pl.PowerLaw(1.0, 0.5, floor=1.0).inverse(0.5)


def test_fit_recovers_noiseless_law():
    law = pl.PowerLaw(coefficient=40.0, exponent=0.06)
    x = np.logspace(17, 21, 10)
    fitted = pl.fit_power_law(x, law(x))
    assert fitted.exponent == pytest.approx(0.06, rel=1e-9)
    assert fitted.coefficient == pytest.approx(40.0, rel=1e-9)


def test_fit_with_floor_recovers_noiseless_law():
    law = pl.PowerLaw(coefficient=400.0, exponent=0.34, floor=1.69)
    x = np.logspace(7, 11, 15)
    fitted = pl.fit_power_law_with_floor(x, law(x))
    assert fitted.exponent == pytest.approx(0.34, rel=1e-4)
    assert fitted.floor == pytest.approx(1.69, rel=1e-4)
    assert fitted.coefficient == pytest.approx(400.0, rel=1e-3)


def test_straight_fit_underestimates_exponent_with_floor():
    law = pl.PowerLaw(coefficient=400.0, exponent=0.34, floor=1.69)
    x = np.logspace(7, 10, 12)
    assert pl.fit_power_law(x, law(x)).exponent < 0.15


def test_loglog_slope_of_pure_law_is_constant():
    x = np.logspace(0, 3, 7)
    np.testing.assert_allclose(pl.loglog_slope(x, 5 * x**-0.3), -0.3)


def test_loglog_slope_with_a_floor_flattens_towards_zero():
    law = pl.PowerLaw(coefficient=406.4, exponent=0.34, floor=1.69)
    x = np.logspace(6, 16, 41)
    slope = pl.loglog_slope(x, law(x))
    assert np.all(slope < 0) and np.all(np.diff(slope) > 0) and slope[-1] > -0.01


def test_simulation_is_seeded_and_positive():
    law = pl.PowerLaw(2.0, 0.1)
    x = np.logspace(0, 2, 5)
    a = pl.simulate_power_law(x, 0.1, seed=3, law=law)
    np.testing.assert_array_equal(a, pl.simulate_power_law(x, 0.1, seed=3, law=law))
    assert (a > 0).all()
    np.testing.assert_allclose(pl.simulate_power_law(x, 0.0, law=law), law(x))


def test_fit_needs_two_distinct_x():
    with pytest.raises(ValueError, match="two different"):
        pl.fit_power_law([1.0, 1.0, 1.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="at least 4"):
        pl.fit_power_law_with_floor([1.0, 2.0, 3.0], [3.0, 2.0, 1.0])
    with pytest.raises(ValueError, match="same shape"):
        pl.fit_power_law([1.0, 2.0, 3.0], [1.0, 2.0])
