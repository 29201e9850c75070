"""Figures and tables of the Chinchilla chapter, and its explorer: IsoFLOP curves of a Chinchilla law and their minima.

The figure functions return a finished :class:`~matplotlib.figure.Figure`; the table functions return
Markdown (show it with ``IPython.display.Markdown``), so a chapter cell that draws one is a line or two.
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
from ..chinchilla import (
    BESIROGLU_2024,
    HOFFMANN_2022,
    HOFFMANN_2022_TABLE2,
    HOFFMANN_2022_TABLE3,
    LLAMA3_PROJECTION,
    PUBLISHED_LAWS,
    Bootstrap,
    ChinchillaLaw,
    allocation_exponent,
    isoflop_frontier,
    isoflop_minimum,
    log_residuals,
    optimal_tokens_per_param_interval,
    size_against_optimum,
)
from ..compute import training_flops, training_tokens
from ..lifetime import markdown_table
from ..models import PublishedModel
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
from .core import Control, ReadoutDescription, make_explorer

#: Budgets drawn as background IsoFLOP curves, in FLOPs.
BACKGROUND_BUDGETS: tuple[float, ...] = (1e19, 1e20, 1e21, 1e22, 1e23, 1e24, 1e25)
#: Budgets the figure can show (its frontier is drawn over this range), in FLOPs.
ISOFLOP_EXPLORER_RANGE: tuple[float, float] = (1e18, 1e26)
#: Range of the explorer's budget slider, in FLOPs (inside the figure's range, so a curve's minimum stays in view).
BUDGET_SLIDER_RANGE: tuple[float, float] = (1e19, 1e25)
#: The budgets the website's slider offers: every decade, and the budgets the chapter discusses: GPT-3's
#: 6ND (3.15e23) and Gopher's as the paper states it (5.76e23, where the replication's optimum is 72B).
EXPLORER_BUDGETS: tuple[float, ...] = (1e19, 1e20, 1e21, 1e22, 1e23, 3.15e23, 5.76e23, 1e24, 1e25)
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
    readout = readout_box(ax, "upper right", fontsize=MIN_FONT_SIZE)
    label_axes(ax, "parameters N (log scale)", "predicted loss (nats/token)")
    ax.set_xscale("log")
    readable_log_ticks(ax, "x")
    ax.set_xlim(_SIZES[0], _SIZES[-1])
    ax.set_ylim(1.6, 4.0)
    ax.legend(loc="lower left", fontsize=MIN_FONT_SIZE)
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
    start = float(v.in_range(flops, "flops", *BUDGET_SLIDER_RANGE))
    grid = tuple(sorted({*EXPLORER_BUDGETS, start}))
    budget = Control("flops", "budget (FLOPs)", "log", grid, tuple(f"{c:.3g} FLOPs" for c in grid), start, 0.25)
    choice = Control("law", "constants", "choice", tuple(PUBLISHED_LAWS.values()), tuple(PUBLISHED_LAWS), law)
    return make_explorer(plot_isoflop(budget.start, law=law), [choice, budget])


# ------------------------------------------------------------------------------------------------
# Static figures of the chapter
# ------------------------------------------------------------------------------------------------
def _two_panels() -> tuple[Figure, tuple[Axes, Axes]]:
    with mpl.rc_context(HOUSE_STYLE):
        fig, axes = plt.subplots(1, 2, figsize=(8.0, 3.6), layout="constrained")
    return fig, tuple(axes)


def plot_envelope(curve_n, curve_d, curve_loss, env_flops, env_n, *, law: ChinchillaLaw = BESIROGLU_2024,
                  every: int = 3) -> Figure:
    """Approach 1 on simulated runs: training curves with their envelope (left), the envelope's sizes (right).

    ``curve_*`` are the runs of :func:`~lectures_lib.chinchilla.simulate_training_curves` (every ``every``-th
    size is drawn), ``env_*`` the envelope of :func:`~lectures_lib.chinchilla.training_curve_envelope`, and
    ``law`` the law the runs were drawn from (its optimum is the dashed line).
    """
    v.law(law, ChinchillaLaw)
    v.positive_int(every, "every")
    curve_n, curve_d, curve_loss = (np.asarray(x, dtype=float) for x in (curve_n, curve_d, curve_loss))
    env_flops, env_n = np.asarray(env_flops, dtype=float), np.asarray(env_n, dtype=float)
    fig, (ax1, ax2) = _two_panels()
    for size in np.unique(curve_n)[::every]:
        mask = curve_n == size
        ax1.plot(training_flops(size, curve_d[mask]), curve_loss[mask], linewidth=1)
    env_loss = law.loss(env_n, training_tokens(env_flops, env_n))
    ax1.plot(env_flops, env_loss, color=PALETTE["black"], linewidth=2, label="envelope: best size per budget")
    title = "training curves" + ("" if every == 1 else f", one size in {every}")
    label_axes(ax1, "compute 6ND (FLOPs)", "loss (nats/token)", title, loglog=True)
    ax1.set_xlim(1e17, 1e22)
    ax1.set_ylim(2.0, 7.0)
    ax1.legend(loc="lower left")
    ax2.plot(env_flops, env_n, ".", markersize=2, color=PALETTE["blue"], label="best size on the envelope")
    ax2.plot(env_flops, law.compute_optimal(env_flops)[0], color=PALETTE["grey"], linestyle="--",
             label="true optimum")
    label_axes(ax2, "compute (FLOPs)", "parameters N", f"fitted a = {allocation_exponent(env_flops, env_n)[0]:.3f}",
               loglog=True)
    ax2.legend(loc="upper left")
    return fig


def plot_isoflop_fits(flops, n_params, loss, *, law: ChinchillaLaw = BESIROGLU_2024) -> Figure:
    """Approach 2 on simulated runs: one parabola in log N per budget (left), their minima against compute (right).

    ``flops``, ``n_params`` and ``loss`` are the runs of :func:`~lectures_lib.chinchilla.simulate_isoflop_runs`;
    ``law`` is the law they were drawn from (its optimum is the dashed line).
    """
    v.law(law, ChinchillaLaw)
    flops, n_params, loss = (np.asarray(x, dtype=float) for x in (flops, n_params, loss))
    budgets = np.unique(flops)
    minima_c, minima_n = isoflop_frontier(flops, n_params, loss)
    fig, (ax1, ax2) = _two_panels()
    colours = plt.cm.viridis(np.linspace(0, 0.9, len(budgets)))
    for budget, colour in zip(budgets, colours, strict=True):
        mask = flops == budget
        ax1.plot(n_params[mask], loss[mask], ".", color=colour)
        coef = np.polyfit(np.log(n_params[mask]), loss[mask], 2)
        grid = np.logspace(np.log10(n_params[mask].min()), np.log10(n_params[mask].max()), 100)
        ax1.plot(grid, np.polyval(coef, np.log(grid)), color=colour, linewidth=1)
    ax1.set_xscale("log")
    readable_log_ticks(ax1, "x")
    label_axes(ax1, "parameters N", "final loss (nats/token)", "one parabola per budget")
    ax2.plot(minima_c, minima_n, "o", color=PALETTE["blue"], label="parabola minima")
    ax2.plot(budgets, law.compute_optimal(budgets)[0], "--", color=PALETTE["grey"], label="true optimum")
    label_axes(ax2, "compute (FLOPs)", "parameters N", f"fitted a = {allocation_exponent(minima_c, minima_n)[0]:.3f}",
               loglog=True)
    ax2.legend(loc="upper left")
    return fig


#: Where each model's label sits relative to its marker, in points (kept apart from the neighbours).
_LABEL_OFFSETS: dict[str, tuple[float, float]] = {
    "GPT-3": (-8, 8), "Gopher": (8, -4), "Chinchilla": (-10, 8), "Llama 3.1 405B": (-10, 8),
}


def plot_tokens_per_param(models: tuple[PublishedModel, ...], laws: dict[str, ChinchillaLaw] = PUBLISHED_LAWS
                          ) -> Figure:
    """Compute-optimal tokens per parameter against compute for each law, with Table 3 of Hoffmann et al. 2022,
    Llama 3's own projection for its flagship, and the published ``models`` at their 6ND budgets."""
    if not isinstance(laws, dict) or not laws:
        raise TypeError("laws must be a non-empty dict of name -> ChinchillaLaw")
    for law in laws.values():
        v.law(law, ChinchillaLaw)
    fig, ax = new_axes((7.5, 4.6))
    budgets = np.logspace(19, 26, 200)
    styles = ((PALETTE["red"], ":"), (PALETTE["orange"], "--"), (PALETTE["blue"], "-"))
    for (name, law), (colour, style) in zip(laws.items(), styles * len(laws), strict=False):
        ax.plot(budgets, law.optimal_tokens_per_param(budgets), style, color=colour, label=name)
    table_c = [c for _, c, _ in HOFFMANN_2022_TABLE3]
    table_ratio = [d / n for n, _, d in HOFFMANN_2022_TABLE3]
    ax.plot(table_c, table_ratio, "s", color=PALETTE["grey"], markersize=5,
            label="Hoffmann et al., Table 3 (Approach 1)")
    for model in models:
        if not isinstance(model, PublishedModel):
            raise TypeError(f"models must hold PublishedModel rows, got {type(model).__name__}")
        ax.plot(model.training_flops, model.tokens_per_param, "o", color=PALETTE["black"], markersize=6)
        ax.annotate(model.name, (model.training_flops, model.tokens_per_param),
                    xytext=_LABEL_OFFSETS.get(model.name, (6, 6)), textcoords="offset points",
                    ha="right" if _LABEL_OFFSETS.get(model.name, (6, 6))[0] < 0 else "left", fontsize=MIN_FONT_SIZE)
    c3, n3, d3 = LLAMA3_PROJECTION
    ax.plot(c3, d3 / n3, "D", color=PALETTE["green"], markersize=7, label="Llama 3's own fit, projected")
    ax.set_xscale("log")
    ax.set_yscale("log")
    readable_log_ticks(ax)
    ax.set_xlim(budgets[0], budgets[-1])
    ax.set_ylim(0.5, 300)
    label_axes(ax, "training compute (FLOPs)", "tokens per parameter D/N")
    ax.legend(loc="upper left", ncols=2, fontsize=MIN_FONT_SIZE)
    return fig


