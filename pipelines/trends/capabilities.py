"""Capability indices that do not saturate: the Epoch Capabilities Index (points) and METR's 50% time horizon
(doublings, i.e. log2 minutes), per year, per 10x compute and per 10x dollars, with a fitted breakpoint.

Scores are `marts.benchmark_scores` rows of `eci` and `metr_time_horizons`. Per year: a line through the dated
versions (each base version's best score, dated by its release), on the record-setting versions (subset
`record_setting`: each beats every earlier one) and on all versions (`all`).
Per 10x compute or cost: across models (best score per model), OLS of the index on log10 x **and** the release date,
so the coefficient is the gain per 10x at a fixed date; without the date, compute would be credited with the progress
that came with time. Compute is the benchmark file's estimate, else `marts.models`. Every estimate has a 90%
bootstrap CI (rows resampled); the breakpoint search is re-run in every resample
(`pipelines.trends.fits.fit_breakpoint`).

The decomposition (what one year of record-setting progress is worth): per_year / per_10x_compute is the OOM of
compute one year of progress equals; against the actual compute growth of frontier models (Epoch's flag) it splits
progress into compute and everything else. Both ratios are taken draw by draw, so their CIs carry every fit's
uncertainty.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta

import duckdb
import numpy as np
import polars as pl

from pipelines.trends import benchmarks, inputs
from pipelines.trends.checks import TableContract
from pipelines.trends.costs import CostTrend, cost_trend_or_none
from pipelines.trends.fits import (
    BOOTSTRAP_RESAMPLES,
    BOOTSTRAP_SEED,
    CI_LEVEL,
    DEEP_LEARNING_START,
    InsufficientData,
    LogLinearFit,
    add_months,
    bootstrap_weights,
    date_from_decimal_year,
    decimal_year,
    fit_breakpoint,
    fit_line,
    fit_window,
    percentile_ci,
    rolling_windows,
)
from pipelines.trends.status import (
    Check,
    Estimate,
    Status,
    estimate_row,
    includes_zero,
    not_finite,
    outside,
    spans_more_than,
    status_columns,
    unbounded,
    when,
)
from pipelines.trends.steps import LogLine, TrendOutput, TrendStep, TrendTable, info
from pipelines.warehouse import query_frame

MIN_CAPABILITY_POINTS = 8  # below this a fit is "insufficient data"
MIN_BREAK_SIDE = 5  # points on each side of a break; METR has about 14 record-setting versions
RECORD_SETTING = "record_setting"  # the subset of record-setting versions (`all`: every dated version)
ROLLING_YEARS = 2
ROLLING_STEP_MONTHS = 6
PLANE_SEED = BOOTSTRAP_SEED + 1  # independent of the per-year draws, so draw-by-draw ratios are joint draws


@dataclass(frozen=True)
class CapabilityIndex:
    """An index fitted on its `trend_score` (ECI points; METR's log2 minutes, so a unit is one doubling); `unit` is
    the unit of its rates in `trends.capability_trends`."""

    name: str  # its benchmark id in pipelines/tidy/benchmarks.yaml and marts.benchmark_scores
    unit: str
    label: str


INDICES = (
    CapabilityIndex("eci", "points", "Epoch Capabilities Index"),
    CapabilityIndex("metr_time_horizons", "doublings", "METR 50% time horizon"),
)

INDEX_SCORES_QUERY = f"""
select s.benchmark, s.benchmark_name, s.model_version, s.base_version, s.model_key, s.model_name, s.trend_score,
       s.release_date, s.snapshot_sha256, s.file_training_compute_flop as file_compute_flop
from marts.benchmark_scores as s
where s.benchmark in ({", ".join(f"'{index.name}'" for index in INDICES)}) and s.score > 0
order by s.member, s.row_number
"""


def load_index_scores(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return query_frame(con, INDEX_SCORES_QUERY)


def index_scores(scores: pl.DataFrame, index: CapabilityIndex) -> pl.DataFrame:
    """One index's rows; the benchmark helpers read their `trend_score` (ECI points, METR's log2 minutes)."""
    return scores.filter(pl.col("benchmark") == index.name)


def model_points(scores: pl.DataFrame, models: pl.DataFrame, costs: pl.DataFrame) -> pl.DataFrame:
    """Best value per model with compute (the file's estimate, else marts.models), costs and date (publication,
    else the first release of a version)."""
    best = benchmarks.best_by_model(scores, models, costs)
    from_file = scores.group_by("model_key").agg(pl.col("file_compute_flop").max(), pl.col("release_date").min())
    return (
        best.join(from_file, on="model_key", how="left")
        .with_columns(
            pl.coalesce("file_compute_flop", "training_compute_flop").alias("training_compute_flop"),
            pl.coalesce("publication_date", "release_date").alias("publication_date"),
        )
        .with_columns(decimal_year(pl.col("publication_date")).alias("year"))
        .filter(pl.col("year").is_not_null())
    )


# -- the index on log10 resources and date ---------------------------------------------------------------------


@dataclass(frozen=True)
class PlaneFit:
    """OLS of y on x (log10 resources) and t (decimal year): y = c + a·x + b·t, with bootstrap draws of a and b."""

    n: int
    a: float
    b: float
    a_draws: np.ndarray = field(repr=False, compare=False)
    b_draws: np.ndarray = field(repr=False, compare=False)
    r2: float
    simple_slope: float  # y on x alone, for comparison with published cross-sections


def _normal_solve(x: np.ndarray, t: np.ndarray, y: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted least squares of y on (1, x, t) for each row of w (and of x, when x is 2-D): (rows, 3)."""
    x = np.broadcast_to(x, w.shape)
    cols = [np.ones_like(x), x, np.broadcast_to(t, w.shape)]
    a = np.empty((w.shape[0], 3, 3))
    b = np.empty((w.shape[0], 3))
    for i, ci in enumerate(cols):
        b[:, i] = (w * ci * y).sum(1)
        for j, cj in enumerate(cols[: i + 1]):
            a[:, i, j] = a[:, j, i] = (w * ci * cj).sum(1)
    ok = np.linalg.det(a) > 1e-9 * np.prod(np.diagonal(a, axis1=1, axis2=2), axis=1)  # callers centre x and t
    beta = np.linalg.solve(np.where(ok[:, None, None], a, np.eye(3)), b[..., None])[..., 0]
    return np.where(ok[:, None], beta, np.nan)


