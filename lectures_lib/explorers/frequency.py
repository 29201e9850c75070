"""Explorer and figures of chapter 7: Zipf-distributed facts, a learner of limited capacity, emergence, data limits."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text

from .. import _validate as v
from .. import frequency as fq
from .. import repetition as rp
from ..data import TrainingRuns, downstream_accuracy
from ..models import PublishedModel
from ..overtraining import OvertrainingLaw
from ..plotting import (
    HOUSE_STYLE,
    MIN_FONT_SIZE,
    PALETTE,
    format_count,
    label_axes,
    new_axes,
    readable_log_ticks,
    readout_box,
)
from .core import Control, ReadoutDescription, log_control, make_explorer
from .power_laws import TASK_NAMES

#: The explorer's Zipf exponents (a drop-down) and its range of capacities (facts the model can hold).
ALPHAS: tuple[float, ...] = (0.5, 1.0, 2.0)
CAPACITY_RANGE: tuple[float, float] = (1e2, 1e5)
#: The explorer's data axis (training samples) and the population it draws facts from.
SAMPLES_RANGE: tuple[float, float] = (1e1, 1e7)
EXPLORER_FACTS = 300_000
#: Frequency classes of the accuracy panel: expected occurrences of a fact in the training data.
CLASS_EDGES = np.logspace(-2, 6, 17)
#: Dataset names of Gadre et al. 2024's released runs, as the figures print them.
DATASET_NAMES: dict[str, str] = {"c4_original": "C4", "rpj": "RedPajama", "rw_original": "RefinedWeb"}


def _figure(width: float, height: float) -> tuple[Figure, np.ndarray]:
    """A figure of two axes side by side in the house style."""
    with mpl.rc_context(HOUSE_STYLE):
        fig, axes = plt.subplots(1, 2, figsize=(width, height), layout="constrained")
    return fig, axes


def _two_axes(ax: Sequence[Axes] | None, width: float, height: float) -> tuple[Figure, Axes, Axes]:
    if ax is None:
        fig, (left, right) = _figure(width, height)
        return fig, left, right
    if len(ax) != 2 or not all(isinstance(a, Axes) for a in ax):
        raise TypeError("ax must be None or a pair of matplotlib Axes")
    return ax[0].figure, ax[0], ax[1]


# ------------------------------------------------------------------------------------------------
# The explorer
# ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _ZipfCurves:
    """What the Zipf explorer draws for one alpha that does not depend on the capacity."""

    theta: np.ndarray  # the explorer's facts, most frequent first
    unlimited: np.ndarray  # expected error at the plot's samples, any number of facts held
    unlimited_accuracy: tuple[np.ndarray, np.ndarray]  # accuracy by frequency class after the most data
    classes: np.ndarray  # each fact's frequency class after the most data (-1 or len(CLASS_EDGES) - 1: none)
    known_mass: np.ndarray  # theta times the chance the fact was seen
    class_mass: np.ndarray  # the mass of each class

    @classmethod
    def compute(cls, alpha: float, samples: np.ndarray) -> _ZipfCurves:
        theta = fq.zipf_probabilities(EXPLORER_FACTS, alpha)
        n_max = float(samples[-1])
        classes = np.searchsorted(CLASS_EDGES, n_max * theta, side="right") - 1
        classes[classes >= CLASS_EDGES.size - 1] = -1
        known = -np.expm1(n_max * np.log1p(-np.minimum(theta, 1.0 - 1e-16)))
        mass = np.bincount(classes[classes >= 0], weights=theta[classes >= 0], minlength=CLASS_EDGES.size - 1)
        return cls(theta, np.asarray(fq.expected_error(theta, samples)),
                   fq.accuracy_by_frequency(theta, n_max, CLASS_EDGES), classes, theta * known, mass)

    def limited_accuracy(self, held: int) -> np.ndarray:
        """:func:`~lectures_lib.frequency.accuracy_by_frequency` with ``capacity=held``, from the sums above."""
        classes = self.classes[:held]
        inside = classes >= 0
        right = np.bincount(classes[inside], weights=self.known_mass[:held][inside], minlength=CLASS_EDGES.size - 1)
        filled = self.class_mass > 0
        return right[filled] / self.class_mass[filled]


@dataclass
class ZipfPlot(ReadoutDescription):
    """Handle on the Zipf explorer: :meth:`update` sets the Zipf exponent and the capacity."""

    TITLE = "Error against data, and accuracy by frequency class."

    fig: Figure
    left: Axes
    right: Axes
    unlimited: Line2D
    limited: Line2D
    unlimited_accuracy: Line2D
    limited_accuracy: Line2D
    threshold: Line2D
    readout: Text
    samples: np.ndarray
    #: The curves of every alpha of :data:`ALPHAS` that do not depend on the capacity (see :func:`plot_zipf`).
    curves: dict[float, _ZipfCurves]

    @property
    def dynamic_artists(self) -> tuple[Artist, ...]:
        return (self.unlimited, self.limited, self.unlimited_accuracy, self.limited_accuracy, self.threshold,
                self.readout)

    def update(self, alpha: float, capacity: float) -> None:
        """Zipf exponent ``alpha`` (one of :data:`ALPHAS`) and ``capacity`` facts (in :data:`CAPACITY_RANGE`)."""
        if alpha not in ALPHAS:
            raise ValueError(f"alpha must be one of {ALPHAS}, got {alpha!r}")
        held = int(round(float(v.in_range(capacity, "capacity", *CAPACITY_RANGE))))
        curves = self.curves[alpha]
        n_max = float(self.samples[-1])
        self.unlimited.set_data(self.samples, curves.unlimited)
        # the learner holding only the first ``held`` facts: the same sum as capacity=held, over those facts
        self.limited.set_data(self.samples, fq.expected_error(curves.theta[:held], self.samples))
        self.unlimited_accuracy.set_data(*curves.unlimited_accuracy)
        self.limited_accuracy.set_data(curves.unlimited_accuracy[0], curves.limited_accuracy(held))
        threshold = n_max * curves.theta[held - 1]
        self.threshold.set_xdata([threshold, threshold])
        self.readout.set_text(
            f"Zipf alpha {alpha:g}: slope {fq.data_exponent(alpha):.3f}\n"
            f"capacity {format_count(held)} facts\n"
            f"floor {fq.capacity_error(held, alpha):.2g} error\n"
            f"learned if seen > {threshold:,.0f} times"
        )


def plot_zipf(alpha: float = 1.0, capacity: float = 1e3, ax: Sequence[Axes] | None = None) -> ZipfPlot:
    """Left: expected error of the memorising learner against training samples for alpha-Zipf facts, with
    unlimited capacity (dashed) and holding only ``capacity`` facts (solid), beside uniform facts (grey).
    Right: accuracy by frequency class after the most data, with the same two learners. ``ax``: two Axes."""
    fig, left, right = _two_axes(ax, 7.6, 3.7)
    samples = np.logspace(np.log10(SAMPLES_RANGE[0]), np.log10(SAMPLES_RANGE[1]), 31)
    uniform = fq.expected_error(fq.uniform_probabilities(10_000), samples)
    left.plot(samples, np.maximum(uniform, 1e-6), color=PALETTE["grey"], linestyle=":", linewidth=2,
              label="10,000 uniform facts")
    (unlimited,) = left.plot([], [], "--", color=PALETTE["blue"], label="Zipf, any number of facts")
    (limited,) = left.plot([], [], color=PALETTE["orange"], label="Zipf, limited capacity")
    label_axes(left, "training samples n", "error on a new query", loglog=True)
    left.set_xlim(*SAMPLES_RANGE)
    left.set_ylim(1e-4, 1.5)
    left.legend(loc="lower left", fontsize=MIN_FONT_SIZE)
    (unlimited_accuracy,) = right.plot([], [], "--", color=PALETTE["blue"], marker="o", markersize=4,
                                       label="any number")
    (limited_accuracy,) = right.plot([], [], color=PALETTE["orange"], marker="o", markersize=4,
                                     label="limited capacity")
    threshold = right.axvline(1.0, color=PALETTE["red"], linewidth=1.2, linestyle="-.")
    right.set_xscale("log")
    label_axes(right, f"occurrences in {format_count(SAMPLES_RANGE[1])} samples", "accuracy (0 to 1)")
    readable_log_ticks(right, "x")
    right.set_xlim(CLASS_EDGES[0], CLASS_EDGES[-1])
    right.set_ylim(-0.03, 1.7)
    right.set_yticks([0.0, 0.25, 0.5, 0.75, 1.0])
    right.legend(loc="lower right", fontsize=MIN_FONT_SIZE)
    readout = readout_box(right, "upper right", fontsize=MIN_FONT_SIZE)
    curves = {a: _ZipfCurves.compute(a, samples) for a in ALPHAS}
    plot = ZipfPlot(fig, left, right, unlimited, limited, unlimited_accuracy, limited_accuracy, threshold, readout,
                    samples, curves)
    plot.update(alpha, capacity)
    return plot


def explore_zipf(alpha: float = 1.0, capacity: float = 1e3):
    """A drop-down for the Zipf exponent and a slider for the model's capacity."""
    if alpha not in ALPHAS:
        raise ValueError(f"alpha must be one of {ALPHAS}, got {alpha!r}")
    exponent = Control("alpha", "Zipf exponent alpha", "choice", ALPHAS, tuple(f"{a:g}" for a in ALPHAS), alpha)
    facts = log_control("capacity", "capacity (facts)", *CAPACITY_RANGE, per_decade=2, start=capacity,
                        label=lambda k: f"{format_count(round(k))} facts", step=0.25)
    return make_explorer(plot_zipf(alpha, facts.start), [exponent, facts])


