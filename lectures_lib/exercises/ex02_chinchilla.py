"""Exercise 2: Chinchilla and compute-optimal training. Questions, data and checks."""

from __future__ import annotations

import numpy as np

from .. import chinchilla as ch
from ..compute import training_tokens
from .core import Exercise, Question, make_checker

#: The budget of the single IsoFLOP profile of question 3, in FLOPs.
ISOFLOP_BUDGET = 1e20
#: The training plan judged in question 5: a 100B-parameter model on a budget of 1e23 FLOPs.
PLAN_PARAMS = 100e9
PLAN_FLOPS = 1e23


def isoflop_runs() -> tuple[np.ndarray, np.ndarray]:
    """Twelve simulated runs at 1e20 FLOPs: (parameters, final loss in nats per token)."""
    _, n, _, loss = ch.simulate_isoflop_runs([ISOFLOP_BUDGET], sizes_per_budget=12, span=10, noise=0.003, seed=20,
                                             law=ch.BESIROGLU_2024)
    return n, loss


def parametric_runs() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sixty simulated runs on five budgets from 1e18 to 1e21 FLOPs: (parameters, tokens, final loss)."""
    _, n, d, loss = ch.simulate_isoflop_runs(np.logspace(18, 21, 5), sizes_per_budget=12, span=12, noise=0.002,
                                             seed=22, law=ch.HOFFMANN_2022)
    return n, d, loss


def _random_runs(rng: np.random.Generator) -> list[tuple]:
    n = 10 ** rng.uniform(7, 12, size=5)
    d = 10 ** rng.uniform(9, 13, size=5)
    return [(float(a), float(b)) for a, b in zip(n, d, strict=True)] + [(n, d)]


def _plan_excess_loss() -> float:
    law = ch.BESIROGLU_2024
    return float(law.loss(PLAN_PARAMS, training_tokens(PLAN_FLOPS, PLAN_PARAMS)) - law.optimal_loss(PLAN_FLOPS))


EXERCISE = Exercise(
    exercise_id="02_chinchilla",
    title="Chinchilla and compute-optimal training",
    questions=(
        Question("q1", "the Chinchilla loss", 2, "chinchilla_loss", lambda n, d: ch.HOFFMANN_2022.loss(n, d),
                 kind="function", visible_cases=((70e9, 1.4e12), (280e9, 300e9), (np.array([1e9, 1e10]),
                                                                                   np.array([2e10, 2e11]))),
                 hidden_inputs=_random_runs, rtol=1e-9,
                 hint="E + A / N**alpha + B / D**beta with E 1.69, A 406.4, B 410.7, alpha 0.34, beta 0.28"),
        Question("q2", "compute-optimal size", 2, "n_opt_1e21", lambda: ch.HOFFMANN_2022.compute_optimal(1e21)[0],
                 rtol=1e-4, hint="N_opt = G (C/6)**(beta/(alpha+beta)), G = (alpha A / (beta B))**(1/(alpha+beta))"),
        Question("q3", "IsoFLOP minimum", 2, "isoflop_n_opt", lambda: ch.isoflop_minimum(*isoflop_runs())[0],
                 rtol=1e-4, hint="fit loss = c2 x**2 + c1 x + c0 with x = log N; the minimum is at x = -c1 / (2 c2)"),
        Question("q4", "parametric fit", 3, "fitted_a", lambda: ch.fit(*parametric_runs()).a, rtol=0.02,
                 hint="fit E, A, B, alpha and beta to the runs (for example scipy.optimize.curve_fit on log L), "
                      "then a = beta / (alpha + beta)"),
        Question("q5", "judge a plan", 3, "plan_excess_loss", _plan_excess_loss, rtol=1e-3,
                 hint="the plan's tokens are C / (6 N); subtract the loss of the compute-optimal model"),
    ),
)

check, hidden_check = make_checker(EXERCISE)
