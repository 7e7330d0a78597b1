"""`reports/per_dollar_vs_per_year.html`, the centre of the project: ECI and METR per year, per 10x compute and per
10x dollars, the decomposition, the literature's scaling laws, the pooled inversion (sections in
`pipelines/reports/capabilities.py`), per dollar at inference and Ord's paradox (`inference`, `inference_charts`), then
for each benchmark how much more training compute, how many more dollars,
or how many years of progress it took to halve the error rate (1 - score).

The page is `SECTIONS`, in order; a new panel is one more section function.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date

import altair as alt
import numpy as np
import polars as pl

from pipelines.reports import capabilities, inference, inference_charts
from pipelines.reports.builders import benchmark_dropdown, decades, finite, log_axis, step_records, tooltips
from pipelines.reports.capabilities import grey
from pipelines.reports.common import sig, years
from pipelines.reports.context import PageContext, compose
from pipelines.reports.page import Cell, Page
from pipelines.trends.fits import decimal_year
from pipelines.trends.status import Status, status_text

OBSERVED, IMPUTED = "observed (Epoch)", "imputed (compute × cost-per-FLOP trend)"  # as in BEST_SCORES
INTRO = (
    "How fast AI capabilities grow per year, and per unit of training compute and dollars: first on the two "
    "indices that do not saturate (Epoch's Capabilities Index and METR's time horizon), then on benchmark "
    "scores, pooled and one by one: how much more compute, how many more dollars, or how many years of "
    "record-setting progress it took to halve the error rate (100% minus the score). Numbers are read from "
    "trends.capability_trends, trends.capability_decomposition, trends.per_dollar_vs_per_year, "
    "marts.scaling_laws and the fits behind them."
)


# -- data ---------------------------------------------------------------------------------------------------------


BEST_SCORES = """
with best as (
    select benchmark, any_value(benchmark_name) as benchmark_name, model_key,
           max(trend_score) as score,
           arg_max(model_version, (trend_score, model_version)) as model_version,  -- ties: one version, always
           min(release_date) as release_date
    from marts.benchmark_scores
    where unit = 'fraction' and trend_score is not null and model_key is not null
    group by benchmark, model_key
)
select b.benchmark, b.benchmark_name, m.model_name, m.organization, b.model_version,
       coalesce(b.release_date, m.publication_date) as date, b.score,
       m.training_compute_flop as compute_flop, {cost} as cost_usd,
       case when {observed} is not null then 'observed (Epoch)'
            when {cost} is not null then 'imputed (compute × cost-per-FLOP trend)' end as cost_basis
from best b join marts.models m using (model_key) {join}
order by b.benchmark, date, b.model_key
"""
# Observed cost where Epoch publishes one, else the imputed cost of trends.model_costs when that table exists.
WITH_IMPUTED = BEST_SCORES.format(
    cost="c.cost_usd_2023", observed="c.observed_cost_usd_2023", join="left join trends.model_costs c using (model_key)"
)
OBSERVED_ONLY = BEST_SCORES.format(cost="m.training_cost_usd_2023", observed="m.training_cost_usd_2023", join="")


def score_points(ctx: PageContext) -> pl.DataFrame:
    """Best score per benchmark and model (fraction-scored benchmarks only), with date, compute and cost: the
    points `trends.benchmark_scaling` fits."""
    return ctx.read(WITH_IMPUTED if ctx.has("trends.model_costs") else OBSERVED_ONLY)


def version_points(ctx: PageContext) -> pl.DataFrame:
    """Best score per benchmark and model version (settings pooled), dated by the version's release date, else its
    model's publication date: the points `trends.benchmark_progress` takes the records from."""
    return ctx.read(
        """
        select s.benchmark, any_value(s.benchmark_name) as benchmark_name, s.base_version as model_version,
               coalesce(any_value(m.model_name), s.base_version) as model_name,
               any_value(m.organization) as organization,
               coalesce(min(s.release_date), min(m.publication_date)) as date,
               max(s.trend_score) as score
        from marts.benchmark_scores s left join marts.models m using (model_key)
        where s.unit = 'fraction' and s.trend_score is not null
        group by s.benchmark, s.base_version
        having coalesce(min(s.release_date), min(m.publication_date)) is not null
        order by s.benchmark, date, s.base_version
        """,
    )