def fit_plane(
    x: np.ndarray,
    t: np.ndarray,
    y: np.ndarray,
    *,
    x_draws: np.ndarray | None = None,
    resamples: int = BOOTSTRAP_RESAMPLES,
    seed: int = PLANE_SEED,
    min_points: int = MIN_CAPABILITY_POINTS,
) -> PlaneFit:
    """y = c + a·x + b·t by OLS; rows resampled (and, with `x_draws` (resamples, n), that resample's x)."""
    x, t, y = (np.asarray(v, dtype=float) for v in (x, t, y))
    keep = np.isfinite(x) & np.isfinite(t) & np.isfinite(y)
    x, t, y = x[keep], t[keep], y[keep]
    n = int(x.size)
    if n < min_points:
        raise InsufficientData(f"{n} models with a value and a date; a fit needs at least {min_points}")
    if np.ptp(x) == 0 or np.ptp(t) == 0:
        raise InsufficientData("no spread in resources or in dates")
    x0, t0 = x.mean(), t.mean()  # centred, so the normal equations are well conditioned
    beta = _normal_solve(x - x0, t - t0, y, np.ones((1, n)))[0]
    if x_draws is not None:
        x_draws = np.asarray(x_draws, dtype=float)[:, keep]
        resamples = x_draws.shape[0]
    xb = (x if x_draws is None else x_draws) - x0
    draws = _normal_solve(xb, t - t0, y, bootstrap_weights(n, resamples, seed))
    residuals = y - (beta[0] + beta[1] * (x - x0) + beta[2] * (t - t0))
    total = float(((y - y.mean()) ** 2).sum())
    xc = x - x.mean()
    return PlaneFit(
        n=n,
        a=float(beta[1]),
        b=float(beta[2]),
        a_draws=draws[:, 1],
        b_draws=draws[:, 2],
        r2=1 - float((residuals**2).sum()) / total if total > 0 else math.nan,
        simple_slope=float((xc * (y - y.mean())).sum() / (xc * xc).sum()),
    )


