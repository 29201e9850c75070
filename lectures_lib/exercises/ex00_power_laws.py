"""Exercise 0: power laws and training compute. Questions, data and checks."""

from __future__ import annotations

import numpy as np

from .. import compute
from ..power_laws import PowerLaw, fit_power_law, simulate_power_law
from .core import Exercise, Question, make_checker

#: The law behind the exercise's simulated data: loss = 40 * C**-0.06 (C in FLOPs), 3% noise.
DATA_LAW = PowerLaw(coefficient=40.0, exponent=0.06)
DATA_SEED = 2020
#: Where question 5 asks for a prediction, in FLOPs.
PREDICT_AT_FLOPS = 1e24


def dataset() -> tuple[np.ndarray, np.ndarray]:
    """Sixteen simulated training runs: (compute in FLOPs, final loss in nats per token)."""
    flops = np.logspace(17, 21, 16)
    return flops, simulate_power_law(flops, relative_noise=0.03, seed=DATA_SEED, law=DATA_LAW)


def _reference_fit() -> PowerLaw:
    return fit_power_law(*dataset())


def _random_sizes(rng: np.random.Generator) -> list[tuple]:
    n = 10 ** rng.uniform(6, 12, size=5)
    d = 10 ** rng.uniform(8, 13, size=5)
    return [(float(a), float(b)) for a, b in zip(n, d, strict=True)] + [(n, d)]


def _random_shapes(rng: np.random.Generator) -> list[tuple]:
    layers, widths = rng.integers(1, 128, 5), rng.integers(64, 16384, 5)
    return [(int(n_layers), int(width)) for n_layers, width in zip(layers, widths, strict=True)]


EXERCISE = Exercise(
    exercise_id="00_power_laws",
    title="Power laws and training compute",
    questions=(
        Question("q1", "training FLOPs", 2, "training_flops", compute.training_flops, kind="function",
                 visible_cases=((175e9, 300e9), (70e9, 1.4e12), (np.array([1e9, 2e9]), np.array([2e10, 4e10]))),
                 hidden_inputs=_random_sizes, rtol=1e-9,
                 hint="a forward pass costs 2 FLOPs per parameter per token, the backward pass twice that"),
        Question("q2", "non-embedding parameters", 2, "transformer_params",
                 lambda n_layers, d_model: compute.transformer_params(n_layers, d_model), kind="function",
                 visible_cases=((96, 12288), (12, 768), (2, 4)), hidden_inputs=_random_shapes, rtol=1e-9,
                 hint="attention has 4 d_model x d_model matrices, the MLP two d_model x 4 d_model ones"),
        Question("q3", "compute to halve the loss", 2, "compute_factor_to_halve_loss",
                 lambda: 2.0 ** (1 / 0.05), rtol=1e-6,
                 hint="solve (k C)**-0.05 = C**-0.05 / 2 for k"),
        Question("q4", "fitted exponent", 3, "fitted_exponent", lambda: _reference_fit().exponent, rtol=1e-4,
                 hint="fit a straight line to log(loss) against log(compute); the exponent is minus its slope"),
        Question("q5", "extrapolated loss", 3, "predicted_loss", lambda: _reference_fit()(PREDICT_AT_FLOPS),
                 rtol=1e-3, hint="evaluate your fitted law at 1e24 FLOPs"),
    ),
)

check, hidden_check = make_checker(EXERCISE)
