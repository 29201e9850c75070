"""lectures_lib.power_laws: evaluation, inversion and fits that recover known laws."""

import numpy as np
import pytest

from lectures_lib import power_laws as pl


def test_evaluate_and_invert():
    law = pl.PowerLaw(coefficient=2.0, exponent=0.5, floor=1.0)
    assert law(4.0) == pytest.approx(2.0)
    assert law.inverse(2.0) == pytest.approx(4.0)
    np.testing.assert_allclose(law(np.array([1.0, 100.0])), [3.0, 1.2])


def test_doubling_factor_of_kaplan_exponent():  # REFERENCE: 2**-0.076 = 0.9487 [D]
    assert pl.PowerLaw(1.0, 0.076).doubling_factor == pytest.approx(0.9487, abs=1e-4)
    assert pl.PowerLaw(1.0, 0.076).tenfold_factor == pytest.approx(10**-0.076)


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
