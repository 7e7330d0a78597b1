"""The pooled benchmark inversion: every fraction benchmark fitted at once, with one shared slope.

Per benchmark, a logistic in log10 compute (or cost) with its own floor, ceiling and midpoint; the slope (log-odds
per 10x) is shared. Far up the curve the error left below the ceiling falls as exp(-slope·Δx), so the multiplier
that halves it is 10^(ln 2 / slope) whatever the benchmark: the one pooled "×N to halve the error" a single noisy
benchmark cannot give. The fit is a profile over grids: for a slope and a midpoint, floor and ceiling are a linear
least-squares problem with closed-form sums, so every (resample, slope, midpoint) is one matrix product per
benchmark and the bootstrap (models resampled within each benchmark) re-runs the whole search.

Per year, the same pooling: log10 of the error rate of the record-setting versions on date, with a level per
benchmark and one shared slope, gives the pooled years to halve the error.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import duckdb
import numpy as np
import polars as pl

from pipelines.trends import benchmarks, reuse
from pipelines.trends.checks import TableContract, ci_triples
from pipelines.trends.costs import cost_trend_or_none
from pipelines.trends.fits import (
    BOOTSTRAP_SEED,
    CI_LEVEL,
    InsufficientData,
    bootstrap_weights,
    decimal_year,
    percentile_ci,
)
from pipelines.trends.inputs import load_models
from pipelines.trends.status import Status, status_columns
from pipelines.trends.steps import TrendOutput, TrendStep, TrendTable, row_lines
from pipelines.warehouse import read_table

POOLED_RESAMPLES = 400
SLOPE_GRID = np.geomspace(0.1, 20.0, 48)  # log-odds per 10x, the per-benchmark bounds of pipelines.trends.fits
MIDPOINT_STEPS = 31  # midpoints within one data span either side of each benchmark's x range
# the curve must span the bulk of the scores (floor at or below the 10th percentile, ceiling at or above the 90th):
# free, a step to a plateau fits noisy clouds best; bounded by the extremes, noise alone flattens the slope
SPAN_QUANTILE = 0.1
MIN_BENCHMARKS = 3
POOLED_SEED = BOOTSTRAP_SEED + 7


@dataclass(frozen=True)
class PooledFit:
    """A shared slope (point and bootstrap draws) over `n_benchmarks` benchmarks and `n` points."""

    slope: float
    draws: np.ndarray = field(repr=False, compare=False)
    n: int
    n_benchmarks: int

    def halving(self, values: np.ndarray | float) -> np.ndarray:
        """OOM to halve the reducible error (log10 of the multiplier): ln 2 / slope."""
        return math.log(2) / np.asarray(values, dtype=float)


def _benchmark_ssr(x: np.ndarray, y: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Least SSR over midpoints for every (weight row, slope): floor and ceiling solved in closed form for each
    (slope, midpoint), bounded so the curve spans the bulk of the scores (see SPAN_QUANTILE)."""
    span = max(float(np.ptp(x)), 1.0)
    floor_max, ceiling_min = np.quantile(y, [SPAN_QUANTILE, 1 - SPAN_QUANTILE])
    midpoints = np.linspace(x.min() - span, x.max() + span, MIDPOINT_STEPS)
    sigma = 1 / (1 + np.exp(-SLOPE_GRID[None, :, None] * (x[:, None, None] - midpoints[None, None, :])))
    sigma = sigma.reshape(x.size, -1)  # (n, slopes × midpoints)
    s0 = weights.sum(1, keepdims=True)
    s1, s2 = weights @ sigma, weights @ sigma**2
    y0, yy = weights @ y, weights @ (y * y)
    y1 = (weights * y) @ sigma
    uu, uv, vv, uy, vy = s0 - 2 * s1 + s2, s1 - s2, s2, y0[:, None] - y1, y1
    det = uu * vv - uv * uv
    solvable = det > 1e-9 * s0 * s0
    with np.errstate(invalid="ignore", divide="ignore"):
        floor = np.clip(np.where(solvable, (uy * vv - vy * uv) / det, 0.0), 0.0, floor_max)
        ceiling = np.clip((vy - floor * uv) / vv, ceiling_min, 1.0)
        floor = np.clip((uy - ceiling * uv) / uu, 0.0, floor_max)
    ssr = yy[:, None] - 2 * (floor * uy + ceiling * vy) + floor**2 * uu + 2 * floor * ceiling * uv + ceiling**2 * vv
    ssr = np.where(solvable & np.isfinite(ssr), np.maximum(ssr, 0.0), np.inf)
    return _parabola_minimum(ssr.reshape(weights.shape[0], SLOPE_GRID.size, MIDPOINT_STEPS))


