"""Exercise 6: quantization. Questions and per-student parameters (no answers here)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..chinchilla import HOFFMANN_2022
from .core import Exercise, Question, draw_options, round_sig

#: The law of Question 7 (Hoffmann et al. 2022, Approach 3).
LAW = HOFFMANN_2022
#: Candidate block sizes of Question 5, smallest first; the last one is a whole row.
BLOCK_SIZES = (8, 16, 32, 64, 128, 256, 512)
#: Row length of Question 5's matrix.
ROW_LENGTH = 512
#: Bits of one float32 scale (Questions 5 and 6 store scales in float32 unless told otherwise).
FLOAT32_BITS = 32


def _q4(rng: np.random.Generator) -> dict[str, Any]:
    """A model served from one GPU: its size, its precision and scales, and the KV cache of its batch."""
    n_layers = int(rng.choice([24, 28, 36, 40, 48]))
    return {"n_params": round_sig(10 ** rng.uniform(9.3, 10.6)),
            "bits": int(rng.choice([3, 4, 5, 6, 8])),
            "block_size": int(rng.choice([32, 64, 128, 256])),
            "scale_bits": int(rng.choice([16, 32])),
            "n_layers": n_layers, "n_kv_heads": int(rng.choice([4, 8])), "head_dim": 128,
            "kv_bytes_per_value": 2, "context_tokens": int(rng.choice([2048, 4096, 16384, 32768])),
            "batch_size": int(rng.choice([2, 3, 6, 12]))}


def _q5(rng: np.random.Generator) -> dict[str, Any]:
    """A weight matrix with heavy tails (Student t), the bits, and an RMS error budget that some but not all
    candidate block sizes meet."""
    from ..quantization import relative_error

    rows = int(rng.integers(48, 160))
    df = float(rng.uniform(3.0, 8.0))
    bits = int(rng.choice([3, 4]))
    weights = (rng.standard_t(df, size=(rows, ROW_LENGTH)) * 0.02).round(6)
    low = relative_error(weights, bits, "absmax", BLOCK_SIZES[0])
    high = relative_error(weights, bits, "absmax", BLOCK_SIZES[-1])
    budget = round(float(low + rng.uniform(0.1, 0.8) * (high - low)), 4)
    return {"weights": weights, "bits": bits, "error_budget": budget, "block_sizes": BLOCK_SIZES}


def _q6(rng: np.random.Generator) -> dict[str, Any]:
    """A GPU, the memory kept for the KV cache and activations, a precision with its scales, and four sizes in
    billions of parameters: the largest model that fits and what common slips give (the scales forgotten,
    the reserved memory forgotten, or both; GiB taken for GB; bits taken for bytes)."""
    from ..quantization import bits_per_param

    memory_gb = float(rng.choice([16, 24, 40, 48, 80, 96]))
    reserved_gb = round(float(rng.uniform(0.1, 0.3) * memory_gb), 1)
    bits = int(rng.choice([3, 4, 6, 8]))
    block = int(rng.choice([32, 64]))
    stored = float(bits_per_param(bits, block, scale_bits=FLOAT32_BITS))
    free = (memory_gb - reserved_gb) * 1e9
    right = free * 8 / stored / 1e9
    slips = [free * 8 / bits / 1e9,                              # scales forgotten
             memory_gb * 1e9 * 8 / stored / 1e9,                 # the reserve forgotten
             (memory_gb - reserved_gb) * 2**30 * 8 / stored / 1e9,  # GiB read as the GPU's GB
             free / stored / 1e9,                                # bits per parameter read as bytes
             memory_gb * 1e9 * 8 / bits / 1e9]                   # both the scales and the reserve forgotten
    return {"memory_gb": memory_gb, "reserved_gb": reserved_gb, "bits": bits, "block_size": block,
            "options": draw_options(rng, right, slips, min_ratio=1.04)}


def _q7(rng: np.random.Generator) -> dict[str, Any]:
    """A memory budget for the weights, the training tokens, and the loss each precision adds after training."""
    return {"weights_gb": float(rng.choice([12, 20, 36, 44, 60, 72])),
            "n_tokens": round_sig(10 ** rng.uniform(12.0, 13.2)),
            "stored_bits_low": 4.5, "stored_bits_high": 8.5,
            "ptq_loss_low": round(float(rng.uniform(0.01, 0.06)), 3),
            "ptq_loss_high": round(float(rng.uniform(0.0, 0.004)), 4)}


_PARAMETERS = {"q4": _q4, "q5": _q5, "q6": _q6, "q7": _q7}

EXERCISE = Exercise(
    exercise_id="06_quantization",
    title="Quantization",
    parameters=_PARAMETERS,
    questions=(
        Question("q1", "absmax quantization", 3, "implement", "absmax_round_trip",
                 visible_cases=((np.array([0.9, -0.3, 0.05, 2.4]), 4),
                                (np.array([[1.0, -2.0, 0.5], [0.1, 0.2, -0.4]]), 3),
                                (np.array([[0.013, -0.2, 0.07, 0.11]]), 8)),
                 rtol=1e-9,
                 hint="one scale per row: the row's largest magnitude divided by 2**(bits-1) - 1; round x / scale "
                      "to the nearest integer, then multiply back"),
        Question("q2", "zero-point quantization", 3, "implement", "zero_point_round_trip",
                 visible_cases=((np.array([0.9, -0.3, 0.05, 2.4]), 4),
                                (np.array([[1.0, 2.0, 0.5], [-0.1, -0.2, -0.4]]), 3),
                                (np.array([[0.3, -0.2, 0.7, 0.11]]), 8)),
                 rtol=1e-9,
                 hint="widen each row's range to contain 0, step = range / (2**bits - 1), zero point = "
                      "round(-min / step); clip the codes to [0, 2**bits - 1] before mapping back"),
        Question("q3", "bits per weight with double quantization", 2, "derive", "double_quant_bits",
                 visible_cases=((4, 64, 8, 256), (3, 128, 8, 256), (np.array([2, 4, 8]), 32, 4, 64)),
                 rtol=1e-9,
                 hint="count, per weight, the code, its share of a quantized first-level constant and its share "
                      "of a float32 second-level constant"),
        Question("q4", "what one GPU must hold", 2, "compute", "memory_gb", rtol=1e-4,
                 hint="weights: parameters times stored bits (codes plus scales) over 8; cache: 2 x layers x KV "
                      "heads x head size x bytes per value for every token of every sequence; GB = 1e9 bytes"),
        Question("q5", "the block size for an error budget", 3, "compute", "stored_bytes", rtol=1e-9,
                 hint="for each candidate, from large to small, quantize blocks of that many values of each row "
                      "(your Question 1 on a reshaped matrix) and compare the relative RMS error with the budget"),
        Question("q6", "the largest model that fits", 2, "choose", "size_choice", options=4,
                 hint="the memory left after the reserve, in bits, divided by the stored bits per parameter"),
        Question("q7", "a larger 4-bit or a smaller 8-bit model", 3, "compute", "loss_gap", rtol=1e-4,
                 hint="find each model's size from the memory, its loss under the law at the given tokens, add "
                      "the loss its quantization adds, and subtract"),
        Question("q8", "quantizing an over-trained model", 2, "explain", "quantization_advice"),
    ),
)
