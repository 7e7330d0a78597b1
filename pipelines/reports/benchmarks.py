"""`reports/benchmarks.html`: score against training compute and against training cost for every benchmark with
enough data (with the fitted logistic curves), and the record score (best to date) over time.
"""

from __future__ import annotations

import altair as alt
import polars as pl

from pipelines.reports.builders import LOG, facet_panels, finite, log_axis, step_records, tooltips
from pipelines.reports.common import sig, years
from pipelines.reports.context import PageContext, compose
from pipelines.reports.page import Page
from pipelines.reports.per_dollar_vs_per_year import (
    IMPUTED,
    OBSERVED,
    fit_curves,
    progress_lines,
    running_best,
    score_points,
    status_cell,
    version_points,
)
from pipelines.trends.status import Status, status_text

MIN_MODELS = 8  # panels for benchmarks with fewer scored models than this would be a handful of dots
COLUMNS = 4
SCORE_Y = alt.Y("score:Q", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%", title="Score (% correct)"))
MODEL_TOOLTIP = [
    ("benchmark_name:N", "Benchmark", None),
    ("model_name:N", "Model", None),
    ("organization:N", "Organization", None),
    ("date:T", "Released", None),
    ("score:Q", "Score", ".1%"),
    ("compute_flop:Q", "Training compute (FLOP)", ".2~e"),
    ("cost_usd:Q", "Training cost (2023 USD)", "$,.3~s"),
    ("cost_basis:N", "Cost", None),
]
INTRO = (
    "Every Benchmarking Hub benchmark scored as a fraction, with enough models matched to Epoch's model "
    f"data (at least {MIN_MODELS}): best score per model against training compute and against training "
    "cost (log axes), the fitted logistic curves from trends.benchmark_scaling, and the best score to "
    "date over time."
)


def kind(name: str) -> alt.Chart:
    """A layer of a combined frame: the rows whose `kind` is `name`."""
    return alt.Chart().transform_filter(alt.datum.kind == name)


def small_multiples(
    points: pl.DataFrame, curves: pl.DataFrame, column: str, axis: alt.Axis, title: alt.Title, order: list[str]
) -> tuple[alt.FacetChart, pl.DataFrame]:
    """Score vs a log-scaled resource, one panel per benchmark, with the fitted curve where there is one."""
    names = points.select("benchmark", "benchmark_name").unique()
    dots = points.filter(pl.col(column).is_not_null()).with_columns(pl.lit("model").alias("kind"))
    line = curves.join(names, on="benchmark", how="inner").with_columns(pl.lit("fit").alias("kind"))
    data = pl.concat([dots, line.rename({"fitted_score": "score"})], how="diagonal_relaxed")
    x = alt.X(f"{column}:Q", scale=LOG, axis=axis)
    models = (
        kind("model")
        .mark_circle(size=22, opacity=0.6, color="#4c78a8")
        .encode(x=x, y=SCORE_Y, tooltip=tooltips(*MODEL_TOOLTIP))
    )
    fit = kind("fit").mark_line(color="#d62728", strokeWidth=2).encode(x=x, y=SCORE_Y, detail="benchmark_name:N")
    layer = alt.layer(models, fit, data=data.with_columns(pl.col("date").cast(pl.String)))
    chart = facet_panels(layer, "benchmark_name", order, columns=COLUMNS, size=(215, 150), title=title)
    return chart.resolve_axis(x="independent"), data


def records_chart(data: pl.DataFrame, order: list[str]) -> alt.FacetChart:
    """Best score per model version over time (grey), the record-setting steps (green) and the fitted line (red),
    one panel per benchmark; `data` tells them apart by `kind`."""
    x = alt.X("date:T", title="Release date", axis=alt.Axis(format="%b %Y", tickCount=3, labelOverlap="greedy"))
    tips = [("model_version:N", "Model version", None), ("date:T", "Released", None), ("score:Q", "Best score", ".1%")]
    versions = (
        kind("version").mark_circle(size=14, opacity=0.35, color="#888").encode(x=x, y=SCORE_Y, tooltip=tooltips(*tips))
    )
    best = [("model_name:N", "New best", None), ("date:T", "On", None), ("score:Q", "Best to date", ".1%")]
    step = step_records(kind("record"), x=x, y=SCORE_Y, tooltip=best, color="#2ca02c")
    fit = kind("fit").mark_line(color="#d62728", strokeWidth=1.5, strokeDash=[5, 3]).encode(x=x, y=SCORE_Y)
    title = alt.Title(
        "Records over time: best score to date",
        subtitle="Grey: best score of each model version; green: best so far; red dashed: linear fit "
        "(trends.benchmark_progress)",
    )
    layer = alt.layer(versions, step, fit, data=data.with_columns(pl.col("date").cast(pl.String)))
    return facet_panels(
        layer, "benchmark_name", order, columns=COLUMNS, size=(215, 140), title=title, independent_x=True
    )


def records_frame(versions: pl.DataFrame, progress: pl.DataFrame | None) -> pl.DataFrame:
    """Versions, record-setting versions and fitted lines in one frame, told apart by `kind`."""
    names = versions.select("benchmark", "benchmark_name").unique("benchmark")
    records = running_best(versions).rename({"best_to_date": "score"})
    lines = progress_lines(progress if progress is not None else pl.DataFrame(), versions)
    parts = [
        versions.with_columns(pl.lit("version").alias("kind")),
        records.with_columns(pl.lit("record").alias("kind")),
        lines.rename({"fitted_score": "score"}).with_columns(pl.lit("fit").alias("kind")),
    ]
    frame = pl.concat([p for p in parts if p.height], how="diagonal_relaxed").drop("benchmark_name", strict=False)
    return frame.join(names, on="benchmark", how="left").select(
        "kind", "benchmark", "benchmark_name", "model_name", "model_version", "date", "score"
    )


SCALING_HEADER = ["Benchmark", "Against", "Models", "Points per 10× at median", "× to halve error", "90% CI"]
SCALING_HEADER += ["Floor–ceiling", "Status"]


def scaling_rows(scaling: pl.DataFrame) -> list[list[object]]:
    rows = []
    for r in scaling.sort(["benchmark", "x"]).iter_rows(named=True):
        ok = r.get("status") == Status.OK
        multiplier = r.get("multiplier_to_halve_error")
        low, high = r.get("multiplier_to_halve_error_ci_low"), r.get("multiplier_to_halve_error_ci_high")
        gain, floor, ceiling = r.get("points_per_10x_at_median"), r.get("floor"), r.get("ceiling")
        against = "training compute" if r["x"] == "compute" else f"training cost ({r.get('cost_basis') or 'observed'})"
        rows.append(
            [
                r.get("benchmark_name") or r["benchmark"],
                against,
                r.get("n_models"),
                f"{gain:.1f}" if ok and finite(gain) else "",
                f"×{sig(multiplier)}" if ok and finite(multiplier) else "",
                f"×{sig(low)}–×{sig(high)}" if ok and finite(low) and finite(high) else "",
                f"{floor:.0%}–{ceiling:.0%}" if ok and finite(floor) and finite(ceiling) else "",
                status_text(r.get("status"), r.get("status_reason")),
            ]
        )
    return rows


PROGRESS_HEADER = ["Benchmark", "Model versions", "Record-setting points", "Points per year", "90% CI"]
PROGRESS_HEADER += ["Years to halve error", "90% CI", "Status"]


def progress_rows(progress: pl.DataFrame) -> list[list[object]]:
    rows = []
    ordered = progress.with_columns((pl.col("status") != Status.OK).alias("_incomplete")).sort(
        ["_incomplete", "n_models"], descending=[False, True]
    )
    for r in ordered.iter_rows(named=True):
        ok = r.get("status") == Status.OK

        def pair(stem: str, fmt, row: dict[str, object] = r, ok: bool = ok) -> str:
            low, high = row.get(f"{stem}_ci_low"), row.get(f"{stem}_ci_high")
            return f"{fmt(low)}–{fmt(high)}" if ok and finite(low) and finite(high) else ""

        rate, halving = r.get("points_per_year"), r.get("years_to_halve_error")
        rows.append(
            [
                r.get("benchmark_name") or r["benchmark"],
                r.get("n_models"),
                r.get("n_record_points"),
                f"{rate:.1f}" if ok and finite(rate) else "",
                pair("points_per_year", lambda v: f"{v:.1f}"),
                years(halving) if ok and finite(halving) else "",
                pair("years_to_halve_error", years),
                status_cell(str(r.get("status")), r.get("status_reason"), r.get("note")),
            ]
        )
    return rows


def benchmark_points(ctx: PageContext) -> tuple[pl.DataFrame, list[str]]:
    """Best score per model on benchmarks with at least MIN_MODELS models with a compute estimate, and the panel
    order (most such models first)."""
    points = score_points(ctx)
    counts = points.group_by("benchmark", "benchmark_name").agg(pl.col("compute_flop").is_not_null().sum().alias("nc"))
    keep = counts.filter(pl.col("nc") >= MIN_MODELS).sort(["nc", "benchmark"], descending=[True, False])
    return points.filter(pl.col("benchmark").is_in(keep["benchmark"].to_list())), keep["benchmark_name"].to_list()


def scaling_section(ctx: PageContext, page: Page) -> None:
    """Score against compute and against cost, with the fitted curves, and the table of fits."""
    points, order = benchmark_points(ctx)
    scaling = ctx.table("trends.benchmark_scaling")
    fitted = scaling if scaling is not None else pl.DataFrame()
    page.heading("Score vs training compute", ident="compute")
    if scaling is None:
        page.missing("trends.benchmark_scaling", "no fitted curves")
    axis = log_axis(points["compute_flop"], "Training compute (FLOP, log)", step=2)
    title = alt.Title(
        "Score vs training compute",
        subtitle="Blue: best score of each model; red: logistic fit with floor and ceiling (trends.benchmark_scaling)",
    )
    curves = fit_curves(fitted, points, "compute", "compute_flop")
    chart, data = small_multiples(points, curves, "compute_flop", axis, title, order)
    page.chart("score_vs_compute", chart, data, "Panels sorted by the number of models with a compute estimate.")

    page.heading("Score vs training cost", ident="cost")
    with_cost = points.filter(pl.col("cost_usd").is_not_null())
    axis = log_axis(with_cost["cost_usd"], "Training cost (2023 USD, log)", "usd", step=2)
    title = alt.Title(
        "Score vs training cost", subtitle=f"Cost: {OBSERVED} where published, else {IMPUTED}; red: logistic fit"
    )
    costed = [n for n in order if n in set(with_cost["benchmark_name"].to_list())]
    curves = fit_curves(fitted, with_cost, "cost", "cost_usd")
    chart, data = small_multiples(with_cost, curves, "cost_usd", axis, title, costed)
    page.chart("score_vs_cost", chart, data, "Imputed costs are flagged in the CSV (cost_basis) and the tooltips.")

    page.heading("Fitted returns to scale", ident="scaling-table")
    if ctx.optional(page, "trends.benchmark_scaling") is not None:
        scaling = ctx.benchmark_names(scaling)
        page.table(
            SCALING_HEADER,
            scaling_rows(scaling),
            ident="benchmark-scaling-table",
            numeric={2, 3, 4, 5},
            collapsed=f"Show the {scaling.height} fitted curves (trends.benchmark_scaling)",
        )


def records_section(ctx: PageContext, page: Page) -> None:
    """The best score to date per benchmark, with its fitted line, and the table of progress fits."""
    page.heading("Records over time", ident="records")
    versions = version_points(ctx)
    sizes = versions.group_by("benchmark", "benchmark_name").len().filter(pl.col("len") >= MIN_MODELS)
    versions = versions.join(sizes.select("benchmark"), on="benchmark", how="semi")
    progress = ctx.table("trends.benchmark_progress")
    frame = records_frame(versions, progress)
    order = sizes.sort(["len", "benchmark"], descending=[True, False])["benchmark_name"].to_list()
    page.chart(
        "records_over_time",
        records_chart(frame, order),
        frame,
        "Every model version is counted when it appeared (versions need no compute estimate here). In the CSV, "
        "kind = 'record' marks the record-setting versions.",
    )
    if ctx.optional(page, "trends.benchmark_progress") is not None:
        rows = progress_rows(ctx.benchmark_names(progress))
        page.table(PROGRESS_HEADER, rows, ident="benchmark-progress-table", numeric={1, 2, 3, 4, 5, 6})


SECTIONS = [scaling_section, records_section]


def build(ctx: PageContext, title: str) -> Page:
    """The benchmarks page: score against compute and cost per benchmark, then the records over time."""
    return compose(ctx, title, INTRO, SECTIONS)
