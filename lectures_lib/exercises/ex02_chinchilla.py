"""Exercise 2: Chinchilla and compute-optimal training. Questions and per-student parameters (no answers here)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import chinchilla as ch
from ..compute import TRAINING_FLOPS_PER_PARAM_TOKEN
from .core import Exercise, Question, draw_options

#: Relative noise on the simulated final losses of Q4 and Q5 (a run-to-run scatter of half a percent).
RUN_NOISE = 0.005
#: Model sizes per budget in Q4 and Q5, log-spaced over a factor of 10 each side of the centre.
SIZES_PER_BUDGET = 9
#: Budgets per variant in Q5: five, spanning three decades.
FIT_BUDGETS = 5
#: The budget the paper gives for Gopher: the budgets of Q3 and Q6 stay away from it (the chapter works there).
_AVOID_FLOPS = ch.GOPHER_FLOPS


def _law(rng: np.random.Generator) -> ch.ChinchillaLaw:
    """A plausible law near the published ones, with constants of a few digits (the truth of a simulated lab)."""
    return ch.ChinchillaLaw(E=round(float(rng.uniform(1.6, 1.95)), 3), A=round(float(rng.uniform(250, 700)), 1),
                            B=round(float(rng.uniform(400, 2500)), 1), alpha=round(float(rng.uniform(0.28, 0.40)), 3),
                            beta=round(float(rng.uniform(0.26, 0.40)), 3))


def _budget(rng: np.random.Generator, low: float, high: float) -> float:
    """A budget in FLOPs, log-uniform in [10**low, 10**high], two significant digits, not near Gopher's."""
    while True:
        flops = float(f"{10 ** rng.uniform(low, high):.2g}")
        if abs(np.log(flops / _AVOID_FLOPS)) > 0.2:
            return flops