# ------------------------------------------------------------------------------------------------
# The chapter's static figures
# ------------------------------------------------------------------------------------------------
def plot_learning_curves(curves: Mapping[str, tuple[np.ndarray, np.ndarray, float | None]],
                         classes: Mapping[str, np.ndarray], class_samples: np.ndarray) -> Figure:
    """Left: simulated learning curves, ``curves`` mapping a label to ``(n_samples, error, exponent)`` (the
    exponent, if given, draws the law n**-exponent through the curve's middle point, dashed).
    Right: the error within classes of facts against data, ``classes`` mapping a label to errors at
    ``class_samples``."""
    fig, (left, right) = _figure(7.6, 3.7)
    colours = [PALETTE[c] for c in ("blue", "orange", "green", "purple")]
    for (label, (n, error, exponent)), colour in zip(curves.items(), colours + [PALETTE["grey"]] * 4,
                                                     strict=False):
        n, error = np.asarray(n, float), np.asarray(error, float)
        shown = error > 0
        style = ":" if exponent is None else "-"
        left.plot(n[shown], error[shown], style, color=PALETTE["grey"] if exponent is None else colour,
                  marker="." if exponent is not None else None, label=label)
        if exponent is not None:
            middle = len(n) // 2
            left.plot(n, error[middle] * (n / n[middle]) ** -exponent, "--", color="black", linewidth=1)
    label_axes(left, "training samples n", "error on a new query", loglog=True)
    left.set_ylim(1e-6, 2.0)
    left.legend(loc="lower left", fontsize=MIN_FONT_SIZE)
    for (label, error), colour in zip(classes.items(), colours + [PALETTE["red"], PALETTE["sky"]], strict=False):
        right.plot(class_samples, error, color=colour, label=label)
    right.set_xscale("log")
    label_axes(right, "training samples n", "share of the class still wrong")
    readable_log_ticks(right, "x")
    right.set_ylim(-0.02, 1.6)
    right.set_yticks([0.0, 0.25, 0.5, 0.75, 1.0])
    right.legend(loc="upper right", fontsize=MIN_FONT_SIZE, title="facts of rank", title_fontsize=MIN_FONT_SIZE,
                 ncols=3, columnspacing=0.8, handlelength=1.2)
    return fig