# -- rows of trends.capability_trends ------------------------------------------------------------------------------

TRENDS_SCHEMA: dict[str, pl.DataType] = {
    "index": pl.String(),
    "measure": pl.String(),
    "subset": pl.String(),
    "cost_basis": pl.String(),
    "window_start": pl.Date(),
    "window_end": pl.Date(),
    "n": pl.Int64(),
    "estimate": pl.Float64(),
    "ci_low": pl.Float64(),
    "ci_high": pl.Float64(),
    "unit": pl.String(),
    "doubling_months": pl.Float64(),
    "doubling_months_ci_low": pl.Float64(),
    "doubling_months_ci_high": pl.Float64(),
    "break_date": pl.Date(),
    "break_date_ci_low": pl.Date(),
    "break_date_ci_high": pl.Date(),
    "r2": pl.Float64(),
    "ci_level": pl.Float64(),
    "status": pl.String(),
    "status_reason": pl.String(),
    "note": pl.String(),
    "snapshot": pl.String(),
}


def _row(index: CapabilityIndex, measure: str, subset: str, **values: object) -> dict[str, object]:
    row: dict[str, object] = dict.fromkeys(TRENDS_SCHEMA)
    row.update(index=index.name, measure=measure, subset=subset, unit=index.unit, ci_level=CI_LEVEL, **values)
    return row


# ok, or why not: a CI that misses its estimate, or one that includes zero (no direction is identified)
INCLUDES_ZERO = f"the {CI_LEVEL:.0%} CI ({{low:.3g}} to {{high:.3g}}) includes zero"
ESTIMATE_CHECKS = (
    Check(Status.NOT_IDENTIFIED, (not_finite("the estimate or its CI is not finite"),)),
    Check(Status.UNSTABLE, (outside("the estimate lies outside its bootstrap CI"),)),
    Check(Status.NOT_IDENTIFIED, (includes_zero(INCLUDES_ZERO),)),
)


def _estimate(
    row: dict[str, object],
    index: CapabilityIndex,
    value: float,
    ci: tuple[float, float],
    checks: tuple[Check, ...] = ESTIMATE_CHECKS,
) -> None:
    """Fill estimate, CI and status; for METR per-year rows also the doubling time in months."""
    row.update(estimate_row(Estimate(value, *ci), checks))
    if index.unit == "doublings" and str(row["measure"]).startswith(("per_year", "rolling")) and value > 0:
        row["doubling_months"] = 12 / value
        if ci[0] > 0:
            row.update(doubling_months_ci_low=12 / ci[1], doubling_months_ci_high=12 / ci[0])


def year_points(versions: pl.DataFrame, subset: str) -> pl.DataFrame:
    """(date, score) of the versions of a subset: RECORD_SETTING keeps record-setting versions only."""
    return benchmarks.record_points(versions) if subset == RECORD_SETTING else versions


def per_year_row(
    index: CapabilityIndex, points: pl.DataFrame, *, subset: str, measure: str, start: date, end: date, snapshot: str
) -> tuple[dict[str, object], LogLinearFit | None]:
    """A line of the index on date through the points dated in [start, end]; the fit is returned for its draws."""
    window = points.filter(pl.col("date").is_between(start, end))
    row = _row(index, measure, subset, window_start=start, window_end=end, n=window.height, snapshot=snapshot)
    years = window.select(decimal_year(pl.col("date")))["date"].to_numpy()
    try:
        line = fit_line(years, window["score"].to_numpy(), min_points=MIN_CAPABILITY_POINTS)
    except InsufficientData as exc:
        row.update(status_columns(Status.INSUFFICIENT_DATA, str(exc)))
        return row, None
    row["r2"] = line.r2
    _estimate(row, index, line.slope_oom_per_year, (line.slope_ci_low, line.slope_ci_high))
    return row, line


