"""Quantization: storing weights in fewer bits, what it saves and what it costs.

``quantize(x, bits, scheme, block_size)`` rounds an array onto a grid of ``2**bits`` levels and keeps the
codes bit-packed (two 4-bit codes per byte), with one float32 scale per block of ``block_size``
consecutive values along the last axis (or one per tensor). Three schemes:

* ``"absmax"`` (symmetric): step s = max|x| / (2**(b-1) - 1), codes round(x / s) in [-(2**(b-1) - 1),
  2**(b-1) - 1] (Dettmers et al. 2022, LLM.int8(), arXiv 2208.07339, Sec. 2.1, at b = 8; Kumar et al. 2024,
  App. D.1 for b bits);
* ``"zero_point"`` (asymmetric): step s = (max - min) / (2**b - 1) over a range widened to contain 0, an
  integer zero point z = round(-min / s), codes clip(round(x / s) + z, 0, 2**b - 1), x_hat = (code - z) s;
* ``"nf4"`` (4 bits only): the 16 NormalFloat levels of QLoRA (Dettmers et al. 2023, arXiv 2305.14314,
  Sec. 3), built from quantiles of the standard normal distribution, times the block's absmax.

Beside it: the memory of weights, scales and training state (ZeRO's 16 bytes per parameter), QLoRA's double
quantization, LLM.int8()'s mixed-precision decomposition of outlier features, and the precision law of
Kumar et al. 2024 (arXiv 2411.04330).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from . import _validate as v
from ._validate import ArrayLike

SCHEMES: tuple[str, ...] = ("absmax", "zero_point", "nf4")
#: Bits accepted by :func:`quantize`.
BITS_RANGE: tuple[int, int] = (2, 16)
#: Bytes per parameter of the common number formats (the weights alone, before any scale).
BYTES_PER_PARAM: dict[str, float] = {"fp32": 4.0, "bf16": 2.0, "fp16": 2.0, "int8": 1.0, "int4": 0.5}
#: Bits of one stored scale: float32, as QLoRA's first-level quantization constants (Sec. 3).
SCALE_BITS = 32

#: LLM.int8()'s outlier threshold: a feature dimension holding any activation of magnitude >= 6.0 is kept in
#: 16 bit (Dettmers et al. 2022, arXiv 2208.07339, Sec. 3 and 4.1).
DETTMERS_2022_OUTLIER_THRESHOLD = 6.0
#: The model size at which Dettmers et al. 2022 report a "phase shift" in outlier features (Sec. 4.1).
DETTMERS_2022_PHASE_SHIFT_PARAMS = 6.7e9
#: Dettmers & Zettlemoyer 2023 (arXiv 2212.09720, Sec. 7): use a block size of 128 or lower for 4-bit.
DETTMERS_ZETTLEMOYER_2023_MAX_BLOCK_SIZE = 128

#: QLoRA's double quantization (Dettmers et al. 2023, Sec. 3): 64 weights per first-level block with a
#: float32 constant, the constants themselves quantized to 8 bits in blocks of 256 with a float32 constant.
QLORA_BLOCK_SIZE = 64
QLORA_CONSTANT_BITS = 8
QLORA_SECOND_BLOCK_SIZE = 256

#: ZeRO's accounting of mixed-precision Adam, bytes per parameter (Rajbhandari et al. 2020, arXiv 1910.02054,
#: Sec. 3): fp16 weights and gradients, then K = 12 bytes of fp32 optimizer state.
ZERO_2020_BYTES_PER_PARAM: dict[str, float] = {
    "fp16 weights": 2.0, "fp16 gradients": 2.0,
    "fp32 master weights": 4.0, "fp32 Adam momentum": 4.0, "fp32 Adam variance": 4.0,
}


# ------------------------------------------------------------------------------------------------
# Levels and validation
# ------------------------------------------------------------------------------------------------
@lru_cache(maxsize=1)
def _nf4_levels() -> np.ndarray:
    from scipy.stats import norm

    # QLoRA, Sec. 3: quantiles of N(0, 1) for 2**(k-1) negative and 2**(k-1) + 1 positive levels, one of the two
    # zeros dropped, normalised to [-1, 1]. The outermost probability is the mean of 1 - 1/(2*15) and
    # 1 - 1/(2*16), as in the reference implementation (bitsandbytes' create_normal_map).
    offset = 0.5 * ((1 - 1 / 30) + (1 - 1 / 32))
    positive = norm.ppf(np.linspace(offset, 0.5, 9)[:-1])
    negative = -norm.ppf(np.linspace(offset, 0.5, 8)[:-1])
    levels = np.sort(np.concatenate([positive, [0.0], negative]))
    levels = levels / levels.max()
    levels.setflags(write=False)
    return levels


def nf4_levels() -> np.ndarray:
    """The 16 NormalFloat-4 levels in [-1, 1], computed from normal quantiles (QLoRA, Sec. 3); 0 is exact."""
    return _nf4_levels().copy()


def _bits(bits: object) -> int:
    return v.positive_int(bits, "bits", minimum=BITS_RANGE[0], maximum=BITS_RANGE[1])


def _array(x: object) -> np.ndarray:
    if isinstance(x, (bool, np.bool_, str, bytes)) or x is None:
        raise TypeError(f"x must be an array of numbers, got {x!r}")
    array = np.asarray(x)
    if array.dtype == bool or not (np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)):
        raise TypeError(f"x must be an array of numbers, got dtype {array.dtype}")
    if array.ndim == 0 or array.size == 0:
        raise ValueError(f"x must be an array with at least one value, got shape {array.shape}")
    return array if array.dtype == np.float32 else array.astype(np.float64)


# ------------------------------------------------------------------------------------------------
# Bit packing
# ------------------------------------------------------------------------------------------------
def _codes(codes: object, bits: int) -> np.ndarray:
    """``codes`` as a flat integer array, each a whole number in [0, 2**bits - 1]."""
    if isinstance(codes, (bool, np.bool_, str, bytes)) or codes is None:
        raise TypeError(f"codes must be an array of whole numbers, got {codes!r}")
    flat = np.ravel(np.asarray(codes))
    if flat.dtype == bool or not np.issubdtype(flat.dtype, np.integer):
        raise TypeError(f"codes must hold whole numbers (unsigned codes of {bits} bits), got dtype {flat.dtype}")
    if flat.size and (flat.min() < 0 or flat.max() > 2**bits - 1):
        bad = flat[(flat < 0) | (flat > 2**bits - 1)][0]
        raise ValueError(f"codes must lie in [0, {2**bits - 1}] (unsigned codes of {bits} bits), got {bad}")
    return flat


def pack_codes(codes: np.ndarray, bits: int) -> np.ndarray:
    """Unsigned integer codes of ``bits`` bits each, packed little-endian into ceil(n bits / 8) bytes.

    ``codes`` must hold whole numbers in [0, 2**bits - 1] (``TypeError`` for other dtypes, ``ValueError``
    for values out of range)."""
    bits = _bits(bits)
    flat = _codes(codes, bits)
    if bits == 8:
        return flat.astype(np.uint8)
    if bits == 16:
        return flat.astype("<u2").view(np.uint8)
    if bits == 4:
        if flat.size % 2:
            flat = np.concatenate([flat, np.zeros(1, flat.dtype)])
        low, high = flat[0::2].astype(np.uint8), flat[1::2].astype(np.uint8)
        high <<= 4
        high |= low
        return high
    bit_matrix = ((flat.astype(np.uint32)[:, None] >> np.arange(bits, dtype=np.uint32)) & 1).astype(np.uint8)
    return np.packbits(bit_matrix.ravel(), bitorder="little")


def unpack_codes(packed: np.ndarray, bits: int, count: int) -> np.ndarray:
    """The first ``count`` codes of ``bits`` bits from :func:`pack_codes`' bytes (uint8, or uint16 above 8 bits).

    ``packed`` must be a 1-D array (or sequence) of bytes, whole numbers in [0, 255], holding at least
    ``count`` codes."""
    bits = _bits(bits)
    if isinstance(packed, (bool, np.bool_, str, bytes)) or packed is None:
        raise TypeError(f"packed must be an array of bytes from pack_codes(), got {packed!r}")
    array = np.asarray(packed)
    if array.dtype == bool or not np.issubdtype(array.dtype, np.integer):
        raise TypeError(f"packed must hold bytes (whole numbers in [0, 255]), got dtype {array.dtype}")
    if array.ndim != 1:
        raise ValueError(f"packed must be a one-dimensional array of bytes, got shape {array.shape}")
    if array.dtype != np.uint8:
        if array.size and (array.min() < 0 or array.max() > 255):
            raise ValueError("packed must hold bytes: whole numbers in [0, 255]")
        array = array.astype(np.uint8)
    packed = np.ascontiguousarray(array)
    count = v.positive_int(count, "count", minimum=0)
    if count * bits > 8 * packed.size:
        raise ValueError(f"count must be at most {8 * packed.size // bits}, the {bits}-bit codes that "
                         f"{packed.size} bytes hold, got {count}")
    if bits == 8:
        return packed[:count].copy()
    if bits == 16:
        return packed.view("<u2")[:count].copy()
    if bits == 4:
        out = np.empty(2 * packed.size, np.uint8)
        out[0::2] = packed & 0x0F
        out[1::2] = packed >> 4
        return out[:count]
    bit_matrix = np.unpackbits(packed, bitorder="little")[: count * bits].reshape(count, bits)
    weights = np.uint32(1) << np.arange(bits, dtype=np.uint32)
    return (bit_matrix.astype(np.uint32) @ weights).astype(np.uint16 if bits > 8 else np.uint8)


# ------------------------------------------------------------------------------------------------
# The quantized record
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Quantized:
    """An array stored in ``bits`` bits per value: packed ``codes``, one float32 entry of ``scales`` per block
    and, for ``"zero_point"``, packed ``zero_points`` (``bits`` bits each). For ``"absmax"`` and
    ``"zero_point"`` a scale is the grid step; for ``"nf4"`` it is the block's absmax. ``block_size`` None
    means one block for the whole tensor."""

    codes: np.ndarray
    scales: np.ndarray
    zero_points: np.ndarray | None
    shape: tuple[int, ...]
    bits: int
    scheme: str
    block_size: int | None
    dtype: str

    @property
    def size(self) -> int:
        """Number of values stored."""
        return int(np.prod(self.shape))

    @property
    def nbytes(self) -> int:
        """Exact bytes stored: the packed codes plus the scales (plus the packed zero points)."""
        extra = 0 if self.zero_points is None else self.zero_points.nbytes
        return int(self.codes.nbytes + self.scales.nbytes + extra)

    @property
    def bits_per_value(self) -> float:
        """Stored bits per value, scales included: ``8 * nbytes / size``."""
        return 8.0 * self.nbytes / self.size

    def per_value(self, per_block: np.ndarray) -> np.ndarray:
        """A value given per block (such as ``scales``) repeated for every value of its block, in the array's
        shape."""
        values = np.asarray(per_block)
        if values.shape != self.scales.shape:
            raise ValueError(f"per_block must have one value per block, shape {self.scales.shape}")
        if self.block_size is None:
            return np.full(self.shape, values[0])
        rows, length = _rows_and_length(self.shape)
        padded = values.reshape(rows, -1).repeat(self.block_size, axis=1)
        return padded[:, :length].reshape(self.shape)

    def step(self) -> np.ndarray:
        """The grid step that bounds each value's rounding error by half of it (the largest gap between adjacent
        NF4 levels times the absmax for ``"nf4"``), in the array's shape."""
        scales = self.per_value(self.scales.astype(np.float64))
        if self.scheme == "nf4":
            return scales * float(np.diff(_nf4_levels()).max())
        return scales