# ------------------------------------------------------------------------------------------------
# Tables of the chapter, as Markdown
# ------------------------------------------------------------------------------------------------
_SUPERSCRIPT = str.maketrans("-0123456789", "\u207b\u2070\u00b9\u00b2\u00b3\u2074\u2075\u2076\u2077\u2078\u2079")


def scientific(value: float, digits: int = 3) -> str:
    """``value`` as text with a superscript exponent, for tables: 5.76e23 -> '5.76 × 10²³'."""
    x = float(v.finite(value, "value"))
    mantissa, exponent = f"{x:.{digits}e}".split("e")
    mantissa = mantissa.rstrip("0").rstrip(".") if "." in mantissa else mantissa
    return f"{mantissa} \u00d7 10{str(int(exponent)).translate(_SUPERSCRIPT)}"


def _check_models(models) -> tuple[PublishedModel, ...]:
    models = tuple(models)
    if not models or not all(isinstance(m, PublishedModel) for m in models):
        raise TypeError("models must be a non-empty sequence of PublishedModel rows (lectures_lib.models.get_model)")
    return models


def models_table(models, mmlu: dict[str, float]) -> str:
    """Parameters, tokens, tokens per parameter, 6ND and the 5-shot MMLU score (``mmlu``, by name) of ``models``."""
    rows = [(m.name, format_count(m.n_params), format_count(m.n_tokens), f"{m.tokens_per_param:.1f}",
             scientific(m.training_flops, 2), f"{mmlu[m.name]:.1f}%" if m.name in mmlu else "")
            for m in _check_models(models)]
    return markdown_table(("model", "parameters", "tokens", "tokens per parameter", "6ND (FLOPs)", "MMLU, 5-shot"),
                           rows)


