"""The book's house style for figures: one colour-blind-safe palette, labelled units, log-log helpers."""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
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


def label_axes(ax: Axes, xlabel: str, ylabel: str, title: str | None = None, *, loglog: bool = False) -> Axes:
    """Label both axes (say the unit in each label) and optionally switch to log-log."""
    if loglog:
        ax.set_xscale("log")
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    return ax


def readout_box(ax: Axes, corner: str = "upper right", fontsize: float = 8.0) -> Text:
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
