"""Exercise 1: the laws of Kaplan et al. 2020. Questions and per-student parameters (no answers here)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import compute, kaplan
from .core import Exercise, Question, draw_options

#: Compute budgets of the simulated scaling study of Q5, in PF-days: eleven from 1e-5 to 1.
STUDY_PF_DAYS = np.logspace(-5, 0, 11)
#: Model sizes tried per budget in Q5, 0.1 decade apart.
STUDY_SIZES = 15
STUDY_STEP_DECADES = 0.1
#: Shape of the simulated loss around the best size of a budget: relative excess per squared decade.
STUDY_CURVATURE = 0.05
#: Relative noise on the simulated losses of Q5.
STUDY_NOISE = 0.002
#: Kaplan's published frontier exponent, which the drawn exponents of Q5 stay away from.
KAPLAN_EXPONENT = -kaplan.KAPLAN_2020_OPTIMAL_PARAMS.exponent
#: Tokens per parameter of the Chinchilla rule of thumb (the distractor of Q6).
CHINCHILLA_TOKENS_PER_PARAM = 20.0


def _q3(rng: np.random.Generator) -> dict[str, Any]:
    """One training run in Kaplan's setup: its shape, its batch (tokens per step) and its number of steps."""
    n_layers = int(rng.choice([8, 12, 16, 20, 24, 28, 32, 36, 40, 48]))
    aspect = float(rng.choice([48, 64, 80, 96, 128]))  # d_model / n_layers, a range Kaplan et al. found harmless
    return {"n_layers": n_layers, "d_model": int(128 * max(2, round(n_layers * aspect / 128))),
            "batch_tokens": int(rng.choice([2**18, 2**19, 2**20, 2**21])),
            "steps": int(round(float(rng.uniform(2e4, 3e5)), -3))}


def _q5(rng: np.random.Generator) -> dict[str, Any]:
    """A scaling study: per budget, fifteen model sizes and their final losses, around a frontier
    N* = coefficient * C**exponent drawn for the variant (exponent between 0.55 and 0.9, not near 0.73)."""
    exponent = KAPLAN_EXPONENT
    while abs(exponent - KAPLAN_EXPONENT) < 0.03:
        exponent = round(float(rng.uniform(0.55, 0.90)), 2)
    coefficient = round(float(rng.uniform(0.6, 3.0)), 2) * 1e9
    log_best = np.log10(coefficient * STUDY_PF_DAYS**exponent)
    # the sizes tried at each budget: a window of 0.1-decade steps, centred up to 0.3 decades off the best size
    centre = np.round(log_best + rng.uniform(-0.3, 0.3, STUDY_PF_DAYS.size), 1)
    offsets = STUDY_STEP_DECADES * (np.arange(STUDY_SIZES) - STUDY_SIZES // 2)
    log_sizes = centre[:, None] + offsets[None, :]
    best_loss = kaplan.loss_vs_compute(STUDY_PF_DAYS)[:, None]
    clean = best_loss * (1 + STUDY_CURVATURE * (log_sizes - log_best[:, None]) ** 2)
    loss = clean * np.exp(STUDY_NOISE * rng.standard_normal(clean.shape))
    sizes = np.array([[float(f"{10.0**x:.3g}") for x in row] for row in log_sizes])
    return {"pf_days": STUDY_PF_DAYS.copy(), "sizes": sizes, "loss": np.round(loss, 5)}


def _q6(rng: np.random.Generator) -> dict[str, Any]:
    """A budget in FLOPs and four model sizes: Kaplan's N_opt and three of the sizes common slips give
    (Chinchilla's 20 tokens per parameter, with C = 6ND or C = 2ND; the exponent 0.5 in place of 0.73; the
    size left once Kaplan's D_opt is paid for, C / (6 D_opt) or, forward pass only, C / (2 D_opt); the budget
    counted in PF-hours instead of PF-days)."""
    mantissa, power = 3.0, 23
    while (mantissa, power) == (3.0, 23):  # GPT-3's budget, which the chapter works out
        mantissa, power = float(rng.choice([1.0, 2.0, 3.0, 5.0])), int(rng.integers(21, 25))
    flops = mantissa * 10.0**power
    pf_days = flops / compute.PF_DAY_FLOPS
    frontier = kaplan.KAPLAN_2020_OPTIMAL_PARAMS
    tokens = kaplan.KAPLAN_2020_OPTIMAL_TOKENS(pf_days)
    slips = [np.sqrt(flops / (compute.TRAINING_FLOPS_PER_PARAM_TOKEN * CHINCHILLA_TOKENS_PER_PARAM)),
             np.sqrt(flops / (2 * CHINCHILLA_TOKENS_PER_PARAM)), frontier.coefficient * pf_days**0.5,
             flops / (compute.TRAINING_FLOPS_PER_PARAM_TOKEN * tokens), flops / (2 * tokens),
             frontier(pf_days * 24)]
    return {"flops": flops, "options": draw_options(rng, frontier(pf_days), slips)}


_PARAMETERS = {"q3": _q3, "q5": _q5, "q6": _q6}



EXERCISE = Exercise(
    exercise_id="01_kaplan",
    title="Kaplan et al. (2020)",
    parameters=_PARAMETERS,
    questions=(
        Question("q1", "the joint law L(N, D)", 3, "implement", "joint_loss",
                 visible_cases=((3e8, 5e9), (2e10, 4e11), (np.array([1e7, 1e9, 1e11]), np.array([1e9, 3e10, 2e12]))),
                 rtol=1e-9,
                 hint="raise (N_c / N) to alpha_N / alpha_D, add D_c / D, raise the sum to alpha_D; Table 2 constants"),
        Question("q2", "how much data keeps the data term small", 3, "derive", "tokens_for_data_share",
                 visible_cases=((1e9, 0.1), (5e10, 0.3), (np.array([1e8, 1e10, 1e12]), 0.2)), rtol=1e-9,
                 hint="set D_c / D equal to fraction * (N_c / N)**(alpha_N / alpha_D) and solve for D"),
        Question("q3", "the compute of a run, in PF-days", 2, "compute", "run_pf_days", rtol=1e-9,
                 hint="each layer holds 12 d_model**2 weights; a PF-day is 1e15 FLOP/s sustained for a whole day"),
        Question("q4", "the critical batch size of that run", 2, "compute", "critical_batch", rtol=1e-4,
                 hint="evaluate the joint law at the run's N and D, then B_crit = B_star / L**(1 / alpha_B)"),
        Question("q5", "a frontier exponent from a scaling study", 3, "fit", "frontier_exponent", rtol=1e-4,
                 hint="per budget take the size with the lowest loss (np.argmin along a row), then fit a straight "
                      "line to log(best size) against log(compute)"),
        Question("q6", "the size Kaplan's frontier picks", 2, "choose", "kaplan_choice", options=4,
                 hint="Table 6 reads the budget in PF-days, not FLOPs"),
        Question("q7", "the budget at which two rules part", 2, "derive", "budget_for_gap",
                 visible_cases=((2.0,), (4.0,), (np.array([1.5, 3.0, 6.0]),)), rtol=1e-9,
                 hint="write both sizes as a constant times C**exponent with C in PF-days, divide them, and solve "
                      "ratio = factor for C"),
        Question("q8", "one schedule for every run", 3, "explain", "schedule_argument"),
    ),
)
