"""Efficiency of algorithms: the least training compute that reached a fixed score, by date, and how fast it falls.

Thresholds are 0.1, 0.2, ... 0.9 of the score, for each fraction benchmark, keeping those that at least 10% of its
models with compute did not reach (a threshold every model meets, e.g. below chance, says nothing). A model reaches
a threshold on the first date any of its versions scored at least that much (release date of the version, else the
model's publication date); its compute is the model's. The points are the improvements: the first model to reach
the threshold, then every later one that did it with less compute than all before it. A log-linear fit of those
points on date gives the halving time of the compute needed (in months), with a bootstrap CI over the points,
where at least 5 exist.
"""

from __future__ import annotations

import math

import duckdb
import numpy as np
import polars as pl

from pipelines.trends.benchmarks import load_scores
from pipelines.trends.checks import TableContract, ci_triples
from pipelines.trends.fits import CI_LEVEL, InsufficientData, decimal_year, fit_log_linear
from pipelines.trends.inputs import load_models
from pipelines.trends.status import Status, status_columns
from pipelines.trends.steps import TrendOutput, TrendStep, TrendTable
from pipelines.warehouse import query_frame, read_table

THRESHOLDS = (0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)
MIN_IMPROVING_POINTS = 5
MIN_SHARE_BELOW = 0.1

POINTS_SCHEMA: dict[str, pl.DataType] = {
    "benchmark": pl.String(),
    "benchmark_name": pl.String(),
    "threshold": pl.Float64(),
    "date": pl.Date(),
    "least_compute_flop": pl.Float64(),
    "model_name": pl.String(),
    "model_key": pl.String(),
    "score": pl.Float64(),
}


def reaching_models(scores: pl.DataFrame, models: pl.DataFrame, threshold: float) -> pl.DataFrame:
    """Per (benchmark, model with compute): the first date one of its versions scored >= threshold."""
    facts = models.filter(pl.col("training_compute_flop") > 0).select(
        "model_key", pl.col("model_name").alias("_name"), "publication_date", "training_compute_flop"
    )
    return (
        scores.filter(pl.col("trend_score") >= threshold - 1e-12)
        .join(facts, on="model_key", how="inner")
        .with_columns(pl.coalesce("release_date", "publication_date").alias("date"))
        .filter(pl.col("date").is_not_null())
        .group_by("benchmark", "model_key")
        .agg(
            pl.col("benchmark_name").first(),
            pl.col("date").min(),
            pl.col("training_compute_flop").first(),
            pl.col("_name").first().alias("model_name"),
            pl.col("trend_score").max().alias("score"),
        )
    )


def improving_points(reached: pl.DataFrame) -> pl.DataFrame:
    """Models of one benchmark that reached the threshold with less compute than every earlier one."""
    ordered = reached.sort(["date", "training_compute_flop"])
    previous = ordered["training_compute_flop"].cum_min().shift(1)
    return ordered.filter(previous.is_null() | (ordered["training_compute_flop"] < previous))


def informative_thresholds(scores: pl.DataFrame, models: pl.DataFrame) -> dict[str, list[float]]:
    """Per benchmark, the thresholds that at least MIN_SHARE_BELOW of its models with compute scored below: a
    threshold every model reaches (e.g. below chance) says nothing about the compute needed."""
    with_compute = models.filter(pl.col("training_compute_flop") > 0).select("model_key")
    best = (
        scores.join(with_compute, on="model_key", how="inner")
        .group_by("benchmark", "model_key")
        .agg(pl.col("trend_score").max())
    )
    chosen = {}
    for benchmark, group in best.group_by("benchmark"):
        values = group["trend_score"]
        chosen[benchmark[0]] = [t for t in THRESHOLDS if (values < t).mean() >= MIN_SHARE_BELOW]
    return chosen


def threshold_points_frame(scores: pl.DataFrame, models: pl.DataFrame) -> pl.DataFrame:
    """`trends.compute_to_threshold_points`: every improvement of every informative (benchmark, threshold)."""
    informative = informative_thresholds(scores, models)
    parts = []
    for threshold in THRESHOLDS:
        reached = reaching_models(scores, models, threshold)
        for benchmark in reached["benchmark"].unique().sort().to_list():
            if threshold not in informative.get(benchmark, []):
                continue
            points = improving_points(reached.filter(pl.col("benchmark") == benchmark))
            parts.append(
                points.select(
                    "benchmark",
                    "benchmark_name",
                    pl.lit(threshold).alias("threshold"),
                    "date",
                    pl.col("training_compute_flop").alias("least_compute_flop"),
                    "model_name",
                    "model_key",
                    "score",
                )
            )
    if not parts:
        return pl.DataFrame(schema=POINTS_SCHEMA)
    return pl.concat(parts).cast(POINTS_SCHEMA).sort("benchmark", "threshold", "date")