def _parabola_minimum(values: np.ndarray) -> np.ndarray:
    """The least value along the last axis, refined by a parabola through the grid minimum and its neighbours: a
    coarse midpoint grid would otherwise penalise steep curves (their SSR is sharp in the midpoint)."""
    best = np.argmin(values, axis=-1)
    inner = np.clip(best, 1, values.shape[-1] - 2)[..., None]
    left, mid, right = (np.take_along_axis(values, inner + k, axis=-1)[..., 0] for k in (-1, 0, 1))
    curvature = left - 2 * mid + right
    with np.errstate(invalid="ignore", divide="ignore"):
        refined = mid - (left - right) ** 2 / (8 * curvature)
    usable = (best == inner[..., 0]) & np.isfinite(refined) & (curvature > 0)
    return np.where(usable, np.clip(refined, 0.0, mid), np.min(values, axis=-1))


def _refined_slope(total: np.ndarray) -> np.ndarray:
    """Grid minimum of each row, refined by a parabola through it and its neighbours in log slope."""
    best = np.clip(np.argmin(total, axis=1), 1, SLOPE_GRID.size - 2)
    rows = np.arange(total.shape[0])
    left, mid, right = total[rows, best - 1], total[rows, best], total[rows, best + 1]
    curvature = left - 2 * mid + right
    with np.errstate(invalid="ignore", divide="ignore"):
        offset = np.where(curvature > 0, 0.5 * (left - right) / curvature, 0.0)
    offset = np.clip(np.nan_to_num(offset), -0.5, 0.5)
    log_grid = np.log(SLOPE_GRID)
    step = log_grid[1] - log_grid[0]
    edge = np.argmin(total, axis=1)
    refined = np.exp(log_grid[best] + offset * step)
    return np.where((edge == 0) | (edge == SLOPE_GRID.size - 1), SLOPE_GRID[edge], refined)


def fit_shared_slope(
    groups: list[tuple[np.ndarray, np.ndarray]], *, resamples: int = POOLED_RESAMPLES, seed: int = POOLED_SEED
) -> PooledFit:
    """Logistic curves of y on x, one per group with its own floor, ceiling and midpoint, and one shared slope."""
    if len(groups) < MIN_BENCHMARKS:
        raise InsufficientData(f"{len(groups)} benchmarks with enough models; pooling needs {MIN_BENCHMARKS}")
    total = np.zeros((resamples + 1, SLOPE_GRID.size))
    for j, (x, y) in enumerate(groups):
        weights = np.vstack([np.ones((1, x.size)), bootstrap_weights(x.size, resamples, seed + j)])
        total += _benchmark_ssr(x, y, weights)
    slopes = _refined_slope(total)
    return PooledFit(slopes[0], slopes[1:], sum(x.size for x, _ in groups), len(groups))


def scaling_groups(best: pl.DataFrame, x: str, cost_basis: str, trend) -> list[tuple[np.ndarray, np.ndarray]]:
    """(log10 x, score) per benchmark with enough models; imputed costs at their point values."""
    groups = []
    for benchmark in best["benchmark"].unique().sort().to_list():
        rows, log_x, _ = benchmarks.scaling_points(best.filter(pl.col("benchmark") == benchmark), x, cost_basis, trend)
        keep = np.isfinite(log_x)
        if keep.sum() >= benchmarks.MIN_BENCHMARK_MODELS and np.ptp(log_x[keep]) > 0:
            groups.append((log_x[keep], rows["score"].to_numpy()[keep]))
    return groups


