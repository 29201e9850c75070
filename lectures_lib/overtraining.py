"""Over-training: the loss law of Gadre et al. 2024 in compute and tokens per parameter, and how to fit it.

Gadre et al. 2024, "Language models scale reliably with over-training and on downstream tasks",
arXiv 2403.08540, write the Chinchilla form with one exponent for both terms (Eq. 3,
L(N, D) = E + A N**-alpha + B D**-alpha) in the training compute C = 6 N D and the token multiplier
M = D / N (Eq. 4):

    L(C, M) = E + (a M**eta + b M**-eta) C**-eta,   eta = alpha / 2,  a = A k**eta,  b = B k**eta,

with k = 6 the FLOPs per parameter and token of C = k N D.

At a fixed multiplier the reducible loss L - E is a power law in C with the same exponent for every M, so
curves of loss against compute for different multipliers are parallel in log(L - E): over-training moves
a curve up, it does not change its slope. The reducible loss is smallest at M* = (b / a)**(1 / (2 eta)).

The paper fits Eq. 4 by Levenberg-Marquardt (SciPy) on five runs (Table 1): the 0.011B, 0.079B, 0.154B
and 0.411B models at M = 20 plus the 0.011B model at M = 320; :func:`paper_fitting_set` selects them and
:func:`fit_overtraining` fits them. Table 6 (App. F) prints the constants for the three training sets, all
evaluated on C4 (:data:`GADRE_2024_C4`, :data:`GADRE_2024_RPJ`, :data:`GADRE_2024_RW`).

Here ``token_multiplier`` always means the paper's M = D / N (20 is about compute-optimal in their setup),
not the data files' ``chinchilla_multiplier`` = M / 20.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy import optimize

from . import _validate as v
from ._validate import ArrayLike
from .compute import TRAINING_FLOPS_PER_PARAM_TOKEN

__all__ = ["CHINCHILLA_MULTIPLIER", "GADRE_2024_C4", "GADRE_2024_LAWS", "GADRE_2024_M_STAR", "GADRE_2024_RPJ",
           "GADRE_2024_RW", "OvertrainingLaw", "STARTING_POINTS", "compute_for_loss",
           "fit_overtraining", "interpolate_loss", "paper_fitting_set"]

#: The token multiplier M = D / N that Gadre et al. 2024 treat as compute-optimal (Sec. 2.1).
CHINCHILLA_MULTIPLIER: float = 20.0


@dataclass(frozen=True)
class OvertrainingLaw:
    """L(C, M) = E + (a M**eta + b M**-eta) C**-eta (Gadre et al. 2024, Eq. 4), in nats per token;
    C training FLOPs (6 N D), M = D / N training tokens per parameter."""

    E: float
    a: float
    b: float
    eta: float

    def __post_init__(self) -> None:
        for name in ("E", "a", "b", "eta"):
            v.positive(getattr(self, name), name)

    def loss(self, flops: ArrayLike, token_multiplier: ArrayLike) -> float | np.ndarray:
        """Predicted loss of a run of ``flops`` training FLOPs at ``token_multiplier`` = D / N (Eq. 4)."""
        c = v.positive(flops, "flops")
        m = v.positive(token_multiplier, "token_multiplier")
        return v.scalar_or_array(self.E + self.reducible(c, m))

    def reducible(self, flops: ArrayLike, token_multiplier: ArrayLike) -> float | np.ndarray:
        """The reducible part of the loss, L - E = (a M**eta + b M**-eta) C**-eta."""
        c = v.positive(flops, "flops")
        m = v.positive(token_multiplier, "token_multiplier")
        return v.scalar_or_array((self.a * m**self.eta + self.b * m ** (-self.eta)) * c ** (-self.eta))

    @property
    def compute_optimal_multiplier(self) -> float:
        """M* = (b / a)**(1 / (2 eta)), the multiplier of least loss at any fixed compute (App. F)."""
        return float((self.b / self.a) ** (1.0 / (2.0 * self.eta)))

    @property
    def A(self) -> float:
        """A of the (N, D) form, a / k**eta with k = 6 FLOPs per parameter and token."""
        return float(self.a / TRAINING_FLOPS_PER_PARAM_TOKEN**self.eta)

    @property
    def B(self) -> float:
        """B of the (N, D) form, b / k**eta (k as for :attr:`A`)."""
        return float(self.b / TRAINING_FLOPS_PER_PARAM_TOKEN**self.eta)

    def reducible_ratio(self, token_multiplier: ArrayLike,
                        reference: float = CHINCHILLA_MULTIPLIER) -> float | np.ndarray:
        """(L - E) at ``token_multiplier`` over (L - E) at ``reference``, at equal compute: the same at every
        compute, which is why the curves of different multipliers are parallel."""
        m = v.positive(token_multiplier, "token_multiplier")
        m_ref = float(v.positive(reference, "reference"))

        def shape(x: np.ndarray | float) -> np.ndarray | float:
            return self.a * x**self.eta + self.b * x ** (-self.eta)

        return v.scalar_or_array(shape(m) / shape(m_ref))

    def equal_loss_compute_ratio(self, token_multiplier: ArrayLike,
                                 reference: float = CHINCHILLA_MULTIPLIER) -> float | np.ndarray:
        """Compute a run at ``token_multiplier`` needs to reach the loss of a run at ``reference``, relative to
        that run's compute: ``reducible_ratio`` ** (1 / eta), again the same at every compute."""
        return v.scalar_or_array(np.asarray(self.reducible_ratio(token_multiplier, reference)) ** (1.0 / self.eta))


