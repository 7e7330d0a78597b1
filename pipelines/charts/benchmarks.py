"""`reports/benchmarks.html`: score against training compute and against training cost for every benchmark with
enough data (with the fitted logistic curves), and the frontier score over time.

Reads `tidy.scores`, `marts.models`, `trends.model_costs`, `trends.benchmark_scaling` and `trends.benchmark_progress`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import altair as alt
import duckdb
import polars as pl

from pipelines.charts.common import (
    POWER_OF_TEN_LABEL,
    USD_LABEL,
    chart_frame,
    decades,
    finite,
    has_table,
    load_snapshots,
    read,
    sig,
    years,
)
from pipelines.charts.page import Page, publish
from pipelines.charts.per_dollar_vs_per_year import (
    IMPUTED,
    OBSERVED,
    fit_curves,
    progress_lines,
    running_best,
    score_points,
    status_cell,
    version_points,
)

NAME = "benchmarks"
TABLES = ("tidy.scores", "marts.models", "trends.model_costs", "trends.benchmark_scaling", "trends.benchmark_progress")
MIN_MODELS = 8  # panels for benchmarks with fewer scored models than this would be a handful of dots
COLUMNS = 4


def small_multiples(
    points: pl.DataFrame,
    curves: pl.DataFrame,
    column: str,
    axis: alt.Axis,
    title: str,
    subtitle: str,
    order: list[str],
) -> tuple[alt.FacetChart, pl.DataFrame]:
    """Score vs a log-scaled resource, one panel per benchmark, with the fitted curve where there is one."""
    names = points.select("benchmark", "benchmark_name").unique()
    dots = points.filter(pl.col(column).is_not_null()).with_columns(pl.lit("model").alias("kind"))
    line = curves.join(names, on="benchmark", how="inner").with_columns(pl.lit("fit").alias("kind"))
    combined = pl.concat([dots, line.rename({"fitted_score": "score"})], how="diagonal_relaxed")
    data = chart_frame(combined)
    x = alt.X(f"{column}:Q", scale=alt.Scale(type="log"), axis=axis)
    y = alt.Y("score:Q", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%", title="Score (% correct)"))
    model_layer = (
        alt.Chart()
        .transform_filter(alt.datum.kind == "model")
        .mark_circle(size=22, opacity=0.6, color="#4c78a8")
        .encode(
            x=x,
            y=y,
            tooltip=[
                alt.Tooltip("benchmark_name:N", title="Benchmark"),
                alt.Tooltip("model_name:N", title="Model"),
                alt.Tooltip("organization:N", title="Organization"),
                alt.Tooltip("date:T", title="Released"),
                alt.Tooltip("score:Q", title="Score", format=".1%"),
                alt.Tooltip("compute_flop:Q", title="Training compute (FLOP)", format=".2~e"),
                alt.Tooltip("cost_usd:Q", title="Training cost (2023 USD)", format="$,.3~s"),
                alt.Tooltip("cost_basis:N", title="Cost"),
            ],
        )
    )
    fit_layer = (
        alt.Chart()
        .transform_filter(alt.datum.kind == "fit")
        .mark_line(color="#d62728", strokeWidth=2)
        .encode(x=x, y=y, detail="benchmark_name:N")
    )
    chart = (
        alt.layer(model_layer, fit_layer, data=data)
        .properties(width=215, height=150)
        .facet(
            facet=alt.Facet("benchmark_name:N", title=None, sort=order, header=alt.Header(labelFontWeight="bold")),
            columns=COLUMNS,
            spacing={"row": 18, "column": 14},
        )
        .resolve_axis(x="independent")
        .properties(title=alt.Title(title, subtitle=subtitle))
    )
    return chart, combined


def frontier_chart(data: pl.DataFrame, order: list[str]) -> alt.FacetChart:
    """Best score per model version over time (grey), the record-setting steps (green) and the fitted line (red),
    one panel per benchmark; `data` tells them apart by `kind`."""
    data = chart_frame(data)
    x = alt.X("date:T", title="Release date", axis=alt.Axis(format="%b %Y", tickCount=3, labelOverlap="greedy"))
    y = alt.Y("score:Q", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%", title="Score (% correct)"))

    def kind(name: str) -> alt.Chart:
        return alt.Chart().transform_filter(alt.datum.kind == name)

    versions = (
        kind("version")
        .mark_circle(size=14, opacity=0.35, color="#888")
        .encode(
            x=x,
            y=y,
            tooltip=[
                alt.Tooltip("model_version:N", title="Model version"),
                alt.Tooltip("date:T", title="Released"),
                alt.Tooltip("score:Q", title="Best score", format=".1%"),
            ],
        )
    )
    step = (
        kind("frontier")
        .mark_line(interpolate="step-after", color="#2ca02c", strokeWidth=2)
        .encode(
            x=x,
            y=y,
            tooltip=[
                alt.Tooltip("model_name:N", title="New best"),
                alt.Tooltip("date:T", title="On"),
                alt.Tooltip("score:Q", title="Best to date", format=".1%"),
            ],
        )
    )
    fit = kind("fit").mark_line(color="#d62728", strokeWidth=1.5, strokeDash=[5, 3]).encode(x=x, y=y)
    return (
        alt.layer(versions, step, fit, data=data)
        .properties(width=215, height=140)
        .facet(
            facet=alt.Facet("benchmark_name:N", title=None, sort=order, header=alt.Header(labelFontWeight="bold")),
            columns=COLUMNS,
            spacing={"row": 18, "column": 14},
        )
        .resolve_axis(x="independent")
        .resolve_scale(x="independent")
        .properties(
            title=alt.Title(
                "The frontier over time: best score to date",
                subtitle="Grey: best score of each model version; green: best so far; red dashed: linear fit "
                "(trends.benchmark_progress)",
            )
        )
    )


def frontier_frame(versions: pl.DataFrame, progress: pl.DataFrame | None) -> pl.DataFrame:
    names = versions.select("benchmark", "benchmark_name").unique("benchmark")
    frontier = running_best(versions).rename({"best_to_date": "score"})
    lines = progress_lines(progress if progress is not None else pl.DataFrame(), versions)
    parts = [
        versions.with_columns(pl.lit("version").alias("kind")),
        frontier.with_columns(pl.lit("frontier").alias("kind")),
        lines.rename({"fitted_score": "score"}).with_columns(pl.lit("fit").alias("kind")),
    ]
    frame = pl.concat([p for p in parts if p.height], how="diagonal_relaxed").drop("benchmark_name", strict=False)
    return frame.join(names, on="benchmark", how="left").select(
        "kind", "benchmark", "benchmark_name", "model_name", "model_version", "date", "score"
    )


def scaling_rows(scaling: pl.DataFrame) -> list[list[object]]:
    rows = []
    for r in scaling.sort(["benchmark", "x"]).iter_rows(named=True):
        ok = r.get("status") == "ok"
        multiplier = r.get("multiplier_to_halve_error")
        low, high = r.get("multiplier_to_halve_error_ci_low"), r.get("multiplier_to_halve_error_ci_high")
        rows.append(
            [
                r.get("benchmark_name") or r["benchmark"],
                "training compute" if r["x"] == "compute" else f"training cost ({r.get('cost_basis') or 'observed'})",
                r.get("n_models"),
                f"{r['points_per_10x_at_median']:.1f}" if ok and finite(r.get("points_per_10x_at_median")) else "",
                f"×{sig(multiplier)}" if ok and finite(multiplier) else "",
                f"×{sig(low)}–×{sig(high)}" if ok and finite(low) and finite(high) else "",
                f"{r['floor']:.0%}–{r['ceiling']:.0%}"
                if ok and finite(r.get("floor")) and finite(r.get("ceiling"))
                else "",
                r.get("status"),
            ]
        )
    return rows


def progress_rows(progress: pl.DataFrame) -> list[list[object]]:
    rows = []
    ordered = progress.with_columns((pl.col("status") != "ok").alias("_incomplete")).sort(
        ["_incomplete", "n_models"], descending=[False, True]
    )
    for r in ordered.iter_rows(named=True):
        ok = r.get("status") == "ok"

        def pair(stem: str, fmt, row: dict[str, object] = r) -> str:
            low, high = row.get(f"{stem}_ci_low"), row.get(f"{stem}_ci_high")
            return f"{fmt(low)}–{fmt(high)}" if finite(low) and finite(high) else ""

        rows.append(
            [
                r.get("benchmark_name") or r["benchmark"],
                r.get("n_models"),
                r.get("n_frontier_points"),
                f"{r['points_per_year']:.1f}" if ok and finite(r.get("points_per_year")) else "",
                pair("points_per_year", lambda v: f"{v:.1f}") if ok else "",
                years(r.get("years_to_halve_error")) if ok and finite(r.get("years_to_halve_error")) else "",
                pair("years_to_halve_error", years) if ok else "",
                status_cell(str(r.get("status")), r.get("note")),
            ]
        )
    return rows


def build_benchmarks(con: duckdb.DuckDBPyConnection, reports_dir: Path, built_at: datetime | None = None) -> Path:
    built_at = built_at or datetime.now(UTC)
    page = Page(
        name=NAME,
        title="Benchmarks: score against compute, cost and time",
        intro=(
            "Every Benchmarking Hub benchmark scored as a fraction, with enough models matched to Epoch's model "
            f"data (at least {MIN_MODELS}): best score per model against training compute and against training "
            "cost (log axes), the fitted logistic curves from trends.benchmark_scaling, and the best score to "
            "date over time."
        ),
    )
    points = score_points(con)
    counts = points.group_by("benchmark").agg(
        pl.len().alias("n"), pl.col("compute_flop").is_not_null().sum().alias("nc")
    )
    keep = counts.filter(pl.col("nc") >= MIN_MODELS).sort(["nc", "benchmark"], descending=[True, False])
    points = points.filter(pl.col("benchmark").is_in(keep["benchmark"].to_list()))
    order = (
        keep.join(points.select("benchmark", "benchmark_name").unique(), on="benchmark")
        .sort(["nc", "benchmark"], descending=[True, False])["benchmark_name"]
        .to_list()
    )
    scaling = (
        read(con, "select * from trends.benchmark_scaling") if has_table(con, "trends.benchmark_scaling") else None
    )
    progress = (
        read(con, "select * from trends.benchmark_progress") if has_table(con, "trends.benchmark_progress") else None
    )
    empty_curves = pl.DataFrame(schema={"benchmark": pl.String, "fitted_score": pl.Float64})

    page.heading("Score vs training compute", ident="compute")
    if scaling is None:
        page.missing("trends.benchmark_scaling", "no fitted curves")
    compute = points["compute_flop"].drop_nulls()
    chart, data = small_multiples(
        points,
        fit_curves(scaling, points, "compute", "compute_flop")
        if scaling is not None
        else empty_curves.with_columns(pl.lit(None, pl.Float64).alias("compute_flop")),
        "compute_flop",
        alt.Axis(
            title="Training compute (FLOP, log)",
            values=decades(compute.min(), compute.max(), 2),
            labelExpr=POWER_OF_TEN_LABEL,
        ),
        "Score vs training compute",
        "Blue: best score of each model; red: logistic fit with floor and ceiling (trends.benchmark_scaling)",
        order,
    )
    page.chart("score_vs_compute", chart, data, "Panels sorted by the number of models with a compute estimate.")

    page.heading("Score vs training cost", ident="cost")
    costs = points["cost_usd"].drop_nulls()
    with_cost = points.filter(pl.col("cost_usd").is_not_null())
    chart, data = small_multiples(
        with_cost,
        fit_curves(scaling, with_cost, "cost", "cost_usd")
        if scaling is not None
        else empty_curves.with_columns(pl.lit(None, pl.Float64).alias("cost_usd")),
        "cost_usd",
        alt.Axis(
            title="Training cost (2023 USD, log)",
            values=decades(costs.min(), costs.max(), 2) if costs.len() else None,
            labelExpr=USD_LABEL,
        ),
        "Score vs training cost",
        f"Cost: {OBSERVED} where published, else {IMPUTED}; red: logistic fit",
        [n for n in order if n in set(with_cost["benchmark_name"].to_list())],
    )
    page.chart("score_vs_cost", chart, data, "Imputed costs are flagged in the CSV (cost_basis) and the tooltips.")

    page.heading("Fitted returns to scale", ident="scaling-table")
    if scaling is None:
        page.missing("trends.benchmark_scaling")
    else:
        if "benchmark_name" not in scaling.columns:
            scaling = scaling.join(points.select("benchmark", "benchmark_name").unique(), on="benchmark", how="left")
        page.table(
            [
                "Benchmark",
                "Against",
                "Models",
                "Points per 10× at median",
                "× to halve error",
                "90% CI",
                "Floor–ceiling",
                "Status",
            ],
            scaling_rows(scaling),
            ident="benchmark-scaling-table",
            numeric={2, 3, 4, 5},
            collapsed=f"Show the {scaling.height} fitted curves (trends.benchmark_scaling)",
        )

    page.heading("The frontier over time", ident="frontier")
    versions = version_points(con)
    sizes = versions.group_by("benchmark", "benchmark_name").len().filter(pl.col("len") >= MIN_MODELS)
    versions = versions.join(sizes.select("benchmark"), on="benchmark", how="semi")
    frame = frontier_frame(versions, progress)
    page.chart(
        "frontier_over_time",
        frontier_chart(frame, sizes.sort(["len", "benchmark"], descending=[True, False])["benchmark_name"].to_list()),
        frame,
        "Every model version is counted when it appeared (versions need no compute estimate here). In the CSV, "
        "kind = 'frontier' marks the record-setting versions.",
    )
    if progress is None:
        page.missing("trends.benchmark_progress")
    else:
        if "benchmark_name" not in progress.columns:
            progress = progress.join(points.select("benchmark", "benchmark_name").unique(), on="benchmark", how="left")
        page.table(
            [
                "Benchmark",
                "Model versions",
                "Record-setting points",
                "Points per year",
                "90% CI",
                "Years to halve error",
                "90% CI",
                "Status",
            ],
            progress_rows(progress),
            ident="benchmark-progress-table",
            numeric={1, 2, 3, 4, 5, 6},
        )
    return publish(page, reports_dir, built_at=built_at, snapshots=load_snapshots(con))
