"""Answer key of exercise 7 (instructor material: the grader loads it with --source; never installed)."""

import numpy as np

from lectures_lib import repetition
from lectures_lib.exercises.core import letter_of
from lectures_lib.exercises.ex07_why_power_laws import EXERCISE, LAW
from lectures_lib.exercises.key import Answer, Key


def _memoriser_error(probabilities, n_samples):
    """sum_i theta_i (1 - theta_i)**n plus the mass the list leaves out, for scalar or array n."""
    theta = np.asarray(probabilities, dtype=float)
    n = np.asarray(n_samples, dtype=float)
    seen_never = np.power.outer(1 - theta, n)            # (facts, *n.shape)
    return np.tensordot(theta, seen_never, axes=1) + (1 - theta.sum())


def _memoriser_cases(rng):
    cases = []
    for size in (5, 40, 300):
        theta = np.sort(rng.dirichlet(np.ones(size)))[::-1] * rng.uniform(0.6, 1.0)
        cases.append((theta, float(rng.integers(0, 500))))
    theta = np.arange(1, 2001, dtype=float) ** -rng.uniform(1.2, 2.5)
    theta *= rng.uniform(0.5, 0.95) / theta.sum()
    cases.append((theta, np.round(10 ** rng.uniform(0, 5, size=6))))
    return cases


def _data_multiplier(s, error_ratio):
    """theta_i ~ i**-s is alpha-Zipf with alpha = s - 1, so beta = (s - 1) / s; dividing n**-beta by the ratio
    needs ratio**(1 / beta) times the data."""
    return error_ratio ** (s / (s - 1))


def _multiplier_cases(rng):
    cases = [(float(rng.uniform(1.1, 5.0)), float(rng.uniform(1.5, 20.0))) for _ in range(5)]
    cases.append((rng.uniform(1.1, 5.0, size=4), float(rng.uniform(1.5, 10.0))))
    return cases


def _fitted_alpha(variant):
    """Least squares of log error on log n (numpy.polyfit, degree 1); beta = -slope; alpha = beta / (1 - beta)."""
    q3 = variant.q3
    slope = np.polyfit(np.log(q3.n_samples), np.log(q3.error), 1)[0]
    beta = -slope
    return beta / (1 - beta)


def _effective_tokens(unique_tokens, epochs, r_star):
    return unique_tokens + unique_tokens * r_star * (1 - np.exp(-(np.asarray(epochs) - 1) / r_star))


def _token_cases(rng):
    cases = [(float(10 ** rng.uniform(8, 12)), float(rng.uniform(1, 100)), float(rng.uniform(1, 30)))
             for _ in range(4)]
    cases.append((10 ** rng.uniform(8, 12, size=5), rng.uniform(1, 100, size=5), 15.387756))
    return cases


def _epochs_needed(variant):
    q5 = variant.q5
    r_star = repetition.MUENNIGHOFF_2023_R_D
    ratio = q5.target_effective_tokens / q5.unique_tokens
    return 1 - r_star * np.log(1 - (ratio - 1) / r_star)


def _size_letter(variant):
    q6 = variant.q6
    n_star = repetition.data_constrained_optimum(q6.flops, q6.unique_tokens, law=LAW)[0]
    return letter_of(q6.options, float(f"{n_star / 1e9:.3g}"))


def _compute_share(variant):
    """The data-constrained optimum's loss (grid search over log N refined by a parabola, as the library does;
    any accurate minimiser agrees to far better than the tolerance), then the unlimited-data compute for it."""
    q7 = variant.q7
    loss = repetition.data_constrained_optimum(q7.flops, q7.unique_tokens, law=LAW)[2]
    return float(LAW.flops_for_loss(loss)) / q7.flops


_FORBIDDEN_REPETITION = ("lectures_lib.repetition.effective_tokens", "lectures_lib.repetition.repeated_token_value",
                         "lectures_lib.repetition.data_constrained_loss",
                         "lectures_lib.repetition.data_constrained_optimum")

KEY = Key(EXERCISE, {
    "q1": Answer(_memoriser_error, _memoriser_cases, forbidden=("lectures_lib.frequency.expected_error",)),
    "q2": Answer(_data_multiplier, _multiplier_cases, forbidden=("lectures_lib.frequency.data_exponent",
                                                                 "lectures_lib.frequency.zipf_alpha_for_data_exponent")),
    "q3": Answer(_fitted_alpha, forbidden=("lectures_lib.frequency.fitted_exponent",
                                           "lectures_lib.frequency.zipf_alpha_for_data_exponent")),
    "q4": Answer(_effective_tokens, _token_cases, forbidden=_FORBIDDEN_REPETITION),
    "q5": Answer(_epochs_needed, forbidden=_FORBIDDEN_REPETITION),
    "q6": Answer(_size_letter, forbidden=_FORBIDDEN_REPETITION),
    "q7": Answer(_compute_share, forbidden=_FORBIDDEN_REPETITION),
    "q8": Answer(rubric=(
        "One point for what 'only the offset changes' means and why it matters: on log-log axes the loss curves "
        "of two datasets (reducible loss against compute or size) are parallel, so the ranking seen with small "
        "models holds at every scale; if the slopes differ, the curves can cross and a dataset that loses at "
        "small scale can win at large scale. Half a point if only 'parallel lines' is said without the "
        "consequence for ranking. One point for the checks, half each, at least two of: run the comparison at "
        "two or three scales (a decade or more apart) and fit a slope per dataset, not one point per dataset; "
        "extrapolate each fitted law to the target scale and see whether they cross there; estimate the "
        "uncertainty of each slope (repeat seeds or bootstrap the runs) before calling a difference real; "
        "evaluate on the loss or tasks the final model is for, not on one dataset's own validation text, since "
        "in-distribution evaluation favours that dataset; note that a slope difference means something only "
        "beside its uncertainty (Gadre et al.'s published slopes 0.121 to 0.136 move by as much when the "
        "laws are refitted on other runs), so the claim is an untested assumption rather than a known law.")),
})
