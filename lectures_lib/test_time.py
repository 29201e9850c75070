"""Test-time compute: spending FLOPs when answering, by drawing more samples or reasoning longer.

* **pass@k.** The unbiased estimator of Chen et al. 2021 ("Evaluating Large Language Models Trained on
  Code", arXiv 2107.03374, Sec. 2.1): from n samples of which c are correct, pass@k is estimated by
  1 - C(n - c, k) / C(n, k). :func:`pass_at_k` evaluates it as a product of ratios (the form of the
  authors' released code) in logarithms, so it stays exact for n in the millions.
* **Coverage.** Brown et al. 2024 ("Large Language Monkeys", arXiv 2407.21787, Sec. 3.1, Eq. 2-3) model the
  fraction of problems solved by at least one of k samples as log c = a k**b (:class:`CoverageLaw`).
  A Beta distribution of per-problem success probabilities gives the exact expected coverage
  1 - E[(1 - p)**k] (:class:`BetaDifficulty`); its failure rate falls as a power law k**-alpha, the
  mechanism Schaeffer et al. 2025 (arXiv 2502.17578) identify: a heavy tail of very hard problems.
* **Selecting an answer.** Seeded simulators of majority voting and of best-of-N with an imperfect
  verifier, and the exact best-of-N accuracy of a verifier with given true- and false-positive rates.
* **Cost.** Every FLOP goes through :func:`lectures_lib.compute.inference_flops` (2N per token) and
  :func:`lectures_lib.compute.training_flops`; :func:`lifetime_break_even_queries` compares sampling from a
  small model with answering once from a large one over a model's life, as chapter 3 does for serving.

Published numbers carry their paper's name and status tag from the course's fact sheet: [V-A] checked against
the abstract, [V-S] seen only in secondary sources (quote those as "reported", never pin them as published).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from scipy.special import gammaln

from . import _validate as v
from ._validate import ArrayLike
from .compute import inference_flops, training_flops

# ------------------------------------------------------------------------------------------------
# Published numbers
# ------------------------------------------------------------------------------------------------
#: Chen et al. 2021, abstract [V-A]: Codex solves 28.8% of HumanEval's problems with one sample.
CHEN_2021_CODEX_PASS_AT_1: float = 0.288
#: Chen et al. 2021, abstract [V-A]: with 100 samples per problem, 70.2% of the problems get a working solution.
CHEN_2021_CODEX_SOLVED_AT_100: float = 0.702
#: Brown et al. 2024, abstract [V-A]: DeepSeek-Coder-V2-Instruct on SWE-bench Lite, issues solved with
#: 1 and with 250 samples.
BROWN_2024_SWE_BENCH_LITE: dict[int, float] = {1: 0.159, 250: 0.56}
#: Brown et al. 2024, abstract [V-A]: the single-sample state of the art on SWE-bench Lite at the time.
BROWN_2024_SWE_BENCH_LITE_SINGLE_SAMPLE_SOTA: float = 0.43
#: Brown et al. 2024, Llama-3-8B-Instruct on MATH: coverage at 100 and 10,000 samples. [V-S] secondary:
#: reported in the paper's body, seen by us only in secondary sources; never a published value in a check.
BROWN_2024_MATH_COVERAGE: dict[int, float] = {100: 0.829, 10_000: 0.9844}
#: Brown et al. 2024, the same runs: majority-vote accuracy at 100 and 10,000 samples. [V-S] secondary, as above.
BROWN_2024_MATH_MAJORITY_VOTE: dict[int, float] = {100: 0.4050, 10_000: 0.4141}
#: Snell et al. 2024 ("Scaling LLM Test-Time Compute Optimally can be More Effective than Scaling Model
#: Parameters", arXiv 2408.03314), abstract [V-A]: compute-optimal allocation is "more than 4x" as efficient
#: as a best-of-N baseline.
SNELL_2024_EFFICIENCY_GAIN: float = 4.0
#: Snell et al. 2024, abstract [V-A]: FLOPs-matched, test-time compute on a small model can outperform a model
#: 14 times larger, on problems where the small model has a non-trivial success rate.
SNELL_2024_LARGER_MODEL_FACTOR: float = 14.0
#: Snell et al. 2024, ratios R of inference to pre-training tokens in the FLOPs-matched comparison.
#: [V-S] secondary only.
SNELL_2024_INFERENCE_TO_PRETRAINING_RATIOS: tuple[float, ...] = (0.16, 0.79, 22.0)

#: How the wrong answers of :func:`simulate_majority_vote` split the probability of a wrong sample, by
#: default: four distinct wrong answers with weights 1, 1/2, 1/3, 1/4 (an assumption of this course).
DEFAULT_WRONG_SHARES: tuple[float, ...] = tuple(np.array([1, 1 / 2, 1 / 3, 1 / 4]) / sum([1, 1 / 2, 1 / 3, 1 / 4]))


# ------------------------------------------------------------------------------------------------
# pass@k
# ------------------------------------------------------------------------------------------------
def _counts(value: object, name: str, minimum: int) -> np.ndarray:
    """Whole numbers >= ``minimum`` as a float array (exact up to 2**53); NaN, fractions and negatives refused."""
    array = v.finite(value, name)
    if (array != np.floor(array)).any():
        bad = array[array != np.floor(array)].flat[0]
        raise ValueError(f"{name} must hold whole numbers (counts of samples), got {bad:g}")
    if (array < minimum).any():
        raise ValueError(f"{name} must be a whole number >= {minimum}, got {array[array < minimum].flat[0]:g}")
    if (array > 2.0**53).any():
        raise ValueError(f"{name} must be at most 2**53 so that it is exact in floating point")
    return array


def _checked_n_c_k(n: ArrayLike, c: ArrayLike, k: ArrayLike, *, k_above_n: bool = False
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n_, c_, k_ = np.broadcast_arrays(_counts(n, "n", 1), _counts(c, "c", 0), _counts(k, "k", 1))
    if (c_ > n_).any():
        i = np.flatnonzero(c_ > n_)[0]
        raise ValueError(f"c must lie in [0, n] (correct samples among n), got c = {c_.flat[i]:g} > "
                         f"n = {n_.flat[i]:g}")
    if not k_above_n and (k_ > n_).any():
        i = np.flatnonzero(k_ > n_)[0]
        raise ValueError(f"k must lie in [1, n] (k samples are drawn from the n), got k = {k_.flat[i]:g} > "
                         f"n = {n_.flat[i]:g}")
    return n_, c_, k_


def pass_at_k(n: ArrayLike, c: ArrayLike, k: ArrayLike) -> float | np.ndarray:
    """Unbiased estimate of pass@k from ``n`` samples of which ``c`` are correct: 1 - C(n-c, k) / C(n, k).

    Chen et al. 2021, arXiv 2107.03374, Sec. 2.1 (their released code computes the ratio as the product
    prod_{i=n-c+1}^{n} (1 - k / i)). Here the ratio is the product of (n - c - i) / (n - i) for i < k,
    summed as log1p(-c / (n - i)) and turned back with expm1, so no large binomial coefficient is formed
    and the result is accurate to a few units in the last place for any n up to 2**53. It is 1 when
    n - c < k (every draw of k contains a correct sample) and 0 when c = 0. Vectorised: the arguments
    broadcast; whole numbers with 0 <= c <= n and 1 <= k <= n, else ``ValueError`` naming the argument.
    """
    n_, c_, k_ = _checked_n_c_k(n, c, k)
    result = np.ones(n_.shape)
    result[c_ == 0] = 0.0
    active = (c_ > 0) & (n_ - c_ >= k_)
    if active.any():
        n_a, c_a, k_a = n_[active], c_[active], k_[active].astype(np.int64)
        order = np.lexsort((c_a, n_a))  # group the cases by their (n, c) pair
        n_s, c_s = n_a[order], c_a[order]
        starts = np.flatnonzero(np.r_[True, (np.diff(n_s) != 0) | (np.diff(c_s) != 0)])
        ends = np.r_[starts[1:], order.size]
        values = np.empty(order.size)
        for start, end in zip(starts, ends, strict=True):
            members = order[start:end]
            nn, cc = n_s[start], c_s[start]
            depth = int(k_a[members].max())
            log_ratio = np.cumsum(np.log1p(-cc / (nn - np.arange(depth))))
            values[members] = -np.expm1(log_ratio[k_a[members] - 1])
        result[active] = values
    return v.scalar_or_array(result)


def plug_in_pass_at_k(n: ArrayLike, c: ArrayLike, k: ArrayLike) -> float | np.ndarray:
    """The naive plug-in estimate 1 - (1 - c/n)**k: the success rate c/n put into the formula for known p.

    Biased low (Jensen: 1 - (1 - p)**k is concave in p), most for small n and large k; Chen et al. 2021,
    Sec. 2.1 note the bias. ``k`` may exceed ``n`` here (the formula extrapolates).
    """
    n_, c_, k_ = _checked_n_c_k(n, c, k, k_above_n=True)
    with np.errstate(divide="ignore"):
        return v.scalar_or_array(-np.expm1(k_ * np.log1p(-c_ / n_)))


def pass_at_k_given_p(p: ArrayLike, k: ArrayLike) -> float | np.ndarray:
    """The true pass@k of a problem solved by one sample with probability ``p``: 1 - (1 - p)**k (k > 0)."""
    prob = v.in_range(p, "p", 0.0, 1.0)
    samples = v.positive(k, "k")
    with np.errstate(divide="ignore"):
        return v.scalar_or_array(-np.expm1(samples * np.log1p(-prob)))


class EstimatorMoments(NamedTuple):
    """Exact mean and standard deviation of the two pass@k estimators for one problem (see
    :func:`estimator_moments`), and the true value they estimate."""

    true: float
    unbiased_mean: float
    unbiased_sd: float
    plug_in_mean: float
    plug_in_sd: float


def estimator_moments(p: float, n: int, k: int) -> EstimatorMoments:
    """Mean and standard deviation of :func:`pass_at_k` and :func:`plug_in_pass_at_k` when the ``n``
    samples of a problem with success probability ``p`` give c ~ Binomial(n, p) correct ones.

    Exact sums over c = 0..n. The unbiased estimator's mean equals 1 - (1 - p)**k (Chen et al. 2021,
    Sec. 2.1); the plug-in's mean is lower.
    """
    from scipy.stats import binom

    prob = v.scalar(p, "p", v.in_range, 0.0, 1.0)
    n_ = v.positive_int(n, "n")
    k_ = v.positive_int(k, "k")
    if k_ > n_:
        raise ValueError(f"k must lie in [1, n], got k = {k_} > n = {n_}")
    c = np.arange(n_ + 1)
    weight = binom.pmf(c, n_, prob)
    moments = []
    for estimate in (pass_at_k(n_, c, k_), plug_in_pass_at_k(n_, c, k_)):
        mean = float(weight @ estimate)
        moments += [mean, float(np.sqrt(max(weight @ (estimate - mean) ** 2, 0.0)))]
    return EstimatorMoments(float(pass_at_k_given_p(prob, k_)), *moments)


# ------------------------------------------------------------------------------------------------
# Coverage
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CoverageLaw:
    """Brown et al. 2024, Sec. 3.1, Eq. 2-3 (equation form [V-S]): coverage after k samples,
    log c(k) = a k**b, i.e. c(k) = exp(a k**b), with a < 0 and b < 0 so that c rises towards 1.

    c(1) = exp(a) is the single-sample accuracy; -log c = -a k**b is a plain power law in k (its
    :meth:`loss`), the form in which chapter 0's tools apply.
    """

    a: float
    b: float

    def __post_init__(self) -> None:
        if not v.scalar(self.a, "a", v.finite) < 0:
            raise ValueError(f"a must be < 0 (log coverage at one sample), got {self.a!r}")
        if not v.scalar(self.b, "b", v.finite) < 0:
            raise ValueError(f"b must be < 0 (coverage rises with the samples), got {self.b!r}")

    def loss(self, samples: ArrayLike) -> float | np.ndarray:
        """-log c(k) = -a k**b, the 'coverage loss': a power law in the number of samples k."""
        k = v.positive(samples, "samples")
        return v.scalar_or_array(-self.a * k**self.b)

    def coverage(self, samples: ArrayLike) -> float | np.ndarray:
        """Coverage exp(a k**b) after ``samples`` samples per problem."""
        k = v.positive(samples, "samples")
        return v.scalar_or_array(np.exp(self.a * k**self.b))

    def samples_for(self, coverage: ArrayLike) -> float | np.ndarray:
        """Samples per problem at which the law reaches ``coverage`` (in [exp(a), 1)): (log c / a)**(1 / b)."""
        c = v.in_range(coverage, "coverage", float(np.exp(self.a)), 1.0)
        if (c >= 1).any():
            raise ValueError("coverage must be below 1: the law reaches 1 only after infinitely many samples")
        return v.scalar_or_array((np.log(c) / self.a) ** (1 / self.b))


def fit_coverage(samples: ArrayLike, coverage: ArrayLike) -> CoverageLaw:
    """Fit log c = a k**b by least squares on log(-log c) = log(-a) + b log k (deterministic, closed form).

    Brown et al. 2024 fit the same law with SciPy's ``curve_fit`` on 40 log-spaced values of k ([V-S]); a
    straight line in these coordinates weights each point by its relative error in -log c instead, which
    gives more weight to the points near full coverage. Needs at least two distinct ``samples`` and every
    coverage strictly between 0 and 1.
    """
    k = v.one_dimensional(v.positive(samples, "samples"), "samples", 2)
    c = v.one_dimensional(v.in_range(coverage, "coverage", 0.0, 1.0, low_open=True), "coverage", 2)
    v.same_length("samples", k, "coverage", c)
    if (c >= 1).any():
        raise ValueError("coverage must be below 1 at every point: log(-log c) is undefined at full coverage")
    if np.unique(k).size < 2:
        raise ValueError("samples needs at least two distinct values to fit an exponent")
    slope, intercept = np.polyfit(np.log(k), np.log(-np.log(c)), 1)
    if slope >= 0:
        raise ValueError("the data do not rise with the samples: the fitted exponent b is not negative")
    return CoverageLaw(a=-float(np.exp(intercept)), b=float(slope))


@dataclass(frozen=True)
class BetaDifficulty:
    """Per-problem success probabilities p ~ Beta(alpha, beta): a mixture of easy and hard problems.

    Its expected coverage after k samples is exact: 1 - E[(1 - p)**k] = 1 - B(alpha, beta + k) / B(alpha, beta)
    (a Beta-function identity). For large k the failure rate 1 - c(k) falls as Gamma(alpha + beta) / Gamma(beta)
    k**-alpha: the density of hard problems near p = 0, p**(alpha - 1), sets the exponent (Schaeffer et al.
    2025, arXiv 2502.17578, make the same argument for measured benchmarks).
    """

    alpha: float
    beta: float

    def __post_init__(self) -> None:
        for name in ("alpha", "beta"):
            v.scalar(getattr(self, name), name)  # a Beta shape parameter: a single finite number > 0

    @classmethod
    def from_mean(cls, mean: float, concentration: float = 1.0) -> BetaDifficulty:
        """The Beta distribution of mean ``mean`` (the single-sample accuracy) and alpha + beta = ``concentration``."""
        m = v.scalar(mean, "mean", v.in_range, 0.0, 1.0, low_open=True)
        if m >= 1:
            raise ValueError("mean must lie strictly between 0 and 1")
        kappa = v.scalar(concentration, "concentration")
        return cls(m * kappa, (1 - m) * kappa)

    @property
    def mean(self) -> float:
        """Expected single-sample accuracy, alpha / (alpha + beta)."""
        return self.alpha / (self.alpha + self.beta)

    def failure(self, samples: ArrayLike) -> float | np.ndarray:
        """E[(1 - p)**k] = B(alpha, beta + k) / B(alpha, beta): the share of problems no sample solves."""
        k = v.non_negative(samples, "samples")
        a, b = self.alpha, self.beta
        return v.scalar_or_array(np.exp(gammaln(b + k) - gammaln(b) + gammaln(a + b) - gammaln(a + b + k)))

    def coverage(self, samples: ArrayLike) -> float | np.ndarray:
        """Expected coverage 1 - E[(1 - p)**k] after ``samples`` samples per problem."""
        return v.scalar_or_array(1 - np.asarray(self.failure(samples)))

    def failure_asymptote(self, samples: ArrayLike) -> float | np.ndarray:
        """The large-k form of :meth:`failure`: Gamma(alpha + beta) / Gamma(beta) k**-alpha."""
        k = v.positive(samples, "samples")
        a, b = self.alpha, self.beta
        return v.scalar_or_array(np.exp(gammaln(a + b) - gammaln(b)) * k ** (-a))

    def sample(self, n_problems: int, *, seed: int = 0) -> np.ndarray:
        """``n_problems`` success probabilities drawn with numpy's generator seeded by ``seed``."""
        count = v.positive_int(n_problems, "n_problems")
        return np.random.default_rng(v.seed(seed)).beta(self.alpha, self.beta, count)


