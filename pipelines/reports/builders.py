"""The recurring chart shapes of the reports, built once: log scatters with decade ticks and tooltips, fitted
trend lines with their CI band, rolling-rate panels, record steps and faceted small multiples, all styled by one
Altair theme. A page composes these; it does not restyle them.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import altair as alt
import polars as pl

from pipelines.trends.fits import decimal_year
from pipelines.trends.status import Status

THEME = "scaling_warehouse"
# Axis labels for log axes: 1e24 for FLOP; $1M, 10B, 1T for money and counts.
POWER_OF_TEN_LABEL = "'1e' + format(round(log(datum.value) / LN10), 'd')"
SI_LABEL = (
    "datum.value >= 1e12 ? format(datum.value / 1e12, '~g') + 'T' : "
    "datum.value >= 1e9 ? format(datum.value / 1e9, '~g') + 'B' : "
    "datum.value >= 1e6 ? format(datum.value / 1e6, '~g') + 'M' : "
    "datum.value >= 1e3 ? format(datum.value / 1e3, '~g') + 'k' : format(datum.value, '~g')"
)
PLAIN_LABEL = "format(datum.value, datum.value < 0.001 ? '.0e' : '~g')"  # 0.5, 20, 1e-4: prices and ratios
LABELS = {
    "power": POWER_OF_TEN_LABEL,
    "si": SI_LABEL,
    "usd": f"'$' + ({SI_LABEL})",
    "usd_power": f"'$' + {POWER_OF_TEN_LABEL}",
    "plain": PLAIN_LABEL,
    "usd_plain": f"'$' + {PLAIN_LABEL}",
}
LEGEND = {"orient": "top-left", "fillColor": "white", "padding": 6}
LOG = alt.Scale(type="log")
# Tooltips of a fitted trend row (see fit_lines), the same on every chart that draws one.
FIT_TOOLTIP = [
    ("growth_per_year:Q", "Growth per year", ".2f"),
    ("growth_ci_low:Q", "90% CI low", ".2f"),
    ("growth_ci_high:Q", "90% CI high", ".2f"),
    ("n:Q", "n", None),
]


@alt.theme.register(THEME, enable=False)
def theme() -> alt.theme.ThemeConfig:
    """One look for every chart: legible at 1280 px, titles left-aligned, no chart border."""
    return {
        "config": {
            "axis": {"labelFontSize": 12, "titleFontSize": 13, "titleFontWeight": "normal", "labelLimit": 260},
            "legend": {"labelFontSize": 12, "titleFontSize": 12, "labelLimit": 260},
            "title": {"fontSize": 15, "anchor": "start", "subtitleFontSize": 12, "subtitleColor": "#555"},
            "header": {"labelFontSize": 12, "titleFontSize": 13},
            "view": {"stroke": None},
        }
    }


@functools.cache
def enable_theme() -> None:
    """Make the reports' theme the active one (for specs and exports alike), and let a chart hold every row its
    table has (Altair refuses more than 5,000 by default: the model scatter passes that at ten times today's data);
    once per process."""
    alt.theme.enable(THEME)
    alt.data_transformers.disable_max_rows()


def tooltips(*fields: tuple[str, str, str | None]) -> list[alt.Tooltip]:
    """Tooltips from (field:type, title, format) triples."""
    return [alt.Tooltip(f, title=t, format=fmt) if fmt else alt.Tooltip(f, title=t) for f, t, fmt in fields]


def finite(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def decades(low: float | None, high: float | None, step: int = 1) -> list[float]:
    """Powers of ten covering [low, high], every `step` decades, for explicit log-axis ticks."""
    if not (finite(low) and finite(high)) or low <= 0 or high <= 0:
        return []
    first, last = math.floor(math.log10(low)), math.ceil(math.log10(high))
    return [10.0**k for k in range(first, last + 1, step)]


def log_axis(values: pl.Series, title: str, style: str = "power", step: int | None = None) -> alt.Axis:
    """A log axis ticked at powers of ten over `values` (every other decade when they span more than 12)."""
    values = values.drop_nulls().filter(values.drop_nulls() > 0)
    low, high = (values.min(), values.max()) if values.len() else (None, None)
    if step is None:
        step = 2 if finite(low) and finite(high) and high / low > 1e12 else 1
    return alt.Axis(title=title, values=decades(low, high, step) or None, labelExpr=LABELS[style])


def log_scatter(
    data: pl.DataFrame,
    *,
    x: str,
    y: str,
    y_axis: alt.Axis,
    tooltip: Sequence[tuple[str, str, str | None]],
    color: alt.Color | str = "#4c78a8",
    size: int = 30,
    opacity: float = 0.65,
) -> alt.Chart:
    """Points of `y` (log scale, decade ticks) against `x`, with a fixed colour or a colour encoding."""
    fixed = isinstance(color, str)
    encoding = {"x": x, "y": alt.Y(f"{y}:Q", scale=LOG, axis=y_axis), "tooltip": tooltips(*tooltip)}
    if not fixed:
        encoding["color"] = color
    return (
        alt.Chart(data)
        .mark_circle(size=size, opacity=opacity, **({"color": color} if fixed else {}))
        .encode(**encoding)
    )


def fit_lines(fits: pl.DataFrame, label: str = "label", keep: Sequence[str] = ()) -> pl.DataFrame:
    """Three points per fitted trends.fits row (its window's ends and middle) on the fitted log-linear trend:
    `date`, `fitted`, the band `fitted_low`–`fitted_high` (lines at the ends of the growth CI through the window's
    middle, where the fit is surest), and the row's `label`, growth, n and `keep` columns for tooltips. Rows not
    'ok' are left out."""
    schema = {label: pl.String, "date": pl.String, "fitted": pl.Float64, "fitted_low": pl.Float64}
    schema |= {"fitted_high": pl.Float64, "growth_per_year": pl.Float64, "growth_ci_low": pl.Float64}
    schema |= {"growth_ci_high": pl.Float64, "n": pl.Int64}
    schema |= {column: fits.schema[column] for column in keep}
    ok = fits.filter(pl.col("status") == Status.OK) if "status" in fits.columns else fits
    if ok.is_empty():
        return pl.DataFrame(schema=schema)
    start, end = decimal_year(pl.col("window_start")), decimal_year(pl.col("window_end"))
    ends = ok.with_columns(((start + end) / 2).alias("_mid"), pl.col(label).cast(pl.String)).with_columns(
        pl.concat_list(start, "_mid", end).alias("_t")
    )
    ends = ends.explode("_t").with_columns(
        (pl.col("intercept") + pl.col("slope_oom_per_year") * pl.col("_mid")).alias("_centre"),
        (pl.col("_t") - pl.col("_mid")).alias("_dt"),
    )
    low = pl.col("_centre") + pl.col("growth_ci_low").log10() * pl.col("_dt")
    high = pl.col("_centre") + pl.col("growth_ci_high").log10() * pl.col("_dt")
    return ends.select(
        label,
        _date_from_year(pl.col("_t")).alias("date"),
        (10 ** (pl.col("intercept") + pl.col("slope_oom_per_year") * pl.col("_t"))).alias("fitted"),
        (10 ** pl.min_horizontal(low, high)).alias("fitted_low"),
        (10 ** pl.max_horizontal(low, high)).alias("fitted_high"),
        "growth_per_year",
        "growth_ci_low",
        "growth_ci_high",
        pl.col("n").cast(pl.Int64),
        *keep,
    )


def _date_from_year(year: pl.Expr) -> pl.Expr:
    """A decimal year back to an ISO date string (days from 1970-01-01 at 365.25 days a year)."""
    days = ((year - 1970) * 365.25).round(0).cast(pl.Int32)
    return days.cast(pl.Date).cast(pl.String)


def fit_layers(
    fits: pl.DataFrame,
    *,
    label: str = "fit",
    color: alt.Color | str = "#222",
    dashed: bool = True,
    band: bool = True,
    tooltip_title: str = "Fit",
    tooltip: Sequence[tuple[str, str, str | None]] | None = None,
    keep: Sequence[str] = (),
    y_axis: alt.Axis | None = None,
    x_axis: alt.Axis | None = None,
) -> list[alt.Chart]:
    """The fitted trend of each ok trends.fits row as a line (dashed by default) over its window, on a log y axis,
    with its growth-CI band behind it; nothing when no row is ok. `tooltip` replaces the growth tooltips, e.g. for a
    trend told as a fall (it may name the `keep` columns carried from `fits`); `y_axis` and `x_axis` title the axes
    when no points layer does."""
    if fits.is_empty():
        return []
    if label not in fits.columns:
        fits = fits.with_columns(pl.lit(tooltip_title).alias(label))
    lines = fit_lines(fits, label, keep)
    if lines.is_empty():
        return []
    fixed = isinstance(color, str)
    colour = {} if fixed else {"color": color}
    base = alt.Chart(lines).encode(x=alt.X("date:T", axis=x_axis) if x_axis is not None else "date:T")
    layers = []
    if band:  # the band shares the line's colours but not its legend entry
        area = base.mark_area(opacity=0.12, **({"color": color} if fixed else {}))
        quiet = {} if fixed else {"color": color.copy(deep=True)}
        if quiet:
            quiet["color"].legend = None
        layers.append(area.encode(y=alt.Y("fitted_low:Q", scale=LOG), y2="fitted_high:Q", **quiet))
    line = base.mark_line(strokeWidth=2.5, **({"color": color} if fixed else {}), **_dash(dashed))
    tips = tooltips((f"{label}:N", tooltip_title, None), *(FIT_TOOLTIP if tooltip is None else tooltip))
    y = alt.Y("fitted:Q", scale=LOG, **({"axis": y_axis} if y_axis is not None else {}))
    layers.append(line.encode(y=y, tooltip=tips, **colour))
    return layers


def _dash(dashed: bool) -> dict[str, list[int]]:
    return {"strokeDash": [6, 3]} if dashed else {}


def with_fit(points: alt.Chart, fits: pl.DataFrame, **options: object) -> alt.LayerChart:
    """`points` with the fitted trend(s) of `fits` (trends.fits rows) over their window."""
    return alt.layer(points, *fit_layers(fits, **options))


def rolling_panels(data: pl.DataFrame, order: list[str], title: str, subtitle: str) -> alt.FacetChart:
    """Growth per year in rolling windows (x: window end, log y) with its 90% CI as a band and a dashed 'no growth'
    rule, one panel per `quantity`."""
    growth_axis = alt.Axis(
        title="Growth per year (×, log scale)",
        values=[0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
        labelExpr="format(datum.value, '~g') + '×'",
    )
    base = alt.Chart().encode(x=alt.X("window_end:T", title="End of the window"))
    band = base.mark_area(opacity=0.25, color="#4c78a8").encode(
        y=alt.Y("growth_ci_low:Q", scale=LOG, axis=growth_axis), y2="growth_ci_high:Q"
    )
    tips = [("quantity:N", "Quantity", None), ("window_start:T", "Window from", None)]
    tips += [("window_end:T", "Window to", None), *FIT_TOOLTIP[:3], ("n:Q", "Models in window", None)]
    line = base.mark_line(color="#1f4e79", strokeWidth=2, point=alt.OverlayMarkDef(size=18)).encode(
        y=alt.Y("growth_per_year:Q", scale=LOG), tooltip=tooltips(*tips)
    )
    flat = alt.Chart().mark_rule(color="#999", strokeDash=[3, 3]).encode(y=alt.datum(1))
    return facet_panels(
        alt.layer(band, line, flat, data=data),
        "quantity",
        order,
        columns=2,
        size=(440, 220),
        title=alt.Title(title, subtitle=subtitle),
    ).resolve_scale(y="independent")


def step_records(
    chart: alt.Chart, *, x: alt.X | str, y: alt.Y | str, tooltip: Sequence[tuple[str, str, str | None]], **mark: object
) -> alt.Chart:
    """The best value to date as a step line (each step a new record), e.g. a benchmark's best score."""
    style = {"strokeWidth": 2} | mark
    return chart.mark_line(interpolate="step-after", **style).encode(x=x, y=y, tooltip=tooltips(*tooltip))


def facet_panels(
    layer: alt.LayerChart,
    field: str,
    order: list[str],
    *,
    columns: int,
    size: tuple[int, int],
    title: alt.Title,
    independent_x: bool = False,
) -> alt.FacetChart:
    """Small multiples of `layer`, one panel per value of `field` in `order`."""
    chart = (
        layer.properties(width=size[0], height=size[1])
        .facet(
            facet=alt.Facet(f"{field}:N", title=None, sort=order, header=alt.Header(labelFontWeight="bold")),
            columns=columns,
            spacing={"row": 18, "column": 14},
        )
        .properties(title=title)
    )
    return chart.resolve_axis(x="independent").resolve_scale(x="independent") if independent_x else chart


def category_lines(
    data: pl.DataFrame,
    *,
    x: alt.X | str,
    y: alt.Y | str,
    category: str,
    order: list[str],
    tooltip: Sequence[tuple[str, str, str | None]],
    title: alt.Title,
) -> alt.Chart:
    """One line with points per category over time (e.g. OWID's cumulative count of models per domain)."""
    color = alt.Color(f"{category}:N", title=None, sort=order, legend=alt.Legend(**LEGEND))
    return (
        alt.Chart(data)
        .mark_line(point=True, strokeWidth=2)
        .encode(x=x, y=y, color=color, tooltip=tooltips(*tooltip))
        .properties(title=title)
    )


def dropdown(name: str, ids: Sequence[str], labels: Sequence[str], title: str) -> alt.Parameter:
    """A drop-down parameter over `ids` (shown as `labels`), defaulting to the first: charts filter on it, and the
    static exports show that first choice."""
    bind = alt.binding_select(options=list(ids), labels=list(labels), name=title)
    return alt.param(name=name, value=ids[0], bind=bind)


def benchmark_dropdown(choices: pl.DataFrame) -> alt.Parameter:
    """A drop-down of benchmarks (ids as values, display names with their model counts `n` as labels), defaulting
    to the first."""
    labels = [f"{name} ({n} models)" for name, n in zip(choices["benchmark_name"], choices["n"], strict=True)]
    return dropdown("benchmark", choices["benchmark"].to_list(), labels, "Benchmark ")


def selected_lines(
    data: pl.DataFrame,
    *,
    param: alt.Parameter,
    field: str,
    x: alt.X,
    y: alt.Y,
    category: str,
    tooltip: Sequence[tuple[str, str, str | None]],
    legend_title: str,
) -> alt.Chart:
    """One line with points per `category` (e.g. a model across its settings), drawn in x order, for the rows whose
    `field` is the drop-down's current choice; the legend lists only the categories shown."""
    legend = alt.Legend(orient="right", symbolLimit=40)
    color = alt.Color(f"{category}:N", title=legend_title, legend=legend, scale=alt.Scale(scheme="category20"))
    return (
        alt.Chart(data)
        .transform_filter(alt.datum[field] == param)
        .mark_line(point=alt.OverlayMarkDef(size=45, filled=True), strokeWidth=2)
        .encode(x=x, y=y, color=color, detail=f"{category}:N", tooltip=tooltips(*tooltip))
    )
