"""The fitting module on synthetic data: windows, CIs that cover the truth, breakpoints and logistic curves."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pytest

from pipelines.trends.fits import (
    InsufficientData,
    add_months,
    bootstrap_weights,
    date_from_decimal_year,
    decimal_year_of,
    era_windows,
    fit_breakpoint,
    fit_columns,
    fit_line,
    fit_lines,
    fit_log_linear,
    fit_logistic,
    fit_logistic_batch,
    logistic,
    logistic_gain_per_unit,
    logistic_x_to_halve_error,
    percentile_ci,
    rolling_windows,
)

# -- windows and dates ----------------------------------------------------------------------------------------------


def test_rolling_windows_are_four_years_every_six_months_on_january_and_july() -> None:
    windows = rolling_windows(date(2010, 3, 15), date(2016, 2, 1))
    assert [(w.start, w.end) for w in windows] == [
        (date(2010, 1, 1), date(2013, 12, 31)),
        (date(2010, 7, 1), date(2014, 6, 30)),
        (date(2011, 1, 1), date(2014, 12, 31)),
        (date(2011, 7, 1), date(2015, 6, 30)),
        (date(2012, 1, 1), date(2015, 12, 31)),
    ]
    assert {w.kind for w in windows} == {"rolling"}


def test_rolling_width_and_step_are_parameters_and_a_short_span_has_no_window() -> None:
    windows = rolling_windows(date(2020, 1, 1), date(2023, 12, 31), width_years=2, step_months=12)
    assert [(w.start.year, w.end.year) for w in windows] == [(2020, 2021), (2021, 2022), (2022, 2023)]
    assert rolling_windows(date(2020, 1, 1), date(2022, 1, 1)) == []
    with pytest.raises(ValueError):
        rolling_windows(date(2020, 1, 1), date(2030, 1, 1), step_months=0)


def test_eras_start_on_their_nominal_dates_and_empty_eras_are_dropped() -> None:
    eras = era_windows(date(1957, 1, 1), date(2025, 6, 30))
    assert [(w.label, w.start, w.end) for w in eras] == [
        ("pre-2010", date(1957, 1, 1), date(2009, 12, 31)),
        ("2010 onward", date(2010, 1, 1), date(2025, 6, 30)),
        ("large-scale era", date(2015, 9, 1), date(2025, 6, 30)),
    ]
    # a series that starts in 2012 has no pre-2010 era
    assert [w.label for w in era_windows(date(2012, 6, 3), date(2025, 1, 1))] == ["2010 onward", "large-scale era"]


def test_months_clamp_to_the_end_of_a_shorter_month() -> None:
    assert add_months(date(2020, 1, 31), 1) == date(2020, 2, 29)
    assert add_months(date(2020, 11, 15), 3) == date(2021, 2, 15)


def test_decimal_years_round_trip_to_dates() -> None:
    for day in (date(2010, 1, 1), date(2016, 7, 2), date(2024, 12, 31)):
        assert date_from_decimal_year(decimal_year_of(day)) == day
    assert date_from_decimal_year(math.inf) is None
    assert date_from_decimal_year(12000.0) is None


def test_percentile_ci_keeps_infinite_draws_as_unbounded() -> None:
    finite = np.arange(100.0)
    assert percentile_ci(finite) == pytest.approx((4.95, 94.05))
    draws = np.concatenate([finite, np.full(20, np.inf)])  # a sixth of the resamples never get there
    low, high = percentile_ci(draws)
    assert math.isfinite(low) and high == math.inf
    assert percentile_ci(np.array([np.nan, np.nan])) != percentile_ci(finite)


# -- log-linear OLS -------------------------------------------------------------------------------------------------


def test_ninety_percent_ci_covers_the_true_slope_about_ninety_percent_of_the_time() -> None:
    rng = np.random.default_rng(7)
    covered = 0
    trials = 200
    for trial in range(trials):
        x = rng.uniform(2010, 2024, 60)
        y = 0.6 * x + rng.normal(0, 0.8, x.size)
        fit = fit_log_linear(x, y, resamples=1000, seed=trial)
        covered += fit.slope_ci_low <= 0.6 <= fit.slope_ci_high
    # binomial sd at p = 0.9, n = 200 is 2.1 points; the percentile bootstrap runs slightly narrow at n = 60
    assert 0.82 <= covered / trials <= 0.96


def test_a_few_outliers_move_the_slope_little_and_widen_the_ci() -> None:
    rng = np.random.default_rng(3)
    x = rng.uniform(2010, 2025, 300)
    y = 20 + 0.5 * (x - 2010) + rng.normal(0, 0.4, x.size)
    clean = fit_log_linear(x, y)
    spoiled = y.copy()
    spoiled[rng.choice(x.size, 9, replace=False)] += 3  # 3% of points 3 OOM too high
    dirty = fit_log_linear(x, spoiled)
    assert dirty.slope_oom_per_year == pytest.approx(0.5, abs=0.05)
    assert dirty.slope_ci_low < 0.5 < dirty.slope_ci_high
    assert dirty.slope_ci_high - dirty.slope_ci_low > clean.slope_ci_high - clean.slope_ci_low
    assert dirty.residual_sd > clean.residual_sd


def test_bootstrap_draws_predict_the_line_at_any_date() -> None:
    rng = np.random.default_rng(5)
    x = rng.uniform(2015, 2025, 80)
    fit = fit_log_linear(x, 2 + 0.3 * (x - 2015) + rng.normal(0, 0.2, x.size))
    draws = fit.predict_draws(np.array([2020.0, 2030.0]))
    assert draws.shape == (fit.slope_draws.size, 2)
    assert np.median(draws[:, 0]) == pytest.approx(float(fit.predict(2020.0)), abs=0.02)
    # the spread grows away from the data
    assert draws[:, 1].std() > draws[:, 0].std()


def test_doubling_time_has_no_interval_when_the_slope_ci_includes_zero() -> None:
    rng = np.random.default_rng(11)
    x = rng.uniform(2010, 2025, 40)
    flat = fit_log_linear(x, rng.normal(0, 1, x.size))
    assert flat.slope_ci_low < 0 < flat.slope_ci_high
    columns = fit_columns(flat)
    assert columns["doubling_months_ci_low"] is None and columns["doubling_months_ci_high"] is None
    assert columns["growth_ci_low"] < 1 < columns["growth_ci_high"]


def test_fit_line_is_plain_ols_on_any_y() -> None:
    x = np.array([2020.0, 2021, 2022, 2023, 2024])
    fit = fit_line(x, 0.1 + 0.25 * (x - 2020), min_points=5)
    assert fit.slope_oom_per_year == pytest.approx(0.25)
    with pytest.raises(InsufficientData):
        fit_line(x[:4], x[:4], min_points=5)


# -- breakpoints ----------------------------------------------------------------------------------------------------


def hinge(rng: np.random.Generator, n: int = 400, noise: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Slow growth (0.18 OOM/yr, Moore-like) until 2010.5, then 0.62 OOM/yr: the deep-learning break."""
    x = np.sort(rng.uniform(1970, 2025, n))
    y = 15 + np.where(x < 2010.5, 0.18 * (x - 2010.5), 0.62 * (x - 2010.5)) + rng.normal(0, noise, n)
    return x, y


