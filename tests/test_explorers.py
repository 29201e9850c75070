"""Explorers: the plot follows the slider, frames are real PNGs, the readout states the allocation."""

import inspect

import numpy as np
import pytest
from support import frame_images

from lectures_lib import kaplan
from lectures_lib.explorers import EXPLORERS, explore_kaplan_frontier, plot_kaplan_frontier
from lectures_lib.explorers.core import FrameRenderer

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def test_plot_marks_the_budget():
    plot = plot_kaplan_frontier(10.0)
    x, y = plot.params_point.get_data()
    assert x[0] == 10.0 and y[0] == pytest.approx(kaplan.compute_optimal_params(10.0))
    assert "tokens per parameter" in plot.readout.get_text()
    plot.update(1000.0)
    assert plot.tokens_point.get_data()[1][0] == pytest.approx(kaplan.compute_optimal_tokens(1000.0))
    labels = (plot.ax.get_xlabel(), plot.ax.get_ylabel())
    assert "PF-days" in labels[0] and labels[1]


def test_renderer_frames_change_with_the_budget():
    plot = plot_kaplan_frontier(1.0)
    renderer = FrameRenderer(plot.fig, plot.dynamic_artists)
    first = renderer.render()
    plot.update(1e4)
    second = renderer.render()
    assert first.startswith(PNG_SIGNATURE) and second.startswith(PNG_SIGNATURE)
    assert first != second
    plot.update(1.0)
    assert renderer.render() == first  # the static background is reused exactly


def test_renderer_needs_dynamic_artists():
    plot = plot_kaplan_frontier(1.0)
    with pytest.raises(ValueError, match="dynamic"):
        FrameRenderer(plot.fig, [])


def test_live_explorer_follows_the_slider():
    widget = explore_kaplan_frontier(3645.0)
    slider, image = widget.children
    assert slider.value == pytest.approx(3645.0, rel=1e-12)  # the chapter's value, not a grid neighbour
    before = image.value
    slider.value = 10.0
    assert bytes(image.value) != bytes(before) and bytes(image.value).startswith(PNG_SIGNATURE)


@pytest.mark.parametrize("name", sorted(EXPLORERS))
def test_live_explorer_opens_on_the_value_its_controls_show(name):
    """The controls show the explore function's own defaults, and the image is the figure for exactly those."""
    entry = EXPLORERS[name]
    widget = entry.explore()
    values = widget.control_values()
    defaults = {k: p.default for k, p in inspect.signature(entry.explore).parameters.items()}
    for key, shown in values.items():
        if isinstance(shown, float):
            assert shown == pytest.approx(defaults[key], rel=1e-12), key
        else:
            assert shown == defaults[key], key
    fresh = entry.plot()
    fresh.update(**values)
    assert FrameRenderer(fresh.fig, fresh.dynamic_artists).render() == bytes(widget.children[-1].value)


def test_isoflop_explorer_follows_budget_and_constants():
    from lectures_lib import chinchilla as ch
    from lectures_lib.explorers import explore_isoflop, plot_isoflop

    plot = plot_isoflop(1e21, law=ch.BESIROGLU_2024)
    n_opt, _ = ch.BESIROGLU_2024.compute_optimal(1e21)
    assert plot.selected_minimum.get_data()[0][0] == pytest.approx(n_opt)
    assert plot.readout.get_text().startswith("Besiroglu et al. 2024 (replication)")
    plot.update(1e21, law=ch.HOFFMANN_2022)
    assert plot.selected_minimum.get_data()[0][0] == pytest.approx(ch.HOFFMANN_2022.compute_optimal(1e21)[0])
    assert "tokens per parameter" in plot.readout.get_text()
    widget = explore_isoflop(1e21)
    dropdown, slider, image = widget.children
    before = bytes(image.value)
    dropdown.value = ch.HOFFMANN_2022_UNROUNDED
    after_constants = bytes(image.value)
    slider.value = 1e24
    assert len({before, after_constants, bytes(image.value)}) == 3


def test_lifetime_explorer_follows_both_sliders():
    from lectures_lib.explorers import explore_lifetime, plot_lifetime

    plot = plot_lifetime(70e9, 1e13)
    n_star = plot.lifetime_point.get_data()[0][0]
    assert n_star == pytest.approx(41.6e9, rel=2e-3)  # Sardana et al. 2024, Sec. 3: 41.6B parameters
    assert "saved 11.9%" in plot.readout.get_text()
    widget = explore_lifetime(70e9, 1e13)
    quality, usage, image = widget.children
    frames = {bytes(image.value)}
    usage.value = 1e15
    frames.add(bytes(image.value))
    quality.value = 1e10
    frames.add(bytes(image.value))
    assert len(frames) == 3


