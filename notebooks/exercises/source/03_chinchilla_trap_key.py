"""Answer key of exercise 3 (instructor material: the grader loads it with --source; never installed)."""

import numpy as np

from lectures_lib import lifetime
from lectures_lib.exercises.core import letter_of
from lectures_lib.exercises.ex03_chinchilla_trap import DAYS_PER_YEAR, EXERCISE, LAW
from lectures_lib.exercises.key import Answer, Key


def _lifetimes(rng):
    n = 10 ** rng.uniform(8, 12, size=4)
    d = 10 ** rng.uniform(10, 13, size=4)
    d_inf = np.concatenate([[0.0], 10 ** rng.uniform(9, 15, size=3)])
    return [(float(a), float(b), float(c)) for a, b, c in zip(n, d, d_inf, strict=True)] + [(n, d, d_inf)]


def _tokens_to_match(n_params, n_tokens, size_factor, A, B, alpha, beta):
    """D_new with A (k N)**-alpha + B D_new**-beta = A N**-alpha + B D**-beta."""
    bracket = n_tokens ** (-beta) + (A / B) * n_params ** (-alpha) * (1 - size_factor ** (-alpha))
    return bracket ** (-1 / beta)


def _reachable(n, d, k, A, B, alpha, beta):
    """True where the smaller model keeps the data term at least a fifth of the reference's (far from the
    size below which no amount of data reaches the loss)."""
    bracket = d ** (-beta) + (A / B) * n ** (-alpha) * (1 - k ** (-alpha))
    return np.all(bracket > 0.2 * d ** (-beta))


def _matching_cases(rng):
    cases = []
    while len(cases) < 6:
        n = 10 ** rng.uniform(8, 11.5)
        d = n * 10 ** rng.uniform(0.7, 2.5)  # 5 to 300 tokens per parameter
        k = rng.uniform(0.35, 0.98, size=3) if len(cases) == 5 else float(rng.uniform(0.35, 0.98))
        A, B = rng.uniform(200, 700), rng.uniform(200, 2500)
        alpha, beta = rng.uniform(0.25, 0.4), rng.uniform(0.25, 0.4)
        if _reachable(n, d, k, A, B, alpha, beta):
            cases.append((float(n), float(d), k, float(A), float(B), float(alpha), float(beta)))
    return cases


def _break_even_days(variant):
    q2 = variant.q2
    daily = q2.prompt_tokens_per_day + q2.generation_price_ratio * q2.generated_tokens_per_day
    return 3 * q2.train_tokens / daily


def _payback_tokens(variant):
    q4 = variant.q4
    k = q4.size_factor
    d_small = _tokens_to_match(q4.n_params, q4.n_tokens, k, LAW.A, LAW.B, LAW.alpha, LAW.beta)
    return 3 * (k * d_small - q4.n_tokens) / (1 - k)


def _size_letter(variant):
    q6 = variant.q6
    demand = q6.tokens_per_day * DAYS_PER_YEAR * q6.years
    n_star = lifetime.lifetime_optimal(q6.target_loss, demand, law=LAW)[0]
    return letter_of(q6.options, float(f"{n_star / 1e9:.3g}"))


def _gadre_law(x, E, a, b, eta):
    flops, tokens_per_param = x
    return E + (a * tokens_per_param**eta + b * tokens_per_param**-eta) * flops**-eta


def _predicted_7b_loss(variant):
    """Gadre et al.'s Eq. 4 fitted by least squares on the loss (Levenberg-Marquardt, SciPy's default for an
    unbounded curve_fit) from the Table 6 constants, evaluated at the 6.9B model on 20 tokens per parameter."""
    from scipy.optimize import curve_fit

    q8 = variant.q8
    x = (6 * q8.n_params * q8.n_tokens, q8.n_tokens / q8.n_params)
    fitted, _ = curve_fit(_gadre_law, x, q8.loss, p0=q8.start, maxfev=20000)
    n, m = q8.target_params, q8.target_tokens_per_param
    return float(_gadre_law((6 * n * m * n, m), *fitted))



KEY = Key(EXERCISE, {
    "q1": Answer(lifetime.lifetime_flops, _lifetimes, forbidden=("lectures_lib.lifetime.lifetime_flops",)),
    "q2": Answer(_break_even_days, forbidden=("lectures_lib.lifetime.break_even_inference_tokens",)),
    "q3": Answer(_tokens_to_match, _matching_cases, forbidden=("lectures_lib.lifetime.size_overhead",)),
    "q4": Answer(_payback_tokens, forbidden=("lectures_lib.lifetime.size_overhead",
                                             "lectures_lib.lifetime.compute_optimal_equivalent")),
    "q5": Answer(lambda v: lifetime.lifetime_savings(v.q5.n_params, v.q5.inference_tokens, law=LAW),
                 forbidden=("lectures_lib.lifetime.lifetime_optimal", "lectures_lib.lifetime.lifetime_savings")),
    "q6": Answer(_size_letter, forbidden=("lectures_lib.lifetime.lifetime_optimal",)),
    "q7": Answer(rubric=(
        "One point for when: training past the compute-optimal point pays when the model will serve many tokens "
        "over its life (a lifetime usage comparable to or above a few times its training tokens, e.g. a widely "
        "used product or open weights), or when size is capped by memory, latency or the device; the saved "
        "serving FLOPs then repay the extra training. Half a point if only 'inference is expensive' is said "
        "without tying it to the usage. One point for two limits, half each, with why: (1) data: unique "
        "high-quality tokens run out and repeated epochs help less and less; (2) diminishing returns: at a fixed "
        "loss the extra training compute grows steeply as the model shrinks (about double at a third of the "
        "optimal size) and is infinite below a critical size, because a model of N parameters can never beat "
        "E + A/N**alpha; (3) quality at fixed size: past some point more tokens barely lower the loss, and laws "
        "fitted at ordinary ratios may overstate the gain far outside their data; (4) also fair: the demand "
        "forecast may be wrong or the model replaced early, and longer training takes longer in wall-clock "
        "time.")),
    "q8": Answer(_predicted_7b_loss, forbidden=("lectures_lib.overtraining.fit_overtraining",)),
})

