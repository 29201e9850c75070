"""Exercise 5: Mixture of Experts. Questions and per-student parameters (no answers here)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..compute import TRAINING_FLOPS_PER_PARAM_TOKEN
from ..moe import KRAJEWSKI_2024_MOE, MoEConfig
from .core import Exercise, Question, draw_options, round_sig

#: Memory sizes of one accelerator in Question 6, in GB (1e9 bytes).
ACCELERATOR_GB = (24, 40, 48, 80)
#: Bytes per parameter in Question 6 (bf16).
BYTES_PER_PARAM = 2
#: Krajewski et al. 2024's MoE law (Table 1), for Question 8: ``law.a``, ``law.alpha``, ``law.b``, ``law.beta``,
#: ``law.g``, ``law.gamma``, ``law.c``.
LAW = KRAJEWSKI_2024_MOE


def _base(rng: np.random.Generator) -> dict[str, int]:
    """The shared part of a decoder-only configuration: layers, width, attention, vocabulary."""
    d_model = int(rng.choice([2048, 2560, 3072, 3584, 4096, 5120]))
    heads = d_model // 128
    kv_heads = int(rng.choice([4, 8])) if heads % 8 == 0 else 4
    return {"n_layers": int(rng.choice([20, 24, 28, 30, 36, 40, 44])), "d_model": d_model,
            "n_heads": heads, "n_kv_heads": kv_heads, "head_dim": 128,
            "vocab_size": int(rng.choice([32768, 50304, 65536, 100352, 151936]))}


def _q4(rng: np.random.Generator) -> dict[str, Any]:
    """An MoE configuration: the base, then experts, shared experts and a few dense layers."""
    config = _base(rng)
    n_experts = int(rng.choice([16, 32, 48, 64, 96, 128]))
    dense_layers = int(rng.choice([0, 1, 2, 3]))
    config.update({"n_experts": n_experts, "top_k": int(rng.choice([2, 4, 6, 8])),
                   "d_ff_expert": int(rng.choice([512, 768, 1024, 1408, 1536, 2048])),
                   "n_shared_experts": int(rng.choice([0, 1, 2])), "n_dense_layers": dense_layers,
                   "d_ff_dense": int(rng.choice([8192, 10240, 11008, 12288])) if dense_layers else 0})
    return {"config": config}


def _counts(config: dict[str, int]) -> tuple[int, int]:
    """(total, active) parameters of a configuration of Questions 4 to 6, counted by the library's
    :class:`~lectures_lib.moe.MoEConfig` (which the answer cells may not use)."""
    counted = MoEConfig("design", **config)
    return counted.total_params, counted.active_params


def _q6(rng: np.random.Generator) -> dict[str, Any]:
    """Two designs on one base, a budget of accelerators that holds exactly one of them (the one with more
    FLOPs per token), and four options in GFLOPs per token: the right one and three of five slips (memory judged
    by the active count; FLOPs from the total count; 6 FLOPs per active parameter, as in training; 1 FLOP per
    active parameter; one routed expert per layer instead of top_k)."""
    while True:
        base = _base(rng)
        wide = dict(base, n_experts=int(rng.choice([8, 16])), top_k=2, d_ff_expert=int(rng.choice([4096, 6144])),
                    n_shared_experts=0, n_dense_layers=0, d_ff_dense=0)
        fine = dict(base, n_experts=int(rng.choice([64, 96, 128])), top_k=int(rng.choice([2, 4])),
                    d_ff_expert=int(rng.choice([768, 1024, 1536])), n_shared_experts=int(rng.choice([0, 1])),
                    n_dense_layers=0, d_ff_dense=0)
        (total_w, active_w), (total_f, active_f) = _counts(wide), _counts(fine)
        if not (total_f > total_w and active_f * 1.2 < active_w):
            continue  # the fine design must hold more and compute less
        size = int(rng.choice(ACCELERATOR_GB))
        gpus = int(np.ceil(total_w * BYTES_PER_PARAM / (size * 1e9)))
        if total_f * BYTES_PER_PARAM <= gpus * size * 1e9:
            continue  # only the wide design may fit
        right = 2 * active_w / 1e9
        one_expert = 2 * (active_w - (wide["top_k"] - 1) * wide["n_layers"] * 3 * wide["d_model"]
                          * wide["d_ff_expert"]) / 1e9
        slips = [2 * active_f / 1e9, 2 * total_w / 1e9, TRAINING_FLOPS_PER_PARAM_TOKEN * active_w / 1e9, active_w / 1e9,
                 one_expert]
        try:
            options = draw_options(rng, right, slips)
        except ValueError:
            continue
        names = ["A", "B"] if rng.random() < 0.5 else ["B", "A"]
        designs = {names[0]: wide, names[1]: fine}
        return {"design_A": designs["A"], "design_B": designs["B"], "n_accelerators": gpus, "accelerator_gb": size,
                "options": options}


def _q8(rng: np.random.Generator) -> dict[str, Any]:
    """A budget, an expansion rate and a granularity (the chapter uses 64 and 1 or 8)."""
    return {"flops": round_sig(10 ** rng.uniform(20.5, 23.5)), "expansion": int(rng.choice([8, 16, 32])),
            "granularity": int(rng.choice([2, 4, 16, 32]))}


_PARAMETERS = {"q4": _q4, "q6": _q6, "q8": _q8}


EXERCISE = Exercise(
    exercise_id="05_mixture_of_experts",
    title="Mixture of Experts",
    parameters=_PARAMETERS,
    questions=(
        Question("q1", "top-k gate weights", 3, "implement", "gate_weights",
                 visible_cases=((np.array([[1.0, 3.0, 2.0, 0.0]]), 2),
                                (np.array([[0.5, -1.0, 2.0], [0.0, 0.1, -0.3]]), 1),
                                (np.array([[2.0, 1.0, 0.0, -1.0], [0.5, 0.0, 3.0, 1.0], [1.0, 4.0, 2.0, 3.0]]), 3)),
                 rtol=1e-9,
                 hint="for each token keep the k largest logits, take the softmax over those k only, and put "
                      "zeros for the other experts"),
        Question("q2", "the Switch balancing loss", 2, "implement", "balancing_loss",
                 visible_cases=((np.full((4, 4), 0.25) + np.array([[0.05, -0.05, 0, 0]] * 4), 0.01),
                                (np.array([[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.6, 0.3, 0.1]]), 0.01),
                                (np.array([[0.9, 0.1], [0.2, 0.8]]), 0.1)),
                 rtol=1e-9,
                 hint="f_i counts the tokens whose largest probability is expert i; P_i averages column i"),
        Question("q3", "the loss of a partly collapsed router", 3, "derive", "partial_collapse_loss",
                 visible_cases=((0.01, 8, 2, 0.9), (0.01, 64, 64, 0.5),
                                (0.001, 16, np.array([1, 2, 4, 16]), 0.7)),
                 rtol=1e-9,
                 hint="write down f_i and P_i for a used and for an unused expert, then sum f_i P_i; only the "
                      "used experts have f_i > 0"),
        Question("q4", "total parameters from a configuration", 3, "compute", "total_params", rtol=1e-4,
                 hint="count one layer's attention and one expert first; the routers are small but not "
                      "negligible, the norms are"),
        Question("q5", "active parameters", 2, "compute", "active_params", rtol=1e-4,
                 hint="a token uses its top_k routed experts and every shared expert in each MoE layer, and "
                      "everything that is not an expert"),
        Question("q6", "which design fits the memory", 2, "choose", "design_choice", options=4,
                 hint="first check which design's weights fit the accelerators, then count that design's FLOPs "
                      "per token"),
        Question("q7", "reading a router's utilisation", 2, "explain", "collapse_diagnosis"),
        Question("q8", "compute-optimal tokens for an MoE", 3, "compute", "optimal_tokens", rtol=1e-4,
                 hint="at a fixed granularity the law is Chinchilla's with A = g / G**gamma + a; training costs "
                      "6 N_active D, so write the budget in units of 6 N D first"),
    ),
)
