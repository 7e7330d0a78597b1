"""Log-linear trend fits: growth per year of a quantity, with a bootstrap confidence interval.

Every trend in the warehouse is the same model: OLS of log10(value) on decimal year. The slope is orders of
magnitude (OOM) per year; growth per year is 10**slope and doubling time 12·log10(2)/slope months. The CI comes
from resampling models (rows) with replacement, vectorised so thousands of resamples cost milliseconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

CI_LEVEL = 0.90
BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 20_240_601
MIN_POINTS = 10


class InsufficientData(ValueError):
    """Fewer usable points than a fit needs: reported as such, never as a number."""


@dataclass(frozen=True)
class LogLinearFit:
    n: int
    slope_oom_per_year: float
    intercept: float
    slope_ci_low: float
    slope_ci_high: float
    r2: float
    residual_sd: float
    ci_level: float

    @property
    def growth_per_year(self) -> float:
        return 10**self.slope_oom_per_year

    @property
    def growth_ci(self) -> tuple[float, float]:
        return 10**self.slope_ci_low, 10**self.slope_ci_high

    @property
    def doubling_months(self) -> float:
        """Months to double (negative: months to halve); infinite for a flat trend."""
        if self.slope_oom_per_year == 0:
            return math.inf
        return 12 * math.log10(2) / self.slope_oom_per_year


def decimal_year(dates: pl.Series | pl.Expr) -> pl.Expr | pl.Series:
    """2020-07-02 -> 2020.5: the year plus the elapsed fraction of it."""
    expr = dates if isinstance(dates, pl.Expr) else pl.lit(dates)
    start = pl.date(expr.dt.year(), 1, 1)
    length = pl.date(expr.dt.year() + 1, 1, 1) - start
    fraction = (expr - start).dt.total_days() / length.dt.total_days()
    result = expr.dt.year().cast(pl.Float64) + fraction
    if isinstance(dates, pl.Series):
        return pl.select(result.alias(dates.name)).to_series()
    return result


def _slopes(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """OLS slope of each row of y on the matching row of x (2-D arrays: one resample per row)."""
    xc = x - x.mean(axis=-1, keepdims=True)
    yc = y - y.mean(axis=-1, keepdims=True)
    var = (xc * xc).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (xc * yc).sum(axis=-1) / var


def fit_log_linear(
    years: np.ndarray,
    log10_values: np.ndarray,
    *,
    resamples: int = BOOTSTRAP_RESAMPLES,
    ci_level: float = CI_LEVEL,
    seed: int = BOOTSTRAP_SEED,
    min_points: int = MIN_POINTS,
) -> LogLinearFit:
    """OLS of log10 value on decimal year, with a percentile bootstrap CI on the slope (rows resampled)."""
    x = np.asarray(years, dtype=float)
    y = np.asarray(log10_values, dtype=float)
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    n = int(x.size)
    if n < min_points:
        raise InsufficientData(f"{n} points with a date and a value; a fit needs at least {min_points}")
    if np.ptp(x) == 0:
        raise InsufficientData("every point has the same date; a trend needs a spread of dates")
    slope = float(_slopes(x[None, :], y[None, :])[0])
    intercept = float(y.mean() - slope * x.mean())
    residuals = y - (intercept + slope * x)
    total = float(((y - y.mean()) ** 2).sum())
    r2 = 1 - float((residuals**2).sum()) / total if total > 0 else float("nan")
    rng = np.random.default_rng(seed)
    index = rng.integers(0, n, size=(resamples, n))
    boot = _slopes(x[index], y[index])
    boot = boot[np.isfinite(boot)]
    tail = (1 - ci_level) / 2
    low, high = np.quantile(boot, [tail, 1 - tail])
    return LogLinearFit(
        n=n,
        slope_oom_per_year=slope,
        intercept=intercept,
        slope_ci_low=float(low),
        slope_ci_high=float(high),
        r2=r2,
        residual_sd=float(residuals.std(ddof=2)) if n > 2 else float("nan"),
        ci_level=ci_level,
    )


FITS_SCHEMA: dict[str, pl.DataType] = {
    "metric": pl.String(),
    "subset": pl.String(),
    "window_kind": pl.String(),
    "window_start": pl.Date(),
    "window_end": pl.Date(),
    "n": pl.Int64(),
    "slope_oom_per_year": pl.Float64(),
    "slope_ci_low": pl.Float64(),
    "slope_ci_high": pl.Float64(),
    "growth_per_year": pl.Float64(),
    "growth_ci_low": pl.Float64(),
    "growth_ci_high": pl.Float64(),
    "doubling_months": pl.Float64(),
    "doubling_months_ci_low": pl.Float64(),
    "doubling_months_ci_high": pl.Float64(),
    "intercept": pl.Float64(),
    "r2": pl.Float64(),
    "residual_sd_oom": pl.Float64(),
    "ci_level": pl.Float64(),
    "status": pl.String(),
    "snapshot": pl.String(),
}


def _doubling(slope: float) -> float:
    return 12 * math.log10(2) / slope if slope != 0 else math.inf


def trend_row(
    points: pl.DataFrame,
    *,
    metric: str,
    subset: str,
    window_start: date,
    window_end: date,
    window_kind: str,
    snapshot: str,
    date_column: str = "publication_date",
    value_column: str = "value",
    min_points: int = MIN_POINTS,
) -> dict[str, object]:
    """One `trends.fits` row for the points of `points` dated within the window (positive values only).

    Too few points gives a row with status 'insufficient data' and null numbers, so the gap stays visible.
    """
    window = points.filter(
        pl.col(date_column).is_between(window_start, window_end) & (pl.col(value_column) > 0)
    ).select(decimal_year(pl.col(date_column)).alias("x"), pl.col(value_column).log10().alias("y"))
    row: dict[str, object] = dict.fromkeys(FITS_SCHEMA)
    row.update(
        metric=metric,
        subset=subset,
        window_kind=window_kind,
        window_start=window_start,
        window_end=window_end,
        snapshot=snapshot,
        n=window.height,
        ci_level=CI_LEVEL,
    )
    try:
        fit = fit_log_linear(window["x"].to_numpy(), window["y"].to_numpy(), min_points=min_points)
    except InsufficientData as exc:
        row["status"] = f"insufficient data: {exc}"
        return row
    growth_low, growth_high = fit.growth_ci
    # a faster growth means a shorter doubling time: the CI bounds swap
    row.update(
        n=fit.n,
        slope_oom_per_year=fit.slope_oom_per_year,
        slope_ci_low=fit.slope_ci_low,
        slope_ci_high=fit.slope_ci_high,
        growth_per_year=fit.growth_per_year,
        growth_ci_low=growth_low,
        growth_ci_high=growth_high,
        doubling_months=fit.doubling_months,
        doubling_months_ci_low=_doubling(fit.slope_ci_high),
        doubling_months_ci_high=_doubling(fit.slope_ci_low),
        intercept=fit.intercept,
        r2=fit.r2,
        residual_sd_oom=fit.residual_sd,
        status="ok",
    )
    return row


def fits_frame(rows: list[dict[str, object]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=FITS_SCHEMA)
