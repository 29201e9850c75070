"""Exercise 7: why power laws? Questions and per-student parameters (no answers here)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import compute, frequency, repetition
from .core import Exercise, Question, draw_options, round_sig

#: The law of Questions 5 to 7: Muennighoff et al. 2023's C4 fit (:data:`lectures_lib.repetition.MUENNIGHOFF_2023_C4`).
LAW = repetition.MUENNIGHOFF_2023_C4
#: Facts in the population of Question 3's simulation (the most frequent of an infinite Zipf law).
SIMULATED_FACTS = 300_000
#: Zipf exponents the chapter simulates; Question 3 draws others.
CHAPTER_ALPHAS = (0.5, 1.0, 2.0)


def _q3(rng: np.random.Generator) -> dict[str, Any]:
    """One simulated learning curve of the memorising learner, for a Zipf exponent drawn per student and not
    shown: the data run from reaching the fact of rank 30 to the fact of rank 10,000."""
    alpha = 1.0
    while min(abs(alpha - a) for a in CHAPTER_ALPHAS) < 0.05:
        alpha = round(float(rng.uniform(0.6, 1.8)), 2)
    n = np.round(frequency.samples_to_reach(np.geomspace(30, 1e4, 14), alpha))
    error = frequency.simulate_error(frequency.zipf_probabilities(SIMULATED_FACTS, alpha), n,
                                     seed=int(rng.integers(2**31)))
    return {"n_samples": n, "error": error}


def _q5(rng: np.random.Generator) -> dict[str, Any]:
    """Unique tokens and the effective tokens a team wants from them (between 2.2 and 13 times as many)."""
    unique = round_sig(10 ** rng.uniform(10.0, 11.7))
    return {"unique_tokens": unique, "target_effective_tokens": round_sig(unique * rng.uniform(2.2, 13.0))}


def _budget(rng: np.random.Generator) -> tuple[float, float]:
    """Unique tokens and a compute budget whose unlimited-data optimum would read them 4 to 40 times."""
    unique = round_sig(10 ** rng.uniform(10.3, 11.7))
    target_epochs = 10 ** rng.uniform(np.log10(4), np.log10(40))
    # the budget whose compute-optimal tokens are target_epochs * unique, under LAW
    flops = round_sig(float(LAW.flops_for_optimal_params(LAW.params_for_tokens(target_epochs * unique))))
    return unique, flops


def _q6(rng: np.random.Generator) -> dict[str, Any]:
    """A data budget, a compute budget and four model sizes in billions of parameters: the data-constrained
    optimum and three of the sizes common slips give (the unlimited-data optimum, which ignores the data limit;
    the size that reads every unique token exactly once; the optimum with excess parameters not discounted;
    the optimum with repeated tokens worth as much as fresh ones)."""
    unique, flops = _budget(rng)
    right = float(repetition.data_constrained_optimum(flops, unique, law=LAW)[0])
    slips = [float(LAW.compute_optimal(flops)[0]),
             float(compute.training_tokens(flops, unique)),  # N = C / (6 U): one pass over the data
             float(repetition.data_constrained_optimum(flops, unique, law=LAW, r_n_star=1e9)[0]),
             float(repetition.data_constrained_optimum(flops, unique, law=LAW, r_d_star=1e9)[0])]
    return {"unique_tokens": unique, "flops": flops,
            "options": draw_options(rng, right / 1e9, [s / 1e9 for s in slips], min_ratio=1.08)}


def _q7(rng: np.random.Generator) -> dict[str, Any]:
    """A data budget and a compute budget (Question 7)."""
    unique, flops = _budget(rng)
    return {"unique_tokens": unique, "flops": flops}


_PARAMETERS = {"q3": _q3, "q5": _q5, "q6": _q6, "q7": _q7}

EXERCISE = Exercise(
    exercise_id="07_why_power_laws",
    title="Why power laws?",
    parameters=_PARAMETERS,
    questions=(
        Question("q1", "the memoriser's expected error", 2, "implement", "memoriser_error",
                 visible_cases=((np.array([0.5, 0.3, 0.2]), 3.0),
                                (np.array([0.4, 0.2, 0.1, 0.05]), np.array([0.0, 1.0, 10.0, 100.0])),
                                (np.full(800, 1 / 800), np.array([50.0, 2000.0]))),
                 rtol=1e-9,
                 hint="a fact is unknown after n samples only if it was missed n times; the probabilities may "
                      "sum to less than one, and the missing mass is facts the list leaves out, never learned"),
        Question("q2", "data for a smaller error", 3, "derive", "data_multiplier",
                 visible_cases=((2.0, 2.0), (1.5, 10.0), (np.array([1.2, 2.5, 4.0]), 3.0)),
                 rtol=1e-9,
                 hint="first find the learning-curve exponent for theta_i proportional to i**-s (compare with "
                      "i**-(1 + alpha)); then ask how n must grow for n**-beta to fall by the given factor"),
        Question("q3", "the Zipf exponent behind a learning curve", 3, "fit", "fitted_alpha", rtol=1e-6,
                 hint="fit a straight line to log error against log n by least squares (numpy.polyfit); "
                      "its slope is -beta, and beta = alpha / (1 + alpha) can be solved for alpha"),
        Question("q4", "effective tokens", 2, "implement", "effective_tokens",
                 visible_cases=((1e9, 1.0, 15.387756), (1e9, 3.0, 15.387756),
                                (np.array([1e9, 5e10]), np.array([2.0, 40.0]), 15.387756),
                                (2e10, np.array([1.0, 3.0, 101.0]), 3.0)),
                 rtol=1e-9,
                 hint="R_D counts the repeats beyond the first pass; broadcast with numpy, no loops"),
        Question("q5", "epochs for a target", 2, "compute", "epochs_needed", rtol=1e-6,
                 hint="solve Eq. 5 for R_D: isolate the exponential, take a logarithm, add the first pass back"),
        Question("q6", "repeat the data or grow the model", 2, "choose", "size_choice", options=4,
                 hint="the right option has the lowest data-constrained loss of the four at the given compute"),
        Question("q7", "what the data limit costs", 3, "compute", "compute_share", rtol=1e-4,
                 hint="find the lowest data-constrained loss for the budget, then the compute an unlimited-data "
                      "run would need for that loss (law.flops_for_loss), and divide"),
        Question("q8", "choosing data with small models", 2, "explain", "data_advice"),
    ),
)
