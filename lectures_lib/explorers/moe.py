"""Explorer and figures of the Mixture-of-Experts chapter: routing, balancing, capacity, parameter counts."""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.container import BarContainer
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text

from .. import _validate as v
from ..moe import (
    DEEPSEEK_V3_GAMMA,
    KRAJEWSKI_2024_DENSE,
    KRAJEWSKI_2024_EXPANSION,
    KRAJEWSKI_2024_MOE,
    MoEConfig,
    RouterHistory,
    expansion_active_fraction,
    expert_capacity,
    simulate_router,
)
from ..plotting import HOUSE_STYLE, PALETTE, format_count, label_axes, new_axes, readable_log_ticks
from .core import Control, ReadoutDescription, make_explorer

#: The balancing settings of the explorer: label -> (method of :func:`~lectures_lib.moe.simulate_router`, alpha).
BALANCING_SETTINGS: dict[str, tuple[str, float]] = {
    "none": ("none", 0.01),
    "Switch loss, alpha = 0.001": ("aux_loss", 0.001),
    "Switch loss, alpha = 0.01": ("aux_loss", 0.01),
    "Switch loss, alpha = 0.1": ("aux_loss", 0.1),
    "DeepSeek-V3 bias, gamma = 0.001": ("bias", 0.01),
}
#: Capacity factors offered by the explorer (Switch's Table 1 uses 1.0 to 2.0).
CAPACITY_FACTORS: tuple[float, ...] = (1.0, 1.25, 1.5, 2.0, 3.0)
#: Steps over which the explorer's loads are averaged (the last ones of the run).
LAST_STEPS = 100
#: Steps over which the curves against the training step are averaged.
SMOOTHING = 20


def _plain_tick(value: float, _position: int) -> str:
    """A tick label in the shortest plain form (2.5, not 2.5e+00)."""
    return f"{value:g}"


def balancing_history(setting: str, seed: int = 0) -> RouterHistory:
    """The toy router of :func:`~lectures_lib.moe.simulate_router` (8 experts, top-2) under a balancing setting
    of :data:`BALANCING_SETTINGS`."""
    if setting not in BALANCING_SETTINGS:
        raise ValueError(f"balancing must be one of {list(BALANCING_SETTINGS)}, got {setting!r}")
    method, alpha = BALANCING_SETTINGS[setting]
    return simulate_router(balancing=method, alpha=alpha, gamma=DEEPSEEK_V3_GAMMA, seed=seed)


@dataclass
class RoutingPlot(ReadoutDescription):
    """Handle on the routing figure; :meth:`update` sets the balancing setting and the capacity factor."""

    TITLE = "Expert loads of a simulated router."

    fig: Figure
    bars_ax: Axes
    drop_ax: Axes
    kept_bars: BarContainer
    dropped_bars: BarContainer
    capacity_line: Line2D
    drop_curve: Line2D
    readout: Text
    #: The simulated run of every balancing setting, computed when the plot is built (see :func:`plot_routing`).
    histories: dict[str, RouterHistory]

    @property
    def dynamic_artists(self) -> tuple[Artist, ...]:
        return (*self.kept_bars.patches, *self.dropped_bars.patches, self.capacity_line, self.drop_curve,
                self.readout)

    def describe(self) -> str:
        history = next(iter(self.histories.values()))
        return (f"Expert loads of a simulated router ({history.n_experts} experts, top-{history.top_k}). "
                + " ".join(self.readout.get_text().split()))

    def history(self, balancing: str) -> RouterHistory:
        """The precomputed run under ``balancing`` (a key of :data:`BALANCING_SETTINGS`)."""
        if balancing not in self.histories:
            raise ValueError(f"balancing must be one of {list(self.histories)}, got {balancing!r}")
        return self.histories[balancing]

    def update(self, balancing: str, capacity_factor: float) -> None:
        """Show the run under ``balancing`` (a key of :data:`BALANCING_SETTINGS`) at ``capacity_factor``."""
        cf = float(v.in_range(capacity_factor, "capacity_factor", 0.1, 8.0))
        history = self.history(balancing)
        e, k = history.n_experts, history.top_k
        load = history.load[-LAST_STEPS:].mean(axis=0) * e  # multiples of the even share
        for bar, value in zip(self.kept_bars.patches, np.minimum(load, cf), strict=True):
            bar.set_height(value)
        for bar, base, value in zip(self.dropped_bars.patches, np.minimum(load, cf), np.maximum(load - cf, 0),
                                    strict=True):
            bar.set_y(base)
            bar.set_height(value)
        self.capacity_line.set_ydata([cf, cf])
        dropped = history.dropped(cf)
        smooth = np.convolve(dropped, np.ones(SMOOTHING) / SMOOTHING, mode="valid")
        self.drop_curve.set_data(np.arange(SMOOTHING, dropped.size + 1), 100 * smooth)
        slots = expert_capacity(history.tokens_per_step, e, cf, k)
        switch_loss = history.balancing_loss[-LAST_STEPS:].mean() / history.alpha
        busiest = history.load[-LAST_STEPS:].max(axis=1).mean() * e
        self.readout.set_text(
            f"balancing: {balancing} | Switch loss / alpha: {switch_loss:.2f} (1 = even)\n"
            f"capacity factor {cf:g}: {slots} slots per expert ({history.tokens_per_step} tokens x top-{k} "
            f"/ {e} x {cf:g})\n"
            f"dropped (last {LAST_STEPS} steps): {100 * dropped[-LAST_STEPS:].mean():.1f}% of assignments"
            f" | busiest expert {busiest:.2f}x even share\n"
            f"{k} of {e} experts per token ({k / e:.0%} of expert weights); "
            f"slots cost {cf:g}x the routed work")