def _noisy_losses(rng: np.random.Generator, law: ch.ChinchillaLaw, flops: np.ndarray, n: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    d = flops / (TRAINING_FLOPS_PER_PARAM_TOKEN * n)
    return d, np.asarray(law.loss(n, d)) * np.exp(RUN_NOISE * rng.standard_normal(n.size))


def _q3(rng: np.random.Generator) -> dict[str, Any]:
    """A budget for the replication's law, and four sizes: the optimum and three of the sizes common errors
    give (Hoffmann et al.'s printed constants; the exponents a and b swapped; Kaplan's frontier; tokens taken
    as C / N; 20 tokens per parameter with C = 2 N D)."""
    law = ch.BESIROGLU_2024
    flops = _budget(rng, np.log10(3e21), np.log10(3e25))
    c_over_6 = flops / TRAINING_FLOPS_PER_PARAM_TOKEN
    pf_days = flops / 8.64e19
    slips = [float(ch.HOFFMANN_2022.compute_optimal(flops)[0]),
             law.G * c_over_6 ** (law.alpha / (law.alpha + law.beta)),
             1.3e9 * pf_days**0.73,  # Kaplan et al. 2020, Table 6 (C in PF-days)
             law.G * flops**law.a,
             np.sqrt(flops / (2 * 20))]
    return {"flops": flops, "options": draw_options(rng, law.G * c_over_6**law.a, slips)}


def _q4(rng: np.random.Generator) -> dict[str, Any]:
    """Runs on one IsoFLOP profile. Like a real study, the sizes are centred on a guess of the optimum."""
    law = _law(rng)
    flops = float(rng.choice([2e19, 3e19, 5e19, 2e20, 3e20, 5e20, 2e21]))
    n_opt, _ = law.compute_optimal(flops)
    guess = float(f"{n_opt * 10 ** rng.uniform(-0.3, 0.3):.2g}")
    n = guess * np.logspace(-1, 1, 11)
    _, loss = _noisy_losses(rng, law, np.full(n.size, flops), n)
    return {"flops": flops, "n_params": n, "final_loss": loss}


def _q5(rng: np.random.Generator) -> dict[str, Any]:
    """IsoFLOP runs on five budgets over three decades, drawn from a law of the variant's own, and a budget
    30 to 1000 times the largest, to plan with the fitted law."""
    law = _law(rng)
    low = float(rng.choice([17.5, 18.0, 18.5]))
    budgets = np.logspace(low, low + 3, FIT_BUDGETS)
    n_opt, _ = law.compute_optimal(budgets)
    n = (n_opt[:, None] * np.logspace(-1, 1, SIZES_PER_BUDGET)[None, :]).ravel()
    flops = np.repeat(budgets, SIZES_PER_BUDGET)
    d, loss = _noisy_losses(rng, law, flops, n)
    target = _budget(rng, low + 3 + 1.5, low + 3 + 3)
    return {"n_params": n, "n_tokens": d, "final_loss": loss, "target_flops": target}


def _q6(rng: np.random.Generator) -> dict[str, Any]:
    """A team's plan (a budget and a model size several times off the optimum) and the law to judge it with."""
    name = str(rng.choice(["Hoffmann et al. 2022", "Besiroglu et al. 2024"]))
    law = ch.HOFFMANN_2022 if name.startswith("Hoffmann") else ch.BESIROGLU_2024
    flops = _budget(rng, 21.5, 24.5)
    n_opt, _ = law.compute_optimal(flops)
    factor = 10 ** (rng.choice([-1, 1]) * rng.uniform(0.4, 0.9))
    return {"law": name, "E": law.E, "A": law.A, "B": law.B, "alpha": law.alpha, "beta": law.beta,
            "flops": flops, "plan_params": float(f"{n_opt * factor:.2g}")}


_PARAMETERS = {"q3": _q3, "q4": _q4, "q5": _q5, "q6": _q6}



_HOFFMANN = (1.69, 406.4, 410.7, 0.34, 0.28)
_BESIROGLU = (1.8172, 482.01, 2085.43, 0.3478, 0.3658)

EXERCISE = Exercise(
    exercise_id="02_chinchilla",
    title="Chinchilla and compute-optimal training",
    parameters=_PARAMETERS,
    questions=(
        Question("q1", "the loss law with its constants", 2, "implement", "chinchilla_loss",
                 visible_cases=((2e9, 5e10, *_HOFFMANN), (3e10, 4e11, *_BESIROGLU),
                                (np.array([1e8, 1e10]), np.array([3e9, 5e11]), 1.8, 500.0, 1500.0, 0.3, 0.35)),
                 rtol=1e-9,
                 hint="three terms: the irreducible loss, a penalty that falls with N, one that falls with D"),
        Question("q2", "tokens per parameter at the optimum", 3, "derive", "optimal_tokens_per_param",
                 visible_cases=((3e21, *_HOFFMANN[1:]), (2e23, *_BESIROGLU[1:]),
                                (np.array([1e21, 1e23, 1e25]), 500.0, 1500.0, 0.3, 0.35)),
                 rtol=1e-9,
                 hint="substitute D = C / (6 N), set dL/dN = 0 to get N_opt, then D_opt = C / (6 N_opt); "
                      "divide and simplify"),
        Question("q3", "the compute-optimal size", 2, "choose", "size_choice", options=4,
                 hint="the chapter's closed form for N_opt, with the replication's constants and the budget "
                      "divided by 6"),
        Question("q4", "the minimum of one IsoFLOP profile", 2, "fit", "isoflop_n_opt", rtol=1e-4,
                 hint="np.polyfit of the loss against np.log(N), degree 2; a parabola c2 x**2 + c1 x + c0 is "
                      "lowest at x = -c1 / (2 c2)"),
        Question("q5", "fit the parametric law, then plan with it", 3, "fit", "fitted_n_opt", rtol=1e-3,
                 hint="scipy.optimize.curve_fit with a function returning log(E + A N**-alpha + B D**-beta), "
                      "fitted to np.log of the losses, from a start such as E 1.5, A 300, B 300, alpha 0.3, beta 0.3; "
                      "then the closed-form N_opt of your fitted constants at target_flops"),
        Question("q6", "what a badly sized plan loses", 2, "compute", "plan_excess_loss", rtol=1e-4,
                 hint="the plan trains on C / (6 N) tokens; compare with the loss at N_opt and D_opt of the same "
                      "budget"),
        Question("q7", "the compute the plan wastes", 2, "compute", "compute_fraction", rtol=1e-4,
                 hint="the compute-optimal loss falls steadily with the budget: find the budget at which it equals "
                      "the plan's loss (a root finder such as scipy.optimize.brentq on log C works)"),
        Question("q8", "two sets of constants, two recommendations", 2, "explain", "constants_disagree"),
    ),
)
