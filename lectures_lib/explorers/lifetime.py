"""Explorer of inference-aware scaling: the cheapest model to own for a target quality and a usage."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.text import Text

from .. import _validate as v
from ..chinchilla import ChinchillaLaw
from ..lifetime import SARDANA_2024, equal_loss_models, lifetime_flops, lifetime_optimal
from ..plotting import PALETTE, format_count, label_axes, new_axes, readout_box
from .core import ReadoutDescription, log_control, make_explorer

#: Slider ranges: the quality (as the size of a Chinchilla-optimal model) and the lifetime inference tokens.
QUALITY_RANGE: tuple[float, float] = (1e9, 1e12)
INFERENCE_RANGE: tuple[float, float] = (1e9, 1e15)


@dataclass
class LifetimePlot(ReadoutDescription):
    """Handle on the lifetime-cost figure; :meth:`update` sets the quality and the usage."""

    TITLE = "Models of equal loss."

    fig: Figure
    ax: Axes
    iso_loss: Line2D
    path: Line2D
    chinchilla_point: Line2D
    lifetime_point: Line2D
    readout: Text
    law: ChinchillaLaw

    @property
    def dynamic_artists(self) -> tuple[Artist, ...]:
        return (self.iso_loss, self.path, self.chinchilla_point, self.lifetime_point, self.readout)

    def update(self, quality_params: float, inference_tokens: float) -> None:
        """Target: the loss of a compute-optimal model of ``quality_params``; usage: ``inference_tokens``."""
        n_ref = float(v.in_range(quality_params, "quality_params", *QUALITY_RANGE))
        d_inf = float(v.in_range(inference_tokens, "inference_tokens", *INFERENCE_RANGE))
        law = self.law
        d_ref = float(law.tokens_for_params(n_ref))
        target = float(law.loss(n_ref, d_ref))
        self.iso_loss.set_data(*equal_loss_models(target, np.linspace(0.02, 0.98, 300), law=law))
        usages = np.logspace(np.log10(INFERENCE_RANGE[0]), np.log10(INFERENCE_RANGE[1]), 60)
        self.path.set_data(*lifetime_optimal(target, usages, law=law))
        n_star, d_star = lifetime_optimal(target, d_inf, law=law)
        self.chinchilla_point.set_data([n_ref], [d_ref])
        self.lifetime_point.set_data([n_star], [d_star])
        cost_ref = lifetime_flops(n_ref, d_ref, d_inf)
        cost_star = lifetime_flops(n_star, d_star, d_inf)
        self.readout.set_text(
            f"target loss {target:.3f} (compute-optimal {format_count(n_ref)})\n"
            f"usage       {d_inf:.1e} inference tokens\n"
            f"Chinchilla  {format_count(n_ref):>6} on {format_count(d_ref):>6} tokens\n"
            f"lifetime    {format_count(n_star):>6} on {format_count(d_star):>6} tokens"
            f" ({d_star / n_star:,.0f}/param)\n"
            f"lifetime FLOPs saved {100 * (1 - cost_star / cost_ref):.1f}%"
        )


def plot_lifetime(quality_params: float = 70e9, inference_tokens: float = 1e13, ax: Axes | None = None, *,
                  law: ChinchillaLaw = SARDANA_2024) -> LifetimePlot:
    """Model size against training tokens at a fixed target loss under ``law`` (default: Sardana et al. 2024's).

    The grey curve holds every (N, D) reaching the target; the dashed line is where the lifetime
    optimum moves as usage grows; blue marks the Chinchilla-optimal model, orange the cheapest to own.
    """
    if ax is None:
        fig, ax = new_axes((6.6, 4.4))
    else:
        fig = ax.figure
    (iso_loss,) = ax.plot([], [], color=PALETTE["grey"], linewidth=2, label="same loss as the target")
    (path,) = ax.plot([], [], "--", color=PALETTE["red"], linewidth=2, label="lifetime optimum as usage grows")
    (chinchilla_point,) = ax.plot([], [], "o", color=PALETTE["blue"], markersize=9, markeredgecolor="black",
                                  label="compute-optimal (Chinchilla)")
    (lifetime_point,) = ax.plot([], [], "D", color=PALETTE["orange"], markersize=9, markeredgecolor="black",
                                label="cheapest over its life")
    readout = readout_box(ax, "upper right", fontsize=7.5)
    label_axes(ax, "parameters N", "training tokens D", loglog=True)
    ax.set_xlim(1e8, 1e13)
    ax.set_ylim(1e10, 1e17)
    ax.legend(loc="lower left", fontsize=8)
    plot = LifetimePlot(fig, ax, iso_loss, path, chinchilla_point, lifetime_point, readout, v.law(law, ChinchillaLaw))
    plot.update(quality_params, inference_tokens)
    return plot


def explore_lifetime(quality_params: float = 70e9, inference_tokens: float = 1e13, *,
                     law: ChinchillaLaw = SARDANA_2024):
    """Sliders for the target quality (as a compute-optimal model size) and the lifetime inference tokens."""
    quality = log_control("quality_params", "target: compute-optimal size", *QUALITY_RANGE, per_decade=4 / 3,
                          start=quality_params, label=lambda n: f"{format_count(n)} parameters", step=0.25)
    usage = log_control("inference_tokens", "inference tokens", *INFERENCE_RANGE, per_decade=1,
                        start=inference_tokens, label=lambda d: f"{format_count(d)} tokens", step=0.25)
    return make_explorer(plot_lifetime(quality.start, usage.start, law=law), [quality, usage])
