"""Figures of chapter 1 (Kaplan et al. 2020) and the explorer of their compute-efficient frontier.

Each ``plot_*`` function draws one figure of the chapter, so a notebook cell that shows it is one line.
Every figure marks where the paper's measurements end (shaded: beyond the largest run), since all of
Kaplan's laws are fits over that range and the paper itself says they must break down further out.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text
from matplotlib.ticker import FixedLocator, FuncFormatter, NullFormatter, NullLocator

from .. import _validate as v
from .. import kaplan
from ..compute import PF_DAY_FLOPS, flops_to_pf_days
from ..models import get_model
from ..plotting import PALETTE, format_count, label_axes, new_axes, readout_box
from .core import ReadoutDescription, log_control, make_explorer

#: Compute range of the Kaplan frontier explorer, in PF-days.
KAPLAN_EXPLORER_RANGE: tuple[float, float] = (1e-3, 1e6)
#: Font size of legends, readouts and annotations (the book's minimum is 9 pt).
SMALL_FONT: float = 9.0
#: Loss ticks for log-scaled loss axes: the range of these laws spans less than a decade, so the
#: default decade ticks would leave one label; these are plain numbers instead.
LOSS_TICKS: tuple[float, ...] = (1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 7.0)
#: Shading of the region beyond the largest run: a pale yellow that the explorer's 16-colour frames keep apart
#: from white (a light grey falls into the same palette colour as white and vanishes).
_BEYOND = {"color": PALETTE["yellow"], "alpha": 0.4, "linewidth": 0}
#: A white legend box, so the legend's shading swatch stays visible on top of the shaded region.
_FRAMED = {"frameon": True, "facecolor": "white", "framealpha": 1.0, "edgecolor": PALETTE["grey"]}


def _plain(value: float, _position: object = None) -> str:
    return f"{value:g}"


def _loss_axis(ax: Axes, ticks: tuple[float, ...] = LOSS_TICKS) -> None:
    """Label a log-scaled loss axis with plain numbers at ``ticks`` and no minor labels."""
    ax.yaxis.set_major_locator(FixedLocator(list(ticks)))
    ax.yaxis.set_major_formatter(FuncFormatter(_plain))
    ax.yaxis.set_minor_locator(NullLocator())
    ax.yaxis.set_minor_formatter(NullFormatter())


def _decade_axis(ax: Axes, axis: str = "x") -> None:
    """Only decade labels (10^k) on a log axis, never labelled minor ticks."""
    target = ax.xaxis if axis == "x" else ax.yaxis
    target.set_minor_formatter(NullFormatter())


def _shade_beyond(ax: Axes, start: float, label: str | None = None) -> None:
    """Shade from ``start`` to the right edge of ``ax`` (set the x limits first)."""
    ax.axvspan(start, ax.get_xlim()[1], **_BEYOND, label=label)


# -- static figures ------------------------------------------------------------------------------------------

def plot_single_laws() -> Figure:
    """Kaplan's three single-variable laws (Eq. 1.1-1.3) in three log-log panels, with the region beyond the
    largest model, data set and run shaded."""
    fig, axes = new_axes((9.6, 3.4))
    fig.clear()
    axes = fig.subplots(1, 3, sharey=True)
    panels = (
        (np.logspace(5, 12, 100), kaplan.loss_vs_params, PALETTE["blue"], kaplan.KAPLAN_2020_LARGEST_MODEL_PARAMS,
         "non-embedding parameters $N$", "$L(N)$"),
        (np.logspace(7, 13, 100), kaplan.loss_vs_data, PALETTE["orange"], kaplan.WEBTEXT2_TOKENS,
         "training tokens $D$", "$L(D)$"),
        (np.logspace(-8, 4, 100), kaplan.loss_vs_compute, PALETTE["green"], kaplan.KAPLAN_2020_LARGEST_RUN_PF_DAYS,
         r"compute $C_\mathrm{min}$ (PF-days)", r"$L(C_\mathrm{min})$"),
    )
    for ax, (x, law, colour, largest, xlabel, title) in zip(axes, panels, strict=True):
        ax.plot(x, law(x), color=colour)
        label_axes(ax, xlabel, "", title, loglog=True)
        ax.set_xlim(x[0], x[-1])
        _shade_beyond(ax, largest)
        _loss_axis(ax)
        _decade_axis(ax)
        ax.xaxis.set_major_locator(FixedLocator([10.0**k for k in range(int(np.log10(x[0])),
                                                                           int(np.log10(x[-1])) + 1, 2)]))
    axes[0].set_ylabel("test loss (nats/token)")
    axes[0].text(0.97, 0.97, "shaded: beyond\nthe paper's runs", transform=axes[0].transAxes, ha="right", va="top",
                 fontsize=SMALL_FONT, color=PALETTE["black"])
    return fig


def plot_joint_law(sizes: tuple[float, ...] = (1e7, 1e8, 1e9, 1e10)) -> Figure:
    """The joint law L(N, D) (Table 2 fit) against tokens for a few model sizes: each curve levels off at
    the converged loss of its size (dotted), and a dot marks Eq. 4.4's 5e3 N**0.74 tokens."""
    fig, ax = new_axes((6.4, 4.0))
    tokens = np.logspace(7, 13, 200)
    colours = (PALETTE["sky"], PALETTE["blue"], PALETTE["orange"], PALETTE["red"], PALETTE["purple"])
    for size, colour in zip(sizes, colours, strict=False):
        enough = kaplan.tokens_to_avoid_overfitting(size)
        ax.plot(tokens, kaplan.loss(size, tokens), color=colour, label=f"N = {format_count(size)}")
        ax.axhline(kaplan.KAPLAN_2020_JOINT.converged_loss(size), color=colour, linestyle=":", linewidth=1)
        ax.plot([enough], [kaplan.loss(size, enough)], "o", color=colour)
    label_axes(ax, "training tokens $D$", "test loss (nats/token)", loglog=True)
    ax.set_xlim(tokens[0], tokens[-1])
    _loss_axis(ax, (1.5, 2.0, 2.5, 3.0, 4.0, 5.0))
    _decade_axis(ax)
    ax.legend(fontsize=SMALL_FONT)
    return fig


