"""Explorer of the floor pitfall: a straight-line fit to a law with an irreducible floor, extrapolated."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text

from .. import _validate as v
from ..data import GADRE_2024_SUBSET, TrainingRuns, downstream_accuracy, task_baselines
from ..downstream import GADRE_2024_TABLE_6, DownstreamLaw, chance_error, eq5_fitting_set
from ..plotting import MIN_FONT_SIZE, PALETTE, label_axes, new_axes, readout_box
from ..power_laws import PowerLaw, fit_power_law
from .core import Control, ReadoutDescription, log_control, make_explorer

#: The measured window (where the runs are) and the point predicted far beyond it.
WINDOW: tuple[float, float] = (1e6, 1e9)
FAR: float = 1e12
#: Every law starts at this value at the left end of the window, so the curves stay comparable.
START_VALUE: float = 4.0
EXPONENT_RANGE: tuple[float, float] = (0.05, 0.5)
FLOORS: tuple[float, ...] = (0.0, 0.5, 1.0, 1.69, 2.5)


def law_with_floor(exponent: float, floor: float) -> PowerLaw:
    """The law floor + A x**-exponent with A chosen so that it equals 4 at x = 1e6."""
    a = float(v.in_range(exponent, "exponent", *EXPONENT_RANGE))
    e = float(v.in_range(floor, "floor", 0.0, 0.9 * START_VALUE))
    return PowerLaw(coefficient=(START_VALUE - e) * WINDOW[0] ** a, exponent=a, floor=e)


@dataclass
class FloorPlot(ReadoutDescription):
    """Handle on the floor-pitfall figure; :meth:`update` sets the true exponent and floor."""

    TITLE = "Straight-line fit to a law with a floor."

    fig: Figure
    ax: Axes
    truth: Line2D
    runs: Line2D
    fit: Line2D
    floor_line: Line2D
    readout: Text

    @property
    def dynamic_artists(self) -> tuple[Artist, ...]:
        return (self.truth, self.runs, self.fit, self.floor_line, self.readout)

    def update(self, exponent: float, floor: float) -> None:
        """Draw the law with ``exponent`` and ``floor``, its runs in the window and the straight-line fit."""
        law = law_with_floor(exponent, floor)
        grid = np.logspace(6, 12, 200)
        x_runs = np.logspace(np.log10(WINDOW[0]), np.log10(WINDOW[1]), 10)
        straight = fit_power_law(x_runs, law(x_runs))
        self.truth.set_data(grid, law(grid))
        self.runs.set_data(x_runs, law(x_runs))
        self.fit.set_data(grid, straight(grid))
        self.floor_line.set_ydata([max(law.floor, 0.3)] * 2)
        self.floor_line.set_visible(law.floor > 0)
        truth_far, fit_far = float(law(FAR)), float(straight(FAR))
        self.readout.set_text(
            f"true exponent {law.exponent:.3f}, floor {law.floor:.2f}\n"
            f"straight-line exponent {straight.exponent:.3f}\n"
            f"at 1e12: true {truth_far:.3f}, fit {fit_far:.3f} ({100 * (fit_far / truth_far - 1):+.0f}%)"
        )


def plot_floor_fit(exponent: float = 0.34, floor: float = 1.69, ax: Axes | None = None) -> FloorPlot:
    """A law with a floor (grey), ten runs in the measured window 1e6 to 1e9 (dots; the window is shaded, edged
    and labelled), and the straight line fitted to them in log-log space, extrapolated to 1e12 (red)."""
    if ax is None:
        fig, ax = new_axes((6.4, 4.2))
    else:
        fig = ax.figure
    (truth,) = ax.plot([], [], color=PALETTE["grey"], linewidth=2, label="true law")
    (runs,) = ax.plot([], [], "o", color=PALETTE["blue"], label="runs in the measured window")
    (fit,) = ax.plot([], [], "--", color=PALETTE["red"], linewidth=2, label="straight-line fit, extrapolated")
    floor_line = ax.axhline(1.0, color=PALETTE["grey"], linestyle=":", linewidth=1)
    # The measured window: a light shade for the eye, plus its two edges and a label, which survive the
    # website's 16-colour frames (they merge a light shade with the white background).
    ax.axvspan(*WINDOW, color=PALETTE["sky"], alpha=0.15, linewidth=0)
    for edge in WINDOW:
        ax.axvline(edge, color=PALETTE["sky"], linewidth=1.5)
    ax.text(np.sqrt(WINDOW[0] * WINDOW[1]), 0.95, "measured window", transform=ax.get_xaxis_transform(),
            ha="center", va="top", fontsize=MIN_FONT_SIZE, color=PALETTE["blue"])
    readout = readout_box(ax, "upper right")
    readout.get_bbox_patch().set_alpha(1.0)  # the window's edge passes behind it
    label_axes(ax, "resource x (for example parameters)", "loss (nats/token)", loglog=True)
    ax.set_xlim(10**5.7, FAR)  # a margin left of the window, so that its left edge shows
    ax.set_ylim(0.3, 8.0)  # headroom above the start value 4 for the window's label
    ax.legend(loc="lower left")
    plot = FloorPlot(fig, ax, truth, runs, fit, floor_line, readout)
    plot.update(exponent, floor)
    return plot


def explore_floor_fit(exponent: float = 0.34, floor: float = 1.69):
    """Sliders for the true exponent and the floor; the straight-line fit and its error at 1e12 follow."""
    slope = log_control("exponent", "true exponent", *EXPONENT_RANGE, per_decade=6, start=exponent, label="{:.3f}",
                        step=0.05)
    if floor not in FLOORS:
        raise ValueError(f"floor must be one of {FLOORS}, got {floor!r}")
    floors = Control("floor", "floor", "choice", FLOORS, tuple(f"{f:g}" for f in FLOORS), floor)
    return make_explorer(plot_floor_fit(slope.start, floor), [slope, floors])


# --- From loss to skills (chapter 0): static figures of Gadre et al. 2024's released runs -------------------

#: How the figures name the three training datasets and mark their runs.
_DATASET_STYLE: dict[str, tuple[str, str, str]] = {
    "c4_original": ("C4", "blue", "o"),
    "rpj": ("RedPajama", "orange", "s"),
    "rw_original": ("RefinedWeb", "green", "^"),
}
#: Readable names of a few downstream tasks (others are shown by their file name).
TASK_NAMES: dict[str, str] = {
    "lambada_openai": "LAMBADA", "squad": "SQuAD", "jeopardy": "Jeopardy", "mmlu": "MMLU (5-shot)",
    "hellaswag": "HellaSwag (10-shot)", "arc_challenge": "ARC-Challenge", "arc_easy": "ARC-Easy",
}


def _loss_axis(ax: Axes, loss: np.ndarray) -> None:
    """Loss on a linear x axis that falls to the right (better models on the right)."""
    ax.set_xlim(float(loss.max()) + 0.15, float(loss.min()) - 0.15)


def plot_downstream_error(runs: TrainingRuns, fitted: DownstreamLaw, ax: Axes | None = None) -> Figure:
    """Average top-1 error over Gadre et al. 2024's 17 tasks against C4-eval loss for every run (one colour and
    marker per training dataset; rings mark the runs the paper fitted Eq. 5 to), the law ``fitted`` (black), the
    three printed Table 6 laws (dashed) and the random-guess error of the 17 tasks (dotted)."""
    if not isinstance(runs, TrainingRuns):
        raise TypeError(f"runs must be TrainingRuns, got {type(runs).__name__}")
    v.law(fitted, DownstreamLaw, "fitted")
    fig, ax = new_axes((6.6, 4.4)) if ax is None else (ax.figure, ax)
    for dataset, (label, colour, marker) in _DATASET_STYLE.items():
        mask = runs.dataset == dataset
        ax.plot(runs.loss[mask], runs.downstream_error[mask], marker, color=PALETTE[colour], markersize=5,
                alpha=0.8, label=f"{label} runs")
    ring = eq5_fitting_set(runs)
    ax.plot(runs.loss[ring], runs.downstream_error[ring], "o", markersize=10, markerfacecolor="none",
            markeredgecolor=PALETTE["black"], markeredgewidth=1, label="runs the paper fitted Eq. 5 to")
    grid = np.linspace(float(runs.loss.min()) - 0.1, float(runs.loss.max()) + 0.1, 200)
    for number, (dataset, printed) in enumerate(GADRE_2024_TABLE_6.items()):
        ax.plot(grid, printed.error(grid), "--", color=PALETTE[_DATASET_STYLE[dataset][1]], linewidth=1.2,
                label="printed Table 6 laws, one per dataset" if number == 0 else None)
    ax.plot(grid, fitted.error(grid), color=PALETTE["black"], linewidth=1.8,
            label=f"our fit to all {len(runs)} runs")
    chance = chance_error()
    ax.axhline(chance, color=PALETTE["grey"], linestyle=":", linewidth=1.5)
    ax.text(0.98, chance + 0.004, f"random guessing: {chance:.3f}", transform=ax.get_yaxis_transform(),
            ha="right", va="bottom", fontsize=MIN_FONT_SIZE, color=PALETTE["grey"])
    label_axes(ax, "C4-eval loss (nats/token), falling to the right",
               "average top-1 error, 17 tasks (0 to 1)")
    _loss_axis(ax, runs.loss)
    ax.set_ylim(0.42, 0.86)
    ax.legend(loc="lower left")
    return fig


def plot_task_accuracy(runs: TrainingRuns, tasks: Sequence[str]) -> Figure:
    """One panel per task (two to four): top-1 accuracy of every run against its C4-eval loss, one colour per
    training dataset, with the task's random-guess accuracy as a dashed line. Titles say whether the task is one
    of Gadre et al. 2024's 17."""
    if not isinstance(runs, TrainingRuns):
        raise TypeError(f"runs must be TrainingRuns, got {type(runs).__name__}")
    if isinstance(tasks, str) or not 2 <= len(tasks) <= 4:
        raise ValueError(f"tasks must be a sequence of two to four task names, got {tasks!r}")
    baselines = task_baselines()
    fig, axes = plt.subplots(2, 2, figsize=(7.2, 5.6), layout="constrained", sharex=True, squeeze=False)
    panels = axes.ravel()
    for ax, task in zip(panels, tasks, strict=False):
        accuracy = downstream_accuracy(task)
        for dataset, (label, colour, marker) in _DATASET_STYLE.items():
            mask = runs.dataset == dataset
            ax.plot(runs.loss[mask], accuracy[mask], marker, color=PALETTE[colour], markersize=4, alpha=0.8,
                    label=label)
        chance = baselines[task][2]
        ax.axhline(chance, color=PALETTE["grey"], linestyle="--", linewidth=1.5)
        # below the line when guessing scores 0 (no run can be below it), above it otherwise
        below = chance < 0.05
        ax.text(0.03, chance - 0.015 if below else chance + 0.035, f"random guess {chance:.2f}",
                transform=ax.get_yaxis_transform(), va="top" if below else "bottom", fontsize=MIN_FONT_SIZE,
                color=PALETTE["grey"])
        member = "one of the 17" if task in GADRE_2024_SUBSET else "not in the 17"
        ax.set_title(f"{TASK_NAMES.get(task, task)} ({member})", fontsize=10)
        ax.set_ylim(-0.1, max(0.75, float(accuracy.max()) + 0.05))
        _loss_axis(ax, runs.loss)
    for ax in panels[len(tasks):]:
        ax.set_visible(False)
    for ax in axes[:, 0]:
        ax.set_ylabel("top-1 accuracy (0 to 1)")
    for ax in axes[-1, :]:
        ax.set_xlabel("C4-eval loss (nats/token)")
    panels[0].legend(loc="upper left", bbox_to_anchor=(0.0, 0.92))
    return fig