# ------------------------------------------------------------------------------------------------
# Seeded simulators
# ------------------------------------------------------------------------------------------------
def _probabilities(p: ArrayLike) -> np.ndarray:
    return np.atleast_1d(v.in_range(p, "p", 0.0, 1.0))


def _sample_grid(samples: ArrayLike) -> np.ndarray:
    k = np.atleast_1d(_counts(samples, "samples", 1))
    return v.one_dimensional(k, "samples", 1).astype(np.int64)


def simulate_samples(p: ArrayLike, n_samples: int, *, seed: int = 0) -> np.ndarray:
    """Correctness of ``n_samples`` independent samples for each problem of success probability ``p``:
    a boolean array (problems x samples). Seeded; 10,000 x 1,000 takes a fraction of a second."""
    prob = _probabilities(p)
    count = v.positive_int(n_samples, "n_samples")
    rng = np.random.default_rng(v.seed(seed))
    return rng.random((prob.size, count), dtype=np.float32) < prob[:, None].astype(np.float32)


def coverage_from_samples(correct: np.ndarray, samples: ArrayLike) -> np.ndarray:
    """Coverage of a boolean (problems x samples) array: the share of problems with a correct sample among
    the first k, for each k in ``samples`` (the prefixes are nested, as in a real run)."""
    table = np.asarray(correct)
    if table.ndim != 2 or table.dtype != bool:
        raise ValueError("correct must be a 2-D boolean array (problems x samples)")
    k = _sample_grid(samples)
    if k.max() > table.shape[1]:
        raise ValueError(f"samples must not exceed the {table.shape[1]} samples drawn, got {k.max()}")
    first = np.where(table.any(axis=1), table.argmax(axis=1) + 1, np.iinfo(np.int64).max)
    return np.searchsorted(np.sort(first), k, side="right") / table.shape[0]


