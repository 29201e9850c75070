"""The machinery shared by every explorer: fast frame rendering, and widgets that work both in a
live Jupyter kernel and on the static website.

Two modes, one call (:func:`make_explorer`):

* **live** (the default, in Jupyter): sliders and drop-downs call ``plot.update(**values)`` and the
  new frame is rendered at once, for any value the student picks;
* **static** (when the environment variable ``LECTURES_LIB_EXPLORERS`` is ``static``, which the book
  build sets for the kernels that execute the chapters): one frame is rendered per point of a small
  grid of control values, the frames become the children of nested ``ipywidgets.Stack`` widgets, and
  each control's ``index`` is linked to its stacks with ``ipywidgets.jslink``. The links live in the
  browser, so on the website the sliders switch frames with no kernel behind the page.
"""

from __future__ import annotations

import base64
import html
import io
import itertools
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Protocol

import numpy as np
from matplotlib.artist import Artist
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text
from PIL import Image

from .. import _validate as v

if TYPE_CHECKING:  # pragma: no cover
    import ipywidgets

#: The environment variable that selects the explorers' mode, and its value for the website.
MODE_VARIABLE = "LECTURES_LIB_EXPLORERS"
STATIC = "static"
#: Colours kept in a static frame: an indexed PNG of 16 colours is about a quarter of the full-colour size
#: and keeps the text and lines of these figures legible.
STATIC_COLOURS = 16
#: CSS class of every explorer's outer box (the browser test looks for it).
EXPLORER_CLASS = "lectures-explorer"


class ExplorerPlot(Protocol):
    """What an explorer needs from a plot: its figure, the artists that move, an update and a description."""

    fig: Figure

    @property
    def dynamic_artists(self) -> tuple[Artist, ...]: ...

    def update(self, **values: object) -> None: ...

    def describe(self) -> str: ...


