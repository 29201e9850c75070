"""Explorer of repeated sampling, and the test-time-compute chapter's figures.

The explorer draws, for a mixture of easy and hard problems (a Beta distribution of per-problem success
probabilities of a given mean), what k samples per problem buy: coverage (a perfect verifier), best-of-k with
an imperfect verifier, majority voting, and one answer from a model k times larger at the same FLOPs.
"""

from __future__ import annotations

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
from ..plotting import HOUSE_STYLE, PALETTE, label_axes, new_axes, readout_box
from ..test_time import (
    DEFAULT_SKILL,
    BetaDifficulty,
    CoverageLaw,
    SkillModel,
    best_of_n_accuracy,
    estimator_moments,
    simulate_majority_vote,
)
from .core import Control, ReadoutDescription, log_control, make_explorer

#: The sample budgets the explorer spans, and the single-sample accuracies (Beta means) it offers.
SAMPLES_RANGE: tuple[float, float] = (1.0, 1000.0)
MEAN_CHOICES: tuple[float, ...] = (0.05, 0.1, 0.2, 0.5)
#: The explorer's verifier: it accepts 90% of correct samples and 5% of wrong ones (an assumption).
VERIFIER_RATES: tuple[float, float] = (0.9, 0.05)
#: Problems drawn per difficulty mix, and the seed (the figures are reproducible).
EXPLORER_PROBLEMS = 2000
EXPLORER_SEED = 4


def _whole_tick(value: float, _position: int) -> str:
    """A tick label as a whole number with thousands separators (1,000)."""
    return f"{value:,.0f}"


def _accuracy_curves(mean: float, concentration: float, skill: SkillModel, grid: np.ndarray
                     ) -> dict[str, np.ndarray]:
    """Coverage (exact), best-of-k with the verifier, majority vote (simulated) and one answer of a model k times
    larger, each in percent, at the sample budgets ``grid``, for Beta-distributed problems of mean ``mean``."""
    difficulty = BetaDifficulty.from_mean(mean, concentration)
    p = difficulty.sample(EXPLORER_PROBLEMS, seed=EXPLORER_SEED)
    t, f = VERIFIER_RATES
    return {
        "coverage": 100 * np.asarray(difficulty.coverage(grid)),
        "verifier": 100 * np.asarray(best_of_n_accuracy(p[:, None], grid[None, :], true_positive_rate=t,
                                                        false_positive_rate=f)).mean(axis=0),
        "majority": 100 * simulate_majority_vote(p, np.rint(grid).astype(int), seed=EXPLORER_SEED),
        "larger": 100 * np.asarray(skill.shift(p[:, None], grid[None, :])).mean(axis=0),
    }


@dataclass
class SamplingPlot(ReadoutDescription):
    """Handle on the repeated-sampling figure; :meth:`update` sets the difficulty mix and the sample budget."""

    TITLE = "Accuracy against samples per problem."

    fig: Figure
    ax: Axes
    lines: dict[str, Line2D]
    dots: dict[str, Line2D]
    budget_line: Line2D
    readout: Text
    concentration: float
    skill: SkillModel
    grid: np.ndarray
    #: The curves of every mean of :data:`MEAN_CHOICES`, computed when the plot is built (see :func:`plot_sampling`).
    curves: dict[float, dict[str, np.ndarray]]

    @property
    def dynamic_artists(self) -> tuple[Artist, ...]:
        return (*self.lines.values(), *self.dots.values(), self.budget_line, self.readout)

    def update(self, mean: float, samples: float) -> None:
        """Problems whose single-sample accuracy averages ``mean``; a budget of ``samples`` samples per problem."""
        if mean not in self.curves:
            raise ValueError(f"mean must be one of {MEAN_CHOICES}, got {mean!r}")
        k = float(v.in_range(samples, "samples", *SAMPLES_RANGE))
        curves = self.curves[mean]
        for name, line in self.lines.items():
            line.set_data(self.grid, curves[name])
        at_k = {name: float(np.interp(np.log(k), np.log(self.grid), curve)) for name, curve in curves.items()}
        for name, dot in self.dots.items():
            dot.set_data([k], [at_k[name]])
        self.budget_line.set_xdata([k, k])
        plural = "" if round(k) == 1 else "s"
        self.readout.set_text(
            f"one sample     {curves['coverage'][0]:5.1f}%\n"
            f"{k:,.0f} sample{plural} per problem:\n"
            f" coverage      {at_k['coverage']:5.1f}%\n"
            f" verifier      {at_k['verifier']:5.1f}%\n"
            f" majority vote {at_k['majority']:5.1f}%\n"
            f"{k:,.0f}x larger model, one answer:\n"
            f"               {at_k['larger']:5.1f}%"
        )


_STYLES = {  # label, colour, line style
    "coverage": ("coverage (a perfect verifier)", PALETTE["blue"], "-"),
    "verifier": ("best-of-k, verifier 90% / 5%", PALETTE["green"], "-"),
    "majority": ("majority vote", PALETTE["orange"], "-"),
    "larger": ("one answer, model k times larger", PALETTE["red"], "--"),
}


