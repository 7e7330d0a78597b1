"""Forecasts: the dates at which the frontier training run reaches $1B, $10B, 1e27 and 1e28 FLOP, by extrapolation.

Each forecast extends one `trends.fits` line: frontier models by our top-10-at-release rule (the runs that were
among the ten largest when published), large-scale era (from 2015-09-01). The predicted date is where the fitted
line crosses the target. The 90% prediction interval adds the scatter of frontier models around the line (residual
sd) to the bootstrap draws of the line, so it brackets the date a frontier-scale run of that size appears, not only
where the mean line goes. These are extrapolations of a trend, not predictions about budgets or physics.
"""

from __future__ import annotations

import math
from datetime import date

import duckdb
import numpy as np
import polars as pl

from pipelines.trends.checks import TableContract
from pipelines.trends.fits import (
    BOOTSTRAP_SEED,
    CI_LEVEL,
    LARGE_SCALE_START,
    MIN_POINTS,
    InsufficientData,
    date_from_decimal_year,
    fit_window,
    percentile_ci,
)
from pipelines.trends.inputs import METRICS_BY_NAME, load_models, metric_points
from pipelines.trends.status import Status, status_columns
from pipelines.trends.steps import TrendOutput, TrendStep, TrendTable, row_lines

FORECAST_SUBSET = "frontier_top10"
FORECAST_WINDOW_START = LARGE_SCALE_START
TARGETS = (
    ("training_cost", 1e9, "$1B"),
    ("training_cost", 1e10, "$10B"),
    ("training_compute", 1e27, "1e27 FLOP"),
    ("training_compute", 1e28, "1e28 FLOP"),
)

FORECASTS_SCHEMA: dict[str, pl.DataType] = {
    "target_metric": pl.String(),
    "target_value": pl.Float64(),
    "target_label": pl.String(),
    "predicted_date": pl.Date(),
    "pi_low_date": pl.Date(),
    "pi_high_date": pl.Date(),
    "pi_level": pl.Float64(),
    "basis": pl.String(),
    "basis_metric": pl.String(),
    "basis_subset": pl.String(),
    "basis_window_start": pl.Date(),
    "basis_window_end": pl.Date(),
    "n": pl.Int64(),
    "growth_per_year": pl.Float64(),
    "largest_so_far": pl.Float64(),
    "largest_so_far_model": pl.String(),
    "largest_so_far_date": pl.Date(),
    "status": pl.String(),
    "status_reason": pl.String(),
    "note": pl.String(),
}


def forecast_row(points: pl.DataFrame, *, metric: str, target: float, label: str) -> dict[str, object]:
    row: dict[str, object] = dict.fromkeys(FORECASTS_SCHEMA)
    end = points["publication_date"].max() if points.height else None
    row.update(
        target_metric=metric,
        target_value=target,
        target_label=label,
        pi_level=CI_LEVEL,
        basis_metric=metric,
        basis_subset=FORECAST_SUBSET,
        basis_window_start=FORECAST_WINDOW_START,
        basis_window_end=end,
        basis=f"trends.fits {metric} / {FORECAST_SUBSET} / era {FORECAST_WINDOW_START}..{end}",
        note="extrapolation",
    )
    if points.height:
        largest = points.sort("value", descending=True).row(0, named=True)
        row.update(
            largest_so_far=largest["value"],
            largest_so_far_model=largest["model_name"],
            largest_so_far_date=largest["publication_date"],
        )
    try:
        if end is None:
            raise InsufficientData("no points")
        fit = fit_window(points, FORECAST_WINDOW_START, end)
    except InsufficientData as exc:
        row.update(status_columns(Status.INSUFFICIENT_DATA, str(exc)))
        return row
    row.update(n=fit.n, growth_per_year=fit.growth_per_year)
    if fit.slope_oom_per_year <= 0:
        row.update(status_columns(Status.NO_GROWTH, "the fitted trend does not rise"))
        return row
    goal = math.log10(target)
    predicted = (goal - fit.intercept) / fit.slope_oom_per_year
    rng = np.random.default_rng(BOOTSTRAP_SEED + 3)
    scatter = rng.normal(0.0, fit.residual_sd, size=fit.slope_draws.size)
    with np.errstate(divide="ignore", invalid="ignore"):
        years = np.where(
            fit.slope_draws > 0,
            fit.x_mean_draws + (goal - fit.y_mean_draws - scatter) / fit.slope_draws,
            np.inf,
        )
    low, high = percentile_ci(years)
    row.update(
        predicted_date=date_from_decimal_year(predicted),
        pi_low_date=date_from_decimal_year(low),
        pi_high_date=date_from_decimal_year(high),
        **status_columns(Status.OK),
    )
    if row["largest_so_far"] is not None and row["largest_so_far"] >= target:
        reached_on: date = row["largest_so_far_date"]
        row["note"] = f"extrapolation; already reached on {reached_on} by {row['largest_so_far_model']}"
    return row


def forecasts_frame(models: pl.DataFrame) -> pl.DataFrame:
    rows = []
    for metric, target, label in TARGETS:
        points = metric_points(models, METRICS_BY_NAME[metric], FORECAST_SUBSET)
        rows.append(forecast_row(points, metric=metric, target=target, label=label))
    return pl.DataFrame(rows, schema=FORECASTS_SCHEMA)


# -- the step: trends.forecasts, checked against its contract -------------------------------------------------------

FORECASTS_CONTRACT = TableContract(
    "forecasts",
    keys=("target_label",),
    required=("predicted_date", "pi_low_date", "pi_high_date", "growth_per_year"),
    intervals=(("predicted_date", "pi_low_date", "pi_high_date"),),
    minimums=(("n", MIN_POINTS),),
)


def build_forecasts(con: duckdb.DuckDBPyConnection) -> TrendOutput:
    """trends.forecasts from marts.models; every forecast is logged, whatever its status."""
    frame = forecasts_frame(load_models(con))
    log = row_lines(frame, "{target_label}: {predicted_date} (90% PI {pi_low_date}..{pi_high_date}), {status}")
    return TrendOutput({FORECASTS_CONTRACT.table: frame}, log=log)


STEPS = [
    TrendStep(
        "forecasts",
        reads=("marts.models",),
        tables=(
            TrendTable(
                FORECASTS_CONTRACT,
                "extrapolated dates of a $1B / $10B and a 1e27 / 1e28 FLOP frontier run (extrapolations).",
            ),
        ),
        build=build_forecasts,
    )
]