def plot_capacity_accuracy(probabilities: np.ndarray, n_samples: float, capacities: Sequence[int]) -> Figure:
    """Accuracy by frequency class after ``n_samples`` samples for models holding each of ``capacities`` facts
    (the most frequent ones), with a marker where each capacity's threshold falls."""
    fig, ax = new_axes((6.4, 3.8))
    colours = [PALETTE[c] for c in ("red", "orange", "green", "blue", "purple")]
    for capacity, colour in zip(capacities, colours, strict=False):
        lower, accuracy = fq.accuracy_by_frequency(probabilities, n_samples, CLASS_EDGES, capacity=int(capacity))
        ax.plot(lower, accuracy, color=colour, marker="o", markersize=4, label=f"{format_count(capacity)} facts")
    lower, accuracy = fq.accuracy_by_frequency(probabilities, n_samples, CLASS_EDGES)
    ax.plot(lower, accuracy, "--", color=PALETTE["grey"], label="no limit")
    ax.set_xscale("log")
    label_axes(ax, f"occurrences of the fact in {format_count(n_samples)} training samples",
               "accuracy on its queries (0 to 1)")
    readable_log_ticks(ax, "x")
    ax.set_ylim(-0.03, 1.05)
    ax.legend(loc="upper left", fontsize=MIN_FONT_SIZE, title="model holds", title_fontsize=MIN_FONT_SIZE)
    return fig