def plot_critical_batch() -> Figure:
    """Two panels on the critical batch size: the trade-off between steps and tokens of Eq. 5.1, with the
    point B = B_crit at (2, 2), and B_crit(L) of Eq. 5.3 against the loss."""
    fig, _ = new_axes((9.6, 3.6))
    fig.clear()
    left, right = fig.subplots(1, 2)
    steps = np.logspace(np.log10(1.02), np.log10(50), 200)
    left.plot(steps, 1 + 1 / (steps - 1), color=PALETTE["blue"])
    left.plot([2], [2], "o", color=PALETTE["red"])
    left.annotate("$B = B_\\mathrm{crit}$: twice the\nminimum of each", (2, 2), xytext=(4, 4), fontsize=SMALL_FONT,
                  arrowprops={"arrowstyle": "->", "color": PALETTE["grey"]})
    left.text(1.1, 30, "large batch:\nfew steps,\nmany tokens", fontsize=SMALL_FONT, va="top")
    left.text(45, 1.12, "small batch:\nmany steps,\nfew tokens", fontsize=SMALL_FONT, ha="right", va="bottom")
    label_axes(left, r"steps / $S_\mathrm{min}$", r"tokens / $E_\mathrm{min}$", "same loss, any batch (Eq. 5.1)",
               loglog=True)
    for axis in (left.xaxis, left.yaxis):
        axis.set_major_locator(FixedLocator([1, 2, 5, 10, 20, 50]))
        axis.set_major_formatter(FuncFormatter(_plain))
        axis.set_minor_formatter(NullFormatter())
    left.set_xlim(1, 50)
    left.set_ylim(1, 50)
    loss = np.linspace(1.5, 6.0, 200)
    right.plot(loss, kaplan.critical_batch_size(loss), color=PALETTE["orange"])
    label_axes(right, "test loss $L$ (nats/token)", r"$B_\mathrm{crit}$ (tokens)", "critical batch (Eq. 5.3)")
    right.set_yscale("log")
    right.set_xscale("log")
    right.xaxis.set_major_locator(FixedLocator([1.5, 2, 3, 4, 5, 6]))
    right.xaxis.set_major_formatter(FuncFormatter(_plain))
    right.xaxis.set_minor_formatter(NullFormatter())
    right.invert_xaxis()
    return fig


