"""`reports/per_dollar_vs_per_year.html`, the centre of the project: ECI and METR per year, per 10x compute and per
10x dollars (`pipelines/charts/capabilities.py`), then for each benchmark, pooled and one by one, how much more
training compute, how many more dollars, or how many years of progress it took to halve the error rate (1 - score).

Reads `trends.per_dollar_vs_per_year`, `trends.benchmark_scaling`, `trends.benchmark_progress`, `trends.fits` and
`trends.model_costs`, with the scores (`tidy.scores`) and models (`marts.models`) behind them.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from pathlib import Path

import altair as alt
import duckdb
import numpy as np
import polars as pl

from pipelines.charts.capabilities import capability_sections, grey, paradox_html, pooled_html, table_or_none
from pipelines.charts.common import (
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
from pipelines.charts.page import Cell, Page, publish
from pipelines.fits import decimal_year

NAME = "per_dollar_vs_per_year"
TABLES = (
    "trends.per_dollar_vs_per_year",
    "trends.benchmark_scaling",
    "trends.benchmark_progress",
    "trends.fits",
    "trends.model_costs",
    "tidy.scores",
    "marts.models",
)
OBSERVED, IMPUTED = "observed (Epoch)", "imputed (compute × cost-per-FLOP trend)"  # as in BEST_SCORES


# -- data ---------------------------------------------------------------------------------------------------------


BEST_SCORES = """
with best as (
    select benchmark, any_value(benchmark_name) as benchmark_name, model_key,
           max(score_fraction) as score,
           arg_max(model_version, score_fraction) as model_version,
           min(release_date) as release_date
    from tidy.scores
    where unit = 'fraction' and score_fraction is not null and model_key is not null
    group by benchmark, model_key
)
select b.benchmark, b.benchmark_name, m.model_name, m.organization, b.model_version,
       coalesce(b.release_date, m.publication_date) as date, b.score,
       m.training_compute_flop as compute_flop, {cost} as cost_usd,
       case when {observed} is not null then 'observed (Epoch)'
            when {cost} is not null then 'imputed (compute × cost-per-FLOP trend)' end as cost_basis
from best b join marts.models m using (model_key) {join}
order by b.benchmark, date
"""
# Observed cost where Epoch publishes one, else the imputed cost of trends.model_costs when that table exists.
WITH_IMPUTED = BEST_SCORES.format(
    cost="c.cost_usd_2023", observed="c.observed_cost_usd_2023", join="left join trends.model_costs c using (model_key)"
)
OBSERVED_ONLY = BEST_SCORES.format(cost="m.training_cost_usd_2023", observed="m.training_cost_usd_2023", join="")


def score_points(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Best score per benchmark and model (fraction-scored benchmarks only), with date, compute and cost: the
    points `trends.benchmark_scaling` fits."""
    return read(con, WITH_IMPUTED if has_table(con, "trends.model_costs") else OBSERVED_ONLY)


