"""Numerical building blocks shared by several modules: the softmax and its logarithm.

:func:`softmax` and :func:`log_softmax` validate their input (finite numbers, at least one axis) and work in
float64; :func:`softmax_unchecked` and :func:`log_softmax_unchecked` are the same arithmetic without checks,
keeping the input's dtype, for inner loops such as :mod:`lectures_lib.tiny_lm`'s float32 training.
Each subtracts the largest logit first, so that no exponential overflows.
"""

from __future__ import annotations

import numpy as np

from . import _validate as v
from ._validate import ArrayLike


def softmax_unchecked(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """exp(z_i) / sum_j exp(z_j) along ``axis``, the largest entry subtracted first; no validation, dtype kept."""
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax_unchecked(z: np.ndarray, axis: int = -1) -> np.ndarray:
    """z_i - log sum_j exp(z_j) along ``axis``, the largest entry subtracted first; no validation, dtype kept."""
    shifted = z - z.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def _logits(logits: ArrayLike, temperature: float) -> np.ndarray:
    z = v.finite(logits, "logits")
    if z.ndim == 0:
        raise ValueError("logits must have at least one axis (one logit per class)")
    return z / v.scalar(temperature, "temperature")


def softmax(logits: ArrayLike, axis: int = -1, temperature: float = 1.0) -> np.ndarray:
    """exp(z_i / T) / sum_j exp(z_j / T) along ``axis``, computed stably (the largest logit is subtracted
    first). ``temperature`` T > 0; T = 1 is the plain softmax, T > 1 flattens the distribution (Hinton et al.
    2015, Eq. 1)."""
    return softmax_unchecked(_logits(logits, temperature), axis)


def log_softmax(logits: ArrayLike, axis: int = -1, temperature: float = 1.0) -> np.ndarray:
    """The logarithm of :func:`softmax`, computed without forming the probabilities (log-sum-exp)."""
    return log_softmax_unchecked(_logits(logits, temperature), axis)