@pytest.mark.parametrize("name", sorted(EXPLORERS))
def test_static_explorers_precompute_every_frame(monkeypatch, name):
    import base64
    import re

    import ipywidgets as widgets
    from ipywidgets.widgets.widget import _instances
    from ipywidgets.widgets.widget_link import Link

    from lectures_lib.explorers.core import explorer_mode

    monkeypatch.setenv("LECTURES_LIB_EXPLORERS", "static")
    assert explorer_mode() == "static"
    widget = EXPLORERS[name].explore()
    frames = frame_images(widget)
    pickers = [c for c in widget.children if not isinstance(c, widgets.Stack)]
    expected_frames = int(np.prod([len(p.options) for p in pickers]))
    keys = {re.search(r'data-frame="([^"]+)"', f).group(1) for f in frames}
    assert len(frames) == len(keys) == expected_frames           # one frame per combination of control values
    assert all(re.search(r'alt="[^"]{20,}"', f) for f in frames)  # each frame described
    raw = sum(len(base64.b64decode(re.search(r"base64,([^\"]+)\"", f).group(1))) for f in frames)
    assert raw <= 500_000
    assert "lectures-explorer" in widget._dom_classes
    stack = next(c for c in widget.children if isinstance(c, widgets.Stack))
    assert stack.selected_index == pickers[0].index               # opens on the chapter's value
    links = [w for w in _instances.values() if isinstance(w, Link)]
    assert any(link.source == (pickers[0], "index") and link.target == (stack, "selected_index") for link in links)


def test_static_explorer_opens_on_the_exact_start(monkeypatch):
    from lectures_lib.explorers import explore_kaplan_frontier

    monkeypatch.setenv("LECTURES_LIB_EXPLORERS", "static")
    slider = explore_kaplan_frontier(3645.8).children[0]
    assert slider.label == "3.65e+03 PF-days"


def test_controls_are_validated():
    from lectures_lib.explorers.core import Control, log_control

    with pytest.raises(ValueError, match="kind"):
        Control("x", "x", "linear", (1, 2), ("1", "2"), 1)
    with pytest.raises(ValueError, match="grid"):
        Control("x", "x", "log", (1.0,), ("1",), 1.0)
    with pytest.raises(ValueError, match="start"):
        log_control("start", "x", 1.0, 10.0, 2, 100.0, "{:g}")


def test_format_count():
    from lectures_lib.plotting import format_count

    assert [format_count(x) for x in (175e9, 1.4e12, 1e15, 512)] == ["175B", "1.4T", "1,000T", "512"]


def test_floor_explorer():
    from lectures_lib.explorers import explore_floor_fit, law_with_floor, plot_floor_fit

    law = law_with_floor(0.34, 1.69)
    assert law(1e6) == pytest.approx(4.0) and law.floor == 1.69
    plot = plot_floor_fit(0.34, 1.69)
    assert "straight-line exponent 0.105" in plot.readout.get_text()  # far below the true 0.34
    plot.update(0.34, 0.0)
    assert "straight-line exponent 0.340" in plot.readout.get_text()  # no floor: the line is exact
    slope, floors, image = explore_floor_fit().children
    before = bytes(image.value)
    floors.value = 0.5
    assert bytes(image.value) != before
    with pytest.raises(ValueError, match="floor"):
        explore_floor_fit(floor=0.7)


def test_controls_fit_a_narrow_column(monkeypatch):
    """No control has a fixed width: at 400 px the slider and its readout shrink into the column."""
    import ipywidgets as widgets

    from lectures_lib.explorers.core import CONTROL_MAX_WIDTH

    for mode in ("live", "static"):
        monkeypatch.setenv("LECTURES_LIB_EXPLORERS", mode)
        for name in sorted(EXPLORERS):
            controls = [c for c in EXPLORERS[name].explore().children
                        if not isinstance(c, widgets.Image | widgets.Stack)]
            assert controls, name
            for control in controls:
                assert control.layout.width == "100%", (mode, name, control.description)
                assert control.layout.max_width == CONTROL_MAX_WIDTH