def optimum_table(models, *, law: ChinchillaLaw = BESIROGLU_2024) -> str:
    """For each model, the compute-optimal size under ``law`` at its own budget 6ND, how many times larger the
    model is, and the loss its choice gives up (:func:`~lectures_lib.chinchilla.size_against_optimum`)."""
    rows = []
    for m in _check_models(models):
        n_opt, oversize, gap = size_against_optimum(m.n_params, m.n_tokens, law=law)
        rows.append((m.name, scientific(m.training_flops, 2), format_count(m.n_params), format_count(n_opt),
                     f"{oversize:.2f}\u00d7", f"{gap:.3f}"))
    return markdown_table(("model", "budget 6ND (FLOPs)", "parameters", "optimal size", "model / optimum",
                            "loss given up (nats/token)"), rows)


def table2_markdown() -> str:
    """Table 2 of Hoffmann et al. 2022 (a and b per approach, 10th-90th percentiles), and the a = beta/(alpha+beta)
    implied by each set of published constants."""
    rows = []
    for approach, row in HOFFMANN_2022_TABLE2.items():
        interval = row["a_interval"]
        rows.append((approach, f"{row['a']:.2f}", f"({interval[0]}, {interval[1]})" if interval else "",
                     f"{row['b']:.2f}"))
    for name, law in PUBLISHED_LAWS.items():
        rows.append((f"constants of {name}", f"{law.a:.4f}", "", f"{law.b:.4f}"))
    return markdown_table(("source", "a", "a, 10th to 90th percentile", "b"), rows)


