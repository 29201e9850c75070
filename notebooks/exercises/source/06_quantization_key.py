"""Answer key of exercise 6 (instructor material: the grader loads it with --source; never installed)."""

import numpy as np

from lectures_lib.exercises.core import letter_of
from lectures_lib.exercises.ex06_quantization import EXERCISE, FLOAT32_BITS, LAW
from lectures_lib.exercises.key import Answer, Key

QUANTIZE_FUNCTIONS = ("lectures_lib.quantization.quantize", "lectures_lib.quantization.round_trip",
                      "lectures_lib.quantization.dequantize", "lectures_lib.quantization.relative_error")


def _absmax(x, bits):
    """One scale per row (last axis): round(x / s) * s with s = max|x| / (2**(bits-1) - 1)."""
    x = np.asarray(x, dtype=float)
    scale = np.abs(x).max(axis=-1, keepdims=True) / (2 ** (bits - 1) - 1)
    scale = np.where(scale == 0, 1.0, scale)
    return np.round(x / scale) * scale


def _zero_point(x, bits):
    """One step and zero point per row over the row's range widened to contain 0."""
    x = np.asarray(x, dtype=float)
    levels = 2**bits - 1
    low = np.minimum(x.min(axis=-1, keepdims=True), 0.0)
    high = np.maximum(x.max(axis=-1, keepdims=True), 0.0)
    step = (high - low) / levels
    step = np.where(step == 0, 1.0, step)
    zero = np.round(-low / step)
    codes = np.clip(np.round(x / step) + zero, 0, levels)
    return (codes - zero) * step


def _rows(rng):
    cases = []
    for shape in ((7,), (3, 9), (5, 16), (1, 33)):
        x = rng.standard_normal(shape) * 10 ** rng.uniform(-3, 1)
        if len(cases) == 2:
            x = np.abs(x)  # a row of one sign: the widened range matters for zero-point
        cases.append((x, int(rng.integers(2, 9))))
    return cases


def _double_quant_bits(bits, block_size, constant_bits, second_block_size):
    return bits + constant_bits / block_size + FLOAT32_BITS / (block_size * second_block_size)


def _double_cases(rng):
    cases = [(int(rng.integers(2, 9)), int(2 ** rng.integers(4, 9)), int(rng.integers(4, 9)),
              int(2 ** rng.integers(5, 10))) for _ in range(4)]
    return cases + [(np.array([3, 4, 6]), 64, 8, 256)]


def _memory_gb(variant):
    q4 = variant.q4
    weights = q4.n_params * (q4.bits + q4.scale_bits / q4.block_size) / 8
    cache = (2 * q4.n_layers * q4.n_kv_heads * q4.head_dim * q4.kv_bytes_per_value
             * q4.context_tokens * q4.batch_size)
    return (weights + cache) / 1e9


def _stored_bytes(variant):
    """Largest candidate block meeting the budget (error computed with the key's own absmax, in float64), and
    the bytes of the matrix at that block: packed codes plus float32 scales."""
    q5 = variant.q5
    w = np.asarray(q5.weights, dtype=float)
    rms = np.sqrt(np.mean(w**2))
    for block in sorted(q5.block_sizes, reverse=True):
        blocks = w.reshape(-1, block)
        error = np.sqrt(np.mean((_absmax(blocks, q5.bits) - blocks) ** 2)) / rms
        if error <= q5.error_budget:
            return w.size * q5.bits / 8 + w.size / block * FLOAT32_BITS / 8
    raise ValueError("no candidate block size meets the budget")


def _size_letter(variant):
    q6 = variant.q6
    stored = q6.bits + FLOAT32_BITS / q6.block_size
    right = (q6.memory_gb - q6.reserved_gb) * 1e9 * 8 / stored / 1e9
    return letter_of(q6.options, float(f"{right:.3g}"))


def _loss_gap(variant):
    q7 = variant.q7
    memory_bits = q7.weights_gb * 1e9 * 8

    def loss(stored_bits, ptq_loss):
        return float(LAW.loss(memory_bits / stored_bits, q7.n_tokens)) + ptq_loss

    return loss(q7.stored_bits_high, q7.ptq_loss_high) - loss(q7.stored_bits_low, q7.ptq_loss_low)


KEY = Key(EXERCISE, {
    "q1": Answer(_absmax, _rows, forbidden=QUANTIZE_FUNCTIONS, if_forbidden="zero"),
    "q2": Answer(_zero_point, _rows, forbidden=QUANTIZE_FUNCTIONS, if_forbidden="zero"),
    "q3": Answer(_double_quant_bits, _double_cases,
                 forbidden=("lectures_lib.quantization.double_quantized_constant_bits",
                            "lectures_lib.quantization.bits_per_param")),
    "q4": Answer(_memory_gb, forbidden=("lectures_lib.lifetime.kv_cache_bytes_per_token",
                                        "lectures_lib.quantization.bits_per_param")),
    "q5": Answer(_stored_bytes, forbidden=QUANTIZE_FUNCTIONS),
    "q6": Answer(_size_letter, forbidden=("lectures_lib.quantization.largest_model_params",)),
    "q7": Answer(_loss_gap),
    "q8": Answer(rubric=(
        "Two points. One point for the mechanism: post-training quantization adds a loss that grows with the "
        "training tokens per parameter (Kumar et al.: about D**0.5 / N**0.34 in their fit), because weights "
        "trained on more data carry more information that rounding destroys; so the over-trained small models "
        "built to be cheap to serve are the most fragile to quantize, and past some amount of data more "
        "pre-training can make the quantized model worse. One point for sound advice with a reason, any two "
        "of: measure the quantized model's loss or accuracy rather than assume it; prefer 8 bits, or 4 bits "
        "with small blocks and NF4 or a calibrated method (GPTQ-style), over 3 bits or less; consider "
        "quantization-aware training or training in the target precision; account for the quantized loss when "
        "choosing how long to train. Half a point for advice with no reason.")),
})