def plot_sampling(mean: float = 0.2, samples: float = 100.0, ax: Axes | None = None, *,
                  concentration: float = 1.0, skill: SkillModel = DEFAULT_SKILL) -> SamplingPlot:
    """Accuracy (percent) against the samples drawn per problem, for problems whose success probabilities follow
    a Beta distribution of mean ``mean`` and alpha + beta = ``concentration``: coverage (exact), best-of-k with a
    verifier accepting 90% of correct and 5% of wrong samples, majority vote (simulated, seeded), and one answer
    from a model k times larger (same FLOPs at equal answer length; :class:`~lectures_lib.test_time.SkillModel`).
    ``mean`` is one of :data:`MEAN_CHOICES`: the curves of all of them are computed here, so that
    :meth:`SamplingPlot.update` only moves artists.
    """
    if mean not in MEAN_CHOICES:
        raise ValueError(f"mean must be one of {MEAN_CHOICES}, got {mean!r}")
    c = float(v.positive(concentration, "concentration"))
    skill = v.law(skill, SkillModel, "skill")
    grid = np.unique(np.rint(np.logspace(0, 3, 22)))
    curves = {m: _accuracy_curves(m, c, skill, grid) for m in MEAN_CHOICES}
    if ax is None:
        fig, ax = new_axes((6.6, 5.0))
    else:
        fig = ax.figure
    lines, dots = {}, {}
    for name, (label, colour, style) in _STYLES.items():
        (lines[name],) = ax.plot([], [], style, color=colour, label=label)
        (dots[name],) = ax.plot([], [], "o", color=colour, markeredgecolor="black", markersize=7)
    budget_line = ax.axvline(1, color=PALETTE["grey"], linewidth=1, linestyle=":")
    ax.set_xscale("log")
    ax.set_xlim(*SAMPLES_RANGE)
    ax.set_ylim(0, 100)
    label_axes(ax, "samples per problem k", "problems solved (%)")
    ax.xaxis.set_major_formatter(mpl.ticker.FuncFormatter(_whole_tick))
    readout = readout_box(ax, "upper left", fontsize=9)
    fig.legend(loc="outside lower center", ncol=2, fontsize=9)
    plot = SamplingPlot(fig, ax, lines, dots, budget_line, readout, c, skill, grid, curves)
    plot.update(mean, samples)
    return plot


def explore_sampling(mean: float = 0.2, samples: float = 100.0, *, concentration: float = 1.0):
    """A drop-down for the single-sample accuracy of the problem mix and a slider for the samples per problem."""
    if mean not in MEAN_CHOICES:
        raise ValueError(f"mean must be one of {MEAN_CHOICES}, got {mean!r}")
    mix = Control("mean", "single-sample accuracy (Beta mean)", "choice", MEAN_CHOICES,
                  tuple(f"{100 * m:g}%" for m in MEAN_CHOICES), mean)
    budget = log_control("samples", "samples per problem", *SAMPLES_RANGE, per_decade=2, start=samples,
                         label="{:,.0f}", step=0.25)
    return make_explorer(plot_sampling(mix.start, budget.start, concentration=concentration), [mix, budget])


# ------------------------------------------------------------------------------------------------
# The chapter's static figures
# ------------------------------------------------------------------------------------------------
def plot_estimator_bias(n: int = 20, k: int = 10, p: np.ndarray | None = None) -> Figure:
    """The true pass@k against the success probability p, with the mean of the unbiased estimator (and one
    standard deviation either side) and the mean of the plug-in 1 - (1 - c/n)**k, from ``n`` samples."""
    probs = np.linspace(0.005, 0.6, 60) if p is None else v.in_range(p, "p", 0.0, 1.0)
    moments = [estimator_moments(float(q), n, k) for q in probs]
    true, mean, sd, plug = (np.array([getattr(m, a) for m in moments]) * 100
                            for a in ("true", "unbiased_mean", "unbiased_sd", "plug_in_mean"))
    fig, ax = new_axes((6.4, 4.2))
    ax.fill_between(probs * 100, np.clip(mean - sd, 0, 100), np.clip(mean + sd, 0, 100), color=PALETTE["sky"],
                    alpha=0.35, label="unbiased estimate, ±1 standard deviation")
    ax.plot(probs * 100, true, color=PALETTE["black"], label=f"true pass@{k}")
    ax.plot(probs * 100, mean, color=PALETTE["blue"], linestyle="--", label="unbiased estimator, mean")
    ax.plot(probs * 100, plug, color=PALETTE["red"], linestyle=":", linewidth=2.5,
            label=f"plug-in 1 − (1 − c/n)^{k}, mean")
    label_axes(ax, "single-sample success probability p (%)", f"pass@{k} (%)")
    ax.set_ylim(0, 105)
    ax.legend(loc="lower right", fontsize=9)
    return fig


