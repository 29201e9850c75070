"""Input checks shared by every public function.

Each helper turns a user value into a float numpy array (or float) and raises a
``TypeError`` or ``ValueError`` that names the argument and the accepted range,
so a student never sees a silent NaN or a traceback from deep inside numpy.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable

import numpy as np

ArrayLike = float | int | np.ndarray | list | tuple


def as_float_array(value: object, name: str) -> np.ndarray:
    """Return ``value`` as a float array, or raise ``TypeError`` naming ``name``."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a number or an array of numbers, got a boolean {value!r}")
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name} must be a number or an array of numbers, got the string {value!r}")
    if value is None:
        raise TypeError(f"{name} must be a number or an array of numbers, got None")
    if isinstance(value, numbers.Real):
        return np.asarray(float(value))
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{name} must be a number or an array of numbers ({error})") from None
    if array.dtype == object or not (
        np.issubdtype(array.dtype, np.integer) or np.issubdtype(array.dtype, np.floating)
    ):
        raise TypeError(
            f"{name} must be a number or an array of numbers, got {type(value).__name__} "
            f"with dtype {array.dtype}"
        )
    if array.dtype == bool:
        raise TypeError(f"{name} must hold numbers, not booleans")
    if array.ndim > 0 and array.size == 0:
        raise ValueError(f"{name} is empty: pass at least one value")
    return array.astype(float)


def _check_finite(array: np.ndarray, name: str) -> None:
    if np.isnan(array).any():
        raise ValueError(f"{name} contains NaN; every value must be a finite number")
    if np.isinf(array).any():
        raise ValueError(f"{name} contains an infinite value; every value must be finite")


def positive(value: object, name: str) -> np.ndarray:
    """Finite values strictly greater than zero."""
    array = as_float_array(value, name)
    _check_finite(array, name)
    if (array <= 0).any():
        bad = array[array <= 0].flat[0]
        raise ValueError(f"{name} must be > 0 (a positive, finite number), got {bad:g}")
    return array


def non_negative(value: object, name: str) -> np.ndarray:
    """Finite values greater than or equal to zero."""
    array = as_float_array(value, name)
    _check_finite(array, name)
    if (array < 0).any():
        bad = array[array < 0].flat[0]
        raise ValueError(f"{name} must be >= 0 (a finite number), got {bad:g}")
    return array


def finite(value: object, name: str) -> np.ndarray:
    """Any finite values."""
    array = as_float_array(value, name)
    _check_finite(array, name)
    return array


def in_range(value: object, name: str, low: float, high: float, *, low_open: bool = False) -> np.ndarray:
    """Finite values in ``[low, high]`` (or ``(low, high]`` with ``low_open``)."""
    array = finite(value, name)
    too_low = array <= low if low_open else array < low
    if too_low.any() or (array > high).any():
        bracket = "(" if low_open else "["
        bad = array[too_low | (array > high)].flat[0]
        raise ValueError(f"{name} must lie in {bracket}{low:g}, {high:g}], got {bad:g}")
    return array


def positive_int(value: object, name: str, *, minimum: int = 1, maximum: int | None = None) -> int:
    """A whole number in ``[minimum, maximum]`` (a Python or numpy integer, not a float; no upper bound when
    ``maximum`` is None). By default: a whole number >= 1."""
    accepted = f">= {minimum:,}" if maximum is None else f"from {minimum:,} to {maximum:,}"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a whole number {accepted}, got {value!r}")
    if value < minimum or (maximum is not None and value > maximum):
        raise ValueError(f"{name} must be a whole number {accepted}, got {value}")
    return int(value)


def scalar(value: object, name: str, check: Callable[..., np.ndarray] = positive, *args: object,
           **kwargs: object) -> float:
    """A single number checked by ``check`` (a helper of this module, ``positive`` by default, called as
    ``check(value, name, *args, **kwargs)``), returned as a Python float.

    An array (even of one value) raises ``TypeError`` naming ``name``: the argument takes one number.
    """
    array = as_float_array(value, name)
    if array.ndim != 0:
        raise TypeError(f"{name} must be a single number, not an array (got shape {array.shape})")
    return float(check(value, name, *args, **kwargs))


def seed(value: object, name: str = "seed") -> int:
    """An integer seed for numpy's random generator (booleans and floats are refused)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    return int(value)


def same_length(name_a: str, a: np.ndarray, name_b: str, b: np.ndarray) -> None:
    """Raise ``ValueError`` unless two 1-D arrays have the same length."""
    if a.shape != b.shape:
        raise ValueError(
            f"{name_a} and {name_b} must have the same shape, got {a.shape} and {b.shape}"
        )


def one_dimensional(array: np.ndarray, name: str, minimum: int) -> np.ndarray:
    """A 1-D array with at least ``minimum`` entries (a scalar is not accepted)."""
    if array.ndim != 1:
        raise ValueError(f"{name} must be a one-dimensional array, got shape {array.shape}")
    if array.size < minimum:
        raise ValueError(f"{name} needs at least {minimum} values, got {array.size}")
    return array


def scalar_or_array(result: np.ndarray) -> float | np.ndarray:
    """A 0-d result comes back as a Python float, anything else as an array."""
    return float(result) if np.ndim(result) == 0 else result


def law(value: object, kind: type, name: str = "law") -> object:
    """``value`` if it is an instance of ``kind`` (a law dataclass), else a ``TypeError`` naming both."""
    if not isinstance(value, kind):
        raise TypeError(f"{name} must be a {kind.__name__} (for example a published constant of lectures_lib), "
                        f"got {type(value).__name__}")
    return value
