"""Efficiency: hardware FLOP/s per dollar and per watt over time, and the check compute ≈ spending × FLOP per dollar.

Hardware points are Epoch's ML hardware (`marts.hardware`), dated by release: FP32 and 16-bit FLOP/s (tensor FP16/BF16
where published, else FP16) per release-price dollar, and FP32 FLOP/s per watt of TDP, as the mart computes them
(`fp32_flops_per_usd`, `best_16bit_flops_per_usd`, `fp32_flops_per_watt`); subset `all_hardware`.
Training cost per FLOP is a model metric (`cost_per_flop` in `inputs`).

The decomposition: log compute = log spending + log (FLOP per dollar), so on any window the compute trend should be
near the spending trend plus the FLOP-per-dollar trend. The three are fitted on different sets of points (models with
compute, models with a cost, hardware or the cost-per-FLOP of models), so the residual measures how far the identity
is from holding on the data: utilisation, training length and which models have a published cost, not noise alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import duckdb
import numpy as np
import polars as pl

from pipelines.trends.checks import TableContract
from pipelines.trends.fits import (
    BOOTSTRAP_SEED,
    CI_LEVEL,
    DEEP_LEARNING_START,
    LARGE_SCALE_START,
    MIN_POINTS,
    InsufficientData,
    LogLinearFit,
    Window,
    fit_lines,
    fitted_rows,
    in_window,
    percentile_ci,
    rolling_windows,
    series_xy,
)
from pipelines.trends.inputs import (
    METRICS_BY_NAME,
    MODEL_METRICS,
    input_fit_rows,
    load_models,
    metric_points,
    models_snapshot,
    order_fits,
    repeated_models,
    series_requests,
)
from pipelines.trends.status import Status, status_columns
from pipelines.trends.steps import LogLine, TrendOutput, TrendStep, TrendTable, info, warning
from pipelines.warehouse import query_frame

HARDWARE_SUBSET = "all_hardware"

HARDWARE_QUERY = """
select hardware_name, manufacturer, hardware_type, release_date, fp32_flops_per_usd, best_16bit_flops_per_usd,
       fp32_flops_per_watt, snapshot_sha256