def plot_smooth_and_jumpy(capacities: np.ndarray, alpha: float, quanta: Sequence[int], runs: TrainingRuns,
                          task: str) -> Figure:
    """Left: in the quanta model, the loss on three single quanta (steps) and the average (smooth) against the
    number of quanta a model holds. Right: Gadre et al. 2024's runs: accuracy on ``task`` and the average
    accuracy over the 17 tasks, against C4-eval loss (falling to the right)."""
    fig, (left, right) = _figure(7.6, 3.7)
    capacities = np.asarray(capacities, float)
    average = np.asarray(fq.capacity_error(capacities, alpha))
    left.plot(capacities, average / average[0], color="black", linewidth=2.5, label="average")
    for rank, colour in zip(quanta, (PALETTE["blue"], PALETTE["orange"], PALETTE["green"]), strict=False):
        left.plot(capacities, np.where(capacities >= rank, 0.0, 1.0), color=colour, linewidth=1.6,
                  label=f"quantum {rank:,}")
    left.set_xscale("log")
    label_axes(left, "quanta the model holds (its size)", "error, relative to the smallest model")
    readable_log_ticks(left, "x")
    left.set_ylim(-0.05, 1.5)
    left.set_yticks([0.0, 0.25, 0.5, 0.75, 1.0])
    left.legend(loc="upper right", fontsize=MIN_FONT_SIZE, ncols=2, columnspacing=0.8, handlelength=1.2)
    accuracy = np.asarray(downstream_accuracy(task))
    order = np.argsort(runs.loss)
    right.plot(runs.loss[order], 1 - runs.downstream_error[order], "o", color="black", markersize=3.5,
               label="average of the 17 tasks")
    right.plot(runs.loss[order], accuracy[order], "s", color=PALETTE["orange"], markersize=3.5,
               label=TASK_NAMES.get(task, task))
    right.set_xlim(float(runs.loss.max()) + 0.15, float(runs.loss.min()) - 0.15)
    label_axes(right, "C4-eval loss (nats/token)", "top-1 accuracy (0 to 1)")
    right.set_ylim(-0.03, 0.75)
    right.legend(loc="upper left", fontsize=MIN_FONT_SIZE)
    return fig


def plot_repetition(epochs: np.ndarray, flops: np.ndarray, unique_tokens: float) -> Figure:
    """Left: effective tokens per unique token against epochs (Muennighoff et al. 2023, Eq. 5), beside fresh data
    and the ceiling 1 + R*_D. Right: compute-optimal parameters against compute with unlimited data and with
    ``unique_tokens`` unique tokens, and the epochs the constrained optimum makes."""
    fig, (left, right) = _figure(7.6, 3.7)
    epochs = np.asarray(epochs, float)
    left.plot(epochs, epochs, ":", color=PALETTE["grey"], label="as many fresh tokens")
    left.plot(epochs, rp.effective_tokens(1.0, epochs), color=PALETTE["blue"], label="repeated tokens (Eq. 5)")
    ceiling = rp.effective_tokens_ceiling(1.0)
    left.axhline(ceiling, color=PALETTE["red"], linestyle="--", linewidth=1.2)
    left.text(epochs[0] * 1.1, ceiling * 1.12, f"ceiling {ceiling:.1f}", color=PALETTE["red"],
              fontsize=MIN_FONT_SIZE)
    for marked in (4, 16):
        worth = float(rp.effective_tokens(1.0, marked))
        left.plot([marked], [worth], "o", color=PALETTE["blue"])
        left.annotate(f"{marked} epochs: {worth:.1f}", (marked, worth), textcoords="offset points",
                      xytext=(6, -14), fontsize=MIN_FONT_SIZE)
    label_axes(left, "epochs over the unique data", "effective tokens per unique token", loglog=True)
    left.set_ylim(0.8, 200)
    left.legend(loc="upper left", fontsize=MIN_FONT_SIZE)
    flops = np.asarray(flops, float)
    free_n, _ = rp.MUENNIGHOFF_2023_C4.compute_optimal(flops)
    n, d, _ = rp.data_constrained_optimum(flops, unique_tokens)
    right.plot(flops, free_n, "--", color=PALETTE["grey"], label="unlimited unique data")
    right.plot(flops, n, color=PALETTE["orange"], label=f"{format_count(unique_tokens)} unique tokens")
    label_axes(right, "training compute C (FLOPs)", "compute-optimal parameters N", loglog=True)
    twin = right.twinx()
    twin.plot(flops, np.asarray(d) / unique_tokens, "-.", color=PALETTE["purple"], linewidth=1.5,
              label="epochs (right axis)")
    twin.set_yscale("log")
    twin.set_ylabel("epochs at the optimum")
    twin.grid(False)
    readable_log_ticks(twin, "y")
    lines = right.get_lines() + twin.get_lines()
    right.legend(lines, [line.get_label() for line in lines], loc="upper left", fontsize=MIN_FONT_SIZE)
    return fig