def logistic(log_x: np.ndarray, floor: float, ceiling: float, slope: float, midpoint: float) -> np.ndarray:
    """The benchmark_scaling curve: score = floor + (ceiling - floor) / (1 + exp(-slope · (log10 x - midpoint)))."""
    return floor + (ceiling - floor) / (1.0 + np.exp(-slope * (log_x - midpoint)))


COST_BASIS = "imputed"  # the cost panels show observed cost where published, else imputed: that fit's basis


def fit_curves(scaling: pl.DataFrame, points: pl.DataFrame, x_kind: str, column: str) -> pl.DataFrame:
    """The fitted logistic of every benchmark with an 'ok' fit, over the range of its data, 60 points each.

    For cost, the fit on the 'imputed' basis (observed where published, else imputed), which is what the points show.
    """
    rows: list[dict[str, object]] = []
    needed = {"floor", "ceiling", "slope", "midpoint"}
    if not needed <= set(scaling.columns):
        return pl.DataFrame(schema={"benchmark": pl.String, column: pl.Float64, "fitted_score": pl.Float64})
    chosen = scaling.filter((pl.col("x") == x_kind) & (pl.col("status") == Status.OK))
    if x_kind == "cost" and "cost_basis" in chosen.columns and (chosen["cost_basis"] == COST_BASIS).any():
        chosen = chosen.filter(pl.col("cost_basis") == COST_BASIS)
    for fit in chosen.iter_rows(named=True):
        values = points.filter((pl.col("benchmark") == fit["benchmark"]) & pl.col(column).is_not_null())[column]
        if values.len() < 2 or not all(finite(fit[k]) for k in needed):
            continue
        grid = np.linspace(math.log10(values.min()), math.log10(values.max()), 60)
        score = logistic(grid, fit["floor"], fit["ceiling"], fit["slope"], fit["midpoint"])
        rows.extend(
            {"benchmark": fit["benchmark"], column: float(10**g), "fitted_score": float(s)}
            for g, s in zip(grid, score, strict=True)
        )
    return pl.DataFrame(rows, schema={"benchmark": pl.String, column: pl.Float64, "fitted_score": pl.Float64})


def progress_lines(progress: pl.DataFrame, points: pl.DataFrame) -> pl.DataFrame:
    """The records-over-time fit of each benchmark (score = intercept + slope · decimal year) over the span of its
    points, sampled at 40 dates and cut where it leaves 0-100%."""
    schema = {"benchmark": pl.String, "date": pl.String, "fitted_score": pl.Float64}
    if progress.is_empty() or not {"intercept", "slope"} <= set(progress.columns):
        return pl.DataFrame(schema=schema)
    parts = []
    for fit in progress.filter(pl.col("status") == Status.OK).iter_rows(named=True):
        dates = points.filter(pl.col("benchmark") == fit["benchmark"])["date"].drop_nulls()
        if dates.len() < 2 or not (finite(fit["intercept"]) and finite(fit["slope"])):
            continue
        first, last = dates.min().toordinal(), dates.max().toordinal()
        days = sorted({round(first + (last - first) * i / 39) for i in range(40)})
        grid = pl.DataFrame({"date": [date.fromordinal(d) for d in days]})
        parts.append(
            grid.select(
                pl.lit(fit["benchmark"]).alias("benchmark"),
                pl.col("date").cast(pl.String),
                (fit["intercept"] + fit["slope"] * decimal_year(pl.col("date"))).alias("fitted_score"),
            ).filter(pl.col("fitted_score").is_between(0, 1))
        )
    return pl.concat(parts) if parts else pl.DataFrame(schema=schema)


def running_best(points: pl.DataFrame) -> pl.DataFrame:
    """Each benchmark's record-setting points (each beats every earlier one; ties on a date: the best,
    then the first model by name, so the same data always names the same model)."""
    ordered = points.filter(pl.col("date").is_not_null()).sort(
        ["benchmark", "date", "score", "model_name"], descending=[False, False, True, False]
    )
    previous = pl.col("score").cum_max().shift(1).over("benchmark")
    return (
        ordered.filter(previous.is_null() | (pl.col("score") > previous))
        .rename({"score": "best_to_date"})
        .select("benchmark", "date", "best_to_date", "model_name")
    )


# -- charts -------------------------------------------------------------------------------------------------------


