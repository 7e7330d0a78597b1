"""Outputs per input and per year: benchmark scores against compute and cost, and the record score over time.

Scores are `marts.benchmark_scores` rows in unit 'fraction' (bounded 0-1, so an error rate 1 - score exists);
indices, Elo ratings and minutes are left out. One model has several rows per benchmark (settings such as
`_high`, scaffolds,
versions such as `-001`/`-002`): the scaling fits take the **best score per model** (`model_key`, whose compute
and cost are known) and the progress fits the **best score per model version** (`base_version`, dated by its own
release date, else the model's publication date), so a later, better version counts when it appeared.

Scaling: a logistic fit of score on log10 x (`pipelines.trends.fits.fit_logistic`), x = compute or
cost, reported at the data's median x: points gained per 10x and the multiplier of x that halves the error rate
(Ord's inversion). Cost comes in two bases side by side: 'observed' (Epoch's published cost only) and 'imputed'
(observed where published, else compute × the cost-per-FLOP trend; the trend's bootstrap draws move the imputed x
in every resample, so its uncertainty is in the CIs).

Progress (point 4): the running best score over time; a line through the record-setting points gives points per
year, and a log-linear fit of the error rate (1 - score) of the same points gives the years to halve it.
"""

from __future__ import annotations

import math

import duckdb
import numpy as np
import polars as pl

from pipelines.trends import reuse
from pipelines.trends.checks import TableContract, ci_triples
from pipelines.trends.costs import CostTrend, cost_trend_or_none
from pipelines.trends.fits import (
    CI_LEVEL,
    LOGISTIC_RESAMPLES,
    MIN_POINTS,
    InsufficientData,
    decimal_year,
    fit_line,
    fit_logistic,
    logistic_gain_per_unit,
    logistic_value,
    logistic_x_to_halve_error,
    percentile_ci,
)
from pipelines.trends.inputs import load_models
from pipelines.trends.status import (
    Check,
    Estimate,
    Status,
    judge_each,
    spans_more_than,
    status_columns,
    status_text,
    unbounded,
)
from pipelines.trends.steps import TrendOutput, TrendStep, TrendTable
from pipelines.warehouse import query_frame

MIN_BENCHMARK_MODELS = MIN_POINTS  # a four-parameter curve needs at least this many models
MIN_RECORD_POINTS = 5
MIN_POINTS_PER_10X = 0.01  # the lower CI bound of points per 10x must clear this for a usable trend

SCORES_QUERY = """
select benchmark, benchmark_name, model_version, base_version, model_key, model_name, trend_score, release_date,
       snapshot_sha256
from marts.benchmark_scores
where unit = 'fraction' and trend_score is not null
order by member, row_number
"""

# One row per scored model with a cost: observed, else imputed from compute (trends.model_costs, built earlier).
MODEL_COSTS_QUERY = """
select model_key, observed_cost_usd_2023, imputed_cost_usd_2023, cost_usd_2023, is_imputed
from trends.model_costs
where cost_usd_2023 is not null and model_key in (select model_key from marts.benchmark_scores)
"""


