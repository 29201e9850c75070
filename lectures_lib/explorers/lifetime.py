"""Explorer of inference-aware scaling: the cheapest model to own for a target quality and a usage."""

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
from ..chinchilla import ChinchillaLaw
from ..lifetime import (
    SARDANA_2024,
    critical_size_fraction,
    equal_loss_models,
    lifetime_flops,
    lifetime_optimal,
    lifetime_savings,
    size_overhead,
)
from ..plotting import HOUSE_STYLE, PALETTE, format_count, label_axes, new_axes, readout_box
from .core import ReadoutDescription, log_control, make_explorer

#: Slider ranges: the quality (as the size of a Chinchilla-optimal model) and the lifetime inference tokens.
QUALITY_RANGE: tuple[float, float] = (1e9, 1e12)
INFERENCE_RANGE: tuple[float, float] = (1e9, 1e15)


@dataclass
class LifetimePlot(ReadoutDescription):
    """Handle on the lifetime-cost figure; :meth:`update` sets the quality and the usage."""

    TITLE = "Models of equal loss."

    fig: Figure
    ax: Axes
    iso_loss: Line2D
    path: Line2D
    chinchilla_point: Line2D
    lifetime_point: Line2D
    readout: Text
    law: ChinchillaLaw

    @property
    def dynamic_artists(self) -> tuple[Artist, ...]:
        return (self.iso_loss, self.path, self.chinchilla_point, self.lifetime_point, self.readout)

    def update(self, quality_params: float, inference_tokens: float) -> None:
        """Target: the loss of a compute-optimal model of ``quality_params``; usage: ``inference_tokens``."""
        n_ref = float(v.in_range(quality_params, "quality_params", *QUALITY_RANGE))
        d_inf = float(v.in_range(inference_tokens, "inference_tokens", *INFERENCE_RANGE))
        law = self.law
        d_ref = float(law.tokens_for_params(n_ref))
        target = float(law.loss(n_ref, d_ref))
        self.iso_loss.set_data(*equal_loss_models(target, np.linspace(0.02, 0.98, 300), law=law))
        usages = np.logspace(np.log10(INFERENCE_RANGE[0]), np.log10(INFERENCE_RANGE[1]), 60)
        self.path.set_data(*lifetime_optimal(target, usages, law=law))
        n_star, d_star = lifetime_optimal(target, d_inf, law=law)
        self.chinchilla_point.set_data([n_ref], [d_ref])
        self.lifetime_point.set_data([n_star], [d_star])
        cost_ref = lifetime_flops(n_ref, d_ref, d_inf)
        cost_star = lifetime_flops(n_star, d_star, d_inf)
        self.readout.set_text(
            f"target loss {target:.3f}\n"
            f"usage  {format_count(d_inf)} inference tokens\n"
            f"compute-optimal {format_count(n_ref):>5} on {format_count(d_ref):>5}\n"
            f"cheapest to own {format_count(n_star):>5} on {format_count(d_star):>5}\n"
            f"lifetime FLOPs saved {100 * (1 - cost_star / cost_ref):.1f}%"
        )


def plot_lifetime(quality_params: float = 70e9, inference_tokens: float = 1e13, ax: Axes | None = None, *,
                  law: ChinchillaLaw = SARDANA_2024) -> LifetimePlot:
    """Model size against training tokens at a fixed target loss under ``law`` (default: Sardana et al. 2024's).

    The grey curve holds every (N, D) reaching the target; the dashed line is where the lifetime
    optimum moves as usage grows; blue marks the law's compute-optimal model of ``quality_params``
    parameters (not the Chinchilla model, 70B on 1.4T tokens, unless the law puts the optimum there),
    orange the cheapest to own.
    """
    if ax is None:
        fig, ax = new_axes((6.6, 4.4))
    else:
        fig = ax.figure
    (iso_loss,) = ax.plot([], [], color=PALETTE["grey"], linewidth=2, label="same loss as the target")
    (path,) = ax.plot([], [], "--", color=PALETTE["red"], linewidth=2, label="lifetime optimum as usage grows")
    (chinchilla_point,) = ax.plot([], [], "o", color=PALETTE["blue"], markersize=9, markeredgecolor="black",
                                  label="the law's compute-optimal model")
    (lifetime_point,) = ax.plot([], [], "D", color=PALETTE["orange"], markersize=9, markeredgecolor="black",
                                label="cheapest over its life")
    readout = readout_box(ax, "upper right", fontsize=9)
    label_axes(ax, "parameters N", "training tokens D", loglog=True)
    ax.set_xlim(1e8, 1e13)
    ax.set_ylim(1e10, 1e17)
    ax.legend(loc="lower left", fontsize=9)
    plot = LifetimePlot(fig, ax, iso_loss, path, chinchilla_point, lifetime_point, readout, v.law(law, ChinchillaLaw))
    plot.update(quality_params, inference_tokens)
    return plot