SCORE_Y = alt.Y(
    "score:Q",
    scale=alt.Scale(domain=[0, 1]),
    axis=alt.Axis(format="%", title="Score (% correct; error = 100% − score)"),
)
# Benchmarks span one to six years: half-year ticks, each labelled with its year.
DATE_AXIS = alt.Axis(format="%b %Y", tickCount={"interval": "month", "step": 6}, labelOverlap="greedy")
BASIS = alt.Scale(domain=[OBSERVED, IMPUTED], range=["#1f4e79", "#6baed6"])
COST_TOOLTIP = [
    ("model_name:N", "Model", None),
    ("organization:N", "Organization", None),
    ("date:T", "Published", None),
    ("score:Q", "Best score", ".1%"),
    ("cost_usd:Q", "Training cost (2023 USD)", "$,.3~s"),
    ("cost_basis:N", "Cost", None),
    ("compute_flop:Q", "Training compute (FLOP)", ".2~e"),
]


def panel_frame(
    points: pl.DataFrame,
    versions: pl.DataFrame,
    cost_curves: pl.DataFrame,
    records: pl.DataFrame,
    date_lines: pl.DataFrame,
) -> pl.DataFrame:
    """Everything the two panels draw, in one frame (so its CSV is the chart's data), told apart by `layer`:
    'model' (best score per model, with cost), 'version' (best score per model version, dated), 'record'
    (record-setting versions), 'cost_fit' and 'date_fit' (fitted curves; `score` holds the fitted value)."""
    names = versions.select("benchmark", "benchmark_name").unique("benchmark")
    parts = [
        points.filter(pl.col("cost_usd").is_not_null()).with_columns(pl.lit("model").alias("layer")),
        versions.with_columns(pl.lit("version").alias("layer")),
        records.rename({"best_to_date": "score"}).with_columns(pl.lit("record").alias("layer")),
        cost_curves.rename({"fitted_score": "score"}).with_columns(pl.lit("cost_fit").alias("layer")),
        date_lines.rename({"fitted_score": "score"}).with_columns(pl.lit("date_fit").alias("layer")),
    ]
    frame = pl.concat([part for part in parts if part.height], how="diagonal_relaxed")
    frame = frame.drop("benchmark_name", strict=False)
    columns = ["layer", "benchmark", "benchmark_name", "model_name", "model_version", "organization", "date", "score"]
    extra = [c for c in ("cost_usd", "cost_basis", "compute_flop") if c in frame.columns]
    return frame.join(names, on="benchmark", how="left").select(columns + extra)


def cost_panel(layer: Callable[[str], alt.Chart], data: pl.DataFrame) -> alt.LayerChart:
    """Best score per model against training cost (log), observed and imputed costs told apart, with the fit."""
    axis = log_axis(
        data.filter(pl.col("layer") == "model")["cost_usd"], "Training cost (2023 USD, log scale)", "usd", 1
    )
    points = (
        layer("model")
        .mark_point(size=55, filled=True, opacity=0.8)
        .encode(
            x=alt.X("cost_usd:Q", scale=alt.Scale(type="log"), axis=axis),
            y=SCORE_Y,
            shape=alt.Shape(
                "cost_basis:N", scale=alt.Scale(domain=BASIS.domain, range=["circle", "triangle-up"]), legend=None
            ),
            color=alt.Color("cost_basis:N", scale=BASIS, legend=None),
            tooltip=tooltips(*COST_TOOLTIP),
        )
    )
    fit = layer("cost_fit").mark_line(color="#d62728", strokeWidth=2.5).encode(x="cost_usd:Q", y="score:Q")
    subtitle = ["Best score per model vs training cost; red: logistic fit"]
    subtitle.append("Dark circles: Epoch's observed cost; light triangles: imputed")
    return alt.layer(points, fit).properties(width=450, height=340, title=alt.Title("Per dollar", subtitle=subtitle))


def date_panel(layer: Callable[[str], alt.Chart]) -> alt.LayerChart:
    """Best score per model version against its release date, the best score to date and its linear fit."""
    tips = [("model_version:N", "Model version", None), ("model_name:N", "Model", None)]
    tips += [("date:T", "Released", None), ("score:Q", "Best score", ".1%")]
    versions = (
        layer("version")
        .mark_point(size=40, filled=True, opacity=0.45, color="#888")
        .encode(
            x=alt.X("date:T", title="Release date of the model version", axis=DATE_AXIS),
            y=SCORE_Y,
            tooltip=tooltips(*tips),
        )
    )
    best = step_records(
        layer("record"),
        x="date:T",
        y="score:Q",
        color="#2ca02c",
        point=alt.OverlayMarkDef(size=30, color="#2ca02c"),
        tooltip=[("model_name:N", "New best", None), ("date:T", "On", None), ("score:Q", "Best score to date", ".1%")],
    )
    fit = layer("date_fit").mark_line(color="#d62728", strokeWidth=2.5, strokeDash=[6, 3])
    subtitle = ["Best score per model version vs release date", "Green: best score to date; red dashed: its linear fit"]
    return alt.layer(versions, best, fit.encode(x="date:T", y="score:Q")).properties(
        width=450, height=340, title=alt.Title("Per year", subtitle=subtitle)
    )