class ReadoutDescription:
    """Mixin for plot handles with a ``readout`` text: the alt text is a title plus the readout in one line."""

    TITLE: ClassVar[str] = ""
    readout: Text

    def describe(self) -> str:
        """The frame in words, for its alt text."""
        return f"{self.TITLE} " + " ".join(self.readout.get_text().split())


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

    def render(self, colours: int | None = None) -> bytes:
        """The current state of the figure as PNG bytes; with ``colours``, as a palette PNG of that many colours."""
        self.canvas.restore_region(self._background)
        renderer = self.canvas.get_renderer()
        for artist in self.dynamic:
            artist.draw(renderer)
        width, height = self.canvas.get_width_height()
        image = Image.frombuffer("RGBA", (width, height), self.canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
        buffer = io.BytesIO()
        if colours is None:
            image.save(buffer, format="png", compress_level=1)
        else:
            image.convert("RGB").quantize(colors=colours, method=Image.Quantize.FASTOCTREE).save(
                buffer, format="png", compress_level=6)
        return buffer.getvalue()


@dataclass(frozen=True)
class Control:
    """One control of an explorer: the keyword of ``plot.update`` it sets, and its values.

    ``kind`` is ``"log"`` (a log-scale slider; ``grid`` lists the values drawn for the website and
    the live slider moves in steps of ``step`` decades between the grid's ends) or ``"choice"``
    (a drop-down over ``grid``). ``labels`` are the readouts of the grid values.
    """

    name: str
    description: str
    kind: str
    grid: tuple
    labels: tuple[str, ...]
    start: object
    step: float = 0.1

    def __post_init__(self) -> None:
        if self.kind not in ("log", "choice"):
            raise ValueError(f"kind must be 'log' or 'choice', got {self.kind!r}")
        if len(self.grid) < 2 or len(self.grid) != len(self.labels):
            raise ValueError("grid needs at least two values and one label per value")

    def start_index(self) -> int:
        """The grid position nearest to ``start``."""
        if self.kind == "choice":
            return list(self.grid).index(self.start)
        logs = np.log10(np.asarray(self.grid, dtype=float))
        return int(np.argmin(np.abs(logs - np.log10(float(self.start)))))


def log_control(name: str, description: str, low: float, high: float, per_decade: float, start: float,
                label: str | Callable[[float], str], step: float = 0.1) -> Control:
    """A log-scale :class:`Control` with ``per_decade`` website frames per decade between ``low`` and ``high``.

    The grid point nearest ``start`` is replaced by ``start`` itself, so the website opens on exactly
    the value the chapter discusses. ``label`` formats a value for the readout: a format string such
    as ``"{:.3g} FLOPs"`` or a function.
    """
    formatter = label.format if isinstance(label, str) else label
    v.in_range(start, name, low, high)
    count = int(round(np.log10(high / low) * per_decade)) + 1
    grid = np.logspace(np.log10(low), np.log10(high), count)
    grid[0], grid[-1] = low, high  # exact ends: logspace can land a rounding error outside them
    grid[np.argmin(np.abs(np.log10(grid) - np.log10(start)))] = start
    return Control(name, description, "log", tuple(float(x) for x in grid),
                   tuple(formatter(float(x)) for x in grid), float(start), step)


def explorer_mode() -> str:
    """``"static"`` when the environment asks for website frames, ``"live"`` otherwise."""
    return STATIC if os.environ.get(MODE_VARIABLE, "").strip().lower() == STATIC else "live"


def make_explorer(plot: ExplorerPlot, controls: Sequence[Control]) -> "ipywidgets.Widget":
    """The explorer widget for ``plot``: live in a kernel, precomputed frames for the website (see the module)."""
    if not controls:
        raise ValueError("controls must list at least one Control")
    if explorer_mode() == STATIC:
        return static_explorer(plot, controls)
    return live_explorer(plot, {c.name: _live_widget(c) for c in controls})


def _live_widget(control: Control) -> "ipywidgets.Widget":
    import ipywidgets as widgets

    if control.kind == "choice":
        return widgets.Dropdown(options=list(zip(control.labels, control.grid, strict=True)), value=control.start,
                                description=control.description,
                                style={"description_width": "initial"}, layout=_control_layout())
    return log_slider(control.start, control.grid[0], control.grid[-1], control.step, control.description,
                      name=control.name)


#: The widest a control grows (the frames are at most this wide too); below it a control fills the column.
CONTROL_MAX_WIDTH = "640px"


def _control_layout() -> "ipywidgets.Layout":
    """A control as wide as the column, up to :data:`CONTROL_MAX_WIDTH`: at 400 px the slider and readout fit."""
    import ipywidgets as widgets

    return widgets.Layout(width="100%", max_width=CONTROL_MAX_WIDTH)


def _frame_html(png: bytes, alt: str, key: str, width: int) -> str:
    data = base64.b64encode(png).decode("ascii")
    return (f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt, quote=True)}" '
            f'data-frame="{key}" style="max-width:100%;width:{width}px">')


def static_explorer(plot: ExplorerPlot, controls: Sequence[Control]) -> "ipywidgets.Widget":
    """Precomputed frames in nested ``Stack`` widgets, switched in the browser by ``jslink`` (at most two controls).

    Every frame is rendered by updating the plot's artists (:class:`FrameRenderer`), saved as a
    palette PNG and shown as an ``<img>`` whose alt text describes it and whose ``data-frame``
    attribute holds its grid indices (``"i"`` or ``"i,j"``).
    """
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    if not 1 <= len(controls) <= 2:
        raise ValueError(f"a static explorer takes one or two controls, got {len(controls)}")
    plt.close(plot.fig)
    renderer = FrameRenderer(plot.fig, plot.dynamic_artists)
    width = renderer.canvas.get_width_height()[0]
    frames: dict[tuple[int, ...], widgets.HTML] = {}
    for indices in itertools.product(*(range(len(c.grid)) for c in controls)):
        plot.update(**{c.name: c.grid[i] for c, i in zip(controls, indices, strict=True)})
        key = ",".join(str(i) for i in indices)
        frames[indices] = widgets.HTML(_frame_html(renderer.render(STATIC_COLOURS), plot.describe(), key, width))
    pickers = []
    for control in controls:
        layout = _control_layout()
        style = {"description_width": "initial"}
        if control.kind == "choice":
            picker = widgets.Dropdown(options=list(control.labels), index=control.start_index(),
                                      description=control.description, style=style, layout=layout)
        else:
            picker = widgets.SelectionSlider(options=list(control.labels), index=control.start_index(),
                                             description=control.description, continuous_update=True,
                                             style=style, layout=layout)
        pickers.append(picker)
    if len(controls) == 1:
        stack = widgets.Stack([frames[(i,)] for i in range(len(controls[0].grid))],
                              selected_index=controls[0].start_index())
        widgets.jslink((pickers[0], "index"), (stack, "selected_index"))
    else:
        inner_stacks = []
        for i in range(len(controls[0].grid)):
            inner = widgets.Stack([frames[(i, j)] for j in range(len(controls[1].grid))],
                                  selected_index=controls[1].start_index())
            widgets.jslink((pickers[1], "index"), (inner, "selected_index"))
            inner_stacks.append(inner)
        stack = widgets.Stack(inner_stacks, selected_index=controls[0].start_index())
        widgets.jslink((pickers[0], "index"), (stack, "selected_index"))
    box = widgets.VBox([*pickers, stack])
    box.add_class(EXPLORER_CLASS)
    return box