def break_rows(index: CapabilityIndex, points: pl.DataFrame, *, subset: str, snapshot: str) -> list[dict[str, object]]:
    """Rate before and after a single fitted break (continuous hinge, grid search re-run in every resample)."""
    start, end = points["date"].min(), points["date"].max()
    rows = [
        _row(index, m, subset, window_start=start, window_end=end, n=points.height, snapshot=snapshot)
        for m in ("per_year_before_break", "per_year_after_break")
    ]
    years = points.select(decimal_year(pl.col("date")))["date"].to_numpy()
    try:
        fit = fit_breakpoint(years, points["score"].to_numpy(), min_side=MIN_BREAK_SIDE)
    except InsufficientData as exc:
        for row in rows:
            row.update(status_columns(Status.INSUFFICIENT_DATA, str(exc)))
        return rows
    dates = dict(
        break_date=date_from_decimal_year(fit.break_year),
        break_date_ci_low=date_from_decimal_year(fit.break_ci[0]),
        break_date_ci_high=date_from_decimal_year(fit.break_ci[1]),
    )
    note = f"continuous piecewise-linear fit; BIC(break) - BIC(one line) = {fit.delta_bic:.1f} (negative favours it)"
    first, last = (date_from_decimal_year(y) for y in fit.grid_range)
    censored = (
        f"the break date's {CI_LEVEL:.0%} CI reaches an end of the dates a break may take "
        f"({first} to {last}, {MIN_BREAK_SIDE} points on each side), so the data do not place the break"
    )
    placed = fit.break_ci[0] <= fit.break_year <= fit.break_ci[1]
    checks = (
        *ESTIMATE_CHECKS,
        Check(Status.UNSTABLE, (when(not placed, "the break date lies outside its bootstrap CI"),)),
        Check(Status.NOT_IDENTIFIED, (when(fit.break_ci_censored, censored),)),
    )
    for row, value, ci in zip(
        rows, (fit.slope_before, fit.slope_after), (fit.slope_before_ci, fit.slope_after_ci), strict=True
    ):
        row.update(r2=fit.r2, note=note, **dates)
        _estimate(row, index, value, ci, checks)
    return rows


def rolling_rows(index: CapabilityIndex, points: pl.DataFrame, *, subset: str, snapshot: str) -> list[dict]:
    """Per-year rates in 2-year windows every 6 months; the last window may end up to 6 months after the data."""
    first, last = points["date"].min(), points["date"].max()
    last_window_end = add_months(date(last.year, 1 if last.month <= 6 else 7, 1), ROLLING_STEP_MONTHS) - timedelta(1)
    windows = rolling_windows(first, last_window_end, width_years=ROLLING_YEARS, step_months=ROLLING_STEP_MONTHS)
    return [
        per_year_row(
            index, points, subset=subset, measure="rolling_per_year", start=w.start, end=w.end, snapshot=snapshot
        )[0]
        for w in windows
    ]


def resource_row(
    index: CapabilityIndex, models: pl.DataFrame, *, x: str, cost_basis: str, trend: CostTrend | None, snapshot: str
) -> tuple[dict[str, object], PlaneFit | None]:
    """Gain per 10x compute (or cost) at a fixed release date, across models."""
    rows, log_x, x_draws = benchmarks.scaling_points(models, x, cost_basis, trend)
    measure = "per_10x_compute" if x == "compute" else "per_10x_cost"
    row = _row(
        index,
        measure,
        "all",
        cost_basis=None if x == "compute" else cost_basis,
        n=rows.height,
        window_start=rows["publication_date"].min(),
        window_end=rows["publication_date"].max(),
        snapshot=snapshot,
    )
    try:
        fit = fit_plane(log_x, rows["year"].to_numpy(), rows["score"].to_numpy(), x_draws=x_draws)
    except InsufficientData as exc:
        row.update(status_columns(Status.INSUFFICIENT_DATA, str(exc)))
        return row, None
    row.update(
        r2=fit.r2,
        note=f"at a fixed release date (OLS on log10 {x} and date); without the date: "
        f"{fit.simple_slope:.3g} {index.unit} per 10x",
    )
    _estimate(row, index, fit.a, percentile_ci(fit.a_draws))
    return row, fit


@dataclass
class IndexFits:
    """The rows of one index and the fits the decomposition needs (None where the data fell short)."""

    rows: list[dict[str, object]]
    record_per_year: LogLinearFit | None
    per_10x_compute: PlaneFit | None


