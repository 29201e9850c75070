"""Exercise 8: what comes next. Questions and per-student parameters (no answers here)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..compute import (
    INFERENCE_FLOPS_PER_PARAM_TOKEN,
    TRAINING_FLOPS_PER_PARAM_TOKEN,
    training_flops,
    training_tokens,
)
from ..distillation import BUSBRIDGE_2025
from ..lifetime import kv_cache_bytes_per_token
from ..trends import FRONTIER_COMPUTE
from .core import Exercise, Question, draw_options, round_sig

#: The law of Question 6: Busbridge et al. 2025's distillation law with their supervised law inside
#: (:data:`lectures_lib.distillation.BUSBRIDGE_2025`, Table 6 constants).
LAW = BUSBRIDGE_2025
#: Chinchilla's rule of thumb, tokens per parameter (Question 5).
CHINCHILLA_RATIO = 20.0
#: Anchors of Question 4: the records whose compute is disclosed or computed from disclosed sizes.
ANCHORS = tuple(r for r in FRONTIER_COMPUTE if r.kind != "estimated")


def _q3(rng: np.random.Generator) -> dict[str, Any]:
    """A served model (size and shape, weights in bf16), an accelerator's memory and a batch of sequences."""
    while True:
        n_layers = int(rng.choice([24, 28, 36, 40, 48, 60]))
        n_kv_heads = int(rng.choice([2, 4, 8, 16]))
        head_dim = int(rng.choice([64, 128]))
        n_params = round_sig(10 ** rng.uniform(9.3, 10.6), 3)
        memory = float(rng.choice([80e9, 96e9, 141e9, 192e9]))
        batch = int(rng.choice([4, 8, 16, 32, 64]))
        kv_bytes = float(kv_cache_bytes_per_token(n_layers, n_kv_heads, head_dim, bytes_per_value=2))
        context = (memory - 2 * n_params) / (batch * kv_bytes)
        if 2_000 < context < 2_000_000:
            return {"n_params": n_params, "bytes_per_param": 2, "n_layers": n_layers, "n_kv_heads": n_kv_heads,
                    "head_dim": head_dim, "bytes_per_value": 2, "memory_bytes": memory, "batch": batch}


def _q4(rng: np.random.Generator) -> dict[str, Any]:
    """A disclosed (or computed) training budget as the anchor, a yearly growth and a target budget."""
    anchor = ANCHORS[int(rng.integers(len(ANCHORS)))]
    growth = 4.6
    while growth in (4.0, 4.6, 5.0):  # the chapter's rates
        growth = round(float(rng.uniform(3.0, 6.0)), 2)
    return {"anchor": anchor.name, "anchor_year": anchor.year, "anchor_flops": anchor.flops,
            "growth_per_year": growth, "target_flops": round_sig(anchor.flops * 10 ** rng.uniform(1.0, 3.5))}


def _q5(rng: np.random.Generator) -> dict[str, Any]:
    """A model's disclosed size and training budget, and four candidate multiples of Chinchilla's ratio: the right
    one and three of what common slips give (a forward-only 2N FLOPs per token; C / N taken as the tokens, with no
    factor; the ratio D / N not divided by 20; 20 divided by D / N instead of the other way round)."""
    n_params = round_sig(10 ** rng.uniform(9.5, 11.5))
    tokens_per_param = 10 ** rng.uniform(1.3, 3.3)
    flops = round_sig(float(training_flops(n_params, n_params * tokens_per_param)))
    tokens = float(training_tokens(flops, n_params))
    right = tokens / n_params / CHINCHILLA_RATIO
    forward_only = right * TRAINING_FLOPS_PER_PARAM_TOKEN / INFERENCE_FLOPS_PER_PARAM_TOKEN  # 2N per token
    no_factor = right * TRAINING_FLOPS_PER_PARAM_TOKEN  # D = C / N
    slips = [forward_only, no_factor, tokens / n_params, 1 / right]
    return {"n_params": n_params, "flops": flops, "options": draw_options(rng, right, slips, min_ratio=1.3)}


def _gain(n: float, d: float, teacher_loss: float) -> float:
    return float(LAW.gain(n, d, teacher_loss))


def _q6(rng: np.random.Generator) -> dict[str, Any]:
    """A teacher (size and tokens, its loss by the supervised law) and a student size, such that distillation wins
    at 1e9 tokens and loses at 1e14."""
    while True:
        teacher_params = round_sig(10 ** rng.uniform(9.5, 10.1))
        teacher_tokens = round_sig(10 ** rng.uniform(11.2, 11.7))
        student_params = round_sig(10 ** rng.uniform(8.2, 9.3))
        teacher_loss = float(LAW.supervised.loss(teacher_params, teacher_tokens))
        if (teacher_params, teacher_tokens) == (12.6e9, 512e9) or student_params >= teacher_params / 3:
            continue
        if _gain(student_params, 1e9, teacher_loss) > 0 > _gain(student_params, 1e14, teacher_loss):
            return {"teacher_params": teacher_params, "teacher_tokens": teacher_tokens,
                    "student_params": student_params}


_PARAMETERS = {"q3": _q3, "q4": _q4, "q5": _q5, "q6": _q6}


EXERCISE = Exercise(
    exercise_id="08_whats_next",
    title="What comes next",
    parameters=_PARAMETERS,
    questions=(
        Question("q1", "attention's share of the cost", 2, "implement", "attention_share",
                 visible_cases=((7.2e9, 28, 16384, 3584), (1e8, 12, 1024, 768),
                                (np.array([1.3e10, 3.2e10]), np.array([40, 64]), np.array([32768, 65536]),
                                 np.array([5120, 5120]))),
                 rtol=1e-9,
                 hint="the forward FLOPs per token are 2N for the weights plus 2 n_layer n_ctx d_attn for attention "
                      "over the context"),
        Question("q2", "when attention takes a given share", 3, "derive", "context_for_share",
                 visible_cases=((7.2e9, 28, 3584, 0.5), (1e8, 12, 768, 0.25),
                                (3.2e10, 64, 5120, np.array([0.1, 0.5, 0.9]))),
                 rtol=1e-9,
                 hint="write share = attention / (2N + attention) and solve for n_ctx; the answer is linear in N"),
        Question("q3", "a KV-cache budget", 2, "compute", "context_per_sequence", rtol=1e-6,
                 hint="subtract the weights from the memory, then divide what is left among the sequences and the "
                      "bytes each token of context keeps (a key and a value, in every layer, for every KV head)"),
        Question("q4", "dating a budget on the trend", 2, "compute", "years_after_anchor", rtol=1e-6,
                 hint="on an exponential trend C(t) = C0 g**(t - t0); take logarithms"),
        Question("q5", "a claim about a frontier model's allocation", 2, "choose", "ratio_choice", options=4,
                 hint="recover the training tokens from the budget first; a training token costs 6 FLOPs per "
                      "parameter"),
        Question("q6", "when supervised training catches up", 3, "compute", "break_even_tokens", rtol=1e-4,
                 hint="write the supervised law (Busbridge Eq. 1) and the distillation law (Eq. 8) yourself, then "
                      "find where their difference changes sign, for instance by bisection in log D"),
        Question("q7", "the CAP theorem of scaling", 2, "explain", "cap_verdict"),
    ),
)
