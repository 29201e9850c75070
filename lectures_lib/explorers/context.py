"""Explorer of long context: the share of attention in the per-token cost, and the KV-cache memory.

For a Llama 3 model (Dubey et al. 2024, Table 3) and a context length: the forward FLOPs per token in
Kaplan's accounting, 2N + 2 n_layer n_ctx d_attn, and the bytes of KV cache one sequence holds, with the
model's grouped-query attention (8 key/value heads) and, for comparison, with one key/value head per
query head.
"""

from __future__ import annotations

from collections.abc import Sequence
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
from ..chinchilla import BESIROGLU_2024, ChinchillaLaw
from ..compute import (
    LLAMA3_FFN_DIM,
    allocation_for_ratio,
    attention_share,
    context_for_attention_share,
    gated_transformer_params,
)
from ..distillation import BUSBRIDGE_2025, DistillationLaw, ToyDistillation
from ..lifetime import kv_cache_bytes_per_token, weight_bytes
from ..models import ARCHITECTURES, Architecture, get_model
from ..plotting import HOUSE_STYLE, PALETTE, format_count, label_axes, new_axes, readable_log_ticks
from ..trends import EPOCH_2024_GROWTH_PER_YEAR, ComputeRecord, trend_flops
from .core import Control, ReadoutDescription, log_control, make_explorer

#: The context lengths the explorer spans, in tokens (1K to 1M).
CONTEXT_RANGE: tuple[float, float] = (1024.0, 1048576.0)
#: The models it offers (keys of :data:`lectures_lib.models.ARCHITECTURES` with a known feed-forward width).
MODELS: tuple[str, ...] = ("Llama 3 8B", "Llama 3 70B")
GIB = 2.0**30
#: The horizontal extent of both panels (a little wider than the range, so that the end markers show).
X_LIMITS: tuple[float, float] = (800.0, 1.35e6)


def block_params(name: str) -> float:
    """Non-embedding parameters (Kaplan's N) of the Llama 3 model ``name``, from its Table 3 shape."""
    if name not in LLAMA3_FFN_DIM:
        raise ValueError(f"name must be one of {tuple(LLAMA3_FFN_DIM)}, got {name!r}")
    a = ARCHITECTURES[name]
    return float(gated_transformer_params(a.n_layers, a.d_model, a.n_heads, a.n_kv_heads, a.head_dim,
                                          LLAMA3_FFN_DIM[name]))


def kv_cache_gib(arch: Architecture, context_tokens: float | np.ndarray, grouped: bool = True,
                 bytes_per_value: float = 2.0) -> float | np.ndarray:
    """GiB of KV cache one sequence of ``context_tokens`` holds; ``grouped=False`` gives every query head its own
    key/value head (no grouped-query attention)."""
    heads = arch.n_kv_heads if grouped else arch.n_heads
    per_token = kv_cache_bytes_per_token(arch.n_layers, heads, arch.head_dim, bytes_per_value)
    return v.scalar_or_array(per_token * v.positive(context_tokens, "context_tokens") / GIB)


def _gib(value: float) -> str:
    return f"{value:,.0f} GiB" if value >= 100 else f"{value:.3g} GiB"


def _count_tick(value: float, _position: int) -> str:
    """A tick label as a count (1K, 131K, 1M)."""
    return format_count(value)


def _plain_tick(value: float, _position: int) -> str:
    """A tick label in the shortest plain form (16, not 1.6e+01)."""
    return f"{value:g}"


@dataclass(frozen=True)
class _ModelCurves:
    """What the context explorer shows of one model that does not depend on the context length."""

    arch: Architecture
    block_params: float  # Kaplan's N
    d_attn: int
    grid: np.ndarray  # context lengths of the memory curves
    grouped: np.ndarray  # KV cache (GiB) at ``grid``, grouped-query attention
    full: np.ndarray  # KV cache (GiB) at ``grid``, one KV head per query head
    weights: float  # GiB of bf16 weights
    half: float  # the context at which attention takes half the forward FLOPs

    @classmethod
    def compute(cls, model: str) -> _ModelCurves:
        arch = ARCHITECTURES[model]
        n, d_attn = block_params(model), arch.n_heads * arch.head_dim
        grid = np.logspace(np.log10(CONTEXT_RANGE[0]), np.log10(CONTEXT_RANGE[1]), 50)
        return cls(arch, n, d_attn, grid, kv_cache_gib(arch, grid), kv_cache_gib(arch, grid, grouped=False),
                   float(weight_bytes(get_model(model).n_params)) / GIB,
                   float(context_for_attention_share(n, arch.n_layers, d_attn)))