def panels_chart(data: pl.DataFrame, choices: pl.DataFrame) -> alt.HConcatChart:
    """Score vs training cost (log) and score vs date, same score axis, one benchmark at a time (drop-down)."""
    param = benchmark_dropdown(choices)

    def layer(name: str) -> alt.Chart:
        return alt.Chart(data).transform_filter((alt.datum.benchmark == param) & (alt.datum.layer == name))

    panels = alt.hconcat(cost_panel(layer, data), date_panel(layer), spacing=40)
    return panels.add_params(param).resolve_scale(y="shared")


HALVING_MEASURES = (
    ("Training compute multiplier", "compute_multiplier_to_halve_error"),
    ("Training cost multiplier", "dollar_multiplier_to_halve_error"),
    ("Years of record-setting progress", "years_to_halve_error"),
)


def halving_frame(table: pl.DataFrame) -> pl.DataFrame:
    """One row per (benchmark, measure) with a finite estimate; a missing CI end collapses onto the estimate."""
    parts = [
        table.select(
            "benchmark_name",
            pl.lit(label).alias("measure"),
            pl.col(stem).cast(pl.Float64).alias("value"),
            pl.col(f"{stem}_ci_low").cast(pl.Float64).alias("ci_low"),
            pl.col(f"{stem}_ci_high").cast(pl.Float64).alias("ci_high"),
            pl.col("n_models").cast(pl.Int64),
        )
        for label, stem in HALVING_MEASURES
    ]
    long = pl.concat(parts).filter(pl.col("value").is_finite())
    return long.with_columns(
        pl.when(pl.col(c).is_finite()).then(pl.col(c)).otherwise(pl.col("value")).alias(c)
        for c in ("ci_low", "ci_high")
    )


def halving_panel(frame: pl.DataFrame, order: list[str], measure: str, title: str, log: bool) -> alt.LayerChart:
    """One measure as dots with CI bars; every panel lists every benchmark in the same order, so rows line up."""
    first = measure == HALVING_MEASURES[0][0]
    y = alt.Y(
        "benchmark_name:N", scale=alt.Scale(domain=order), title=None, axis=alt.Axis(labelLimit=220) if first else None
    )
    values = frame.filter(pl.col("measure") == measure)
    scale, axis, fmt = alt.Scale(zero=True), alt.Axis(title=title), ".2f"
    if log:
        low, high = values["ci_low"].min(), values["ci_high"].max()
        span = math.log10(high / low) if finite(low) and finite(high) and low > 0 else 0
        ticks = decades(low, high, 1 if span <= 5 else 2 if span <= 10 else 3)
        scale, fmt = alt.Scale(type="log"), ",.3~r"
        axis = alt.Axis(title=title, values=ticks or None, labelExpr="'×' + format(datum.value, '~s')")
    base = alt.Chart(frame).transform_filter(alt.datum.measure == measure)
    bars = base.mark_rule(strokeWidth=2.5, color="#9ecae9").encode(
        x=alt.X("ci_low:Q", scale=scale, axis=axis), x2="ci_high:Q", y=y
    )
    tips = [
        ("benchmark_name:N", "Benchmark", None),
        ("measure:N", "Measure", None),
        ("value:Q", "Estimate", fmt),
        ("ci_low:Q", "90% CI low", fmt),
        ("ci_high:Q", "90% CI high", fmt),
        ("n_models:Q", "Models", None),
    ]
    dots = base.mark_circle(size=70, color="#1f4e79", opacity=1).encode(
        x=alt.X("value:Q", scale=scale), y=y, tooltip=tooltips(*tips)
    )
    return alt.layer(bars, dots).properties(width=240, height=max(22 * len(order), 120))


