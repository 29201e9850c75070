"""Answer key of exercise 0 (instructor material: the grader loads it with --source; never installed)."""

import numpy as np

from lectures_lib import compute
from lectures_lib.exercises.core import letter_of
from lectures_lib.exercises.ex00_power_laws import EXERCISE
from lectures_lib.exercises.key import Answer, Key
from lectures_lib.power_laws import PowerLaw, fit_power_law


def _sizes(rng):
    n = 10 ** rng.uniform(6, 12, size=5)
    d = 10 ** rng.uniform(8, 13, size=5)
    return [(float(a), float(b)) for a, b in zip(n, d, strict=True)] + [(n, d)]


def _shapes(rng):
    layers, widths = rng.integers(1, 128, 5), rng.integers(64, 16384, 5)
    return [(int(n_layers), int(width)) for n_layers, width in zip(layers, widths, strict=True)]


def _losses(rng):
    coefficient = rng.uniform(10, 100, size=5)
    exponent = rng.uniform(0.03, 0.12, size=5)
    target = coefficient * 10 ** -rng.uniform(0.5, 1.5, size=5)  # a loss 3% to 30% of the coefficient
    cases = [(float(t), float(c), float(e)) for t, c, e in zip(target, coefficient, exponent, strict=True)]
    return [*cases, (target, float(coefficient[0]), float(exponent[0]))]


def _fit(variant) -> PowerLaw:
    return fit_power_law(variant.q4.flops, variant.q4.loss)


def _exponent_letter(variant) -> str:
    q7 = variant.q7
    slope = np.log(q7.small_loss / q7.big_loss) / np.log(q7.big_flops / q7.small_flops)
    return letter_of(q7.options, float(f"{slope:.3g}"))


KEY = Key(EXERCISE, {
    "q1": Answer(compute.training_flops, _sizes, forbidden=("lectures_lib.compute.training_flops",),
                 if_forbidden="zero"),
    "q2": Answer(lambda n_layers, d_model: 12 * n_layers * d_model**2, _shapes,
                 forbidden=("lectures_lib.compute.transformer_params",), if_forbidden="zero"),
    "q3": Answer(lambda v: (1 / (1 - v.q3.loss_cut)) ** (1 / v.q3.exponent)),
    "q4": Answer(lambda v: _fit(v).exponent, forbidden=("lectures_lib.power_laws.fit_power_law",)),
    "q5": Answer(lambda v: _fit(v)(v.q5.predict_at_flops)),
    "q6": Answer(lambda target_loss, coefficient, exponent: (coefficient / target_loss) ** (1 / exponent), _losses),
    "q7": Answer(_exponent_letter),
    "q8": Answer(rubric=(
        "One point for each of two distinct, correct reasons, each with the direction of the error. Accept: "
        "(1) a pure power law has no floor, but real losses level off toward an irreducible loss (the entropy of "
        "text), so the true loss is higher than predicted; (2) a small error in the fitted exponent is multiplied "
        "by the log of the extrapolation distance (three or more decades), in either direction; (3) the runs may "
        "not be in the regime the law assumes at scale: data repeated or running out, a learning-rate schedule "
        "not tuned per size, or a change of architecture or tokenizer, usually making the true loss higher; "
        "(4) noise in a few small runs can tilt the line. Naming a reason without saying why it matters earns "
        "half a point.")),
})