def table3_markdown() -> str:
    """Table 3 of Hoffmann et al. 2022 (Approach 1 projections), with 6ND / FLOPs and the tokens the paper's
    rounded Approach 3 constants and the replication's constants give for the same model size."""
    rows = [(format_count(n), scientific(c), format_count(d), f"{d / n:.1f}", f"{training_flops(n, d) / c:.3f}",
             format_count(HOFFMANN_2022.tokens_for_params(n)), format_count(BESIROGLU_2024.tokens_for_params(n)))
            for n, c, d in HOFFMANN_2022_TABLE3]
    return markdown_table(("parameters", "FLOPs", "tokens", "tokens per parameter", "6ND / FLOPs",
                            "tokens, Eq. 10 rounded", "tokens, replication"), rows)


def laws_at_budget_table(flops: float) -> str:
    """The compute-optimal model, data and tokens per parameter of each published law at ``flops`` FLOPs."""
    c = float(v.positive(flops, "flops"))
    rows = []
    for name, law in PUBLISHED_LAWS.items():
        n, d = law.compute_optimal(c)
        rows.append((name, format_count(n), format_count(d), f"{d / n:.1f}"))
    return markdown_table(("constants", "parameters", "tokens", "tokens per parameter"), rows)


# ------------------------------------------------------------------------------------------------
# Real training runs (Gadre et al. 2024): the fit, its residuals, and what an IsoFLOP analysis can use
# ------------------------------------------------------------------------------------------------
def _real_runs(n_params, n_tokens, loss) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n, d, ell = (np.asarray(v.positive(x, name), dtype=float).ravel()
                 for x, name in ((n_params, "n_params"), (n_tokens, "n_tokens"), (loss, "loss")))
    v.same_length("n_params", n, "n_tokens", d)
    v.same_length("n_params", n, "loss", ell)
    return n, d, ell


