"""lectures_lib.frequency against Hutter 2021 (arXiv 2102.04074) and Michaud et al. 2023 (arXiv 2303.13506).

Published: Hutter's learning-curve exponent beta = alpha / (1 + alpha) for alpha-Zipf data (abstract) and
Michaud et al.'s alpha_N = alpha, alpha_D = alpha / (1 + alpha) (Sec. 2). The simulations are checked against
those exponents and against sums written out here without the library.
"""

import math
import time

import numpy as np
import pytest

from lectures_lib import chinchilla as ch
from lectures_lib import frequency as fq


def _sample_sizes(alpha, low_rank=30, high_rank=1e4, points=16):
    """Data from reaching the fact of rank 30 to the fact of rank 10,000 (n = rank**(1 + alpha))."""
    return np.unique(np.round(np.logspace((1 + alpha) * np.log10(low_rank),
                                          (1 + alpha) * np.log10(high_rank), points)))


@pytest.mark.parametrize("alpha", [0.5, 1.0, 2.0])
def test_simulated_learning_curve_has_hutter_s_exponent(alpha):  # Hutter 2021, abstract: beta = alpha/(1+alpha)
    probabilities = fq.zipf_probabilities(1_000_000, alpha)
    n = _sample_sizes(alpha)
    start = time.perf_counter()
    for seed in (0, 1, 2):
        error = fq.simulate_error(probabilities, n, seed=seed)
        assert abs(fq.fitted_exponent(n, error) - alpha / (1 + alpha)) < 0.02
    assert time.perf_counter() - start < 10.0  # loose: shared machines; benchmarks/frequency.py times it
    assert fq.data_exponent(alpha) == pytest.approx(alpha / (1 + alpha), rel=1e-15)


def test_simulation_is_seeded_and_unbiased():
    probabilities = fq.zipf_probabilities(20_000, 1.0)
    n = np.array([10, 100, 1000, 10_000])
    np.testing.assert_array_equal(fq.simulate_error(probabilities, n, seed=3),
                                  fq.simulate_error(probabilities, n, seed=3))
    mean = np.mean([fq.simulate_error(probabilities, n, seed=s) for s in range(200)], axis=0)
    np.testing.assert_allclose(mean, fq.expected_error(probabilities, n), rtol=0.03)


def test_expected_error_by_a_plain_loop():
    alpha, facts, capacity = 0.7, 300, 120
    zeta = sum(k ** -(1 + alpha) for k in range(1, 2_000_000)) + 2_000_000 ** -alpha / alpha  # integral tail
    theta = [k ** -(1 + alpha) / zeta for k in range(1, facts + 1)]
    np.testing.assert_allclose(fq.zipf_probabilities(facts, alpha), theta, rtol=1e-6)
    for n in (0, 1, 50, 5000):
        held = sum(t * (1 - t) ** n for t in theta[:capacity])
        expected = held + 1 - sum(theta[:capacity])
        assert fq.expected_error(fq.zipf_probabilities(facts, alpha), n, capacity=capacity) == pytest.approx(
            expected, rel=1e-5)


def test_uniform_facts_give_no_power_law():  # error (1 - 1/K)**n: flat, then a cliff
    facts = 1000
    n = np.logspace(1, 4.5, 30)
    error = fq.expected_error(fq.uniform_probabilities(facts), n)
    np.testing.assert_allclose(error, (1 - 1 / facts) ** n, rtol=1e-10)
    slopes = -np.gradient(np.log(error), np.log(n))
    assert slopes[0] < 0.02 and slopes[-1] > 20  # a power law has one slope; this one spans three decades
    zipf = fq.expected_error(fq.zipf_probabilities(200_000, 1.0), n)
    zipf_slopes = -np.gradient(np.log(zipf), np.log(n))
    assert np.ptp(zipf_slopes[2:-2]) < 0.05


def test_capacity_exponent_is_alpha():  # Michaud et al. 2023, Sec. 2: alpha_N = alpha
    for alpha in (0.3, 1.0, 2.0):
        capacity = np.logspace(3, 5, 5)
        error = fq.capacity_error(capacity, alpha)
        assert -np.polyfit(np.log(capacity), np.log(error), 1)[0] == pytest.approx(alpha, abs=0.01)
        assert fq.params_exponent(alpha) == alpha
        # the tail beyond K is one minus the mass of the first K facts
        assert fq.capacity_error(500, alpha) == pytest.approx(1 - fq.zipf_probabilities(500, alpha).sum(),
                                                              rel=1e-9)
    assert fq.capacity_error(0, 1.0) == pytest.approx(1.0)


