"""Exercise 3: the Chinchilla trap. Questions and per-student parameters (no answers here)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import lifetime
from ..overtraining import GADRE_2024_LAWS
from .core import Exercise, Question, draw_options

#: The law of Questions 4 to 6: Sardana et al.'s constants (:data:`lectures_lib.lifetime.SARDANA_2024`).
LAW = lifetime.SARDANA_2024
#: Reference model sizes drawn in Questions 4 and 5 (the chapter's 7B, 30B and 70B are left out).
REFERENCE_SIZES = (2e9, 3e9, 4e9, 6e9, 9e9, 12e9, 15e9, 20e9, 25e9, 40e9, 50e9)
#: Days in a year of serving (Question 6).
DAYS_PER_YEAR = 365


def _two_digits(x: float) -> float:
    return float(f"{x:.2g}")


def _q2(rng: np.random.Generator) -> dict[str, Any]:
    """A deployed model: its size, its training tokens, its daily traffic and the price of generation."""
    train_tokens = _two_digits(10 ** rng.uniform(11.5, 13.0))
    prompt = _two_digits(train_tokens * 10 ** rng.uniform(-2.8, -1.4))  # break-even from weeks to a few years
    return {"n_params": float(rng.choice([1.5e9, 3e9, 8e9, 14e9, 34e9])),
            "train_tokens": train_tokens,
            "prompt_tokens_per_day": prompt,
            "generated_tokens_per_day": _two_digits(prompt * rng.uniform(0.1, 0.6)),
            "generation_price_ratio": round(float(rng.uniform(2.0, 6.0)), 1)}


def _q4(rng: np.random.Generator) -> dict[str, Any]:
    """A compute-optimal model of :data:`LAW` and the size, as a fraction of it, of a smaller model."""
    n_params = float(rng.choice(REFERENCE_SIZES))
    factor = 0.5
    while factor in (0.5, 0.75):  # the chapter prints the overheads of these fractions
        factor = round(float(rng.uniform(0.4, 0.9)), 2)
    return {"n_params": n_params, "n_tokens": float(LAW.tokens_for_params(n_params)), "size_factor": factor}


def _q5(rng: np.random.Generator) -> dict[str, Any]:
    """A compute-optimal model of :data:`LAW` and the inference tokens its quality will serve."""
    n_params = float(rng.choice(REFERENCE_SIZES))
    return {"n_params": n_params, "n_tokens": float(LAW.tokens_for_params(n_params)),
            "inference_tokens": _two_digits(10 ** rng.uniform(11.8, 13.8))}


def _q6(rng: np.random.Generator) -> dict[str, Any]:
    """A target loss, a daily demand over some years, and four candidate sizes in billions of parameters: the
    lifetime optimum and three of the sizes common slips give (inference ignored, as Chinchilla's rule does;
    a served token priced at 6N FLOPs like a training token, or at N FLOPs; every served token counted twice,
    as prompt and as output; the demand of one year, or of one day a year, taken for the whole life)."""
    target_loss = round(float(rng.uniform(1.95, 2.30)), 3)
    tokens_per_day = float(rng.choice([2e9, 5e9, 1e10, 2e10, 4e10]))
    years = int(rng.choice([2, 3, 5]))
    demand = tokens_per_day * DAYS_PER_YEAR * years
    readings = np.array([demand, 0.0, 3 * demand, demand / 2, 2 * demand, demand / years, tokens_per_day * years])
    sizes = lifetime.lifetime_optimal(target_loss, readings, law=LAW)[0] / 1e9
    return {"target_loss": target_loss, "tokens_per_day": tokens_per_day, "years": years,
            "options": draw_options(rng, sizes[0], sizes[1:], min_ratio=1.03)}


#: Gadre et al. 2024, Table 6 (arXiv v2), loss on C4's validation set: E, a, b and eta of their Eq. 4 for each
#: training dataset, the starting point of Question 8's fit.
GADRE_TABLE_6 = {name: (law.E, law.a, law.b, law.eta) for name, law in GADRE_2024_LAWS.items()}
#: Runs per student in Question 8, drawn from one dataset's runs of the four sizes under 1B parameters.
REAL_RUNS_PER_STUDENT = 16


def _q8(rng: np.random.Generator) -> dict[str, Any]:
    """Sixteen real runs of Gadre et al. 2024 from one training dataset, drawn per student among the models
    under 1B parameters, and the dataset's 6.9B model at 20 tokens per parameter, to be predicted."""
    from ..data import DATASETS, load_gadre_2024

    runs = load_gadre_2024("c4_val")
    dataset = DATASETS[int(rng.integers(len(DATASETS)))]
    small = runs.where(runs.n_params < 1e9, dataset=dataset)
    picked = np.sort(rng.choice(len(small), REAL_RUNS_PER_STUDENT, replace=False))
    target = runs.where(runs.n_params > 6e9, dataset=dataset)
    return {"dataset": dataset, "n_params": small.n_params[picked], "n_tokens": small.n_tokens[picked],
            "loss": small.loss[picked], "start": GADRE_TABLE_6[dataset], "target_params": float(target.n_params[0]),
            "target_tokens_per_param": 20.0, "measured_loss": float(target.loss[0])}


