"""Inputs per year: growth of training compute, parameters, tokens, cost (and their ratios) by subset and window.

Points come from `marts.models` (one row per model, with its list of domains). Subsets: `notable` (Epoch's
notable models), `frontier_epoch` (Epoch's frontier flag), `frontier_top10` (our top-10-by-compute-at-release rule)
and `domain:<Domain>` (notable models listing that domain; a model counts in each of its domains). Tokens and tokens
per parameter are language models only (a model whose domains include Language), because Epoch's dataset size is
in tokens only for them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import duckdb
import polars as pl

from pipelines.trends import reuse
from pipelines.trends.checks import TableContract
from pipelines.trends.fits import (
    CI_LEVEL,
    DEEP_LEARNING_START,
    FITS_SCHEMA,
    MIN_POINTS,
    InsufficientData,
    TrendRequest,
    Window,
    date_from_decimal_year,
    era_windows,
    fit_breakpoint,
    fits_frame,
    fitted_rows,
    rolling_windows,
    trend_requests,
    window_xy,
)
from pipelines.trends.status import Status, status_columns
from pipelines.trends.steps import TrendOutput, TrendStep, TrendTable, row_lines
from pipelines.warehouse import first_row, query_frame

HEADLINE = ("training_compute", "notable", "full")
ROLLING_START = date(2000, 1, 1)  # rolling windows before 2000 hold a handful of models each
MIN_DOMAIN_MODELS = 20  # a domain gets its own rows when this many notable models since 2010 have the value
LANGUAGE = "Language"


@dataclass(frozen=True)
class ModelMetric:
    name: str
    column: str
    unit: str
    language_only: bool = False


MODEL_METRICS = (
    ModelMetric("training_compute", "training_compute_flop", "FLOP"),
    ModelMetric("parameters", "parameters", "parameters"),
    ModelMetric("training_tokens", "training_dataset_size_datapoints", "tokens", language_only=True),
    ModelMetric("training_cost", "training_cost_usd_2023", "2023 USD"),
    ModelMetric("tokens_per_parameter", "tokens_per_parameter", "tokens per parameter", language_only=True),
    ModelMetric("cost_per_flop", "cost_usd_per_flop", "2023 USD per FLOP"),
)
METRICS_BY_NAME = {m.name: m for m in MODEL_METRICS}

BASE_SUBSETS: dict[str, pl.Expr] = {
    "notable": pl.col("in_notable_models"),
    "frontier_epoch": pl.col("is_frontier_epoch"),
    "frontier_top10": pl.col("is_frontier_top10"),
}

MODELS_QUERY = """
select
    m.model_key, m.model_name, m.organization, m.publication_date, coalesce(m.domains, []) as domains,
    coalesce(m.in_notable_models, false) as in_notable_models,
    coalesce(m.is_frontier_epoch, false) as is_frontier_epoch,
    coalesce(m.is_frontier_top10, false) as is_frontier_top10,
    m.training_compute_flop, m.parameters, m.training_dataset_size_datapoints, m.training_cost_usd_2023,
    m.tokens_per_parameter, m.cost_usd_per_flop
from marts.models as m
where m.publication_date is not null
"""


def load_models(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Dated models with every input metric, their subset flags and their domains (list). A row repeated (a model
    listed twice, or a file loaded twice) counts once: the fits resample models, and a copy is not another model."""
    return query_frame(con, MODELS_QUERY).unique(maintain_order=True)


def repeated_models(con: duckdb.DuckDBPyConnection) -> int:
    """Rows of marts.models beyond one per model_key: zero unless a model file was loaded more than once."""
    row = first_row(con, "select count(*) - count(distinct model_key) from marts.models")
    return int(row[0]) if row else 0


def models_snapshot(con: duckdb.DuckDBPyConnection) -> str:
    """sha256 of the notable models file behind the fits."""
    row = first_row(con, "select any_value(snapshot_sha256) from marts.models where described_by = 'notable_models'")
    return (row[0] if row else None) or ""


def subset_filter(subset: str) -> pl.Expr:
    if subset in BASE_SUBSETS:
        return BASE_SUBSETS[subset]
    if subset.startswith("domain:"):
        return pl.col("in_notable_models") & pl.col("domains").list.contains(subset.removeprefix("domain:"))
    raise ValueError(f"unknown subset {subset!r}; expected one of {sorted(BASE_SUBSETS)} or domain:<Domain>")