def record_groups(versions: pl.DataFrame) -> list[tuple[np.ndarray, np.ndarray]]:
    """(decimal year, log10 error rate) of each benchmark's record-setting versions below a perfect score."""
    groups = []
    for benchmark in versions["benchmark"].unique().sort().to_list():
        records = benchmarks.record_points(versions.filter(pl.col("benchmark") == benchmark))
        records = records.filter(pl.col("score") < 1)
        if records.height >= benchmarks.MIN_RECORD_POINTS:
            years = records.select(decimal_year(pl.col("date")))["date"].to_numpy()
            groups.append((years, np.log10(1 - records["score"].to_numpy())))
    return groups


def fit_shared_trend(
    groups: list[tuple[np.ndarray, np.ndarray]], *, resamples: int = POOLED_RESAMPLES, seed: int = POOLED_SEED
) -> PooledFit:
    """One slope of y on x across groups, each with its own level (within-group OLS), points resampled per group."""
    if len(groups) < MIN_BENCHMARKS:
        raise InsufficientData(
            f"{len(groups)} benchmarks with enough record-setting points; pooling needs {MIN_BENCHMARKS}"
        )
    sxy = np.zeros(resamples + 1)
    sxx = np.zeros(resamples + 1)
    for j, (x, y) in enumerate(groups):
        w = np.vstack([np.ones((1, x.size)), bootstrap_weights(x.size, resamples, seed + j)])
        sw = w.sum(1, keepdims=True)
        xc = x[None, :] - (w @ x)[:, None] / sw
        yc = y[None, :] - (w @ y)[:, None] / sw
        sxy += (w * xc * yc).sum(1)
        sxx += (w * xc * xc).sum(1)
    with np.errstate(invalid="ignore", divide="ignore"):
        slopes = sxy / sxx
    return PooledFit(float(slopes[0]), slopes[1:], sum(x.size for x, _ in groups), len(groups))


def _multiplier(fit: PooledFit) -> tuple[float, float, float]:
    """×N to halve the reducible error, with its CI (a steeper slope halves it sooner: the bounds swap)."""
    low, high = np.quantile(fit.draws[np.isfinite(fit.draws)], [(1 - CI_LEVEL) / 2, (1 + CI_LEVEL) / 2])
    return tuple(float(10 ** fit.halving(s)) for s in (fit.slope, high, low))


def _years(fit: PooledFit) -> tuple[float, float, float]:
    """Years to halve the record-setting error, with its CI; infinite where the error does not fall."""
    values = np.where(np.r_[fit.slope, fit.draws] < 0, math.log10(2) / -np.r_[fit.slope, fit.draws], np.inf)
    low, high = percentile_ci(values[1:])
    return float(values[0]), low, high


POOLED_ESTIMATES = (  # (column prefix, kind of fit, count column), in the order `pooled_jobs` lists their inputs
    ("compute_multiplier_to_halve_error", "slope", "n_models"),
    ("dollar_multiplier_to_halve_error", "slope", "n_models_cost"),
    ("years_to_halve_error", "trend", "n_record_points"),
)


def pooled_fit(kind: str, groups: list[tuple[np.ndarray, np.ndarray]]) -> PooledFit | str:
    """One pooled fit as a job for the worker processes: the fit, or why there is none (an exception would reach
    the run as a worker's error, not as the insufficient data it is)."""
    try:
        return fit_shared_trend(groups) if kind == "trend" else fit_shared_slope(groups)
    except InsufficientData as exc:
        return str(exc)


def pooled_jobs(best: pl.DataFrame, versions: pl.DataFrame, trend, cost_basis: str) -> list[tuple]:
    """The inputs of the three pooled fits: score on compute, score on dollars, record score on years."""
    return [
        ("slope", scaling_groups(best, "compute", "n/a", trend)),
        ("slope", scaling_groups(best, "cost", cost_basis, trend)),
        ("trend", record_groups(versions)),
    ]


