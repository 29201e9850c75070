"""Exercise 3: the Chinchilla trap. Questions, data and checks."""

from __future__ import annotations

import numpy as np

from .. import chinchilla as ch
from .. import lifetime
from .core import Exercise, Question, make_checker

#: Question 3 and 5: the quality of a compute-optimal 30B (q3) or 70B (q5) model under Sardana et al.'s law.
Q3_REFERENCE_PARAMS = 30e9
Q5_REFERENCE_PARAMS = 70e9
INFERENCE_TOKENS = 1e13


def _random_lifetimes(rng: np.random.Generator) -> list[tuple]:
    n = 10 ** rng.uniform(8, 12, size=4)
    d = 10 ** rng.uniform(10, 13, size=4)
    d_inf = 10 ** rng.uniform(9, 15, size=4)
    return [(float(a), float(b), float(c)) for a, b, c in zip(n, d, d_inf, strict=True)] + [(n, d, d_inf)]


def _q3() -> float:
    law = lifetime.SARDANA_2024
    target = law.loss(Q3_REFERENCE_PARAMS, law.tokens_for_params(Q3_REFERENCE_PARAMS))
    return float(lifetime.lifetime_optimal(target, INFERENCE_TOKENS, law=law)[0])


EXERCISE = Exercise(
    exercise_id="03_chinchilla_trap",
    title="The Chinchilla trap",
    questions=(
        Question("q1", "lifetime FLOPs", 2, "lifetime_flops", lifetime.lifetime_flops, kind="function",
                 visible_cases=((70e9, 1.4e12, 0.0), (70e9, 1.4e12, 1e13),
                                (np.array([7e9, 8e9]), np.array([2e12, 15e12]), np.array([1e12, 1e13]))),
                 hidden_inputs=_random_lifetimes, rtol=1e-9,
                 hint="6 N D_train for training plus 2 N for every inference token"),
        Question("q2", "break-even usage", 2, "break_even_tokens", lambda: lifetime.break_even_inference_tokens(1.4e12),
                 rtol=1e-9, hint="set 2 N D_inf equal to 6 N D_train"),
        Question("q3", "inference-aware optimum", 3, "lifetime_optimal_params", _q3, rtol=1e-3,
                 hint="along the curve of constant loss, D is a function of N; minimise 6ND + 2N D_inf over N"),
        Question("q4", "a model half the size", 2, "half_size_overhead",
                 lambda: lifetime.size_overhead(0.5, law=ch.HOFFMANN_2022), rtol=1e-4,
                 hint="keep the loss fixed with N = N_opt / 2: how many tokens does that need, so how much compute?"),
        Question("q5", "judge a deployment plan", 3, "plan_savings",
                 lambda: lifetime.lifetime_savings(Q5_REFERENCE_PARAMS, INFERENCE_TOKENS, law=lifetime.SARDANA_2024),
                 rtol=1e-3,
                 hint="compare the lifetime FLOPs of the 70B compute-optimal model with those of the "
                      "inference-aware optimum of the same loss"),
    ),
)

check, hidden_check = make_checker(EXERCISE)
