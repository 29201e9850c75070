"""Power laws y = floor + coefficient * x**(-exponent): evaluate, fit, simulate.

A pure power law (floor = 0) is a straight line on log-log axes with slope -exponent.
An irreducible floor bends that line towards a horizontal asymptote, which is why a
straight-line fit in log space misreads data that has one. The shape with a floor is the
one Hoffmann et al. 2022 (arXiv 2203.15556, Eq. 2) use per variable; Kaplan et al. 2020
(arXiv 2001.08361, Eq. 1.1-1.3) use the pure form.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize

from . import _validate as v
from ._validate import ArrayLike


@dataclass(frozen=True)
class PowerLaw:
    """y = floor + coefficient * x**(-exponent), for x > 0.

    ``coefficient`` > 0 and ``floor`` >= 0 are in the units of y; ``exponent`` is unitless: positive
    for a decreasing law such as a loss, negative for a growing one such as a compute-optimal size.
    """

    coefficient: float
    exponent: float
    floor: float = 0.0

    def __post_init__(self) -> None:
        v.positive(self.coefficient, "coefficient")
        v.finite(self.exponent, "exponent")
        v.non_negative(self.floor, "floor")

    @classmethod
    def from_scale(cls, scale: float, exponent: float, floor: float = 0.0) -> PowerLaw:
        """The law floor + (scale / x)**exponent, the form Kaplan et al. 2020 print (Eq. 1.1-1.3)."""
        x_c = float(v.positive(scale, "scale"))
        a = float(v.finite(exponent, "exponent"))
        return cls(coefficient=x_c**a, exponent=a, floor=floor)

    @property
    def scale(self) -> float:
        """The x at which the reducible part equals 1, so that the law is floor + (scale / x)**exponent."""
        if self.exponent == 0:
            raise ValueError("a law with exponent 0 has no scale")
        return float(self.coefficient ** (1.0 / self.exponent))

    def loss(self, x: ArrayLike) -> float | np.ndarray:
        """Evaluate the law at ``x`` (> 0): floor + coefficient * x**(-exponent), in the units of y."""
        xs = v.positive(x, "x")
        return v.scalar_or_array(self.floor + self.coefficient * xs ** (-self.exponent))

    def __call__(self, x: ArrayLike) -> float | np.ndarray:
        """Same as :meth:`loss`: a law can be used as a function of x."""
        return self.loss(x)

    def inverse(self, y: ArrayLike) -> float | np.ndarray:
        """The x at which the law reaches ``y`` (y must exceed the floor)."""
        ys = v.finite(y, "y")
        if (ys <= self.floor).any():
            raise ValueError(
                f"y must be above the floor {self.floor:g}: the law never reaches {ys.min():g}"
            )
        if self.exponent == 0:
            raise ValueError("a law with exponent 0 is constant and cannot be inverted")
        return v.scalar_or_array(((ys - self.floor) / self.coefficient) ** (-1.0 / self.exponent))

    @property
    def doubling_factor(self) -> float:
        """Factor by which the reducible part (y - floor) changes when x doubles: 2**(-exponent).

        Below 1 for a decreasing law (a loss); above 1 for a growing one (an allocation such as N_opt(C)).
        """
        return float(2.0 ** (-self.exponent))

    @property
    def tenfold_factor(self) -> float:
        """Factor by which the reducible part changes when x grows tenfold: 10**(-exponent)."""
        return float(10.0 ** (-self.exponent))


def _xy(x: ArrayLike, y: ArrayLike, minimum: int) -> tuple[np.ndarray, np.ndarray]:
    xs = v.one_dimensional(v.positive(x, "x"), "x", minimum)
    ys = v.one_dimensional(v.positive(y, "y"), "y", minimum)
    v.same_length("x", xs, "y", ys)
    if np.ptp(np.log(xs)) == 0:
        raise ValueError("x must take at least two different values to fit a slope")
    return xs, ys


def fit_power_law(x: ArrayLike, y: ArrayLike) -> PowerLaw:
    """Fit y = coefficient * x**(-exponent) by least squares on log y against log x.

    This is the straight-line fit on log-log axes. It assumes there is no floor; with one,
    the fitted exponent is too small (the line is bent). Needs at least 2 points.
    """
    xs, ys = _xy(x, y, 2)
    slope, intercept = np.polyfit(np.log(xs), np.log(ys), 1)
    return PowerLaw(coefficient=float(np.exp(intercept)), exponent=float(-slope))


def fit_power_law_with_floor(x: ArrayLike, y: ArrayLike) -> PowerLaw:
    """Fit y = floor + coefficient * x**(-exponent) by least squares on log y.

    Residuals are taken in log space so that every order of magnitude of x weighs the same.
    The floor is kept between 0 and the smallest observed y. Needs at least 4 points
    (three parameters and one degree of freedom).
    """
    xs, ys = _xy(x, y, 4)
    log_x, log_y = np.log(xs), np.log(ys)
    y_min = float(ys.min())

    def residuals(theta: np.ndarray) -> np.ndarray:
        log_a, alpha, floor_fraction = theta
        floor = floor_fraction * y_min
        return np.log(floor + np.exp(log_a - alpha * log_x)) - log_y

    start = fit_power_law(xs, ys)
    best = None
    for floor_fraction in (0.0, 0.5, 0.9):
        x0 = np.array([np.log(start.coefficient), max(start.exponent, 1e-3), floor_fraction])
        result = optimize.least_squares(
            residuals,
            x0,
            bounds=([-np.inf, -10.0, 0.0], [np.inf, 10.0, 0.999999]),
            method="trf",
            x_scale="jac",
        )
        if best is None or result.cost < best.cost:
            best = result
    log_a, alpha, floor_fraction = best.x
    return PowerLaw(coefficient=float(np.exp(log_a)), exponent=float(alpha), floor=float(floor_fraction * y_min))


def loglog_slope(x: ArrayLike, y: ArrayLike) -> np.ndarray:
    """Local slope d log y / d log x at every point (central differences inside, one-sided at the ends).

    A pure power law has the same slope everywhere; a law with a floor flattens towards 0.
    """
    xs, ys = _xy(x, y, 2)
    return np.gradient(np.log(ys), np.log(xs))


def simulate_power_law(
    x: ArrayLike, relative_noise: float = 0.0, seed: int = 0, *, law: PowerLaw
) -> np.ndarray:
    """Noisy observations of the power law ``law`` at ``x``: y * exp(eps), eps ~ Normal(0, relative_noise).

    Multiplicative noise keeps every observation positive, as losses and errors are.
    ``seed`` makes the draw repeatable.
    """
    v.law(law, PowerLaw)
    xs = v.positive(x, "x")
    sigma = float(v.non_negative(relative_noise, "relative_noise"))
    rng = np.random.default_rng(v.seed(seed))
    clean = np.asarray(law(xs), dtype=float)
    return clean * np.exp(sigma * rng.standard_normal(clean.shape))
