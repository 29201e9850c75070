"""Compute-optimal training: the parametric law of Hoffmann et al. 2022 and how to fit it.

Hoffmann et al. 2022, "Training Compute-Optimal Large Language Models", arXiv 2203.15556:
the loss of a model with N parameters trained on D tokens is modelled as (Eq. 2)

    L(N, D) = E + A / N**alpha + B / D**beta,

and minimising it under the budget C = 6 N D gives the efficient frontier (Eq. 4)

    N_opt(C) = G (C/6)**a,  D_opt(C) = (C/6)**b / G,  G = (alpha A / (beta B))**(1/(alpha+beta)),
    a = beta / (alpha + beta),  b = alpha / (alpha + beta).

The paper's Approach 3 fits the law by minimising the sum over runs of the Huber loss (delta = 1e-3)
of log L_pred - log L_obs, with L-BFGS from a grid of starting points (Eq. 3, App. D.2). Besiroglu et
al. 2024 (arXiv 2404.10102) refitted the same data and found different constants.

Unlike Kaplan et al., N counts all parameters (embeddings included) and compute is in FLOPs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize

from . import _validate as v
from . import overtraining as _overtraining
from ._validate import ArrayLike
from .compute import TRAINING_FLOPS_PER_PARAM_TOKEN

#: Huber threshold of Approach 3 (Hoffmann et al. 2022, App. D.2).
HUBER_DELTA: float = 1e-3


@dataclass(frozen=True)
class ChinchillaLaw:
    """L(N, D) = E + A / N**alpha + B / D**beta, in nats per token; N parameters, D tokens."""

    E: float
    A: float
    B: float
    alpha: float
    beta: float

    def __post_init__(self) -> None:
        for name in ("E", "A", "B", "alpha", "beta"):
            v.positive(getattr(self, name), name)

    # -- the law ---------------------------------------------------------------------------------
    def loss(self, n_params: ArrayLike, n_tokens: ArrayLike) -> float | np.ndarray:
        """Predicted loss of ``n_params`` parameters trained on ``n_tokens`` tokens (Eq. 2)."""
        n = v.positive(n_params, "n_params")
        d = v.positive(n_tokens, "n_tokens")
        return v.scalar_or_array(self.E + self.A * n ** (-self.alpha) + self.B * d ** (-self.beta))

    # -- the compute-optimal frontier under C = 6 N D ----------------------------------------------
    @property
    def G(self) -> float:
        """The frontier's scale, (alpha A / (beta B))**(1 / (alpha + beta)) (Eq. 4)."""
        return float((self.alpha * self.A / (self.beta * self.B)) ** (1.0 / (self.alpha + self.beta)))

    @property
    def a(self) -> float:
        """Exponent of N_opt in C: beta / (alpha + beta)."""
        return self.beta / (self.alpha + self.beta)

    @property
    def b(self) -> float:
        """Exponent of D_opt in C: alpha / (alpha + beta)."""
        return self.alpha / (self.alpha + self.beta)

    def compute_optimal(self, flops: ArrayLike) -> tuple[float | np.ndarray, float | np.ndarray]:
        """``(n_params, n_tokens)`` minimising the loss for a training budget of ``flops`` FLOPs (C = 6 N D)."""
        c = v.positive(flops, "flops") / TRAINING_FLOPS_PER_PARAM_TOKEN
        return v.scalar_or_array(self.G * c**self.a), v.scalar_or_array(c**self.b / self.G)

    def optimal_tokens_per_param(self, flops: ArrayLike) -> float | np.ndarray:
        """D_opt / N_opt: tokens per parameter of the compute-optimal model for ``flops`` FLOPs, G**-2 (C/6)**(b-a)."""
        n, d = self.compute_optimal(flops)
        return v.scalar_or_array(np.asarray(d) / np.asarray(n))

    def optimal_loss(self, flops: ArrayLike) -> float | np.ndarray:
        """The lowest loss a budget of ``flops`` FLOPs can buy."""
        n, d = self.compute_optimal(flops)
        return self.loss(n, d)

    def flops_for_loss(self, loss: ArrayLike) -> float | np.ndarray:
        """The smallest budget, in FLOPs, whose compute-optimal model reaches ``loss`` (which must exceed E).

        Inverts L*(C) = E + K (C/6)**(-alpha beta / (alpha + beta)), K = A G**-alpha + B G**beta.
        """
        ell = v.finite(loss, "loss")
        if (ell <= self.E).any():
            raise ValueError(f"loss must be above the irreducible loss E = {self.E:g}, got {ell.min():g}")
        k = self.A * self.G ** (-self.alpha) + self.B * self.G**self.beta
        exponent = -(self.alpha + self.beta) / (self.alpha * self.beta)
        return v.scalar_or_array(TRAINING_FLOPS_PER_PARAM_TOKEN * ((ell - self.E) / k) ** exponent)

    def flops_for_optimal_params(self, n_params: ArrayLike) -> float | np.ndarray:
        """The budget at which ``n_params`` is the compute-optimal size: C = 6 (N / G)**(1/a)."""
        n = v.positive(n_params, "n_params")
        return v.scalar_or_array(TRAINING_FLOPS_PER_PARAM_TOKEN * (n / self.G) ** (1.0 / self.a))

    def tokens_for_params(self, n_params: ArrayLike) -> float | np.ndarray:
        """The compute-optimal number of tokens for a model of ``n_params`` parameters."""
        return self.compute_optimal(self.flops_for_optimal_params(n_params))[1]

    def params_for_tokens(self, n_tokens: ArrayLike) -> float | np.ndarray:
        """The compute-optimal model size for a dataset of ``n_tokens`` tokens (decide the data first)."""
        d = v.positive(n_tokens, "n_tokens")
        c = (d * self.G) ** (1.0 / self.b)  # C / 6
        return v.scalar_or_array(self.G * c**self.a)