def plot_coverage_fit(samples: np.ndarray, simulated: np.ndarray, coverage_law: CoverageLaw,
                      difficulty: BetaDifficulty,
                      marks: dict[str, tuple[tuple[float, float], ...]] | None = None) -> Figure:
    """Left: coverage against samples per problem: the simulated points, the fitted law exp(a k**b) and the exact
    coverage of the Beta mixture. Right: -log coverage on log-log axes, where the law is a straight line.
    ``marks`` adds published (k, coverage) pairs by label to the left panel."""
    law = v.law(coverage_law, CoverageLaw, "coverage_law")
    k = v.positive(samples, "samples")
    c = v.in_range(simulated, "simulated", 0.0, 1.0, low_open=True)
    v.same_length("samples", k, "simulated", c)
    dense = np.logspace(0, np.log10(k.max()), 200)
    with mpl.rc_context(HOUSE_STYLE):
        fig, (left, right) = plt.subplots(1, 2, figsize=(9.6, 4.2), layout="constrained")
    for ax, transform in ((left, lambda x: 100 * x), (right, lambda x: -np.log(x))):
        ax.plot(k, transform(c), "o", color=PALETTE["grey"], markersize=5, label="simulated problems")
        ax.plot(dense, transform(np.asarray(difficulty.coverage(dense))), color=PALETTE["blue"],
                label="exact Beta mixture")
        ax.plot(dense, transform(np.asarray(law.coverage(dense))), "--", color=PALETTE["orange"],
                label=f"fitted law, a = {law.a:.2f}, b = {law.b:.3f}")
    for (label, points), (marker, colour) in zip((marks or {}).items(),
                                                 (("s", PALETTE["red"]), ("D", PALETTE["purple"])), strict=False):
        ks, cs = zip(*points, strict=True)
        left.plot(ks, 100 * np.array(cs), marker, color=colour, markeredgecolor="black", markersize=8,
                  linestyle="-", linewidth=1, label=label)
    left.set_xscale("log")
    label_axes(left, "samples per problem k", "coverage (%)")
    left.xaxis.set_major_formatter(mpl.ticker.FuncFormatter(_whole_tick))
    left.set_ylim(0, 100)
    left.legend(fontsize=9, loc="upper left")
    label_axes(right, "samples per problem k", "−log coverage", loglog=True)
    right.legend(fontsize=9, loc="lower left")
    return fig


def plot_verifier_plateaus(p: np.ndarray, samples: np.ndarray, false_positive_rates: tuple[float, ...],
                           true_positive_rate: float, majority: np.ndarray, coverage: np.ndarray) -> Figure:
    """Accuracy against samples per problem for best-of-N with verifiers of several false-positive rates (exact,
    averaged over the problems ``p``), with the coverage (a perfect verifier) and majority voting (simulated)."""
    k = v.positive(samples, "samples")
    fig, ax = new_axes((6.6, 4.6))
    ax.plot(k, 100 * np.asarray(coverage), color=PALETTE["blue"], label="coverage (a perfect verifier)")
    shades = (PALETTE["green"], PALETTE["purple"], PALETTE["red"], PALETTE["grey"])
    for rate, colour in zip(false_positive_rates, shades, strict=False):
        accuracy = np.asarray(best_of_n_accuracy(np.asarray(p)[:, None], k[None, :],
                                                 true_positive_rate=true_positive_rate,
                                                 false_positive_rate=rate)).mean(axis=0)
        ax.plot(k, 100 * accuracy, color=colour, label=f"verifier, false positives {100 * rate:g}%")
    ax.plot(k, 100 * np.asarray(majority), color=PALETTE["orange"], linestyle="--", label="majority vote")
    ax.set_xscale("log")
    label_axes(ax, "samples per problem N", "problems solved (%)")
    ax.xaxis.set_major_formatter(mpl.ticker.FuncFormatter(_whole_tick))
    ax.set_ylim(0, 100)
    ax.legend(fontsize=9, loc="upper left")
    return fig


def plot_compute_matched(difficulty: np.ndarray, curves: dict[str, np.ndarray]) -> Figure:
    """Single-answer accuracy (percent) against problem difficulty for each option in ``curves`` (label ->
    accuracy in [0, 1], one per difficulty): the small model with samples and the larger model at equal FLOPs."""
    d = v.finite(difficulty, "difficulty")
    if not isinstance(curves, dict) or not curves:
        raise TypeError("curves must be a non-empty dict of label -> accuracy array")
    fig, ax = new_axes((6.6, 5.2))
    styles = ((PALETTE["grey"], ":"), (PALETTE["blue"], "-"), (PALETTE["green"], "-"), (PALETTE["purple"], "-"),
              (PALETTE["orange"], "-."), (PALETTE["red"], "--"))
    for (label, accuracy), (colour, style) in zip(curves.items(), styles, strict=False):
        ax.plot(d, 100 * np.asarray(accuracy), style, color=colour, label=label)
    label_axes(ax, "problem difficulty (log-odds below the small model's skill)", "problems solved (%)")
    ax.set_ylim(0, 100)
    fig.legend(fontsize=9, loc="outside lower center", ncol=2)
    return fig