#: Table 6 of Gadre et al. 2024 (arXiv 2403.08540 v2, App. F), trained on C4, loss on C4 validation.
GADRE_2024_C4 = OvertrainingLaw(E=1.51, a=141.0, b=190.0, eta=0.121)
#: Table 6 of Gadre et al. 2024, trained on RedPajama, loss on C4 validation.
GADRE_2024_RPJ = OvertrainingLaw(E=1.84, a=212.0, b=367.0, eta=0.136)
#: Table 6 of Gadre et al. 2024, trained on RefinedWeb, loss on C4 validation.
GADRE_2024_RW = OvertrainingLaw(E=1.73, a=157.0, b=246.0, eta=0.127)
#: The three laws of Table 6 by training set, named as the released files name them.
GADRE_2024_LAWS: dict[str, OvertrainingLaw] = {"c4_original": GADRE_2024_C4, "rpj": GADRE_2024_RPJ,
                                               "rw_original": GADRE_2024_RW}
#: M* as App. F of Gadre et al. 2024 (v2) prints it per training set. It follows from the unrounded
#: constants: the rounded ones of Table 6 give 3.43, 7.52 and 5.86.
GADRE_2024_M_STAR: dict[str, float] = {"c4_original": 3.36, "rpj": 7.42, "rw_original": 5.85}