def index_fits(
    index: CapabilityIndex, scores: pl.DataFrame, models: pl.DataFrame, costs: pl.DataFrame, trend: CostTrend | None
) -> IndexFits:
    """Every row of one index: per year (record_setting, all; full window, break, rolling), per 10x compute / cost."""
    values = index_scores(scores, index)
    snapshot = benchmarks.scores_snapshot(values)
    versions = benchmarks.best_by_version(values, models)
    rows: list[dict[str, object]] = []
    fits: dict[str, LogLinearFit | None] = {}
    for subset in (RECORD_SETTING, "all"):
        points = year_points(versions, subset)
        if points.is_empty():
            rows.append(
                _row(index, "per_year", subset, n=0, **status_columns(Status.INSUFFICIENT_DATA, "no dated values"))
            )
            continue
        row, fits[subset] = per_year_row(
            index,
            points,
            subset=subset,
            measure="per_year",
            start=points["date"].min(),
            end=points["date"].max(),
            snapshot=snapshot,
        )
        rows += [row, *break_rows(index, points, subset=subset, snapshot=snapshot)]
        rows += rolling_rows(index, points, subset=subset, snapshot=snapshot)
    per_model = model_points(values, models, costs)
    compute_row, compute_fit = resource_row(
        index, per_model, x="compute", cost_basis="n/a", trend=trend, snapshot=snapshot
    )
    rows.append(compute_row)
    for basis in ("observed", "imputed"):
        rows.append(resource_row(index, per_model, x="cost", cost_basis=basis, trend=trend, snapshot=snapshot)[0])
    return IndexFits(rows, fits.get(RECORD_SETTING), compute_fit)


MEASURE_ORDER = [
    "per_year",
    "per_10x_compute",
    "per_10x_cost",
    "per_year_before_break",
    "per_year_after_break",
    "rolling_per_year",
]


def capability_trends_frame(rows: list[dict[str, object]]) -> pl.DataFrame:
    """The rows in reading order: index, measure, subset (record-setting first), cost basis, window."""
    frame = pl.DataFrame(rows, schema=TRENDS_SCHEMA)
    rank = {m: i for i, m in enumerate(MEASURE_ORDER)}
    return frame.sort(
        pl.col("index").replace_strict({i.name: k for k, i in enumerate(INDICES)}, default=9),
        pl.col("measure").replace_strict(rank, default=9),
        pl.col("subset") != RECORD_SETTING,
        "cost_basis",
        "window_start",
        nulls_last=True,
    )


# -- trends.capability_decomposition -------------------------------------------------------------------------------

DECOMPOSITION_SCHEMA: dict[str, pl.DataType] = {
    "index": pl.String(),
    "years_of_progress": pl.Float64(),
    "record_gain_per_year": pl.Float64(),
    "gain_per_10x_compute": pl.Float64(),
    "compute_equivalent_multiplier_per_year": pl.Float64(),
    "ci_low": pl.Float64(),
    "ci_high": pl.Float64(),
    "frontier_compute_growth_per_year": pl.Float64(),
    "frontier_compute_growth_ci_low": pl.Float64(),
    "frontier_compute_growth_ci_high": pl.Float64(),
    "share_explained_by_compute": pl.Float64(),
    "share_ci_low": pl.Float64(),
    "share_ci_high": pl.Float64(),
    "residual_multiplier_per_year": pl.Float64(),
    "residual_ci_low": pl.Float64(),
    "residual_ci_high": pl.Float64(),
    "n_records": pl.Int64(),
    "n_compute": pl.Int64(),
    "ci_level": pl.Float64(),
    "status": pl.String(),
    "status_reason": pl.String(),
    "note": pl.String(),
    "snapshot": pl.String(),
}

MAX_SPAN_OOM = benchmarks.MAX_SPAN_OOM
# the compute-equivalent multiplier, judged in OOM per year: above zero in every tail of its CI, and narrow enough
NOT_ABOVE_ZERO = "the gain per 10x compute is not above zero in every tail of its CI"
TOO_WIDE = f"its {CI_LEVEL:.0%} CI spans {{span:.1f}} orders of magnitude"
DECOMPOSITION_CHECKS = (
    Check(Status.NOT_IDENTIFIED, (unbounded(NOT_ABOVE_ZERO, positive=True),)),
    Check(Status.NOT_IDENTIFIED, (spans_more_than(MAX_SPAN_OOM, TOO_WIDE, log_space=True),)),
)