def metric_points(models: pl.DataFrame, metric: ModelMetric, subset: str) -> pl.DataFrame:
    """(publication_date, value) of the subset's models with a positive value of the metric, with model columns."""
    rows = models.filter(subset_filter(subset) & (pl.col(metric.column) > 0))
    if metric.language_only:
        rows = rows.filter(pl.col("domains").list.contains(LANGUAGE))
    return rows.select("model_key", "model_name", "publication_date", pl.col(metric.column).alias("value"))


def domain_subsets(models: pl.DataFrame, metric: ModelMetric) -> list[str]:
    """`domain:<Domain>` subsets with at least MIN_DOMAIN_MODELS notable models since 2010 having the metric."""
    if metric.language_only:
        candidates = [LANGUAGE]
    else:
        candidates = models.select(pl.col("domains").explode().drop_nulls().unique().sort())["domains"].to_list()
    chosen = []
    for domain in candidates:
        points = metric_points(models, metric, f"domain:{domain}")
        if points.filter(pl.col("publication_date") >= DEEP_LEARNING_START).height >= MIN_DOMAIN_MODELS:
            chosen.append(f"domain:{domain}")
    return chosen


def metric_subsets(models: pl.DataFrame, metric: ModelMetric) -> list[str]:
    return [*BASE_SUBSETS, *domain_subsets(models, metric)]


def series_windows(first: date, last: date, *, eras: bool = True, full_start: date | None = DEEP_LEARNING_START):
    """The full window (from `full_start`, or the first point), the eras and the rolling windows of a series."""
    start = first if full_start is None else full_start
    windows = [Window("full", start, last, "full")] if start <= last else []
    if eras:
        windows += era_windows(first, last)
    windows += rolling_windows(max(first, ROLLING_START), last)
    return windows


def series_requests(
    points: pl.DataFrame,
    *,
    metric: str,
    subset: str,
    snapshot: str,
    date_column: str = "publication_date",
    eras: bool = True,
    full_start: date | None = DEEP_LEARNING_START,
) -> list[TrendRequest]:
    """The `trends.fits` rows of one series over its full window, eras and rolling windows, still to be fitted."""
    dates = points[date_column].drop_nulls()
    if dates.is_empty():
        return []
    windows = series_windows(dates.min(), dates.max(), eras=eras, full_start=full_start)
    return trend_requests(points, windows, metric=metric, subset=subset, snapshot=snapshot, date_column=date_column)


def input_fit_rows(models: pl.DataFrame, snapshot: str) -> list[dict[str, object]]:
    """Every model metric × subset × window (full since 2010, eras, rolling), fitted in one batch."""
    requests = []
    for metric in MODEL_METRICS:
        for subset in metric_subsets(models, metric):
            points = metric_points(models, metric, subset)
            requests += series_requests(points, metric=metric.name, subset=subset, snapshot=snapshot)
    return fitted_rows(requests)


WINDOW_ORDER = {"full": 0, "era": 1, "rolling": 2}


def order_fits(rows: list[dict[str, object]], metric_order: list[str]) -> pl.DataFrame:
    """The fits as a frame, the headline row (training compute, notable, full) first: the index page and people
    running `select ... from trends.fits limit 1` meet it first."""
    frame = fits_frame(rows)
    metric_rank = {name: i for i, name in enumerate(metric_order)}
    return (
        frame.with_columns(
            ~(
                (pl.col("metric") == HEADLINE[0])
                & (pl.col("subset") == HEADLINE[1])
                & (pl.col("window_kind") == HEADLINE[2])
            ).alias("_not_headline"),
            pl.col("metric").replace_strict(metric_rank, default=len(metric_rank)).alias("_metric"),
            pl.col("subset").str.starts_with("domain:").alias("_domain"),
            pl.col("window_kind").replace_strict(WINDOW_ORDER, default=9).alias("_kind"),
        )
        .sort("_not_headline", "_metric", "_domain", "subset", "_kind", "window_start", "window_end")
        .select(list(FITS_SCHEMA))
    )


# -- levels ---------------------------------------------------------------------------------------------------------

LEVELS_SCHEMA: dict[str, pl.DataType] = {
    "metric": pl.String(),
    "subset": pl.String(),
    "year": pl.Int32(),
    "n": pl.Int64(),
    "median": pl.Float64(),
    "p25": pl.Float64(),
    "p75": pl.Float64(),
    "geometric_mean": pl.Float64(),
    "unit": pl.String(),
    "snapshot": pl.String(),
}


