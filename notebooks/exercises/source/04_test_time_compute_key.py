"""Answer key of exercise 4 (instructor material: the grader loads it with --source; never installed)."""

import numpy as np
from scipy.special import gammaln

from lectures_lib import test_time as tt
from lectures_lib.compute import inference_flops, training_flops
from lectures_lib.exercises.core import letter_of
from lectures_lib.exercises.ex04_test_time_compute import EXERCISE
from lectures_lib.exercises.key import Answer, Key


def _pass_at_k_cases(rng):
    cases = []
    for _ in range(6):
        n = int(rng.integers(1, 5000))
        c = int(rng.integers(0, min(n, 6) + 1)) if rng.random() < 0.5 else int(rng.integers(0, n + 1))
        cases.append((n, c, int(rng.integers(1, n + 1))))
    cases.append((10**6, 2, 400_000))
    n = rng.integers(10, 3000, size=5)
    cases.append((n, np.array([rng.integers(0, m + 1) for m in n]), np.array([rng.integers(1, m + 1) for m in n])))
    return cases


def _samples_for_coverage(alpha, beta, coverage):
    """k with Gamma(alpha + beta) / Gamma(beta) k**-alpha = 1 - coverage (the large-k form of the unsolved share)."""
    return np.exp((gammaln(alpha + beta) - gammaln(beta) - np.log(1 - coverage)) / alpha)


def _coverage_cases(rng):
    cases = [(float(rng.uniform(0.1, 0.8)), float(rng.uniform(0.3, 4.0)), float(rng.uniform(0.8, 0.995)))
             for _ in range(5)]
    cases.append((rng.uniform(0.1, 0.8, size=3), float(rng.uniform(0.3, 4.0)), 0.97))
    return cases


def _predicted_coverage(variant):
    """log(-log c) = log(-a) + b log k by least squares (np.polyfit, degree 1), then exp(a k**b) at the target."""
    q3 = variant.q3
    law = tt.fit_coverage(q3.samples, q3.coverage)
    return float(law.coverage(q3.target_samples))


def _verifier_accuracy(variant):
    q4 = variant.q4
    per_bin = tt.best_of_n_accuracy(q4.p, q4.n_samples, true_positive_rate=q4.true_positive_rate,
                                    false_positive_rate=q4.false_positive_rate)
    return float(q4.shares @ per_bin)


def _break_even_queries(variant):
    q5 = variant.q5
    extra_training = (training_flops(q5.large_params, q5.large_train_tokens)
                      - training_flops(q5.small_params, q5.small_train_tokens))
    small_query = inference_flops(q5.small_params, q5.prompt_tokens + q5.samples * q5.generated_tokens)
    large_query = inference_flops(q5.large_params, q5.prompt_tokens + q5.generated_tokens)
    return float(extra_training / (small_query - large_query))


def _plateau_letter(variant):
    q6 = variant.q6
    t, f = q6.true_positive_rate, q6.false_positive_rate
    right = float(q6.shares @ (q6.p * t / (q6.p * t + (1 - q6.p) * f)))
    return letter_of(q6.options, float(f"{right:.3g}"))


KEY = Key(EXERCISE, {
    "q1": Answer(tt.pass_at_k, _pass_at_k_cases, forbidden=("lectures_lib.test_time.pass_at_k",)),
    "q2": Answer(_samples_for_coverage, _coverage_cases,
                 forbidden=("*.failure_asymptote", "*.samples_for")),
    "q3": Answer(_predicted_coverage, forbidden=("lectures_lib.test_time.fit_coverage",)),
    "q4": Answer(_verifier_accuracy, forbidden=("lectures_lib.test_time.best_of_n_accuracy",
                                                "lectures_lib.test_time.simulate_best_of_n")),
    "q5": Answer(_break_even_queries, forbidden=("lectures_lib.test_time.lifetime_break_even_queries",
                                                 "lectures_lib.test_time.query_flops")),
    "q6": Answer(_plateau_letter, forbidden=("lectures_lib.test_time.best_of_n_accuracy",)),
    "q7": Answer(rubric=(
        "One point for a recommendation tied to the scenario's numbers: on the hard queries that matter, majority"
        " voting fails whenever the model's most common answer is wrong (it levels off at the share of problems "
        "whose most likely answer is right), so it is a poor choice there; a verifier lifts hard problems well "
        "above 3% but not near 100%: its plateau is the precision p t / (p t + (1 - p) f), high only when the "
        "false-positive rate is well below the success rate (here about 25% with 16 samples, 32% in the limit); a"
        " larger model at equal FLOPs per query is the safer choice if the verifier is fooled more on hard "
        "problems (the chapter's illustrative +1.5 log-odds per tenfold gives it about 16% here, not a measured "
        "value), and over a large volume of queries its extra training is repaid (name the break-even logic of "
        "Question 5). Half a point for a recommendation without the reason. One point for what to measure first, "
        "with why: the verifier's false-positive rate on hard problems (not on average), the distribution of "
        "difficulty of real traffic (how many queries are hard), the expected number of queries over the model's "
        "life, or latency/memory of k samples versus one larger model; half a point each, up to one. Also fair: "
        "adaptive allocation (few samples on easy queries, more or a larger model on hard ones), as Snell et al. "
        "found more efficient than uniform best-of-N.")),
})