@dataclass
class ContextPlot(ReadoutDescription):
    """Handle on the long-context figure; :meth:`update` sets the context length and the model."""

    TITLE = "Long context."

    fig: Figure
    share_ax: Axes
    memory_ax: Axes
    share_point: Line2D
    grouped_line: Line2D
    full_line: Line2D
    weights_line: Line2D
    grouped_point: Line2D
    full_point: Line2D
    readout: Text
    #: The curves of every model of :data:`MODELS`, computed when the plot is built (see :func:`plot_context`).
    models: dict[str, _ModelCurves]

    @property
    def dynamic_artists(self) -> tuple[Artist, ...]:
        return (self.share_point, self.grouped_line, self.full_line, self.weights_line, self.grouped_point,
                self.full_point, self.readout)

    def update(self, context_tokens: float, model: str) -> None:
        """Mark ``context_tokens`` tokens of context for the Llama 3 model ``model``."""
        ctx = float(v.in_range(context_tokens, "context_tokens", *CONTEXT_RANGE))
        if model not in self.models:
            raise ValueError(f"model must be one of {MODELS}, got {model!r}")
        curves = self.models[model]
        arch, weights, half = curves.arch, curves.weights, curves.half
        share = float(attention_share(curves.block_params, arch.n_layers, ctx, curves.d_attn))
        self.share_point.set_data([ctx], [100 * share])
        self.share_point.set_color(PALETTE["blue"] if model == MODELS[0] else PALETTE["orange"])
        self.grouped_line.set_data(curves.grid, curves.grouped)
        self.full_line.set_data(curves.grid, curves.full)
        self.weights_line.set_data(CONTEXT_RANGE, [weights, weights])
        grouped, full = float(kv_cache_gib(arch, ctx)), float(kv_cache_gib(arch, ctx, grouped=False))
        self.grouped_point.set_data([ctx], [grouped])
        self.full_point.set_data([ctx], [full])
        self.readout.set_text(
            f"{model} at {format_count(ctx)} tokens of context: attention takes {100 * share:.0f}% of the "
            f"forward FLOPs per token\n(it passes half at {format_count(half)} tokens). "
            f"KV cache of one sequence in bf16: {_gib(grouped)} with {arch.n_kv_heads} KV heads,\n"
            f"{_gib(full)} with one per query head ({arch.n_heads}); the weights take {_gib(weights)}."
        )


def plot_context(context_tokens: float = 131072.0, model: str = "Llama 3 8B", ax: tuple[Axes, Axes] | None = None
                 ) -> ContextPlot:
    """Left: the share of attention in the forward FLOPs per token against context, for both Llama 3 models
    (Kaplan's 2N + 2 n_layer n_ctx d_attn). Right: KV-cache memory of one sequence against context for ``model``,
    with grouped-query attention (solid) and without (dashed), beside its bf16 weights. ``ax`` is a pair of axes
    or None for a new figure."""
    if ax is None:
        with mpl.rc_context(HOUSE_STYLE):
            fig, axes = plt.subplot_mosaic([["share", "memory"], ["text", "text"]], figsize=(8.4, 4.9),
                                           height_ratios=(1, 0.16), layout="constrained")
        share_ax, memory_ax, text_ax = axes["share"], axes["memory"], axes["text"]
        text_ax.axis("off")
    else:
        share_ax, memory_ax = ax
        fig = share_ax.figure
        text_ax = share_ax
    grid = np.logspace(np.log10(CONTEXT_RANGE[0]), np.log10(CONTEXT_RANGE[1]), 200)
    for name, colour in zip(MODELS, (PALETTE["blue"], PALETTE["orange"]), strict=True):
        arch = ARCHITECTURES[name]
        share = attention_share(block_params(name), arch.n_layers, grid, arch.n_heads * arch.head_dim)
        share_ax.plot(grid, 100 * np.asarray(share), color=colour, label=name)
    share_ax.axhline(50, color=PALETTE["grey"], linewidth=1, linestyle=":")
    share_ax.set_xscale("log")
    share_ax.set_ylim(0, 100)
    share_ax.set_xlim(*X_LIMITS)
    label_axes(share_ax, "context length (tokens)", "attention share of FLOPs per token (%)")
    readable_log_ticks(share_ax, "x")
    share_ax.xaxis.set_major_formatter(mpl.ticker.FuncFormatter(_count_tick))
    share_ax.legend(loc="upper left", fontsize=9)
    (share_point,) = share_ax.plot([], [], "o", markersize=9, markeredgecolor="black")
    (grouped_line,) = memory_ax.plot([], [], color=PALETTE["green"], label="grouped-query (8 KV heads)")
    (full_line,) = memory_ax.plot([], [], "--", color=PALETTE["red"], label="one KV head per query head")
    (weights_line,) = memory_ax.plot([], [], ":", color=PALETTE["black"], linewidth=1.5, label="weights (bf16)")
    (grouped_point,) = memory_ax.plot([], [], "o", color=PALETTE["green"], markersize=8, markeredgecolor="black")
    (full_point,) = memory_ax.plot([], [], "o", color=PALETTE["red"], markersize=8, markeredgecolor="black")
    label_axes(memory_ax, "context length (tokens)", "memory of one sequence (GiB)", loglog=True)
    memory_ax.set_xlim(*X_LIMITS)
    memory_ax.set_ylim(0.05, 5000)
    memory_ax.xaxis.set_major_formatter(mpl.ticker.FuncFormatter(_count_tick))
    memory_ax.legend(loc="upper left", fontsize=9)
    readout = text_ax.text(0.0, 1.0, "", transform=text_ax.transAxes, va="top", ha="left", fontsize=10)
    readout.set_in_layout(False)
    plot = ContextPlot(fig, share_ax, memory_ax, share_point, grouped_line, full_line, weights_line, grouped_point,
                       full_point, readout, {name: _ModelCurves.compute(name) for name in MODELS})
    plot.update(context_tokens, model)
    return plot


