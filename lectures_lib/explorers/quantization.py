"""Explorer of quantization on a trained model: bits and block size against error, memory and loss."""

from __future__ import annotations

from dataclasses import dataclass

import matplotlib as mpl
import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text

from .. import quantization
from ..plotting import PALETTE, format_count, label_axes, new_axes, readout_box
from ..tiny_lm import MATRICES, TinyLM, TrainedLM, train_tiny_lm
from .core import Control, ReadoutDescription, make_explorer

#: The explorer's grid: bits, and block sizes ("matrix": one scale per matrix; "row": one per row).
BITS_GRID: tuple[int, ...] = (2, 3, 4, 6, 8)
BLOCK_GRID: tuple = ("matrix", "row", 64, 16)
BLOCK_LABELS: dict = {"matrix": "one per matrix", "row": "one per row", 64: "blocks of 64", 16: "blocks of 16"}
#: Loss increases below this are drawn at it (a log axis has no zero).
FLOOR = 1e-4
_COLOURS = (PALETTE["red"], PALETTE["orange"], PALETTE["blue"], PALETTE["green"])
_LAST_TABLE: list = []


def _block_length(choice: object, w: np.ndarray) -> int | None:
    """The ``block_size`` of :func:`~lectures_lib.quantization.quantize` for a block choice of :data:`BLOCK_GRID`
    ("matrix": None, one scale; "row": the row length, one scale per row; else the length itself)."""
    if choice == "matrix":
        return None
    return w.shape[-1] if choice == "row" else choice


def quantization_table(trained: TrainedLM, bits_grid=BITS_GRID, blocks=BLOCK_GRID, scheme: str = "absmax"
                       ) -> dict[tuple, tuple[float, float, float]]:
    """For every (bits, block) pair (block "matrix", "row" or a length): (stored bits per weight, relative RMS
    error of the weights, held-out loss increase in nats per character) of ``trained``'s model quantized with
    ``scheme``. The last table computed is kept, so the chapter's figure and explorer compute it once."""
    key = (bits_grid, blocks, scheme)
    if _LAST_TABLE and _LAST_TABLE[0] is trained and _LAST_TABLE[1] == key:
        return dict(_LAST_TABLE[2])
    model, base = trained.model, trained.held_out_loss
    n_weights = sum(model.weights[name].size for name in MATRICES)
    reference = np.concatenate([model.weights[name].ravel() for name in MATRICES]).astype(np.float64)
    mean_square = np.mean(reference**2)
    table = {}
    for bits in bits_grid:
        for choice in blocks:
            stored_bytes = squared_error = 0.0
            restored = {}
            for name in MATRICES:
                w = model.weights[name]
                q = quantization.quantize(w, bits, scheme, _block_length(choice, w))
                restored[name] = quantization.dequantize(q)  # what the model computes with (float32)
                stored_bytes += q.nbytes
                squared_error += np.sum((restored[name].astype(np.float64) - w) ** 2)
            rms = float(np.sqrt(squared_error / n_weights / mean_square))
            loss = TinyLM({**model.weights, **restored}).loss(trained.held_out)
            table[bits, choice] = (8.0 * stored_bytes / n_weights, rms, loss - base)
    _LAST_TABLE[:] = [trained, key, dict(table)]
    return table


def _count_tick(value: float, _position: int) -> str:
    """A tick label as a count (10K, 1M)."""
    return format_count(value)