#: Eq. 10 of Hoffmann et al. 2022 as printed (rounded).
HOFFMANN_2022 = ChinchillaLaw(E=1.69, A=406.4, B=410.7, alpha=0.34, beta=0.28)
#: The unrounded values of the paper's TeX source: log A = 6.0073404, log B = 6.0179186, log E = 0.5267228.
HOFFMANN_2022_UNROUNDED = ChinchillaLaw(
    E=float(np.exp(0.5267228)), A=float(np.exp(6.0073404)), B=float(np.exp(6.0179186)),
    alpha=0.33917084, beta=0.2849083,
)
#: The replication of Besiroglu et al. 2024 (arXiv 2404.10102), refitted to data read off Hoffmann's Fig. 4.
BESIROGLU_2024 = ChinchillaLaw(E=1.8172, A=482.01, B=2085.43, alpha=0.3478, beta=0.3658)

PUBLISHED_LAWS: dict[str, ChinchillaLaw] = {
    "Hoffmann et al. 2022 (rounded, as printed)": HOFFMANN_2022,
    "Hoffmann et al. 2022 (unrounded)": HOFFMANN_2022_UNROUNDED,
    "Besiroglu et al. 2024 (replication)": BESIROGLU_2024,
}


# ------------------------------------------------------------------------------------------------
# Approach 3: the parametric fit
# ------------------------------------------------------------------------------------------------
def _runs(n_params: ArrayLike, n_tokens: ArrayLike, loss: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = v.one_dimensional(v.positive(n_params, "n_params"), "n_params", 6)
    d = v.one_dimensional(v.positive(n_tokens, "n_tokens"), "n_tokens", 6)
    ell = v.one_dimensional(v.positive(loss, "loss"), "loss", 6)
    v.same_length("n_params", n, "n_tokens", d)
    v.same_length("n_params", n, "loss", ell)
    return n, d, ell


def huber_objective(theta: np.ndarray, log_n: np.ndarray, log_d: np.ndarray, log_loss: np.ndarray,
                    delta: float = HUBER_DELTA) -> tuple[float, np.ndarray]:
    """Sum over runs of Huber_delta(LSE(a - alpha log N, b - beta log D, e) - log L) and its gradient.

    ``theta`` = (a, b, e, alpha, beta) with A = exp(a), B = exp(b), E = exp(e) (Hoffmann et al. 2022,
    Eq. 3). The value is divided by delta**2, which leaves the minimiser unchanged and keeps the
    optimiser's stopping rule meaningful (see the chapter on the loss-scale pitfall).
    """
    a, b, e, alpha, beta = theta
    terms = np.stack([a - alpha * log_n, b - beta * log_d, np.full_like(log_n, e)])
    top = terms.max(axis=0)
    weights = np.exp(terms - top)
    total = weights.sum(axis=0)
    residual = top + np.log(total) - log_loss
    weights /= total
    inside = np.abs(residual) <= delta
    value = np.where(inside, 0.5 * residual**2, delta * (np.abs(residual) - 0.5 * delta)).sum()
    slope = np.clip(residual, -delta, delta)
    gradient = np.array([
        (slope * weights[0]).sum(),
        (slope * weights[1]).sum(),
        (slope * weights[2]).sum(),
        -(slope * weights[0] * log_n).sum(),
        -(slope * weights[1] * log_d).sum(),
    ])
    return float(value / delta**2), gradient / delta**2


_BOUNDS = [(-20.0, 60.0), (-20.0, 60.0), (-5.0, 5.0), (1e-3, 3.0), (1e-3, 3.0)]
_LBFGS_OPTIONS = {"maxiter": 20000, "maxfun": 40000, "ftol": 1e-15, "gtol": 1e-10, "maxcor": 20}


def _minimise(theta0: np.ndarray, log_n, log_d, log_loss, delta: float) -> optimize.OptimizeResult:
    return optimize.minimize(huber_objective, theta0, args=(log_n, log_d, log_loss, delta), jac=True,
                             method="L-BFGS-B", bounds=_BOUNDS, options=_LBFGS_OPTIONS)


def _starting_points(n: np.ndarray, d: np.ndarray, ell: np.ndarray, keep: int) -> list[np.ndarray]:
    """Good starts by variable projection: for each (alpha, beta) on a grid, E, A, B by linear least squares."""
    alphas = np.linspace(0.05, 1.2, 24)
    alpha_grid, beta_grid = (g.ravel() for g in np.meshgrid(alphas, alphas, indexing="ij"))
    # relative least squares: minimise sum((E + A N^-alpha + B D^-beta) / L - 1)^2
    x = np.stack([np.broadcast_to(1.0 / ell, (alpha_grid.size, ell.size)),
                  n[None, :] ** -alpha_grid[:, None] / ell,
                  d[None, :] ** -beta_grid[:, None] / ell], axis=2)
    scale = np.abs(x).max(axis=1, keepdims=True)
    xs = x / scale
    gram = np.einsum("kij,kil->kjl", xs, xs) + 1e-12 * np.eye(3)
    rhs = xs.sum(axis=1)
    coef = np.linalg.solve(gram, rhs[..., None])[..., 0] / scale[:, 0, :]
    ok = (coef > 0).all(axis=1)
    if not ok.any():
        return [np.array([6.0, 6.0, 0.5, 0.3, 0.3])]
    pred = np.einsum("kij,kj->ki", x[ok], coef[ok])
    err = ((pred - 1.0) ** 2).sum(axis=1)
    order = np.argsort(err)[:keep]
    e_, a_, b_ = coef[ok][order].T
    return [np.array([np.log(a_[i]), np.log(b_[i]), np.log(e_[i]), alpha_grid[ok][order][i], beta_grid[ok][order][i]])
            for i in range(len(order))]


@dataclass(frozen=True)
class FitResult:
    """A fitted law with the objective value it reached (Huber sum divided by delta**2)."""

    law: ChinchillaLaw
    objective: float
    theta: np.ndarray


def _to_law(theta: np.ndarray) -> ChinchillaLaw:
    a, b, e, alpha, beta = theta
    return ChinchillaLaw(E=float(np.exp(e)), A=float(np.exp(a)), B=float(np.exp(b)), alpha=float(alpha),
                         beta=float(beta))


def fit_result(n_params: ArrayLike, n_tokens: ArrayLike, loss: ArrayLike, delta: float = HUBER_DELTA,
               n_starts: int = 4) -> FitResult:
    """Approach 3 with its objective value: see :func:`fit`."""
    n, d, ell = _runs(n_params, n_tokens, loss)
    delta = float(v.positive(delta, "delta"))
    if not isinstance(n_starts, int) or n_starts < 1:
        raise ValueError(f"n_starts must be a whole number >= 1, got {n_starts!r}")
    log_n, log_d, log_loss = np.log(n), np.log(d), np.log(ell)
    best = None
    for start in _starting_points(n, d, ell, n_starts):
        result = None
        # continuation: a quadratic fit first, then the Huber threshold down to delta
        for stage_delta in (max(delta, 0.1), max(delta, 1e-2), delta):
            result = _minimise(start if result is None else result.x, log_n, log_d, log_loss, stage_delta)
        if best is None or result.fun < best.fun:
            best = result
    return FitResult(_to_law(best.x), float(best.fun), best.x)


def fit(n_params: ArrayLike, n_tokens: ArrayLike, loss: ArrayLike, delta: float = HUBER_DELTA) -> ChinchillaLaw:
    """Fit L(N, D) = E + A/N**alpha + B/D**beta to training runs (Hoffmann et al. 2022, Approach 3).

    Minimises the sum over runs of the Huber loss (threshold ``delta``, 1e-3 in the paper) of the
    difference of log losses, with L-BFGS. Instead of the paper's 4,500-point grid of starts, the
    starts come from a variable-projection scan (for each exponent pair the other three constants
    solve a linear least-squares problem), and each is refined with a decreasing Huber threshold.
    Needs at least 6 runs (five constants and one degree of freedom).
    """
    return fit_result(n_params, n_tokens, loss, delta).law


def naive_fit(n_params: ArrayLike, n_tokens: ArrayLike, loss: ArrayLike, start: ArrayLike,
              reduction: str = "sum", delta: float = HUBER_DELTA) -> FitResult:
    """One L-BFGS-B run from ``start`` = (a, b, e, alpha, beta) on the *unscaled* Huber objective,
    summed or averaged over runs (``reduction``), with SciPy's default stopping rule.

    This is one step of the paper's procedure, kept to show the loss-scale pitfall found by
    Besiroglu et al. 2024: averaging makes the objective n times smaller, the default stopping rule
    (a change below about 2e-9) fires early, and the optimiser stops far from the minimum. The
    returned objective is the scaled sum of :func:`huber_objective`, comparable with :func:`fit_result`.
    """
    n, d, ell = _runs(n_params, n_tokens, loss)
    theta0 = v.finite(start, "start")
    if theta0.shape != (5,):
        raise ValueError(f"start must hold five numbers (a, b, e, alpha, beta), got shape {theta0.shape}")
    if reduction not in ("sum", "mean"):
        raise ValueError(f"reduction must be 'sum' or 'mean', got {reduction!r}")
    log_n, log_d, log_loss = np.log(n), np.log(d), np.log(ell)
    divisor = delta**-2 * (n.size if reduction == "mean" else 1)

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        value, gradient = huber_objective(theta, log_n, log_d, log_loss, delta)
        return value / divisor, gradient / divisor

    result = optimize.minimize(objective, theta0, jac=True, method="L-BFGS-B", bounds=_BOUNDS)
    return FitResult(_to_law(result.x), huber_objective(result.x, log_n, log_d, log_loss, delta)[0], result.x)


@dataclass(frozen=True)
class Bootstrap:
    """Parameters refitted on resampled runs; one row per resample, columns E, A, B, alpha, beta."""

    samples: np.ndarray
    names: tuple[str, ...] = ("E", "A", "B", "alpha", "beta")

    def values(self, name: str) -> np.ndarray:
        """The resampled values of one constant, or of a derived quantity 'a' or 'b'."""
        columns = {n: self.samples[:, i] for i, n in enumerate(self.names)}
        columns["a"] = columns["beta"] / (columns["alpha"] + columns["beta"])
        columns["b"] = columns["alpha"] / (columns["alpha"] + columns["beta"])
        if name not in columns:
            raise ValueError(f"name must be one of {sorted(columns)}, got {name!r}")
        return columns[name]

    def interval(self, name: str, level: float = 0.8) -> tuple[float, float]:
        """The central ``level`` percentile interval (0.8 gives the 10th to 90th percentile)."""
        level = float(v.in_range(level, "level", 0.0, 1.0, low_open=True))
        low, high = np.percentile(self.values(name), [50 * (1 - level), 50 * (1 + level)])
        return float(low), float(high)

    def laws(self) -> list[ChinchillaLaw]:
        return [ChinchillaLaw(*row) for row in self.samples]


def bootstrap(n_params: ArrayLike, n_tokens: ArrayLike, loss: ArrayLike, n_resamples: int = 1000,
              seed: int = 0, delta: float = HUBER_DELTA, *, progress: bool = False) -> Bootstrap:
    """Refit Approach 3 on ``n_resamples`` resamples of the runs (drawn with replacement).

    Each refit starts from the fit to all runs, which makes it fast and keeps it in the same basin.
    With ``progress``, a progress bar (tqdm) counts the refits: a thousand take several seconds.
    """
    n, d, ell = _runs(n_params, n_tokens, loss)
    v.positive_int(n_resamples, "n_resamples")
    v.seed(seed)
    full = fit_result(n, d, ell, delta)
    rng = np.random.default_rng(seed)
    log_n, log_d, log_loss = np.log(n), np.log(d), np.log(ell)
    rows = np.empty((n_resamples, 5))
    if not isinstance(progress, (bool, np.bool_)):
        raise TypeError(f"progress must be True or False, got {progress!r}")
    steps = range(n_resamples)
    if progress:
        from tqdm import tqdm  # text bar on stderr: shown in Jupyter, hidden on the website (remove-stderr)

        steps = tqdm(steps, desc="bootstrap refits", unit="fit")
    for i in steps:
        idx = rng.integers(0, n.size, n.size)
        theta = _minimise(full.theta, log_n[idx], log_d[idx], log_loss[idx], delta).x
        law = _to_law(theta)
        rows[i] = (law.E, law.A, law.B, law.alpha, law.beta)
    return Bootstrap(rows)


# ------------------------------------------------------------------------------------------------
# Simulated training runs
# ------------------------------------------------------------------------------------------------
def simulate_isoflop_runs(budgets: ArrayLike, sizes_per_budget: int = 15, span: float = 16.0, noise: float = 0.01,
                          seed: int = 0, *, law: ChinchillaLaw = HOFFMANN_2022
                          ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Final losses of runs on IsoFLOP profiles of ``law``: for each budget, model sizes from N_opt/span to N_opt*span.

    Returns ``(flops, n_params, n_tokens, loss)``, one entry per run, with D = C / (6 N) and the loss
    multiplied by exp(eps), eps ~ Normal(0, ``noise``). The sizes are log-spaced, centred on the law's
    own optimum; a real study centres them on a guess.
    """
    v.law(law, ChinchillaLaw)
    c = v.one_dimensional(np.atleast_1d(v.positive(budgets, "budgets")), "budgets", 1)
    count = v.positive_int(sizes_per_budget, "sizes_per_budget")
    width = float(v.positive(span, "span"))
    sigma = float(v.non_negative(noise, "noise"))
    rng = np.random.default_rng(v.seed(seed))
    n_opt, _ = law.compute_optimal(c)
    factors = np.logspace(-np.log10(width), np.log10(width), count)
    n = (np.atleast_1d(n_opt)[:, None] * factors[None, :]).ravel()
    flops = np.repeat(c, count)
    d = flops / (TRAINING_FLOPS_PER_PARAM_TOKEN * n)
    loss = np.asarray(law.loss(n, d)) * np.exp(sigma * rng.standard_normal(n.size))
    return flops, n, d, loss


def simulate_training_curves(sizes: ArrayLike, max_tokens: ArrayLike, points: int = 60, noise: float = 0.0,
                             seed: int = 0, *, law: ChinchillaLaw = HOFFMANN_2022
                             ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Loss along training runs under ``law``: per model size, ``points`` log-spaced token counts up to ``max_tokens``.

    Returns ``(n_params, n_tokens, loss)`` flattened over runs and points. Each point is the loss the
    law gives for that many tokens, as if the run's learning-rate schedule had been set to end there
    (Hoffmann et al. train several horizons per size for this reason; App. B).
    """
    v.law(law, ChinchillaLaw)
    n_sizes = v.one_dimensional(np.atleast_1d(v.positive(sizes, "sizes")), "sizes", 1)
    d_max = np.broadcast_to(v.positive(max_tokens, "max_tokens"), n_sizes.shape)
    count = v.positive_int(points, "points")
    sigma = float(v.non_negative(noise, "noise"))
    rng = np.random.default_rng(v.seed(seed))
    fractions = np.logspace(-3, 0, count)
    n = np.repeat(n_sizes, count)
    d = (d_max[:, None] * fractions[None, :]).ravel()
    loss = np.asarray(law.loss(n, d)) * np.exp(sigma * rng.standard_normal(n.size))
    return n, d, loss


# ------------------------------------------------------------------------------------------------
# Approaches 1 and 2
# ------------------------------------------------------------------------------------------------
def training_curve_envelope(n_params: ArrayLike, n_tokens: ArrayLike, loss: ArrayLike, flop_grid: ArrayLike
                            ) -> tuple[np.ndarray, np.ndarray]:
    """Approach 1: for each budget in ``flop_grid``, the model size whose curve reaches the lowest loss.

    Each run's curve (loss against tokens, one per distinct ``n_params``) is interpolated in log-log
    at D = C / (6 N); budgets a curve does not reach are skipped for that curve. Returns
    ``(flops, best_n_params)`` for the budgets some curve reaches.
    """
    n = v.one_dimensional(v.positive(n_params, "n_params"), "n_params", 2)
    d = v.one_dimensional(v.positive(n_tokens, "n_tokens"), "n_tokens", 2)
    ell = v.one_dimensional(v.positive(loss, "loss"), "loss", 2)
    v.same_length("n_params", n, "n_tokens", d)
    v.same_length("n_params", n, "loss", ell)
    grid = v.one_dimensional(np.atleast_1d(v.positive(flop_grid, "flop_grid")), "flop_grid", 1)
    sizes = np.unique(n)
    best_loss = np.full(grid.shape, np.inf)
    best_n = np.full(grid.shape, np.nan)
    for size in sizes:
        mask = n == size
        order = np.argsort(d[mask])
        dd, ll = d[mask][order], ell[mask][order]
        target = grid / (TRAINING_FLOPS_PER_PARAM_TOKEN * size)
        reach = (target >= dd[0]) & (target <= dd[-1])
        interp = np.exp(np.interp(np.log(target[reach]), np.log(dd), np.log(ll)))
        better = interp < best_loss[reach]
        idx = np.flatnonzero(reach)[better]
        best_loss[idx] = interp[better]
        best_n[idx] = size
    found = np.isfinite(best_n)
    return grid[found], best_n[found]


def isoflop_minimum(n_params: ArrayLike, loss: ArrayLike) -> tuple[float, float]:
    """Approach 2 for one budget: fit a parabola to loss against log N and return its minimum.

    Returns ``(n_opt, loss_at_minimum)``. Needs at least 3 runs and a profile that curves upwards.
    """
    n = v.one_dimensional(v.positive(n_params, "n_params"), "n_params", 3)
    ell = v.one_dimensional(v.positive(loss, "loss"), "loss", 3)
    v.same_length("n_params", n, "loss", ell)
    x = np.log(n)
    curvature, slope, intercept = np.polyfit(x, ell, 2)
    if curvature <= 0:
        raise ValueError("this IsoFLOP profile does not curve upwards: widen the range of model sizes")
    x_min = -slope / (2 * curvature)
    return float(np.exp(x_min)), float(intercept - slope**2 / (4 * curvature))


def isoflop_frontier(flops: ArrayLike, n_params: ArrayLike, loss: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """Approach 2 over all budgets: ``(budgets, n_opt)`` with one parabola minimum per distinct budget."""
    c = v.one_dimensional(v.positive(flops, "flops"), "flops", 3)
    n = v.one_dimensional(v.positive(n_params, "n_params"), "n_params", 3)
    ell = v.one_dimensional(v.positive(loss, "loss"), "loss", 3)
    v.same_length("flops", c, "n_params", n)
    v.same_length("flops", c, "loss", ell)
    budgets = np.unique(c)
    n_opt = np.array([isoflop_minimum(n[c == budget], ell[c == budget])[0] for budget in budgets])
    return budgets, n_opt


def allocation_exponent(flops: ArrayLike, n_opt: ArrayLike) -> tuple[float, float]:
    """Fit N_opt = k C**a in log-log; returns ``(a, k)``. The data exponent is then b = 1 - a."""
    c = v.one_dimensional(v.positive(flops, "flops"), "flops", 2)
    n = v.one_dimensional(v.positive(n_opt, "n_opt"), "n_opt", 2)
    v.same_length("flops", c, "n_opt", n)
    if np.ptp(np.log(c)) == 0:
        raise ValueError("flops must take at least two different values")
    slope, intercept = np.polyfit(np.log(c), np.log(n), 1)
    return float(slope), float(np.exp(intercept))


# ------------------------------------------------------------------------------------------------
# Published tables
# ------------------------------------------------------------------------------------------------
#: Hoffmann et al. 2022, Table 2: (a, b) per approach, with the 10th-90th percentile intervals.
HOFFMANN_2022_TABLE2: dict[str, dict[str, object]] = {
    "Approach 1 (training curves)": {"a": 0.50, "a_interval": (0.488, 0.502), "b": 0.50, "b_interval": (0.501, 0.512)},
    "Approach 2 (IsoFLOP profiles)": {"a": 0.49, "a_interval": (0.462, 0.534), "b": 0.51, "b_interval": (0.483, 0.529)},
    "Approach 3 (parametric fit)": {"a": 0.46, "a_interval": (0.454, 0.455), "b": 0.54, "b_interval": (0.542, 0.543)},
    "Kaplan et al. (2020)": {"a": 0.73, "a_interval": None, "b": 0.27, "b_interval": None},
}

#: Hoffmann et al. 2022, Table 3 (Approach 1 projections): parameters, FLOPs, tokens.
HOFFMANN_2022_TABLE3: tuple[tuple[float, float, float], ...] = (
    (400e6, 1.92e19, 8.0e9),
    (1e9, 1.21e20, 20.2e9),
    (10e9, 1.23e22, 205.1e9),
    (67e9, 5.76e23, 1.5e12),
    (175e9, 3.85e24, 3.7e12),
    (280e9, 9.90e24, 5.9e12),
    (520e9, 3.43e25, 11.0e12),
    (1e12, 1.27e26, 21.2e12),
    (10e12, 1.30e28, 216.2e12),
)

#: Gopher's training budget as the paper states it (Fig. 2 caption; Table 3), in FLOPs.
GOPHER_FLOPS: float = 5.76e23

#: Hoffmann et al. 2022, App. D.2: the grid of L-BFGS starting points of Approach 3, one tuple per
#: parameter of the objective (A = exp(a), B = exp(b), E = exp(e)). The paper gives the values, not their
#: number; the grid has 5 * 5 * 5 * 6 * 6 = 4,500 points.
HOFFMANN_2022_START_GRID: dict[str, tuple[float, ...]] = {
    "alpha": (0.0, 0.5, 1.0, 1.5, 2.0),
    "beta": (0.0, 0.5, 1.0, 1.5, 2.0),
    "e": (-1.0, -0.5, 0.0, 0.5, 1.0),
    "a": (0.0, 5.0, 10.0, 15.0, 20.0, 25.0),
    "b": (0.0, 5.0, 10.0, 15.0, 20.0, 25.0),
}

#: Hoffmann et al. 2022, Table A2: the allocation exponents (a, b) of Approach 2 on other data sets.
HOFFMANN_2022_TABLE_A2: dict[str, tuple[float, float]] = {"C4": (0.50, 0.50), "GitHub": (0.53, 0.47)}


def size_against_optimum(n_params: ArrayLike, n_tokens: ArrayLike, *, law: ChinchillaLaw = HOFFMANN_2022
                         ) -> tuple[float | np.ndarray, float | np.ndarray, float | np.ndarray]:
    """How far a model of ``n_params`` parameters trained on ``n_tokens`` tokens is from the optimum of its budget.

    The budget is C = 6 N D. Returns ``(n_opt, oversize, loss_gap)``: the compute-optimal size under ``law``
    for that budget, the ratio N / N_opt (above 1: too large a model on too little data), and the loss
    the law says the choice gives up, L(N, D) - L(N_opt, D_opt), in nats per token.
    """
    v.law(law, ChinchillaLaw)
    n = v.positive(n_params, "n_params")
    d = v.positive(n_tokens, "n_tokens")
    budget = TRAINING_FLOPS_PER_PARAM_TOKEN * n * d
    n_opt, d_opt = law.compute_optimal(budget)
    gap = np.asarray(law.loss(n, d)) - np.asarray(law.loss(n_opt, d_opt))
    return v.scalar_or_array(np.asarray(n_opt)), v.scalar_or_array(n / n_opt), v.scalar_or_array(gap)


# ------------------------------------------------------------------------------------------------
# Llama 3's own IsoFLOP study (Dubey et al. 2024, arXiv 2407.21783, Sec. 3.2.1)
# ------------------------------------------------------------------------------------------------
#: The fit D*(C) = A C**alpha of the compute-optimal number of training tokens, as printed: (A, alpha).
#: Fitted on budgets from 6e18 to 1e22 FLOPs, on Llama 3's data and tokenizer.
LLAMA3_TOKENS_FIT: tuple[float, float] = (0.29, 0.53)
#: The smallest and largest budgets of that IsoFLOP study, in FLOPs.
LLAMA3_FIT_BUDGETS: tuple[float, float] = (6e18, 1e22)
#: The paper's extrapolation of that fit to its flagship's budget: FLOPs, parameters, tokens.
LLAMA3_PROJECTION: tuple[float, float, float] = (3.8e25, 402e9, 16.55e12)


def llama3_optimal_tokens(flops: ArrayLike) -> float | np.ndarray:
    """Compute-optimal training tokens for ``flops`` FLOPs by Llama 3's IsoFLOP fit with its printed constants.

    D*(C) = 0.29 C**0.53 (Dubey et al. 2024, Sec. 3.2.1). Far from the fitted budgets the rounding of the
    exponent matters: at 3.8e25 FLOPs this gives about 10.5T tokens, where the paper's own
    extrapolation states 16.55T.
    """
    c = v.positive(flops, "flops")
    coefficient, exponent = LLAMA3_TOKENS_FIT
    return v.scalar_or_array(coefficient * c**exponent)


# ------------------------------------------------------------------------------------------------
# Real training runs (Gadre et al. 2024, arXiv 2403.08540; the runs are in lectures_lib.data)
# ------------------------------------------------------------------------------------------------
#: Gadre et al. 2024, Table 6 (arXiv v2), RedPajama, loss on C4's validation set: E, a, b and eta of their Eq. 4,
#: L(C, M) = E + (a M**eta + b M**-eta) C**-eta, as printed (rounded); one home: lectures_lib.overtraining.
GADRE_2024_TABLE6_RPJ: tuple[float, float, float, float] = (
    _overtraining.GADRE_2024_RPJ.E, _overtraining.GADRE_2024_RPJ.a, _overtraining.GADRE_2024_RPJ.b,
    _overtraining.GADRE_2024_RPJ.eta)
#: The compute-optimal tokens per parameter M* = (b / a)**(1 / (2 eta)) the paper prints for that fit (App. F).
GADRE_2024_RPJ_OPTIMAL_M: float = _overtraining.GADRE_2024_M_STAR["rpj"]


def gadre_2024_as_chinchilla_law(E: float, a: float, b: float, eta: float) -> ChinchillaLaw:
    """The Chinchilla law L(N, D) behind Eq. 4 of Gadre et al. 2024: their Eq. 3 with alpha = beta = 2 eta.

    Substituting N = sqrt(C / (6M)) and D = sqrt(C M / 6) into E + A/N**alpha + B/D**alpha gives Eq. 4 with
    eta = alpha / 2, a = A 6^eta and b = B 6^eta (the paper's App. A), so A = a / 6^eta and B = b / 6^eta.
    With equal exponents the compute-optimal ratio D/N = (B/A)**(1/alpha) does not depend on the budget.
    """
    eta = float(v.positive(eta, "eta"))
    scale = TRAINING_FLOPS_PER_PARAM_TOKEN**eta  # the 6 of C = 6ND
    return ChinchillaLaw(E=float(v.positive(E, "E")), A=float(v.positive(a, "a")) / scale,
                         B=float(v.positive(b, "b")) / scale, alpha=2 * eta, beta=2 * eta)


def log_residuals(n_params: ArrayLike, n_tokens: ArrayLike, loss: ArrayLike, *, law: ChinchillaLaw = HOFFMANN_2022
                  ) -> np.ndarray:
    """log(observed loss) - log(loss predicted by ``law``) for each run: what Approach 3 takes the Huber loss of.

    Positive: the run did worse than the law says. Times 100 it is roughly the error in percent.
    """
    v.law(law, ChinchillaLaw)
    n, d, ell = _runs_any(n_params, n_tokens, loss)
    return np.log(ell) - np.log(np.asarray(law.loss(n, d), dtype=float))


def _runs_any(n_params: ArrayLike, n_tokens: ArrayLike, loss: ArrayLike) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n = v.one_dimensional(np.atleast_1d(v.positive(n_params, "n_params")), "n_params", 1)
    d = v.one_dimensional(np.atleast_1d(v.positive(n_tokens, "n_tokens")), "n_tokens", 1)
    ell = v.one_dimensional(np.atleast_1d(v.positive(loss, "loss")), "loss", 1)
    v.same_length("n_params", n, "n_tokens", d)
    v.same_length("n_params", n, "loss", ell)
    return n, d, ell


def isoflop_profiles_from_grid(n_params: ArrayLike, n_tokens: ArrayLike, loss: ArrayLike, flops: ArrayLike,
                               max_step: float = 2.0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """IsoFLOP profiles read off a grid of runs (several model sizes, each trained to several token counts).

    For each budget C in ``flops`` and each model size N, the run that would spend exactly C has
    D = C / (6N) tokens. If that size has runs on both sides of D whose token counts differ by at most
    ``max_step`` (2 for a grid of doubling multipliers), its final loss is interpolated between them in
    log-log; otherwise the size is left out of that budget's profile. Every run is a complete training run
    with its own schedule, so the interpolation is between finished runs, not along one run's curve.
    Returns ``(flops, n_params, loss)``, one entry per (budget, size) pair, ready for :func:`isoflop_frontier`.
    """
    n, d, ell = _runs_any(n_params, n_tokens, loss)
    grid = v.one_dimensional(np.atleast_1d(v.positive(flops, "flops")), "flops", 1)
    step = float(v.in_range(max_step, "max_step", 1.0, np.inf))
    out_c, out_n, out_loss = [], [], []
    for size in np.unique(n):
        mask = n == size
        order = np.argsort(d[mask])
        log_d, log_l = np.log(d[mask][order]), np.log(ell[mask][order])
        target = np.log(grid / (TRAINING_FLOPS_PER_PARAM_TOKEN * size))
        right = np.searchsorted(log_d, target, side="left")
        exact = (right < log_d.size) & np.isclose(log_d[np.minimum(right, log_d.size - 1)], target, rtol=0, atol=1e-9)
        inside = (right > 0) & (right < log_d.size)
        left = np.maximum(right - 1, 0)
        gap_ok = inside & (log_d[np.minimum(right, log_d.size - 1)] - log_d[left] <= np.log(step) + 1e-12)
        keep = exact | gap_ok
        if not keep.any():
            continue
        out_c.append(grid[keep])
        out_n.append(np.full(keep.sum(), size))
        out_loss.append(np.exp(np.interp(target[keep], log_d, log_l)))
    if not out_c:
        return np.empty(0), np.empty(0), np.empty(0)
    c, n_out, l_out = (np.concatenate(x) for x in (out_c, out_n, out_loss))
    order = np.lexsort((n_out, c))
    return c[order], n_out[order], l_out[order]


def optimal_tokens_per_param_interval(boot: Bootstrap, flops: ArrayLike, level: float = 0.8
                                      ) -> tuple[np.ndarray, np.ndarray]:
    """The central ``level`` percentile interval of the compute-optimal D/N over the laws of ``boot``, per budget.

    Returns ``(low, high)``, arrays with one entry per budget in ``flops`` (FLOPs).
    """
    if not isinstance(boot, Bootstrap):
        raise TypeError(f"boot must be a Bootstrap (from lectures_lib.chinchilla.bootstrap), got {type(boot).__name__}")
    c = np.atleast_1d(v.positive(flops, "flops")) / TRAINING_FLOPS_PER_PARAM_TOKEN
    level = float(v.in_range(level, "level", 0.0, 1.0, low_open=True))
    A, B, alpha, beta = (boot.values(k)[:, None] for k in ("A", "B", "alpha", "beta"))
    g = (alpha * A / (beta * B)) ** (1.0 / (alpha + beta))
    ratio = g**-2.0 * c[None, :] ** ((alpha - beta) / (alpha + beta))
    low, high = np.percentile(ratio, [50 * (1 - level), 50 * (1 + level)], axis=0)
    return low, high


#: Learning-rate warm-up of the four smallest sizes of Gadre et al. 2024, from the released run files
#: (mlfoundations/scaling @ a003c49, exp_data/models/*.json, ``hyperparameters``): parameters ->
#: (warm-up steps, sequences per step). The same for every dataset and every token count of a size.
GADRE_2024_WARMUP: dict[int, tuple[int, int]] = {
    10_569_312: (100, 64), 78_914_048: (400, 512), 153_677_376: (400, 512), 411_616_256: (2000, 512),
}
#: Tokens per sequence in those runs (the model configurations' ``seq_len``).
GADRE_2024_SEQ_LEN: int = 2048


def gadre_2024_warmup_share(n_params: ArrayLike, n_tokens: ArrayLike) -> float | np.ndarray:
    """Warm-up steps over all optimiser steps of a run of Gadre et al. 2024 (one of the four smallest sizes).

    Above 1, the run ended before its learning rate reached the peak. Steps = tokens / (sequences per step x
    :data:`GADRE_2024_SEQ_LEN`); the sizes and their settings are in :data:`GADRE_2024_WARMUP`.
    """
    n, d = np.broadcast_arrays(v.positive(n_params, "n_params"), v.positive(n_tokens, "n_tokens"))
    known = np.array([int(round(x)) in GADRE_2024_WARMUP for x in n.ravel()])
    if not known.all():
        raise ValueError(f"n_params must be sizes listed in GADRE_2024_WARMUP {sorted(GADRE_2024_WARMUP)}, "
                         f"got {n.ravel()[~known][0]:g}")
    warmup, batch = (np.array([GADRE_2024_WARMUP[int(round(x))][k] for x in n.ravel()]).reshape(n.shape)
                     for k in (0, 1))
    return v.scalar_or_array(warmup * batch * GADRE_2024_SEQ_LEN / d)