def simulate_coverage(p: ArrayLike, samples: ArrayLike, *, seed: int = 0) -> np.ndarray:
    """Simulated coverage after each k in ``samples``: the index of each problem's first correct sample is
    geometric with parameter p, so this draws one number per problem (the same law as drawing every sample)."""
    prob = _probabilities(p)
    k = _sample_grid(samples)
    rng = np.random.default_rng(v.seed(seed))
    first = np.full(prob.size, np.inf)
    solvable = prob > 0
    first[solvable] = rng.geometric(prob[solvable])
    return np.searchsorted(np.sort(first), k, side="right") / prob.size


def simulate_majority_vote(p: ArrayLike, samples: ArrayLike, *, wrong_shares: ArrayLike = DEFAULT_WRONG_SHARES,
                           seed: int = 0) -> np.ndarray:
    """Accuracy of majority voting (self-consistency) over k samples, for each k in ``samples``.

    A sample is the correct answer with probability p, else one of the wrong answers with probabilities
    (1 - p) * ``wrong_shares`` (normalised). The vote is right when the correct answer has strictly the
    most votes; a tie among the leaders is broken at random (counted as its expected value). Seeded.
    """
    prob = _probabilities(p)
    shares = v.one_dimensional(np.atleast_1d(v.positive(wrong_shares, "wrong_shares")), "wrong_shares", 1)
    shares = shares / shares.sum()
    k = _sample_grid(samples)
    rng = np.random.default_rng(v.seed(seed))
    pvals = np.column_stack([prob, (1 - prob)[:, None] * shares[None, :]])
    pvals /= pvals.sum(axis=1, keepdims=True)
    accuracy = np.empty(k.size)
    for i, draws in enumerate(k):
        counts = rng.multinomial(draws, pvals)
        right, top_wrong = counts[:, 0], counts[:, 1:].max(axis=1)
        tied = 1 + (counts[:, 1:] == right[:, None]).sum(axis=1)
        score = np.where(right > top_wrong, 1.0, np.where((right == top_wrong) & (right > 0), 1.0 / tied, 0.0))
        accuracy[i] = score.mean()
    return accuracy