def live_explorer(plot: ExplorerPlot, controls: dict[str, "ipywidgets.Widget"]) -> "ipywidgets.Widget":
    """Wrap an explorer plot with its controls: any change calls ``plot.update(**values)`` and shows the frame.

    ``controls`` maps the keyword arguments of ``plot.update`` to widgets (sliders, drop-downs). The
    frame is shown in an ``ipywidgets.Image``, so a move costs one blitted PNG render (see
    :class:`FrameRenderer`) and the page does not flicker. The figure is closed for pyplot so the
    notebook does not show it a second time at the end of the cell.
    """
    import ipywidgets as widgets
    import matplotlib.pyplot as plt

    if not controls:
        raise ValueError("controls must name at least one widget")
    plt.close(plot.fig)

    def current() -> dict[str, object]:
        return {name: widget.value for name, widget in controls.items()}

    plot.update(**current())  # open on exactly what the controls show
    renderer = FrameRenderer(plot.fig, plot.dynamic_artists)
    width, height = renderer.canvas.get_width_height()
    # natural size: in a flex column the image would otherwise stretch to the output's width (blurry, too tall)
    image = widgets.Image(value=renderer.render(), format="png",
                          layout=widgets.Layout(width=f"{width}px", max_width="100%", height="auto"))

    def show(change: dict) -> None:
        plot.update(**current())
        image.value = renderer.render()

    for widget in controls.values():
        widget.observe(show, names="value")
    box = widgets.VBox([*controls.values(), image])
    box.add_class(EXPLORER_CLASS)
    box.control_values = current  # what the controls show, by keyword of ``plot.update`` (the figure shows the same)
    return box


def log_slider(value: float, low: float, high: float, step: float, description: str,
               name: str = "value") -> "ipywidgets.Widget":
    """A base-10 log slider over ``[low, high]`` in steps of ``step`` decades that starts at exactly ``value``.

    The slider's positions are counted in steps from its left end, so that end is placed a whole number
    of steps below ``value`` (and the right end a whole number above it), both inside ``[low, high]``:
    ``value`` is then one of the positions, and the slider shows the value the figure is drawn for.
    ``name`` is the argument named in the error when ``value`` is out of range.
    """
    import ipywidgets as widgets

    start = float(v.in_range(value, name, low, high))
    width = float(v.positive(step, "step"))
    exponent = np.log10(start)
    below = np.floor((exponent - np.log10(low)) / width + 1e-9)
    above = np.floor((np.log10(high) - exponent) / width + 1e-9)
    return widgets.FloatLogSlider(
        value=start,
        base=10,
        min=exponent - below * width,
        max=exponent + above * width,
        step=step,
        description=description,
        readout_format=".3g",
        continuous_update=True,
        style={"description_width": "initial"},
        layout=_control_layout(),
    )
