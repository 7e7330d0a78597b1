"""What every page reads from the warehouse (source snapshots, which tables exist) and how it prints numbers."""

from __future__ import annotations

import math
from datetime import date, datetime

import altair as alt
import duckdb
import polars as pl

from pipelines.charts.page import Snapshot
from pipelines.fits import decimal_year
from pipelines.sources import SOURCES_BY_NAME
from pipelines.warehouse import first_row, query_frame, table_exists


def load_snapshots(con: duckdb.DuckDBPyConnection) -> list[Snapshot]:
    """The file each raw table holds now (its sha256, when it was fetched, its row count), with the publisher's
    Last-Modified date from the fetch log. Cites what was loaded, not merely the latest download: a file the
    guards rejected is never in a raw table."""
    raw_tables = {
        r[0]
        for r in con.execute("select table_name from information_schema.tables where table_schema = 'raw'").fetchall()
    }
    has_log = table_exists(con, "ops", "fetch_log")
    snapshots = []
    for name in sorted(raw_tables):
        loaded = con.execute(
            f'select _sha256, max(_fetched_at), count(*) from raw."{name}" group by _sha256 order by 2 desc'
        ).fetchall()
        for sha256, fetched_at, rows in loaded:
            modified = (
                first_row(
                    con,
                    "select last_modified from ops.fetch_log where source = ? and sha256 = ? "
                    "and last_modified is not null order by fetched_at desc limit 1",
                    [name, sha256],
                )
                if has_log
                else None
            )
            url = SOURCES_BY_NAME[name].url if name in SOURCES_BY_NAME else ""
            snapshots.append(Snapshot(name, url, sha256 or "", fetched_at, modified[0] if modified else None, rows))
    return snapshots


def has_table(con: duckdb.DuckDBPyConnection, qualified: str) -> bool:
    schema, table = qualified.split(".", 1)
    return table_exists(con, schema, table)


def read(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> pl.DataFrame:
    return query_frame(con, sql, params)


# -- numbers in words ---------------------------------------------------------------------------------------------


def finite(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def sig(value: float | None, digits: int = 2) -> str:
    """`value` to `digits` significant figures, with thousands separators below 10 million, else as 3.2e8."""
    if not finite(value):
        return "–"
    if value == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(value)))
    if abs(value) >= 1e7:
        return f"{value:.{digits - 1}e}".replace("e+0", "e").replace("e+", "e")
    places = digits - 1 - magnitude  # negative: round to tens, hundreds, ...
    rounded = round(value, places)
    return f"{rounded:,.{max(places, 0)}f}"


def factor(value: float | None) -> str:
    """A growth factor or multiplier: '4.4×', '12×', '×' prefix left to the caller's sentence."""
    if not finite(value):
        return "–"
    return f"{sig(value, 2)}×"


def usd(value: float | None) -> str:
    """Dollars with a k/M/B suffix: '$390M', '$3.9B'."""
    if not finite(value):
        return "–"
    for size, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"${sig(value / size)}{suffix}"
    return f"${sig(value)}"


def ci(low: float | None, high: float | None, fmt=sig) -> str:
    if not (finite(low) and finite(high)):
        return "–"
    return f"{fmt(low)}–{fmt(high)}"


def months(value: float | None) -> str:
    return "–" if not finite(value) else f"{abs(value):.1f}"


def years(value: float | None) -> str:
    return "–" if not finite(value) else f"{value:.1f}"


def as_date(value: object) -> str:
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d}"
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else str(value)


def window_label(start: object, end: object) -> str:
    return f"{as_date(start)[:7]} to {as_date(end)[:7]}"


# -- chart helpers ------------------------------------------------------------------------------------------------

