"""lectures_lib.test_time against exact arithmetic, brute-force loops and the published statements.

Published: the unbiased pass@k estimator of Chen et al. 2021 (arXiv 2107.03374, Sec. 2.1), the headline
numbers of Chen et al. 2021 and Brown et al. 2024 (arXiv 2407.21787) and of Snell et al. 2024
(arXiv 2408.03314), all from the abstracts ([V-A] in the course's fact sheet). Brown's MATH numbers are
secondary ([V-S]) and are not pinned here as published values.
Independent references: Python's exact integers (math.comb, fractions) for pass@k; the product formula of the
Beta moments in fractions; direct numerical integration; Monte Carlo draws of every sample.
"""

import math
import time
from fractions import Fraction

import numpy as np
import pytest
from scipy import integrate, stats

from lectures_lib import compute
from lectures_lib import test_time as tt


def _exact_pass_at_k(n: int, c: int, k: int) -> Fraction:
    return 1 - Fraction(math.comb(n - c, k), math.comb(n, k))


# -- pass@k --------------------------------------------------------------------------------------
def test_pass_at_k_matches_exact_integer_arithmetic_to_1e12():
    rng = np.random.default_rng(2021)
    ns = rng.integers(1, 2001, size=600)
    cs = np.array([rng.integers(0, n + 1) for n in ns])
    # many small c (the hard case: a tiny result from a product close to 1)
    cs[::3] = np.minimum(ns[::3], rng.integers(0, 4, size=len(ns[::3])))
    ks = np.array([rng.integers(1, n + 1) for n in ns])
    ks[::4] = 1
    got = tt.pass_at_k(ns, cs, ks)  # vectorised over all the cases at once
    for n, c, k, value in zip(ns, cs, ks, got, strict=True):
        exact = _exact_pass_at_k(int(n), int(c), int(k))
        if exact == 0:
            assert value == 0
        else:
            assert abs(value - float(exact)) <= 1e-12 * float(exact), (n, c, k)
        assert tt.pass_at_k(int(n), int(c), int(k)) == value  # the scalar path agrees with the vectorised one


def test_pass_at_k_chen_definition_and_worked_example():
    # Chen et al. 2021, Sec. 2.1: 1 - C(n-c, k) / C(n, k); the fact sheet's [D] example n=100, c=10, k=10
    assert tt.pass_at_k(100, 10, 10) == pytest.approx(float(_exact_pass_at_k(100, 10, 10)), rel=1e-14)
    assert round(tt.pass_at_k(100, 10, 10), 4) == 0.6695
    assert round(tt.plug_in_pass_at_k(100, 10, 10), 4) == 0.6513
    assert tt.pass_at_k(200, 0, 100) == 0 and tt.pass_at_k(200, 150, 51) == 1
    assert tt.pass_at_k(4, 2, 2) == pytest.approx(5 / 6, rel=1e-15)
    assert tt.pass_at_k(7, 3, 1) == pytest.approx(3 / 7, rel=1e-15)  # pass@1 is the share of correct samples


def test_pass_at_k_large_n_is_finite_and_monotone_in_k():
    k = np.arange(1, 10**6 + 1)
    for c in (1, 3, 1000, 999_999):
        values = tt.pass_at_k(10**6, c, k)
        assert np.all(np.isfinite(values)) and np.all(np.diff(values) >= 0)
        assert 0 <= values[0] <= values[-1] <= 1
    # a case where lgamma differences would lose digits: n = 1e6, c = 1, k = 1 gives exactly 1e-6
    assert tt.pass_at_k(10**6, 1, 1) == pytest.approx(1e-6, rel=1e-13)
    assert tt.pass_at_k(10**6, 1, 500_000) == pytest.approx(0.5, rel=1e-12)