def test_implied_allocation_exponent():  # [D] from alpha_N = alpha, alpha_D = alpha / (1 + alpha)
    for alpha in (0.2, 0.34, 1.0, 3.0):
        law = ch.ChinchillaLaw(E=1.0, A=100.0, B=100.0, alpha=alpha, beta=alpha / (1 + alpha))
        assert fq.allocation_exponent(alpha) == pytest.approx(law.a, rel=1e-12)  # a = beta / (alpha + beta)
        assert fq.zipf_alpha_for_data_exponent(fq.data_exponent(alpha)) == pytest.approx(alpha, rel=1e-12)
    assert round(fq.data_exponent(0.34), 3) == 0.254                     # REFERENCE.md section 8 [D]
    assert fq.allocation_exponent(np.array([0.0001, 20.0])) == pytest.approx([0.5, 1 / 22], rel=1e-3)


def test_samples_to_reach_means_one_expected_occurrence():
    alpha, offset = 1.5, 2.0
    ranks = np.array([1, 10, 1000])
    theta = fq.zipf_probabilities(1000, alpha, offset)[ranks - 1]
    np.testing.assert_allclose(fq.samples_to_reach(ranks, alpha, offset) * theta, 1.0, rtol=1e-12)
    assert math.isclose(fq.zipf_probabilities(5, 1.0)[0], 6 / math.pi**2, rel_tol=1e-12)  # zeta(2) = pi^2/6


def test_accuracy_by_frequency_shows_a_capacity_threshold():
    probabilities = fq.zipf_probabilities(100_000, 1.0)
    n = 1e7
    edges = np.logspace(-2, 6, 17)
    lower, unlimited = fq.accuracy_by_frequency(probabilities, n, edges)
    assert np.all(np.diff(unlimited) >= -1e-12) and unlimited[-1] > 0.999 and unlimited[0] < 0.02
    _, small = fq.accuracy_by_frequency(probabilities, n, edges, capacity=100)
    threshold = n * probabilities[99]                                 # expected count of the 100th fact
    assert np.all(small[lower >= threshold * 3.2] > 0.999)            # frequent facts: known
    assert np.all(small[lower * 3.2 <= threshold / 3.2] == 0)         # rarer than the threshold: never known


def test_error_by_rank_class_adds_up_to_the_total():
    theta = fq.zipf_probabilities(5000, 1.0)
    n = np.array([0.0, 10.0, 1e3, 1e5])
    edges = [1, 10, 100, 5001]
    by_class = fq.error_by_rank_class(theta, n, edges)
    assert by_class.shape == (3, 4) and np.all(by_class[:, 0] == 1.0)
    masses = np.array([theta[lo - 1:hi - 1].sum() for lo, hi in zip(edges, edges[1:], strict=False)])
    tail = 1 - theta.sum()
    np.testing.assert_allclose(masses @ by_class + tail, fq.expected_error(theta, n), rtol=1e-12)
    first = sum(t * (1 - t) ** 10 for t in theta[:9]) / theta[:9].sum()       # ranks 1-9 after 10 samples
    assert by_class[0, 1] == pytest.approx(first, rel=1e-12)
    with pytest.raises(ValueError, match="rank_edges"):
        fq.error_by_rank_class(theta, n, [1, 10, 6000])


def test_tail_occupancy():
    probabilities = fq.zipf_probabilities(1000, 1.0)
    assert fq.tail_occupancy(probabilities, 1e4) == pytest.approx(1e4 * fq.capacity_error(1000, 1.0))
    assert fq.tail_occupancy(fq.uniform_probabilities(10), 1e4) == 0.0


@pytest.mark.parametrize("call, error, name", [
    (lambda: fq.zipf_probabilities(10, 0.0), ValueError, "alpha"),
    (lambda: fq.zipf_probabilities(10.0, 1.0), TypeError, "n_facts"),
    (lambda: fq.zipf_probabilities(10, 1.0, offset=-1), ValueError, "offset"),
    (lambda: fq.uniform_probabilities(0), ValueError, "n_facts"),
    (lambda: fq.expected_error([0.1, 0.5], 10), ValueError, "sorted"),
    (lambda: fq.expected_error([0.6, 0.5], 10), ValueError, "sum"),
    (lambda: fq.expected_error([0.5, 0.1], -1), ValueError, "n_samples"),
    (lambda: fq.expected_error([0.5, 0.1], 10, capacity=0), ValueError, "capacity"),
    (lambda: fq.simulate_error([0.5, 0.1], [10, 5]), ValueError, "n_samples"),
    (lambda: fq.simulate_error([0.5, 0.1], [1.5]), ValueError, "n_samples"),
    (lambda: fq.simulate_error([0.5, 0.1], [10], seed=1.0), TypeError, "seed"),
    (lambda: fq.accuracy_by_frequency([0.5, 0.1], 10, [1.0, 0.5]), ValueError, "class_edges"),
    (lambda: fq.zipf_alpha_for_data_exponent(1.0), ValueError, "beta"),
    (lambda: fq.capacity_error(-1, 1.0), ValueError, "capacity"),
    (lambda: fq.data_exponent("1"), TypeError, "alpha"),
])
def test_bad_input_is_named(call, error, name):
    with pytest.raises(error, match=name):
        call()