@dataclass
class QuantizationPlot(ReadoutDescription):
    """Handle on the figure; :meth:`update` picks the bits and the block size."""

    TITLE = "Loss added by quantizing the tiny model."

    fig: Figure
    ax: Axes
    marker: Line2D
    readout: Text
    table: dict
    n_weights: int

    @property
    def dynamic_artists(self) -> tuple[Artist, ...]:
        return (self.marker, self.readout)

    def update(self, bits: int, block_size: object) -> None:
        """Show ``bits`` bits with ``block_size`` ("matrix", "row" or a block length in the grid)."""
        if (bits, block_size) not in self.table:
            raise ValueError(f"bits and block_size must be in the grid {BITS_GRID} x {BLOCK_GRID}, "
                             f"got {bits!r}, {block_size!r}")
        stored, rms, increase = self.table[bits, block_size]
        self.marker.set_data([stored], [max(increase, FLOOR)])
        kb = stored * self.n_weights / 8 / 1e3
        self.readout.set_text(
            f"{bits}-bit absmax, {BLOCK_LABELS[block_size]}\n"
            f"stored  {stored:.2f} bits/weight, {kb:.1f} kB\n"
            f"        (float32: {4 * self.n_weights / 1e3:.0f} kB)\n"
            f"weight error {100 * rms:.1f}% (RMS)\n"
            f"loss  +{max(increase, 0):.4f} nats/char")


def plot_quantization(bits: int = 4, block_size: object = 64, ax: Axes | None = None, *,
                      trained: TrainedLM | None = None) -> QuantizationPlot:
    """Held-out loss increase of the book's tiny model (:func:`lectures_lib.tiny_lm.train_tiny_lm`) against
    the stored bits per weight, one line per block size, with the chosen (bits, block size) marked."""
    trained = train_tiny_lm() if trained is None else trained
    table = quantization_table(trained)
    if ax is None:
        fig, ax = new_axes((6.6, 4.4))
    else:
        fig = ax.figure
    for block, colour in zip(BLOCK_GRID, _COLOURS, strict=True):
        points = [table[b, block] for b in BITS_GRID]
        ax.plot([p[0] for p in points], [max(p[2], FLOOR) for p in points], "o-", color=colour, markersize=4,
                label=BLOCK_LABELS[block])
    (marker,) = ax.plot([], [], "o", markersize=14, markerfacecolor="none", markeredgecolor="black",
                        markeredgewidth=2)
    ax.set_yscale("log")
    ax.set_ylim(FLOOR / 2, 10)
    ax.set_xlim(1.5, 14)
    label_axes(ax, "stored bits per weight (scales included)", "held-out loss increase (nats/char)")
    ax.legend(loc="lower left", fontsize=9, title="scales", title_fontsize=9)
    readout = readout_box(ax, "upper right", fontsize=9)
    n_weights = sum(trained.model.weights[name].size for name in MATRICES)
    plot = QuantizationPlot(fig, ax, marker, readout, table, n_weights)
    plot.update(bits, block_size)
    return plot


def explore_quantization(bits: int = 4, block_size: object = 64, *, trained: TrainedLM | None = None):
    """Drop-downs for the bits and the block size of the tiny model's quantization."""
    bits_control = Control("bits", "bits per weight", "choice", BITS_GRID, tuple(f"{b} bits" for b in BITS_GRID),
                           bits)
    block_control = Control("block_size", "scales", "choice", BLOCK_GRID,
                            tuple(BLOCK_LABELS[b] for b in BLOCK_GRID), block_size)
    return make_explorer(plot_quantization(bits, block_size, trained=trained), [bits_control, block_control])


# ------------------------------------------------------------------------------------------------
# The chapter's static figures
# ------------------------------------------------------------------------------------------------
def plot_loss_by_scheme(curves: dict[str, tuple[np.ndarray, np.ndarray]], nf4: dict[str, float]) -> Figure:
    """Loss increase against bits, one line per scheme and granularity (``curves[label] = (bits, increase)``),
    and NF4 at 4 bits as single points (``nf4[label] = increase``)."""
    fig, ax = new_axes((6.6, 4.4))
    styles = [(PALETTE["red"], "-"), (PALETTE["red"], "--"), (PALETTE["blue"], "-"), (PALETTE["blue"], "--")]
    for (label, (bits, increase)), (colour, line) in zip(curves.items(), styles, strict=False):
        ax.plot(bits, np.maximum(increase, FLOOR), marker="o", markersize=4, color=colour, linestyle=line,
                label=label)
    for (label, value), shape in zip(nf4.items(), ("D", "s"), strict=False):
        ax.plot([4], [max(value, FLOOR)], shape, color=PALETTE["green"], markersize=8, markeredgecolor="black",
                label=label, linestyle="none")
    ax.set_yscale("log")
    ax.set_ylim(FLOOR / 2, 10)
    ax.set_xticks([2, 3, 4, 6, 8])
    label_axes(ax, "bits per weight (codes only)", "held-out loss increase (nats/char)")
    ax.legend(fontsize=9, loc="upper right")
    return fig


