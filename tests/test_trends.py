"""lectures_lib.trends: the training-compute trend, the frontier records and what a run costs.

Published: Epoch AI's rates (4-5x a year, May 2024 report; 4.6x a year since 2010, data insight) [V-A];
Llama 3.1 405B's 3.8e25 FLOPs on 15.6T tokens (Dubey et al. 2024, Sec. 1) [V-P]; Gopher's 5.76e23 FLOPs
(Hoffmann et al. 2022, Fig. 2) [V-P]. Estimates by outsiders (GPT-4, Gemini 1.0 Ultra) must stay labelled so.
"""

import math

import numpy as np
import pytest

from lectures_lib import compute, trends


def test_published_rates_and_budgets():
    assert trends.EPOCH_2024_GROWTH_PER_YEAR == (4.0, 5.0) and trends.EPOCH_GROWTH_SINCE_2010 == 4.6
    assert trends.LLAMA31_405B_FLOPS == 3.8e25
    assert (trends.LLAMA31_405B_PARAMS, trends.LLAMA31_405B_TOKENS) == (405e9, 15.6e12)
    assert trends.get_record("Gopher").flops == 5.76e23 and trends.get_record("Gopher").kind == "disclosed"


def test_disclosed_budget_is_close_to_6nd():  # 6 x 405e9 x 15.6e12 = 3.79e25, the paper says 3.8e25
    six_nd = compute.training_flops(trends.LLAMA31_405B_PARAMS, trends.LLAMA31_405B_TOKENS)
    assert six_nd == 6 * 405e9 * 15.6e12 and abs(six_nd / trends.LLAMA31_405B_FLOPS - 1) < 0.01


def test_estimates_are_labelled_as_estimates():
    for name in ("GPT-4", "Gemini 1.0 Ultra"):
        record = trends.get_record(name)
        assert record.kind == "estimated" and record.status == "V-S" and "Epoch" in record.source
    assert {r.kind for r in trends.FRONTIER_COMPUTE} == set(trends.KINDS)
    for record in trends.FRONTIER_COMPUTE:
        if record.kind == "computed":
            assert record.source.startswith("6ND")


def test_computed_records_are_6nd_of_the_published_sizes():  # 6 x 175e9 x 300e9 = 3.15e23; 6 x 70e9 x 15e12
    assert trends.get_record("GPT-3").flops == pytest.approx(6 * 175e9 * 300e9, rel=1e-12)
    assert trends.get_record("Chinchilla").flops == pytest.approx(6 * 70e9 * 1.4e12, rel=1e-12)
    assert trends.get_record("Llama 3 70B").flops == pytest.approx(6.3e24, rel=1e-12)
    years = [r.year for r in trends.FRONTIER_COMPUTE]
    assert years == sorted(years)


def test_every_year_says_where_it_comes_from():
    # each dated_by names a day "D Mon YYYY"; the decimal year must be that day to within 0.05 year
    import datetime
    import re

    for record in trends.FRONTIER_COMPUTE:
        found = re.search(r"(\d{1,2}) ([A-Z][a-z]{2}) (\d{4})", record.dated_by)
        assert found, f"{record.name} has no announcement date in dated_by"
        day = datetime.datetime.strptime(" ".join(found.groups()), "%d %b %Y")
        decimal = day.year + (day.timetuple().tm_yday - 0.5) / 365
        assert abs(record.year - decimal) <= 0.05, record.name


def test_doubling_time():  # 4.6x a year is a doubling every 5.45 months (Epoch: "roughly every five months")
    assert round(trends.doubling_time_months(4.6), 2) == 5.45
    assert trends.doubling_time_months(2.0) == pytest.approx(12.0)
    np.testing.assert_allclose(trends.doubling_time_months([4.0, 5.0]), [6.0, 12 * math.log(2) / math.log(5)])


def test_trend_and_its_inverse():
    years = np.array([2020.0, 2022.5, 2030.0])
    flops = trends.trend_flops(years, 2020.0, 1e23, 4.0)
    np.testing.assert_allclose(flops, 1e23 * 4.0 ** (years - 2020.0), rtol=1e-12)
    np.testing.assert_allclose(trends.year_for_flops(flops, 2020.0, 1e23, 4.0), years, rtol=1e-12)
    assert trends.year_for_flops(4e23, 2020.0, 1e23, 4.0) == pytest.approx(2021.0)
    assert trends.implied_growth_per_year(1e23, 2020, 1.6e24, 2022) == pytest.approx(4.0)


def test_accelerator_hours_and_cost():  # 3.6e21 FLOPs at 1e15 FLOP/s and 50%: 7.2e6 s = 2,000 hours
    assert trends.accelerator_hours(3.6e21, 1e15, 0.5) == pytest.approx(2000.0)
    hours, dollars, mwh = trends.training_cost(3.6e21, peak_flops_per_second=1e15, utilisation=0.5,
                                               dollars_per_accelerator_hour=2.0, kilowatts_per_accelerator=1.5)
    assert (hours, dollars, mwh) == pytest.approx((2000.0, 4000.0, 3.0))


@pytest.mark.parametrize("call, error, name", [
    (lambda: trends.doubling_time_months(1.0), ValueError, "growth_per_year"),
    (lambda: trends.year_for_flops(1e24, 2020, 1e23, 0.5), ValueError, "growth_per_year"),
    (lambda: trends.year_for_flops(1e24, 2020, 1e23, 1.0), ValueError, "growth_per_year"),
    (lambda: trends.trend_flops(2024.0, 2020, 1e23, 1.0), ValueError, "growth_per_year"),
    (lambda: trends.trend_flops(2024.0, 2020, 1e23, 0.5), ValueError, "growth_per_year"),
    (lambda: trends.doubling_time_months([4.0, 0.9]), ValueError, "growth_per_year"),
    (lambda: trends.trend_flops("2020", 2020, 1e23), TypeError, "year"),
    (lambda: trends.implied_growth_per_year(1e23, 2022, 1e24, 2020), ValueError, "year_after"),
    (lambda: trends.accelerator_hours(1e24, 1e15, 0.0), ValueError, "utilisation"),
    (lambda: trends.accelerator_hours(1e24, 1e15, 1.5), ValueError, "utilisation"),
    (lambda: trends.training_cost(-1.0, peak_flops_per_second=1e15, utilisation=0.4,
                                  dollars_per_accelerator_hour=2, kilowatts_per_accelerator=1), ValueError, "flops"),
    (lambda: trends.ComputeRecord("x", 2020, 1e23, "rumoured", "", ""), ValueError, "kind"),
    (lambda: trends.get_record("GPT-5"), KeyError, "GPT-5"),
])
def test_bad_input_is_named(call, error, name):
    with pytest.raises(error, match=name):
        call()
