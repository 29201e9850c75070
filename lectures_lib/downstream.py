"""From loss to downstream skills: Gadre et al. 2024's law for the average top-1 error, and its fit.

Gadre et al. 2024, "Language models scale reliably with over-training and on downstream tasks" (arXiv
2403.08540, Sec. 2.3, Eq. 5) model the average top-1 error of a model over 17 downstream tasks as a function of
its loss L on a held-out evaluation set (C4 in their Table 6):

    Err(L) = epsilon - k * exp(-gamma * L).

Error falls as the loss falls: at a large loss it approaches epsilon (the error of a model that knows nothing,
about the random-guess level of the tasks), and it bends down ever more steeply as the loss approaches the
irreducible loss. Written with the perplexity PP = exp(L) it is epsilon - k * PP**(-gamma) (their Eq. 6).

:data:`GADRE_2024_TABLE_6` holds the printed constants per training dataset; :func:`fit_downstream` fits the law
to runs (deterministically: for a fixed gamma the law is linear in epsilon and k, so the fit scans gamma and
solves the linear part exactly); :func:`eq5_fitting_set` selects the runs the paper fitted it to.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import optimize

from . import _validate as v
from ._validate import ArrayLike
from .data import DATASETS, GADRE_2024_SUBSET, TrainingRuns, downstream_accuracy, load_gadre_2024, task_baselines

__all__ = ["GADRE_2024_C4", "GADRE_2024_RPJ", "GADRE_2024_RW", "GADRE_2024_TABLE_6", "SELECTION_MARGIN",
           "SELECTION_SIZE", "DownstreamLaw", "chance_error", "eq5_fitting_set", "fit_comparison_table",
           "fit_downstream", "rms_residual", "tasks_above_chance"]


@dataclass(frozen=True)
class DownstreamLaw:
    """Err(L) = epsilon - k * exp(-gamma * L): average top-1 error (0 to 1) at evaluation loss L (nats/token).

    Gadre et al. 2024 (arXiv 2403.08540), Eq. 5. ``epsilon`` in (0, 1] is the error the law tends to at a large
    loss; ``k`` > 0 and ``gamma`` > 0 (per nat) set how fast the error falls as the loss falls.
    """

    epsilon: float
    k: float
    gamma: float

    def __post_init__(self) -> None:
        v.in_range(self.epsilon, "epsilon", 0.0, 1.0, low_open=True)
        v.positive(self.k, "k")
        v.positive(self.gamma, "gamma")

    def error(self, loss: ArrayLike) -> float | np.ndarray:
        """Average top-1 error (0 to 1; the law can dip below 0 far outside its fitted range) at ``loss`` > 0."""
        losses = v.positive(loss, "loss")
        return v.scalar_or_array(self.epsilon - self.k * np.exp(-self.gamma * losses))

    def __call__(self, loss: ArrayLike) -> float | np.ndarray:
        """Same as :meth:`error`."""
        return self.error(loss)


#: Gadre et al. 2024, Table 6 (arXiv v2), Eq. 5 fitted to C4-eval loss, per training dataset (printed digits).
GADRE_2024_C4 = DownstreamLaw(epsilon=0.850, k=2.08, gamma=0.756)
GADRE_2024_RPJ = DownstreamLaw(epsilon=0.857, k=2.21, gamma=0.715)
GADRE_2024_RW = DownstreamLaw(epsilon=0.865, k=2.21, gamma=0.707)
#: The three printed laws keyed by the dataset names of :data:`lectures_lib.data.DATASETS`.
GADRE_2024_TABLE_6: dict[str, DownstreamLaw] = dict(zip(DATASETS, (GADRE_2024_C4, GADRE_2024_RPJ, GADRE_2024_RW),
                                                         strict=True))

# gamma is scanned on this log grid, then refined between the neighbours of the best grid point.
_GAMMA_GRID = np.logspace(-2, 1, 301)


def _linear_part(gamma: np.ndarray, loss: np.ndarray, error: np.ndarray) -> tuple[np.ndarray, ...]:
    """For each gamma, the exact least-squares epsilon and k and the sum of squared residuals."""
    x = -np.exp(-np.outer(gamma, loss))  # error = epsilon + k * x
    x_mean, y_mean = x.mean(axis=1), error.mean()
    dx = x - x_mean[:, None]
    k = (dx @ (error - y_mean)) / np.einsum("ij,ij->i", dx, dx)
    epsilon = y_mean - k * x_mean
    residuals = epsilon[:, None] + k[:, None] * x - error
    return epsilon, k, np.einsum("ij,ij->i", residuals, residuals)


def fit_downstream(loss: ArrayLike, error: ArrayLike) -> DownstreamLaw:
    """Least-squares fit of Err(L) = epsilon - k * exp(-gamma * L) (Gadre et al. 2024, Eq. 5) to runs.

    ``loss`` (> 0, nats/token) and ``error`` (0 to 1) are equal-length 1-D arrays with at least 4 runs. For a
    fixed gamma the law is linear in epsilon and k, whose best values follow exactly; gamma is scanned on a log
    grid from 0.01 to 10 and refined by a bounded scalar search, so the fit is deterministic and needs no start
    values. Gadre et al. used Levenberg-Marquardt (SciPy ``curve_fit``); both reach the same minimum.
    """
    losses = v.one_dimensional(v.positive(loss, "loss"), "loss", 4)
    errors = v.one_dimensional(v.in_range(error, "error", 0.0, 1.0), "error", 4)
    v.same_length("loss", losses, "error", errors)
    if np.ptp(losses) == 0:
        raise ValueError("loss must take at least two different values to fit the law")
    _, _, sse = _linear_part(_GAMMA_GRID, losses, errors)
    best = int(np.argmin(sse))
    low, high = np.log(_GAMMA_GRID[max(best - 1, 0)]), np.log(_GAMMA_GRID[min(best + 1, len(_GAMMA_GRID) - 1)])
    result = optimize.minimize_scalar(lambda log_g: _linear_part(np.exp([log_g]), losses, errors)[2][0],
                                      bounds=(low, high), method="bounded", options={"xatol": 1e-10})
    gamma = float(np.exp(result.x))
    epsilon, k, _ = _linear_part(np.array([gamma]), losses, errors)
    if not (k[0] > 0 and 0 < epsilon[0] <= 1):
        raise ValueError("error must fall as loss falls for the law to fit: the best fit has "
                         f"k = {k[0]:.3g} and epsilon = {epsilon[0]:.3g}")
    return DownstreamLaw(epsilon=float(epsilon[0]), k=float(k[0]), gamma=gamma)


def rms_residual(fitted: DownstreamLaw, loss: ArrayLike, error: ArrayLike) -> float:
    """Root-mean-square difference between the error of runs and the error ``fitted`` predicts from their loss."""
    v.law(fitted, DownstreamLaw, "fitted")
    losses = v.positive(loss, "loss")
    errors = v.in_range(error, "error", 0.0, 1.0)
    v.same_length("loss", losses, "error", errors)
    return float(np.sqrt(np.mean((np.asarray(fitted.error(losses)) - errors) ** 2)))


def eq5_fitting_set(runs: TrainingRuns) -> np.ndarray:
    """Boolean mask of the runs Gadre et al. 2024 fit Eq. 5 to (Table 1): the 0.011B, 0.079B, 0.154B, 0.411B
    and 1.4B models at M = 20 tokens per parameter (multiplier 1) and the 0.011B model at M = 320 (multiplier 16).
    """
    if not isinstance(runs, TrainingRuns):
        raise TypeError(f"runs must be TrainingRuns (from load_gadre_2024), got {type(runs).__name__}")
    at_20 = (runs.multiplier == 1.0) & (runs.n_params < 2e9)
    smallest_at_320 = (runs.multiplier == 16.0) & (runs.n_params < 2e7)
    return at_20 | smallest_at_320


def chance_error(tasks: Sequence[str] = GADRE_2024_SUBSET) -> float:
    """Average top-1 error of random guessing over ``tasks`` (default: the paper's 17), 1 - mean chance accuracy."""
    baselines = task_baselines()
    if isinstance(tasks, str) or len(tasks) == 0:
        raise TypeError("tasks must be a non-empty sequence of task names, not a single string")
    unknown = [t for t in tasks if t not in baselines]
    if unknown:
        raise ValueError(f"tasks contains unknown task names: {unknown}")
    return float(1.0 - np.mean([baselines[t][2] for t in tasks]))


#: Gadre et al. 2024, Sec. 3.4: a task enters the average if some 0.154B model beats chance by 10 points.
SELECTION_SIZE: float = 153_677_376.0
SELECTION_MARGIN: float = 0.10


def tasks_above_chance(n_params: float = SELECTION_SIZE, margin: float = SELECTION_MARGIN) -> tuple[str, ...]:
    """The tasks on which at least one run with ``n_params`` parameters (any dataset, any token count) scores at
    least ``margin`` (0 to 1) above random guessing. With the defaults this is the rule by which Gadre et al. 2024
    (Sec. 3.4) chose their 17 tasks."""
    size = float(v.positive(n_params, "n_params"))
    gap = float(v.in_range(margin, "margin", 0.0, 1.0))
    sizes = load_gadre_2024().n_params
    chosen = sizes == size
    if not chosen.any():
        raise ValueError(f"n_params must be the size of one of the trained models, {sorted(set(sizes.tolist()))}; "
                         f"got {size:g}")
    return tuple(task for task, (_, _, chance) in task_baselines().items()
                 if (downstream_accuracy(task)[chosen] - chance).max() >= gap)



def fit_comparison_table(runs: TrainingRuns) -> str:
    """A Markdown table, per training dataset: Table 6's printed law, our refit on the paper's fitting set
    (:func:`eq5_fitting_set`) and our fit on all runs of that dataset, each with its constants and its RMS
    residual on all runs of the dataset."""
    if not isinstance(runs, TrainingRuns):
        raise TypeError(f"runs must be TrainingRuns (from load_gadre_2024), got {type(runs).__name__}")
    names = {"c4_original": "C4", "rpj": "RedPajama", "rw_original": "RefinedWeb"}
    rows = ["| Dataset | Law | Runs fitted | $\\epsilon$ | $k$ | $\\gamma$ | RMS residual, all runs |",
            "|:---|:---|---:|---:|---:|---:|---:|"]
    for dataset in DATASETS:
        own = runs.where(dataset=dataset)
        paper_set = eq5_fitting_set(own)
        laws = (("Table 6, printed", "6", GADRE_2024_TABLE_6[dataset]),
                ("refit, paper's runs", str(int(paper_set.sum())),
                 fit_downstream(own.loss[paper_set], own.downstream_error[paper_set])),
                ("fit, all runs", str(len(own)), fit_downstream(own.loss, own.downstream_error)))
        for label, count, law in laws:
            rows.append(f"| {names[dataset]} | {label} | {count} | {law.epsilon:.3f} | {law.k:.2f} | "
                        f"{law.gamma:.3f} | {rms_residual(law, own.loss, own.downstream_error):.4f} |")
    return "\n".join(rows)