from marts.hardware
where release_date is not null
"""


@dataclass(frozen=True)
class HardwareMetric:
    """A `trends.fits` metric read from one `marts.hardware` column (the ratio is computed there, once)."""

    name: str
    column: str
    unit: str


HARDWARE_METRICS = (
    HardwareMetric("hardware_fp32_flops_per_usd", "fp32_flops_per_usd", "FLOP/s per USD"),
    HardwareMetric("hardware_fp16_flops_per_usd", "best_16bit_flops_per_usd", "FLOP/s per USD"),
    HardwareMetric("hardware_fp32_flops_per_watt", "fp32_flops_per_watt", "FLOP/s per W"),
)
HARDWARE_BY_NAME = {m.name: m for m in HARDWARE_METRICS}


def load_hardware(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return query_frame(con, HARDWARE_QUERY)


def hardware_snapshot(hardware: pl.DataFrame) -> str:
    shas = hardware["snapshot_sha256"].drop_nulls()
    return shas[0] if shas.len() else ""


def hardware_points(hardware: pl.DataFrame, metric: HardwareMetric) -> pl.DataFrame:
    """(publication_date = release date, value) of every chip whose ratio is positive and finite."""
    value = pl.col(metric.column)
    return hardware.filter((value > 0) & value.is_finite()).select(
        "hardware_name", pl.col("release_date").alias("publication_date"), value.alias("value")
    )


def hardware_fit_rows(hardware: pl.DataFrame) -> list[dict[str, object]]:
    """Each hardware metric over all release dates (window 'full') and in rolling windows; no eras (one chip
    before 2010)."""
    snapshot = hardware_snapshot(hardware)
    requests = []
    for metric in HARDWARE_METRICS:
        points = hardware_points(hardware, metric)
        requests += series_requests(
            points, metric=metric.name, subset=HARDWARE_SUBSET, snapshot=snapshot, eras=False, full_start=None
        )
    return fitted_rows(requests)


# -- compute = spending × FLOP per dollar ---------------------------------------------------------------------------

DECOMPOSITION_SUBSETS = ("notable", "frontier_epoch", "frontier_top10")
FLOP_PER_USD_BASES = ("training_cost_per_flop", "hardware_fp32", "hardware_fp16")

DECOMPOSITION_SCHEMA: dict[str, pl.DataType] = {
    "subset": pl.String(),
    "window_kind": pl.String(),
    "window_start": pl.Date(),
    "window_end": pl.Date(),
    "flop_per_usd_basis": pl.String(),
    "n_compute": pl.Int64(),
    "compute_growth_per_year": pl.Float64(),
    "compute_growth_ci_low": pl.Float64(),
    "compute_growth_ci_high": pl.Float64(),
    "n_spending": pl.Int64(),
    "spending_growth_per_year": pl.Float64(),
    "spending_growth_ci_low": pl.Float64(),
    "spending_growth_ci_high": pl.Float64(),
    "n_flop_per_usd": pl.Int64(),
    "flop_per_usd_growth_per_year": pl.Float64(),
    "flop_per_usd_growth_ci_low": pl.Float64(),
    "flop_per_usd_growth_ci_high": pl.Float64(),
    "implied_compute_growth_per_year": pl.Float64(),
    "implied_compute_growth_ci_low": pl.Float64(),
    "implied_compute_growth_ci_high": pl.Float64(),
    "residual_oom_per_year": pl.Float64(),
    "residual_ci_low": pl.Float64(),
    "residual_ci_high": pl.Float64(),
    "residual_factor_per_year": pl.Float64(),
    "residual_factor_ci_low": pl.Float64(),
    "residual_factor_ci_high": pl.Float64(),
    "ci_level": pl.Float64(),
    "status": pl.String(),
    "status_reason": pl.String(),
    "snapshot": pl.String(),
}


SeriesFit = tuple[LogLinearFit | None, int, str | None]  # the fit (None: too few points), its n, the problem


def window_fits(
    series: dict[str, pl.DataFrame], wanted: list[tuple[str, Window]]
) -> dict[tuple[str, Window], SeriesFit]:
    """The fit of each (series, window) in `wanted`, each fitted once and all in one batch (`fit_lines`)."""
    points = {name: series_xy(frame) for name, frame in series.items()}
    keys = list(dict.fromkeys(wanted))
    masks = [in_window(points[name][0], window.start, window.end) for name, window in keys]
    pairs = [(points[name][1][keep], points[name][2][keep]) for (name, _), keep in zip(keys, masks, strict=True)]
    found = {}
    for key, keep, fit in zip(keys, masks, fit_lines(pairs), strict=True):
        if isinstance(fit, InsufficientData):
            found[key] = (None, int(keep.sum()), str(fit))
        else:
            found[key] = (fit, fit.n, None)
    return found


def _independent(draws: list[np.ndarray], seed: int) -> list[np.ndarray]:
    """The draws of separately fitted series, shuffled and cut to one length so they pair at random: the fits
    resample different points, and the same seed must not make their resamples move together."""
    rng = np.random.default_rng(seed)
    size = min(d.size for d in draws)
    return [rng.permutation(d)[:size] for d in draws]


def decomposition_windows(first: date, last: date) -> list[Window]:
    windows = [Window("full", DEEP_LEARNING_START, last, "full")]
    if last >= LARGE_SCALE_START:
        windows.append(Window("era", LARGE_SCALE_START, last, "large-scale era"))
    return windows + rolling_windows(max(first, DEEP_LEARNING_START), last)


def _growth_columns(fits: dict[str, LogLinearFit | None], sign: float) -> dict[str, float]:
    """`<name>_growth_per_year` and its CI for each fitted series; FLOP per dollar inverted when `sign` is -1 (the
    points were dollars per FLOP)."""
    columns = {}
    for name, fit in fits.items():
        if fit is None:
            continue
        factor = sign if name == "flop_per_usd" else 1.0
        low, high = sorted((factor * fit.slope_ci_low, factor * fit.slope_ci_high))
        columns[f"{name}_growth_per_year"] = 10 ** (factor * fit.slope_oom_per_year)
        columns[f"{name}_growth_ci_low"] = 10**low
        columns[f"{name}_growth_ci_high"] = 10**high
    return columns


def decomposition_row(
    fitted: dict[str, SeriesFit],
    *,
    inverse_flop_per_usd: bool,
    subset: str,
    window: Window,
    basis: str,
    snapshot: str,
) -> dict[str, object]:
    """One row: the three growth rates on a window (`fitted`: compute, spending, flop_per_usd), the compute growth
    they imply and the residual, with CIs.

    `inverse_flop_per_usd`: the points are USD per FLOP (training cost per FLOP), so FLOP per dollar is 1/value."""
    row: dict[str, object] = dict.fromkeys(DECOMPOSITION_SCHEMA)
    row.update(
        subset=subset,
        window_kind=window.kind,
        window_start=window.start,
        window_end=window.end,
        flop_per_usd_basis=basis,
        ci_level=CI_LEVEL,
        snapshot=snapshot,
    )
    fits = {}
    problems = []
    for name in ("compute", "spending", "flop_per_usd"):
        fit, n, problem = fitted[name]
        row[f"n_{name}"] = n
        fits[name] = fit
        if problem:
            problems.append(f"{name}: {problem}")
    sign = -1.0 if inverse_flop_per_usd else 1.0
    row.update(_growth_columns(fits, sign))
    if problems:
        row.update(status_columns(Status.INSUFFICIENT_DATA, "; ".join(problems)))
        return row
    compute_fit, spending_fit, fpd_fit = fits["compute"], fits["spending"], fits["flop_per_usd"]
    c_draws, s_draws, f_draws = _independent(
        [compute_fit.slope_draws, spending_fit.slope_draws, sign * fpd_fit.slope_draws], BOOTSTRAP_SEED + 1
    )
    implied = spending_fit.slope_oom_per_year + sign * fpd_fit.slope_oom_per_year
    implied_low, implied_high = percentile_ci(s_draws + f_draws)
    residual = compute_fit.slope_oom_per_year - implied
    residual_low, residual_high = percentile_ci(c_draws - s_draws - f_draws)
    row.update(
        implied_compute_growth_per_year=10**implied,
        implied_compute_growth_ci_low=10**implied_low,
        implied_compute_growth_ci_high=10**implied_high,
        residual_oom_per_year=residual,
        residual_ci_low=residual_low,
        residual_ci_high=residual_high,
        residual_factor_per_year=10**residual,
        residual_factor_ci_low=10**residual_low,
        residual_factor_ci_high=10**residual_high,
        **status_columns(Status.OK),
    )
    if not (implied_low <= implied <= implied_high and residual_low <= residual <= residual_high):
        row.update(status_columns(Status.UNSTABLE, "an estimate lies outside its bootstrap CI"))
    if not all(math.isfinite(v) for v in (implied, residual)):
        row.update(status_columns(Status.UNSTABLE, "a non-finite estimate"))
    return row


def decomposition_frame(models: pl.DataFrame, hardware: pl.DataFrame, snapshot: str) -> pl.DataFrame:
    """compute growth vs spending growth × FLOP-per-dollar growth, per subset, window and FLOP-per-dollar basis."""
    series = {
        "hardware_fp32": hardware_points(hardware, HARDWARE_BY_NAME["hardware_fp32_flops_per_usd"]),
        "hardware_fp16": hardware_points(hardware, HARDWARE_BY_NAME["hardware_fp16_flops_per_usd"]),
    }
    cells = []  # (subset, window, basis, the series of compute, spending and FLOP per dollar)
    for subset in DECOMPOSITION_SUBSETS:
        for name, metric in (("compute", "training_compute"), ("spending", "training_cost"), ("cpf", "cost_per_flop")):
            series[f"{name}:{subset}"] = metric_points(models, METRICS_BY_NAME[metric], subset)
        compute = series[f"compute:{subset}"]
        if compute.is_empty():
            continue
        for window in decomposition_windows(compute["publication_date"].min(), compute["publication_date"].max()):
            for basis in FLOP_PER_USD_BASES:
                flop = f"cpf:{subset}" if basis == "training_cost_per_flop" else basis
                cells.append((subset, window, basis, (f"compute:{subset}", f"spending:{subset}", flop)))
    fits = window_fits(series, [(name, window) for _, window, _, names in cells for name in names])
    rows = [
        decomposition_row(
            {
                part: fits[name, window]
                for part, name in zip(("compute", "spending", "flop_per_usd"), names, strict=True)
            },
            inverse_flop_per_usd=basis == "training_cost_per_flop",
            subset=subset,
            window=window,
            basis=basis,
            snapshot=snapshot,
        )
        for subset, window, basis, names in cells
    ]
    return pl.DataFrame(rows, schema=DECOMPOSITION_SCHEMA)


# -- the steps: trends.fits (the input metrics of `inputs` and the hardware metrics, one table) and
# trends.compute_decomposition, each checked against its contract -------------------------------------------------

FITS_CONTRACT = TableContract(
    "fits",
    keys=("metric", "subset", "window_kind", "window_start", "window_end"),
    required=("slope_oom_per_year", "slope_ci_low", "slope_ci_high", "growth_per_year", "intercept", "r2"),
    intervals=(
        ("slope_oom_per_year", "slope_ci_low", "slope_ci_high"),
        ("growth_per_year", "growth_ci_low", "growth_ci_high"),
        ("doubling_months", "doubling_months_ci_low", "doubling_months_ci_high"),
    ),
    minimums=(("n", MIN_POINTS),),
)
DECOMPOSITION_CONTRACT = TableContract(
    "compute_decomposition",
    keys=("subset", "window_kind", "window_start", "window_end", "flop_per_usd_basis"),
    required=(
        "compute_growth_per_year",
        "spending_growth_per_year",
        "flop_per_usd_growth_per_year",
        "implied_compute_growth_per_year",
        "residual_oom_per_year",
    ),
    intervals=(
        ("compute_growth_per_year", "compute_growth_ci_low", "compute_growth_ci_high"),
        ("spending_growth_per_year", "spending_growth_ci_low", "spending_growth_ci_high"),
        ("flop_per_usd_growth_per_year", "flop_per_usd_growth_ci_low", "flop_per_usd_growth_ci_high"),
        ("implied_compute_growth_per_year", "implied_compute_growth_ci_low", "implied_compute_growth_ci_high"),
        ("residual_oom_per_year", "residual_ci_low", "residual_ci_high"),
        ("residual_factor_per_year", "residual_factor_ci_low", "residual_factor_ci_high"),
    ),
    minimums=(("n_compute", MIN_POINTS), ("n_spending", MIN_POINTS), ("n_flop_per_usd", MIN_POINTS)),
)


def build_fits(con: duckdb.DuckDBPyConnection) -> TrendOutput:
    """trends.fits: the model metrics' rows, then the hardware metrics', the headline row (training compute,
    notable, since 2010) first; its growth is the materialization's metadata and a log line. Models repeated in
    marts.models count once in the fits, but are worth a warning: the marts should have one row per model."""
    models = load_models(con)
    rows = input_fit_rows(models, models_snapshot(con)) + hardware_fit_rows(load_hardware(con))
    metric_order = [m.name for m in MODEL_METRICS] + [m.name for m in HARDWARE_METRICS]
    frame = order_fits(rows, metric_order)
    repeated = repeated_models(con)
    headline = frame.row(0, named=True)
    metadata: dict[str, object] = {
        "growth_per_year": headline["growth_per_year"],
        "growth_ci_low": headline["growth_ci_low"],
        "growth_ci_high": headline["growth_ci_high"],
        "n": headline["n"],
        "repeated_model_rows": repeated,
    }
    log: list[LogLine] = []
    if repeated:
        log.append(
            warning(
                f"marts.models repeats {repeated} model rows (a model file loaded more than once?): each model "
                "counts once in the fits, but the marts should have one row per model"
            )
        )
    log.append(
        info(
            f"training compute, notable since 2010: {headline['growth_per_year']:.2f}x/year "
            f"(90% CI {headline['growth_ci_low']:.2f}-{headline['growth_ci_high']:.2f}), n={headline['n']}"
        )
    )
    return TrendOutput({FITS_CONTRACT.table: frame}, {FITS_CONTRACT.table: metadata}, tuple(log))


def build_decomposition(con: duckdb.DuckDBPyConnection) -> TrendOutput:
    """trends.compute_decomposition from marts.models and marts.hardware."""
    frame = decomposition_frame(load_models(con), load_hardware(con), models_snapshot(con))
    return TrendOutput({DECOMPOSITION_CONTRACT.table: frame})


STEPS = [
    TrendStep(
        "fits",
        reads=("marts.models", "marts.hardware"),
        tables=(
            TrendTable(
                FITS_CONTRACT,
                "growth per year (90% bootstrap CI) of every input and efficiency metric by subset and window.",
            ),
        ),
        build=build_fits,
    ),
    TrendStep(
        "compute_decomposition",
        reads=("marts.models", "marts.hardware"),
        tables=(
            TrendTable(
                DECOMPOSITION_CONTRACT,
                "compute growth against spending growth × FLOP-per-dollar growth, residual.",
            ),
        ),
        build=build_decomposition,
    ),
]