def plot_breakdown(pf_days: float | None = None) -> Figure:
    """L(C_min) (Eq. 1.3) against L(D) at the frontier's own data (Eq. 1.2 at Table 6's D_opt): they cross
    near the paper's C* ~ 1e4 PF-days; shaded, the budgets beyond the largest run; dotted, ``pf_days``."""
    fig, ax = new_axes((6.4, 4.0))
    low, high = KAPLAN_EXPLORER_RANGE
    grid = np.logspace(np.log10(low), np.log10(high), 200)
    ax.plot(grid, kaplan.loss_vs_compute(grid), color=PALETTE["green"], label=r"$L(C_\mathrm{min})$, Eq. 1.3")
    ax.plot(grid, kaplan.frontier_data_loss(grid), color=PALETTE["orange"],
            label=r"$L(D)$ at the frontier's data $D_\mathrm{opt}$")
    ax.set_xlim(low, high)
    _shade_beyond(ax, kaplan.KAPLAN_2020_LARGEST_RUN_PF_DAYS, "beyond the largest run")
    c_star, l_star = kaplan.breakdown_point()
    ax.plot([c_star], [l_star], "o", color=PALETTE["red"], markersize=8)
    ax.annotate(f"laws cross: {c_star:.2g} PF-days,\n{l_star:.2f} nats (paper: ~1e4, ~1.7)", (c_star, l_star),
                xytext=(2e-3, 1.45), fontsize=SMALL_FONT, arrowprops={"arrowstyle": "->", "color": PALETTE["grey"]})
    if pf_days is not None:
        ax.axvline(pf_days, ymax=0.55, color=PALETTE["black"], linestyle=":", linewidth=1.2)
        ax.text(pf_days * 0.8, 1.25, "GPT-3", rotation=90, ha="right", va="bottom", fontsize=SMALL_FONT)
    label_axes(ax, r"training compute $C_\mathrm{min}$ (PF-days)", "test loss (nats/token)", loglog=True)
    _loss_axis(ax, (1.2, 1.5, 2.0, 2.5, 3.0, 3.5))
    ax.set_ylim(1.2, 3.6)
    _decade_axis(ax)
    ax.legend(loc="upper right", fontsize=SMALL_FONT, **_FRAMED)
    return fig


# -- the explorer ---------------------------------------------------------------------------------------------

def range_note(pf_days: float) -> str:
    """One line on how far ``pf_days`` lies from the range Kaplan et al. fitted (largest run about 14 PF-days)
    and from the breakdown C* ~ 1e4 PF-days of their Eq. 6.8."""
    c = float(v.positive(pf_days, "pf_days"))
    largest = kaplan.KAPLAN_2020_LARGEST_RUN_PF_DAYS
    if c <= largest:
        return "inside the fitted range"
    decades = np.log10(c / largest)
    if c < kaplan.KAPLAN_2020_BREAKDOWN_PF_DAYS:
        return f"WARNING: {decades:.1f} decades beyond the largest run"
    return f"WARNING: {decades:.1f} decades out, past C* ~ 1e4"


@dataclass
class KaplanFrontierPlot(ReadoutDescription):
    """Handle on the Kaplan frontier figure; :meth:`update` moves the chosen budget."""

    TITLE = "Kaplan et al. compute-efficient frontier."

    fig: Figure
    ax: Axes
    budget_line: Line2D
    params_point: Line2D
    tokens_point: Line2D
    readout: Text
    pf_days: float

    @property
    def dynamic_artists(self) -> tuple[Artist, ...]:
        """The artists that change when the budget moves."""
        return (self.budget_line, self.params_point, self.tokens_point, self.readout)

    def update(self, pf_days: float) -> None:
        """Move the marked budget to ``pf_days`` PF-days and refresh the readout."""
        c = float(v.in_range(pf_days, "pf_days", *KAPLAN_EXPLORER_RANGE))
        n_opt = kaplan.compute_optimal_params(c)
        d_opt = kaplan.compute_optimal_tokens(c)
        loss = kaplan.loss_vs_compute(c)
        self.budget_line.set_xdata([c, c])
        self.params_point.set_data([c], [n_opt])
        self.tokens_point.set_data([c], [d_opt])
        below = " (below L* ~ 1.7)" if loss < kaplan.KAPLAN_2020_BREAKDOWN_LOSS else ""
        self.readout.set_text(
            f"budget {c:.3g} PF-days = {c * PF_DAY_FLOPS:.2e} FLOPs\n"
            f"model  {format_count(n_opt)} parameters\n"
            f"data   {format_count(d_opt)} tokens\n"
            f"ratio  {d_opt / n_opt:.3g} tokens per parameter\n"
            f"loss   {loss:.3f} nats/token{below}\n"
            f"{range_note(c)}"
        )
        self.pf_days = c