def test_pass_at_k_is_unbiased_and_the_plug_in_is_not():
    # E over c ~ Binomial(n, p) of the estimator equals 1 - (1 - p)**k (Chen et al. 2021, Sec. 2.1)
    for p, n, k in ((0.02, 50, 10), (0.1, 100, 10), (0.3, 20, 15)):
        m = tt.estimator_moments(p, n, k)
        assert m.unbiased_mean == pytest.approx(1 - (1 - p) ** k, rel=1e-10)
        assert m.plug_in_mean < m.true - 1e-4  # biased low (Jensen)
        assert 0 < m.unbiased_sd < 0.5


def test_estimator_moments_against_monte_carlo():
    rng = np.random.default_rng(5)
    c = rng.binomial(100, 0.05, size=200_000)
    draws = tt.pass_at_k(100, c, 20)
    m = tt.estimator_moments(0.05, 100, 20)
    assert draws.mean() == pytest.approx(m.unbiased_mean, abs=3e-3)
    assert draws.std() == pytest.approx(m.unbiased_sd, rel=2e-2)


@pytest.mark.parametrize("arguments, name", [
    ((10, 11, 1), "c"), ((10, 3, 11), "k"), ((10, -1, 1), "c"), ((-5, 0, 1), "n"), ((0, 0, 1), "n"),
    ((10, 2.5, 1), "c"), ((10.5, 2, 1), "n"), ((10, 2, 0), "k"), ((math.nan, 2, 1), "n"), ((10, 2, math.nan), "k"),
    ((10, [1, math.nan], 1), "c"), ((10, 2, 1.5), "k"), ((np.array([5, 10]), np.array([6, 1]), 1), "c"),
])
def test_pass_at_k_bad_input_names_the_argument(arguments, name):
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        tt.pass_at_k(*arguments)


def test_pass_at_k_refuses_types():
    with pytest.raises(TypeError, match="n"):
        tt.pass_at_k("10", 1, 1)
    with pytest.raises(TypeError, match="c"):
        tt.pass_at_k(10, True, 1)


# -- coverage ------------------------------------------------------------------------------------
def test_coverage_law_form_and_inverse():
    law = tt.CoverageLaw(a=-1.2, b=-0.4)
    k = np.array([1.0, 10.0, 1000.0])
    np.testing.assert_allclose(np.log(law.coverage(k)), -1.2 * k**-0.4, rtol=1e-14)  # Brown et al., Eq. 2-3
    np.testing.assert_allclose(law.loss(k), -np.log(law.coverage(k)), rtol=1e-14)
    assert law.coverage(1) == pytest.approx(math.exp(-1.2))
    np.testing.assert_allclose(law.samples_for(law.coverage(k)), k, rtol=1e-10)
    assert np.all(np.diff(law.coverage(np.logspace(0, 6, 50))) > 0)


@pytest.mark.parametrize("a, b", [(1.0, -0.3), (-1.0, 0.2), (math.nan, -0.3), (-1.0, 0.0)])
def test_coverage_law_refuses_bad_constants(a, b):
    with pytest.raises(ValueError):
        tt.CoverageLaw(a, b)


def test_fit_coverage_recovers_an_exact_law_and_brown_grid():
    truth = tt.CoverageLaw(a=-2.3, b=-0.35)
    k = np.logspace(0, 4, 40)  # Brown et al. fit on 40 log-spaced values of k ([V-S])
    fitted = tt.fit_coverage(k, truth.coverage(k))
    assert fitted.a == pytest.approx(truth.a, rel=1e-10) and fitted.b == pytest.approx(truth.b, rel=1e-10)
    with pytest.raises(ValueError, match="coverage"):
        tt.fit_coverage(k, np.ones_like(k))
    with pytest.raises(ValueError, match="samples"):
        tt.fit_coverage([5.0, 5.0], [0.2, 0.3])
    with pytest.raises(ValueError, match="samples"):
        tt.fit_coverage([1.0, 2.0, 3.0], [0.2, 0.3])


