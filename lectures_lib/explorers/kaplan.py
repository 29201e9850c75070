"""Explorer of Kaplan et al.'s compute-efficient frontier."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text

from .. import _validate as v
from .. import kaplan
from ..compute import PF_DAY_FLOPS, flops_to_pf_days
from ..models import get_model
from ..plotting import PALETTE, format_count, label_axes, new_axes, readout_box
from .core import ReadoutDescription, log_control, make_explorer

#: Compute range of the Kaplan frontier explorer, in PF-days.
KAPLAN_EXPLORER_RANGE: tuple[float, float] = (1e-3, 1e6)


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
        self.budget_line.set_xdata([c, c])
        self.params_point.set_data([c], [n_opt])
        self.tokens_point.set_data([c], [d_opt])
        self.readout.set_text(
            f"budget {c:.3g} PF-days = {c * PF_DAY_FLOPS:.2e} FLOPs\n"
            f"model  {format_count(n_opt)} parameters\n"
            f"data   {format_count(d_opt)} tokens\n"
            f"ratio  {d_opt / n_opt:.3g} tokens per parameter\n"
            f"loss   {kaplan.loss_vs_compute(c):.3f} nats/token (Eq. 1.3)"
        )
        self.pf_days = c


def plot_kaplan_frontier(pf_days: float = 3.65e3, ax: Axes | None = None) -> KaplanFrontierPlot:
    """Kaplan et al. 2020 compute-efficient frontier (Table 6) with one budget marked.

    Draws N_opt = 1.3e9 C^0.73 and D_opt = 2e10 C^0.27 against compute in PF-days on log-log
    axes, GPT-3 (175B parameters, 300B tokens) for comparison, and a readout for ``pf_days``.
    """
    if ax is None:
        fig, ax = new_axes((6.4, 4.2))
    else:
        fig = ax.figure
    low, high = KAPLAN_EXPLORER_RANGE
    grid = np.logspace(np.log10(low), np.log10(high), 200)
    ax.plot(grid, kaplan.compute_optimal_params(grid), color=PALETTE["blue"], label="model size $N_{opt}$ (parameters)")
    ax.plot(grid, kaplan.compute_optimal_tokens(grid), color=PALETTE["orange"], label="data $D_{opt}$ (tokens)")
    gpt3 = get_model("GPT-3")
    gpt3_pf_days = flops_to_pf_days(gpt3.training_flops)
    ax.plot([gpt3_pf_days], [gpt3.n_params], "*", color=PALETTE["blue"], markersize=12, markeredgecolor="black",
            label="GPT-3 as trained (175B, 300B tokens)")
    ax.plot([gpt3_pf_days], [gpt3.n_tokens], "*", color=PALETTE["orange"], markersize=12, markeredgecolor="black")
    budget_line = ax.axvline(pf_days, color=PALETTE["grey"], linestyle="--", linewidth=1)
    (params_point,) = ax.plot([], [], "o", color=PALETTE["blue"], markersize=8)
    (tokens_point,) = ax.plot([], [], "o", color=PALETTE["orange"], markersize=8)
    readout = readout_box(ax, "upper left")
    label_axes(ax, "training compute $C_{min}$ (PF-days)", "parameters or tokens", loglog=True)
    ax.set_xlim(low, high)
    ax.set_ylim(1e7, 1e14)
    ax.legend(loc="lower right", fontsize=8)
    handle = KaplanFrontierPlot(fig, ax, budget_line, params_point, tokens_point, readout, float(pf_days))
    handle.update(pf_days)
    return handle


def explore_kaplan_frontier(pf_days: float = 3.65e3):
    """A budget slider (PF-days, log scale) showing Kaplan's compute-efficient allocation (live or website frames)."""
    budget = log_control("pf_days", "budget (PF-days)", *KAPLAN_EXPLORER_RANGE, per_decade=2, start=pf_days,
                         label="{:.3g} PF-days")
    return make_explorer(plot_kaplan_frontier(budget.start), [budget])