def test_continuous_breakpoint_recovers_date_and_both_slopes() -> None:
    x, y = hinge(np.random.default_rng(1))
    fit = fit_breakpoint(x, y, continuous=True)
    assert fit.break_year == pytest.approx(2010.5, abs=1.0)
    assert fit.break_ci[0] <= 2010.5 <= fit.break_ci[1]
    assert fit.break_ci[1] - fit.break_ci[0] < 4
    assert fit.slope_before == pytest.approx(0.18, abs=0.03)
    assert fit.slope_after == pytest.approx(0.62, abs=0.05)
    assert fit.slope_before_ci[0] <= 0.18 <= fit.slope_before_ci[1]
    assert fit.jump is None
    assert fit.delta_bic < -50  # a break is strongly preferred over one line


def test_discontinuous_breakpoint_recovers_a_jump_in_level() -> None:
    rng = np.random.default_rng(2)
    x = np.sort(rng.uniform(2005, 2025, 300))
    # same slope, one order of magnitude higher from late 2015 (the large-scale era)
    y = 20 + 0.5 * (x - 2015.75) + np.where(x >= 2015.75, 1.0, 0.0) + rng.normal(0, 0.3, x.size)
    fit = fit_breakpoint(x, y, continuous=False)
    assert fit.break_year == pytest.approx(2015.75, abs=0.5)
    assert fit.jump == pytest.approx(1.0, abs=0.25)
    assert fit.slope_before == pytest.approx(0.5, abs=0.08)
    assert fit.slope_after == pytest.approx(0.5, abs=0.08)