def _rows_and_length(shape: tuple[int, ...]) -> tuple[int, int]:
    length = shape[-1]
    return int(np.prod(shape[:-1], dtype=np.int64)), int(length)


def _fold(blocks: np.ndarray, op: np.ufunc) -> np.ndarray:
    """``op``-reduction of each row by halving (much faster than ``op.reduce`` along short rows); NaN propagates."""
    m = blocks
    while m.shape[1] > 1:
        half = m.shape[1] // 2
        folded = op(m[:, :half], m[:, half:2 * half])
        if m.shape[1] % 2:
            op(folded[:, 0], m[:, -1], out=folded[:, 0])
        m = folded
    return m[:, 0]


def _blocks(x: np.ndarray, block_size: int | None) -> tuple[np.ndarray, int]:
    """``x`` as a 2-D array of blocks (rows padded by repeating their last value), and the padded row length."""
    if block_size is None:
        return x.reshape(1, -1), x.size
    rows, length = _rows_and_length(x.shape)
    per_row = -(-length // block_size)
    padded = per_row * block_size
    matrix = x.reshape(rows, length)
    if padded != length:
        matrix = np.pad(matrix, ((0, 0), (0, padded - length)), mode="edge")
    return matrix.reshape(-1, block_size), padded


def _unblock(codes: np.ndarray, shape: tuple[int, ...], block_size: int | None, padded: int) -> np.ndarray:
    if block_size is None:
        return codes.reshape(-1)
    rows, length = _rows_and_length(shape)
    codes = codes.reshape(rows, padded)
    return (codes if padded == length else codes[:, :length]).reshape(-1)


def quantize(x: ArrayLike, bits: int, scheme: str = "absmax", block_size: int | None = None) -> Quantized:
    """Quantize ``x`` to ``bits`` bits with round-to-nearest (see the module for the three schemes).

    ``block_size`` None gives one scale for the tensor; an integer, one scale per run of that many consecutive
    values along the last axis (a row's last block may be shorter). Per-channel scales are
    ``block_size=x.shape[-1]``. Raises on NaN or infinite values, bits outside 2-16, and a block size below 1.
    """
    array = _array(x)
    bits = _bits(bits)
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {', '.join(SCHEMES)}, got {scheme!r}")
    if scheme == "nf4" and bits != 4:
        raise ValueError(f"scheme 'nf4' has 4 bits only, got bits={bits}")
    if block_size is not None:
        block_size = v.positive_int(block_size, "block_size")
    blocks, padded = _blocks(array, block_size)
    if scheme == "zero_point":
        top, bottom = _fold(blocks, np.maximum), _fold(blocks, np.minimum)
        extremes = np.concatenate([top, bottom])
    else:
        extremes = absmax = _fold(np.abs(blocks), np.maximum).astype(np.float64)
    if not np.isfinite(extremes).all():
        raise ValueError("x contains NaN or an infinite value; every value must be finite")
    dtype = blocks.dtype
    zero_points = None
    if scheme == "zero_point":
        top, bottom = np.maximum(top, 0), np.minimum(bottom, 0)
        levels = 2**bits - 1
        scales = ((top.astype(np.float64) - bottom) / levels).astype(np.float32)
        scales[scales == 0] = 1.0
        zero = np.clip(np.rint(-bottom / scales.astype(np.float64)), 0, levels)
        scaled = blocks / scales.astype(dtype)[:, None]
        scaled += zero.astype(dtype)[:, None]
        np.rint(scaled, out=scaled)
        np.clip(scaled, 0, levels, out=scaled)
        codes = scaled
        zero_points = pack_codes(zero.astype(np.uint16 if bits > 8 else np.uint8), bits)
    else:
        if scheme == "nf4":
            scales = absmax.astype(np.float32)
            scales[scales == 0] = 1.0
            normalised = blocks / scales.astype(dtype)[:, None]
            levels = _nf4_levels()
            codes = np.searchsorted((levels[1:] + levels[:-1]) / 2, normalised)
        else:
            half = 2 ** (bits - 1)
            scales = (absmax / (half - 1)).astype(np.float32)
            scales[scales == 0] = 1.0
            codes = blocks / scales.astype(dtype)[:, None]
            np.rint(codes, out=codes)
            np.clip(codes, 1 - half, half - 1, out=codes)
            codes += half  # stored unsigned: 1 .. 2**bits - 1
    codes = _unblock(codes.astype(np.uint16 if bits > 8 else np.uint8), array.shape, block_size, padded)
    return Quantized(pack_codes(codes, bits), scales.astype(np.float32), zero_points, tuple(array.shape), bits,
                     scheme, block_size, str(array.dtype))


def dequantize(q: Quantized) -> np.ndarray:
    """The array that ``q`` stores, in the dtype of the original (float32 or float64)."""
    if not isinstance(q, Quantized):
        raise TypeError(f"q must be a Quantized record from quantize(), got {type(q).__name__}")
    dtype = np.dtype(q.dtype)
    codes = unpack_codes(q.codes, q.bits, q.size).reshape(q.shape)
    if q.block_size is None:
        blocks, padded = codes.reshape(1, -1), q.size
    else:
        blocks, padded = _blocks(codes, q.block_size)
    scales = q.scales.astype(dtype)[:, None]
    if q.scheme == "nf4":
        values = _nf4_levels().astype(dtype)[blocks] * scales
    elif q.scheme == "zero_point":
        zero = unpack_codes(q.zero_points, q.bits, q.scales.size).astype(dtype)[:, None]
        values = (blocks.astype(dtype) - zero) * scales
    else:
        values = (blocks.astype(dtype) - dtype.type(2 ** (q.bits - 1))) * scales
    return _unblock(values, q.shape, q.block_size, padded).reshape(q.shape)


def round_trip(x: ArrayLike, bits: int, scheme: str = "absmax", block_size: int | None = None) -> np.ndarray:
    """``dequantize(quantize(x, ...))``: the values a quantized model actually computes with."""
    return dequantize(quantize(x, bits, scheme, block_size))


def _relative_rms(error: np.ndarray, reference: np.ndarray, name: str) -> float:
    """RMS of ``error`` over RMS of ``reference``. An exact result (zero error) has relative error 0, even
    against a zero reference; a non-zero error against an all-zero reference has no relative size
    (``ValueError`` naming ``name``)."""
    error_ms = np.mean(error.astype(np.float64) ** 2)
    reference_ms = np.mean(reference.astype(np.float64) ** 2)
    if reference_ms == 0:
        if error_ms == 0:
            return 0.0
        raise ValueError(f"{name} is zero everywhere, so the relative error is undefined")
    return float(np.sqrt(error_ms / reference_ms))


def relative_error(x: ArrayLike, bits: int, scheme: str = "absmax", block_size: int | None = None) -> float:
    """Root-mean-square round-trip error divided by the root-mean-square of ``x``.

    An all-zero ``x`` (or block) round-trips exactly in every scheme, and an exact round trip has relative
    error 0 by definition (the ratio 0 / 0 is otherwise undefined)."""
    array = _array(x).astype(np.float64)
    error = round_trip(array, bits, scheme, block_size) - array
    return _relative_rms(error, array, "x")


# ------------------------------------------------------------------------------------------------
# Memory
# ------------------------------------------------------------------------------------------------
def bits_per_param(bits: ArrayLike, block_size: ArrayLike | None = None, *, scale_bits: ArrayLike = SCALE_BITS,
                   zero_point: bool = False) -> float | np.ndarray:
    """Stored bits per parameter: ``bits`` plus one scale of ``scale_bits`` (and, with ``zero_point``, a zero
    point of ``bits``) per ``block_size`` values. ``block_size`` None counts no overhead (one scale per tensor)."""
    b = v.in_range(bits, "bits", 1, 64)
    if block_size is None:
        return v.scalar_or_array(b)
    size = v.positive(block_size, "block_size")
    extra = v.positive(scale_bits, "scale_bits") + (b if zero_point else 0.0)
    return v.scalar_or_array(b + extra / size)


def double_quantized_constant_bits(block_size: ArrayLike = QLORA_BLOCK_SIZE,
                                   constant_bits: ArrayLike = QLORA_CONSTANT_BITS,
                                   second_block_size: ArrayLike = QLORA_SECOND_BLOCK_SIZE,
                                   second_constant_bits: ArrayLike = SCALE_BITS) -> float | np.ndarray:
    """Bits per parameter spent on scales under double quantization: constant_bits / block_size for the
    quantized first-level constants plus second_constant_bits / (block_size * second_block_size) for the
    second level (QLoRA, Sec. 3: 8/64 + 32/(64 * 256) = 0.127 bits, against 32/64 = 0.5 without)."""
    b = v.positive(block_size, "block_size")
    c = v.positive(constant_bits, "constant_bits")
    b2 = v.positive(second_block_size, "second_block_size")
    c2 = v.positive(second_constant_bits, "second_constant_bits")
    return v.scalar_or_array(c / b + c2 / (b * b2))


def training_bytes_per_param() -> float:
    """Bytes per parameter to train with mixed-precision Adam: the sum of :data:`ZERO_2020_BYTES_PER_PARAM`
    (2 + 2 + 4 + 4 + 4 = 16; Rajbhandari et al. 2020, Sec. 3). Activations are not counted."""
    return float(sum(ZERO_2020_BYTES_PER_PARAM.values()))


def largest_model_params(memory_bytes: ArrayLike, bits_per_parameter: ArrayLike,
                         reserved_bytes: ArrayLike = 0.0) -> float | np.ndarray:
    """The most parameters whose weights fit in ``memory_bytes`` after ``reserved_bytes`` (for example a KV
    cache), at ``bits_per_parameter`` stored bits each (scales included)."""
    memory = v.positive(memory_bytes, "memory_bytes")
    bits = v.positive(bits_per_parameter, "bits_per_parameter")
    reserved = v.non_negative(reserved_bytes, "reserved_bytes")
    return v.scalar_or_array(np.maximum(memory - reserved, 0.0) * 8.0 / bits)


# ------------------------------------------------------------------------------------------------
# LLM.int8(): vector-wise int8 with a mixed-precision decomposition
# ------------------------------------------------------------------------------------------------
def outlier_features(x: ArrayLike, threshold: float = DETTMERS_2022_OUTLIER_THRESHOLD) -> np.ndarray:
    """Indices of the feature dimensions (columns of the 2-D ``x``) holding any value with magnitude >=
    ``threshold`` (LLM.int8()'s criterion, Dettmers et al. 2022, Sec. 3)."""
    array = v.finite(x, "x")
    if array.ndim != 2:
        raise ValueError(f"x must be a 2-D array (tokens x features), got shape {array.shape}")
    t = v.scalar(threshold, "threshold")
    return np.flatnonzero((np.abs(array) >= t).any(axis=0))


def _vectorwise_int8(matrix: np.ndarray, axis: int) -> np.ndarray:
    """Absmax int8 round trip with one scale per row (axis=1) or per column (axis=0)."""
    absmax = np.abs(matrix).max(axis=axis, keepdims=True)
    scale = np.where(absmax == 0, 1.0, absmax / 127.0)
    return np.clip(np.rint(matrix / scale), -127, 127) * scale


def int8_matmul(x: ArrayLike, w: ArrayLike, threshold: float | None = DETTMERS_2022_OUTLIER_THRESHOLD
                ) -> tuple[np.ndarray, np.ndarray]:
    """``x @ w`` computed as LLM.int8() does: the feature dimensions of ``x`` with an outlier (magnitude >=
    ``threshold``) and the matching rows of ``w`` stay in full precision; the rest is quantized to int8 with one
    scale per row of ``x`` and per column of ``w`` (Dettmers et al. 2022, Sec. 3). With
    ``threshold`` None nothing is kept aside (plain vector-wise int8). Returns ``(product, outlier_dims)``."""
    a = v.finite(x, "x")
    b = v.finite(w, "w")
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[0]:
        raise ValueError(f"x and w must be 2-D with x.shape[1] == w.shape[0], got {a.shape} and {b.shape}")
    outliers = np.array([], dtype=np.int64) if threshold is None else outlier_features(a, threshold)
    regular = np.setdiff1d(np.arange(a.shape[1]), outliers)
    product = _vectorwise_int8(a[:, regular], axis=1) @ _vectorwise_int8(b[regular], axis=0)
    if outliers.size:
        product = product + a[:, outliers] @ b[outliers]
    return product, outliers


@dataclass(frozen=True)
class OutlierSummary:
    """What :func:`outlier_summary` measures on one matrix product ``x @ w``."""

    int8_error: float  #: relative RMS error of plain vector-wise int8 (nothing kept aside)
    kept: int  #: feature dimensions LLM.int8()'s threshold would keep in 16 bits
    features: int  #: feature dimensions of ``x``
    peak_ratio: float  #: largest feature peak over the median feature peak (peak = largest magnitude)
    peak: float  #: largest magnitude in ``x``
    share_above: float  #: share of the values of ``x`` at or above the threshold


def outlier_summary(x: ArrayLike, w: ArrayLike, threshold: float = DETTMERS_2022_OUTLIER_THRESHOLD
                    ) -> OutlierSummary:
    """Does ``x @ w`` have LLM.int8()'s outlier problem? Plain int8 error, the features the threshold keeps, and
    how far the largest feature stands out (Dettmers et al. 2022 report outliers up to 20x the others).

    An all-zero ``x`` raises ``ValueError``. The int8 error is 0 when int8 is exact, even if ``x @ w`` is zero
    everywhere (a non-zero error against a zero product raises ``ValueError``); the peak ratio is ``inf`` when
    more than half of the features are zero everywhere (median peak 0)."""
    plain, _ = int8_matmul(x, w, threshold=None)  # checks both arrays and their shapes
    a = v.finite(x, "x")
    exact = a @ v.finite(w, "w")
    peaks = np.abs(a).max(axis=0)
    if peaks.max() == 0:
        raise ValueError("x is zero everywhere: no feature has a peak, so there is no outlier to measure")
    median = np.median(peaks)
    return OutlierSummary(_relative_rms(plain - exact, exact, "x @ w"),
                          len(outlier_features(a, threshold)), a.shape[1],
                          float(peaks.max() / median) if median > 0 else math.inf,
                          float(peaks.max()), float(np.mean(np.abs(a) >= threshold)))


# ------------------------------------------------------------------------------------------------
# Scaling laws for precision
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PrecisionLaw:
    """Kumar et al. 2024's law for training in low precision and quantizing after training (arXiv 2411.04330).

    Training with weights in P bits leaves N_eff = N (1 - exp(-P/gamma_w + n_w)) effective parameters in
    L = A N_eff**-alpha + B D**-beta + E (Eq. 3, with the fitted offset n_w of App. K); quantizing after
    training adds delta_PTQ, which grows like C_T D**gamma_d / N**gamma_n (Eq. 2) times a factor that falls
    exponentially with the post-training bits. Only the growth with D/N is used here: App. K's constant for that
    last factor is printed under a garbled label.
    """

    A: float
    alpha: float
    B: float
    beta: float
    E: float
    gamma_w: float
    n_w: float
    C_T: float
    gamma_d: float
    gamma_n: float

    def __post_init__(self) -> None:
        for name in ("A", "alpha", "B", "beta", "E", "gamma_w", "C_T", "gamma_d", "gamma_n"):
            v.positive(getattr(self, name), name)
        v.finite(self.n_w, "n_w")

    def effective_params(self, n_params: ArrayLike, weight_bits: ArrayLike) -> float | np.ndarray:
        """N_eff = N (1 - exp(-P_w / gamma_w + n_w)), clipped at 0 below the precision where it vanishes."""
        n = v.positive(n_params, "n_params")
        p = v.positive(weight_bits, "weight_bits")
        return v.scalar_or_array(n * np.maximum(1.0 - np.exp(-p / self.gamma_w + self.n_w), 0.0))

    def loss(self, n_params: ArrayLike, n_tokens: ArrayLike, weight_bits: ArrayLike = 16.0) -> float | np.ndarray:
        """Loss of a model trained with ``weight_bits``-bit weights: A N_eff**-alpha + B D**-beta + E (Eq. 3)."""
        d = v.positive(n_tokens, "n_tokens")
        n_eff = np.asarray(self.effective_params(n_params, weight_bits))
        if (n_eff <= 0).any():
            raise ValueError(f"weight_bits must exceed gamma_w * n_w = {self.gamma_w * self.n_w:.3g} bits")
        return v.scalar_or_array(self.A * n_eff ** -self.alpha + self.B * d ** -self.beta + self.E)

    def ptq_growth(self, n_params: ArrayLike, n_tokens: ArrayLike) -> float | np.ndarray:
        """C_T D**gamma_d / N**gamma_n: how the loss added by post-training quantization scales with the data and
        the size (Eq. 2 without its precision factor, which is the same for every model at a given precision)."""
        n = v.positive(n_params, "n_params")
        d = v.positive(n_tokens, "n_tokens")
        return v.scalar_or_array(self.C_T * d**self.gamma_d / n**self.gamma_n)


#: Kumar et al. 2024, App. K, Table 2 (integer weights; alpha = beta tied; the offset n_w sits in the exponent).
#: The authors warn that the constants are specific to their setup; use them as that paper's fit only.
KUMAR_2024 = PrecisionLaw(A=4.299e3, alpha=0.4965, B=1.806e4, beta=0.4965, E=2.7648, gamma_w=2.6745, n_w=0.3037,
                          C_T=0.0598, gamma_d=0.5068, gamma_n=0.3439)
