"""Exercise 1: the laws of Kaplan et al. 2020. Questions, data and checks."""

from __future__ import annotations

import numpy as np

from .. import compute, kaplan
from ..power_laws import fit_power_law, simulate_power_law
from .core import Exercise, Question, make_checker

#: GPT-3 as trained (Brown et al. 2020; Hoffmann et al. 2022, Table 1).
GPT3_PARAMS = 175e9
GPT3_TOKENS = 300e9
FRONTIER_SEED = 73


def frontier_runs() -> tuple[np.ndarray, np.ndarray]:
    """Simulated compute-efficient runs: (compute in PF-days, best model size in parameters).

    Drawn around Kaplan's N_opt = 1.3e9 C**0.73 (Table 6) with 10% scatter, as a scaling study at
    twelve budgets from 1e-6 to 1 PF-day might measure it.
    """
    pf_days = np.logspace(-6, 0, 12)
    return pf_days, simulate_power_law(pf_days, relative_noise=0.10, seed=FRONTIER_SEED,
                                       law=kaplan.KAPLAN_2020_OPTIMAL_PARAMS)


def _random_params(rng: np.random.Generator) -> list[tuple]:
    sizes = 10 ** rng.uniform(5, 13, size=5)
    return [(float(n),) for n in sizes] + [(sizes,)]


def _random_params_tokens(rng: np.random.Generator) -> list[tuple]:
    n = 10 ** rng.uniform(6, 12, size=5)
    d = 10 ** rng.uniform(7, 13, size=5)
    return [(float(a), float(b)) for a, b in zip(n, d, strict=True)]


def _gpt3_pf_days() -> float:
    return compute.flops_to_pf_days(compute.training_flops(GPT3_PARAMS, GPT3_TOKENS))


EXERCISE = Exercise(
    exercise_id="01_kaplan",
    title="Kaplan et al. (2020)",
    questions=(
        Question("q1", "L(N)", 2, "loss_vs_params", lambda n: kaplan.loss_vs_params(n), kind="function",
                 visible_cases=((1e8,), (1e9,), (np.array([1e7, 1e10]),)), hidden_inputs=_random_params,
                 rtol=1e-9, hint="L(N) = (N_c / N)**alpha_N with N_c = 8.8e13 and alpha_N = 0.076"),
        Question("q2", "GPT-3 compute in PF-days", 2, "gpt3_pf_days", _gpt3_pf_days, rtol=1e-6,
                 hint="6 N D FLOPs, and one PF-day is 1e15 FLOP/s for 24 hours"),
        Question("q3", "Kaplan-optimal size at GPT-3's budget", 2, "kaplan_params_at_gpt3_budget",
                 lambda: kaplan.compute_optimal_params(_gpt3_pf_days()), rtol=1e-4,
                 hint="Table 6: N_opt = 1.3e9 * C**0.73 with C in PF-days"),
        Question("q4", "joint law L(N, D)", 3, "joint_loss", lambda n, d: kaplan.loss(n, d), kind="function",
                 visible_cases=((175e9, 300e9), (1e8, 1e9)), hidden_inputs=_random_params_tokens, rtol=1e-9,
                 hint="use the Table 2 constants: alpha_N 0.076, alpha_D 0.103, N_c 6.4e13, D_c 1.8e13"),
        Question("q5", "fitted frontier exponent", 3, "frontier_exponent",
                 lambda: -fit_power_law(*frontier_runs()).exponent, rtol=1e-4,
                 hint="the slope of log(model size) against log(compute)"),
    ),
)

check, hidden_check = make_checker(EXERCISE)