def explore_context(context_tokens: float = 131072.0, model: str = "Llama 3 8B"):
    """A context-length slider (log scale, 1K to 1M tokens) and a choice of Llama 3 model."""
    if model not in MODELS:
        raise ValueError(f"model must be one of {MODELS}, got {model!r}")
    context = log_control("context_tokens", "context length", *CONTEXT_RANGE, per_decade=2, start=context_tokens,
                          label=lambda c: f"{format_count(c)} tokens", step=0.1)
    choice = Control("model", "model", "choice", MODELS, MODELS, model)
    return make_explorer(plot_context(context.start, model), [context, choice])


# ------------------------------------------------------------------------------------------------
# The chapter's static figures (one function each, so that a notebook cell stays a few lines)
# ------------------------------------------------------------------------------------------------
def plot_toy_distillation(toy: ToyDistillation) -> Figure:
    """Excess cross-entropy over the teacher (KL, nats) against student size in the toy experiment: hard labels
    dashed, soft labels solid, one colour per training-set size."""
    if not isinstance(toy, ToyDistillation):
        raise TypeError("toy must be the result of lectures_lib.distillation.toy_distillation")
    fig, ax = new_axes((6.4, 4.2))
    colours = (PALETTE["blue"], PALETTE["orange"], PALETTE["green"], PALETTE["purple"])
    for i, (n, colour) in enumerate(zip(toy.train_examples, colours, strict=False)):
        ax.plot(toy.student_features, toy.hard_excess[i], "--o", color=colour, markersize=5,
                label=f"hard labels, {n:,} examples")
        ax.plot(toy.student_features, toy.soft_excess[i], "-s", color=colour, markersize=5,
                label=f"soft labels, {n:,} examples")
    label_axes(ax, "student size (random features)", "excess loss over the teacher (nats)", loglog=True)
    ax.xaxis.set_major_locator(mpl.ticker.FixedLocator(toy.student_features))
    ax.xaxis.set_major_formatter(mpl.ticker.FuncFormatter(_plain_tick))
    ax.xaxis.set_minor_formatter(mpl.ticker.NullFormatter())
    ax.legend(fontsize=9, loc="lower left")
    return fig


def plot_distillation_gain(teacher_loss: float, student_params: Sequence[float], *,
                           distillation_law: DistillationLaw = BUSBRIDGE_2025) -> Figure:
    """Loss gained by distillation over supervised training (nats) against the student's tokens, one line per
    student size, under Busbridge et al.'s law (``distillation_law``) with a teacher of cross-entropy
    ``teacher_loss``; the dots mark where supervised training starts to win."""
    law = v.law(distillation_law, DistillationLaw, "distillation_law")
    lt = float(v.positive(teacher_loss, "teacher_loss"))
    sizes = v.positive(student_params, "student_params")
    tokens = np.logspace(9, 13, 200)
    fig, ax = new_axes((6.4, 4.2))
    colours = (PALETTE["blue"], PALETTE["orange"], PALETTE["green"], PALETTE["purple"], PALETTE["red"])
    for n, colour in zip(np.atleast_1d(sizes), colours, strict=False):
        ax.plot(tokens, law.gain(n, tokens, lt), color=colour, label=f"student {format_count(n)}")
        crossing = law.break_even_tokens(n, lt)
        ax.plot([crossing], [0.0], "o", color=colour, markeredgecolor="black", markersize=8)
    ax.axhline(0, color=PALETTE["black"], linewidth=1)
    ax.set_xscale("log")
    readable_log_ticks(ax, "x")
    ax.xaxis.set_major_formatter(mpl.ticker.FuncFormatter(_count_tick))
    label_axes(ax, "student's training tokens", "supervised loss minus distilled loss (nats)")
    ax.text(0.98, 0.55, "distillation better above 0,\nsupervised better below", transform=ax.transAxes,
            ha="right", va="center", fontsize=9, color=PALETTE["grey"])
    ax.legend(fontsize=9, loc="upper right")
    return fig


