"""Interactive explorers: a pure ``plot_<thing>(..., ax=None)`` that returns a handle with
``update(**values)`` and the tuple of artists it moves, and a thin ``explore_<thing>()`` that wraps it
with widgets.

A handle redraws by moving its artists (``set_data``, ``set_text``), never by building a new figure,
so one slider step costs one blitted PNG render (:class:`~.core.FrameRenderer`). ipywidgets is imported
only inside the wrappers, so the library imports without it.

``EXPLORERS`` names every explorer a chapter shows, with the chapter it belongs to; tests and
benchmarks iterate over it, so a new explorer is registered here and nowhere else.
"""

from collections.abc import Callable
from typing import NamedTuple

from .chinchilla import explore_isoflop, plot_isoflop
from .context import explore_context, plot_context
from .frequency import explore_zipf, plot_zipf
from .kaplan import explore_kaplan_frontier, plot_kaplan_frontier
from .lifetime import explore_lifetime, plot_lifetime
from .moe import explore_routing, plot_routing
from .power_laws import explore_floor_fit, law_with_floor, plot_floor_fit
from .quantization import explore_quantization, plot_quantization
from .test_time import explore_sampling, plot_sampling


class Explorer(NamedTuple):
    """A registered explorer: its chapter (notebook stem), its widget factory and its pure plot function."""

    chapter: str
    explore: Callable
    plot: Callable


#: Every explorer in the book, by the name of its ``explore_<thing>`` function.
EXPLORERS: dict[str, Explorer] = {
    "explore_floor_fit": Explorer("00_power_laws", explore_floor_fit, plot_floor_fit),
    "explore_kaplan_frontier": Explorer("01_kaplan", explore_kaplan_frontier, plot_kaplan_frontier),
    "explore_isoflop": Explorer("02_chinchilla", explore_isoflop, plot_isoflop),
    "explore_lifetime": Explorer("03_chinchilla_trap", explore_lifetime, plot_lifetime),
    "explore_sampling": Explorer("04_test_time_compute", explore_sampling, plot_sampling),
    "explore_routing": Explorer("05_mixture_of_experts", explore_routing, plot_routing),
    "explore_quantization": Explorer("06_quantization", explore_quantization, plot_quantization),
    "explore_zipf": Explorer("07_why_power_laws", explore_zipf, plot_zipf),
    "explore_context": Explorer("08_whats_next", explore_context, plot_context),
}

__all__ = [
    "EXPLORERS",
    "Explorer",
    "explore_floor_fit",
    "explore_context",
    "explore_isoflop",
    "explore_kaplan_frontier",
    "explore_lifetime",
    "explore_quantization",
    "explore_routing",
    "explore_sampling",
    "explore_zipf",
    "law_with_floor",
    "plot_floor_fit",
    "plot_context",
    "plot_isoflop",
    "plot_kaplan_frontier",
    "plot_lifetime",
    "plot_quantization",
    "plot_routing",
    "plot_sampling",
    "plot_zipf",
]