def load_scores(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return query_frame(con, SCORES_QUERY)


def load_model_costs(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return query_frame(con, MODEL_COSTS_QUERY)


def scores_snapshot(scores: pl.DataFrame) -> str:
    shas = scores["snapshot_sha256"].drop_nulls()
    return shas[0] if shas.len() else ""


def best_by_model(scores: pl.DataFrame, models: pl.DataFrame, costs: pl.DataFrame) -> pl.DataFrame:
    """One row per (benchmark, model_key): the best score over settings and versions, with the model's compute,
    publication date and costs (observed and observed-else-imputed)."""
    best = (
        scores.filter(pl.col("model_key").is_not_null())
        .group_by("benchmark", "model_key")
        .agg(
            pl.col("benchmark_name").first(),
            pl.col("trend_score").max().alias("score"),
            pl.len().alias("n_results"),
        )
    )
    facts = models.select("model_key", "model_name", "publication_date", "training_compute_flop")
    return (
        best.join(facts, on="model_key", how="left")
        .join(costs, on="model_key", how="left")
        .with_columns(decimal_year(pl.col("publication_date")).alias("year"))
        .sort("benchmark", "model_key")
    )


def best_by_version(scores: pl.DataFrame, models: pl.DataFrame) -> pl.DataFrame:
    """One row per (benchmark, base version): the best score over settings, dated by the version's release date
    (else the model's publication date); versions with no date are left out."""
    dates = models.select("model_key", pl.col("publication_date").alias("_published"))
    return (
        scores.join(dates, on="model_key", how="left")
        .group_by("benchmark", "base_version")
        .agg(
            pl.col("benchmark_name").first(),
            pl.col("trend_score").max().alias("score"),
            pl.coalesce(pl.col("release_date").min(), pl.col("_published").min()).alias("date"),
            pl.coalesce(pl.col("model_name").drop_nulls().first(), pl.col("base_version").first()).alias("model_name"),
            pl.col("model_key").drop_nulls().first(),
        )
        .filter(pl.col("date").is_not_null())
        .sort("benchmark", "date", "base_version")
    )


def _ci_columns(prefix: str, estimate: tuple[float, float, float]) -> dict[str, float]:
    point, low, high = estimate
    return {prefix: point, f"{prefix}_ci_low": low, f"{prefix}_ci_high": high}


def _finite_or_none(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _power_of_ten(exponent: float) -> float:
    """10**exponent, infinite beyond what a float holds (a flat curve can need hundreds of OOM)."""
    return 10**exponent if math.isfinite(exponent) and exponent < 300 else math.inf


def _inside(estimate: tuple[float, float, float]) -> bool:
    point, low, high = estimate
    if not math.isfinite(point):
        return True
    return low <= point * (1 + 1e-9) + 1e-12 and point <= high * (1 + 1e-9) + 1e-12


# -- scaling: score vs log10 compute or cost ------------------------------------------------------------------------

SCALING_SCHEMA: dict[str, pl.DataType] = {
    "benchmark": pl.String(),
    "benchmark_name": pl.String(),
    "x": pl.String(),
    "cost_basis": pl.String(),
    "x_unit": pl.String(),
    "n_models": pl.Int64(),
    "n_imputed": pl.Int64(),
    "x_median": pl.Float64(),
    "score_at_median": pl.Float64(),
    "score_at_median_ci_low": pl.Float64(),
    "score_at_median_ci_high": pl.Float64(),
    "floor": pl.Float64(),
    "floor_ci_low": pl.Float64(),
    "floor_ci_high": pl.Float64(),
    "ceiling": pl.Float64(),
    "ceiling_ci_low": pl.Float64(),
    "ceiling_ci_high": pl.Float64(),
    "slope": pl.Float64(),
    "slope_ci_low": pl.Float64(),
    "slope_ci_high": pl.Float64(),
    "midpoint": pl.Float64(),
    "midpoint_ci_low": pl.Float64(),
    "midpoint_ci_high": pl.Float64(),
    "points_per_10x_at_median": pl.Float64(),
    "points_per_10x_at_median_ci_low": pl.Float64(),
    "points_per_10x_at_median_ci_high": pl.Float64(),
    "multiplier_to_halve_error": pl.Float64(),
    "multiplier_to_halve_error_ci_low": pl.Float64(),
    "multiplier_to_halve_error_ci_high": pl.Float64(),
    "r2": pl.Float64(),
    "residual_sd": pl.Float64(),
    "ci_level": pl.Float64(),
    "status": pl.String(),
    "status_reason": pl.String(),
    "note": pl.String(),
    "snapshot": pl.String(),
}

SCALING_CASES = (("compute", "n/a"), ("cost", "observed"), ("cost", "imputed"))


def scaling_points(
    best: pl.DataFrame, x: str, cost_basis: str, trend: CostTrend | None
) -> tuple[pl.DataFrame, np.ndarray, np.ndarray | None]:
    """The models of one fit, their log10 x and (imputed basis only) log10 x under each resample of the trend."""
    if x == "compute":
        rows = best.filter(pl.col("training_compute_flop") > 0)
        return rows, np.log10(rows["training_compute_flop"].to_numpy()), None
    if cost_basis == "observed":
        rows = best.filter(pl.col("observed_cost_usd_2023") > 0)
        return rows, np.log10(rows["observed_cost_usd_2023"].to_numpy()), None
    rows = best.filter((pl.col("cost_usd_2023") > 0) & pl.col("year").is_not_null())
    log_x = np.log10(rows["cost_usd_2023"].to_numpy())
    if trend is None or rows.is_empty():
        return rows, log_x, None
    imputed = rows["is_imputed"].fill_null(False).to_numpy()
    shifted = np.log10(rows["training_compute_flop"].to_numpy()) + trend.log10_usd_per_flop_draws(
        rows["year"].to_numpy()
    )
    x_draws = np.where(imputed[None, :], shifted, log_x[None, :])[:LOGISTIC_RESAMPLES]
    return rows, log_x, x_draws


def _halving_columns(row: dict[str, object], fit, x0: float, score: tuple, multiplier: tuple) -> list[str]:
    """The multiplier of x that halves the error, into `row` (an unbounded CI end left null); notes on what could not
    be bounded, or why the fit never halves the error."""
    if not math.isfinite(multiplier[0]):
        target = 1 - (1 - score[0]) / 2
        return [
            f"the fitted ceiling ({fit.params[1]:.3f}) is at or below the score that halves the error at the median "
            f"({target:.3f}): the fit never gets there"
        ]
    row.update(**_ci_columns("multiplier_to_halve_error", multiplier))
    if not math.isfinite(multiplier[1]):
        row["multiplier_to_halve_error_ci_low"] = None
    if math.isfinite(multiplier[2]):
        return []
    row["multiplier_to_halve_error_ci_high"] = None
    never = float(np.mean(~np.isfinite(logistic_x_to_halve_error(fit.draws, x0))))
    return [f"upper CI bound unbounded: {never:.0%} of resamples never halve the error"]


def scaling_row(
    best: pl.DataFrame, *, benchmark: str, x: str, cost_basis: str, trend: CostTrend | None, snapshot: str
) -> dict[str, object]:
    """One `trends.benchmark_scaling` row: the logistic fit and what it says at the median x."""
    rows, log_x, x_draws = scaling_points(best, x, cost_basis, trend)
    row: dict[str, object] = dict.fromkeys(SCALING_SCHEMA)
    row.update(
        benchmark=benchmark,
        benchmark_name=best["benchmark_name"][0] if best.height else benchmark,
        x=x,
        cost_basis=cost_basis,
        x_unit="FLOP" if x == "compute" else "2023 USD",
        n_models=rows.height,
        n_imputed=int(rows["is_imputed"].fill_null(False).sum()) if cost_basis == "imputed" else 0,
        ci_level=CI_LEVEL,
        snapshot=snapshot,
    )
    if x == "cost" and cost_basis == "imputed" and trend is None:
        row.update(status_columns(Status.INSUFFICIENT_DATA, "no cost-per-FLOP trend to impute from"))
        return row
    try:
        fit = fit_logistic(log_x, rows["score"].to_numpy(), x_draws=x_draws, min_points=MIN_BENCHMARK_MODELS)
    except InsufficientData as exc:
        row.update(status_columns(Status.INSUFFICIENT_DATA, str(exc)))
        return row
    x0 = float(np.median(log_x))
    score = fit.estimate(lambda p: logistic_value(p, x0))
    gain = fit.estimate(lambda p: 100 * logistic_gain_per_unit(p, x0))
    halve = fit.estimate(lambda p: logistic_x_to_halve_error(p, x0))
    row.update(
        x_median=10**x0,
        r2=fit.r2,
        residual_sd=fit.residual_sd,
        **_ci_columns("score_at_median", score),
        **_ci_columns("floor", fit.parameter("floor")),
        **_ci_columns("ceiling", fit.parameter("ceiling")),
        **_ci_columns("slope", fit.parameter("slope")),
        **_ci_columns("midpoint", fit.parameter("midpoint")),
        **_ci_columns("points_per_10x_at_median", gain),
    )
    multiplier = tuple(_power_of_ten(v) for v in halve)
    notes = _halving_columns(row, fit, x0, score, multiplier)
    row.update(status_columns(Status.OK))
    if gain[1] < MIN_POINTS_PER_10X:
        # a flat or noisy cloud: the multiplier would be an artefact of the bounds
        reason = f"the {CI_LEVEL:.0%} CI of points per 10x reaches {gain[1]:.2f}"
        row.update(status_columns(Status.NO_CLEAR_TREND, reason))
    unstable = [name for name, est in (("slope", fit.parameter("slope")), ("points per 10x", gain)) if not _inside(est)]
    if math.isfinite(multiplier[0]) and not _inside(multiplier):
        unstable.append("multiplier")
    if unstable and row["status"] == Status.OK:
        row.update(status_columns(Status.UNSTABLE, f"{', '.join(unstable)} outside its bootstrap CI"))
    row["note"] = "; ".join(notes) or None
    return row


# the columns each case of a benchmark's fit reads: a job gets only these, so a release that changes a column it
# does not read (imputed costs move with the cost trend) leaves its inputs, and so its reused result, alone
CASE_COLUMNS = {
    ("compute", "n/a"): ("benchmark_name", "score", "training_compute_flop"),
    ("cost", "observed"): ("benchmark_name", "score", "observed_cost_usd_2023"),
    ("cost", "imputed"): ("benchmark_name", "score", "cost_usd_2023", "year", "is_imputed", "training_compute_flop"),
}


def scaling_case_row(
    group: pl.DataFrame, benchmark: str, x: str, cost_basis: str, trend: CostTrend | None, snapshot: str
) -> dict[str, object]:
    """One benchmark and case: `scaling_row` as a job for the worker processes."""
    return scaling_row(group, benchmark=benchmark, x=x, cost_basis=cost_basis, trend=trend, snapshot=snapshot)


def scaling_frame(best: pl.DataFrame, trend: CostTrend | None, snapshot: str) -> pl.DataFrame:
    """Every fraction benchmark × (compute | cost observed | cost imputed); the benchmarks' bootstrapped logistic
    fits (seconds of CPU) are spread over the run's worker processes, and those whose inputs and code the warehouse
    holds the result of are reused (`pipelines.trends.reuse`)."""
    jobs = []
    for name in best["benchmark"].unique().sort().to_list():
        group = best.filter(pl.col("benchmark") == name)
        for x, basis in SCALING_CASES:
            columns = group.select(CASE_COLUMNS[(x, basis)])
            jobs.append((columns, name, x, basis, trend if basis == "imputed" else None, snapshot))
    return pl.DataFrame(reuse.reused_starmap(scaling_case_row, jobs), schema=SCALING_SCHEMA)


# -- progress: the record score (best to date) over time ------------------------------------------------------------

PROGRESS_SCHEMA: dict[str, pl.DataType] = {
    "benchmark": pl.String(),
    "benchmark_name": pl.String(),
    "n_models": pl.Int64(),
    "n_record_points": pl.Int64(),
    "first_date": pl.Date(),
    "last_date": pl.Date(),
    "best_score": pl.Float64(),
    "best_model": pl.String(),
    "points_per_year": pl.Float64(),
    "points_per_year_ci_low": pl.Float64(),
    "points_per_year_ci_high": pl.Float64(),
    "intercept": pl.Float64(),
    "slope": pl.Float64(),
    "r2": pl.Float64(),
    "years_to_halve_error": pl.Float64(),
    "years_to_halve_error_ci_low": pl.Float64(),
    "years_to_halve_error_ci_high": pl.Float64(),
    "error_r2": pl.Float64(),
    "ci_level": pl.Float64(),
    "status": pl.String(),
    "status_reason": pl.String(),
    "note": pl.String(),
    "snapshot": pl.String(),
}


def record_points(versions: pl.DataFrame) -> pl.DataFrame:
    """The record-setting versions of one benchmark: each beats every earlier one (ties on a date: the best)."""
    ordered = versions.sort(["date", "score"], descending=[False, True])
    previous = ordered["score"].cum_max().shift(1)
    return ordered.filter(previous.is_null() | (ordered["score"] > previous))


def progress_row(versions: pl.DataFrame, *, benchmark: str, snapshot: str) -> dict[str, object]:
    """One `trends.benchmark_progress` row: points per year along the record-setting versions and years to halve
    their error."""
    records = record_points(versions)
    row: dict[str, object] = dict.fromkeys(PROGRESS_SCHEMA)
    best = records.sort("score", descending=True).row(0, named=True) if records.height else None
    row.update(
        benchmark=benchmark,
        benchmark_name=versions["benchmark_name"][0] if versions.height else benchmark,
        n_models=versions.height,
        n_record_points=records.height,
        first_date=versions["date"].min(),
        last_date=versions["date"].max(),
        best_score=best["score"] if best else None,
        best_model=best["model_name"] if best else None,
        ci_level=CI_LEVEL,
        snapshot=snapshot,
    )
    years = records.select(decimal_year(pl.col("date")))["date"].to_numpy()
    scores = records["score"].to_numpy()
    try:
        line = fit_line(years, scores, min_points=MIN_RECORD_POINTS)
    except InsufficientData as exc:
        row.update(status_columns(Status.INSUFFICIENT_DATA, f"{exc} (record-setting points)"))
        return row
    row.update(
        points_per_year=100 * line.slope_oom_per_year,
        points_per_year_ci_low=100 * line.slope_ci_low,
        points_per_year_ci_high=100 * line.slope_ci_high,
        intercept=line.intercept,
        slope=line.slope_oom_per_year,
        r2=line.r2,
        **status_columns(Status.OK),
    )
    notes = []
    unsaturated = scores < 1
    try:
        error = fit_line(years[unsaturated], np.log10(1 - scores[unsaturated]), min_points=MIN_RECORD_POINTS)
    except InsufficientData as exc:
        notes.append(f"no error-halving fit: {exc}")
    else:
        with np.errstate(divide="ignore"):
            halving = np.where(error.slope_draws < 0, math.log10(2) / -error.slope_draws, np.inf)
        low, high = percentile_ci(halving)
        row["error_r2"] = error.r2
        if error.slope_oom_per_year < 0:
            point = math.log10(2) / -error.slope_oom_per_year
            row.update(
                years_to_halve_error=point,
                years_to_halve_error_ci_low=_finite_or_none(low),
                years_to_halve_error_ci_high=_finite_or_none(high),
            )
            if not math.isfinite(high):
                notes.append(
                    f"upper CI bound unbounded: {np.mean(~np.isfinite(halving)):.0%} of resamples show no fall"
                )
            if not _inside((point, low, high)):
                row.update(status_columns(Status.UNSTABLE, "years to halve the error outside its bootstrap CI"))
        else:
            notes.append("the error rate did not fall over the record-setting points")
    if not _inside((row["points_per_year"], row["points_per_year_ci_low"], row["points_per_year_ci_high"])):
        row.update(status_columns(Status.UNSTABLE, "points per year outside its bootstrap CI"))
    row["note"] = "; ".join(notes) or None
    return row


def progress_frame(versions: pl.DataFrame, snapshot: str) -> pl.DataFrame:
    rows = [
        progress_row(versions.filter(pl.col("benchmark") == benchmark), benchmark=benchmark, snapshot=snapshot)
        for benchmark in versions["benchmark"].unique().sort().to_list()
    ]
    return pl.DataFrame(rows, schema=PROGRESS_SCHEMA)


# -- per dollar vs per year -----------------------------------------------------------------------------------------

PER_DOLLAR_SCHEMA: dict[str, pl.DataType] = {
    "benchmark": pl.String(),
    "benchmark_name": pl.String(),
    "n_models": pl.Int64(),
    "compute_multiplier_to_halve_error": pl.Float64(),
    "compute_multiplier_to_halve_error_ci_low": pl.Float64(),
    "compute_multiplier_to_halve_error_ci_high": pl.Float64(),
    "n_models_cost": pl.Int64(),
    "n_imputed_cost": pl.Int64(),
    "dollar_multiplier_to_halve_error": pl.Float64(),
    "dollar_multiplier_to_halve_error_ci_low": pl.Float64(),
    "dollar_multiplier_to_halve_error_ci_high": pl.Float64(),
    "cost_basis": pl.String(),
    "n_record_points": pl.Int64(),
    "years_to_halve_error": pl.Float64(),
    "years_to_halve_error_ci_low": pl.Float64(),
    "years_to_halve_error_ci_high": pl.Float64(),
    "compute_doublings_to_halve_error": pl.Float64(),
    "ci_level": pl.Float64(),
    "status": pl.String(),
    "status_reason": pl.String(),
    "note": pl.String(),
}

PER_DOLLAR_COST_BASIS = "imputed"
MAX_SPAN_OOM = 3.0  # an interval wider than this many orders of magnitude does not identify a number
IDENTIFIED = ("compute_multiplier_to_halve_error", "dollar_multiplier_to_halve_error", "years_to_halve_error")
# an estimate whose interval is unbounded, or spans more than MAX_SPAN_OOM orders of magnitude, identifies nothing
IDENTIFICATION = (
    Check(
        Status.NOT_IDENTIFIED,
        (
            unbounded(f"the {CI_LEVEL:.0%} CI is unbounded on the {{side}} side", positive=True),
            spans_more_than(
                MAX_SPAN_OOM,
                f"the {CI_LEVEL:.0%} CI spans {{span:.1f}} orders of magnitude (more than {MAX_SPAN_OOM:.0f})",
            ),
        ),
        every=False,
    ),
)
# (this table's column, the source row it comes from, the source's column, the label of its reasons)
PER_DOLLAR_FIGURES = (
    ("compute_multiplier_to_halve_error", "compute", "multiplier_to_halve_error", "compute multiplier"),
    ("dollar_multiplier_to_halve_error", "dollars", "multiplier_to_halve_error", "dollar multiplier"),
    ("years_to_halve_error", "years", "years_to_halve_error", "years"),
)
OPTIONAL_FIGURE = "dollar multiplier"  # a row is complete without it


def identification(row: dict[str, object]) -> tuple[Status, str | None]:
    """Not identified, with a reason per estimate, when any estimate of a per-dollar row has an interval that
    identifies nothing; else ok."""
    estimates = {
        stem.replace("_", " "): Estimate(row[stem], row.get(f"{stem}_ci_low"), row.get(f"{stem}_ci_high"))
        for stem in IDENTIFIED
        if row.get(stem) is not None
    }
    return judge_each(estimates, IDENTIFICATION)


def benchmark_sources(scaling: pl.DataFrame, progress: pl.DataFrame, benchmark: str) -> dict[str, dict[str, object]]:
    """The rows one benchmark's figures come from: its compute and (imputed basis) dollar scaling fits and its
    progress fit; {} where there is none."""
    fits = scaling.filter(pl.col("benchmark") == benchmark)
    frames = {
        "compute": fits.filter(pl.col("x") == "compute"),
        "dollars": fits.filter((pl.col("x") == "cost") & (pl.col("cost_basis") == PER_DOLLAR_COST_BASIS)),
        "years": progress.filter(pl.col("benchmark") == benchmark),
    }
    return {key: frame.row(0, named=True) if frame.height else {} for key, frame in frames.items()}


def why_missing(source: dict[str, object]) -> str:
    """Why a source row gives no figure: its note when its fit is ok (a ceiling below the target), else its status
    and reason; 'no fit' without a row."""
    status = source.get("status")
    reason = source.get("note") if status == Status.OK else status_text(status, source.get("status_reason"))
    return str(reason or "no fit")


def ran_without_a_number(source: dict[str, object]) -> bool:
    """A fit that ran but gives no number (a flat cloud, a ceiling below the target, an unstable fit) identifies
    nothing; that is not a lack of data."""
    return source.get("status") not in (None, "", Status.INSUFFICIENT_DATA)


def per_dollar_status(row: dict[str, object], missing: list[str], ran: list[bool]) -> dict[str, object]:
    """Status, reason and note of a per-dollar row. With the compute multiplier and the years: ok unless an
    interval identifies nothing, a missing dollar multiplier in the note. Without: not identified when every
    required figure that is missing ran without a number (`ran`), else insufficient data."""
    if row["compute_multiplier_to_halve_error"] is not None and row["years_to_halve_error"] is not None:
        return status_columns(*identification(row)) | {"note": "; ".join(missing) or None}
    status = Status.NOT_IDENTIFIED if all(ran) else Status.INSUFFICIENT_DATA
    return status_columns(status, "; ".join(missing)) | {"note": None}


def per_dollar_row(benchmark: str, sources: dict[str, dict[str, object]]) -> dict[str, object]:
    """One benchmark's row: each figure its source fit identifies, and why the others are missing."""
    compute, dollars, years = sources["compute"], sources["dollars"], sources["years"]
    row: dict[str, object] = dict.fromkeys(PER_DOLLAR_SCHEMA)
    row.update(
        benchmark=benchmark,
        benchmark_name=compute.get("benchmark_name") or years.get("benchmark_name") or benchmark,
        n_models=compute.get("n_models", 0),
        n_models_cost=dollars.get("n_models", 0),
        n_imputed_cost=dollars.get("n_imputed", 0),
        cost_basis=PER_DOLLAR_COST_BASIS,
        n_record_points=years.get("n_record_points", 0),
        ci_level=CI_LEVEL,
    )
    missing, ran = [], []
    for column, key, stem, label in PER_DOLLAR_FIGURES:
        source = sources[key]
        if source.get("status") == Status.OK and source.get(stem) is not None:
            row.update({column: source[stem], f"{column}_ci_low": source[f"{stem}_ci_low"]})
            row[f"{column}_ci_high"] = source[f"{stem}_ci_high"]
            continue
        missing.append(f"{label}: {why_missing(source)}")
        if label != OPTIONAL_FIGURE:
            ran.append(ran_without_a_number(source))
    if row["compute_multiplier_to_halve_error"] is not None:
        row["compute_doublings_to_halve_error"] = math.log2(row["compute_multiplier_to_halve_error"])
    return row | per_dollar_status(row, missing, ran)


def per_dollar_vs_per_year_frame(
    scaling: pl.DataFrame, progress: pl.DataFrame, pooled: dict[str, object] | None = None
) -> pl.DataFrame:
    """One row per benchmark: halving the error took ×N compute, ×M dollars (imputed basis), or Y years; the
    `pooled` row (one shared slope over the benchmarks), when given, first.

    Status 'ok' when the compute multiplier and the years both come from 'ok' fits with an estimate; the dollar
    multiplier may still be missing (too few costed models, or a ceiling below the target), and the note says so.
    A row whose interval (of any of the three) is unbounded or spans more than MAX_SPAN_OOM orders of magnitude
    is 'not identified' with the reason: visible, and left out of every summary.
    """
    names = sorted(set(scaling["benchmark"].to_list()) | set(progress["benchmark"].to_list()))
    rows = [per_dollar_row(name, benchmark_sources(scaling, progress, name)) for name in names]
    return pl.DataFrame(([pooled] if pooled else []) + rows, schema=PER_DOLLAR_SCHEMA)


# -- the steps: trends.benchmark_scaling and trends.benchmark_progress, each checked against its contract -----------
# (trends.per_dollar_vs_per_year, made of both and of the pooled fit, is `pipelines.trends.pooled`'s step)

SCALING_CONTRACT = TableContract(
    "benchmark_scaling",
    keys=("benchmark", "x", "cost_basis"),
    required=("floor", "ceiling", "slope", "midpoint", "score_at_median", "points_per_10x_at_median"),
    intervals=ci_triples("slope", "points_per_10x_at_median", "multiplier_to_halve_error"),
    minimums=(("n_models", MIN_BENCHMARK_MODELS),),
)
PROGRESS_CONTRACT = TableContract(
    "benchmark_progress",
    keys=("benchmark",),
    required=("points_per_year", "points_per_year_ci_low", "points_per_year_ci_high", "intercept", "slope"),
    intervals=ci_triples("points_per_year", "years_to_halve_error"),
    minimums=(("n_record_points", MIN_RECORD_POINTS),),
)


def build_scaling(con: duckdb.DuckDBPyConnection) -> TrendOutput:
    """trends.benchmark_scaling from the scores, the models and their costs (trends.model_costs)."""
    models = load_models(con)
    scores = load_scores(con)
    best = best_by_model(scores, models, load_model_costs(con))
    frame = scaling_frame(best, cost_trend_or_none(models), scores_snapshot(scores))
    return TrendOutput({SCALING_CONTRACT.table: frame})


def build_progress(con: duckdb.DuckDBPyConnection) -> TrendOutput:
    """trends.benchmark_progress from the scores, each version dated by its release (else its model's)."""
    scores = load_scores(con)
    frame = progress_frame(best_by_version(scores, load_models(con)), scores_snapshot(scores))
    return TrendOutput({PROGRESS_CONTRACT.table: frame})


STEPS = [
    TrendStep(
        "benchmark_scaling",
        reads=("marts.benchmark_scores", "marts.models", "trends.model_costs"),
        tables=(
            TrendTable(
                SCALING_CONTRACT,
                "logistic score vs log10 compute / cost per benchmark, per 10x and to halve error.",
            ),
        ),
        build=build_scaling,
    ),
    TrendStep(
        "benchmark_progress",
        reads=("marts.benchmark_scores", "marts.models"),
        tables=(
            TrendTable(
                PROGRESS_CONTRACT,
                "the record score over time per benchmark, points per year, years to halve error.",
            ),
        ),
        build=build_progress,
    ),
]