def test_a_straight_line_gives_no_evidence_for_a_break() -> None:
    rng = np.random.default_rng(4)
    x = np.sort(rng.uniform(1990, 2025, 200))
    fit = fit_breakpoint(x, 3 + 0.3 * x + rng.normal(0, 0.5, x.size))
    assert fit.slope_before == pytest.approx(fit.slope_after, abs=0.12)
    assert fit.delta_bic > 0  # the extra parameters are not worth it


def test_outliers_do_not_move_a_clear_break_much() -> None:
    rng = np.random.default_rng(6)
    x, y = hinge(rng)
    y[rng.choice(x.size, 12, replace=False)] += rng.choice([-3.0, 3.0], 12)
    fit = fit_breakpoint(x, y)
    assert fit.break_year == pytest.approx(2010.5, abs=2.0)


def test_breakpoint_needs_enough_points_on_each_side() -> None:
    rng = np.random.default_rng(8)
    x = rng.uniform(2000, 2020, 15)
    with pytest.raises(InsufficientData, match="each side"):
        fit_breakpoint(x, x * 0.3)
    with pytest.raises(InsufficientData):
        fit_breakpoint(np.full(40, 2015.0), np.arange(40.0))


def test_batched_lines_are_the_per_resample_fits_of_the_same_draws() -> None:
    """fit_lines gives each series the resamples a loop would draw for it (rng.integers(0, n, (R, n)), same seed),
    whatever else is in the batch; a resample of a single date has no slope and is left out."""
    rng = np.random.default_rng(3)
    x = rng.uniform(2010, 2024, 30)
    series = [(x, 0.5 * (x - 2010) + rng.normal(0, 0.3, 30)), (x, rng.normal(0, 1, 30))]
    clustered = np.r_[np.full(9, 2015.0), 2016.0]  # 1 in 3 resamples of 10 draws 2015 only: no slope
    series.append((clustered, np.arange(10.0)))
    fits = fit_lines([*series, (x[:3], x[:3])], resamples=300, min_points=5)
    assert isinstance(fits[3], InsufficientData)
    for (xs, ys), fit in zip(series, fits, strict=False):
        index = np.random.default_rng(20_240_601).integers(0, xs.size, size=(300, xs.size))
        xb, yb = xs[index], ys[index]
        with np.errstate(invalid="ignore", divide="ignore"):
            xc, yc = xb - xb.mean(axis=1, keepdims=True), yb - yb.mean(axis=1, keepdims=True)
            slopes = (xc * yc).sum(axis=1) / (xc * xc).sum(axis=1)
        usable = np.isfinite(slopes)
        np.testing.assert_allclose(fit.slope_draws, slopes[usable], rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(fit.x_mean_draws, xb.mean(axis=1)[usable], rtol=1e-12)
        alone = fit_line(xs, ys, resamples=300, min_points=5)
        assert (fit.slope_ci_low, fit.slope_ci_high) == pytest.approx((alone.slope_ci_low, alone.slope_ci_high))
    assert 50 < 300 - fits[2].slope_draws.size < 150


def test_bootstrap_weights_are_resamples() -> None:
    weights = bootstrap_weights(50, 300, seed=1)
    assert weights.shape == (300, 50)
    assert (weights.sum(axis=1) == 50).all()
    assert (weights >= 0).all() and weights.max() > 1


# -- logistic -------------------------------------------------------------------------------------------------------

TRUE_CURVE = (0.25, 0.9, 1.8, 23.5)  # floor at chance (4 choices), ceiling 0.9, midpoint 3e23 FLOP


def scores_against_compute(n: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.uniform(21.5, 25.5, n)
    return x, np.clip(logistic(x, *TRUE_CURVE) + rng.normal(0, noise, n), 0, 1)


def test_logistic_recovers_a_known_curve_with_cis_covering_it() -> None:
    x, y = scores_against_compute(80, 0.03, seed=1)
    fit = fit_logistic(x, y)
    grid = np.linspace(x.min(), x.max(), 50)
    assert np.abs(logistic(grid, *fit.params) - logistic(grid, *TRUE_CURVE)).max() < 0.04
    for name, truth, tolerance in zip(
        ("floor", "slope", "midpoint"), (TRUE_CURVE[0], *TRUE_CURVE[2:]), (0.05, 0.6, 0.2), strict=True
    ):
        estimate, low, high = fit.parameter(name)
        assert estimate == pytest.approx(truth, abs=tolerance), name
        assert low - 1e-9 <= estimate <= high + 1e-9, name
    # the ceiling may not sit below the best score seen, so noise on the top points lifts it by up to ~3 sd
    ceiling, _, _ = fit.parameter("ceiling")
    assert 0.9 - 0.01 <= ceiling <= 0.9 + 3 * 0.03
    x0 = 23.5
    gain, low, high = fit.estimate(lambda p: logistic_gain_per_unit(p, x0))
    true_gain = float(logistic_gain_per_unit(np.array(TRUE_CURVE), x0))
    assert low <= true_gain <= high and gain == pytest.approx(true_gain, rel=0.15)
    halve, low, high = fit.estimate(lambda p: logistic_x_to_halve_error(p, x0))
    true_halve = float(logistic_x_to_halve_error(np.array(TRUE_CURVE), x0))
    assert low <= true_halve <= high and halve == pytest.approx(true_halve, abs=0.25)
    assert fit.r2 > 0.9


def test_error_is_never_halved_above_the_ceiling() -> None:
    params = np.array([[0.25, 0.9, 1.8, 23.5], [0.25, 0.7, 1.8, 23.5], [0.25, 0.9, 0.0, 23.5]])
    # at the midpoint the score is 0.575 (0.5 with ceiling 0.7): halving the error needs 0.79 (0.74)
    steps = logistic_x_to_halve_error(params, 23.5)
    assert math.isfinite(steps[0]) and steps[0] > 0
    assert steps[1] == math.inf and steps[2] == math.inf


def test_batched_fits_agree_with_the_point_estimate() -> None:
    x, y = scores_against_compute(50, 0.04, seed=2)
    fit = fit_logistic(x, y)
    batch, _ = fit_logistic_batch(x, y, np.ones((1, x.size)), np.array([[0.2, 0.8, 1.0, 23.0]]))
    assert batch[0] == pytest.approx(fit.params, abs=0.02)


def test_logistic_bootstrap_takes_resampled_x() -> None:
    x, y = scores_against_compute(40, 0.03, seed=3)
    shifted = x[None, :] + np.random.default_rng(0).normal(0, 0.3, (500, 1))  # every resample moves all x together
    plain = fit_logistic(x, y, resamples=500)
    moved = fit_logistic(x, y, x_draws=shifted)
    assert moved.draws.shape == (500, 4)
    plain_mid = plain.parameter("midpoint")
    moved_mid = moved.parameter("midpoint")
    assert moved_mid[2] - moved_mid[1] > plain_mid[2] - plain_mid[1]


def test_logistic_with_too_few_points_is_insufficient() -> None:
    x, y = scores_against_compute(9, 0.03, seed=4)
    with pytest.raises(InsufficientData, match="9 points"):
        fit_logistic(x, y)
    with pytest.raises(InsufficientData, match="same x"):
        fit_logistic(np.full(20, 23.0), np.linspace(0.2, 0.8, 20))