def plot_routing(balancing: str = "none", capacity_factor: float = 1.25, ax: Axes | None = None) -> RoutingPlot:
    """Left: each expert's share of the assignments (last steps of the simulated run), in multiples of the
    even share, with the capacity as a dashed line and the dropped excess in red. Right: the share of
    assignments dropped at each training step (averaged over 20 steps). ``ax`` (optional) is used for the left
    panel; the right panel is then added beside it. The runs of all the balancing settings are simulated here,
    so that :meth:`RoutingPlot.update` only moves artists."""
    if balancing not in BALANCING_SETTINGS:
        raise ValueError(f"balancing must be one of {list(BALANCING_SETTINGS)}, got {balancing!r}")
    histories = {setting: balancing_history(setting) for setting in BALANCING_SETTINGS}
    n_experts = histories[balancing].n_experts
    with mpl.rc_context(HOUSE_STYLE):
        if ax is None:
            fig = plt.figure(figsize=(7.2, 4.4))
            bars_ax, drop_ax = fig.subplots(1, 2, gridspec_kw={"width_ratios": (1, 1.25)})
        else:
            fig, bars_ax = ax.figure, ax
            drop_ax = fig.add_subplot(1, 2, 2)
        fig.subplots_adjust(left=0.1, right=0.98, top=0.96, bottom=0.4, wspace=0.32)
    experts = np.arange(1, n_experts + 1)
    edges = (0.4, n_experts + 0.6)
    kept = bars_ax.bar(experts, np.zeros(n_experts), color=PALETTE["blue"], label="processed")
    dropped = bars_ax.bar(experts, np.zeros(n_experts), color=PALETTE["red"], hatch="//", label="dropped")
    (capacity_line,) = bars_ax.plot(edges, [1, 1], "--", color=PALETTE["black"], linewidth=1.5,
                                    label="capacity")
    bars_ax.axhline(1, color=PALETTE["grey"], linewidth=1, zorder=0)
    bars_ax.set_xlim(*edges)
    bars_ax.set_ylim(0, 4.4)
    bars_ax.set_xticks(experts)
    label_axes(bars_ax, "expert", "share of assignments\n(multiples of the even share)")
    fig.legend(handles=[kept, dropped, capacity_line], loc="lower left", bbox_to_anchor=(0.07, 0.21), ncol=3,
               fontsize=9)
    (drop_curve,) = drop_ax.plot([], [], color=PALETTE["red"])
    drop_ax.set_xlim(0, 1000)
    drop_ax.set_ylim(0, 75)
    label_axes(drop_ax, "training step", "assignments dropped (%)")
    readout = fig.text(0.02, 0.02, "", family="monospace", fontsize=9, va="bottom", ha="left", wrap=False)
    plot = RoutingPlot(fig, bars_ax, drop_ax, kept, dropped, capacity_line, drop_curve, readout, histories)
    plot.update(balancing, capacity_factor)
    return plot


def explore_routing(balancing: str = "none", capacity_factor: float = 1.25):
    """Controls for the balancing method (none, the Switch loss at three weights, DeepSeek-V3's bias) and the
    capacity factor."""
    if balancing not in BALANCING_SETTINGS:
        raise ValueError(f"balancing must be one of {list(BALANCING_SETTINGS)}, got {balancing!r}")
    if capacity_factor not in CAPACITY_FACTORS:
        raise ValueError(f"capacity_factor must be one of {CAPACITY_FACTORS}, got {capacity_factor!r}")
    methods = Control("balancing", "balancing", "choice", tuple(BALANCING_SETTINGS), tuple(BALANCING_SETTINGS),
                      balancing)
    factors = Control("capacity_factor", "capacity factor", "choice", CAPACITY_FACTORS,
                      tuple(f"{cf:g}" for cf in CAPACITY_FACTORS), capacity_factor)
    return make_explorer(plot_routing(balancing, capacity_factor), [methods, factors])