_KIND_STYLE = {"disclosed": ("o", "full"), "computed": ("s", "full"), "estimated": ("D", "none")}


def plot_compute_trend(records: Sequence[ComputeRecord], anchor: ComputeRecord,
                       growth_per_year: Sequence[float] = EPOCH_2024_GROWTH_PER_YEAR) -> Figure:
    """Training FLOPs of ``records`` against their year (log scale), marked by how each number is known (filled
    circle disclosed, square computed as 6ND, hollow diamond estimated by outsiders), with trend lines at each
    of ``growth_per_year`` through ``anchor``."""
    fig, ax = new_axes((6.8, 4.4))
    years = np.linspace(anchor.year - 0.3, 2025.0, 50)
    for g, style in zip(growth_per_year, ("--", ":"), strict=False):
        ax.plot(years, trend_flops(years, anchor.year, anchor.flops, g), style, color=PALETTE["grey"],
                linewidth=1.5, label=f"{g:g}x a year from {anchor.name}")
    shown = set()
    offsets = {"GPT-3": (6, -12), "Gopher": (-6, 8), "Chinchilla": (6, -12), "GPT-4": (-8, 6),
               "Gemini 1.0 Ultra": (-8, 6), "Llama 3 70B": (6, -12), "Llama 3.1 405B": (7, -3)}
    wrapped = {"Llama 3.1 405B": "Llama 3.1\n405B"}
    for record in records:
        marker, fill = _KIND_STYLE[record.kind]
        label = None if record.kind in shown else record.kind
        shown.add(record.kind)
        ax.plot([record.year], [record.flops], marker, fillstyle=fill, color=PALETTE["blue"], markersize=9,
                markeredgewidth=1.8, linestyle="none", label=label)
        dx, dy = offsets.get(record.name, (6, 6))
        ax.annotate(wrapped.get(record.name, record.name), (record.year, record.flops), xytext=(dx, dy),
                    textcoords="offset points", ha="left" if dx > 0 else "right",
                    va="center" if record.name in wrapped else "baseline", fontsize=9)
    ax.set_yscale("log")
    readable_log_ticks(ax, "y")
    ax.set_xlim(2019.8, 2025.5)
    ax.set_ylim(1e23, 3e26)
    label_axes(ax, "year announced", "training compute (FLOPs)")
    ax.legend(fontsize=9, loc="upper left")
    return fig


def plot_allocation_frontier(flops: float, marked: dict[str, float], *, law: ChinchillaLaw = BESIROGLU_2024
                             ) -> Figure:
    """Predicted loss against tokens per parameter for every split of one budget of ``flops`` FLOPs (C = 6ND), under
    ``law``; ``marked`` maps a label to a ratio D/N to mark on the curve."""
    v.law(law, ChinchillaLaw)
    c = float(v.positive(flops, "flops"))
    ratios = np.logspace(-0.5, 4, 300)
    n, d = allocation_for_ratio(c, ratios)
    fig, ax = new_axes((6.4, 4.2))
    mantissa, exponent = f"{c:.1e}".split("e")
    ax.plot(ratios, law.loss(n, d), color=PALETTE["blue"],
            label=rf"every split of ${mantissa}\times10^{{{int(exponent)}}}$ FLOPs")
    n_opt, d_opt = law.compute_optimal(c)
    ax.plot([d_opt / n_opt], [law.loss(n_opt, d_opt)], "*", color=PALETTE["orange"], markersize=15,
            markeredgecolor="black", label="lowest loss")
    for (name, ratio), colour in zip(marked.items(), (PALETTE["green"], PALETTE["red"], PALETTE["purple"]),
                                     strict=False):
        n_r, d_r = allocation_for_ratio(c, ratio)
        ax.plot([ratio], [law.loss(n_r, d_r)], "o", color=colour, markersize=8, markeredgecolor="black",
                label=f"{name} ({ratio:,.0f} per parameter)")
    ax.set_xscale("log")
    readable_log_ticks(ax, "x")
    label_axes(ax, "training tokens per parameter, D / N", "predicted loss (nats per token)")
    ax.legend(fontsize=9, loc="upper center")
    return fig
