"""Explorers: the plot follows the slider, frames are real PNGs, the readout states the allocation."""

import numpy as np
import pytest

from lectures_lib import kaplan
from lectures_lib.explorers import FrameRenderer, explore_kaplan_frontier, plot_kaplan_frontier

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
    assert np.log10(slider.value) == pytest.approx(3.6)  # snapped to the slider's grid of 0.1 decade
    before = image.value
    slider.value = 10.0
    assert bytes(image.value) != bytes(before) and bytes(image.value).startswith(PNG_SIGNATURE)


def test_isoflop_explorer_follows_budget_and_constants():
    from lectures_lib import chinchilla as ch
    from lectures_lib.explorers import explore_isoflop, plot_isoflop

    plot = plot_isoflop(1e21, "Besiroglu et al. 2024 (replication)")
    n_opt, _ = ch.BESIROGLU_2024.compute_optimal(1e21)
    assert plot.selected_minimum.get_data()[0][0] == pytest.approx(n_opt)
    plot.update(1e21, "Hoffmann et al. 2022 (rounded, as printed)")
    assert plot.selected_minimum.get_data()[0][0] == pytest.approx(ch.HOFFMANN_2022.compute_optimal(1e21)[0])
    assert "tokens per parameter" in plot.readout.get_text()
    widget = explore_isoflop(1e21)
    slider, dropdown, image = widget.children
    before = bytes(image.value)
    dropdown.value = "Hoffmann et al. 2022 (unrounded)"
    after_constants = bytes(image.value)
    slider.value = 1e24
    assert len({before, after_constants, bytes(image.value)}) == 3


def test_lifetime_explorer_follows_both_sliders():
    from lectures_lib import inference as inf
    from lectures_lib.explorers import explore_lifetime, plot_lifetime

    plot = plot_lifetime(70e9, 1e13)
    n_star = plot.lifetime_point.get_data()[0][0]
    assert n_star == pytest.approx(41.55e9, rel=2e-3)
    assert "saved 11.9%" in plot.readout.get_text()
    widget = explore_lifetime(70e9, 1e13)
    quality, usage, image = widget.children
    frames = {bytes(image.value)}
    usage.value = 1e15
    frames.add(bytes(image.value))
    quality.value = 1e10
    frames.add(bytes(image.value))
    assert len(frames) == 3
    assert inf.lifetime_optimal  # the explorer is built on the library's solver