def halving_chart(table: pl.DataFrame) -> alt.HConcatChart:
    """One row per benchmark: ×compute, ×dollars (log) and years to halve the error, each with its 90% CI."""
    frame = halving_frame(table)
    order = table.sort("n_models", descending=True)["benchmark_name"].to_list()
    titles = (
        "× training compute to halve the error (log)",
        "× training dollars to halve the error (log)",
        "Years for the best score's error to halve",
    )
    panels = [
        halving_panel(frame, order, measure, title, measure != HALVING_MEASURES[2][0])
        for (measure, _), title in zip(HALVING_MEASURES, titles, strict=True)
    ]
    return alt.hconcat(*panels, spacing=28).properties(
        title=alt.Title(
            "What halving the error took", subtitle="Dot: estimate; bar: 90% CI. Benchmarks by number of models."
        )
    )


# -- the table ----------------------------------------------------------------------------------------------------


def interval(low: object, high: object, fmt, prefix: str = "") -> str:
    """'×16–×180'; an unbounded upper end (some resamples never halve the error) shows as '∞'."""
    if finite(low) and finite(high):
        return f"{prefix}{fmt(low)}–{prefix}{fmt(high)}"
    if finite(low):
        return f"{prefix}{fmt(low)}–∞"
    return "–"


def status_cell(status: str, reason: str | None, note: str | None) -> Cell:
    """The status ('ok', 'insufficient data', 'unstable'); with its reason and the note on hover. A row that is
    'not identified' shows its reason in full."""
    full = str(status_text(status, reason))
    if status == Status.NOT_IDENTIFIED:
        return Cell(full, title=note)
    detail = "; ".join(part for part in (full, note) if part)
    return Cell(status, title=detail if detail != status else None)


TABLE_HEADER = ["Benchmark", "Models", "× compute", "90% CI", "× dollars", "90% CI", "Years", "90% CI", "Cost basis"]
TABLE_HEADER.append("Status")


def table_rows(table: pl.DataFrame) -> list[list[object]]:
    """The pooled row, then complete rows (status 'ok'), then by number of models; each estimate carries its exact
    value; rows 'not identified' are greyed."""
    ordered = table.with_columns(
        (pl.col("benchmark") != "pooled").alias("_not_pooled"), (pl.col("status") != Status.OK).alias("_incomplete")
    ).sort(["_not_pooled", "_incomplete", "n_models"], descending=[False, False, True])
    rows = []
    for r in ordered.iter_rows(named=True):
        row: list[object] = [r["benchmark_name"], r["n_models"]]
        for stem, fmt, prefix in (
            ("compute_multiplier_to_halve_error", sig, "×"),
            ("dollar_multiplier_to_halve_error", sig, "×"),
            ("years_to_halve_error", years, ""),
        ):
            value = r.get(stem)
            attrs = {"data-benchmark": str(r["benchmark"]), "data-field": stem}
            attrs |= {"data-value": repr(float(value))} if finite(value) else {}
            row.append(Cell(f"{prefix}{fmt(value)}" if finite(value) else "–", attrs))
            row.append(interval(r.get(f"{stem}_ci_low"), r.get(f"{stem}_ci_high"), fmt, prefix))
        cells = [*row, r.get("cost_basis") or "", status_cell(str(r["status"]), r.get("status_reason"), r.get("note"))]
        rows.append(grey(cells) if r["status"] == Status.NOT_IDENTIFIED else cells)
    return rows


# -- sections -----------------------------------------------------------------------------------------------------


def halving_table(ctx: PageContext) -> pl.DataFrame | None:
    """trends.per_dollar_vs_per_year with benchmark names, or None while it is missing."""
    table = ctx.table("trends.per_dollar_vs_per_year")
    return None if table is None else ctx.benchmark_names(table)


def panel_choices(ctx: PageContext, points: pl.DataFrame) -> pl.DataFrame:
    """The benchmarks the drop-down offers: complete rows of the table, else ok scaling fits, else any benchmark
    with 8 costed models; only those with a costed model, most models first."""
    counts = points.group_by("benchmark").agg(
        pl.col("benchmark_name").first(), pl.len().alias("n"), pl.col("cost_usd").is_not_null().sum().alias("n_cost")
    )
    table, scaling = halving_table(ctx), ctx.table("trends.benchmark_scaling")
    if table is not None:
        choices = table.filter((pl.col("status") == Status.OK) & (pl.col("benchmark") != "pooled"))
        choices = choices.select("benchmark", pl.col("n_models").alias("n"))
        choices = choices.join(counts.drop("n"), on="benchmark")
    elif scaling is not None:
        choices = (
            scaling.filter(pl.col("status") == Status.OK).select("benchmark").unique().join(counts, on="benchmark")
        )
    else:
        choices = counts.filter(pl.col("n_cost") >= 8)
    return choices.filter(pl.col("n_cost") > 0).sort(["n", "benchmark"], descending=[True, False])


