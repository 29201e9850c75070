"""Interactive explorers: a pure ``plot_<thing>(..., ax=None)`` that returns a handle with
``update(**values)`` and the tuple of artists it moves, and a thin ``explore_<thing>()`` that wraps it
with widgets.

A handle redraws by moving its artists (``set_data``, ``set_text``), never by building a new figure,
so one slider step costs one blitted PNG render (:class:`FrameRenderer`). ipywidgets is imported only
inside the wrappers, so the library imports without it.
"""

from .chinchilla import ISOFLOP_EXPLORER_RANGE, IsoFlopPlot, explore_isoflop, plot_isoflop
from .core import (
    MODE_VARIABLE,
    Control,
    ExplorerPlot,
    FrameRenderer,
    ReadoutDescription,
    explorer_mode,
    frame_images,
    live_explorer,
    log_control,
    log_slider,
    make_explorer,
    static_explorer,
)
from .kaplan import KAPLAN_EXPLORER_RANGE, KaplanFrontierPlot, explore_kaplan_frontier, plot_kaplan_frontier
from .lifetime import INFERENCE_RANGE, QUALITY_RANGE, LifetimePlot, explore_lifetime, plot_lifetime
from .power_law import FloorPlot, explore_floor_fit, law_with_floor, plot_floor_fit

__all__ = [
    "MODE_VARIABLE",
    "Control",
    "ReadoutDescription",
    "explorer_mode",
    "frame_images",
    "log_control",
    "make_explorer",
    "static_explorer",
    "ExplorerPlot",
    "FloorPlot",
    "explore_floor_fit",
    "law_with_floor",
    "plot_floor_fit",
    "ISOFLOP_EXPLORER_RANGE",
    "IsoFlopPlot",
    "explore_isoflop",
    "plot_isoflop",
    "FrameRenderer",
    "INFERENCE_RANGE",
    "KAPLAN_EXPLORER_RANGE",
    "LifetimePlot",
    "QUALITY_RANGE",
    "explore_lifetime",
    "plot_lifetime",
    "KaplanFrontierPlot",
    "explore_kaplan_frontier",
    "live_explorer",
    "log_slider",
    "plot_kaplan_frontier",
]