def test_floor_explorer_frames_keep_the_measured_window(monkeypatch):
    """The text points at the measured window: its edges survive the website's 16-colour frames."""
    import base64
    import io
    import re

    from PIL import Image

    from lectures_lib.explorers.power_laws import WINDOW

    monkeypatch.setenv("LECTURES_LIB_EXPLORERS", "static")
    plot = EXPLORERS["explore_floor_fit"].plot()
    frame = frame_images(EXPLORERS["explore_floor_fit"].explore())[0]
    image = Image.open(io.BytesIO(base64.b64decode(re.search(r"base64,([^\"]+)\"", frame).group(1)))).convert("RGB")
    pixels = np.asarray(image).astype(int)
    plot.fig.canvas.draw()
    height = pixels.shape[0]
    for edge in WINDOW:
        x, y = plot.ax.transData.transform((edge, 1.0))  # below the label and above the legend
        column, row = int(round(x)), int(round(height - y))
        edge_colour = pixels[row, column - 1:column + 2].min(axis=0)
        beside = pixels[row, column + 8]
        assert np.abs(edge_colour - beside).sum() > 60, edge  # a visible line, not merged into the background
    assert any(t.get_text() == "measured window" for t in plot.ax.texts)


def test_house_style_text_is_at_least_nine_points():
    import matplotlib as mpl

    from lectures_lib.explorers import plot_floor_fit
    from lectures_lib.plotting import MIN_FONT_SIZE, use_house_style

    use_house_style()
    plot = plot_floor_fit()
    plot.fig.canvas.draw()
    texts = [t for t in plot.fig.findobj(mpl.text.Text) if t.get_text() and t.get_visible()]
    assert texts and min(t.get_fontsize() for t in texts) >= MIN_FONT_SIZE


def _shown_labels(axis):
    low, high = sorted(axis.get_view_interval())
    return [label.get_text() for tick, label in zip(axis.get_majorticklocs(), axis.get_majorticklabels(), strict=True)
            if low * (1 - 1e-9) <= tick <= high * (1 + 1e-9)]


@pytest.mark.parametrize(("limits", "expected"), [
    ((1e6, 1e12), ["$10^{6}$", "$10^{7}$", "$10^{8}$", "$10^{9}$", "$10^{10}$", "$10^{11}$", "$10^{12}$"]),
    ((0.3, 5.0), ["0.5", "1", "2", "5"]),                        # one decade: 1-2-5 steps, plain numbers
    ((1.7, 4.0), ["2", "3", "4"]),                               # less than a decade: no "3.75x10^0"
    ((1e-3, 1e6), ["$10^{-2}$", "$10^{0}$", "$10^{2}$", "$10^{4}$", "$10^{6}$"]),  # nine decades: every second
    ((1.0, 1e4), ["1", "10", "100", "1000", "10000"]),
    ((1e-6, 1e12), ["$10^{-6}$", "$10^{-3}$", "$10^{0}$", "$10^{3}$", "$10^{6}$", "$10^{9}$", "$10^{12}$"]),
])
def test_readable_log_ticks(limits, expected):
    import matplotlib.pyplot as plt

    from lectures_lib.plotting import label_axes, new_axes

    fig, ax = new_axes()
    ax.plot(limits, limits)
    label_axes(ax, "x", "y", loglog=True)
    ax.set_xlim(*limits)
    ax.set_ylim(*limits)
    fig.canvas.draw()
    assert _shown_labels(ax.xaxis) == expected
    assert _shown_labels(ax.yaxis) == expected
    assert not any(label.get_text() for label in ax.xaxis.get_minorticklabels())
    plt.close(fig)


def test_readable_log_ticks_leaves_linear_axes_and_checks_its_arguments():
    import matplotlib.pyplot as plt
    from matplotlib.ticker import ScalarFormatter

    from lectures_lib.plotting import new_axes, readable_log_ticks

    fig, ax = new_axes()
    ax.set_yscale("log")
    readable_log_ticks(ax)
    assert isinstance(ax.xaxis.get_major_formatter(), ScalarFormatter)   # linear: untouched
    assert not isinstance(ax.yaxis.get_major_formatter(), ScalarFormatter)
    with pytest.raises(ValueError, match="axis"):
        readable_log_ticks(ax, axis="z")
    with pytest.raises(ValueError, match="max_ticks"):
        readable_log_ticks(ax, max_ticks=1)
    plt.close(fig)


