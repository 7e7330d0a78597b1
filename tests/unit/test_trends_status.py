"""The status vocabulary and the one helper from a fit to a trend row: planted fits and intervals, each with the
status and the reason the tables store."""

from __future__ import annotations

import math

import numpy as np
import pytest

from pipelines.trends import benchmarks, capabilities, inference_prices, test_time
from pipelines.trends.fits import fit_line
from pipelines.trends.status import (
    STATUSES,
    Check,
    Estimate,
    InsufficientData,
    Status,
    estimate_row,
    fewer_than,
    judge,
    judge_each,
    spans_more_than,
    status_columns,
    status_text,
    unbounded,
)

PRICE_COLUMNS = ("factor_per_year", "ci_low", "ci_high")
WIDE = "spans {span:.1f} orders of magnitude"
TOO_FEW = Check(Status.INSUFFICIENT_DATA, (fewer_than(10, "{n} points; a fit needs at least {minimum}"),))


def planted_line(n: int, slope: float = 0.6, noise: float = 0.05, seed: int = 0):
    """A fit of `n` points on a line rising `slope` a year, with a little noise."""
    rng = np.random.default_rng(seed)
    x = np.linspace(2015, 2025, n)
    return fit_line(x, slope * (x - 2015) + rng.normal(0, noise, n), min_points=10)


def test_the_vocabulary_is_six_statuses_each_equal_to_the_text_sql_compares_with() -> None:
    assert [str(s) for s in STATUSES] == [
        "ok",
        "insufficient data",
        "not identified",
        "no clear trend",
        "unstable",
        "no growth",
    ]
    assert Status.OK == "ok" and f"{Status.NOT_IDENTIFIED}" == "not identified"


def test_a_planted_fit_with_a_tight_interval_is_ok_with_its_numbers_and_no_reason() -> None:
    fit = planted_line(40)
    estimate = Estimate(fit.slope_oom_per_year, fit.slope_ci_low, fit.slope_ci_high, n=fit.n)
    row = estimate_row(estimate, (TOO_FEW, *capabilities.ESTIMATE_CHECKS))
    assert row == {
        "estimate": fit.slope_oom_per_year,
        "ci_low": fit.slope_ci_low,
        "ci_high": fit.slope_ci_high,
        "status": Status.OK,
        "status_reason": None,
    }
    assert row["ci_low"] < 0.6 < row["ci_high"] and row["ci_high"] - row["ci_low"] < 0.05


def test_a_planted_fit_on_too_few_points_is_insufficient_data_with_no_numbers() -> None:
    with pytest.raises(InsufficientData) as raised:
        planted_line(3)
    row = estimate_row(raised.value, capabilities.ESTIMATE_CHECKS)
    reason = "3 points with a date and a value; a fit needs at least 10"
    assert row == {"status": Status.INSUFFICIENT_DATA, "status_reason": reason}


def test_too_few_points_counted_by_the_check_are_insufficient_data_before_any_interval_rule() -> None:
    checks = (TOO_FEW, *inference_prices.IDENTIFICATION)
    status, reason = judge(Estimate(10.0, 0.001, 1e6, n=4, span_days=100), checks)
    assert (status, reason) == (Status.INSUFFICIENT_DATA, "4 points; a fit needs at least 10")


def test_a_tight_price_trend_over_two_years_is_ok() -> None:
    row = estimate_row(
        Estimate(10.0, 8.0, 12.5, n=6, span_days=730), inference_prices.IDENTIFICATION, columns=PRICE_COLUMNS
    )
    assert row == {"factor_per_year": 10.0, "ci_low": 8.0, "ci_high": 12.5, "status": Status.OK, "status_reason": None}


def test_an_interval_spanning_three_orders_of_magnitude_is_not_identified_with_its_reason() -> None:
    estimate = Estimate(10.0, 0.5, 500.0, n=6, span_days=730)
    row = estimate_row(estimate, inference_prices.IDENTIFICATION, columns=PRICE_COLUMNS)
    assert row["status"] == Status.NOT_IDENTIFIED
    assert row["status_reason"] == (
        "its 90% interval (0.5x to 500x per year) spans 3.0 orders of magnitude, more than two"
    )
    assert (row["factor_per_year"], row["ci_low"], row["ci_high"]) == (10.0, 0.5, 500.0)  # stored, never summarised


def test_a_short_and_wide_trend_gives_every_reason_of_its_check_in_order() -> None:
    status, reason = judge(Estimate(10.0, 0.5, 500.0, span_days=214), inference_prices.IDENTIFICATION)
    assert status == Status.NOT_IDENTIFIED
    assert reason == (
        "spans 214 days, less than 365; "
        "its 90% interval (0.5x to 500x per year) spans 3.0 orders of magnitude, more than two"
    )