def majority_vote_limit(p: ArrayLike, *, wrong_shares: ArrayLike = DEFAULT_WRONG_SHARES) -> float | np.ndarray:
    """Accuracy of majority voting over infinitely many samples, per problem: 1 if the correct answer is the
    most likely single answer (p > (1 - p) max share), 0 if a wrong answer is, 1/2 at a tie of two."""
    prob = v.in_range(p, "p", 0.0, 1.0)
    shares = v.one_dimensional(np.atleast_1d(v.positive(wrong_shares, "wrong_shares")), "wrong_shares", 1)
    top = (1 - prob) * shares.max() / shares.sum()
    return v.scalar_or_array(np.where(prob > top, 1.0, np.where(prob == top, 0.5, 0.0)))


def best_of_n_accuracy(p: ArrayLike, samples: ArrayLike, *, true_positive_rate: float,
                       false_positive_rate: float) -> float | np.ndarray:
    """Exact accuracy of best-of-N with a binary verifier, per problem of success probability ``p``.

    The verifier accepts a correct sample with probability ``true_positive_rate`` and a wrong one with
    ``false_positive_rate``; the answer is a random accepted sample, or a random sample when none is
    accepted. With z = 1 - p t - (1 - p) f the chance that a sample is rejected, the accuracy is
    (1 - z**N) p t / (p t + (1 - p) f) + z**N p (1 - t) / z: as N grows it tends to the verifier's
    precision on that problem, p t / (p t + (1 - p) f), not to 1. Arrays broadcast.
    """
    prob = v.in_range(p, "p", 0.0, 1.0)
    n = v.positive(samples, "samples")
    t = v.scalar(true_positive_rate, "true_positive_rate", v.in_range, 0.0, 1.0, low_open=True)
    f = v.scalar(false_positive_rate, "false_positive_rate", v.in_range, 0.0, 1.0)
    accepted = prob * t + (1 - prob) * f
    precision = np.divide(prob * t, accepted, out=np.zeros(np.broadcast(prob, accepted).shape), where=accepted > 0)
    rejected = 1 - accepted
    fallback = np.divide(prob * (1 - t), rejected, out=np.zeros(precision.shape), where=rejected > 0)
    none = rejected**n
    return v.scalar_or_array((1 - none) * precision + none * fallback)


