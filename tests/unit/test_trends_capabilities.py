"""Capability indices (ECI, METR) on synthetic data with known answers: a planted break, a planted decomposition."""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest

from pipelines.trends import capabilities as cap
from pipelines.trends.fits import date_from_decimal_year, decimal_year_of, fit_line
from pipelines.trends.status import Estimate, Status, judge

ECI = cap.INDICES[0]
METR = cap.INDICES[1]


def to_date(year: float) -> date:
    return date(int(year), 1, 1) + timedelta(days=round((year % 1) * 365))


def hinge_points(n: int = 60, seed: int = 0, noise: float = 1.0) -> pl.DataFrame:
    """A continuous trend of 8 points a year that speeds up to 16 at 2024.25 (Epoch's published ECI shape)."""
    rng = np.random.default_rng(seed)
    years = np.sort(rng.uniform(2021.0, 2026.0, n))
    score = 100 + 8 * (years - 2021) + 8 * np.maximum(years - 2024.25, 0) + rng.normal(0, noise, n)
    return pl.DataFrame({"date": [to_date(y) for y in years], "score": score})


def test_a_planted_breakpoint_is_recovered_within_its_ci() -> None:
    before, after = cap.break_rows(ECI, hinge_points(), subset="record_setting", snapshot="s")
    assert before["status"] == after["status"] == "ok"
    assert before["break_date_ci_low"] <= date(2024, 4, 2) <= before["break_date_ci_high"]
    assert before["ci_low"] <= 8 <= before["ci_high"] and after["ci_low"] <= 16 <= after["ci_high"]
    assert before["estimate"] == pytest.approx(8, abs=1.5) and after["estimate"] == pytest.approx(16, abs=2.5)
    assert before["measure"] == "per_year_before_break" and before["unit"] == "points"


def test_a_break_needs_enough_points_on_each_side() -> None:
    rows = cap.break_rows(ECI, hinge_points(n=9), subset="record_setting", snapshot="s")
    assert all(r["status"].startswith("insufficient data") and r["estimate"] is None for r in rows)


def test_metr_rows_are_doublings_with_a_doubling_time_in_months() -> None:
    # a horizon doubling every 7 months: log2 minutes rises 12/7 a year
    years = np.linspace(2019.8, 2025.9, 20)
    points = pl.DataFrame({"date": [to_date(y) for y in years], "score": 12 / 7 * (years - 2019.8)})
    window = {"start": date(2019, 1, 1), "end": date(2026, 1, 1)}
    row, _ = cap.per_year_row(METR, points, subset="record_setting", measure="per_year", snapshot="", **window)
    assert row["unit"] == "doublings" and row["status"] == "ok"
    assert row["doubling_months"] == pytest.approx(7, rel=1e-3)  # dates are whole days
    assert row["doubling_months_ci_low"] <= row["doubling_months"] <= row["doubling_months_ci_high"]


def test_below_the_minimum_n_a_row_says_insufficient_data() -> None:
    row, fit = cap.per_year_row(
        ECI,
        hinge_points(n=5),
        subset="all",
        measure="per_year",
        start=date(2020, 1, 1),
        end=date(2027, 1, 1),
        snapshot="",
    )
    assert fit is None and row["status"].startswith("insufficient data") and row["estimate"] is None


def test_a_slope_whose_ci_includes_zero_is_not_identified_and_one_outside_its_ci_is_unstable() -> None:
    checks = cap.ESTIMATE_CHECKS
    assert judge(Estimate(0.5, -1.0, 2.0), checks) == (Status.NOT_IDENTIFIED, "the 90% CI (-1 to 2) includes zero")
    assert judge(Estimate(3.0, 1.0, 2.0), checks) == (Status.UNSTABLE, "the estimate lies outside its bootstrap CI")
    assert judge(Estimate(float("nan"), 1.0, 2.0), checks) == (
        Status.NOT_IDENTIFIED,
        "the estimate or its CI is not finite",
    )
    assert judge(Estimate(1.5, 1.0, 2.0), checks) == (Status.OK, None)


def planted_models(a: float = 10.0, b: float = 6.0, c: float = 0.6, n: int = 300, seed: int = 0):
    """capability = a·log10 C + b·t with frontier compute growing c OOM a year (and a spread of 0.7 OOM at a date)."""
    rng = np.random.default_rng(seed)
    t = rng.uniform(2021, 2026, n)
    log_c = 23 + c * (t - 2021) + rng.normal(0, 0.7, n)
    y = a * log_c + b * (t - 2021) + rng.normal(0, 0.5, n)
    return t, log_c, y


def test_the_plane_fit_separates_compute_from_date() -> None:
    t, log_c, y = planted_models()
    fit = cap.fit_plane(log_c, t, y)
    assert fit.a == pytest.approx(10, rel=0.02) and fit.b == pytest.approx(6, rel=0.05)
    # without the date, compute gets credit for the progress that came with time
    assert fit.simple_slope > fit.a


def test_the_decomposition_of_a_planted_case_returns_b_over_a() -> None:
    a, b, c = 10.0, 6.0, 0.6
    t, log_c, y = planted_models(a, b, c)
    fits = cap.IndexFits(rows=[], record_per_year=fit_line(t, y), per_10x_compute=cap.fit_plane(log_c, t, y))
    row = cap.decomposition_row(ECI, fits, fit_line(t, log_c), "planted", "s")
    assert row["status"] == "ok"
    # a year of progress = (a·c + b)/a OOM of compute; compute growth explains c of it; the rest is b/a
    assert math.log10(row["compute_equivalent_multiplier_per_year"]) == pytest.approx(c + b / a, abs=0.05)
    assert math.log10(row["residual_multiplier_per_year"]) == pytest.approx(b / a, abs=0.05)
    assert row["residual_ci_low"] <= 10 ** (b / a) <= row["residual_ci_high"]
    assert row["share_explained_by_compute"] == pytest.approx(c / (c + b / a), abs=0.03)
    assert row["share_ci_low"] <= row["share_explained_by_compute"] <= row["share_ci_high"]


def test_a_decomposition_without_a_gain_per_10x_is_not_identified() -> None:
    t, log_c, _ = planted_models()
    y = 6.0 * (t - 2021) + np.random.default_rng(1).normal(0, 3, t.size)  # compute does nothing at a fixed date
    fits = cap.IndexFits(rows=[], record_per_year=fit_line(t, y), per_10x_compute=cap.fit_plane(log_c, t, y))
    row = cap.decomposition_row(ECI, fits, fit_line(t, log_c), "planted", "s")
    assert row["status"] == Status.NOT_IDENTIFIED
    assert row["status_reason"] == "the gain per 10x compute is not above zero in every tail of its CI"


def test_dates_round_trip_for_break_dates() -> None:
    assert date_from_decimal_year(decimal_year_of(date(2024, 4, 2))) == date(2024, 4, 2)