def explore_lifetime(quality_params: float = 70e9, inference_tokens: float = 1e13, *,
                     law: ChinchillaLaw = SARDANA_2024):
    """Sliders for the target quality (as a compute-optimal model size) and the lifetime inference tokens."""
    quality = log_control("quality_params", "target: compute-optimal size", *QUALITY_RANGE, per_decade=4 / 3,
                          start=quality_params, label=lambda n: f"{format_count(n)} parameters", step=0.25)
    usage = log_control("inference_tokens", "inference tokens", *INFERENCE_RANGE, per_decade=1,
                        start=inference_tokens, label=lambda d: f"{format_count(d)} tokens", step=0.25)
    return make_explorer(plot_lifetime(quality.start, usage.start, law=law), [quality, usage])


# ------------------------------------------------------------------------------------------------
# The chapter's static figures (one function each, so that a notebook cell stays a few lines)
# ------------------------------------------------------------------------------------------------
def plot_lifetime_paths(laws: dict[str, ChinchillaLaw], quality_params: float = 70e9,
                        usages: np.ndarray | None = None, mark_usage: float = 1e13) -> Figure:
    """For the quality of each law's compute-optimal ``quality_params`` model: the cheapest model's size and
    tokens relative to that model (top) and the lifetime FLOPs it saves (bottom), against lifetime usage.
    ``laws`` maps a label to a law; ``mark_usage`` is marked on both panels."""
    if not isinstance(laws, dict) or not laws:
        raise TypeError("laws must be a non-empty dict of label -> ChinchillaLaw")
    n_ref = float(v.positive(quality_params, "quality_params"))
    usages = np.logspace(9, 15, 200) if usages is None else v.positive(usages, "usages")
    with mpl.rc_context(HOUSE_STYLE):
        fig, (left, right) = plt.subplots(2, 1, figsize=(6.4, 7.6), sharex=True, layout="constrained")
    colours = (PALETTE["blue"], PALETTE["orange"], PALETTE["green"])
    for (name, law), colour in zip(laws.items(), colours, strict=False):
        v.law(law, ChinchillaLaw)
        d_ref = float(law.tokens_for_params(n_ref))
        n_path, d_path = lifetime_optimal(law.loss(n_ref, d_ref), usages, law=law)
        left.plot(usages, n_path / n_ref, color=colour, label=f"parameters, {name}")
        left.plot(usages, d_path / d_ref, color=colour, linestyle="--", label=f"training tokens, {name}")
        saved = 100 * np.asarray(lifetime_savings(n_ref, usages, law=law))
        right.plot(usages, saved, color=colour, label=name)
        marked = 100 * float(lifetime_savings(n_ref, mark_usage, law=law))
        right.plot([mark_usage], [marked], "o", color=colour, markeredgecolor="black", markersize=7)
        right.annotate(f"{marked:.0f}%", (mark_usage, marked), xytext=(-8, 6), textcoords="offset points",
                       ha="right", fontsize=9, color=colour)
    for ax in (left, right):
        ax.axvline(mark_usage, color=PALETTE["grey"], linewidth=1, linestyle=":")
    left.axhline(1, color=PALETTE["grey"], linewidth=1)
    label_axes(left, "", "ratio to the law's compute-optimal model", loglog=True)
    left.yaxis.set_major_locator(mpl.ticker.FixedLocator([0.2, 0.5, 1, 2, 5, 10, 20, 50]))
    left.yaxis.set_major_formatter(mpl.ticker.FuncFormatter(lambda y, _: f"{y:g}"))
    left.yaxis.set_minor_formatter(mpl.ticker.NullFormatter())
    left.legend(fontsize=9)
    right.set_xscale("log")
    label_axes(right, "lifetime inference tokens", "lifetime FLOPs saved (%)")
    right.legend(fontsize=9, loc="upper left")
    return fig