# Axis labels for log axes: 1e24 for FLOP; $1M, 10B, 1T for money and counts.
POWER_OF_TEN_LABEL = "'1e' + format(round(log(datum.value) / LN10), 'd')"
SI_LABEL = (
    "datum.value >= 1e12 ? format(datum.value / 1e12, '~g') + 'T' : "
    "datum.value >= 1e9 ? format(datum.value / 1e9, '~g') + 'B' : "
    "datum.value >= 1e6 ? format(datum.value / 1e6, '~g') + 'M' : "
    "datum.value >= 1e3 ? format(datum.value / 1e3, '~g') + 'k' : format(datum.value, '~g')"
)
USD_LABEL = f"'$' + ({SI_LABEL})"


def decades(low: float, high: float, step: int = 1) -> list[float]:
    """Powers of ten covering [low, high], every `step` decades, for explicit log-axis ticks."""
    if not (finite(low) and finite(high)) or low <= 0 or high <= 0:
        return []
    first, last = math.floor(math.log10(low)), math.ceil(math.log10(high))
    return [10.0**k for k in range(first, last + 1, step)]


def chart_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """Dates as ISO strings (Vega-Lite parses them; Altair's Polars path does not always), lists as text."""
    columns = []
    for name, dtype in frame.schema.items():
        if dtype in (pl.Date, pl.Datetime) or isinstance(dtype, pl.Datetime):
            columns.append(pl.col(name).cast(pl.String).alias(name))
        elif isinstance(dtype, pl.List):
            columns.append(pl.col(name).cast(pl.List(pl.String)).list.join("; ").alias(name))
        else:
            columns.append(pl.col(name))
    return frame.select(columns)


def fit_lines(fits: pl.DataFrame, label: str = "label") -> pl.DataFrame:
    """Two points per fitted row (its window's ends) on the fitted log-linear trend: `date`, `fitted`, and the
    row's `label`, `growth_per_year` and CI for tooltips. Rows that are not 'ok' are left out."""
    schema = {
        label: pl.String,
        "date": pl.String,
        "fitted": pl.Float64,
        "growth_per_year": pl.Float64,
        "growth_ci_low": pl.Float64,
        "growth_ci_high": pl.Float64,
        "n": pl.Int64,
    }
    ok = fits.filter(pl.col("status") == "ok") if "status" in fits.columns else fits
    if ok.is_empty():
        return pl.DataFrame(schema=schema)
    ends = ok.select(
        pl.col(label).cast(pl.String),
        pl.concat_list(pl.col("window_start"), pl.col("window_end")).alias("date"),
        "intercept",
        "slope_oom_per_year",
        "growth_per_year",
        "growth_ci_low",
        "growth_ci_high",
        pl.col("n").cast(pl.Int64),
    ).explode("date")
    return ends.select(
        label,
        pl.col("date").cast(pl.String),
        (10 ** (pl.col("intercept") + pl.col("slope_oom_per_year") * decimal_year(pl.col("date")))).alias("fitted"),
        "growth_per_year",
        "growth_ci_low",
        "growth_ci_high",
        "n",
    )


def growth_text(fit: dict[str, object]) -> str:
    """'4.4× per year (90% CI 4.1–4.7×, n = 467)', or the fit's status when it is not 'ok'."""
    if fit.get("status") != "ok":
        return str(fit.get("status"))
    return (
        f"{factor(fit['growth_per_year'])} per year (90% CI {ci(fit['growth_ci_low'], fit['growth_ci_high'], factor)}, "
        f"n = {fit['n']:,})"
    )


def with_dashed_fit(points: alt.Chart, fits: pl.DataFrame) -> alt.LayerChart:
    """`points` with the fitted log-linear trend of `fits` (trends.fits rows) as a dashed line over its window."""
    layers: list[alt.Chart] = [points]
    lines = fit_lines(fits.with_columns(pl.lit("fit").alias("fit")), "fit") if fits.height else None
    if lines is not None and lines.height:
        layers.append(
            alt.Chart(lines)
            .mark_line(color="#222", strokeWidth=2.5, strokeDash=[6, 3])
            .encode(x="date:T", y=alt.Y("fitted:Q", scale=alt.Scale(type="log")))
        )
    return alt.layer(*layers)
