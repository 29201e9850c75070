"""Explorer of compute-optimal training: IsoFLOP curves of a Chinchilla law and their minima."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text

from .. import _validate as v
from ..chinchilla import BESIROGLU_2024, PUBLISHED_LAWS, ChinchillaLaw
from ..compute import training_tokens
from ..plotting import PALETTE, format_count, label_axes, new_axes, readout_box
from .core import Control, ReadoutDescription, log_control, make_explorer

#: Budgets drawn as background IsoFLOP curves, in FLOPs.
BACKGROUND_BUDGETS: tuple[float, ...] = (1e19, 1e20, 1e21, 1e22, 1e23, 1e24, 1e25)
#: Budgets the figure can show (its frontier is drawn over this range), in FLOPs.
ISOFLOP_EXPLORER_RANGE: tuple[float, float] = (1e18, 1e26)
#: Range of the explorer's budget slider, in FLOPs (inside the figure's range, so a curve's minimum stays in view).
BUDGET_SLIDER_RANGE: tuple[float, float] = (1e19, 1e25)
_SIZES = np.logspace(7, 13, 240)


def _name(law: ChinchillaLaw) -> str:
    """The published name of ``law``, or "custom constants" for a law of the reader's own."""
    return next((name for name, published in PUBLISHED_LAWS.items() if published == law), "custom constants")


@dataclass
class IsoFlopPlot(ReadoutDescription):
    """Handle on the IsoFLOP figure; :meth:`update` changes the budget or the constants."""

    TITLE = "IsoFLOP curves."

    fig: Figure
    ax: Axes
    background: list[Line2D]
    background_minima: Line2D
    frontier: Line2D
    selected: Line2D
    selected_minimum: Line2D
    readout: Text

    @property
    def dynamic_artists(self) -> tuple[Artist, ...]:
        return (*self.background, self.frontier, self.background_minima, self.selected, self.selected_minimum,
                self.readout)

    def update(self, flops: float, *, law: ChinchillaLaw) -> None:
        """Show the IsoFLOP curve of ``flops`` FLOPs under ``law``."""
        c = float(v.in_range(flops, "flops", *ISOFLOP_EXPLORER_RANGE))
        v.law(law, ChinchillaLaw)
        minima_n, minima_loss = [], []
        for line, budget in zip(self.background, BACKGROUND_BUDGETS, strict=True):
            line.set_data(_SIZES, law.loss(_SIZES, training_tokens(budget, _SIZES)))
            n_opt, _ = law.compute_optimal(budget)
            minima_n.append(n_opt)
            minima_loss.append(law.optimal_loss(budget))
        self.background_minima.set_data(minima_n, minima_loss)
        budgets = np.logspace(18, 26, 60)
        n_path, _ = law.compute_optimal(budgets)
        self.frontier.set_data(n_path, law.optimal_loss(budgets))
        self.selected.set_data(_SIZES, law.loss(_SIZES, training_tokens(c, _SIZES)))
        n_opt, d_opt = law.compute_optimal(c)
        loss_opt = law.loss(n_opt, d_opt)
        self.selected_minimum.set_data([n_opt], [loss_opt])
        self.readout.set_text(
            f"{_name(law)}\n"
            f"budget {c:.2e} FLOPs\n"
            f"model  {format_count(n_opt)} parameters\n"
            f"data   {format_count(d_opt)} tokens\n"
            f"ratio  {d_opt / n_opt:.1f} tokens per parameter\n"
            f"loss   {loss_opt:.3f} nats/token"
        )


def plot_isoflop(flops: float = 5.76e23, ax: Axes | None = None, *, law: ChinchillaLaw = BESIROGLU_2024
                 ) -> IsoFlopPlot:
    """IsoFLOP curves (loss against model size at fixed compute) of a Chinchilla law (default: the replication's).

    Grey curves are the budgets 1e19 to 1e25 FLOPs with their minima; the dashed line joins the minima
    of all budgets (the compute-optimal frontier); the coloured curve and dot are the chosen budget.
    """
    if ax is None:
        fig, ax = new_axes((6.6, 4.4))
    else:
        fig = ax.figure
    background = [ax.plot([], [], color=PALETTE["grey"], linewidth=1, alpha=0.6)[0] for _ in BACKGROUND_BUDGETS]
    (background_minima,) = ax.plot([], [], "o", color=PALETTE["grey"], markersize=4)
    (frontier,) = ax.plot([], [], "--", color=PALETTE["black"], linewidth=1, label="compute-optimal frontier")
    (selected,) = ax.plot([], [], color=PALETTE["blue"], linewidth=2.5, label="chosen budget")
    (selected_minimum,) = ax.plot([], [], "o", color=PALETTE["orange"], markersize=9, markeredgecolor="black",
                                  label="its optimum")
    readout = readout_box(ax, "upper right", fontsize=7.5)
    label_axes(ax, "parameters N (log scale)", "predicted loss (nats/token)")
    ax.set_xscale("log")
    ax.set_xlim(_SIZES[0], _SIZES[-1])
    ax.set_ylim(1.6, 4.0)
    ax.legend(loc="lower left", fontsize=8)
    plot = IsoFlopPlot(fig, ax, background, background_minima, frontier, selected, selected_minimum, readout)
    plot.update(flops, law=law)
    return plot


def explore_isoflop(flops: float = 5.76e23, *, law: ChinchillaLaw = BESIROGLU_2024):
    """A budget slider (FLOPs, log scale) and a choice of published constants over the IsoFLOP curves.

    ``law`` is the constants the explorer opens with; it must be one of ``PUBLISHED_LAWS``.
    """
    v.law(law, ChinchillaLaw)
    if law not in PUBLISHED_LAWS.values():
        raise ValueError(f"law must be one of the published laws {list(PUBLISHED_LAWS)}, got {law!r}")
    budget = log_control("flops", "budget (FLOPs)", *BUDGET_SLIDER_RANGE, per_decade=1, start=flops,
                         label="{:.2e} FLOPs", step=0.25)
    choice = Control("law", "constants", "choice", tuple(PUBLISHED_LAWS.values()), tuple(PUBLISHED_LAWS), law)
    return make_explorer(plot_isoflop(budget.start, law=law), [choice, budget])