def test_a_check_that_stops_at_its_first_rule_gives_only_that_reason() -> None:
    # unbounded above and (infinitely) wide: the per-dollar table names the first problem only
    status, reason = judge(Estimate(1.4e6, 92.0, math.inf), benchmarks.IDENTIFICATION)
    assert (status, reason) == (Status.NOT_IDENTIFIED, "the 90% CI is unbounded on the upper side")


def test_a_ratio_whose_lower_bound_is_at_or_below_zero_is_unbounded_below() -> None:
    rule = unbounded("unbounded on the {side} side", positive=True)
    assert rule(Estimate(5.0, 0.0, 9.0)) == "unbounded on the lower side"
    assert rule(Estimate(5.0, None, 9.0)) == "unbounded on the lower side"
    assert rule(Estimate(5.0, 1.0, 9.0)) is None
    assert unbounded("open")(Estimate(5.0, -1.0, 9.0)) is None  # a plain interval may reach below zero


def test_an_interval_in_orders_of_magnitude_is_measured_by_its_width_not_its_ratio() -> None:
    in_oom = spans_more_than(3.0, WIDE, log_space=True)
    assert in_oom(Estimate(2.0, 1.0, 4.5)) == "spans 3.5 orders of magnitude"
    assert in_oom(Estimate(2.0, 1.0, 3.5)) is None
    as_ratio = spans_more_than(3.0, WIDE)
    assert as_ratio(Estimate(2.0, 1.0, 4.5)) is None and as_ratio(Estimate(2.0, 0.1, 1000.0)) == WIDE.format(span=4.0)


def test_the_first_failing_check_decides_even_when_a_later_one_would_also_fail() -> None:
    checks = capabilities.ESTIMATE_CHECKS  # not finite, then outside its CI (unstable), then includes zero
    assert judge(Estimate(3.0, -1.0, 2.0), checks) == (Status.UNSTABLE, "the estimate lies outside its bootstrap CI")
    assert judge(Estimate(1.0, -1.0, 2.0), checks) == (Status.NOT_IDENTIFIED, "the 90% CI (-1 to 2) includes zero")


def test_a_degenerate_bootstrap_is_not_identified_before_its_interval_is_read() -> None:
    draws = np.r_[np.full(300, np.nan), np.linspace(1, 2, 1700)]
    status, reason = judge(Estimate(1.5, 1.0, 2.0, draws=draws), test_time.IDENTIFICATION)
    assert (status, reason) == (
        Status.NOT_IDENTIFIED,
        "the bootstrap degenerates: 300 of 2000 resamples give no figure",
    )
    wide = Estimate(1.5, -80.0, 40.0, draws=np.linspace(-80, 40, 2000))
    assert judge(wide, test_time.IDENTIFICATION) == (
        Status.NOT_IDENTIFIED,
        "the 90% CI (-80 to 40) is wider than the 100-point score scale",
    )


def test_a_row_of_several_figures_names_each_failing_figure_after_its_label() -> None:
    estimates = {
        "compute": Estimate(60.0, 17.0, 900.0),
        "dollars": Estimate(150.0, 22.0, 22.0 * 10**3.8),
        "years": Estimate(2.0, 1.0, None),
    }
    status, reason = judge_each(estimates, benchmarks.IDENTIFICATION)
    assert status == Status.NOT_IDENTIFIED
    assert reason == (
        "dollars: the 90% CI spans 3.8 orders of magnitude (more than 3); "
        "years: the 90% CI is unbounded on the upper side"
    )
    assert judge_each({"compute": Estimate(60.0, 17.0, 900.0)}, benchmarks.IDENTIFICATION) == (Status.OK, None)


def test_a_scaled_figure_stores_each_number_through_the_scale() -> None:
    row = estimate_row(
        Estimate(1.0, 0.5, 400.0), columns=("x", "x_low", "x_high"), scale=lambda v: 10**v if v < 300 else None
    )
    assert row == {"x": 10.0, "x_low": 10**0.5, "x_high": None, "status": Status.OK, "status_reason": None}


def test_the_status_and_its_reason_rejoin_to_the_one_column_text_of_before() -> None:
    assert status_text(Status.INSUFFICIENT_DATA, "3 points") == "insufficient data: 3 points"
    assert status_text(Status.OK) == "ok" and status_text(None) is None
    assert status_columns(Status.OK, "") == {"status": Status.OK, "status_reason": None}