def levels_frame(models: pl.DataFrame, snapshot: str) -> pl.DataFrame:
    """Per metric, subset and publication year: n, median, quartiles and geometric mean (a level, not a trend:
    e.g. tokens per parameter against Chinchilla's ~20)."""
    parts = []
    for metric in MODEL_METRICS:
        for subset in metric_subsets(models, metric):
            points = metric_points(models, metric, subset)
            if points.is_empty():
                continue
            parts.append(
                points.group_by(pl.col("publication_date").dt.year().cast(pl.Int32).alias("year"))
                .agg(
                    pl.len().cast(pl.Int64).alias("n"),
                    pl.col("value").median().alias("median"),
                    pl.col("value").quantile(0.25, "linear").alias("p25"),
                    pl.col("value").quantile(0.75, "linear").alias("p75"),
                    (10 ** pl.col("value").log10().mean()).alias("geometric_mean"),
                )
                .with_columns(
                    pl.lit(metric.name).alias("metric"),
                    pl.lit(subset).alias("subset"),
                    pl.lit(metric.unit).alias("unit"),
                    pl.lit(snapshot).alias("snapshot"),
                )
            )
    if not parts:
        return pl.DataFrame(schema=LEVELS_SCHEMA)
    return pl.concat(parts).select(list(LEVELS_SCHEMA)).cast(LEVELS_SCHEMA).sort("metric", "subset", "year")


# -- breakpoints ----------------------------------------------------------------------------------------------------

BREAKPOINT_SERIES = (
    ("training_compute", "notable"),
    ("training_compute", "frontier_epoch"),
    ("training_compute", "frontier_top10"),
    ("parameters", "notable"),
)

BREAKPOINTS_SCHEMA: dict[str, pl.DataType] = {
    "metric": pl.String(),
    "subset": pl.String(),
    "kind": pl.String(),
    "window_start": pl.Date(),
    "window_end": pl.Date(),
    "n": pl.Int64(),
    "break_date": pl.Date(),
    "break_date_ci_low": pl.Date(),
    "break_date_ci_high": pl.Date(),
    "slope_before_oom_per_year": pl.Float64(),
    "slope_before_ci_low": pl.Float64(),
    "slope_before_ci_high": pl.Float64(),
    "slope_after_oom_per_year": pl.Float64(),
    "slope_after_ci_low": pl.Float64(),
    "slope_after_ci_high": pl.Float64(),
    "growth_before_per_year": pl.Float64(),
    "growth_before_ci_low": pl.Float64(),
    "growth_before_ci_high": pl.Float64(),
    "growth_after_per_year": pl.Float64(),
    "growth_after_ci_low": pl.Float64(),
    "growth_after_ci_high": pl.Float64(),
    "jump_oom": pl.Float64(),
    "r2": pl.Float64(),
    "residual_sd_oom": pl.Float64(),
    "delta_bic_vs_single_line": pl.Float64(),
    "ci_level": pl.Float64(),
    "status": pl.String(),
    "status_reason": pl.String(),
    "snapshot": pl.String(),
}


def breakpoint_row(points: pl.DataFrame, *, metric: str, subset: str, continuous: bool, snapshot: str) -> dict:
    """One `trends.breakpoints` row: the single break that best splits the whole series (all dates)."""
    row: dict[str, object] = dict.fromkeys(BREAKPOINTS_SCHEMA)
    dates = points["publication_date"]
    row.update(
        metric=metric,
        subset=subset,
        kind="continuous" if continuous else "discontinuous",
        window_start=dates.min(),
        window_end=dates.max(),
        ci_level=CI_LEVEL,
        snapshot=snapshot,
    )
    if points.is_empty():
        row.update(n=0, **status_columns(Status.INSUFFICIENT_DATA, "no points"))
        return row
    x, y = window_xy(points, dates.min(), dates.max())
    row["n"] = int(x.size)
    try:
        fit = fit_breakpoint(x, y, continuous=continuous)
    except InsufficientData as exc:
        row.update(status_columns(Status.INSUFFICIENT_DATA, str(exc)))
        return row
    row.update(
        n=fit.n,
        break_date=date_from_decimal_year(fit.break_year),
        break_date_ci_low=date_from_decimal_year(fit.break_ci[0]),
        break_date_ci_high=date_from_decimal_year(fit.break_ci[1]),
        slope_before_oom_per_year=fit.slope_before,
        slope_before_ci_low=fit.slope_before_ci[0],
        slope_before_ci_high=fit.slope_before_ci[1],
        slope_after_oom_per_year=fit.slope_after,
        slope_after_ci_low=fit.slope_after_ci[0],
        slope_after_ci_high=fit.slope_after_ci[1],
        growth_before_per_year=10**fit.slope_before,
        growth_before_ci_low=10 ** fit.slope_before_ci[0],
        growth_before_ci_high=10 ** fit.slope_before_ci[1],
        growth_after_per_year=10**fit.slope_after,
        growth_after_ci_low=10 ** fit.slope_after_ci[0],
        growth_after_ci_high=10 ** fit.slope_after_ci[1],
        jump_oom=fit.jump,
        r2=fit.r2,
        residual_sd_oom=fit.residual_sd,
        delta_bic_vs_single_line=fit.delta_bic,
        **status_columns(Status.OK),
    )
    # a percentile CI can miss a point estimate when the grid search jumps between two optima
    inside = [
        (fit.break_ci[0] <= fit.break_year <= fit.break_ci[1], "break date"),
        (fit.slope_before_ci[0] <= fit.slope_before <= fit.slope_before_ci[1], "slope before"),
        (fit.slope_after_ci[0] <= fit.slope_after <= fit.slope_after_ci[1], "slope after"),
    ]
    outside = [name for ok, name in inside if not ok]
    if outside or not all(math.isfinite(v) for v in (fit.slope_before, fit.slope_after, fit.break_year)):
        row.update(status_columns(Status.UNSTABLE, f"{', '.join(outside) or 'a number'} outside its bootstrap CI"))
    return row