def panels_section(ctx: PageContext, page: Page) -> None:
    """Score against cost and against date, one benchmark at a time."""
    page.heading("Score per dollar and per year, one benchmark at a time")
    points = score_points(ctx)
    choices = panel_choices(ctx, points)
    if choices.is_empty():
        page.paragraph("No benchmark has enough scored models with a training cost to chart yet.")
        return
    chosen = choices["benchmark"].to_list()
    shown = points.filter(pl.col("benchmark").is_in(chosen))
    dated = version_points(ctx).filter(pl.col("benchmark").is_in(chosen))
    scaling = ctx.optional(page, "trends.benchmark_scaling", "no fitted curves on the cost panel")
    progress = ctx.optional(page, "trends.benchmark_progress", "no fitted line on the date panel")
    cost_curves = fit_curves(scaling if scaling is not None else pl.DataFrame(), shown, "cost", "cost_usd")
    date_lines = progress_lines(progress if progress is not None else pl.DataFrame(), dated)
    data = panel_frame(shown, dated, cost_curves, running_best(dated), date_lines)
    page.chart(
        "score_vs_cost_and_date",
        panels_chart(data, choices),
        data,
        "Pick a benchmark above the chart (benchmarks with a complete row in the table below). Left: best score "
        "of each model against its training cost (circles: Epoch's observed cost; triangles: imputed from "
        "compute and the cost-per-FLOP trend). Right: best score of each model version against its release "
        "date, with the best score to date. Both panels share the score axis, so a step up on the right can be "
        f"read off against the dollars it took on the left. Static exports show {choices['benchmark_name'][0]}.",
    )


def halving_section(ctx: PageContext, page: Page) -> None:
    """×N compute, ×M dollars or Y years per benchmark: the chart, the table and its CSV."""
    page.heading("Halving the error: ×N compute, ×M dollars, or Y years", ident="halving")
    if ctx.optional(page, "trends.per_dollar_vs_per_year") is None:
        return
    table = halving_table(ctx)
    complete = table.filter((pl.col("status") == Status.OK) & (pl.col("benchmark") != "pooled"))
    n_benchmarks = table.filter(pl.col("benchmark") != "pooled").height
    if complete.height:
        page.chart(
            "halving_the_error",
            halving_chart(complete),
            complete,
            "Each row is a benchmark with a complete row in the table below. Left two panels: how many times "
            "more training compute, or training dollars, the fitted score curve needs to halve the error from "
            "the median model's score. Right: years the best score to date took to halve its error.",
        )
    page.paragraph(
        f"{complete.height} of {n_benchmarks} benchmarks have both a compute multiplier and a years estimate "
        "whose intervals identify them (status ok); rows 'not identified' are greyed with the reason and enter "
        "no summary; the others say why not (hover over the status). The pooled row comes first. A ∞ upper bound "
        "means some bootstrap resamples never halve the error.",
        css="meta",
    )
    page.table(TABLE_HEADER, table_rows(table), ident="halving-table", numeric={1, 2, 3, 4, 5, 6, 7})
    page.download("per_dollar_vs_per_year", table, "The whole table with notes (trends.per_dollar_vs_per_year)")


def method_section(ctx: PageContext, page: Page) -> None:
    """How the numbers are made, in words."""
    page.heading("How these numbers are made")
    page.fragment("per_dollar_method.html.j2")


SECTIONS = [
    *capabilities.SECTIONS,
    inference.figures_section,
    inference.paradox_section,
    inference_charts.test_time_section,
    inference_charts.price_section,
    panels_section,
    halving_section,
    method_section,
]


def build(ctx: PageContext, title: str) -> Page:
    """The per-dollar-vs-per-year page: ECI and METR, the decomposition, the literature, the pooled inversion, the
    one table of per year, per 10x training and per 10x inference, the paradox in words, test-time scaling, the price
    of a fixed score, the two panels, the halving table, the method."""
    return compose(ctx, title, INTRO, SECTIONS)