def simulate_best_of_n(p: ArrayLike, samples: ArrayLike, *, true_positive_rate: float, false_positive_rate: float,
                       seed: int = 0) -> np.ndarray:
    """Simulated accuracy of best-of-N with a binary verifier (see :func:`best_of_n_accuracy`), averaged over
    the problems, for each N in ``samples``. Each sample is correct with probability p and is accepted with
    the verifier's rates; the expected value of a random pick among the accepted is counted. Seeded."""
    prob = _probabilities(p)
    k = _sample_grid(samples)
    t = v.scalar(true_positive_rate, "true_positive_rate", v.in_range, 0.0, 1.0, low_open=True)
    f = v.scalar(false_positive_rate, "false_positive_rate", v.in_range, 0.0, 1.0)
    rng = np.random.default_rng(v.seed(seed))
    pvals = np.column_stack([prob * t, (1 - prob) * f, prob * (1 - t), (1 - prob) * (1 - f)])
    pvals /= pvals.sum(axis=1, keepdims=True)
    accuracy = np.empty(k.size)
    for i, draws in enumerate(k):
        good, bad, missed, _ = rng.multinomial(draws, pvals).T
        accepted = good + bad
        score = np.where(accepted > 0, good / np.maximum(accepted, 1), missed / draws)
        accuracy[i] = score.mean()
    return accuracy