def test_labels_write_subscripts_as_math():
    import matplotlib.pyplot as plt

    from lectures_lib.plotting import label_axes, math_subscripts, new_axes

    assert math_subscripts("compute C_min (PF-days)") == r"compute $C_\mathrm{min}$ (PF-days)"
    assert math_subscripts("N_c and D_c") == "$N_c$ and $D_c$"
    assert math_subscripts(r"$C_\mathrm{min}$ kept") == r"$C_\mathrm{min}$ kept"
    assert math_subscripts("a file_name stays") == "a file_name stays"
    with pytest.raises(TypeError, match="text"):
        math_subscripts(3)
    fig, ax = new_axes()
    label_axes(ax, "compute C_min (PF-days)", "L(C_min)", "B_crit")
    assert "_" not in ax.get_xlabel().replace(r"_\mathrm", "")
    assert ax.get_title() == r"$B_\mathrm{crit}$"
    plt.close(fig)


#: For each explorer whose plot precomputes its curves, the functions (module path, name) its ``update`` must not
#: call: the simulations and tables belong to ``plot_<thing>``, so that a slider move only moves artists.
PRECOMPUTED = {
    "explore_routing": [("lectures_lib.explorers.moe", "simulate_router"),
                        ("lectures_lib.explorers.moe", "balancing_history")],
    "explore_zipf": [("lectures_lib.frequency", "zipf_probabilities"),
                     ("lectures_lib.frequency", "accuracy_by_frequency")],
    "explore_sampling": [("lectures_lib.explorers.test_time", "_accuracy_curves"),
                         ("lectures_lib.explorers.test_time", "simulate_majority_vote"),
                         ("lectures_lib.explorers.test_time", "best_of_n_accuracy")],
    "explore_context": [("lectures_lib.explorers.context", "block_params"),
                        ("lectures_lib.explorers.context", "weight_bytes")],
    "explore_quantization": [("lectures_lib.explorers.quantization", "quantization_table"),
                             ("lectures_lib.quantization", "quantize"),
                             ("lectures_lib.explorers.quantization", "train_tiny_lm")],
}


@pytest.mark.parametrize("name", sorted(PRECOMPUTED))
def test_updates_over_the_control_grid_only_move_artists(monkeypatch, name):
    import importlib
    import itertools

    entry = EXPLORERS[name]
    module = importlib.import_module(entry.explore.__module__)
    monkeypatch.setattr(module, "make_explorer", lambda plot, controls: (plot, controls))
    plot, controls = entry.explore()

    def forbidden(*args, **kwargs):
        raise AssertionError("update called simulation code")

    for path, attribute in PRECOMPUTED[name]:
        monkeypatch.setattr(importlib.import_module(path), attribute, forbidden)
    for values in itertools.product(*(c.grid for c in controls)):
        plot.update(**dict(zip((c.name for c in controls), values, strict=True)))


def test_zipf_explorer_matches_the_library():
    from lectures_lib import frequency as fq
    from lectures_lib.explorers.frequency import CLASS_EDGES, EXPLORER_FACTS, plot_zipf

    plot = plot_zipf(2.0, 1e2)
    theta = fq.zipf_probabilities(EXPLORER_FACTS, 2.0)
    for capacity in (1e2, 3162.0, 1e5):
        plot.update(2.0, capacity)
        lower, accuracy = fq.accuracy_by_frequency(theta, plot.samples[-1], CLASS_EDGES, capacity=int(capacity))
        assert np.array_equal(plot.limited_accuracy.get_xdata(), lower)
        assert np.array_equal(plot.limited_accuracy.get_ydata(), accuracy)
        assert np.array_equal(plot.limited.get_ydata(), fq.expected_error(theta, plot.samples, capacity=int(capacity)))


def test_sampling_plot_offers_only_the_precomputed_means():
    from lectures_lib.explorers.test_time import MEAN_CHOICES, plot_sampling

    plot = plot_sampling(0.2, 10.0)
    assert set(plot.curves) == set(MEAN_CHOICES)
    with pytest.raises(ValueError, match="mean must be one of"):
        plot.update(0.3, 10.0)
    with pytest.raises(ValueError, match="mean must be one of"):
        plot_sampling(0.3, 10.0)


def test_routing_plot_has_one_bar_per_expert_of_the_run():
    from lectures_lib.explorers.moe import BALANCING_SETTINGS, plot_routing

    plot = plot_routing()
    assert set(plot.histories) == set(BALANCING_SETTINGS)
    n_experts = plot.histories["none"].n_experts
    assert len(plot.kept_bars.patches) == len(plot.dropped_bars.patches) == n_experts
    assert f"({n_experts} experts, top-{plot.histories['none'].top_k})" in plot.describe()
    with pytest.raises(ValueError, match="balancing must be one of"):
        plot.update("sometimes", 1.25)
