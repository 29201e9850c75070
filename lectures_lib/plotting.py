"""The book's house style for figures: one colour-blind-safe palette, labelled units, log-log helpers.

Every text in a figure is at least :data:`MIN_FONT_SIZE` points. Log axes get readable ticks from
:func:`readable_log_ticks` (which :func:`label_axes` applies with ``loglog=True``): powers of ten when an
axis spans several decades, 1-2-5 steps when it spans one or two, never labels such as "3.75x10^0" on
minor ticks. :func:`label_axes` also turns a plain ``C_min`` in a label into the subscript
:math:`C_\\mathrm{min}`, so no literal underscore reaches a figure.
"""

from __future__ import annotations

import math
import re

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib import ticker
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.text import Text

#: Okabe and Ito's palette, distinguishable under the common forms of colour blindness.
PALETTE: dict[str, str] = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "red": "#D55E00",
    "purple": "#CC79A7",
    "sky": "#56B4E9",
    "yellow": "#F0E442",
    "black": "#000000",
    "grey": "#7F7F7F",
}

#: The smallest font size (points) of any text in a figure of the book.
MIN_FONT_SIZE: float = 9.0

HOUSE_STYLE: dict[str, object] = {
    "figure.figsize": (6.0, 4.0),
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "savefig.bbox": "tight",
    "axes.prop_cycle": mpl.cycler(color=[PALETTE[k] for k in ("blue", "orange", "green", "red", "purple", "sky")]),
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "font.size": 10,
    "axes.labelsize": 10,
    "axes.titlesize": 11,
    "xtick.labelsize": 9.5,
    "ytick.labelsize": 9.5,
    "legend.fontsize": 9,
    "figure.titlesize": 11,
    "legend.frameon": False,
    "lines.linewidth": 2.0,
}


def use_house_style() -> None:
    """Apply the house style to every figure drawn from now on in this session."""
    mpl.rcParams.update(HOUSE_STYLE)


def new_axes(figsize: tuple[float, float] = (6.0, 4.0)) -> tuple[Figure, Axes]:
    """A new figure with one set of axes in the house style."""
    with mpl.rc_context(HOUSE_STYLE):
        fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    return fig, ax


_SUBSCRIPT = re.compile(r"(?<![\\\w$])([A-Za-z])_(\{[^}]*\}|[A-Za-z0-9]+)(?![\w])")