# ------------------------------------------------------------------------------------------------
# Fitting
# ------------------------------------------------------------------------------------------------
def _check_runs(flops: ArrayLike, token_multiplier: ArrayLike, loss: ArrayLike, minimum: int
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    c = v.one_dimensional(v.positive(flops, "flops"), "flops", minimum)
    m = v.one_dimensional(v.positive(token_multiplier, "token_multiplier"), "token_multiplier", minimum)
    ell = v.one_dimensional(v.positive(loss, "loss"), "loss", minimum)
    v.same_length("flops", c, "token_multiplier", m)
    v.same_length("flops", c, "loss", ell)
    return c, m, ell


#: Starting points of the fit, the grid of the authors' code (mlfoundations/scaling, ``scaling/laws.py``)
#: written in (E, a, b, eta): A in {1e2, 3e2, 1e3, 3e3}, b in {1e2, 3e2, 1e3, 3e3}, alpha in {0.1, 0.3},
#: E in {0, 1, 2, 10}, with eta = alpha / 2 and a = A k**eta (k = 6 FLOPs per parameter and token).
STARTING_POINTS: tuple[tuple[float, float, float, float], ...] = tuple(
    (e_start, a_start * TRAINING_FLOPS_PER_PARAM_TOKEN ** (alpha / 2), b_start, alpha / 2)
    for a_start in (1e2, 3e2, 1e3, 3e3) for b_start in (1e2, 3e2, 1e3, 3e3) for alpha in (0.1, 0.3)
    for e_start in (0.0, 1.0, 2.0, 10.0))


def _eq4(x: tuple[np.ndarray, np.ndarray], e: float, a: float, b: float, eta: float) -> np.ndarray:
    c, m = x
    return e + (a * m**eta + b * m ** (-eta)) * c ** (-eta)


def fit_overtraining(flops: ArrayLike, token_multiplier: ArrayLike, loss: ArrayLike) -> OvertrainingLaw:
    """Fit Eq. 4 of Gadre et al. 2024 to runs by least squares on the loss with Levenberg-Marquardt
    (``scipy.optimize.curve_fit``), as the paper does (Sec. 3.3), from each point of the authors' grid of
    starting values, and keep the fit with the smallest sum of squared residuals. Deterministic; about
    0.05 s for the paper's five runs. Needs at least five runs for four constants."""
    c, m, ell = _check_runs(flops, token_multiplier, loss, 5)
    if np.unique(m).size < 2:
        raise ValueError("token_multiplier must take at least two different values: a and b are not "
                         "separately identified at one multiplier")
    best, best_sse = None, np.inf
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # starting points that overflow are simply skipped
        for start in STARTING_POINTS:
            try:
                theta, _ = optimize.curve_fit(_eq4, (c, m), ell, p0=start, method="lm", maxfev=10000)
            except (RuntimeError, ValueError, OverflowError):
                continue
            with np.errstate(all="ignore"):
                sse = float(np.sum((_eq4((c, m), *theta) - ell) ** 2))
            if np.isfinite(sse) and sse < best_sse and np.all(theta > 0):
                best, best_sse = theta, sse
    if best is None:
        raise ValueError("no starting point gave a fit with positive constants; check the runs")
    return OvertrainingLaw(*(float(x) for x in best))


def paper_fitting_set(n_params: ArrayLike, token_multiplier: ArrayLike) -> np.ndarray:
    """Boolean mask of the runs Gadre et al. 2024 fit Eq. 4 on (Table 1): the four smallest sizes (below
    0.5B parameters) at M = 20, and the smallest (below 0.02B) at M = 320."""
    n = v.positive(n_params, "n_params")
    m = v.positive(token_multiplier, "token_multiplier")
    v.same_length("n_params", n, "token_multiplier", m)
    return ((np.isclose(m, 20.0) & (n < 5e8)) | (np.isclose(m, 320.0) & (n < 2e7)))


# ------------------------------------------------------------------------------------------------
# Reading measured runs along one multiplier's line
# ------------------------------------------------------------------------------------------------
def _line(flops: ArrayLike, loss: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    c = v.one_dimensional(v.positive(flops, "flops"), "flops", 2)
    ell = v.one_dimensional(v.positive(loss, "loss"), "loss", 2)
    v.same_length("flops", c, "loss", ell)
    order = np.argsort(c)
    if np.any(np.diff(c[order]) <= 0):
        raise ValueError("flops must not repeat along one line")
    return np.log(c[order]), np.log(ell[order])


def interpolate_loss(flops: ArrayLike, loss: ArrayLike, at_flops: ArrayLike) -> float | np.ndarray:
    """Loss of one multiplier's line of runs at ``at_flops``: linear interpolation of log loss in log compute
    between the two neighbouring runs. No extrapolation: ``at_flops`` must lie within the runs' compute."""
    log_c, log_l = _line(flops, loss)
    at = np.log(v.positive(at_flops, "at_flops"))
    if np.any(at < log_c[0] - 1e-12) or np.any(at > log_c[-1] + 1e-12):
        raise ValueError(f"at_flops must lie within the runs' compute, {np.exp(log_c[0]):.3g} to "
                         f"{np.exp(log_c[-1]):.3g} FLOPs")
    return v.scalar_or_array(np.exp(np.interp(at, log_c, log_l)))


def compute_for_loss(flops: ArrayLike, loss: ArrayLike, at_loss: ArrayLike) -> float | np.ndarray:
    """Compute at which one multiplier's line of runs reaches ``at_loss`` (the inverse of
    :func:`interpolate_loss`); the loss must fall with compute along the line and ``at_loss`` lie within it."""
    log_c, log_l = _line(flops, loss)
    if np.any(np.diff(log_l) >= 0):
        raise ValueError("loss must fall as flops grow along the line to be inverted")
    at = np.log(v.positive(at_loss, "at_loss"))
    if np.any(at > log_l[0] + 1e-12) or np.any(at < log_l[-1] - 1e-12):
        raise ValueError(f"at_loss must lie within the runs' losses, {np.exp(log_l[-1]):.4g} to "
                         f"{np.exp(log_l[0]):.4g}")
    return v.scalar_or_array(np.exp(np.interp(at, log_l[::-1], log_c[::-1])))