# ------------------------------------------------------------------------------------------------
# Compute
# ------------------------------------------------------------------------------------------------
def query_flops(n_params: ArrayLike, generated_tokens: ArrayLike, *, samples: ArrayLike = 1,
                prompt_tokens: ArrayLike = 0) -> float | np.ndarray:
    """FLOPs to answer one query: the prompt read once and ``samples`` answers of ``generated_tokens`` each,
    at 2N per token (:func:`lectures_lib.compute.inference_flops`; attention over the context left out)."""
    k = v.positive(samples, "samples")
    tokens = v.non_negative(generated_tokens, "generated_tokens")
    prompt = v.non_negative(prompt_tokens, "prompt_tokens")
    return inference_flops(n_params, prompt + k * tokens)


def samples_at_matched_compute(small_params: ArrayLike, large_params: ArrayLike, *,
                               small_tokens: ArrayLike = 1.0, large_tokens: ArrayLike = 1.0) -> float | np.ndarray:
    """How many samples of ``small_tokens`` tokens from the small model cost as many FLOPs as one answer of
    ``large_tokens`` from the large model: (2 N_large T_large) / (2 N_small T_small)."""
    return v.scalar_or_array(np.asarray(inference_flops(large_params, v.positive(large_tokens, "large_tokens")))
                             / np.asarray(inference_flops(small_params, v.positive(small_tokens, "small_tokens"))))