def math_subscripts(text: str) -> str:
    """``text`` with every plain ``X_sub`` outside ``$...$`` written as the math subscript ``$X_\\mathrm{sub}$``.

    A one-character subscript stays italic (``N_c`` becomes ``$N_c$``); longer ones are upright words
    (``C_min`` becomes ``$C_\\mathrm{min}$``). Text already inside dollar signs is left alone.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")

    def convert(match: re.Match) -> str:
        letter, sub = match.group(1), match.group(2).strip("{}")
        return f"${letter}_{sub}$" if len(sub) == 1 else f"${letter}_\\mathrm{{{sub}}}$"

    pieces = text.split("$")
    for i in range(0, len(pieces), 2):  # even pieces are outside math
        pieces[i] = _SUBSCRIPT.sub(convert, pieces[i])
    return "$".join(pieces)


class _ReadableLogLocator(ticker.Locator):
    """Major ticks of a base-10 log axis: decades when it spans 2.5 decades or more (every second,
    third... decade beyond ``max_ticks``), 1-2-5 steps over one to 2.5 decades, 1-9 below one decade, and
    plain steps when even those give fewer than three ticks."""

    def __init__(self, max_ticks: int = 8) -> None:
        self.max_ticks = max_ticks

    def __call__(self) -> np.ndarray:
        vmin, vmax = self.axis.get_view_interval()
        return self.tick_values(vmin, vmax)

    def tick_values(self, vmin: float, vmax: float) -> np.ndarray:
        vmin, vmax = sorted((float(vmin), float(vmax)))
        if not (vmin > 0 and np.isfinite(vmax)):
            return ticker.LogLocator(base=10.0).tick_values(max(vmin, 1e-300), max(vmax, 1e-300))
        span = math.log10(vmax / vmin)
        low, high = math.floor(math.log10(vmin)) - 1, math.ceil(math.log10(vmax)) + 1
        if span >= 2.5:
            stride = max(1, math.ceil((span + 1) / self.max_ticks))
            first = low - low % stride
            return np.array([10.0 ** d for d in range(first, high + 1, stride)])
        subs = (1, 2, 5) if span >= 1 else (1, 2, 3, 4, 5, 6, 7, 8, 9)
        ticks = np.array([s * 10.0 ** d for d in range(low, high + 1) for s in subs])
        inside = ticks[(ticks >= vmin * (1 - 1e-9)) & (ticks <= vmax * (1 + 1e-9))]
        if len(inside) >= 3:
            return ticks
        return ticker.MaxNLocator(nbins=6, steps=[1, 2, 2.5, 5, 10]).tick_values(vmin, vmax)


class _ReadableLogFormatter(ticker.Formatter):
    """Labels for :class:`_ReadableLogLocator`: plain numbers (0.5, 2, 1000) while every visible tick lies
    between 0.01 and 10,000, powers of ten ($10^{21}$, $2\\times10^{21}$) otherwise."""

    plain = True

    def set_locs(self, locs: list[float]) -> None:
        super().set_locs(locs)
        vmin, vmax = sorted(self.axis.get_view_interval()) if self.axis is not None else (-np.inf, np.inf)
        shown = [x for x in locs if x > 0 and vmin * (1 - 1e-9) <= x <= vmax * (1 + 1e-9)]
        self.plain = all(1e-2 <= x <= 1e4 for x in shown)

    def __call__(self, x: float, pos: int | None = None) -> str:
        if not x > 0:
            return ""
        if self.plain:
            return f"{x:.6g}"
        exponent = math.floor(math.log10(x) + 1e-9)
        mantissa = x / 10.0**exponent
        if abs(mantissa - 1) < 1e-6:
            return f"$10^{{{exponent}}}$"
        return f"${mantissa:.3g}\\times10^{{{exponent}}}$"


def readable_log_ticks(ax: Axes, axis: str = "both", max_ticks: int = 8) -> Axes:
    """Readable tick labels on the log-scaled axes of ``ax`` (``axis``: "x", "y" or "both"); linear axes are left alone.

    Major ticks are decades when an axis spans 2.5 decades or more (at most ``max_ticks`` of them), 1-2-5
    steps over one to 2.5 decades, and 1-9 below; labels are plain numbers between 0.01 and 10,000 and
    powers of ten beyond. Minor ticks stay, unlabelled. Call it after ``set_xscale("log")`` (which resets
    the ticks); :func:`label_axes` with ``loglog=True`` calls it for you.
    """
    if axis not in ("x", "y", "both"):
        raise ValueError(f"axis must be 'x', 'y' or 'both', got {axis!r}")
    if not isinstance(max_ticks, int) or isinstance(max_ticks, bool) or max_ticks < 2:
        raise ValueError(f"max_ticks must be an int of at least 2, got {max_ticks!r}")
    targets = {"x": [ax.xaxis], "y": [ax.yaxis], "both": [ax.xaxis, ax.yaxis]}[axis]
    for target in targets:
        if target.get_scale() != "log":
            continue
        target.set_major_locator(_ReadableLogLocator(max_ticks))
        target.set_major_formatter(_ReadableLogFormatter())
        target.set_minor_locator(ticker.LogLocator(base=10.0, subs="auto"))
        target.set_minor_formatter(ticker.NullFormatter())
    return ax


def label_axes(ax: Axes, xlabel: str, ylabel: str, title: str | None = None, *, loglog: bool = False) -> Axes:
    """Label both axes (say the unit in each label) and optionally switch to log-log with readable ticks.

    A plain subscript such as ``C_min`` in a label or the title is typeset as :math:`C_\\mathrm{min}`
    (:func:`math_subscripts`).
    """
    if loglog:
        ax.set_xscale("log")
        ax.set_yscale("log")
        readable_log_ticks(ax)
    ax.set_xlabel(math_subscripts(xlabel))
    ax.set_ylabel(math_subscripts(ylabel))
    if title:
        ax.set_title(math_subscripts(title))
    return ax


def readout_box(ax: Axes, corner: str = "upper right", fontsize: float = MIN_FONT_SIZE) -> Text:
    """An empty monospace text box in a corner of ``ax`` ("upper right" or "upper left"), for an explorer's readout."""
    if corner not in ("upper right", "upper left"):
        raise ValueError(f"corner must be 'upper right' or 'upper left', got {corner!r}")
    right = corner == "upper right"
    return ax.text(0.98 if right else 0.02, 0.98, "", transform=ax.transAxes, va="top",
                   ha="right" if right else "left", multialignment="left", family="monospace", fontsize=fontsize,
                   bbox={"boxstyle": "round", "facecolor": "white", "alpha": 0.9, "edgecolor": PALETTE["grey"]})


_SUFFIXES = ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k"))


def format_count(value: float, digits: int = 3) -> str:
    """A count in words: 1.75e11 -> '175B', 1.4e12 -> '1.4T', 1e15 -> '1,000T', 512 -> '512'."""
    if not np.isfinite(value):
        raise ValueError(f"value must be finite, got {value}")
    magnitude = abs(value)
    for scale, suffix in _SUFFIXES:
        if magnitude >= scale:
            text = f"{value / scale:.{digits}g}"
            return (f"{value / scale:,.0f}" if "e" in text else text) + suffix
    return f"{value:.{digits}g}"


def format_flops(value: float) -> str:
    """FLOPs in scientific notation for labels: 3.15e23 -> '3.15e+23 FLOPs'."""
    if not np.isfinite(value):
        raise ValueError(f"value must be finite, got {value}")
    return f"{value:.3g} FLOPs"