def plot_size_overhead(laws: dict[str, ChinchillaLaw]) -> Figure:
    """Extra training compute (percent) to reach the compute-optimal loss with a smaller model, per law, with
    each law's critical size dotted and doubling the compute dashed."""
    if not isinstance(laws, dict) or not laws:
        raise TypeError("laws must be a non-empty dict of label -> ChinchillaLaw")
    k_grid = np.linspace(0.1, 1.0, 400)
    fig, ax = new_axes()
    for (name, law), colour in zip(laws.items(), (PALETTE["blue"], PALETTE["orange"], PALETTE["green"]),
                                   strict=False):
        ax.plot(k_grid, 100 * np.asarray(size_overhead(k_grid, law=law)), color=colour, label=name)
        ax.axvline(critical_size_fraction(law=law), color=colour, linestyle=":", linewidth=1.5)
    ax.set_ylim(0, 400)
    ax.axhline(100, color=PALETTE["grey"], linewidth=1, linestyle="--")
    label_axes(ax, "model size / compute-optimal size", "extra training compute (%)")
    ax.legend(fontsize=9)
    return fig


#: Where each label of :func:`plot_published_models` sits, in points from its marker (chosen by eye so that
#: no two labels collide).
_LABEL_OFFSETS: dict[str, tuple[float, float, str]] = {
    "GPT-3": (-8, -4, "right"), "Gopher": (8, -4, "left"), "Chinchilla": (10, -12, "left"),
    "LLaMA-7B": (0, -14, "center"), "LLaMA-13B": (6, -13, "left"), "LLaMA-33B": (-8, 0, "right"),
    "LLaMA-65B": (-14, -26, "right"), "Llama 2 7B": (-8, 0, "right"), "Llama 2 13B": (8, 4, "left"),
    "Llama 2 70B": (8, 2, "left"), "Llama 3 8B": (8, -4, "left"), "Llama 3 70B": (8, -4, "left"),
}


def plot_published_models(models, laws: dict[str, ChinchillaLaw]) -> Figure:
    """Published models on the (parameters, tokens) plane, each labelled, with each law's compute-optimal line.

    ``models`` is a sequence of :class:`~lectures_lib.models.PublishedModel`; ``laws`` maps a label to a law
    (first solid black, then dashed grey)."""
    if not isinstance(laws, dict) or not laws:
        raise TypeError("laws must be a non-empty dict of label -> ChinchillaLaw")
    fig, ax = new_axes((7.4, 5.0))
    sizes = np.logspace(9, 12, 50)
    for (name, law), style in zip(laws.items(), ((PALETTE["black"], "-"), (PALETTE["grey"], "--")), strict=False):
        ax.plot(sizes, law.tokens_for_params(sizes), color=style[0], linestyle=style[1], linewidth=1.5,
                label=f"compute-optimal, {name}", zorder=1)
    styles = {"GPT-3": ("s", PALETTE["red"], 8), "Gopher": ("v", PALETTE["purple"], 9),
              "Chinchilla": ("*", PALETTE["yellow"], 17), "LLaMA-1": ("o", PALETTE["blue"], 8),
              "LLaMA-2": ("^", PALETTE["orange"], 9), "Llama 3": ("D", PALETTE["green"], 8)}
    for family, (marker, colour, size) in styles.items():
        members = [m for m in models if m.family == family]
        if not members:
            continue
        ax.plot([m.n_params for m in members], [m.n_tokens for m in members], marker, color=colour,
                markersize=size, markeredgecolor="black", linestyle="none", label=family,
                zorder=4 if family == "Chinchilla" else 3)
        for m in members:
            dx, dy, ha = _LABEL_OFFSETS.get(m.name, (8, 0, "left"))
            far = np.hypot(dx, dy) > 20  # a label set well away from its marker gets a leader line
            ax.annotate(m.name, (m.n_params, m.n_tokens), xytext=(dx, dy), textcoords="offset points", ha=ha,
                        va="center", fontsize=9, zorder=5,
                        arrowprops={"arrowstyle": "-", "color": PALETTE["grey"], "linewidth": 0.8} if far else None)
    label_axes(ax, "parameters N", "training tokens D", loglog=True)
    ax.set_xlim(3e9, 6e11)
    ax.set_ylim(1.5e11, 1.5e14)
    for axis, ticks in ((ax.xaxis, (5e9, 1e10, 2e10, 5e10, 1e11, 2e11, 5e11)),
                        (ax.yaxis, (2e11, 5e11, 1e12, 2e12, 5e12, 1e13, 2e13, 5e13, 1e14))):
        axis.set_major_locator(mpl.ticker.FixedLocator(ticks))
        axis.set_major_formatter(mpl.ticker.FuncFormatter(lambda value, _: format_count(value)))
        axis.set_minor_formatter(mpl.ticker.NullFormatter())
    ax.legend(fontsize=9, loc="upper center", ncol=2)
    return fig