def test_beta_failure_matches_exact_product_and_integration():
    # E[(1-p)^k] for p ~ Beta(a, b) equals prod_{j<k} (b + j) / (a + b + j): exact in fractions
    for a, b in ((Fraction(3, 10), Fraction(2)), (Fraction(1, 2), Fraction(1, 2)), (Fraction(2), Fraction(5))):
        difficulty = tt.BetaDifficulty(float(a), float(b))
        for k in (0, 1, 7, 60, 400):
            exact = math.prod((b + j) / (a + b + j) for j in range(k)) if k else Fraction(1)
            assert difficulty.failure(k) == pytest.approx(float(exact), rel=1e-11)
        density = stats.beta(float(a), float(b)).pdf
        quad, _ = integrate.quad(lambda p, pdf=density: (1 - p) ** 25 * pdf(p), 0, 1, limit=200)
        assert difficulty.coverage(25) == pytest.approx(1 - quad, rel=1e-7)


def test_beta_failure_tends_to_a_power_law_with_exponent_alpha():
    difficulty = tt.BetaDifficulty(0.3, 2.0)
    k = np.array([1e4, 1e6])
    np.testing.assert_allclose(difficulty.failure(k), difficulty.failure_asymptote(k), rtol=2e-4)
    fitted = tt.fit_coverage(np.logspace(6, 8, 20), difficulty.coverage(np.logspace(6, 8, 20)))
    assert fitted.b == pytest.approx(-0.3, rel=1e-2)  # the coverage law's exponent is -alpha far out


def test_beta_from_mean_and_sampling():
    difficulty = tt.BetaDifficulty.from_mean(0.2, concentration=1.5)
    assert difficulty.mean == pytest.approx(0.2) and difficulty.alpha + difficulty.beta == pytest.approx(1.5)
    p = difficulty.sample(200_000, seed=3)
    assert p.mean() == pytest.approx(0.2, abs=3e-3)
    assert np.array_equal(p[:5], difficulty.sample(200_000, seed=3)[:5])
    with pytest.raises(ValueError, match="mean"):
        tt.BetaDifficulty.from_mean(1.0)
    with pytest.raises(ValueError, match="alpha"):
        tt.BetaDifficulty(0.0, 1.0)


def test_simulated_coverage_agrees_with_the_exact_mixture():
    difficulty = tt.BetaDifficulty(0.4, 1.6)
    p = difficulty.sample(40_000, seed=1)
    k = np.array([1, 3, 30, 300])
    exact = difficulty.coverage(k)
    np.testing.assert_allclose(tt.simulate_coverage(p, k, seed=2), exact, atol=0.01)
    table = tt.simulate_samples(p[:10_000], 300, seed=4)
    np.testing.assert_allclose(tt.coverage_from_samples(table, k), exact, atol=0.02)
    # per problem, coverage is 1 - (1 - p)^k: the brute-force loop over the drawn samples
    brute = [np.mean([row[:kk].any() for row in table]) for kk in (1, 30)]
    np.testing.assert_allclose(tt.coverage_from_samples(table, [1, 30]), brute)


# -- selecting an answer ---------------------------------------------------------------------------
def test_majority_vote_matches_brute_force_and_plateaus():
    p = np.array([0.05, 0.3, 0.6])
    shares = np.array([0.5, 0.3, 0.2])
    rng = np.random.default_rng(9)
    # brute force: draw every answer of 15 samples, count the votes, break ties at random
    hits = np.zeros(3)
    for _ in range(20_000):
        for i, pi in enumerate(p):
            answers = rng.choice(4, size=15, p=np.r_[pi, (1 - pi) * shares])
            votes = np.bincount(answers, minlength=4)
            leaders = np.flatnonzero(votes == votes.max())
            hits[i] += (0 in leaders) / len(leaders)
    simulated = [tt.simulate_majority_vote([pi] * 20_000, [15], wrong_shares=shares, seed=1)[0] for pi in p]
    np.testing.assert_allclose(simulated, hits / 20_000, atol=0.015)
    # the limit: the correct answer wins iff it is the most likely single answer
    np.testing.assert_array_equal(tt.majority_vote_limit(p, wrong_shares=shares), [0.0, 0.0, 1.0])
    far = tt.simulate_majority_vote(p, [5000], wrong_shares=shares, seed=0)[0]
    assert far == pytest.approx(1 / 3)