def plot_real_fit(n_params, n_tokens, loss, *, law: ChinchillaLaw = BESIROGLU_2024, flag_below: float = 10.0) -> Figure:
    """A law fitted to real runs: loss against compute per model size with the law's prediction (left), and
    each run's residual, log(observed / predicted) in percent, against its tokens per parameter (right).

    Runs with fewer than ``flag_below`` tokens per parameter are drawn as open markers in both panels.
    """
    v.law(law, ChinchillaLaw)
    n, d, ell = _real_runs(n_params, n_tokens, loss)
    flag = float(v.positive(flag_below, "flag_below"))
    residual = 100 * log_residuals(n, d, ell, law=law)
    ratio = d / n
    flops = training_flops(n, d)
    fig, (ax1, ax2) = _two_panels()
    fig.set_size_inches(8.6, 3.9)
    sizes = np.unique(n)
    colours = plt.cm.viridis(np.linspace(0, 0.9, len(sizes)))
    for size, colour in zip(sizes, colours, strict=True):
        mask = n == size
        low = mask & (ratio < flag)
        high = mask & ~(ratio < flag)
        label = f"{format_count(size)} parameters"
        ax1.plot(flops[high], ell[high], "o", color=colour, markersize=5, label=label)
        ax1.plot(flops[low], ell[low], "o", markerfacecolor="white", markeredgecolor=colour,
                 markersize=5)
        tokens = np.geomspace(d[mask].min(), d[mask].max(), 50) if mask.sum() > 1 else d[mask]
        ax1.plot(training_flops(size, tokens), law.loss(size, tokens), "-", color=colour, linewidth=1)
        ax2.plot(ratio[high], residual[high], "o", color=colour, markersize=5)
        ax2.plot(ratio[low], residual[low], "o", markerfacecolor="white", markeredgecolor=colour, markersize=5)
    label_axes(ax1, "compute 6ND (FLOPs)", "loss on C4 validation (nats/token)", "runs (dots) and the fit (lines)",
               loglog=True)
    ax1.legend(loc="upper right", fontsize=MIN_FONT_SIZE, ncols=1)
    ax2.axhline(0, color=PALETTE["grey"], linewidth=1)
    ax2.set_xscale("log")
    readable_log_ticks(ax2, "x")
    label_axes(ax2, "tokens per parameter D/N", "residual, observed vs fit (%)",
               f"open: fewer than {flag:g} tokens per parameter")
    return fig


def plot_real_isoflop(n_params, n_tokens, profile_flops, profile_n, profile_loss, *,
                      law: ChinchillaLaw = BESIROGLU_2024,
                      band: tuple[float, float] | None = None) -> Figure:
    """Where a grid of real runs allows IsoFLOP profiles (left: every run's size against its compute, the chosen
    budgets as vertical lines) and the profiles themselves (right: interpolated losses, the parabola through
    them, and the fitted ``law``'s profile with its minimum).

    ``profile_*`` come from :func:`~lectures_lib.chinchilla.isoflop_profiles_from_grid`; ``band`` (FLOPs, low and
    high) shades the budgets at which the most model sizes are available.
    """
    v.law(law, ChinchillaLaw)
    if band is not None:
        band = tuple(float(x) for x in v.positive(band, "band"))
        if len(band) != 2 or band[0] >= band[1]:
            raise ValueError(f"band must be (low, high) FLOPs with low < high, got {band!r}")
    n, d = (np.asarray(v.positive(x, name), dtype=float).ravel() for x, name in ((n_params, "n_params"),
                                                                                 (n_tokens, "n_tokens")))
    v.same_length("n_params", n, "n_tokens", d)
    pc, pn, pl = _real_runs(profile_flops, profile_n, profile_loss)
    budgets = np.unique(pc)
    fig, (ax1, ax2) = _two_panels()
    fig.set_size_inches(8.6, 4.8)
    ax1.plot(training_flops(n, d), n, "o", color=PALETTE["grey"], markersize=4, label="a training run")
    if band is not None:
        ax1.axvspan(*band, color=PALETTE["sky"], alpha=0.25, label="three sizes available")
    colours = plt.cm.plasma(np.linspace(0.1, 0.75, len(budgets)))
    for budget, colour in zip(budgets, colours, strict=True):
        ax1.axvline(budget, color=colour, linewidth=1.5, linestyle="--")
        mask = pc == budget
        ax1.plot(np.full(mask.sum(), budget), pn[mask], "s", color=colour, markersize=6)
        ax2.plot(pn[mask], pl[mask], "s", color=colour, markersize=7, label=f"{budget:.0e} FLOPs".replace("e+", "e"))
        sizes = np.geomspace(pn[mask].min() / 2, pn[mask].max() * 4, 100)
        ax2.plot(sizes, law.loss(sizes, training_tokens(budget, sizes)), "-", color=colour, linewidth=1)
        n_opt, _ = law.compute_optimal(budget)
        ax2.plot(n_opt, law.optimal_loss(budget), "*", color=colour, markersize=12, markeredgecolor="black")
        if mask.sum() >= 3:
            coef = np.polyfit(np.log(pn[mask]), pl[mask], 2)
            inside = np.geomspace(pn[mask].min(), pn[mask].max(), 60)
            ax2.plot(inside, np.polyval(coef, np.log(inside)), ":", color=colour, linewidth=2)
            if coef[0] > 0:
                n_par, l_par = isoflop_minimum(pn[mask], pl[mask])
                ax2.plot(n_par, l_par, "o", markerfacecolor="white", markeredgecolor=colour, markersize=8)
    label_axes(ax1, "compute 6ND (FLOPs)", "parameters N", "the grid of runs", loglog=True)
    ax1.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize=MIN_FONT_SIZE, ncols=1)
    ax2.set_xscale("log")
    readable_log_ticks(ax2, "x")
    label_axes(ax2, "parameters N", "loss on C4 validation (nats/token)", "profiles at three budgets")
    handles, labels = ax2.get_legend_handles_labels()
    handles += [Line2D([], [], color="black", linestyle=":", linewidth=2),
                Line2D([], [], color="black", linewidth=1),
                Line2D([], [], marker="*", color="black", linestyle="", markersize=10),
                Line2D([], [], marker="o", markerfacecolor="white", markeredgecolor="black", linestyle="")]
    labels += ["parabola (3 points)", "Approach 3 fit", "its optimum", "parabola minimum"]
    ax2.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize=MIN_FONT_SIZE, ncols=3)
    return fig


