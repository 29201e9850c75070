"""The growth of training compute: notable models on a trend, what it costs, and what data it needs.

Every number below says whether it was **disclosed** by the model's authors, **computed** by this book
from disclosed sizes (6 N D, :func:`lectures_lib.compute.training_flops`), or **estimated** by outsiders
(Epoch AI's database), with its source and the status tag of ``book/provenance.md``. An estimate is never
a measurement: Google has not published the training compute of Gemini 1.0 Ultra, nor OpenAI that of
GPT-4.

Sources: Epoch AI, "Training compute of frontier AI models grows by 4-5x per year" (report, May 2024) and
its data insight "compute-trend-post-2010"; Dubey et al. 2024, arXiv 2407.21783 (Llama 3); Hoffmann et al.
2022, arXiv 2203.15556 (Gopher, Chinchilla); Brown et al. 2020 (GPT-3) through Hoffmann et al., Table 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import _validate as v
from ._validate import ArrayLike
from .chinchilla import GOPHER_FLOPS, LLAMA3_PROJECTION
from .models import get_model

#: Epoch AI (report of May 2024): training compute of notable models grew 4 to 5 times a year from 2010 to
#: May 2024 [V-A]. The low and high ends of that range.
EPOCH_2024_GROWTH_PER_YEAR: tuple[float, float] = (4.0, 5.0)
#: Epoch AI's data insight on notable models since 2010: 4.6 times a year [V-A]. Epoch revises it as its
#: database grows; this is the value read for this book (2025).
EPOCH_GROWTH_SINCE_2010: float = 4.6

#: Llama 3.1 405B: 405B parameters on 15.6T tokens, "pre-trained using 3.8 x 10^25 FLOPs" (Dubey et al.
#: 2024, Sec. 1) [V-P]: a disclosed budget, the one of :data:`~lectures_lib.chinchilla.LLAMA3_PROJECTION`.
LLAMA31_405B_PARAMS: float = 405e9
LLAMA31_405B_TOKENS: float = 15.6e12
LLAMA31_405B_FLOPS: float = LLAMA3_PROJECTION[0]

#: Epoch AI's estimates (database entries, not disclosed by the developers) [V-S]: Gemini 1.0 Ultra
#: 5.0e25 FLOPs (an earlier Epoch value was 9e25) and GPT-4 2.1e25 FLOPs.
EPOCH_ESTIMATE_GEMINI_ULTRA_FLOPS: float = 5.0e25
EPOCH_ESTIMATE_GPT4_FLOPS: float = 2.1e25

KINDS = ("disclosed", "computed", "estimated")


@dataclass(frozen=True)
class ComputeRecord:
    """One model's training compute: ``flops``, announced at ``year`` (decimal year), and how it is known.

    ``kind`` is ``"disclosed"`` (the developers state it), ``"computed"`` (6 N D from disclosed N and D) or
    ``"estimated"`` (by outsiders); ``source`` says where, ``status`` is its tag in ``book/provenance.md``.
    ``dated_by`` says where ``year`` comes from: the day of the first public announcement (paper or
    release), as decimal year + day-of-year / 365, rounded to 0.1 (0.05 for Llama 3.1, to keep it apart
    from Llama 3), so each year is good to about a month. These dates are public record, not published
    numbers of REFERENCE.md, and no result of the book depends on them beyond the trend's rough slope.
    """

    name: str
    year: float
    flops: float
    kind: str
    source: str
    status: str
    dated_by: str = ""

    def __post_init__(self) -> None:
        v.positive(self.flops, "flops")
        v.in_range(self.year, "year", 1950.0, 2100.0)
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, got {self.kind!r}")


def _computed(name: str, year: float, dated_by: str) -> ComputeRecord:
    model = get_model(name)
    return ComputeRecord(name, year, model.training_flops, "computed",
                         f"6ND of the sizes in {model.where} [{model.citation}]", model.status, dated_by)


#: Training compute of the models the chapter places on the trend. Years are first-announcement dates,
#: good to about a month; each record's ``dated_by`` names the event.
FRONTIER_COMPUTE: tuple[ComputeRecord, ...] = (
    _computed("GPT-3", 2020.4, "arXiv 2005.14165 v1, 28 May 2020 (2020.40)"),
    ComputeRecord("Gopher", 2021.9, GOPHER_FLOPS, "disclosed", "Hoffmann et al. 2022, Fig. 2 and Table 3", "V-P",
                  "arXiv 2112.11446 and DeepMind's announcement, 8 Dec 2021 (2021.93)"),
    _computed("Chinchilla", 2022.2, "arXiv 2203.15556 v1, 29 Mar 2022 (2022.24)"),
    ComputeRecord("GPT-4", 2023.2, EPOCH_ESTIMATE_GPT4_FLOPS, "estimated", "Epoch AI database", "V-S",
                  "OpenAI's announcement and arXiv 2303.08774, 14 Mar 2023 (2023.20)"),
    ComputeRecord("Gemini 1.0 Ultra", 2023.9, EPOCH_ESTIMATE_GEMINI_ULTRA_FLOPS, "estimated",
                  "Epoch AI database", "V-S",
                  "Google's announcement of Gemini 1.0, 6 Dec 2023 (2023.93); Ultra itself shipped in Feb 2024"),
    _computed("Llama 3 70B", 2024.3, "Meta's release of Llama 3 8B and 70B, 18 Apr 2024 (2024.29)"),
    ComputeRecord("Llama 3.1 405B", 2024.55, LLAMA31_405B_FLOPS, "disclosed", "Dubey et al. 2024, Sec. 1", "V-P",
                  "Meta's release of Llama 3.1, 23 Jul 2024 (2024.56)"),
)


def get_record(name: str) -> ComputeRecord:
    """The record of :data:`FRONTIER_COMPUTE` called ``name``, or a ``KeyError`` listing the names."""
    if not isinstance(name, str):
        raise TypeError(f"name must be a string, got {name!r}")
    for record in FRONTIER_COMPUTE:
        if record.name.lower() == name.lower():
            return record
    raise KeyError(f"no record called {name!r}; known: {', '.join(r.name for r in FRONTIER_COMPUTE)}")


def _growth(growth_per_year: ArrayLike, name: str = "growth_per_year") -> np.ndarray:
    """``growth_per_year`` checked: finite factors > 1. A factor of 1 or less is no growth trend (no doubling
    time, no year at which a larger budget is reached), so every function of this module refuses it alike.
    Called as a check of :func:`lectures_lib._validate.scalar` too, hence the ``name`` argument."""
    g = v.positive(growth_per_year, name)
    if (g <= 1).any():
        raise ValueError(f"{name} must be > 1 (a growing trend), got {g[g <= 1].flat[0]:g}")
    return g


def doubling_time_months(growth_per_year: ArrayLike) -> float | np.ndarray:
    """Months for compute to double at ``growth_per_year`` times a year: 12 ln 2 / ln g (g > 1)."""
    g = _growth(growth_per_year)
    return v.scalar_or_array(12 * np.log(2) / np.log(g))


def trend_flops(year: ArrayLike, anchor_year: float, anchor_flops: float,
                growth_per_year: float = EPOCH_GROWTH_SINCE_2010) -> float | np.ndarray:
    """Compute on an exponential trend through (``anchor_year``, ``anchor_flops``): C0 g**(year - year0), g > 1."""
    t = v.finite(year, "year")
    t0 = v.scalar(anchor_year, "anchor_year", v.finite)
    c0 = v.scalar(anchor_flops, "anchor_flops")
    g = v.scalar(growth_per_year, "growth_per_year", _growth)
    return v.scalar_or_array(c0 * g ** (t - t0))


def year_for_flops(flops: ArrayLike, anchor_year: float, anchor_flops: float,
                   growth_per_year: float = EPOCH_GROWTH_SINCE_2010) -> float | np.ndarray:
    """The (decimal) year at which the trend of :func:`trend_flops` reaches ``flops``: t0 + ln(C/C0) / ln g."""
    c = v.positive(flops, "flops")
    t0 = v.scalar(anchor_year, "anchor_year", v.finite)
    c0 = v.scalar(anchor_flops, "anchor_flops")
    g = v.scalar(growth_per_year, "growth_per_year", _growth)
    return v.scalar_or_array(t0 + np.log(c / c0) / np.log(g))


def implied_growth_per_year(flops_before: ArrayLike, year_before: ArrayLike, flops_after: ArrayLike,
                            year_after: ArrayLike) -> float | np.ndarray:
    """The yearly growth factor that takes ``flops_before`` to ``flops_after`` between two dates:
    (C1 / C0) ** (1 / (t1 - t0))."""
    c0 = v.positive(flops_before, "flops_before")
    c1 = v.positive(flops_after, "flops_after")
    t0 = v.finite(year_before, "year_before")
    t1 = v.finite(year_after, "year_after")
    if (t1 <= t0).any():
        raise ValueError("year_after must be later than year_before")
    return v.scalar_or_array((c1 / c0) ** (1 / (t1 - t0)))


def accelerator_hours(flops: ArrayLike, peak_flops_per_second: float, utilisation: float) -> float | np.ndarray:
    """Accelerator-hours to deliver ``flops`` FLOPs on chips of ``peak_flops_per_second`` used at ``utilisation``
    of their peak (model FLOPs utilisation, 0 < u <= 1; Llama 3 405B reached 0.38-0.43, Dubey et al. 2024,
    Table 4)."""
    c = v.positive(flops, "flops")
    peak = v.scalar(peak_flops_per_second, "peak_flops_per_second")
    u = v.scalar(utilisation, "utilisation", v.in_range, 0.0, 1.0, low_open=True)
    return v.scalar_or_array(c / (peak * u) / 3600)


def training_cost(flops: ArrayLike, *, peak_flops_per_second: float, utilisation: float,
                  dollars_per_accelerator_hour: float, kilowatts_per_accelerator: float
                  ) -> tuple[float | np.ndarray, float | np.ndarray, float | np.ndarray]:
    """``(accelerator_hours, dollars, megawatt_hours)`` of a training run of ``flops`` FLOPs.

    Every price and power is the caller's stated assumption (rental price per accelerator-hour; power
    per accelerator including its share of the server and cooling), not a measured cost.
    """
    hours = np.asarray(accelerator_hours(flops, peak_flops_per_second, utilisation))
    price = v.scalar(dollars_per_accelerator_hour, "dollars_per_accelerator_hour", v.non_negative)
    power = v.scalar(kilowatts_per_accelerator, "kilowatts_per_accelerator", v.non_negative)
    return v.scalar_or_array(hours), v.scalar_or_array(hours * price), v.scalar_or_array(hours * power / 1000)