def test_best_of_n_exact_formula_against_simulation_and_limits():
    p = np.array([0.02, 0.2, 0.7])
    for t, f in ((0.9, 0.05), (1.0, 0.0), (0.8, 0.3)):
        for n in (1, 8, 64):
            exact = tt.best_of_n_accuracy(p, n, true_positive_rate=t, false_positive_rate=f)
            simulated = [tt.simulate_best_of_n(np.full(50_000, pi), [n], true_positive_rate=t, false_positive_rate=f,
                                               seed=n)[0] for pi in p]
            np.testing.assert_allclose(simulated, exact, atol=0.01)
    # one sample: the verifier cannot help
    np.testing.assert_allclose(tt.best_of_n_accuracy(p, 1, true_positive_rate=0.9, false_positive_rate=0.05), p)
    # a perfect verifier turns best-of-N into coverage; a leaky one plateaus at its precision
    np.testing.assert_allclose(tt.best_of_n_accuracy(p, 50, true_positive_rate=1.0, false_positive_rate=0.0),
                               tt.pass_at_k_given_p(p, 50), rtol=1e-12)
    precision = 0.02 * 0.9 / (0.02 * 0.9 + 0.98 * 0.05)
    assert tt.best_of_n_accuracy(0.02, 1e6, true_positive_rate=0.9, false_positive_rate=0.05) == pytest.approx(
        precision, rel=1e-9)


# -- compute -------------------------------------------------------------------------------------
def test_query_and_matched_compute_use_2n_per_token():
    assert tt.query_flops(8e9, 500, samples=4, prompt_tokens=200) == compute.inference_flops(8e9, 2200)
    assert tt.samples_at_matched_compute(1e9, 14e9) == pytest.approx(14)
    assert tt.samples_at_matched_compute(8e9, 70e9, small_tokens=1000, large_tokens=500) == pytest.approx(70 / 16)


def test_reasoning_flops_against_a_token_by_token_loop():
    n, layers, width, prompt, length = 8e9, 32, 4096, 300, 2000
    loop = sum(compute.forward_flops_per_token(n, layers, prompt + t, width) for t in range(1, length + 1))
    assert tt.reasoning_flops(n, length, n_layers=layers, d_attn=width, prompt_tokens=prompt) == pytest.approx(
        loop, rel=1e-12)
    assert tt.reasoning_flops(n, 0, n_layers=layers, d_attn=width) == 0


def test_lifetime_break_even_queries_by_brute_force():
    small, large = (8e9, 15e12), (70e9, 15e12)
    queries = tt.lifetime_break_even_queries(*small, *large, samples=16, generated_tokens=1000)
    def life(params, tokens, k, q):
        return compute.training_flops(params, tokens) + q * compute.inference_flops(params, k * 1000)
    assert life(*small, 16, queries) == pytest.approx(life(*large, 1, queries), rel=1e-12)
    assert life(*small, 16, 2 * queries) > life(*large, 1, 2 * queries)  # beyond it the large model is cheaper
    assert tt.lifetime_break_even_queries(*small, *large, samples=8, generated_tokens=1000) == math.inf
    np.testing.assert_allclose(
        tt.lifetime_break_even_queries(*small, *large, samples=np.array([16, 32]), generated_tokens=1000)[0], queries)


def test_skill_model_shift_is_consistent():
    skill = tt.SkillModel(per_decade=1.5)
    d = np.array([-2.0, 0.0, 3.0])
    small = skill.success_probability(1e9, d)
    np.testing.assert_allclose(skill.shift(small, 14.0), skill.success_probability(14e9, d), rtol=1e-12)
    assert np.all(skill.success_probability(14e9, d) > small)
    with pytest.raises(ValueError, match="per_decade"):
        tt.SkillModel(per_decade=0.0)


