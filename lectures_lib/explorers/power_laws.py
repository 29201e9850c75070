"""Explorer of the floor pitfall: a straight-line fit to a law with an irreducible floor, extrapolated."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text

from .. import _validate as v
from ..plotting import MIN_FONT_SIZE, PALETTE, label_axes, new_axes, readout_box
from ..power_laws import PowerLaw, fit_power_law
from .core import Control, ReadoutDescription, log_control, make_explorer

#: The measured window (where the runs are) and the point predicted far beyond it.
WINDOW: tuple[float, float] = (1e6, 1e9)
FAR: float = 1e12
#: Every law starts at this value at the left end of the window, so the curves stay comparable.
START_VALUE: float = 4.0
EXPONENT_RANGE: tuple[float, float] = (0.05, 0.5)
FLOORS: tuple[float, ...] = (0.0, 0.5, 1.0, 1.69, 2.5)


def law_with_floor(exponent: float, floor: float) -> PowerLaw:
    """The law floor + A x**-exponent with A chosen so that it equals 4 at x = 1e6."""
    a = float(v.in_range(exponent, "exponent", *EXPONENT_RANGE))
    e = float(v.in_range(floor, "floor", 0.0, 0.9 * START_VALUE))
    return PowerLaw(coefficient=(START_VALUE - e) * WINDOW[0] ** a, exponent=a, floor=e)


@dataclass
class FloorPlot(ReadoutDescription):
    """Handle on the floor-pitfall figure; :meth:`update` sets the true exponent and floor."""

    TITLE = "Straight-line fit to a law with a floor."

    fig: Figure
    ax: Axes
    truth: Line2D
    runs: Line2D
    fit: Line2D
    floor_line: Line2D
    readout: Text

    @property
    def dynamic_artists(self) -> tuple[Artist, ...]:
        return (self.truth, self.runs, self.fit, self.floor_line, self.readout)

    def update(self, exponent: float, floor: float) -> None:
        """Draw the law with ``exponent`` and ``floor``, its runs in the window and the straight-line fit."""
        law = law_with_floor(exponent, floor)
        grid = np.logspace(6, 12, 200)
        x_runs = np.logspace(np.log10(WINDOW[0]), np.log10(WINDOW[1]), 10)
        straight = fit_power_law(x_runs, law(x_runs))
        self.truth.set_data(grid, law(grid))
        self.runs.set_data(x_runs, law(x_runs))
        self.fit.set_data(grid, straight(grid))
        self.floor_line.set_ydata([max(law.floor, 0.3)] * 2)
        self.floor_line.set_visible(law.floor > 0)
        truth_far, fit_far = float(law(FAR)), float(straight(FAR))
        self.readout.set_text(
            f"true exponent {law.exponent:.3f}, floor {law.floor:.2f}\n"
            f"straight-line exponent {straight.exponent:.3f}\n"
            f"at 1e12: true {truth_far:.3f}, fit {fit_far:.3f} ({100 * (fit_far / truth_far - 1):+.0f}%)"
        )


def plot_floor_fit(exponent: float = 0.34, floor: float = 1.69, ax: Axes | None = None) -> FloorPlot:
    """A law with a floor (grey), ten runs in the measured window 1e6 to 1e9 (dots; the window is shaded, edged
    and labelled), and the straight line fitted to them in log-log space, extrapolated to 1e12 (red)."""
    if ax is None:
        fig, ax = new_axes((6.4, 4.2))
    else:
        fig = ax.figure
    (truth,) = ax.plot([], [], color=PALETTE["grey"], linewidth=2, label="true law")
    (runs,) = ax.plot([], [], "o", color=PALETTE["blue"], label="runs in the measured window")
    (fit,) = ax.plot([], [], "--", color=PALETTE["red"], linewidth=2, label="straight-line fit, extrapolated")
    floor_line = ax.axhline(1.0, color=PALETTE["grey"], linestyle=":", linewidth=1)
    # The measured window: a light shade for the eye, plus its two edges and a label, which survive the
    # website's 16-colour frames (they merge a light shade with the white background).
    ax.axvspan(*WINDOW, color=PALETTE["sky"], alpha=0.15, linewidth=0)
    for edge in WINDOW:
        ax.axvline(edge, color=PALETTE["sky"], linewidth=1.5)
    ax.text(np.sqrt(WINDOW[0] * WINDOW[1]), 0.95, "measured window", transform=ax.get_xaxis_transform(),
            ha="center", va="top", fontsize=MIN_FONT_SIZE, color=PALETTE["blue"])
    readout = readout_box(ax, "upper right")
    readout.get_bbox_patch().set_alpha(1.0)  # the window's edge passes behind it
    label_axes(ax, "resource x (for example parameters)", "loss (nats/token)", loglog=True)
    ax.set_xlim(10**5.7, FAR)  # a margin left of the window, so that its left edge shows
    ax.set_ylim(0.3, 8.0)  # headroom above the start value 4 for the window's label
    ax.legend(loc="lower left")
    plot = FloorPlot(fig, ax, truth, runs, fit, floor_line, readout)
    plot.update(exponent, floor)
    return plot


def explore_floor_fit(exponent: float = 0.34, floor: float = 1.69):
    """Sliders for the true exponent and the floor; the straight-line fit and its error at 1e12 follow."""
    slope = log_control("exponent", "true exponent", *EXPONENT_RANGE, per_decade=6, start=exponent, label="{:.3f}",
                        step=0.05)
    if floor not in FLOORS:
        raise ValueError(f"floor must be one of {FLOORS}, got {floor!r}")
    floors = Control("floor", "floor", "choice", FLOORS, tuple(f"{f:g}" for f in FLOORS), floor)
    return make_explorer(plot_floor_fit(slope.start, floor), [slope, floors])
