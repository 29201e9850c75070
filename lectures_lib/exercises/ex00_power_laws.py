"""Exercise 0: power laws and training compute. Questions and per-student parameters (no answers here)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..power_laws import PowerLaw, simulate_power_law
from .core import Exercise, Question, draw_options

#: Compute of the simulated runs of Q4, in FLOPs: sixteen budgets from 1e17 to 1e21.
RUN_FLOPS = np.logspace(17, 21, 16)
#: Relative noise on the simulated losses of Q4.
RUN_NOISE = 0.03


def _q3(rng: np.random.Generator) -> dict[str, Any]:
    return {"exponent": round(float(rng.uniform(0.04, 0.09)), 4), "loss_cut": round(float(rng.uniform(0.1, 0.4)), 3)}


def _q4(rng: np.random.Generator) -> dict[str, Any]:
    law = PowerLaw(coefficient=round(float(rng.uniform(20, 60)), 1), exponent=round(float(rng.uniform(0.04, 0.09)), 3))
    loss = simulate_power_law(RUN_FLOPS, relative_noise=RUN_NOISE, seed=int(rng.integers(2**31)), law=law)
    return {"flops": RUN_FLOPS.copy(), "loss": loss}


def _q5(rng: np.random.Generator) -> dict[str, Any]:
    return {"predict_at_flops": float(f"{10 ** rng.uniform(23, 25):.2g}")}


def _q7(rng: np.random.Generator) -> dict[str, Any]:
    """Two runs on one power law, and four candidate exponents: the slope of the log-log line and three of
    the values common slips give (a base-10 logarithm on one side only, either side; the one-decade recipe
    log10(L1 / L2) used on runs that are not a decade apart; a slope read on linear axes)."""
    exponent = float(rng.uniform(0.04, 0.09))
    small_flops = 10.0 ** int(rng.integers(18, 21))
    factor = float(rng.choice([20, 30, 50, 1000, 3000]))  # not 10: the one-decade recipe would be right
    small_loss = round(float(rng.uniform(2.5, 4.0)), 2)
    big_loss = round(small_loss * factor**-exponent, 3)
    ratio = small_loss / big_loss
    slips = [np.log10(ratio) / np.log(factor), np.log(ratio) / np.log10(factor), np.log10(ratio),
             (small_loss - big_loss) / small_loss / (factor - 1)]
    return {"small_flops": small_flops, "small_loss": small_loss, "big_flops": small_flops * factor,
            "big_loss": big_loss, "options": draw_options(rng, np.log(ratio) / np.log(factor), slips)}


_PARAMETERS = {"q3": _q3, "q4": _q4, "q5": _q5, "q7": _q7}



EXERCISE = Exercise(
    exercise_id="00_power_laws",
    title="Power laws and training compute",
    parameters=_PARAMETERS,
    questions=(
        Question("q1", "training FLOPs", 2, "implement", "training_flops",
                 visible_cases=((175e9, 300e9), (70e9, 1.4e12), (np.array([1e9, 2e9]), np.array([2e10, 4e10]))),
                 rtol=1e-9, hint="a forward pass costs 2 FLOPs per parameter per token, the backward pass twice that"),
        Question("q2", "non-embedding parameters", 2, "implement", "transformer_params",
                 visible_cases=((96, 12288), (12, 768), (2, 4)), rtol=1e-9,
                 hint="attention has 4 d_model x d_model matrices, the MLP two d_model x 4 d_model ones"),
        Question("q3", "the compute a smaller loss costs", 2, "compute", "compute_factor", rtol=1e-4,
                 hint="write L(k C) = (1 - loss_cut) L(C) with L = a C**-exponent and solve for k"),
        Question("q4", "fitted exponent", 3, "fit", "fitted_exponent", rtol=1e-4,
                 hint="fit a straight line to log(loss) against log(compute); the exponent is minus its slope"),
        Question("q5", "extrapolated loss", 2, "compute", "predicted_loss", rtol=1e-3,
                 hint="evaluate your fitted law, a * C**-exponent, at predict_at_flops"),
        Question("q6", "the compute that reaches a loss", 3, "derive", "compute_for_loss",
                 visible_cases=((2.0, 40.0, 0.06), (3.0, 26.0, 0.05), (np.array([2.5, 3.5]), 30.0, 0.07)), rtol=1e-6,
                 hint="solve target_loss = coefficient * C**-exponent for C"),
        Question("q7", "reading an exponent off two runs", 2, "choose", "exponent_choice", options=4,
                 hint="on log-log axes a power law is a straight line; its slope uses one logarithm throughout"),
        Question("q8", "why the extrapolation could fail", 2, "explain", "extrapolation_risks"),
    ),
)