def version_points(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Best score per benchmark and model version (settings pooled), dated by the version's release date, else its
    model's publication date: the points `trends.benchmark_progress` fits the frontier to."""
    return read(
        con,
        """
        select s.benchmark, any_value(s.benchmark_name) as benchmark_name, s.base_version as model_version,
               coalesce(any_value(m.model_name), s.base_version) as model_name,
               any_value(m.organization) as organization,
               coalesce(min(s.release_date), min(m.publication_date)) as date,
               max(s.score_fraction) as score
        from tidy.scores s left join marts.models m using (model_key)
        where s.unit = 'fraction' and s.score_fraction is not null
        group by s.benchmark, s.base_version
        having coalesce(min(s.release_date), min(m.publication_date)) is not null
        order by s.benchmark, date
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
    chosen = scaling.filter((pl.col("x") == x_kind) & (pl.col("status") == "ok"))
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
    """The frontier-over-time fit of each benchmark (score = intercept + slope · decimal year) over the span of its
    points, sampled at 40 dates and cut where it leaves 0-100%."""
    schema = {"benchmark": pl.String, "date": pl.String, "fitted_score": pl.Float64}
    if progress.is_empty() or not {"intercept", "slope"} <= set(progress.columns):
        return pl.DataFrame(schema=schema)
    parts = []
    for fit in progress.filter(pl.col("status") == "ok").iter_rows(named=True):
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
    """The frontier: each benchmark's record-setting points (each beats every earlier one; ties on a date: the best)."""
    ordered = points.filter(pl.col("date").is_not_null()).sort(
        ["benchmark", "date", "score"], descending=[False, False, True]
    )
    previous = pl.col("score").cum_max().shift(1).over("benchmark")
    return (
        ordered.filter(previous.is_null() | (pl.col("score") > previous))
        .rename({"score": "best_to_date"})
        .select("benchmark", "date", "best_to_date", "model_name")
    )


# -- charts -------------------------------------------------------------------------------------------------------


def benchmark_param(choices: pl.DataFrame) -> alt.Parameter:
    """A drop-down of benchmarks (ids as values, display names as labels), defaulting to the first."""
    ids = choices["benchmark"].to_list()
    labels = [f"{name} ({n} models)" for name, n in zip(choices["benchmark_name"], choices["n"], strict=True)]
    return alt.param(
        name="benchmark",
        value=ids[0],
        bind=alt.binding_select(options=ids, labels=labels, name="Benchmark "),
    )


SCORE_AXIS = alt.Axis(format="%", title="Score (% correct; error = 100% − score)")
SCORE_SCALE = alt.Scale(domain=[0, 1])
# Benchmarks span one to six years: half-year ticks, each labelled with its year.
DATE_AXIS = alt.Axis(format="%b %Y", tickCount={"interval": "month", "step": 6}, labelOverlap="greedy")


def panel_frame(
    points: pl.DataFrame,
    versions: pl.DataFrame,
    cost_curves: pl.DataFrame,
    frontier: pl.DataFrame,
    date_lines: pl.DataFrame,
) -> pl.DataFrame:
    """Everything the two panels draw, in one frame (so its CSV is the chart's data), told apart by `layer`:
    'model' (best score per model, with cost), 'version' (best score per model version, dated), 'frontier'
    (record-setting versions), 'cost_fit' and 'date_fit' (fitted curves; `score` holds the fitted value)."""
    names = versions.select("benchmark", "benchmark_name").unique("benchmark")
    parts = [
        points.filter(pl.col("cost_usd").is_not_null()).with_columns(pl.lit("model").alias("layer")),
        versions.with_columns(pl.lit("version").alias("layer")),
        frontier.rename({"best_to_date": "score"}).with_columns(pl.lit("frontier").alias("layer")),
        cost_curves.rename({"fitted_score": "score"}).with_columns(pl.lit("cost_fit").alias("layer")),
        date_lines.rename({"fitted_score": "score"}).with_columns(pl.lit("date_fit").alias("layer")),
    ]
    frame = pl.concat([part for part in parts if part.height], how="diagonal_relaxed")
    if "benchmark_name" in frame.columns:
        frame = frame.drop("benchmark_name")
    columns = ["layer", "benchmark", "benchmark_name", "model_name", "model_version", "organization", "date", "score"]
    extra = [c for c in ("cost_usd", "cost_basis", "compute_flop") if c in frame.columns]
    return frame.join(names, on="benchmark", how="left").select(columns + extra)


def panels_chart(data: pl.DataFrame, choices: pl.DataFrame) -> alt.HConcatChart:
    """Score vs training cost (log) and score vs date, same score axis, one benchmark at a time (drop-down)."""
    param = benchmark_param(choices)
    selected = alt.datum.benchmark == param
    data = chart_frame(data)

    def layer(name: str) -> alt.Chart:
        return alt.Chart(data).transform_filter(selected).transform_filter(alt.datum.layer == name)

    costs = data.filter(pl.col("layer") == "model")["cost_usd"].drop_nulls()
    cost_ticks = decades(costs.min(), costs.max()) if costs.len() else []
    cost_x = alt.X(
        "cost_usd:Q",
        scale=alt.Scale(type="log"),
        axis=alt.Axis(title="Training cost (2023 USD, log scale)", values=cost_ticks, labelExpr=USD_LABEL),
    )
    y = alt.Y("score:Q", scale=SCORE_SCALE, axis=SCORE_AXIS)
    cost_points = (
        layer("model")
        .mark_point(size=55, filled=True, opacity=0.8)
        .encode(
            x=cost_x,
            y=y,
            shape=alt.Shape(
                "cost_basis:N",
                title="Training cost",
                scale=alt.Scale(domain=[OBSERVED, IMPUTED], range=["circle", "triangle-up"]),
                legend=None,
            ),
            color=alt.Color(
                "cost_basis:N", scale=alt.Scale(domain=[OBSERVED, IMPUTED], range=["#1f4e79", "#6baed6"]), legend=None
            ),
            tooltip=[
                alt.Tooltip("model_name:N", title="Model"),
                alt.Tooltip("organization:N", title="Organization"),
                alt.Tooltip("date:T", title="Published"),
                alt.Tooltip("score:Q", title="Best score", format=".1%"),
                alt.Tooltip("cost_usd:Q", title="Training cost (2023 USD)", format="$,.3~s"),
                alt.Tooltip("cost_basis:N", title="Cost"),
                alt.Tooltip("compute_flop:Q", title="Training compute (FLOP)", format=".2~e"),
            ],
        )
    )
    cost_fit = layer("cost_fit").mark_line(color="#d62728", strokeWidth=2.5).encode(x="cost_usd:Q", y="score:Q")
    left = alt.layer(cost_points, cost_fit).properties(
        width=450,
        height=340,
        title=alt.Title(
            "Per dollar",
            subtitle=[
                "Best score per model vs training cost; red: logistic fit",
                "Dark circles: Epoch's observed cost; light triangles: imputed",
            ],
        ),
    )

    date_x = alt.X("date:T", title="Release date of the model version", axis=DATE_AXIS)
    versions = (
        layer("version")
        .mark_point(size=40, filled=True, opacity=0.45, color="#888")
        .encode(
            x=date_x,
            y=y,
            tooltip=[
                alt.Tooltip("model_version:N", title="Model version"),
                alt.Tooltip("model_name:N", title="Model"),
                alt.Tooltip("date:T", title="Released"),
                alt.Tooltip("score:Q", title="Best score", format=".1%"),
            ],
        )
    )
    best = (
        layer("frontier")
        .mark_line(
            interpolate="step-after", color="#2ca02c", strokeWidth=2, point=alt.OverlayMarkDef(size=30, color="#2ca02c")
        )
        .encode(
            x="date:T",
            y="score:Q",
            tooltip=[
                alt.Tooltip("model_name:N", title="New best"),
                alt.Tooltip("date:T", title="On"),
                alt.Tooltip("score:Q", title="Best score to date", format=".1%"),
            ],
        )
    )
    date_fit = (
        layer("date_fit").mark_line(color="#d62728", strokeWidth=2.5, strokeDash=[6, 3]).encode(x="date:T", y="score:Q")
    )
    right = alt.layer(versions, best, date_fit).properties(
        width=450,
        height=340,
        title=alt.Title(
            "Per year",
            subtitle=[
                "Best score per model version vs release date",
                "Green: best score to date; red dashed: its linear fit",
            ],
        ),
    )
    return alt.hconcat(left, right, spacing=40).add_params(param).resolve_scale(y="shared")


def halving_chart(table: pl.DataFrame) -> alt.HConcatChart:
    """One row per benchmark: ×compute, ×dollars (log) and years to halve the error, each with its 90% CI."""
    long = []
    for row in table.iter_rows(named=True):
        for label, stem in (
            ("Training compute multiplier", "compute_multiplier_to_halve_error"),
            ("Training cost multiplier", "dollar_multiplier_to_halve_error"),
            ("Years of frontier progress", "years_to_halve_error"),
        ):
            value, low, high = row.get(stem), row.get(f"{stem}_ci_low"), row.get(f"{stem}_ci_high")
            if finite(value):
                long.append(
                    {
                        "benchmark_name": row["benchmark_name"],
                        "measure": label,
                        "value": float(value),
                        "ci_low": float(low) if finite(low) else float(value),
                        "ci_high": float(high) if finite(high) else float(value),
                        "n_models": row["n_models"],
                    }
                )
    frame = pl.DataFrame(
        long,
        schema={
            "benchmark_name": pl.String,
            "measure": pl.String,
            "value": pl.Float64,
            "ci_low": pl.Float64,
            "ci_high": pl.Float64,
            "n_models": pl.Int64,
        },
    )
    order = table.sort("n_models", descending=True)["benchmark_name"].to_list()
    height = max(22 * len(order), 120)

    def panel(measure: str, title: str, log: bool, fmt: str, first: bool) -> alt.LayerChart:
        # every panel lists every benchmark in the same order, so rows line up across the three panels
        y = alt.Y(
            "benchmark_name:N",
            scale=alt.Scale(domain=order),
            title=None,
            axis=alt.Axis(labelLimit=220) if first else None,
        )
        base = alt.Chart(frame).transform_filter(alt.datum.measure == measure)
        values = frame.filter(pl.col("measure") == measure)
        if log:
            scale = alt.Scale(type="log")
            low, high = values["ci_low"].min(), values["ci_high"].max()
            span = math.log10(high / low) if values.height and finite(low) and finite(high) and low > 0 else 0
            ticks = decades(low, high, 1 if span <= 5 else 2 if span <= 10 else 3) if values.height else None
            axis = alt.Axis(title=title, values=ticks, labelExpr="'×' + format(datum.value, '~s')")
        else:
            scale = alt.Scale(zero=True)
            axis = alt.Axis(title=title)
        bars = base.mark_rule(strokeWidth=2.5, color="#9ecae9").encode(
            x=alt.X("ci_low:Q", scale=scale, axis=axis), x2="ci_high:Q", y=y
        )
        dots = base.mark_circle(size=70, color="#1f4e79", opacity=1).encode(
            x=alt.X("value:Q", scale=scale),
            y=y,
            tooltip=[
                alt.Tooltip("benchmark_name:N", title="Benchmark"),
                alt.Tooltip("measure:N", title="Measure"),
                alt.Tooltip("value:Q", title="Estimate", format=fmt),
                alt.Tooltip("ci_low:Q", title="90% CI low", format=fmt),
                alt.Tooltip("ci_high:Q", title="90% CI high", format=fmt),
                alt.Tooltip("n_models:Q", title="Models"),
            ],
        )
        return alt.layer(bars, dots).properties(width=240, height=height)

    return alt.hconcat(
        panel("Training compute multiplier", "× training compute to halve the error (log)", True, ",.3~r", True),
        panel("Training cost multiplier", "× training dollars to halve the error (log)", True, ",.3~r", False),
        panel("Years of frontier progress", "Years for the frontier to halve the error", False, ".2f", False),
        spacing=28,
    ).properties(
        title=alt.Title(
            "What halving the error took", subtitle="Dot: estimate; bar: 90% CI. Benchmarks by number of models."
        )
    )


# -- the explanation ----------------------------------------------------------------------------------------------


def pick_fit(fits: pl.DataFrame | None, metric: str, subsets: tuple[str, ...]) -> dict[str, object] | None:
    if fits is None:
        return None
    for subset in subsets:
        rows = fits.filter(
            (pl.col("metric") == metric)
            & (pl.col("subset") == subset)
            & (pl.col("window_kind") == "full")
            & (pl.col("status") == "ok")
        )
        if rows.height:
            return rows.row(0, named=True)
    return None


def interval(low: object, high: object, fmt, prefix: str = "") -> str:
    """'×16–×180'; an unbounded upper end (some resamples never halve the error) shows as '∞'."""
    if finite(low) and finite(high):
        return f"{prefix}{fmt(low)}–{prefix}{fmt(high)}"
    if finite(low):
        return f"{prefix}{fmt(low)}–∞"
    return "–"


def status_cell(status: str, note: str | None) -> Cell:
    """The status's first words ('ok', 'insufficient data', 'unstable'); the full reason on hover. A row that is
    'not identified' shows its reason in full."""
    detail = "; ".join(part for part in (status, note) if part)
    if status.startswith("not identified"):
        return Cell(status, title=note)
    return Cell(status.split(":", 1)[0], title=detail if detail != status.split(":", 1)[0] else None)


def table_rows(table: pl.DataFrame) -> list[list[object]]:
    """The pooled row, then complete rows (status 'ok'), then by number of models; rows 'not identified' greyed."""
    ordered = table.with_columns(
        (pl.col("benchmark") != "pooled").alias("_not_pooled"), (pl.col("status") != "ok").alias("_incomplete")
    ).sort(["_not_pooled", "_incomplete", "n_models"], descending=[False, False, True])
    rows = []
    for r in ordered.iter_rows(named=True):

        def value_cell(stem: str, text: str, row: dict[str, object] = r) -> Cell:
            value = row.get(stem)
            attrs = {"data-benchmark": str(row["benchmark"]), "data-field": stem}
            return Cell(text, attrs | ({"data-value": repr(float(value))} if finite(value) else {}))

        compute, dollars, y = (
            r.get("compute_multiplier_to_halve_error"),
            r.get("dollar_multiplier_to_halve_error"),
            r.get("years_to_halve_error"),
        )
        cells = [
            r["benchmark_name"],
            r["n_models"],
            value_cell("compute_multiplier_to_halve_error", f"×{sig(compute)}" if finite(compute) else "–"),
            interval(
                r.get("compute_multiplier_to_halve_error_ci_low"),
                r.get("compute_multiplier_to_halve_error_ci_high"),
                sig,
                "×",
            ),
            value_cell("dollar_multiplier_to_halve_error", f"×{sig(dollars)}" if finite(dollars) else "–"),
            interval(
                r.get("dollar_multiplier_to_halve_error_ci_low"),
                r.get("dollar_multiplier_to_halve_error_ci_high"),
                sig,
                "×",
            ),
            value_cell("years_to_halve_error", years(y)),
            interval(r.get("years_to_halve_error_ci_low"), r.get("years_to_halve_error_ci_high"), years),
            r.get("cost_basis") or "",
            status_cell(str(r["status"]), r.get("note")),
        ]
        rows.append(grey(cells) if str(r["status"]).startswith("not identified") else cells)
    return rows


TABLE_HEADER = [
    "Benchmark",
    "Models",
    "× compute",
    "90% CI",
    "× dollars",
    "90% CI",
    "Years",
    "90% CI",
    "Cost basis",
    "Status",
]


def build_per_dollar_vs_per_year(
    con: duckdb.DuckDBPyConnection, reports_dir: Path, built_at: datetime | None = None
) -> Path:
    built_at = built_at or datetime.now(UTC)
    page = Page(
        name=NAME,
        title="Per dollar vs per year",
        intro=(
            "How fast AI capabilities grow per year, and per unit of training compute and dollars: first on the two "
            "indices that do not saturate (Epoch's Capabilities Index and METR's time horizon), then on benchmark "
            "scores, pooled and one by one: how much more compute, how many more dollars, or how many years of "
            "progress at the frontier it took to halve the error rate (100% minus the score). Numbers are read from "
            "trends.capability_trends, trends.capability_decomposition, trends.per_dollar_vs_per_year, "
            "marts.scaling_laws and the fits behind them."
        ),
    )
    capability_sections(page, con)
    table = read(con, "select * from trends.per_dollar_vs_per_year") if has_table(con, TABLES[0]) else None
    scaling = read(con, "select * from trends.benchmark_scaling") if has_table(con, TABLES[1]) else None
    progress = read(con, "select * from trends.benchmark_progress") if has_table(con, TABLES[2]) else None
    fits = read(con, "select * from trends.fits") if has_table(con, TABLES[3]) else None
    if table is not None and "benchmark_name" not in table.columns:
        names = read(con, "select benchmark, any_value(benchmark_name) as benchmark_name from tidy.scores group by 1")
        table = table.join(names, on="benchmark", how="left")

    page.heading("The pooled benchmark inversion", ident="pooled")
    if table is None:
        page.missing(TABLES[0])
    else:
        page.raw_html(pooled_html(table))
        page.heading("The scaling paradox, in this data", ident="paradox")
        compute_fit = pick_fit(fits, "training_compute", ("frontier_epoch", "frontier_top10", "notable"))
        page.raw_html(
            paradox_html(
                table,
                compute_fit,
                table_or_none(con, "trends.capability_trends"),
                table_or_none(con, "marts.scaling_laws"),
            )
        )

    points = score_points(con)
    versions = version_points(con)
    page.heading("Score per dollar and per year, one benchmark at a time")
    counts = points.group_by("benchmark").agg(
        pl.col("benchmark_name").first(), pl.len().alias("n"), pl.col("cost_usd").is_not_null().sum().alias("n_cost")
    )
    if table is not None:
        choices = table.filter((pl.col("status") == "ok") & (pl.col("benchmark") != "pooled")).select(
            "benchmark", pl.col("n_models").alias("n")
        )
        choices = choices.join(counts.drop("n"), on="benchmark", how="inner")
    elif scaling is not None:
        choices = scaling.filter(pl.col("status") == "ok").select("benchmark").unique().join(counts, on="benchmark")
    else:
        choices = counts.filter(pl.col("n_cost") >= 8)
    choices = choices.filter(pl.col("n_cost") > 0).sort(["n", "benchmark"], descending=[True, False])
    if choices.is_empty():
        page.paragraph("No benchmark has enough scored models with a training cost to chart yet.")
    else:
        chosen = choices["benchmark"].to_list()
        shown = points.filter(pl.col("benchmark").is_in(chosen))
        dated = versions.filter(pl.col("benchmark").is_in(chosen))
        cost_curves = (
            fit_curves(scaling, shown, "cost", "cost_usd")
            if scaling is not None
            else pl.DataFrame(schema={"benchmark": pl.String, "cost_usd": pl.Float64, "fitted_score": pl.Float64})
        )
        date_lines = progress_lines(progress if progress is not None else pl.DataFrame(), dated)
        if scaling is None:
            page.missing(TABLES[1], "no fitted curves on the cost panel")
        if progress is None:
            page.missing(TABLES[2], "no fitted line on the date panel")
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

    page.heading("Halving the error: ×N compute, ×M dollars, or Y years", ident="halving")
    if table is None:
        page.missing(TABLES[0])
    else:
        complete = table.filter((pl.col("status") == "ok") & (pl.col("benchmark") != "pooled"))
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
            "no summary; the others say why not (hover over the status). The pooled row comes first.",
            css="meta",
        )
        page.table(TABLE_HEADER, table_rows(table), ident="halving-table", numeric={1, 2, 3, 4, 5, 6, 7})
        page.download("per_dollar_vs_per_year", table, "The whole table with notes (trends.per_dollar_vs_per_year)")
    page.heading("How these numbers are made")
    page.paragraph(
        "Per dollar and per compute: a logistic curve with a floor and a ceiling is fitted to score against "
        "log10 training compute (and log10 training cost) across models; the multiplier is how far along the "
        "fitted curve one must move, from the median model's score, for the error rate to halve. Per year: the "
        "best score to date is fitted against time, and the years are how long its error took to halve. Training "
        "cost exists for few benchmarked models, so it is imputed from compute and the cost-per-FLOP trend where "
        "missing and always flagged as imputed. Intervals are 90% bootstrap intervals over models; rows with too "
        "few models say 'insufficient data' instead of a number."
    )
    return publish(page, reports_dir, built_at=built_at, snapshots=load_snapshots(con))
