"""`reports/compute_trends.html`: training compute, parameters, tokens and cost over time (log axes, era fits,
frontier highlighted), rolling growth rates with their CI band, tokens per parameter, breakpoints and forecasts.

Reads `marts.models`, `trends.fits`, `trends.breakpoints` and `trends.forecasts`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import altair as alt
import duckdb
import polars as pl

from pipelines.charts.common import (
    POWER_OF_TEN_LABEL,
    SI_LABEL,
    USD_LABEL,
    as_date,
    chart_frame,
    ci,
    decades,
    factor,
    fit_lines,
    has_table,
    load_snapshots,
    months,
    read,
    sig,
    usd,
    window_label,
    with_dashed_fit,
)
from pipelines.charts.page import Page, publish

NAME = "compute_trends"
TABLES = ("marts.models", "trends.fits", "trends.breakpoints", "trends.forecasts")
SUBSETS = ("notable", "frontier_epoch", "frontier_top10")
ERA_COLORS = ["#222222", "#7b3294", "#1b7837", "#b35806"]
GROWTH_TICKS = [0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000]
FRONTIER_COLORS = {
    "Frontier (Epoch's flag)": "#e45756",
    "Top 10 by compute at release": "#f58518",
    "Other notable models": "#9db4cc",
}


@dataclass(frozen=True)
class Metric:
    name: str  # trends.fits metric
    column: str  # marts.models column
    title: str  # axis title, with unit
    label: str  # short name
    axis: str  # label style: power | si | usd


METRICS = (
    Metric(
        "training_compute", "training_compute_flop", "Training compute (FLOP, log scale)", "Training compute", "power"
    ),
    Metric("parameters", "parameters", "Parameters (log scale)", "Parameters", "si"),
    Metric(
        "training_tokens",
        "training_dataset_size_datapoints",
        "Training dataset size (datapoints ≈ tokens for language, log scale)",
        "Training tokens",
        "si",
    ),
    Metric("training_cost", "training_cost_usd_2023", "Training cost (2023 USD, log scale)", "Training cost", "usd"),
)
LABEL_EXPRESSIONS = {"power": POWER_OF_TEN_LABEL, "si": SI_LABEL, "usd": USD_LABEL}


def model_points(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    frame = read(
        con,
        """
        select model_name, organization, domain, publication_date, is_frontier_epoch, is_frontier_top10,
               training_compute_flop, parameters, training_dataset_size_datapoints, training_cost_usd_2023,
               tokens_per_parameter
        from marts.models
        where in_notable_models and publication_date is not null
        order by publication_date
        """,
    )
    return frame.with_columns(
        pl.when(pl.col("is_frontier_epoch"))
        .then(pl.lit("Frontier (Epoch's flag)"))
        .when(pl.col("is_frontier_top10"))
        .then(pl.lit("Top 10 by compute at release"))
        .otherwise(pl.lit("Other notable models"))
        .alias("frontier")
    )


def era_name(row: dict[str, object]) -> str:
    return f"{as_date(row['window_start'])[:4]}–{as_date(row['window_end'])[:4]}"


def metric_chart(metric: Metric, points: pl.DataFrame, eras: pl.DataFrame) -> tuple[alt.LayerChart, pl.DataFrame]:
    """Log-axis scatter of one quantity by publication date, frontier in colour, era fits as labelled lines."""
    data = chart_frame(
        points.filter(pl.col(metric.column).is_not_null() & (pl.col(metric.column) > 0)).select(
            "model_name", "organization", "domain", "publication_date", "frontier", pl.col(metric.column).alias("value")
        )
    )
    values = data["value"]
    axis = alt.Axis(
        title=metric.title,
        values=decades(values.min(), values.max(), 2 if values.max() / values.min() > 1e12 else 1),
        labelExpr=LABEL_EXPRESSIONS[metric.axis],
    )
    value_format = "$,.3~s" if metric.axis == "usd" else ".3~e" if metric.axis == "power" else ",.3~s"
    scatter = (
        alt.Chart(data)
        .mark_circle(size=26, opacity=0.65)
        .encode(
            x=alt.X("publication_date:T", title="Publication date"),
            y=alt.Y("value:Q", scale=alt.Scale(type="log"), axis=axis),
            color=alt.Color(
                "frontier:N",
                title=None,
                scale=alt.Scale(domain=list(FRONTIER_COLORS), range=list(FRONTIER_COLORS.values())),
                legend=alt.Legend(orient="top-left", fillColor="white", padding=6),
            ),
            order=alt.Order("frontier:N", sort="descending"),
            tooltip=[
                alt.Tooltip("model_name:N", title="Model"),
                alt.Tooltip("organization:N", title="Organization"),
                alt.Tooltip("publication_date:T", title="Published"),
                alt.Tooltip("value:Q", title=metric.label, format=value_format),
                alt.Tooltip("domain:N", title="Domain"),
                alt.Tooltip("frontier:N", title="Set"),
            ],
        )
    )
    layers: list[alt.Chart] = [scatter]
    if eras.height:
        named = eras.with_columns(pl.struct(eras.columns).map_elements(era_name, return_dtype=pl.String).alias("era"))
        lines = fit_lines(named, "era")
        if lines.height:
            lines = lines.with_columns(
                (
                    pl.col("era")
                    + pl.lit(": ")
                    + pl.col("growth_per_year").map_elements(factor, return_dtype=pl.String)
                    + pl.lit(" per year")
                ).alias("era_fit")
            )
            layers.append(
                alt.Chart(lines)
                .mark_line(strokeWidth=2.5)
                .encode(
                    x="date:T",
                    y=alt.Y("fitted:Q", scale=alt.Scale(type="log")),
                    color=alt.Color(
                        "era_fit:N",
                        title="Era fits (notable models)",
                        scale=alt.Scale(range=ERA_COLORS),
                        legend=alt.Legend(orient="top-left", fillColor="white", padding=6, symbolStrokeWidth=3),
                    ),
                    tooltip=[
                        alt.Tooltip("era:N", title="Era fit (notable models)"),
                        alt.Tooltip("growth_per_year:Q", title="Growth per year", format=".2f"),
                        alt.Tooltip("growth_ci_low:Q", title="90% CI low", format=".2f"),
                        alt.Tooltip("growth_ci_high:Q", title="90% CI high", format=".2f"),
                        alt.Tooltip("n:Q", title="n"),
                    ],
                )
            )
    chart = (
        alt.layer(*layers)
        .resolve_scale(color="independent")
        .properties(
            width=960,
            height=330,
            title=alt.Title(
                f"{metric.label} of notable models",
                subtitle="Lines: log-linear fits per era (trends.fits, notable models); growth per year in the legend",
            ),
        )
    )
    return chart, data


def rolling_chart(rolling: pl.DataFrame) -> alt.FacetChart:
    """Growth per year in rolling windows (x: window end), with the 90% CI as a band, one panel per quantity."""
    labels = {m.name: m.label for m in METRICS}
    data = chart_frame(
        rolling.select(
            pl.col("metric").replace_strict(labels, default=pl.col("metric")).alias("quantity"),
            "subset",
            "window_start",
            "window_end",
            "n",
            "growth_per_year",
            "growth_ci_low",
            "growth_ci_high",
        )
    )
    base = alt.Chart().encode(x=alt.X("window_end:T", title="End of the 4-year window"))
    band = base.mark_area(opacity=0.25, color="#4c78a8").encode(
        y=alt.Y(
            "growth_ci_low:Q",
            scale=alt.Scale(type="log"),
            axis=alt.Axis(
                title="Growth per year (×, log scale)", values=GROWTH_TICKS, labelExpr="format(datum.value, '~g') + '×'"
            ),
        ),
        y2="growth_ci_high:Q",
    )
    line = base.mark_line(color="#1f4e79", strokeWidth=2, point=alt.OverlayMarkDef(size=18)).encode(
        y=alt.Y("growth_per_year:Q", scale=alt.Scale(type="log")),
        tooltip=[
            alt.Tooltip("quantity:N", title="Quantity"),
            alt.Tooltip("window_start:T", title="Window from"),
            alt.Tooltip("window_end:T", title="Window to"),
            alt.Tooltip("growth_per_year:Q", title="Growth per year", format=".2f"),
            alt.Tooltip("growth_ci_low:Q", title="90% CI low", format=".2f"),
            alt.Tooltip("growth_ci_high:Q", title="90% CI high", format=".2f"),
            alt.Tooltip("n:Q", title="Models in window"),
        ],
    )
    flat = alt.Chart().mark_rule(color="#999", strokeDash=[3, 3]).encode(y=alt.datum(1))
    return (
        alt.layer(band, line, flat, data=data)
        .properties(width=440, height=220)
        .facet(facet=alt.Facet("quantity:N", title=None, sort=[m.label for m in METRICS]), columns=2)
        .resolve_scale(y="independent")
        .properties(
            title=alt.Title(
                "Growth per year in rolling windows, notable models",
                subtitle="Line: fitted growth per year in each window; band: 90% bootstrap CI; dashed: no growth",
            )
        )
    )


def fits_table(fits: pl.DataFrame) -> tuple[list[str], list[list[object]]]:
    labels = {m.name: m.label for m in METRICS} | {"tokens_per_parameter": "Tokens per parameter"}
    rows = []
    for r in fits.sort(["metric", "subset", "window_kind", "window_start"]).iter_rows(named=True):
        ok = r["status"] == "ok"
        falling = ok and r["slope_oom_per_year"] is not None and r["slope_oom_per_year"] < 0
        rows.append(
            [
                labels.get(r["metric"], r["metric"]),
                r["subset"],
                r["window_kind"],
                window_label(r["window_start"], r["window_end"]),
                r["n"],
                factor(r["growth_per_year"]) if ok else "",
                ci(r["growth_ci_low"], r["growth_ci_high"], factor) if ok else "",
                (f"{'halves' if falling else 'doubles'} in {months(r['doubling_months'])}") if ok else "",
                f"{r['r2']:.2f}" if ok and r["r2"] is not None else "",
                r["status"],
            ]
        )
    header = [
        "Quantity",
        "Subset",
        "Window kind",
        "Window",
        "n",
        "Growth/yr",
        "90% CI",
        "Doubling (months)",
        "R²",
        "Status",
    ]
    return header, rows


def tokens_per_parameter_chart(points: pl.DataFrame, fit: pl.DataFrame) -> tuple[alt.LayerChart, pl.DataFrame]:
    data = chart_frame(
        points.filter(pl.col("tokens_per_parameter").is_not_null() & (pl.col("tokens_per_parameter") > 0)).select(
            "model_name", "organization", "domain", "publication_date", "frontier", "tokens_per_parameter"
        )
    )
    values = data["tokens_per_parameter"]
    scatter = (
        alt.Chart(data)
        .mark_circle(size=26, opacity=0.65)
        .encode(
            x=alt.X("publication_date:T", title="Publication date"),
            y=alt.Y(
                "tokens_per_parameter:Q",
                scale=alt.Scale(type="log"),
                axis=alt.Axis(
                    title="Training datapoints per parameter (log scale)",
                    values=decades(values.min(), values.max(), 2) if values.len() else None,
                    labelExpr=POWER_OF_TEN_LABEL,
                ),
            ),
            color=alt.Color(
                "frontier:N",
                title=None,
                scale=alt.Scale(domain=list(FRONTIER_COLORS), range=list(FRONTIER_COLORS.values())),
                legend=alt.Legend(orient="top-left", fillColor="white", padding=6),
            ),
            tooltip=[
                alt.Tooltip("model_name:N", title="Model"),
                alt.Tooltip("organization:N", title="Organization"),
                alt.Tooltip("publication_date:T", title="Published"),
                alt.Tooltip("tokens_per_parameter:Q", title="Datapoints per parameter", format=",.3~r"),
            ],
        )
    )
    chart = with_dashed_fit(scatter, fit).properties(
        width=960,
        height=300,
        title=alt.Title(
            "Tokens per parameter of notable models",
            subtitle="Chinchilla-optimal training is about 20 tokens per parameter; dashed: log-linear fit",
        ),
    )
    return chart, data


BREAKPOINT_HEADER = [
    "Quantity",
    "Subset",
    "Kind",
    "n",
    "Break (90% CI)",
    "Growth/yr before (90% CI)",
    "Growth/yr after (90% CI)",
    "ΔBIC vs one line",
    "Status",
]


def breakpoint_rows(frame: pl.DataFrame) -> list[list[object]]:
    labels = {m.name: m.label for m in METRICS}
    rows = []
    for r in frame.iter_rows(named=True):
        ok = r.get("status") == "ok"

        def rate(stem: str, row: dict[str, object] = r) -> str:
            value = row.get(f"growth_{stem}_per_year")
            return (
                f"{factor(value)} ({ci(row.get(f'growth_{stem}_ci_low'), row.get(f'growth_{stem}_ci_high'), factor)})"
            )

        rows.append(
            [
                labels.get(r["metric"], r["metric"]),
                r["subset"],
                r.get("kind", ""),
                r.get("n"),
                f"{as_date(r.get('break_date'))[:7]} ({as_date(r.get('break_date_ci_low'))[:7]} to "
                f"{as_date(r.get('break_date_ci_high'))[:7]})"
                if ok
                else "",
                rate("before") if ok else "",
                rate("after") if ok else "",
                f"{r['delta_bic_vs_single_line']:.0f}" if ok and r.get("delta_bic_vs_single_line") is not None else "",
                r.get("status"),
            ]
        )
    return rows


FORECAST_HEADER = ["Target", "Extrapolated date", "Prediction interval", "Trend used", "Growth/yr", "Largest so far"]


def forecast_rows(frame: pl.DataFrame) -> list[list[object]]:
    rows = []
    for r in frame.iter_rows(named=True):
        ok = r.get("status") in (None, "ok") and r.get("predicted_date") is not None
        level = r.get("pi_level")
        interval = (
            f"{as_date(r.get('pi_low_date'))[:7]} to {as_date(r.get('pi_high_date'))[:7]}"
            + (f" ({level:.0%})" if isinstance(level, float) else "")
            if ok
            else ""
        )
        basis = ", ".join(
            str(v)
            for v in (
                r.get("basis_subset"),
                window_label(r.get("basis_window_start"), r.get("basis_window_end"))
                if r.get("basis_window_start")
                else None,
                f"n = {r['n']}" if r.get("n") is not None else None,
            )
            if v
        )
        largest = r.get("largest_so_far")
        amount = usd(largest) if r.get("target_metric") == "training_cost" else f"{sig(largest)} FLOP"
        largest_text = (
            f"{r.get('largest_so_far_model') or ''} ({amount}, {as_date(r.get('largest_so_far_date'))[:7]})"
            if largest is not None
            else ""
        )
        rows.append(
            [
                r.get("target_label") or r.get("target_metric"),
                as_date(r["predicted_date"])[:7] if ok else str(r.get("status") or ""),
                interval,
                basis or str(r.get("basis") or ""),
                factor(r.get("growth_per_year")) if r.get("growth_per_year") is not None else "",
                largest_text,
            ]
        )
    return rows


def build_compute_trends(con: duckdb.DuckDBPyConnection, reports_dir: Path, built_at: datetime | None = None) -> Path:
    built_at = built_at or datetime.now(UTC)
    page = Page(
        name=NAME,
        title="Compute, parameters, tokens and cost over time",
        intro=(
            "The inputs to AI training, per notable model, on log axes: a straight line is constant growth per "
            "year. Lines are era fits from trends.fits; frontier models are highlighted. Hover over a point "
            "for the model, organization, date and value."
        ),
    )
    points = model_points(con)
    fits = read(con, "select * from trends.fits") if has_table(con, "trends.fits") else None
    if fits is None:
        page.missing("trends.fits", "no fitted lines, rolling rates or fit table")
    for metric in METRICS:
        page.heading(metric.label, ident=metric.name)
        eras = (
            fits.filter(
                (pl.col("metric") == metric.name) & (pl.col("subset") == "notable") & (pl.col("window_kind") == "era")
            )
            if fits is not None
            else pl.DataFrame()
        )
        if fits is not None and eras.is_empty():
            eras = fits.filter(
                (pl.col("metric") == metric.name) & (pl.col("subset") == "notable") & (pl.col("window_kind") == "full")
            )
        chart, data = metric_chart(metric, points, eras)
        page.chart(metric.name, chart, data, f"{data.height:,} notable models with a value.")
        if fits is not None:
            summary = []
            for subset in SUBSETS:
                row = fits.filter(
                    (pl.col("metric") == metric.name) & (pl.col("subset") == subset) & (pl.col("window_kind") == "full")
                )
                if row.height:
                    r = row.row(0, named=True)
                    if r["status"] == "ok":
                        summary.append(
                            f"{subset.replace('_', ' ')}: {factor(r['growth_per_year'])}/yr "
                            f"(90% CI {ci(r['growth_ci_low'], r['growth_ci_high'], factor)}, n = {r['n']:,}, "
                            f"{window_label(r['window_start'], r['window_end'])})"
                        )
                    else:
                        summary.append(f"{subset.replace('_', ' ')}: {r['status']}")
            if summary:
                page.paragraph("Full-window fits — " + "; ".join(summary) + ".", css="meta")

    page.heading("Is growth speeding up? Rolling growth rates", ident="rolling")
    rolling = (
        fits.filter(
            (pl.col("window_kind") == "rolling")
            & (pl.col("subset") == "notable")
            & pl.col("metric").is_in([m.name for m in METRICS])
            & (pl.col("status") == "ok")
        )
        if fits is not None
        else None
    )
    if rolling is None:
        page.missing("trends.fits", "rolling windows")
    elif rolling.is_empty():
        page.missing("trends.fits rows with window_kind = 'rolling'")
    else:
        page.chart(
            "rolling_growth",
            rolling_chart(rolling),
            rolling,
            "Each point is a fit over a 4-year window of notable models; a rising line means growth is "
            "accelerating. Windows with too few models are left out.",
        )

    page.heading("Tokens per parameter", ident="tokens_per_parameter")
    tpp_fit = (
        fits.filter(
            (pl.col("metric") == "tokens_per_parameter")
            & (pl.col("subset") == "notable")
            & (pl.col("window_kind") == "full")
        )
        if fits is not None
        else pl.DataFrame()
    )
    chart, data = tokens_per_parameter_chart(points, tpp_fit)
    page.chart("tokens_per_parameter", chart, data, f"{data.height:,} notable models with both counts.")

    page.heading("Breakpoints", ident="breakpoints")
    if has_table(con, "trends.breakpoints"):
        breakpoints = read(con, "select * from trends.breakpoints")
        page.paragraph(
            "One fitted breakpoint per series: the date where growth per year changes most, with the rates "
            "before and after ('continuous': the two lines meet; 'discontinuous': a jump is allowed). A ΔBIC "
            "below about −10 means two lines describe the data clearly better than one."
        )
        page.table(
            BREAKPOINT_HEADER,
            breakpoint_rows(breakpoints),
            ident="breakpoints-table",
            numeric={3, 5, 6, 7},
        )
    else:
        page.missing("trends.breakpoints")

    page.heading("Extrapolations", ident="forecasts")
    if has_table(con, "trends.forecasts"):
        forecasts = read(con, "select * from trends.forecasts")
        page.paragraph(
            "Extrapolations of the fitted trends, not predictions: the date at which the largest training run "
            "would reach each threshold if the fitted growth simply continued, with prediction intervals."
        )
        page.table(FORECAST_HEADER, forecast_rows(forecasts), ident="forecasts-table", numeric={4})
    else:
        page.missing("trends.forecasts")

    page.heading("Every fit", ident="fits")
    if fits is not None:
        shown = fits.filter(pl.col("window_kind") != "rolling")
        header, rows = fits_table(shown)
        page.table(
            header,
            rows,
            ident="fits-table",
            numeric={4, 5, 6, 7, 8},
            collapsed=f"Show all {len(rows)} full-window and era fits (rolling windows are in the CSV)",
        )
        page.download("all_fits", fits, "All rows of trends.fits, rolling windows included")
    else:
        page.missing("trends.fits")
    return publish(page, reports_dir, built_at=built_at, snapshots=load_snapshots(con))