_PARAMETERS = {"q2": _q2, "q4": _q4, "q5": _q5, "q6": _q6, "q8": _q8}



EXERCISE = Exercise(
    exercise_id="03_chinchilla_trap",
    title="The Chinchilla trap",
    parameters=_PARAMETERS,
    questions=(
        Question("q1", "lifetime FLOPs", 2, "implement", "lifetime_flops",
                 visible_cases=((8e9, 15e12, 0.0), (13e9, 1e12, 5e12),
                                (np.array([1e9, 3e9]), np.array([2e11, 6e11]), np.array([1e12, 0.0]))),
                 rtol=1e-9,
                 hint="training costs 6 FLOPs per parameter per token, serving a forward pass only"),
        Question("q2", "break-even in days, in dollars", 2, "compute", "break_even_days", rtol=1e-4,
                 hint="write the training bill and one day's serving bill in units of the price of a training "
                      "FLOP, then divide; one of the parameters cancels"),
        Question("q3", "tokens that keep the loss of a smaller model", 3, "derive", "tokens_to_match",
                 visible_cases=((1e10, 2e11, 0.6, 406.4, 410.7, 0.336, 0.283),
                                (4e9, 8e10, 0.8, 482.01, 2085.43, 0.3478, 0.3658),
                                (2e10, 5e11, np.array([0.55, 0.7, 1.0]), 406.4, 410.7, 0.34, 0.28)),
                 rtol=1e-9,
                 hint="set the two losses equal: E cancels; isolate the new data term B / D_new**beta, "
                      "then solve for D_new"),
        Question("q4", "when a smaller model pays off", 3, "compute", "payback_tokens", rtol=1e-4,
                 hint="write both lifetime costs as functions of the inference tokens and find where they cross"),
        Question("q5", "what the cheapest model to own saves", 3, "compute", "lifetime_saving", rtol=1e-4,
                 hint="along the curve of constant loss the tokens are a function of the size (your Question 3); "
                      "minimise the lifetime FLOPs over the size, for instance over log N"),
        Question("q6", "which size to train", 2, "choose", "size_choice", options=4,
                 hint="the right option has the lowest lifetime FLOPs of the four at the target loss"),
        Question("q7", "when to train past compute-optimal", 2, "explain", "overtraining_advice"),
        Question("q8", "a law fitted to real runs", 3, "fit", "predicted_7b_loss", rtol=1e-4,
                 hint="fit E + (a M**eta + b M**-eta) C**-eta with C = 6 N D and M = D / N by least squares on the "
                      "loss (scipy.optimize.curve_fit) from ex.q8.start, then evaluate it at the 6.9B model"),
    ),
)