def decompose(gain: np.ndarray, per_10x: np.ndarray, compute_oom: np.ndarray) -> dict[str, np.ndarray]:
    """Draw-by-draw: OOM of compute one year of progress equals (gain / per_10x), the share of it that compute
    growth explains (compute_oom / that) and the residual OOM per year (algorithms, data, post-training)."""
    k = min(gain.size, per_10x.size, compute_oom.size)
    gain, per_10x, compute_oom = gain[:k], per_10x[:k], compute_oom[:k]
    with np.errstate(divide="ignore", invalid="ignore"):
        equivalent = np.where(per_10x > 0, gain / per_10x, np.inf)
        share = np.where(per_10x > 0, compute_oom * per_10x / gain, 0.0)
    return {"equivalent": equivalent, "share": share, "residual": equivalent - compute_oom}


def _ten_to(value: float) -> float | None:
    return 10**value if math.isfinite(value) and abs(value) < 300 else None


def decomposition_row(
    index: CapabilityIndex, fits: IndexFits, compute: LogLinearFit | None, compute_label: str, snapshot: str
) -> dict[str, object]:
    """One year of record-setting progress on the index as a compute multiplier, beside frontier compute growth."""
    row: dict[str, object] = dict.fromkeys(DECOMPOSITION_SCHEMA)
    row.update(index=index.name, years_of_progress=1.0, ci_level=CI_LEVEL, snapshot=snapshot)
    line, plane = fits.record_per_year, fits.per_10x_compute
    if line is None or plane is None or compute is None:
        missing = [
            n
            for n, f in (("record-setting per year", line), ("per 10x compute", plane), ("compute", compute))
            if f is None
        ]
        row.update(status_columns(Status.INSUFFICIENT_DATA, f"no fit of {', '.join(missing)}"))
        return row
    point = decompose(np.array([line.slope_oom_per_year]), np.array([plane.a]), np.array([compute.slope_oom_per_year]))
    draws = decompose(line.slope_draws, plane.a_draws, compute.slope_draws)
    eq_low, eq_high = percentile_ci(draws["equivalent"])
    share_low, share_high = percentile_ci(draws["share"])
    res_low, res_high = percentile_ci(draws["residual"])
    growth_low, growth_high = compute.growth_ci
    row.update(
        record_gain_per_year=line.slope_oom_per_year,
        gain_per_10x_compute=plane.a,
        n_records=line.n,
        n_compute=plane.n,
        frontier_compute_growth_per_year=compute.growth_per_year,
        frontier_compute_growth_ci_low=growth_low,
        frontier_compute_growth_ci_high=growth_high,
        share_explained_by_compute=float(point["share"][0]),
        share_ci_low=share_low,
        share_ci_high=share_high,
        residual_multiplier_per_year=_ten_to(float(point["residual"][0])),
        residual_ci_low=_ten_to(res_low),
        residual_ci_high=_ten_to(res_high),
    )
    row["note"] = f"compute growth: {compute_label}; per 10x compute at a fixed release date"
    equivalent = Estimate(float(point["equivalent"][0]), eq_low, eq_high)
    columns = ("compute_equivalent_multiplier_per_year", "ci_low", "ci_high")
    return row | estimate_row(equivalent, DECOMPOSITION_CHECKS, columns=columns, scale=_ten_to)


COMPUTE_GROWTH_SERIES = ("training_compute", "frontier_epoch")  # the trends.fits row set beside the indices


def frontier_compute_fit(models: pl.DataFrame) -> tuple[LogLinearFit | None, str]:
    """The frontier's compute growth since 2010, refitted exactly as its `trends.fits` row (same points, same seed)
    so that its bootstrap draws can enter the decomposition."""
    metric, subset = COMPUTE_GROWTH_SERIES
    points = inputs.metric_points(models, inputs.METRICS_BY_NAME[metric], subset)
    end = points["publication_date"].max()
    label = f"trends.fits {metric} / {subset} / full {DEEP_LEARNING_START}..{end}"
    try:
        return fit_window(points, DEEP_LEARNING_START, end), label
    except InsufficientData:
        return None, label