def plot_option_costs(usage: np.ndarray, costs: dict[str, np.ndarray]) -> Figure:
    """Lifetime cost of each option of :func:`~lectures_lib.lifetime.option_costs` against tokens served."""
    if not isinstance(costs, dict) or not costs:
        raise TypeError("costs must be a non-empty dict of option -> cost array")
    fig, ax = new_axes()
    for (option, cost), colour in zip(costs.items(), (PALETTE["blue"], PALETTE["orange"], PALETTE["red"]),
                                      strict=False):
        ax.plot(usage, cost, color=colour, label=option)
    label_axes(ax, "lifetime tokens served", "total cost (dollars, as assumed)", loglog=True)
    ax.legend(fontsize=9)
    return fig


# ------------------------------------------------------------------------------------------------
# Over-training, measured: the released runs of Gadre et al. 2024 (figures of the chapter's last section)
# ------------------------------------------------------------------------------------------------
def _multiplier_colours(multipliers: np.ndarray) -> dict[float, tuple]:
    """One colour per token multiplier from the colour-blind-safe sequential map viridis (light to dark
    as M grows), so that the order of the multipliers reads from the colours."""
    cmap = mpl.colormaps["viridis"]
    levels = np.unique(multipliers)
    return {float(m): cmap(0.92 - 0.9 * i / max(len(levels) - 1, 1)) for i, m in enumerate(levels)}


def plot_overtraining_lines(flops: np.ndarray, token_multiplier: np.ndarray, loss: np.ndarray, *,
                            fitted: np.ndarray | None = None, targets: np.ndarray | None = None,
                            highlight: tuple[float, ...] = (20.0, 640.0)) -> Figure:
    """Loss against training compute (6ND) for released runs, one line per token multiplier M = D / N
    (Gadre et al. 2024, Fig. 2): runs of one M joined in order of compute. ``fitted`` (a boolean mask) rings
    the runs a law was fitted on; ``targets`` (a boolean mask) marks the runs it was asked to predict; the
    multipliers in ``highlight`` are drawn with thicker lines."""
    c = v.positive(flops, "flops")
    m = v.positive(token_multiplier, "token_multiplier")
    ell = v.positive(loss, "loss")
    v.same_length("flops", c, "token_multiplier", m)
    v.same_length("flops", c, "loss", ell)
    masks = {}
    for name, mask in (("fitted", fitted), ("targets", targets)):
        mask = np.zeros(c.shape, dtype=bool) if mask is None else np.asarray(mask)
        if mask.dtype != bool or mask.shape != c.shape:
            raise ValueError(f"{name} must be a boolean mask of the runs' shape {c.shape}")
        masks[name] = mask
    colours = _multiplier_colours(m)
    fig, ax = new_axes((7.0, 4.8))
    for level, colour in colours.items():
        on = np.isclose(m, level)
        order = np.argsort(c[on])
        thick = bool(np.isclose(level, highlight).any()) if len(highlight) else False
        ax.plot(c[on][order], ell[on][order], "o-", color=colour, markersize=6 if thick else 5,
                linewidth=3.0 if thick else 1.4, label=f"M = {level:g}")
    ax.plot(c[masks["fitted"]], ell[masks["fitted"]], "s", markersize=11, markerfacecolor="none",
            markeredgecolor=PALETTE["red"], markeredgewidth=1.6, linestyle="none", label="fitting set (Table 1)")
    ax.plot(c[masks["targets"]], ell[masks["targets"]], "*", markersize=15, color=PALETTE["red"],
            markeredgecolor="black", linestyle="none", label="predicted runs")
    label_axes(ax, "training compute 6ND (FLOPs)", "loss on C4 validation (nats per token)", loglog=True)
    ax.yaxis.set_major_locator(mpl.ticker.FixedLocator([2.5, 3, 3.5, 4, 5, 6]))
    ax.yaxis.set_major_formatter(mpl.ticker.FuncFormatter(lambda y, _: f"{y:g}"))
    ax.yaxis.set_minor_formatter(mpl.ticker.NullFormatter())
    ax.legend(fontsize=9, ncol=2, loc="lower left", title="tokens per parameter", title_fontsize=9)
    return fig


