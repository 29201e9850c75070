"""Exercise 4: test-time compute. Questions and per-student parameters (no answers here)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..test_time import BetaDifficulty, simulate_coverage
from .core import Exercise, Question, draw_options, round_sig

#: Problems drawn for Question 3's simulated benchmark, and its sample counts (whole numbers, log-spaced).
Q3_PROBLEMS = 4000
Q3_SAMPLES = tuple(float(k) for k in np.unique(np.rint(np.logspace(0, 3, 32))))


def _q3(rng: np.random.Generator) -> dict[str, Any]:
    """A simulated benchmark: coverage of Beta-distributed problems (alpha, beta drawn per student, away from
    the chapter's Codex-matched 0.19 and 0.48) at log-spaced sample counts, and a budget ten times beyond."""
    alpha = 0.19
    while abs(alpha - 0.19) < 0.03:
        alpha = round(float(rng.uniform(0.12, 0.55)), 3)
    beta = round(float(rng.uniform(0.7, 3.0)), 2)
    p = BetaDifficulty(alpha, beta).sample(Q3_PROBLEMS, seed=int(rng.integers(2**31)))
    samples = np.array(Q3_SAMPLES)
    coverage = simulate_coverage(p, samples, seed=int(rng.integers(2**31)))
    return {"samples": samples, "coverage": coverage, "target_samples": 10_000.0}


def _bins(rng: np.random.Generator, count: int) -> tuple[np.ndarray, np.ndarray]:
    """``count`` difficulty bins: per-sample success probabilities from easy to hard, and their shares."""
    edges = np.geomspace(0.9, 0.002, count + 1)
    p = np.array([round(float(rng.uniform(lo, hi)), 4) for hi, lo in zip(edges[:-1], edges[1:], strict=True)])
    shares = np.round(rng.dirichlet(np.full(count, 3.0)), 2)
    shares[-1] = round(1 - shares[:-1].sum(), 2)
    while shares.min() < 0.05:  # keep every bin visible
        shares = np.round(rng.dirichlet(np.full(count, 3.0)), 2)
        shares[-1] = round(1 - shares[:-1].sum(), 2)
    return p, shares


def _q4(rng: np.random.Generator) -> dict[str, Any]:
    """Four difficulty bins, a verifier's rates and a number of samples for best-of-N."""
    p, shares = _bins(rng, 4)
    return {"p": p, "shares": shares, "true_positive_rate": round(float(rng.uniform(0.8, 0.98)), 2),
            "false_positive_rate": round(float(rng.uniform(0.01, 0.15)), 3),
            "n_samples": int(rng.choice([6, 12, 24, 40, 80]))}


def _q5(rng: np.random.Generator) -> dict[str, Any]:
    """A small model sampled k times against a larger one answering once (the chapter's 8B/70B/16 avoided)."""
    small = float(rng.choice([1.5e9, 3e9, 7e9, 13e9]))
    ratio = int(rng.choice([5, 6, 10, 12, 20]))
    tokens = float(round(rng.uniform(300, 3000), -1))
    return {"small_params": small, "small_train_tokens": round_sig(small * rng.uniform(60, 400)),
            "large_params": small * ratio, "large_train_tokens": round_sig(small * ratio * rng.uniform(20, 100)),
            "samples": int(round(ratio * rng.uniform(1.5, 3.0))), "generated_tokens": tokens,
            "prompt_tokens": float(round(tokens * rng.uniform(0.05, 0.4), -1))}


def _q6(rng: np.random.Generator) -> dict[str, Any]:
    """Three difficulty bins and a verifier; options for the accuracy best-of-N approaches as N grows: the right
    one and what common slips give (the precision at the mean p, or pooled over all problems; the
    single-sample accuracy; full coverage; the verifier taken as never missing a correct sample; the bins
    averaged without their shares; the false-positive rate applied to every sample). A draw whose slips fall
    too close together is drawn again."""
    while True:
        p, shares = _bins(rng, 3)
        t = round(float(rng.uniform(0.75, 0.95)), 2)
        f = round(float(rng.uniform(0.03, 0.2)), 2)

        def precision(q, hit=t, false_positives=f):
            return q * hit / (q * hit + (1 - q) * false_positives)

        mean_p = float(shares @ p)
        right = float(shares @ precision(p))
        slips = [precision(mean_p),                                                  # difficulty averaged first
                 float(shares @ (p * t)) / float(shares @ (p * t + (1 - p) * f)),     # accepted samples pooled
                 mean_p,                                                              # no selection at all
                 1.0,                                                                 # coverage: false positives
                 float(shares @ precision(p, 1.0)),                                   # no correct sample missed
                 float(np.mean(precision(p))),                                        # bins' shares ignored
                 float(shares @ (p * t / (p * t + f)))]                               # f applied to every sample
        try:
            options = draw_options(rng, right, slips, min_ratio=1.08)
        except ValueError:
            continue
        return {"p": p, "shares": shares, "true_positive_rate": t, "false_positive_rate": f, "options": options}


EXERCISE = Exercise(
    exercise_id="04_test_time_compute",
    title="Test-time compute",
    parameters={"q3": _q3, "q4": _q4, "q5": _q5, "q6": _q6},
    questions=(
        Question("q1", "the unbiased pass@k", 3, "implement", "pass_at_k",
                 visible_cases=((200, 10, 1), (200, 10, 50), (2000, 4, 900), (50, 45, 6),
                                (np.array([100, 2000, 30]), np.array([0, 5, 30]), np.array([10, 700, 3]))),
                 rtol=1e-9,
                 hint="1 - C(n-c, k) / C(n, k) is right, but the binomials overflow floating point for large n: "
                      "write the ratio as a product of k factors and sum their logarithms (np.log1p, np.expm1); "
                      "handle n - c < k and c = 0"),
        Question("q2", "samples for a target coverage", 2, "derive", "samples_for_coverage",
                 visible_cases=((0.3, 2.0, 0.9), (0.5, 0.5, 0.99), (np.array([0.2, 0.4]), 1.0, 0.95)),
                 rtol=1e-9,
                 hint="use the large-k form of the unsolved share, Gamma(alpha + beta) / Gamma(beta) k**-alpha, set "
                      "it equal to 1 - coverage and solve for k; scipy.special.gammaln keeps the Gammas finite"),
        Question("q3", "the coverage law, fitted", 3, "fit", "predicted_coverage", rtol=1e-6,
                 hint="fit a straight line to log(-log c) against log k (np.polyfit, degree 1): its slope is b and its "
                      "intercept log(-a); then evaluate exp(a k**b) at ex.q3.target_samples"),
        Question("q4", "best-of-N with a leaky verifier", 2, "compute", "verifier_accuracy", rtol=1e-6,
                 hint="per bin: the chance a sample is rejected is z = 1 - p t - (1 - p) f; if some sample is accepted "
                      "(probability 1 - z**N) the pick is right with the verifier's precision on that bin; if none is, "
                      "the answer is a random rejected sample"),
        Question("q5", "when the larger model pays off", 3, "compute", "break_even_queries", rtol=1e-6,
                 hint="write both lifetime costs, training (6ND) plus queries times FLOPs per query (2N per token, "
                      "the prompt read once per query), and find the number of queries where they are equal"),
        Question("q6", "where a verifier levels off", 2, "choose", "plateau_choice", options=4,
                 hint="as N grows some sample is accepted almost surely; average the verifier's precision over the "
                      "bins, each at its own p"),
        Question("q7", "choosing how to spend test-time compute", 2, "explain", "selection_advice"),
    ),
)