# ------------------------------------------------------------------------------------------------
# The chapter's static figures
# ------------------------------------------------------------------------------------------------
def plot_parameter_counts(configs: tuple[MoEConfig, ...], notes_claim: dict[str, float] | None = None) -> Figure:
    """Total and active parameters of each configuration, as horizontal bars on a log axis; ``notes_claim``
    maps a model's name to a claimed active count, drawn as a cross."""
    if not configs or not all(isinstance(c, MoEConfig) for c in configs):
        raise TypeError("configs must be a non-empty sequence of MoEConfig")
    fig, ax = new_axes((6.6, 3.9))
    rows = np.arange(len(configs))[::-1]
    totals = [c.total_params for c in configs]
    actives = [c.active_params for c in configs]
    ax.barh(rows + 0.18, totals, height=0.34, color=PALETTE["sky"], label="total (held in memory)")
    ax.barh(rows - 0.18, actives, height=0.34, color=PALETTE["blue"], label="active (used per token)")
    for row, total, active in zip(rows, totals, actives, strict=True):
        ax.text(total * 1.1, row + 0.18, format_count(total), va="center", fontsize=9)
        ax.text(active * 1.1, row - 0.18, f"{format_count(active)} ({active / total:.1%})", va="center",
                fontsize=9)
    for name, claim in (notes_claim or {}).items():
        row = rows[[c.name for c in configs].index(name)]
        ax.plot([claim], [row - 0.18], "X", color=PALETTE["red"], markersize=10, markeredgecolor="black",
                linestyle="none", label="active count in the lecture notes")
    ax.set_yticks(rows)
    ax.set_yticklabels([c.name for c in configs])
    ax.set_xscale("log")
    ax.set_xlim(5e8, 2e13)
    readable_log_ticks(ax, "x")
    ax.set_xlabel("parameters")
    ax.grid(axis="y", visible=False)
    fig.legend(loc="outside lower center", ncol=2, fontsize=9)
    return fig


def plot_router_training(histories: dict[str, RouterHistory], capacity_factor: float = 1.25) -> Figure:
    """Three panels against the training step, one line per run: the busiest expert's share (multiples of the
    even share), the assignments dropped at ``capacity_factor`` (%), and the Switch loss divided by its alpha
    (1 for even routing). Lines are smoothed over 20 steps."""
    if not isinstance(histories, dict) or not histories:
        raise TypeError("histories must be a non-empty dict of label -> RouterHistory")
    cf = float(v.positive(capacity_factor, "capacity_factor"))
    with mpl.rc_context(HOUSE_STYLE):
        fig, axes = plt.subplots(3, 1, figsize=(6.4, 7.4), sharex=True, layout="constrained")
    colours = (PALETTE["red"], PALETTE["orange"], PALETTE["blue"], PALETTE["green"], PALETTE["purple"])
    kernel = np.ones(SMOOTHING) / SMOOTHING

    def smooth(series: np.ndarray) -> np.ndarray:
        return np.convolve(series, kernel, mode="valid")

    for (label, history), colour in zip(histories.items(), colours, strict=False):
        steps = np.arange(SMOOTHING, history.counts.shape[0] + 1)
        axes[0].plot(steps, smooth(history.load.max(axis=1) * history.n_experts), color=colour, label=label)
        axes[1].plot(steps, smooth(100 * history.dropped(cf)), color=colour)
        axes[2].plot(steps, smooth(history.balancing_loss / history.alpha), color=colour)
    axes[0].axhline(cf, color=PALETTE["black"], linestyle="--", linewidth=1)
    axes[0].annotate(f"capacity factor {cf:g}", (1000, cf), xytext=(0, 4), textcoords="offset points", fontsize=9,
                     ha="right")
    label_axes(axes[0], "", "busiest expert\n(x even share)")
    label_axes(axes[1], "", f"dropped at capacity\nfactor {cf:g} (%)")
    label_axes(axes[2], "training step", "Switch loss / alpha")
    axes[0].set_ylim(0, 4.3)
    axes[2].set_ylim(0, 4.3)
    axes[1].legend(*axes[0].get_legend_handles_labels(), fontsize=9, loc="upper left")
    return fig


def plot_routed_scaling(flops: np.ndarray, granularities: tuple[float, ...] = (1.0, 8.0)) -> Figure:
    """Compute-optimal loss against training compute under Krajewski et al. 2024's laws: the dense fit and the
    MoE fit (expansion 64) at each granularity, with training compute 6 N_active D."""
    c = v.positive(flops, "flops")
    r = float(expansion_active_fraction(KRAJEWSKI_2024_EXPANSION))
    fig, ax = new_axes((6.2, 4.0))
    dense = KRAJEWSKI_2024_DENSE.as_chinchilla_law()
    ax.plot(c, dense.optimal_loss(c), color=PALETTE["black"], label="dense (Krajewski et al.'s dense fit)")
    for gran, colour in zip(granularities, (PALETTE["orange"], PALETTE["blue"], PALETTE["green"]), strict=False):
        n, d = KRAJEWSKI_2024_MOE.compute_optimal(c, r, gran)
        ax.plot(c, KRAJEWSKI_2024_MOE.loss(n, d, gran), color=colour,
                label=f"MoE, 64x expansion, granularity G = {gran:g}")
    label_axes(ax, "training compute 6 N_active D (FLOPs)", "compute-optimal loss (nats per token)", loglog=True)
    ax.yaxis.set_major_locator(mpl.ticker.FixedLocator([1.5, 2, 2.5, 3, 3.5]))
    ax.yaxis.set_major_formatter(mpl.ticker.FuncFormatter(_plain_tick))
    ax.yaxis.set_minor_formatter(mpl.ticker.NullFormatter())
    ax.legend(fontsize=9, loc="lower left")
    return fig