def plot_ptq_growth(tokens: np.ndarray, degradation: dict[str, np.ndarray], slope: float) -> Figure:
    """Loss added by quantizing checkpoints of one training run, against the tokens each had seen (log-log),
    with a dotted line of slope ``slope`` (Kumar et al.'s gamma_D) through each first point."""
    fig, ax = new_axes((6.4, 4.2))
    tokens = np.asarray(tokens, dtype=float)
    for (label, values), colour in zip(degradation.items(), (PALETTE["blue"], PALETTE["orange"]), strict=False):
        ax.plot(tokens, values, "o-", color=colour, label=label)
        ax.plot(tokens, values[0] * (tokens / tokens[0]) ** slope, ":", color=colour, linewidth=1.5)
    ax.plot([], [], ":", color=PALETTE["grey"], label=f"slope {slope:.2f} (Kumar et al.'s $\\gamma_D$)")
    label_axes(ax, "training characters seen", "loss increase after quantizing (nats/char)", loglog=True)
    ticks = tokens[:: max(1, len(tokens) // 4)]
    ax.xaxis.set_major_locator(mpl.ticker.FixedLocator(ticks))
    ax.xaxis.set_major_formatter(mpl.ticker.FuncFormatter(_count_tick))
    ax.xaxis.set_minor_formatter(mpl.ticker.NullFormatter())
    ax.legend(fontsize=9, loc="upper left")
    return fig


def plot_total_bits(losses: dict[int, tuple[np.ndarray, np.ndarray]],
                    sizes: tuple[int, ...] = (48, 96, 192)) -> Figure:
    """Held-out loss against total stored bits of the weight matrices, one line per precision across model sizes
    (``losses[bits] = (total_bits, loss)``, one point per hidden width in ``sizes``), in the manner of Dettmers &
    Zettlemoyer 2023's bit-level scaling plots: at a given memory, the lowest line is the best precision."""
    fig, ax = new_axes((6.6, 4.4))
    colours = {16: PALETTE["grey"], 8: PALETTE["blue"], 4: PALETTE["green"], 3: PALETTE["orange"],
               2: PALETTE["red"]}
    for bits, (total, loss) in sorted(losses.items(), reverse=True):
        ax.plot(total, loss, "o-", color=colours.get(bits, PALETTE["black"]), markersize=5,
                linewidth=2.4 if bits == 4 else 1.5, label=f"{bits}-bit")
        if bits == 4:
            for x, y, width in zip(total, loss, sizes, strict=False):
                ax.annotate(f"{width} units", (x, y), xytext=(-7, -3), textcoords="offset points",
                            ha="right", va="top", fontsize=9, color=PALETTE["green"])
    ax.set_xscale("log")
    label_axes(ax, "stored bits of the weight matrices (codes and scales)", "held-out loss (nats/char)")
    low = min(total.min() for total, _ in losses.values()) / 1.2
    high = max(total.max() for total, _ in losses.values()) * 1.2
    ticks = [t for t in (2e4, 5e4, 1e5, 2e5, 5e5, 1e6) if low <= t <= high]
    ax.set_xticks(ticks, [format_count(t) for t in ticks])
    ax.xaxis.set_minor_formatter(mpl.ticker.NullFormatter())
    ax.legend(fontsize=9, loc="upper right", title="weights in")
    return fig
