"""The machinery shared by every explorer: fast frame rendering and the live widget wrapper."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

import numpy as np
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from .. import _validate as v

if TYPE_CHECKING:  # pragma: no cover
    import ipywidgets


class ExplorerPlot(Protocol):
    """What an explorer needs from a plot: its figure, the artists that move, and an update."""

    fig: Figure

    @property
    def dynamic_artists(self) -> tuple[Artist, ...]: ...

    def update(self, **values: object) -> None: ...


class FrameRenderer:
    """Render a figure to PNG bytes fast by redrawing only its moving artists (blitting).

    The static part (axes, curves, labels) is drawn once and kept as a background; each
    :meth:`render` pastes that background and draws the ``dynamic`` artists on top. The layout
    is frozen after the first draw so that every frame has the same size and positions.
    """

    def __init__(self, fig: Figure, dynamic: Sequence[Artist]) -> None:
        if not dynamic:
            raise ValueError("dynamic must list at least one artist that changes between frames")
        self.fig = fig
        self.dynamic = tuple(dynamic)
        self.canvas = FigureCanvasAgg(fig)
        for artist in self.dynamic:
            artist.set_animated(True)
        self.canvas.draw()
        fig.set_layout_engine("none")
        self.canvas.draw()
        self._background = self.canvas.copy_from_bbox(fig.bbox)

    def render(self) -> bytes:
        """The current state of the figure as PNG bytes."""
        self.canvas.restore_region(self._background)
        renderer = self.canvas.get_renderer()
        for artist in self.dynamic:
            artist.draw(renderer)
        width, height = self.canvas.get_width_height()
        image = Image.frombuffer("RGBA", (width, height), self.canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
        buffer = io.BytesIO()
        image.save(buffer, format="png", compress_level=1)
        return buffer.getvalue()


def live_explorer(plot: ExplorerPlot, controls: dict[str, "ipywidgets.Widget"]) -> "ipywidgets.Widget":
    """Wrap an explorer plot with its controls: any change calls ``plot.update(**values)`` and shows the frame.

    ``controls`` maps the keyword arguments of ``plot.update`` to widgets (sliders, dropdowns). The
    frame is shown in an ``ipywidgets.Image``, so a move costs one blitted PNG render (see
    :class:`FrameRenderer`) and the page does not flicker. The figure is closed for pyplot so the
    notebook does not show it a second time at the end of the cell.
    """
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    if not controls:
        raise ValueError("controls must name at least one widget")
    plt.close(plot.fig)
    renderer = FrameRenderer(plot.fig, plot.dynamic_artists)
    image = widgets.Image(value=renderer.render(), format="png")

    def show(change: dict) -> None:
        plot.update(**{name: widget.value for name, widget in controls.items()})
        image.value = renderer.render()

    for widget in controls.values():
        widget.observe(show, names="value")
    return widgets.VBox([*controls.values(), image])


def log_slider(value: float, low: float, high: float, step: float, description: str,
               name: str = "value") -> "ipywidgets.Widget":
    """A base-10 log slider from ``low`` to ``high`` in steps of ``step`` decades, starting at ``value``.

    The start value is snapped to the slider's grid, so the readout and the plot agree. ``name`` is
    the argument named in the error when ``value`` is out of range.
    """
    import ipywidgets as widgets

    exponent = np.log10(float(v.in_range(value, name, low, high)))
    return widgets.FloatLogSlider(
        value=float(10 ** (np.round(exponent / step) * step)),
        base=10,
        min=np.log10(low),
        max=np.log10(high),
        step=step,
        description=description,
        readout_format=".3g",
        continuous_update=True,
        style={"description_width": "initial"},
        layout=widgets.Layout(width="520px"),
    )