def breakpoints_frame(models: pl.DataFrame, snapshot: str) -> pl.DataFrame:
    """Continuous (hinge) and discontinuous (two lines, a jump) single-break fits of the main series, spread over
    the run's worker processes (their grid searches over resamples take seconds with many models)."""
    jobs = [
        (metric_points(models, METRICS_BY_NAME[metric_name], subset), metric_name, subset, continuous, snapshot)
        for metric_name, subset in BREAKPOINT_SERIES
        for continuous in (True, False)
    ]
    parallel = sum(job[0].height for job in jobs) >= PARALLEL_BREAKPOINT_POINTS
    return pl.DataFrame(reuse.reused_starmap(_breakpoint_row, jobs, parallel=parallel), schema=BREAKPOINTS_SCHEMA)


PARALLEL_BREAKPOINT_POINTS = 10_000  # below, sending the series to the worker processes costs more than it saves


def _breakpoint_row(points: pl.DataFrame, metric: str, subset: str, continuous: bool, snapshot: str) -> dict:
    return breakpoint_row(points, metric=metric, subset=subset, continuous=continuous, snapshot=snapshot)


# -- the steps: trends.levels and trends.breakpoints, each checked against its contract -----------------------------

LEVELS_CONTRACT = TableContract(
    "levels",
    keys=("metric", "subset", "year"),
    required=("median", "year"),
    minimums=(("n", 1),),
    status_column=None,
)
BREAKPOINTS_CONTRACT = TableContract(
    "breakpoints",
    keys=("metric", "subset", "kind"),
    required=("break_date", "slope_before_oom_per_year", "slope_after_oom_per_year", "r2"),
    intervals=(
        ("break_date", "break_date_ci_low", "break_date_ci_high"),
        ("slope_before_oom_per_year", "slope_before_ci_low", "slope_before_ci_high"),
        ("slope_after_oom_per_year", "slope_after_ci_low", "slope_after_ci_high"),
        ("growth_before_per_year", "growth_before_ci_low", "growth_before_ci_high"),
        ("growth_after_per_year", "growth_after_ci_low", "growth_after_ci_high"),
    ),
    minimums=(("n", 2 * MIN_POINTS),),
)


def build_levels(con: duckdb.DuckDBPyConnection) -> TrendOutput:
    """trends.levels from marts.models."""
    return TrendOutput({LEVELS_CONTRACT.table: levels_frame(load_models(con), models_snapshot(con))})


def build_breakpoints(con: duckdb.DuckDBPyConnection) -> TrendOutput:
    """trends.breakpoints from marts.models; each break found is logged with its interval."""
    frame = breakpoints_frame(load_models(con), models_snapshot(con))
    log = row_lines(
        frame.filter(pl.col("status") == Status.OK),
        "{metric} / {subset} / {kind}: break {break_date} (90% CI {break_date_ci_low}..{break_date_ci_high})",
    )
    return TrendOutput({BREAKPOINTS_CONTRACT.table: frame}, log=log)


STEPS = [
    TrendStep(
        "levels",
        reads=("marts.models",),
        tables=(
            TrendTable(
                LEVELS_CONTRACT,
                "median and quartiles of each input metric by publication year (e.g. tokens per parameter).",
            ),
        ),
        build=build_levels,
    ),
    TrendStep(
        "breakpoints",
        reads=("marts.models",),
        tables=(
            TrendTable(
                BREAKPOINTS_CONTRACT,
                "the single best break date in compute and parameter trends, continuous or with a jump.",
            ),
        ),
        build=build_breakpoints,
    ),
]