def pooled_row(best: pl.DataFrame, versions: pl.DataFrame, trend, cost_basis: str) -> dict[str, object]:
    """The `benchmark = 'pooled'` row of trends.per_dollar_vs_per_year (status 'not identified' with a reason when
    an interval is unbounded or spans more than MAX_SPAN_OOM orders of magnitude). The two grid searches run side
    by side in the worker processes, and are reused when their inputs are unchanged (`pipelines.trends.reuse`)."""
    row: dict[str, object] = dict.fromkeys(benchmarks.PER_DOLLAR_SCHEMA)
    row.update(benchmark="pooled", cost_basis=cost_basis, ci_level=CI_LEVEL, n_models=0, n_models_cost=0)
    notes, missing = [], []
    fits = reuse.reused_starmap(pooled_fit, pooled_jobs(best, versions, trend, cost_basis))
    for (prefix, _, count), fit in zip(POOLED_ESTIMATES, fits, strict=True):
        if isinstance(fit, str):
            missing.append(f"{prefix.replace('_', ' ')}: {fit}")
            continue
        values = _years(fit) if prefix.startswith("years") else _multiplier(fit)
        row.update({prefix: values[0], f"{prefix}_ci_low": values[1], f"{prefix}_ci_high": values[2], count: fit.n})
        notes.append(f"{prefix.replace('_', ' ')}: shared slope over {fit.n_benchmarks} benchmarks, {fit.n} points")
    row["benchmark_name"] = "Pooled (one shared slope)"
    if row["compute_multiplier_to_halve_error"] is not None:
        row["compute_doublings_to_halve_error"] = math.log2(row["compute_multiplier_to_halve_error"])
    if missing:
        row.update(status_columns(Status.INSUFFICIENT_DATA, "; ".join(missing)))
    else:
        row.update(status_columns(*benchmarks.identification(row)))
    row["note"] = "; ".join(notes) + "; multipliers halve the error left below each benchmark's ceiling"
    return row


# -- the step: trends.per_dollar_vs_per_year (the benchmarks' own rows and this pooled one), checked against its
# contract; it lives here because it needs the pooled fit, which needs `benchmarks` ------------------------------

PER_DOLLAR_CONTRACT = TableContract(
    "per_dollar_vs_per_year",
    keys=("benchmark",),
    required=("compute_multiplier_to_halve_error", "years_to_halve_error"),
    intervals=ci_triples(
        "compute_multiplier_to_halve_error", "dollar_multiplier_to_halve_error", "years_to_halve_error"
    ),
    minimums=(
        ("n_models", benchmarks.MIN_BENCHMARK_MODELS),
        ("n_record_points", benchmarks.MIN_RECORD_POINTS),
    ),
)


def build_per_dollar(con: duckdb.DuckDBPyConnection) -> TrendOutput:
    """trends.per_dollar_vs_per_year from trends.benchmark_scaling and benchmark_progress, per benchmark, with the
    pooled row (refitted on the scores) first; each identified row is logged."""
    models = load_models(con)
    scores = benchmarks.load_scores(con)
    best = benchmarks.best_by_model(scores, models, benchmarks.load_model_costs(con))
    versions = benchmarks.best_by_version(scores, models)
    pooled = pooled_row(best, versions, cost_trend_or_none(models), benchmarks.PER_DOLLAR_COST_BASIS)
    scaling = read_table(con, "trends", benchmarks.SCALING_CONTRACT.table)
    progress = read_table(con, "trends", benchmarks.PROGRESS_CONTRACT.table)
    frame = benchmarks.per_dollar_vs_per_year_frame(scaling, progress, pooled)
    log = row_lines(
        frame.filter(pl.col("status") == Status.OK),
        "{benchmark_name}: ×{compute_multiplier_to_halve_error:.3g} compute or {years_to_halve_error:.2f} years to "
        "halve the error (n={n_models})",
    )
    return TrendOutput({PER_DOLLAR_CONTRACT.table: frame}, log=log)


STEPS = [
    TrendStep(
        "per_dollar_vs_per_year",
        reads=(
            "trends.benchmark_scaling",
            "trends.benchmark_progress",
            "marts.benchmark_scores",
            "marts.models",
            "trends.model_costs",
        ),
        tables=(
            TrendTable(
                PER_DOLLAR_CONTRACT,
                "halving the error took ×N compute, ×M dollars, or Y years; pooled and per benchmark.",
            ),
        ),
        build=build_per_dollar,
    )
]