# -- published numbers ---------------------------------------------------------------------------
def test_published_headlines():
    # Chen et al. 2021, abstract: 28.8% of HumanEval with one sample, 70.2% with 100 samples per problem
    assert (tt.CHEN_2021_CODEX_PASS_AT_1, tt.CHEN_2021_CODEX_SOLVED_AT_100) == (0.288, 0.702)
    # Brown et al. 2024, abstract: SWE-bench Lite 15.9% -> 56% with 250 samples; single-sample SOTA 43%
    assert tt.BROWN_2024_SWE_BENCH_LITE == {1: 0.159, 250: 0.56}
    assert tt.BROWN_2024_SWE_BENCH_LITE_SINGLE_SAMPLE_SOTA == 0.43
    # Snell et al. 2024, abstract: "more than 4x" efficiency; outperforms "a 14x larger model"
    assert (tt.SNELL_2024_EFFICIENCY_GAIN, tt.SNELL_2024_LARGER_MODEL_FACTOR) == (4.0, 14.0)


def test_a_single_beta_difficulty_cannot_hold_both_codex_numbers_exactly_by_accident():
    # Codex: 28.8% at one sample and 70.2% at 100 (abstract). A Beta mixture of mean 0.288 reaches 0.702 at 100
    # samples for exactly one concentration: find it, and check the law then rises monotonically between them.
    from scipy.optimize import brentq

    def gap(log_kappa):
        return tt.BetaDifficulty.from_mean(0.288, math.exp(log_kappa)).coverage(100) - 0.702

    kappa = math.exp(brentq(gap, math.log(0.05), math.log(50)))
    difficulty = tt.BetaDifficulty.from_mean(0.288, kappa)
    assert difficulty.coverage(1) == pytest.approx(0.288) and difficulty.coverage(100) == pytest.approx(0.702)
    assert 0.1 < difficulty.alpha < 0.5  # a heavy tail of hard problems


def test_simulation_speed():  # issue target: 10,000 problems x 1,000 samples in under 1 s
    p = tt.BetaDifficulty(0.3, 2.0).sample(10_000, seed=0)
    start = time.perf_counter()
    table = tt.simulate_samples(p, 1000, seed=1)
    tt.coverage_from_samples(table, np.arange(1, 1001))
    assert time.perf_counter() - start < 2.0  # margin for a loaded test machine


@pytest.mark.parametrize("call, name", [
    (lambda: tt.pass_at_k_given_p(1.5, 3), "p"),
    (lambda: tt.best_of_n_accuracy(0.3, 4, true_positive_rate=0.0, false_positive_rate=0.1), "true_positive_rate"),
    (lambda: tt.best_of_n_accuracy(0.3, 4, true_positive_rate=0.9, false_positive_rate=-0.1), "false_positive_rate"),
    (lambda: tt.simulate_coverage([0.2, math.nan], [1, 2]), "p"),
    (lambda: tt.simulate_coverage([0.2], [0, 2]), "samples"),
    (lambda: tt.simulate_majority_vote([0.2], [3], wrong_shares=[0.5, -0.5]), "wrong_shares"),
    (lambda: tt.query_flops(8e9, 100, samples=0), "samples"),
    (lambda: tt.reasoning_flops(8e9, -1, n_layers=32, d_attn=4096), "reasoning_tokens"),
    (lambda: tt.estimator_moments(0.2, 10, 11), "k"),
    (lambda: tt.BetaDifficulty(1, 1).sample(0), "n_problems"),
    (lambda: tt.coverage_from_samples(np.ones((3, 4), bool), [5]), "samples"),
])
def test_other_bad_input_names_the_argument(call, name):
    with pytest.raises((ValueError, TypeError), match=name):
        call()