def reasoning_flops(n_params: ArrayLike, reasoning_tokens: ArrayLike, *, n_layers: float, d_attn: float,
                    prompt_tokens: ArrayLike = 0) -> float | np.ndarray:
    """Forward FLOPs to generate ``reasoning_tokens`` tokens after a prompt of ``prompt_tokens``, with the
    attention term: the t-th token costs 2N + 2 n_layers (P + t) d_attn (Kaplan et al. 2020, Eq. 2.2, as in
    :func:`lectures_lib.compute.forward_flops_per_token`), summed over t = 1..L in closed form:
    2 N L + 2 n_layers d_attn (P L + L (L + 1) / 2). The second term grows as the square of the length."""
    length = v.non_negative(reasoning_tokens, "reasoning_tokens")
    prompt = v.non_negative(prompt_tokens, "prompt_tokens")
    layers = v.scalar(n_layers, "n_layers")
    width = v.scalar(d_attn, "d_attn")
    n = v.positive(n_params, "n_params")
    linear = np.asarray(inference_flops(n, length))
    return v.scalar_or_array(linear + 2 * layers * width * (prompt * length + length * (length + 1) / 2))


def lifetime_break_even_queries(small_params: float, small_train_tokens: float, large_params: float,
                                large_train_tokens: float, *, samples: ArrayLike, generated_tokens: float,
                                prompt_tokens: float = 0.0) -> float | np.ndarray:
    """Queries after which answering once with the large model costs fewer lifetime FLOPs than drawing
    ``samples`` answers from the small one: training (6ND each) plus queries times :func:`query_flops`.

    With training costs T_s < T_l and query costs q_s > q_l the lifetimes cross at Q* = (T_l - T_s) / (q_s - q_l);
    the large model is cheaper beyond it. ``inf`` when the small model's queries are not dearer (it stays
    cheaper), 0 when the large model is also cheaper to train. As in chapter 3: test-time compute is paid on
    every query, training compute once.
    """
    train_small = np.asarray(training_flops(small_params, small_train_tokens))
    train_large = np.asarray(training_flops(large_params, large_train_tokens))
    q_small = np.asarray(query_flops(small_params, generated_tokens, samples=samples, prompt_tokens=prompt_tokens))
    q_large = np.asarray(query_flops(large_params, generated_tokens, prompt_tokens=prompt_tokens))
    extra_training = train_large - train_small
    extra_per_query = q_small - q_large
    with np.errstate(divide="ignore", invalid="ignore"):
        crossing = np.where(extra_per_query > 0, np.maximum(extra_training, 0) / extra_per_query, np.inf)
    return v.scalar_or_array(crossing)


@dataclass(frozen=True)
class SkillModel:
    """An illustrative link between model size, problem difficulty and success probability (an assumption of
    this course, not a published law): logit p = skill_at_reference + per_decade log10(N / reference_params)
    - difficulty. Each tenfold of parameters adds ``per_decade`` to the log-odds on every problem."""

    reference_params: float = 1e9
    skill_at_reference: float = 0.0
    per_decade: float = 1.5

    def __post_init__(self) -> None:
        v.scalar(self.reference_params, "reference_params")
        v.scalar(self.skill_at_reference, "skill_at_reference", v.finite)
        v.scalar(self.per_decade, "per_decade")  # > 0: larger models are better

    def success_probability(self, n_params: ArrayLike, difficulty: ArrayLike) -> float | np.ndarray:
        """Single-sample success probability of a model of ``n_params`` on problems of ``difficulty``."""
        n = v.positive(n_params, "n_params")
        d = v.finite(difficulty, "difficulty")
        logit = self.skill_at_reference + self.per_decade * np.log10(n / self.reference_params) - d
        return v.scalar_or_array(1 / (1 + np.exp(-logit)))

    def shift(self, p: ArrayLike, size_ratio: ArrayLike) -> float | np.ndarray:
        """Success probability of a model ``size_ratio`` times larger on a problem where this one has ``p``."""
        prob = v.in_range(p, "p", 0.0, 1.0)
        ratio = v.positive(size_ratio, "size_ratio")
        with np.errstate(divide="ignore"):
            logit = np.log(prob) - np.log1p(-prob) + self.per_decade * np.log10(ratio)
        return v.scalar_or_array(1 / (1 + np.exp(-logit)))


#: The skill model the chapter and its explorer use: +1.5 log-odds per tenfold of parameters (an assumption).
DEFAULT_SKILL = SkillModel()
