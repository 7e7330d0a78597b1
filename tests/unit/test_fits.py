"""The log-linear fit recovers known growth rates, CIs cover the truth, and too few points is not a number."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import polars as pl
import pytest

from pipelines.trends.fits import InsufficientData, decimal_year, fit_log_linear, fits_frame, trend_row


def synthetic(slope: float, n: int, noise: float, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.uniform(2010, 2025, n)
    return x, 20 + slope * (x - 2010) + rng.normal(0, noise, n)


def test_a_known_slope_is_recovered_and_its_ci_covers_it() -> None:
    x, y = synthetic(slope=0.6, n=400, noise=0.5)
    fit = fit_log_linear(x, y)
    assert fit.n == 400
    assert fit.slope_oom_per_year == pytest.approx(0.6, abs=0.02)
    assert fit.slope_ci_low < 0.6 < fit.slope_ci_high
    # OLS slope standard error here is about 0.5 / (sd(x) * sqrt(n)) = 0.0058: a 90% CI is about ±0.0095
    assert 0.01 < fit.slope_ci_high - fit.slope_ci_low < 0.03
    assert fit.growth_per_year == pytest.approx(10**0.6, rel=0.05)
    assert fit.doubling_months == pytest.approx(12 * math.log10(2) / fit.slope_oom_per_year)
    assert 0.8 < fit.r2 < 1
    assert fit.residual_sd == pytest.approx(0.5, rel=0.1)


def test_the_bootstrap_is_reproducible_with_its_seed() -> None:
    x, y = synthetic(slope=0.3, n=50, noise=1.0)
    assert fit_log_linear(x, y) == fit_log_linear(x, y)
    assert fit_log_linear(x, y, seed=2).slope_ci_low != fit_log_linear(x, y).slope_ci_low


def test_an_exact_line_has_a_zero_width_ci() -> None:
    x = np.linspace(2000, 2020, 30)
    fit = fit_log_linear(x, 1 + 0.5 * x)
    assert fit.slope_oom_per_year == pytest.approx(0.5)
    assert fit.slope_ci_low == pytest.approx(0.5) and fit.slope_ci_high == pytest.approx(0.5)
    assert fit.r2 == pytest.approx(1.0)


def test_too_few_points_raise_instead_of_a_number() -> None:
    x, y = synthetic(slope=0.5, n=9, noise=0.1)
    with pytest.raises(InsufficientData, match="9 points"):
        fit_log_linear(x, y)
    with pytest.raises(InsufficientData, match="same date"):
        fit_log_linear(np.full(20, 2020.0), np.arange(20.0))


def test_non_finite_points_are_left_out() -> None:
    x, y = synthetic(slope=0.5, n=30, noise=0.1)
    y[:5] = np.nan
    assert fit_log_linear(x, y).n == 25


def test_a_date_is_its_year_plus_the_share_of_the_year_gone_by() -> None:
    dates = pl.Series("d", [date(2020, 1, 1), date(2020, 7, 2), date(2021, 12, 31)])
    assert decimal_year(dates).to_list() == pytest.approx([2020.0, 2020 + 183 / 366, 2021 + 364 / 365])


def test_a_trend_row_names_the_gap_when_the_data_is_short() -> None:
    points = pl.DataFrame({"publication_date": [date(2020, 1, 1), date(2021, 1, 1)], "value": [1e20, 1e21]})
    row = trend_row(
        points,
        metric="m",
        subset="s",
        window_start=date(2010, 1, 1),
        window_end=date(2025, 1, 1),
        window_kind="full",
        snapshot="x",
    )
    assert row["status"].startswith("insufficient data") and row["growth_per_year"] is None and row["n"] == 2
    assert fits_frame([row]).height == 1


def test_a_trend_rows_doubling_time_ci_takes_the_growth_bounds_swapped() -> None:
    x, y = synthetic(slope=0.6, n=200, noise=0.4)
    start = date(2010, 1, 1)
    dates = [date.fromordinal(start.toordinal() + int((v - 2010) * 365.25)) for v in x]
    points = pl.DataFrame({"publication_date": dates, "value": 10**y})
    row = trend_row(
        points,
        metric="m",
        subset="s",
        window_start=start,
        window_end=date(2026, 1, 1),
        window_kind="full",
        snapshot="x",
    )
    assert row["status"] == "ok"
    assert row["growth_ci_low"] < row["growth_per_year"] < row["growth_ci_high"]
    assert row["doubling_months_ci_low"] < row["doubling_months"] < row["doubling_months_ci_high"]
    assert row["doubling_months"] == pytest.approx(12 * math.log10(2) / 0.6, rel=0.05)


def test_a_break_date_the_data_cannot_place_is_censored_by_the_admissible_range() -> None:
    """A planted break mid-window is placed; on a short straight line the date's CI runs into an end of the range."""
    from pipelines.trends.fits import fit_breakpoint

    rng = np.random.default_rng(7)
    years = np.sort(rng.uniform(2015, 2025, 80))
    hinge = np.where(years < 2020, 1.0 * (years - 2020), 4.0 * (years - 2020))
    planted = fit_breakpoint(years, hinge + rng.normal(0, 0.3, years.size), min_side=5)
    assert 2019.5 <= planted.break_year <= 2020.5 and not planted.break_ci_censored
    few = np.sort(rng.uniform(2023, 2026, 14))  # 14 points, 5 a side, no break: like the mirror's ECI records
    straight = fit_breakpoint(few, 14.0 * (few - 2024) + rng.normal(0, 3, few.size), min_side=5)
    assert straight.break_ci_censored, (straight.break_ci, straight.grid_range)


def test_fits_spread_over_worker_processes_are_the_same_bits_in_the_same_order(monkeypatch: pytest.MonkeyPatch) -> None:
    from pipelines.run import workers
    from pipelines.trends import fits

    rng = np.random.default_rng(7)
    pairs = [(np.arange(n, dtype=float), 0.3 * np.arange(n) + rng.normal(size=n)) for n in (5, 12, 12, 40, 3, 40, 7)]
    here = fits.fit_lines(pairs)
    monkeypatch.setattr(fits, "PARALLEL_POINTS", 0)
    monkeypatch.setattr(workers, "WORKERS", 2)
    spread = fits.fit_lines(pairs)
    assert isinstance(here[4], InsufficientData) and isinstance(spread[4], InsufficientData)  # 3 points: too few
    for a, b in zip(here, spread, strict=True):
        if isinstance(a, InsufficientData):
            continue
        assert (a.n, a.slope_oom_per_year, a.slope_ci_low, a.slope_ci_high) == (
            b.n,
            b.slope_oom_per_year,
            b.slope_ci_low,
            b.slope_ci_high,
        )
        assert np.array_equal(a.slope_draws, b.slope_draws)
