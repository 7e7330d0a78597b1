"""The fitting module behind every trend: log-linear OLS, breakpoints and logistic curves, with bootstrap CIs.

Every growth trend in the warehouse is the same model: OLS of log10(value) on decimal year. The slope is orders of
magnitude (OOM) per year; growth per year is 10**slope and doubling time 12·log10(2)/slope months. The CI comes
from resampling models (rows) with replacement, vectorised so thousands of resamples cost milliseconds.

Beside it: windows (eras, rolling), a single-breakpoint fit found by grid search over dates, and a four-parameter
logistic (floor, ceiling, slope, midpoint) for benchmark scores against log10 resources. Too few points is always
`InsufficientData`, reported as such and never as a number.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import polars as pl

from pipelines.run import workers
from pipelines.trends.status import InsufficientData, Status, status_columns

CI_LEVEL = 0.90
BOOTSTRAP_RESAMPLES = 2000
BOOTSTRAP_SEED = 20_240_601
MIN_POINTS = 10

# windows: defaults of the rolling fits and the eras the analysis compares (the large-scale era starts with AlphaGo's
# generation of runs, late 2015, as in Sevilla et al. 2022, "Compute trends across three eras of machine learning")
ROLLING_WIDTH_YEARS = 4
ROLLING_STEP_MONTHS = 6
DEEP_LEARNING_START = date(2010, 1, 1)
LARGE_SCALE_START = date(2015, 9, 1)

# breakpoint search: candidate dates every quarter, at least MIN_POINTS points on each side
BREAKPOINT_GRID_YEARS = 0.25
BREAKPOINT_RESAMPLES = 1000

# logistic fits: 1,000 resamples, solved together by a batched Levenberg-Marquardt
LOGISTIC_RESAMPLES = 1000
LOGISTIC_MAX_SLOPE = 20.0  # log-odds per 10x; steeper is a step, not a trend
LOGISTIC_ITERATIONS = 50


# -- intervals ----------------------------------------------------------------------------------------------------


def percentile_ci(draws: np.ndarray, ci_level: float = CI_LEVEL) -> tuple[float, float]:
    """Equal-tailed percentile interval of bootstrap draws; NaN draws are dropped, infinite draws kept as infinite.

    An infinite bound means more than the tail share of resamples never got there (e.g. a ceiling below a target).
    """
    values = np.asarray(draws, dtype=float).ravel()
    values = values[~np.isnan(values)]
    if values.size == 0:
        return math.nan, math.nan
    tail = (1 - ci_level) / 2
    # interpolating between a finite draw and an infinite one gives inf or nan: take the nearest order statistic
    low, high = np.quantile(values, [tail, 1 - tail], method="inverted_cdf" if np.isinf(values).any() else "linear")
    return float(low), float(high)


def _doubling(slope: float) -> float:
    return 12 * math.log10(2) / slope if slope != 0 else math.inf


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


def decimal_year_of(day: date) -> float:
    """The scalar twin of `decimal_year`."""
    start = date(day.year, 1, 1)
    length = (date(day.year + 1, 1, 1) - start).days
    return day.year + (day - start).days / length


def date_from_decimal_year(year: float) -> date | None:
    """2020.5 -> 2020-07-02; None for non-finite or out-of-calendar values (a flat trend never gets there)."""
    if not math.isfinite(year) or not 1 <= year < 9999:
        return None
    whole = math.floor(year)
    start = date(whole, 1, 1)
    length = (date(whole + 1, 1, 1) - start).days
    return start + timedelta(days=round((year - whole) * length))


# -- windows --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """A date window of a fit: `kind` is 'full', 'era' or 'rolling'; `label` names it for people."""

    kind: str
    start: date
    end: date
    label: str


def add_months(day: date, months: int) -> date:
    """`day` moved by whole months, clamped to the end of a shorter month."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    next_month = date(year + (month == 12), month % 12 + 1, 1)
    return date(year, month, min(day.day, (next_month - timedelta(days=1)).day))