def plot_overtraining_scale(overtraining_law, measured_multiplier: np.ndarray, measured_ratio: np.ndarray,
                            models, *, measured_range: tuple[float, float] = (5.0, 640.0),
                            reference: float = 20.0) -> Figure:
    """The compute a run at token multiplier M needs to reach the loss of a run at ``reference`` (M = 20),
    relative to that run's compute: the law's curve (an :class:`~lectures_lib.overtraining.OvertrainingLaw`,
    solid over ``measured_range``, dashed beyond), the measured ratios (``measured_multiplier``,
    ``measured_ratio``: one per run), and ``models`` (published models) placed on the curve at their D / N."""
    from ..overtraining import OvertrainingLaw

    law = v.law(overtraining_law, OvertrainingLaw, "overtraining_law")
    mm = v.positive(measured_multiplier, "measured_multiplier")
    mr = v.positive(measured_ratio, "measured_ratio")
    v.same_length("measured_multiplier", mm, "measured_ratio", mr)
    low, high = (float(x) for x in v.positive(measured_range, "measured_range"))
    fig, ax = new_axes((7.4, 6.0))
    inside = np.logspace(np.log10(low), np.log10(high), 200)
    beyond = np.logspace(np.log10(high), np.log10(3000), 100)
    ax.plot(inside, law.equal_loss_compute_ratio(inside, reference), color=PALETTE["blue"],
            label="Eq. 4, refitted (within the runs' range of M)")
    ax.plot(beyond, law.equal_loss_compute_ratio(beyond, reference), color=PALETTE["blue"], linestyle="--",
            label="Eq. 4, extrapolated beyond M = 640")
    ax.plot(mm, mr, "o", color=PALETTE["grey"], markersize=6, alpha=0.8, linestyle="none",
            label="measured: one run against the M = 20 runs")
    ax.axhline(1, color=PALETTE["black"], linewidth=0.8)
    markers = {"LLaMA-1": ("o", PALETTE["sky"]), "LLaMA-2": ("^", PALETTE["orange"]),
               "Llama 3": ("D", PALETTE["green"])}
    # labels for the models the text names, set by eye clear of the curve, the dots and each other
    offsets = {"LLaMA-7B": (-12, 6, "right"), "Llama 2 7B": (-10, 10, "right"), "Llama 3 8B": (-10, 4, "right")}
    seen = set()
    for model in models:
        ratio = float(law.equal_loss_compute_ratio(model.tokens_per_param, reference))
        marker, colour = markers.get(model.family, ("v", PALETTE["purple"]))
        ax.plot([model.tokens_per_param], [ratio], marker, color=colour, markersize=9, markeredgecolor="black",
                linestyle="none", zorder=4, label=model.family if model.family not in seen else None)
        seen.add(model.family)
        if model.name in offsets:
            dx, dy, ha = offsets[model.name]
            ax.annotate(f"{model.name}\nM = {model.tokens_per_param:,.0f}", (model.tokens_per_param, ratio),
                        xytext=(dx, dy), textcoords="offset points", ha=ha, va="bottom", fontsize=9)
    label_axes(ax, "training tokens per parameter M = D / N",
               f"compute for the loss of M = {reference:g}\n(relative to the M = {reference:g} run)", loglog=True)
    ax.set_xlim(4, 3000)
    ax.set_ylim(0.5, 10)
    ax.yaxis.set_major_locator(mpl.ticker.FixedLocator([0.5, 1, 2, 5, 10]))
    ax.yaxis.set_major_formatter(mpl.ticker.FuncFormatter(lambda y, _: f"{y:g}"))
    ax.yaxis.set_minor_formatter(mpl.ticker.NullFormatter())
    fig.legend(fontsize=9, loc="outside lower center", ncol=2)
    return fig