#: Where :func:`plot_data_stock` writes a model's name, in points from its dot, and the alignment.
_LABEL_PLACES = {"above": ((0, 7), "center", "bottom"), "below": ((0, -8), "center", "top"),
                 "left": ((-8, 0), "right", "center"), "right": ((8, 0), "left", "center")}


def plot_data_stock(models: Sequence[PublishedModel], stock_tokens: float, years: tuple[float, float],
                    sides: Sequence[str] | None = None) -> Figure:
    """Training tokens of published models by year (log scale), the reported stock of public human text
    (``stock_tokens``, dashed) and the years in which datasets are projected to reach it (shaded). ``sides``
    places each model's name ("above", "below", "left" or "right" of its dot; default: alternately above and
    below)."""
    places = list(sides) if sides is not None else ["above", "below"] * len(models)
    if len(places) < len(models) or any(p not in _LABEL_PLACES for p in places):
        raise ValueError(f"sides must give one of {sorted(_LABEL_PLACES)} for each of the {len(models)} models")
    fig, ax = new_axes((6.4, 3.8))
    ax.axvspan(*years, color=PALETTE["sky"], alpha=0.25, linewidth=0)
    ax.axhline(stock_tokens, color=PALETTE["red"], linestyle="--", linewidth=1.5)
    ax.text(2019.6, stock_tokens * 1.3, f"reported stock of public text, about {format_count(stock_tokens)} tokens",
            color=PALETTE["red"], fontsize=MIN_FONT_SIZE)
    ax.text(np.mean(years), 3e11, f"projected\n{years[0]:.0f}-{years[1]:.0f}", ha="center",
            fontsize=MIN_FONT_SIZE, color=PALETTE["blue"])
    for model, place in zip(models, places, strict=False):
        ax.plot([model.year], [model.n_tokens], "o", color=PALETTE["blue"])
        offset, ha, va = _LABEL_PLACES[place]
        ax.annotate(model.name, (model.year, model.n_tokens), textcoords="offset points", xytext=offset, ha=ha,
                    va=va, fontsize=MIN_FONT_SIZE)
    ax.set_yscale("log")
    label_axes(ax, "year", "training tokens")
    readable_log_ticks(ax, "y")
    ax.set_xlim(2019.5, 2033)
    ax.set_ylim(1e11, 3e15)
    return fig


def plot_composition(laws: Mapping[str, OvertrainingLaw], flops: np.ndarray, token_multiplier: float = 20.0
                     ) -> Figure:
    """Reducible loss against compute at ``token_multiplier`` tokens per parameter for each of Gadre et al.
    2024's laws (solid), and for each the line with RedPajama's slope through its first point (dotted): what
    "composition changes only the offset" would draw."""
    fig, ax = new_axes((6.4, 3.8))
    flops = np.asarray(flops, float)
    colours = {"c4_original": PALETTE["blue"], "rpj": PALETTE["orange"], "rw_original": PALETTE["green"]}
    reference = laws["rpj"].eta
    for name, law in laws.items():
        reducible = np.asarray(law.reducible(flops, token_multiplier))
        colour = colours.get(name, PALETTE["grey"])
        ax.plot(flops, reducible, color=colour, label=f"{DATASET_NAMES.get(name, name)}, slope {law.eta:.3f}")
        ax.plot(flops, reducible[0] * (flops / flops[0]) ** -reference, ":", color=colour, linewidth=1.5)
    label_axes(ax, "training compute C (FLOPs)", "reducible loss L - E (nats/token)", loglog=True)
    ax.set_ylim(0.28, 2.5)
    ax.legend(loc="upper right", fontsize=MIN_FONT_SIZE, title="trained on (dotted: RedPajama's slope)",
              title_fontsize=MIN_FONT_SIZE)
    return fig