def rolling_windows(
    first: date, last: date, *, width_years: int = ROLLING_WIDTH_YEARS, step_months: int = ROLLING_STEP_MONTHS
) -> list[Window]:
    """Windows `width_years` wide every `step_months`, starting on the step grid at or before `first` (January and
    July by default) and ending by `last`; a span shorter than one window gives none."""
    if width_years <= 0 or step_months <= 0:
        raise ValueError(f"width and step must be positive, got {width_years} years and {step_months} months")
    months = first.year * 12 + first.month - 1
    months -= months % step_months
    start = date(months // 12, months % 12 + 1, 1)
    windows = []
    while (end := add_months(start, 12 * width_years) - timedelta(days=1)) <= last:
        windows.append(Window("rolling", start, end, f"{start:%Y-%m}..{end:%Y-%m}"))
        start = add_months(start, step_months)
    return windows


def era_windows(first: date, last: date) -> list[Window]:
    """The era splits for data dated [first, last]: pre-2010 (from the first point), 2010 onward and
    the large-scale era (from 2015-09-01), the later two starting on their nominal dates whatever the data; an era
    with no data in it is left out."""
    eras = [
        Window("era", first, DEEP_LEARNING_START - timedelta(days=1), "pre-2010"),
        Window("era", DEEP_LEARNING_START, last, "2010 onward"),
        Window("era", LARGE_SCALE_START, last, "large-scale era"),
    ]
    return [w for w in eras if w.start <= w.end and first <= w.end and w.start <= last]


# -- log-linear OLS -------------------------------------------------------------------------------------------------


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
    # bootstrap draws of slope and of the fitted mean point (x̄, ȳ), for quantities derived from the same resamples
    slope_draws: np.ndarray = field(default=None, compare=False, repr=False)
    x_mean_draws: np.ndarray = field(default=None, compare=False, repr=False)
    y_mean_draws: np.ndarray = field(default=None, compare=False, repr=False)

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

    def predict(self, x: float | np.ndarray) -> float | np.ndarray:
        return self.intercept + self.slope_oom_per_year * np.asarray(x, dtype=float)

    def predict_draws(self, x: float | np.ndarray) -> np.ndarray:
        """The fitted line at `x` under every bootstrap resample: shape (resamples,) or (resamples, len(x))."""
        x = np.asarray(x, dtype=float)
        shape = (-1,) + (1,) * x.ndim
        return self.y_mean_draws.reshape(shape) + self.slope_draws.reshape(shape) * (
            x - self.x_mean_draws.reshape(shape)
        )


def _slopes(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """OLS slope of each row of y on the matching row of x (2-D arrays: one resample per row)."""
    xc = x - x.mean(axis=-1, keepdims=True)
    yc = y - y.mean(axis=-1, keepdims=True)
    var = (xc * xc).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (xc * yc).sum(axis=-1) / var


def _finite_points(x: np.ndarray, y: np.ndarray, min_points: int) -> tuple[np.ndarray, np.ndarray]:
    """The points with both coordinates finite (raises InsufficientData when too few, or all on one date)."""
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    if x.size < min_points:
        raise InsufficientData(f"{x.size} points with a date and a value; a fit needs at least {min_points}")
    if np.ptp(x) == 0:
        raise InsufficientData("every point has the same date; a trend needs a spread of dates")
    return x, y


def _resampled_lines(xs: np.ndarray, ys: np.ndarray, index: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Slope, x̄ and ȳ of every resample (rows of `index`) of every series (columns of xs, ys: (n, series)).

    One matrix product of the resample counts with the centred points gives each resample's sums. A resample
    with (almost) no spread of x loses its precision in those sums, so those few are computed from the drawn
    points themselves, as a per-resample fit would (a resample of a single date has no slope: NaN)."""
    n = xs.shape[0]
    xc, yc = xs - xs.mean(axis=0), ys - ys.mean(axis=0)
    sums = _count_weights(index, n) @ np.hstack([xc, yc, xc * xc, xc * yc])
    sx, sy, sxx, sxy = np.split(sums, 4, axis=1)
    spread = sxx - sx * sx / n
    with np.errstate(invalid="ignore", divide="ignore"):
        slopes = (sxy - sx * sy / n) / spread
    x_means, y_means = xs.mean(axis=0) + sx / n, ys.mean(axis=0) + sy / n
    for column in np.flatnonzero((~(spread > 1e-3 * sxx)).any(axis=0)):
        rows = np.flatnonzero(~(spread[:, column] > 1e-3 * sxx[:, column]))
        xb, yb = xs[index[rows], column], ys[index[rows], column]
        slopes[rows, column] = _slopes(xb, yb)
        x_means[rows, column], y_means[rows, column] = xb.mean(axis=1), yb.mean(axis=1)
    return slopes, x_means, y_means


def _line_fit(
    x: np.ndarray, y: np.ndarray, boot: np.ndarray, x_means: np.ndarray, y_means: np.ndarray, ci_level: float
) -> LogLinearFit:
    """The fit of one series from its points and its resampled slopes and means."""
    n = int(x.size)
    slope = float(_slopes(x[None, :], y[None, :])[0])
    intercept = float(y.mean() - slope * x.mean())
    residuals = y - (intercept + slope * x)
    total = float(((y - y.mean()) ** 2).sum())
    r2 = 1 - float((residuals**2).sum()) / total if total > 0 else float("nan")
    usable = np.isfinite(boot)
    low, high = percentile_ci(boot[usable], ci_level)
    return LogLinearFit(
        n=n,
        slope_oom_per_year=slope,
        intercept=intercept,
        slope_ci_low=low,
        slope_ci_high=high,
        r2=r2,
        residual_sd=float(residuals.std(ddof=2)) if n > 2 else float("nan"),
        ci_level=ci_level,
        slope_draws=boot[usable],
        x_mean_draws=x_means[usable],
        y_mean_draws=y_means[usable],
    )


def fit_lines(
    pairs: Sequence[tuple[np.ndarray, np.ndarray]],
    *,
    resamples: int = BOOTSTRAP_RESAMPLES,
    ci_level: float = CI_LEVEL,
    seed: int = BOOTSTRAP_SEED,
    min_points: int = MIN_POINTS,
) -> list[LogLinearFit | InsufficientData]:
    """`fit_line` of many (x, y) series at once, each with exactly the resamples `fit_line` draws for it.

    The resamples of a series depend only on its number of points and the seed, so series of the same size share
    one draw and one matrix product: hundreds of windows cost about what a few fits did. A series that cannot be
    fitted gets its InsufficientData in its place instead of a fit."""
    results: list[LogLinearFit | InsufficientData | None] = [None] * len(pairs)
    by_size: dict[int, list[SizedSeries]] = {}
    for i, (x, y) in enumerate(pairs):
        try:
            x, y = _finite_points(x, y, min_points)
        except InsufficientData as exc:
            results[i] = exc
            continue
        by_size.setdefault(x.size, []).append((i, x, y))
    groups = list(by_size.items())
    parallel = sum(n * len(members) for n, members in groups) >= PARALLEL_POINTS
    chunks = _balanced(groups, 2 * workers.WORKERS) if parallel else [groups]
    jobs = [(chunk, resamples, seed, ci_level) for chunk in chunks]
    for fitted in workers.starmap(_fit_size_groups, jobs, parallel=parallel):
        for i, fit in fitted:
            results[i] = fit
    return results


SizedSeries = tuple[int, np.ndarray, np.ndarray]  # (position in the request, x, y), all series of a group one size
PARALLEL_POINTS = 100_000  # points × series below which sending the groups to the worker processes costs more


def _fit_size_groups(
    groups: list[tuple[int, list[SizedSeries]]], resamples: int, seed: int, ci_level: float
) -> list[tuple[int, LogLinearFit]]:
    """The fits of groups of same-size series, one resample draw and one matrix product per group."""
    fitted = []
    for n, members in groups:
        xs = np.stack([x for _, x, _ in members], axis=1)
        ys = np.stack([y for _, _, y in members], axis=1)
        slopes, x_means, y_means = _resampled_lines(xs, ys, _resample_index(n, resamples, seed))
        for j, (i, x, y) in enumerate(members):
            fitted.append((i, _line_fit(x, y, slopes[:, j], x_means[:, j], y_means[:, j], ci_level)))
    return fitted


def _balanced(groups: list[tuple[int, list[SizedSeries]]], parts: int) -> list[list[tuple[int, list[SizedSeries]]]]:
    """The groups dealt into `parts` chunks of about equal work (points × series), largest first."""
    chunks: list[list[tuple[int, list[SizedSeries]]]] = [[] for _ in range(parts)]
    loads = [0] * parts
    for group in sorted(groups, key=lambda g: -g[0] * len(g[1])):
        lightest = loads.index(min(loads))
        chunks[lightest].append(group)
        loads[lightest] += group[0] * len(group[1])
    return [chunk for chunk in chunks if chunk]


def fit_line(
    x: np.ndarray,
    y: np.ndarray,
    *,
    resamples: int = BOOTSTRAP_RESAMPLES,
    ci_level: float = CI_LEVEL,
    seed: int = BOOTSTRAP_SEED,
    min_points: int = MIN_POINTS,
) -> LogLinearFit:
    """OLS of y on x with a percentile bootstrap CI on the slope (rows resampled); non-finite points are left out."""
    (fit,) = fit_lines([(x, y)], resamples=resamples, ci_level=ci_level, seed=seed, min_points=min_points)
    if isinstance(fit, InsufficientData):
        raise fit
    return fit


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
    return fit_line(years, log10_values, resamples=resamples, ci_level=ci_level, seed=seed, min_points=min_points)


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
    "status_reason": pl.String(),
    "snapshot": pl.String(),
}


def series_xy(
    points: pl.DataFrame, *, date_column: str = "publication_date", value_column: str = "value"
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(date, decimal year, log10 value) of the dated points with a positive value, in their order: computed once
    per series, then cut into windows with `in_window`."""
    series = points.filter(pl.col(date_column).is_not_null() & (pl.col(value_column) > 0)).select(
        pl.col(date_column).alias("day"),
        decimal_year(pl.col(date_column)).alias("x"),
        pl.col(value_column).log10().alias("y"),
    )
    return series["day"].to_numpy(), series["x"].to_numpy(), series["y"].to_numpy()


def in_window(days: np.ndarray, window_start: date, window_end: date) -> np.ndarray:
    """Which of `days` (datetime64[D]) fall within the window, both ends included."""
    return (days >= np.datetime64(window_start, "D")) & (days <= np.datetime64(window_end, "D"))


def window_xy(
    points: pl.DataFrame,
    window_start: date,
    window_end: date,
    *,
    date_column: str = "publication_date",
    value_column: str = "value",
) -> tuple[np.ndarray, np.ndarray]:
    """(decimal year, log10 value) of the points dated within the window, positive values only."""
    days, x, y = series_xy(points, date_column=date_column, value_column=value_column)
    keep = in_window(days, window_start, window_end)
    return x[keep], y[keep]


def fit_window(
    points: pl.DataFrame,
    window_start: date,
    window_end: date,
    *,
    date_column: str = "publication_date",
    value_column: str = "value",
    min_points: int = MIN_POINTS,
) -> LogLinearFit:
    """`fit_log_linear` on the points of a window (raises InsufficientData)."""
    x, y = window_xy(points, window_start, window_end, date_column=date_column, value_column=value_column)
    return fit_log_linear(x, y, min_points=min_points)


TrendRequest = tuple[dict[str, object], np.ndarray, np.ndarray]  # a `trends.fits` row to fill, and its points


def trend_requests(
    points: pl.DataFrame,
    windows: Sequence[Window],
    *,
    metric: str,
    subset: str,
    snapshot: str,
    date_column: str = "publication_date",
    value_column: str = "value",
) -> list[TrendRequest]:
    """The `trends.fits` rows of one series over `windows`, with each window's points, for `fitted_rows`."""
    days, x, y = series_xy(points, date_column=date_column, value_column=value_column)
    requests = []
    for window in windows:
        keep = in_window(days, window.start, window.end)
        row: dict[str, object] = dict.fromkeys(FITS_SCHEMA)
        row.update(
            metric=metric,
            subset=subset,
            window_kind=window.kind,
            window_start=window.start,
            window_end=window.end,
            snapshot=snapshot,
            n=int(keep.sum()),
            ci_level=CI_LEVEL,
        )
        requests.append((row, x[keep], y[keep]))
    return requests


def fitted_rows(requests: Sequence[TrendRequest], *, min_points: int = MIN_POINTS) -> list[dict[str, object]]:
    """The rows of `requests`, every window fitted in one batch (`fit_lines`).

    Too few points gives a row with status 'insufficient data' and null numbers, so the gap stays visible."""
    fits = fit_lines([(x, y) for _, x, y in requests], min_points=min_points)
    rows = []
    for (row, _, _), fit in zip(requests, fits, strict=True):
        if isinstance(fit, InsufficientData):
            rows.append({**row, **status_columns(Status.INSUFFICIENT_DATA, str(fit))})
        else:
            rows.append({**row, **fit_columns(fit)})
    return rows


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
    """One `trends.fits` row for the points of `points` dated within the window (positive values only)."""
    window = Window(window_kind, window_start, window_end, window_kind)
    requests = trend_requests(
        points,
        [window],
        metric=metric,
        subset=subset,
        snapshot=snapshot,
        date_column=date_column,
        value_column=value_column,
    )
    return fitted_rows(requests, min_points=min_points)[0]


def fit_columns(fit: LogLinearFit) -> dict[str, object]:
    """The numeric `trends.fits` columns of a fit, status 'ok'."""
    growth_low, growth_high = fit.growth_ci
    # a faster growth means a shorter doubling time: the CI bounds swap. A slope CI that includes zero has no
    # doubling-time interval (it runs through infinity on both sides): those bounds are left null
    spans_zero = fit.slope_ci_low <= 0 <= fit.slope_ci_high
    return {
        "n": fit.n,
        "slope_oom_per_year": fit.slope_oom_per_year,
        "slope_ci_low": fit.slope_ci_low,
        "slope_ci_high": fit.slope_ci_high,
        "growth_per_year": fit.growth_per_year,
        "growth_ci_low": growth_low,
        "growth_ci_high": growth_high,
        "doubling_months": fit.doubling_months if fit.slope_oom_per_year != 0 else None,
        "doubling_months_ci_low": None if spans_zero else _doubling(fit.slope_ci_high),
        "doubling_months_ci_high": None if spans_zero else _doubling(fit.slope_ci_low),
        "intercept": fit.intercept,
        "r2": fit.r2,
        "residual_sd_oom": fit.residual_sd,
        **status_columns(Status.OK),
    }


def fits_frame(rows: list[dict[str, object]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=FITS_SCHEMA)


# -- resampling weights ---------------------------------------------------------------------------------------------


def _resample_index(n: int, resamples: int, seed: int) -> np.ndarray:
    """The points drawn by each resample, shape (resamples, n): every bootstrap here draws exactly these."""
    return np.random.default_rng(seed).integers(0, n, size=(resamples, n))


def _count_weights(index: np.ndarray, n: int) -> np.ndarray:
    """How often each point was drawn in each row of `index`, as floats of shape (rows, n)."""
    rows = index.shape[0]
    flat = (index + n * np.arange(rows)[:, None]).ravel()
    return np.bincount(flat, minlength=rows * n).reshape(rows, n).astype(float)


def bootstrap_weights(n: int, resamples: int, seed: int = BOOTSTRAP_SEED) -> np.ndarray:
    """Resamples as multiplicity weights, shape (resamples, n): weighted sums over a row equal sums over the
    resampled points, so weighted least squares on a row is OLS on that resample (and matrix products do it all)."""
    return _count_weights(_resample_index(n, resamples, seed), n)


# -- single breakpoint ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BreakpointFit:
    """A line with one break at `break_year`, chosen by least squares over a grid of candidate dates.

    Continuous: a hinge (the two segments meet at the break). Discontinuous: two separate lines, with a level jump
    at the break (`jump`, the right line minus the left line there). Slopes are in y units per year.
    """

    continuous: bool
    n: int
    break_year: float
    break_ci: tuple[float, float]
    slope_before: float
    slope_before_ci: tuple[float, float]
    slope_after: float
    slope_after_ci: tuple[float, float]
    jump: float | None
    r2: float
    residual_sd: float
    delta_bic: float  # BIC(break) - BIC(single line): negative favours the break
    ci_level: float
    grid_range: tuple[float, float] = (math.nan, math.nan)  # the first and last date a break may take

    @property
    def break_ci_censored(self) -> bool:
        """The date's CI runs into an end of the admissible dates: the data do not place the break in the range."""
        return self.break_ci[0] <= self.grid_range[0] or self.break_ci[1] >= self.grid_range[1]


def _left_sums(x: np.ndarray, y: np.ndarray, weights: np.ndarray, grid: np.ndarray) -> list[np.ndarray]:
    """For every (resample, candidate): the sums of w, w·x, w·y, w·x², w·xy and w·y² over the points left of the
    candidate (x < g), and the count of distinct points drawn there; each of shape (resamples, candidates).

    Cumulative sums along x read at each candidate: O(resamples × points), where a 0/1 matrix of points left of
    each candidate costs a product per candidate."""
    order = np.argsort(x, kind="stable")
    xs, ys = x[order, None], y[order, None]
    w = np.ascontiguousarray(weights[:, order].T)  # (points, resamples): each running sum adds whole rows
    left_of = np.searchsorted(xs[:, 0], grid, side="left")  # points with x < g
    sums = []
    for values in (w, w * xs, w * ys, w * (xs * xs), w * (xs * ys), w * (ys * ys), (w > 0).astype(float)):
        running = np.zeros((w.shape[0] + 1, w.shape[1]))
        np.cumsum(values, axis=0, out=running[1:])
        sums.append(running[left_of].T)
    return sums


def _hinge_fit(totals: list[np.ndarray], left: list[np.ndarray], grid: np.ndarray) -> tuple[np.ndarray, ...]:
    """Continuous fits y = a + b·x + c·max(x - g, 0) for every (resample, candidate): the 3×3 normal equations
    (with their 1e-10·trace ridge) solved by elimination, the common (1, x) block first, in whole arrays.

    The hinge sums come from the points right of g: Σw(x-g), Σw·x(x-g), Σw(x-g)², Σw·y(x-g). Returns
    (intercept, slope before, hinge coefficient, SSR)."""
    sw, sx, sy, sxx, sxy, syy = (t[:, None] for t in totals)
    rw, rx, ry, rxx, rxy = (t - lt for t, lt in zip((sw, sx, sy, sxx, sxy), left[:5], strict=True))
    g = grid[None, :]
    sh, sxh, shh, shy = rx - g * rw, rxx - g * rx, rxx - 2 * g * rx + g * g * rw, rxy - g * ry
    ridge = 1e-10 * (sw + sxx + shh)
    a00, a11, a22 = sw + ridge, sxx + ridge, shh + ridge
    with np.errstate(invalid="ignore", divide="ignore"):
        det = a00 * a11 - sx * sx
        u0, u1 = (a11 * sh - sx * sxh) / det, (a00 * sxh - sx * sh) / det  # (1, x) block⁻¹ · hinge column
        v0, v1 = (a11 * sy - sx * sxy) / det, (a00 * sxy - sx * sy) / det  # (1, x) block⁻¹ · right-hand side
        hinge = (shy - (sh * v0 + sxh * v1)) / (a22 - (sh * u0 + sxh * u1))
    intercept, slope = v0 - hinge * u0, v1 - hinge * u1
    return intercept, slope, hinge, syy - (intercept * sy + slope * sxy + hinge * shy)


def _breakpoint_sums(x: np.ndarray, y: np.ndarray, weights: np.ndarray, grid: np.ndarray, continuous: bool):
    """SSR, slopes before/after and jump for every (resample, candidate); invalid candidates get SSR = inf."""
    totals = [weights.sum(1), weights @ x, weights @ y, weights @ (x * x), weights @ (x * y), weights @ (y * y)]
    *left, distinct_left = _left_sums(x, y, weights, grid)
    distinct_right = (weights > 0).sum(1, keepdims=True) - distinct_left
    valid = (distinct_left >= 3) & (distinct_right >= 3)
    if continuous:
        _, before, hinge, ssr = _hinge_fit(totals, left, grid)
        after, jump = before + hinge, None
    else:
        sides = []
        for w_, x_, y_, xx, xy, yy in (left, [t[:, None] - lt for t, lt in zip(totals, left, strict=True)]):
            with np.errstate(invalid="ignore", divide="ignore"):
                cxx = xx - x_ * x_ / w_
                cxy = xy - x_ * y_ / w_
                cyy = yy - y_ * y_ / w_
                slope = cxy / cxx
                sides.append((slope, cyy - slope * cxy, y_ / w_ - slope * x_ / w_))
        (before, ssr_left, icpt_left), (after, ssr_right, icpt_right) = sides
        ssr = ssr_left + ssr_right
        jump = (icpt_right + after * grid[None, :]) - (icpt_left + before * grid[None, :])
    ssr = np.where(valid & np.isfinite(ssr), np.maximum(ssr, 0.0), np.inf)
    return ssr, before, after, jump


def fit_breakpoint(
    years: np.ndarray,
    values: np.ndarray,
    *,
    continuous: bool = True,
    grid_step: float = BREAKPOINT_GRID_YEARS,
    min_side: int = MIN_POINTS,
    resamples: int = BREAKPOINT_RESAMPLES,
    ci_level: float = CI_LEVEL,
    seed: int = BOOTSTRAP_SEED,
) -> BreakpointFit:
    """Least-squares single break in a trend of `values` (e.g. log10 FLOP) on decimal year.

    Candidates every `grid_step` years leave at least `min_side` points on each side. The bootstrap resamples
    points and re-runs the whole grid search, so the CI of the date (and of both slopes) carries the search itself.
    """
    x = np.asarray(years, dtype=float)
    y = np.asarray(values, dtype=float)
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    n = int(x.size)
    if n < 2 * min_side:
        raise InsufficientData(f"{n} points; a breakpoint fit needs at least {min_side} on each side")
    order = np.sort(x)
    low, high = order[min_side - 1], order[n - min_side]
    grid = np.arange(math.floor(low / grid_step) * grid_step, high + grid_step / 2, grid_step)
    grid = grid[(grid > low) & (grid <= high)]
    if grid.size == 0:
        raise InsufficientData("the dates are too bunched for a breakpoint with enough points on each side")
    centre = float(x.mean())
    xc, gc = x - centre, grid - centre
    weights = np.vstack([np.ones((1, n)), bootstrap_weights(n, resamples, seed)])
    ssr, before, after, jump = _breakpoint_sums(xc, y - y.mean(), weights, gc, continuous)
    best = np.argmin(ssr, axis=1)
    rows = np.arange(weights.shape[0])
    found = np.isfinite(ssr[rows, best])
    if not found[0]:
        raise InsufficientData("no candidate date leaves enough distinct points on each side")
    pick = rows[1:][found[1:]], best[1:][found[1:]]
    best_ssr = float(ssr[0, best[0]])
    single = float(((y - y.mean()) ** 2).sum() - _slopes(x[None], y[None])[0] ** 2 * ((x - x.mean()) ** 2).sum())
    total = float(((y - y.mean()) ** 2).sum())
    params = 4 if continuous else 5  # the break date counts as a parameter

    def bic(ssr_value: float, k: int) -> float:
        return n * math.log(max(ssr_value, 1e-300) / n) + k * math.log(n)

    return BreakpointFit(
        continuous=continuous,
        n=n,
        break_year=float(grid[best[0]]),
        break_ci=percentile_ci(grid[pick[1]], ci_level),
        slope_before=float(before[0, best[0]]),
        slope_before_ci=percentile_ci(before[pick], ci_level),
        slope_after=float(after[0, best[0]]),
        slope_after_ci=percentile_ci(after[pick], ci_level),
        jump=None if jump is None else float(jump[0, best[0]]),
        r2=1 - best_ssr / total if total > 0 else math.nan,
        residual_sd=math.sqrt(best_ssr / (n - params)) if n > params else math.nan,
        delta_bic=bic(best_ssr, params) - bic(single, 2),
        ci_level=ci_level,
        grid_range=(float(grid[0]), float(grid[-1])),
    )


# -- logistic curve -------------------------------------------------------------------------------------------------

LOGISTIC_PARAMETERS = ("floor", "ceiling", "slope", "midpoint")


def expit(x: np.ndarray | float) -> np.ndarray:
    """SciPy's 1 / (1 + exp(-x)), imported at the first fit: SciPy takes a quarter of a second to import, and the
    Dagster definitions import this module without fitting anything."""
    from scipy.special import expit as scipy_expit

    return scipy_expit(x)


def logistic(x: np.ndarray, floor: float, ceiling: float, slope: float, midpoint: float) -> np.ndarray:
    """floor + (ceiling - floor) / (1 + exp(-slope (x - midpoint))): a score against log10 resources."""
    return floor + (ceiling - floor) * expit(slope * (x - midpoint))


def logistic_value(params: np.ndarray, x: float) -> np.ndarray:
    """The curve at `x` for each parameter row (shape (..., 4))."""
    p = np.asarray(params, dtype=float)
    return p[..., 0] + (p[..., 1] - p[..., 0]) * expit(p[..., 2] * (x - p[..., 3]))


def logistic_gain_per_unit(params: np.ndarray, x: float) -> np.ndarray:
    """d score / d x at `x` (score per 10x when x is log10 resources)."""
    p = np.asarray(params, dtype=float)
    s = expit(p[..., 2] * (x - p[..., 3]))
    return (p[..., 1] - p[..., 0]) * p[..., 2] * s * (1 - s)


def logistic_x_to_halve_error(params: np.ndarray, x: float) -> np.ndarray:
    """How far along x (e.g. OOM of compute) the curve must go from `x` to halve the error 1 - score there;
    +inf where the fitted ceiling is at or below the target (or the curve is flat)."""
    p = np.asarray(params, dtype=float)
    floor, ceiling, slope, midpoint = p[..., 0], p[..., 1], p[..., 2], p[..., 3]
    target = 1 - (1 - logistic_value(p, x)) / 2
    reachable = (ceiling > target) & (target > floor) & (slope > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = (target - floor) / (ceiling - target)
        x_target = midpoint + np.log(np.where(reachable, ratio, 1.0)) / np.where(reachable, slope, 1.0)
    return np.where(reachable, x_target - x, np.inf)


@dataclass(frozen=True)
class LogisticFit:
    """A four-parameter logistic fitted by least squares, with bootstrap draws of the parameters (rows resampled)."""

    n: int
    params: np.ndarray = field(compare=False)  # floor, ceiling, slope, midpoint
    draws: np.ndarray = field(compare=False, repr=False)  # (resamples, 4)
    r2: float
    residual_sd: float
    ci_level: float

    def estimate(self, quantity) -> tuple[float, float, float]:
        """(estimate, CI low, CI high) of `quantity(params)`, evaluated on the fit and on every resample."""
        point = float(quantity(self.params))
        low, high = percentile_ci(quantity(self.draws), self.ci_level)
        return point, low, high

    def parameter(self, name: str) -> tuple[float, float, float]:
        i = LOGISTIC_PARAMETERS.index(name)
        return self.estimate(lambda p: np.asarray(p)[..., i])


def _logistic_bounds(x: np.ndarray, y: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-resample bounds, shape (resamples, 4): floor in [0, lowest score], ceiling in [highest score, 1] (the
    curve spans the scores actually reached: without this a noisy cloud is fitted by a step to a plateau below the
    best models), slope in [0, 20], midpoint within one data span (at least one unit) of the x range."""
    present = weights > 0
    low_y = np.where(present, y, np.inf).min(axis=1)
    high_y = np.where(present, y, -np.inf).max(axis=1)
    low_x = np.where(present, x, np.inf).min(axis=1)
    high_x = np.where(present, x, -np.inf).max(axis=1)
    span = np.maximum(high_x - low_x, 1.0)
    zeros = np.zeros_like(low_y)
    lower = np.stack([zeros, np.minimum(high_y, 1 - 1e-9), zeros, low_x - span], axis=1)
    upper = np.stack([np.maximum(low_y, 1e-9), zeros + 1.0, zeros + LOGISTIC_MAX_SLOPE, high_x + span], axis=1)
    return lower, upper


def _curve(x: np.ndarray, y: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x - midpoint, σ(slope·(x - midpoint)), residual) of each row's curve: what a step's Jacobian needs, so a
    step that is taken has them already."""
    u = x - p[:, 3:4]
    s = expit(p[:, 2:3] * u)
    return u, s, y - (p[:, 0:1] + (p[:, 1:2] - p[:, 0:1]) * s)


def _normal_equations(
    w: np.ndarray, p: np.ndarray, u: np.ndarray, s: np.ndarray, r: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """JᵀWJ and JᵀW r of each row's curve at its parameters, the Jacobian written in place."""
    jac = np.empty((p.shape[0], 4, u.shape[1]))
    np.subtract(1, s, out=jac[:, 0])
    jac[:, 1] = s
    ds = (p[:, 1:2] - p[:, 0:1]) * s
    ds *= jac[:, 0]
    np.multiply(ds, u, out=jac[:, 2])
    np.negative(ds, out=ds)
    np.multiply(ds, p[:, 2:3], out=jac[:, 3])
    jw = jac * w[:, None, :]
    return jw @ jac.transpose(0, 2, 1), (jw @ r[..., None])[..., 0]


def _damped_step(a: np.ndarray, g: np.ndarray, damping: np.ndarray) -> np.ndarray:
    """One Levenberg-Marquardt step per row: (JᵀWJ + λ·scaled diag) step = JᵀW r."""
    diag = np.diagonal(a, axis1=1, axis2=2)
    scale = diag + 1e-9 * diag.sum(axis=1, keepdims=True) + 1e-12
    return np.linalg.solve(a + damping[:, None, None] * np.eye(4) * scale[:, :, None], g[..., None])[..., 0]


def fit_logistic_batch(
    x: np.ndarray, y: np.ndarray, weights: np.ndarray, start: np.ndarray, *, iterations: int = LOGISTIC_ITERATIONS
) -> tuple[np.ndarray, np.ndarray]:
    """Weighted least-squares logistic fits of many resamples at once: a projected Levenberg-Marquardt over
    arrays of shape (resamples, n). `x` may be (n,) or (resamples, n) (resampled or perturbed x);
    returns the parameters (resamples, 4) and their SSR. A resample stops once its damping shows no step helps.

    Every row does the same arithmetic as it would alone, so its answer does not depend on its batch: a row whose
    last step was refused keeps its normal equations (only the damping changes), and finished rows are frozen and
    dropped in bulk (when a quarter are done)."""
    x = np.ascontiguousarray(np.broadcast_to(np.asarray(x, dtype=float), weights.shape))
    lower, upper = _logistic_bounds(x, y, weights)
    p = np.clip(np.array(start, dtype=float), lower, upper)
    u, s, r = _curve(x, y, p)
    rows = {"x": x, "w": weights, "p": p, "u": u, "s": s, "r": r, "lower": lower, "upper": upper}
    rows |= {"ssr": (weights * r**2).sum(axis=1), "damping": np.full(p.shape[0], 1e-2), "index": np.arange(p.shape[0])}
    rows |= {"a": np.empty((p.shape[0], 4, 4)), "g": np.empty((p.shape[0], 4)), "moved": np.ones(p.shape[0], bool)}
    out_p, out_ssr, live = p.copy(), rows["ssr"].copy(), np.ones(p.shape[0], dtype=bool)
    for _ in range(iterations):
        if live.size == 0:
            break
        x, w, p, moved = rows["x"], rows["w"], rows["p"], rows["moved"]
        todo = slice(None) if moved.all() else np.flatnonzero(moved)
        rows["a"][todo], rows["g"][todo] = _normal_equations(w[todo], p[todo], *(rows[k][todo] for k in "usr"))
        candidate = np.clip(p + _damped_step(rows["a"], rows["g"], rows["damping"]), rows["lower"], rows["upper"])
        trial_curve = _curve(x, y, candidate)
        trial = (w * trial_curve[2] ** 2).sum(axis=1)
        better = (trial < rows["ssr"]) & live
        # done: no step helps even when heavily damped, or the last step gained almost nothing
        settled = better & (rows["ssr"] - trial <= 1e-10 * (rows["ssr"] + 1e-12))
        for key, new in zip("pusr", (candidate, *trial_curve), strict=True):
            np.copyto(rows[key], new, where=better[:, None])
        rows["ssr"] = np.where(better, trial, rows["ssr"])
        rows["damping"] = np.clip(np.where(better, rows["damping"] / 3, rows["damping"] * 4), 1e-9, 1e9)
        rows["moved"] = better
        done = (settled | (rows["damping"] >= 1e6)) & live
        if done.any():
            out_p[rows["index"][done]], out_ssr[rows["index"][done]] = rows["p"][done], rows["ssr"][done]
            live &= ~done
            if 4 * live.sum() < 3 * live.size:
                rows = {key: value[live] for key, value in rows.items()}
                live = live[live]
    out_p[rows["index"][live]], out_ssr[rows["index"][live]] = rows["p"][live], rows["ssr"][live]
    return out_p, out_ssr


def _logistic_point_estimate(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Least squares from a grid of starts (batched Levenberg-Marquardt), polished by scipy's bounded curve_fit
    ('trf'); curve_fit's answer is kept only when it lowers the sum of squares."""
    from scipy.optimize import OptimizeWarning, curve_fit

    lower, upper = (b[0] for b in _logistic_bounds(x[None, :], y, np.ones((1, x.size))))
    low_y, high_y = float(np.quantile(y, 0.1)), float(np.quantile(y, 0.9))
    starts = np.array(
        [
            (floor, ceiling, slope, midpoint)
            for floor, ceiling in ((float(y.min()), float(y.max())), (low_y, high_y), (0.0, 1.0))
            for slope in (0.5, 2.0, 6.0)
            for midpoint in np.quantile(x, [0.25, 0.5, 0.75])
        ]
    )
    params, ssr = fit_logistic_batch(x, y, np.ones((len(starts), x.size)), starts, iterations=2 * LOGISTIC_ITERATIONS)
    best = params[int(np.argmin(ssr))]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", OptimizeWarning)
            polished, _ = curve_fit(logistic, x, y, p0=best, bounds=(lower, upper), method="trf", maxfev=400)
    except (RuntimeError, ValueError):
        return best
    if ((y - logistic(x, *polished)) ** 2).sum() < ((y - logistic(x, *best)) ** 2).sum():
        return polished
    return best


def fit_logistic(
    x: np.ndarray,
    y: np.ndarray,
    *,
    x_draws: np.ndarray | None = None,
    resamples: int = LOGISTIC_RESAMPLES,
    ci_level: float = CI_LEVEL,
    seed: int = BOOTSTRAP_SEED,
    min_points: int = MIN_POINTS,
) -> LogisticFit:
    """Scores `y` (fractions) against `x` (log10 resources): floor + (ceiling - floor)·σ(slope·(x - midpoint)).

    The point estimate is the best of a grid of starts, polished by scipy's bounded least squares (curve_fit).
    The bootstrap resamples points (and, with `x_draws` of shape (resamples, n), uses that resample's x: e.g.
    imputed costs under a resampled cost trend) and refits all resamples at once from the point estimate.
    Bounds: floor in [0, lowest score], ceiling in [highest score, 1] (per resample), slope in [0, 20] log-odds per
    unit of x, midpoint within a span of the data.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    keep = np.isfinite(x) & np.isfinite(y)
    if x_draws is not None:
        x_draws = np.asarray(x_draws, dtype=float)[:, keep]
        resamples = x_draws.shape[0]
    x, y = x[keep], y[keep]
    n = int(x.size)
    if n < min_points:
        raise InsufficientData(f"{n} points with a score and a value; a logistic fit needs at least {min_points}")
    if np.ptp(x) == 0:
        raise InsufficientData("every point has the same x; a curve needs a spread")
    best = _logistic_point_estimate(x, y)
    weights = bootstrap_weights(n, resamples, seed)
    draws, _ = fit_logistic_batch(x if x_draws is None else x_draws, y, weights, np.tile(best, (resamples, 1)))
    best_ssr = float(((y - logistic(x, *best)) ** 2).sum())
    total = float(((y - y.mean()) ** 2).sum())
    return LogisticFit(
        n=n,
        params=np.asarray(best, dtype=float),
        draws=draws,
        r2=1 - best_ssr / total if total > 0 else math.nan,
        residual_sd=math.sqrt(best_ssr / (n - 4)) if n > 4 else math.nan,
        ci_level=ci_level,
    )