THRESHOLD_SCHEMA: dict[str, pl.DataType] = {
    "benchmark": pl.String(),
    "benchmark_name": pl.String(),
    "threshold": pl.Float64(),
    "n_improving_points": pl.Int64(),
    "first_date": pl.Date(),
    "last_date": pl.Date(),
    "first_least_compute_flop": pl.Float64(),
    "last_least_compute_flop": pl.Float64(),
    "halving_time_months": pl.Float64(),
    "halving_time_months_ci_low": pl.Float64(),
    "halving_time_months_ci_high": pl.Float64(),
    "reduction_per_year": pl.Float64(),
    "reduction_per_year_ci_low": pl.Float64(),
    "reduction_per_year_ci_high": pl.Float64(),
    "r2": pl.Float64(),
    "ci_level": pl.Float64(),
    "status": pl.String(),
    "status_reason": pl.String(),
    "snapshot": pl.String(),
}


def threshold_row(points: pl.DataFrame, snapshot: str) -> dict[str, object]:
    """One `trends.compute_to_threshold` row from the improvements of one (benchmark, threshold)."""
    first, last = points.row(0, named=True), points.row(-1, named=True)
    row: dict[str, object] = dict.fromkeys(THRESHOLD_SCHEMA)
    row.update(
        benchmark=first["benchmark"],
        benchmark_name=first["benchmark_name"],
        threshold=first["threshold"],
        n_improving_points=points.height,
        first_date=first["date"],
        last_date=last["date"],
        first_least_compute_flop=first["least_compute_flop"],
        last_least_compute_flop=last["least_compute_flop"],
        ci_level=CI_LEVEL,
        snapshot=snapshot,
    )
    years = points.select(decimal_year(pl.col("date")))["date"].to_numpy()
    try:
        fit = fit_log_linear(years, np.log10(points["least_compute_flop"].to_numpy()), min_points=MIN_IMPROVING_POINTS)
    except InsufficientData as exc:
        row.update(status_columns(Status.INSUFFICIENT_DATA, f"{exc} (improvements)"))
        return row
    # the compute needed falls: a negative slope, so the halving time is -12·log10(2)/slope months
    slope, low, high = fit.slope_oom_per_year, fit.slope_ci_low, fit.slope_ci_high
    row.update(
        reduction_per_year=10**-slope,
        reduction_per_year_ci_low=10**-high,
        reduction_per_year_ci_high=10**-low,
        r2=fit.r2,
        **status_columns(Status.OK),
    )
    if high < 0:
        row.update(
            halving_time_months=12 * math.log10(2) / -slope,
            halving_time_months_ci_low=12 * math.log10(2) / -low,
            halving_time_months_ci_high=12 * math.log10(2) / -high,
        )
    elif slope < 0:
        row["halving_time_months"] = 12 * math.log10(2) / -slope
        row["halving_time_months_ci_low"] = 12 * math.log10(2) / -low
        # the CI reaches a flat or rising trend: no finite upper bound on the halving time
    return row


def thresholds_frame(points: pl.DataFrame, snapshot: str) -> pl.DataFrame:
    """`trends.compute_to_threshold`: one row per (benchmark, threshold) reached by at least one model."""
    rows = [
        threshold_row(group.sort("date"), snapshot)
        for _, group in points.group_by("benchmark", "threshold", maintain_order=True)
    ]
    if not rows:
        return pl.DataFrame(schema=THRESHOLD_SCHEMA)
    return pl.DataFrame(rows, schema=THRESHOLD_SCHEMA).sort("benchmark", "threshold")


# -- the steps: trends.compute_to_threshold_points, then trends.compute_to_threshold fitted on them, each checked
# against its contract ---------------------------------------------------------------------------------------------

POINTS_CONTRACT = TableContract(
    "compute_to_threshold_points",
    keys=("benchmark", "threshold", "date", "model_name"),
    required=("least_compute_flop", "date", "threshold"),
    status_column=None,
)
THRESHOLD_CONTRACT = TableContract(
    "compute_to_threshold",
    keys=("benchmark", "threshold"),
    required=("reduction_per_year", "halving_time_months"),
    intervals=ci_triples("halving_time_months", "reduction_per_year"),
    minimums=(("n_improving_points", MIN_IMPROVING_POINTS),),
)
SNAPSHOT_QUERY = "select any_value(snapshot_sha256) as sha from marts.benchmark_scores"


def build_points(con: duckdb.DuckDBPyConnection) -> TrendOutput:
    """trends.compute_to_threshold_points from the scores and the models' compute."""
    return TrendOutput({POINTS_CONTRACT.table: threshold_points_frame(load_scores(con), load_models(con))})


def build_thresholds(con: duckdb.DuckDBPyConnection) -> TrendOutput:
    """trends.compute_to_threshold from trends.compute_to_threshold_points, labelled with the scores' snapshot."""
    points = read_table(con, "trends", POINTS_CONTRACT.table)
    sha = query_frame(con, SNAPSHOT_QUERY)["sha"][0]
    return TrendOutput({THRESHOLD_CONTRACT.table: thresholds_frame(points, sha or "")})


STEPS = [
    TrendStep(
        "compute_to_threshold_points",
        reads=("marts.benchmark_scores", "marts.models"),
        tables=(TrendTable(POINTS_CONTRACT, "each new least-compute model reaching a score threshold, by date."),),
        build=build_points,
    ),
    TrendStep(
        "compute_to_threshold",
        reads=("trends.compute_to_threshold_points", "marts.benchmark_scores"),
        tables=(
            TrendTable(
                THRESHOLD_CONTRACT,
                "halving time (months) of the least compute reaching each benchmark threshold.",
            ),
        ),
        build=build_thresholds,
    ),
]