def plot_kaplan_frontier(pf_days: float = 3.65e3, ax: Axes | None = None) -> KaplanFrontierPlot:
    """Kaplan et al. 2020 compute-efficient frontier (Table 6) with one budget marked.

    Draws N_opt = 1.3e9 C^0.73 and D_opt = 2e10 C^0.27 against compute in PF-days on log-log
    axes, GPT-3 (175B parameters, 300B tokens) for comparison, the budgets beyond the paper's largest
    run (shaded) and its breakdown point C* ~ 1e4 PF-days (dotted), and a readout for ``pf_days``.
    """
    if ax is None:
        fig, ax = new_axes((6.4, 4.4))
    else:
        fig = ax.figure
    low, high = KAPLAN_EXPLORER_RANGE
    grid = np.logspace(np.log10(low), np.log10(high), 200)
    ax.plot(grid, kaplan.compute_optimal_params(grid), color=PALETTE["blue"], label="model size $N_{opt}$")
    ax.plot(grid, kaplan.compute_optimal_tokens(grid), color=PALETTE["orange"], label="data $D_{opt}$ (tokens)")
    gpt3 = get_model("GPT-3")
    gpt3_pf_days = flops_to_pf_days(gpt3.training_flops)
    ax.plot([gpt3_pf_days], [gpt3.n_params], "*", color=PALETTE["blue"], markersize=12, markeredgecolor="black",
            label="GPT-3 as trained")
    ax.plot([gpt3_pf_days], [gpt3.n_tokens], "*", color=PALETTE["orange"], markersize=12, markeredgecolor="black")
    ax.set_xlim(low, high)
    ax.set_ylim(1e7, 1e15)
    _shade_beyond(ax, kaplan.KAPLAN_2020_LARGEST_RUN_PF_DAYS, "beyond the largest run")
    ax.axvline(kaplan.KAPLAN_2020_BREAKDOWN_PF_DAYS, color=PALETTE["red"], linestyle=":", linewidth=1.5)
    ax.text(kaplan.KAPLAN_2020_BREAKDOWN_PF_DAYS * 1.4, 7e14, "breakdown\nC* ~ 1e4\nPF-days", color=PALETTE["red"],
            fontsize=SMALL_FONT, va="top")
    # the budget line stops above the legend, so it never crosses the legend's text
    budget_line = ax.axvline(pf_days, ymin=0.34, color=PALETTE["grey"], linestyle="--", linewidth=1)
    # open circles, so that GPT-3's stars stay visible when a budget point falls on them
    (params_point,) = ax.plot([], [], "o", color=PALETTE["blue"], markersize=11, markerfacecolor="none",
                              markeredgewidth=2.5, label="frontier at the chosen budget")
    (tokens_point,) = ax.plot([], [], "o", color=PALETTE["orange"], markersize=11, markerfacecolor="none",
                              markeredgewidth=2.5)
    readout = readout_box(ax, "upper left", fontsize=SMALL_FONT)
    label_axes(ax, r"training compute $C_\mathrm{min}$ (PF-days)", "parameters or tokens", loglog=True)
    ax.xaxis.set_major_locator(FixedLocator([10.0**k for k in range(-3, 7)]))
    _decade_axis(ax)
    _decade_axis(ax, "y")
    ax.legend(loc="lower right", fontsize=SMALL_FONT, **_FRAMED)
    handle = KaplanFrontierPlot(fig, ax, budget_line, params_point, tokens_point, readout, float(pf_days))
    handle.update(pf_days)
    return handle


def explore_kaplan_frontier(pf_days: float = 3.65e3):
    """A budget slider (PF-days, log scale) showing Kaplan's compute-efficient allocation (live or website frames)."""
    budget = log_control("pf_days", "budget (PF-days)", *KAPLAN_EXPLORER_RANGE, per_decade=2, start=pf_days,
                         label="{:.3g} PF-days")
    return make_explorer(plot_kaplan_frontier(budget.start), [budget])