def real_fit_table(laws: dict[str, ChinchillaLaw], budgets: tuple[float, ...], *,
                   boot: tuple[str, Bootstrap] | None = None, level: float = 0.8) -> str:
    """E, A, B, alpha, beta, a and the compute-optimal tokens per parameter at each of ``budgets`` for each law,
    as Markdown. ``boot`` = (name of one of ``laws``, its bootstrap) adds a row of ``level`` intervals under it."""
    if not isinstance(laws, dict) or not laws:
        raise TypeError("laws must be a non-empty dict of name -> ChinchillaLaw")
    for law in laws.values():
        v.law(law, ChinchillaLaw)
    c = tuple(float(x) for x in np.atleast_1d(v.positive(budgets, "budgets")))
    if boot is not None and (not isinstance(boot, tuple) or len(boot) != 2 or boot[0] not in laws
                             or not isinstance(boot[1], Bootstrap)):
        raise TypeError("boot must be (name of one of the laws, Bootstrap)")
    names = ("E", "A", "B", "alpha", "beta")
    header = ("constants", "E", "A", "B", "α", "β", "a = β/(α+β)",
              *(f"D/N at {scientific(x, 1)} FLOPs" for x in c))
    rows = []
    for name, law in laws.items():
        rows.append((name, f"{law.E:.2f}", f"{law.A:.0f}", f"{law.B:.0f}", f"{law.alpha:.3f}", f"{law.beta:.3f}",
                     f"{law.a:.3f}", *(f"{law.optimal_tokens_per_param(x):.1f}" for x in c)))
        if boot is not None and boot[0] == name:
            spans = [boot[1].interval(k, level) for k in (*names, "a")]
            digits = (2, 0, 0, 3, 3, 3)
            low, high = optimal_tokens_per_param_interval(boot[1], c, level)
            rows.append((f"{round(100 * level)}% bootstrap interval",
                         *(f"{lo:.{k}f} to {hi:.{k}f}" for (lo, hi), k in zip(spans, digits, strict=True)),
                         *(f"{lo:.1f} to {hi:.1f}" for lo, hi in zip(low, high, strict=True))))
    return markdown_table(header, rows)