def capability_tables(
    scores: pl.DataFrame, models: pl.DataFrame, costs: pl.DataFrame, trend: CostTrend | None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """`trends.capability_trends` and `trends.capability_decomposition`, from the same fits."""
    compute, label = frontier_compute_fit(models)
    rows, decomposition = [], []
    for index in INDICES:
        fits = index_fits(index, scores, models, costs, trend)
        rows += fits.rows
        snapshot = benchmarks.scores_snapshot(index_scores(scores, index))
        decomposition.append(decomposition_row(index, fits, compute, label, snapshot))
    return capability_trends_frame(rows), pl.DataFrame(decomposition, schema=DECOMPOSITION_SCHEMA)


# -- the step: trends.capability_trends and trends.capability_decomposition together, each checked against its
# contract ----------------------------------------------------------------------------------------------------------

TRENDS_CONTRACT = TableContract(
    "capability_trends",
    keys=("index", "measure", "subset", "cost_basis", "window_start", "window_end"),
    required=("estimate", "ci_low", "ci_high", "unit"),
    intervals=(
        ("estimate", "ci_low", "ci_high"),
        ("doubling_months", "doubling_months_ci_low", "doubling_months_ci_high"),
        ("break_date", "break_date_ci_low", "break_date_ci_high"),
    ),
    minimums=(("n", MIN_CAPABILITY_POINTS),),
)
DECOMPOSITION_CONTRACT = TableContract(
    "capability_decomposition",
    keys=("index",),
    required=("compute_equivalent_multiplier_per_year", "ci_low", "ci_high", "share_explained_by_compute"),
    intervals=(
        ("compute_equivalent_multiplier_per_year", "ci_low", "ci_high"),
        ("share_explained_by_compute", "share_ci_low", "share_ci_high"),
        ("residual_multiplier_per_year", "residual_ci_low", "residual_ci_high"),
        ("frontier_compute_growth_per_year", "frontier_compute_growth_ci_low", "frontier_compute_growth_ci_high"),
    ),
    minimums=(("n_records", MIN_CAPABILITY_POINTS), ("n_compute", MIN_CAPABILITY_POINTS)),
)


def build_capability_tables(con: duckdb.DuckDBPyConnection) -> TrendOutput:
    """trends.capability_trends and trends.capability_decomposition, built together: the decomposition is made of
    the trends' own bootstrap draws, so one run of the fits serves both. Each index's per-year rate along its
    record-setting versions, and what a year of it is worth in compute, are logged."""
    models = inputs.load_models(con)
    scores = load_index_scores(con)
    costs = benchmarks.load_model_costs(con)
    trends, decomposition = capability_tables(scores, models, costs, cost_trend_or_none(models))
    headline = trends.filter((pl.col("measure") == "per_year") & (pl.col("subset") == RECORD_SETTING))
    log: list[LogLine] = [
        info(
            f"{row['index']}: {row['estimate']:.3g} {row['unit']} per year along the record-setting versions "
            f"(90% CI {row['ci_low']:.3g}-{row['ci_high']:.3g}), n={row['n']}"
        )
        for row in headline.filter(pl.col("status") == Status.OK).iter_rows(named=True)
    ]
    log += [
        info(
            f"{row['index']}: a year of progress = x{row['compute_equivalent_multiplier_per_year']:.3g} "
            f"compute; compute growth explains {row['share_explained_by_compute']:.0%}"
        )
        for row in decomposition.filter(pl.col("status") == Status.OK).iter_rows(named=True)
    ]
    tables = {TRENDS_CONTRACT.table: trends, DECOMPOSITION_CONTRACT.table: decomposition}
    return TrendOutput(tables, log=tuple(log))


STEPS = [
    TrendStep(
        "capability_tables",
        reads=("marts.benchmark_scores", "marts.models", "trends.model_costs"),
        tables=(
            TrendTable(
                TRENDS_CONTRACT,
                "ECI and METR time horizon per year, per 10x compute and dollars, with a breakpoint.",
            ),
            TrendTable(
                DECOMPOSITION_CONTRACT,
                "one year of record-setting progress as a compute multiplier, and compute's share.",
                reads=("trends.fits",),  # its frontier compute growth is the trends.fits row, refitted for its draws
            ),
        ),
        build=build_capability_tables,
    )
]
