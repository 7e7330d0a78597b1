"""The per-dollar page's test-time and price sections: the effort ladder (score by setting, one line per model) and
score against inference cost per run, each one benchmark at a time (drop-down), with `trends.test_time_scaling`;
the cheapest price at or above each past top score over time, with the fitted trends of
`trends.inference_price_trends` beside Epoch's published median.

The ladders read `marts.benchmark_scores` (one point per model version and setting: its mean score, as the test-time
figures use). The price chart draws the points each trend was fitted on from `trends.inference_price_points` when
that table exists and the page declares it; until then it draws each identified trend's fitted line from its row
alone (factor, start and end), as the price relative to the trend's start.
"""

from __future__ import annotations

import json
import math

import altair as alt
import polars as pl

from pipelines.reports.builders import (
    LABELS,
    LOG,
    benchmark_dropdown,
    fit_layers,
    fit_lines,
    log_axis,
    log_scatter,
    selected_lines,
)
from pipelines.reports.capabilities import grey
from pipelines.reports.common import sig
from pipelines.reports.context import PageContext
from pipelines.reports.inference import EPOCH_INSIGHT, EPOCH_PUBLISHED_MEDIAN, HUB, PRICES, STUDY, TEST_TIME, signed
from pipelines.reports.page import Cell, Page
from pipelines.trends.fits import decimal_year
from pipelines.trends.status import Status, status_text

SCORES = "marts.benchmark_scores"
PRICE_POINTS = "trends.inference_price_points"
SETTING_COLUMNS = {"effort_rank", "budget_tokens", "thinking", "cost_per_run_usd"}
# One point per benchmark, model version and setting: its mean score, as trends.test_time_scaling averages them.
SETTINGS_QUERY = """
select benchmark, any_value(benchmark_name) as benchmark_name, base_version as model,
       lower(coalesce(setting, 'default')) as setting, min(effort_rank) as effort_rank,
       min(budget_tokens) as budget_tokens, bool_or(thinking) as thinking, avg(cost_per_run_usd) as cost_per_run_usd,
       avg(trend_score) as score
from marts.benchmark_scores
where unit = 'fraction' and trend_score is not null and base_version is not null
  and (effort_rank is not null or budget_tokens > 0 or thinking is not null or cost_per_run_usd > 0)
group by benchmark, base_version, lower(coalesce(setting, 'default'))
order by benchmark, base_version, setting
"""
SCORE_Y = alt.Y("score:Q", scale=alt.Scale(zero=False), axis=alt.Axis(format="%", title="Score"))
SETTING_TIPS = [
    ("model:N", "Model version", None),
    ("setting:N", "Setting", None),
    ("score:Q", "Score (mean of its runs)", ".1%"),
    ("cost_per_run_usd:Q", "Cost per run (USD)", "$,.4~g"),
]
PANEL_TITLES = {
    "effort": "Reasoning effort",
    "budget": "Thinking budget (tokens, log scale)",
    "thinking": "Thinking off / on",
}
MEASURE_WORDS = {
    "per_effort_step": "per effort step",
    "per_budget_doubling": "per doubling of the thinking budget",
    "thinking_on_vs_off": "thinking on minus off",
    "per_10x_cost_per_run": "per 10x inference cost per run",
    "per_10x_output_tokens": "per 10x output tokens per sample",
    "diminishing_returns": "last effort step's gain minus the first's",
}


# -- the ladders: one model at several settings ----------------------------------------------------------------------


def setting_scores(ctx: PageContext) -> pl.DataFrame | None:
    """Mean score per benchmark, model version and setting, with its setting's effort, budget, thinking and cost;
    None while marts.benchmark_scores lacks the setting columns."""
    if not ctx.columns(SCORES) >= SETTING_COLUMNS:
        return None
    return ctx.read(SETTINGS_QUERY)


def with_lines(frame: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """The rows of the models that have two or more distinct x within `keys` (a line, not a lone point)."""
    return frame.filter(pl.col("x").n_unique().over(keys) >= 2)


def ladder_frame(points: pl.DataFrame) -> pl.DataFrame:
    """Every model's settings as points of three panels (effort rank, thinking budget in tokens, thinking 0/1)."""
    panels = [
        points.filter(pl.col("effort_rank").is_not_null()).with_columns(
            pl.lit("effort").alias("panel"), pl.col("effort_rank").cast(pl.Float64).alias("x")
        ),
        points.filter(pl.col("budget_tokens") > 0).with_columns(
            pl.lit("budget").alias("panel"), pl.col("budget_tokens").cast(pl.Float64).alias("x")
        ),
        points.filter(pl.col("thinking").is_not_null()).with_columns(
            pl.lit("thinking").alias("panel"), pl.col("thinking").cast(pl.Float64).alias("x")
        ),
    ]
    frame = pl.concat(panels, how="vertical_relaxed")
    return with_lines(frame, ["panel", "benchmark", "model"]).sort("panel", "benchmark", "model", "x")


def cost_frame(points: pl.DataFrame) -> pl.DataFrame:
    """The settings with a published cost per run, of models with two or more costs on a benchmark."""
    costed = points.filter(pl.col("cost_per_run_usd") > 0).with_columns(pl.col("cost_per_run_usd").alias("x"))
    return with_lines(costed, ["benchmark", "model"]).sort("benchmark", "model", "x")


def choices(frame: pl.DataFrame) -> pl.DataFrame:
    """The drop-down's benchmarks: those with a line, most models first."""
    counts = frame.group_by("benchmark").agg(pl.col("benchmark_name").first(), pl.col("model").n_unique().alias("n"))
    return counts.sort(["n", "benchmark"], descending=[True, False])


def effort_axis(frame: pl.DataFrame) -> alt.X:
    """Effort ranks labelled with the setting names the data use for them (minimal ... xhigh)."""
    ranks = frame.group_by("x").agg(pl.col("setting").mode().sort().first()).sort("x")
    names = [str(r) for r in range(int(ranks["x"].max()) + 1)]
    for rank, name in ranks.iter_rows():
        names[int(rank)] = name
    labels = f"{json.dumps(names)}[datum.value]"
    axis = alt.Axis(title=PANEL_TITLES["effort"], values=ranks["x"].to_list(), labelExpr=labels)
    return alt.X("x:Q", axis=axis, scale=alt.Scale(domain=[ranks["x"].min() - 0.3, ranks["x"].max() + 0.3]))


def panel_x(panel: str, frame: pl.DataFrame) -> alt.X:
    """The x of a ladder panel: effort by name, the budget on a log-2 axis in tokens, thinking off and on."""
    if panel == "effort":
        return effort_axis(frame)
    if panel == "budget":  # ticks at 1k, 2k, 4k ... tokens, as budgets are set
        low, high = frame["x"].min(), frame["x"].max()
        ticks = [1000.0 * 2**k for k in range(12) if low / 2 < 1000 * 2**k < high * 2]
        axis = alt.Axis(title=PANEL_TITLES["budget"], values=ticks, labelExpr=LABELS["si"])
        return alt.X("x:Q", scale=alt.Scale(type="log", base=2), axis=axis)
    axis = alt.Axis(title=PANEL_TITLES["thinking"], values=[0, 1], labelExpr="datum.value == 1 ? 'on' : 'off'")
    return alt.X("x:Q", axis=axis, scale=alt.Scale(domain=[-0.3, 1.3]))


def ladder_chart(frame: pl.DataFrame, options: pl.DataFrame) -> alt.HConcatChart:
    """Score by setting, one line per model version, one panel per kind of setting the data have; one benchmark at
    a time (drop-down)."""
    param = benchmark_dropdown(options)
    panels = []
    for panel in PANEL_TITLES:
        data = frame.filter(pl.col("panel") == panel)
        if data.height:
            lines = selected_lines(
                data,
                param=param,
                field="benchmark",
                x=panel_x(panel, data),
                y=SCORE_Y,
                category="model",
                tooltip=SETTING_TIPS,
                legend_title="Model version",
            )
            panels.append(lines.properties(width=240, height=260, title=PANEL_TITLES[panel]))
    title = alt.Title("The effort ladder: one model at several settings", subtitle="Mean score per setting")
    return alt.hconcat(*panels, spacing=24).add_params(param).properties(title=title)


def cost_chart(frame: pl.DataFrame, options: pl.DataFrame) -> alt.Chart:
    """Score against the published cost per run (log x), one line per model version; one benchmark at a time."""
    param = benchmark_dropdown(options)
    axis = log_axis(frame["x"], "Inference cost per run (USD, log scale)", "usd")
    lines = selected_lines(
        frame,
        param=param,
        field="benchmark",
        x=alt.X("x:Q", scale=LOG, axis=axis),
        y=SCORE_Y,
        category="model",
        tooltip=SETTING_TIPS,
        legend_title="Model version",
    )
    subtitle = "Each line: one model version at its settings; its slope is the gain per 10x inference dollars"
    title = alt.Title("Score against inference cost per run", subtitle=subtitle)
    return lines.add_params(param).properties(width=640, height=320, title=title)


LADDER_CAPTION = (
    "Each line is one model version at its settings: reasoning effort, thinking budget, or thinking switched off and "
    "on; nothing else changes along a line, so its rise is what more test-time compute buys that model."
)
COST_CAPTION = (
    "The benchmark's published cost of one run (log scale) against the score, one line per model version across its "
    "settings: Ord's o1 chart, on this data."
)


def ladder_charts(ctx: PageContext, page: Page) -> None:
    """The effort ladder and score against cost per run, or why they are not drawn."""
    points = setting_scores(ctx)
    if points is None:
        page.missing(SCORES, "its setting columns: effort_rank, budget_tokens, thinking, cost_per_run_usd")
        return
    ladder, costs = ladder_frame(points), cost_frame(points)
    for name, frame, chart, caption in (
        ("effort_ladder", ladder, ladder_chart, LADDER_CAPTION),
        ("score_vs_cost_per_run", costs, cost_chart, COST_CAPTION),
    ):
        if frame.height:
            options = choices(frame)
            shown = f"Static exports show {options['benchmark_name'][0]}."
            page.chart(name, chart(frame, options), frame, f"Pick a benchmark above the chart. {caption} {shown}")
    if not (ladder.height or costs.height):
        page.paragraph("No model has two or more settings with a score on a percentage benchmark yet.")


def test_time_rows(table: pl.DataFrame) -> list[list[object]]:
    """One row per figure and method; rows not 'ok' greyed with the reason on hover."""
    rows = []
    for r in table.iter_rows(named=True):
        # data-row, not data-benchmark: that attribute names a row of trends.per_dollar_vs_per_year on this page
        attrs = {"data-table": "test_time_scaling", "data-measure": r["measure"], "data-row": r["benchmark"]}
        attrs["data-method"] = r["method"]
        ok = r["status"] == Status.OK
        value = Cell(signed(r["estimate"]), attrs | ({"data-value": repr(float(r["estimate"]))} if ok else {}))
        interval = f"{sig(r['ci_low'])} to {sig(r['ci_high'])}" if ok else "–"
        name = r.get("benchmark_name") or ("pooled over benchmarks" if r["benchmark"] == "pooled" else r["benchmark"])
        status = Cell(r["status"], title="; ".join(p for p in (r["status_reason"], r["note"]) if p) or None)
        cells = [MEASURE_WORDS.get(r["measure"], r["measure"]), name, r["method"], value, interval]
        cells += [r["n_pairs"], r["n_points"], status]
        rows.append(cells if ok else grey(cells))
    return rows


def test_time_section(ctx: PageContext, page: Page) -> None:
    """What more inference buys within one model: the two charts and every figure of trends.test_time_scaling."""
    page.heading("Test-time scaling: one model, more inference", ident="test-time")
    ladder_charts(ctx, page)
    table = ctx.optional(page, TEST_TIME)
    if table is None:
        return
    table = ctx.benchmark_names(table)
    page.paragraph(
        "Every figure compares a model only with itself at several settings, in percentage points, pooled over the "
        "benchmarks and per benchmark, by two methods (the pooled within-pair slope and the median over pairs), "
        "with a 90% bootstrap CI over model-benchmark pairs. Rows that are not identified, or have too few pairs, "
        "are greyed with the reason on hover.",
        css="meta",
    )
    header = ["Figure", "Benchmark", "Method", "Points", "90% CI", "Pairs", "Settings", "Status"]
    page.table(
        header,
        test_time_rows(table),
        ident="test-time-table",
        numeric={3, 4, 5, 6},
        collapsed=f"Every test-time figure ({table.height} rows)",
    )
    page.download("test_time_scaling", table, "The whole table with units and notes (trends.test_time_scaling)")


# -- the price of a fixed score --------------------------------------------------------------------------------------

FALL_TIPS = [
    ("factor_per_year:Q", "Price falls × per year", ".3~g"),
    ("ci_low:Q", "90% CI low", ".3~g"),
    ("ci_high:Q", "90% CI high", ".3~g"),
    ("n:Q", "Points fitted", None),
]
FALL_COLUMNS = ("benchmark", "factor_per_year", "ci_low", "ci_high")
DATE_AXIS = alt.Axis(title="Release date", format="%b %Y", labelOverlap="greedy")
THRESHOLD_LEGEND = alt.Legend(orient="bottom", columns=4, symbolLimit=80, labelLimit=230, titleLimit=400)


def price_points(ctx: PageContext, dataset: str) -> pl.DataFrame | None:
    """The points each price trend of `dataset` was fitted on (trends.inference_price_points), or None."""
    if not ctx.has(PRICE_POINTS):
        return None
    points = ctx.table(PRICE_POINTS).filter(pl.col("dataset") == dataset)
    return points.with_columns(pl.col("release_date").cast(pl.Date)) if points.height else None


def threshold_label() -> pl.Expr:
    """'GPT-4 Turbo (50)': the model whose top score set the threshold, and that score."""
    score = pl.col("threshold_score").round(1).cast(pl.String).str.replace(r"\.0$", "")
    return pl.concat_str(pl.col("threshold_model"), pl.lit(" ("), score, pl.lit(")"))


def price_fits(trends: pl.DataFrame, points: pl.DataFrame | None) -> pl.DataFrame:
    """Each identified trend as a fitted log-linear line (the `fit_lines` shape): the price falls `factor_per_year`
    times a year over its window, through its points' mean when the points are at hand, else from 1 at its start."""
    ok = trends.filter((pl.col("status") == Status.OK) & (pl.col("factor_per_year") > 0))
    slope = -pl.col("factor_per_year").log10()
    fits = ok.with_columns(
        threshold_label().alias("threshold"),
        slope.alias("slope_oom_per_year"),
        (1 / pl.col("factor_per_year")).alias("growth_per_year"),
        (1 / pl.col("ci_high")).alias("growth_ci_low"),
        (1 / pl.col("ci_low")).alias("growth_ci_high"),
        pl.col("start_date").cast(pl.Date).alias("window_start"),
        pl.col("end_date").cast(pl.Date).alias("window_end"),
        (-slope * decimal_year(pl.col("start_date").cast(pl.Date))).alias("intercept"),
    )
    if points is None:
        return fits
    means = points.group_by("benchmark", "threshold_model").agg(
        pl.col("price").log10().mean().alias("_log_price"), decimal_year(pl.col("release_date")).mean().alias("_t")
    )
    fits = fits.join(means, on=["benchmark", "threshold_model"], how="inner", maintain_order="left")
    return fits.with_columns((pl.col("_log_price") - pl.col("slope_oom_per_year") * pl.col("_t")).alias("intercept"))


def reference_fits(fits: pl.DataFrame) -> pl.DataFrame:
    """Per benchmark, Epoch's published median fall as a line over the benchmark's trends, starting where its
    earliest trend's line starts."""
    slope = -math.log10(EPOCH_PUBLISHED_MEDIAN)
    start = pl.col("intercept") + pl.col("slope_oom_per_year") * decimal_year(pl.col("window_start"))
    first = (
        fits.sort("window_start")
        .group_by("benchmark", maintain_order=True)
        .agg(pl.col("window_start").first(), pl.col("window_end").max(), start.first().alias("_y0"))
    )
    label = f"Epoch's published median, {EPOCH_PUBLISHED_MEDIAN:.0f}× a year"
    return first.with_columns(
        pl.lit(label).alias("reference"),
        pl.lit(slope).alias("slope_oom_per_year"),
        (pl.col("_y0") - slope * decimal_year(pl.col("window_start"))).alias("intercept"),
        pl.lit(1 / EPOCH_PUBLISHED_MEDIAN).alias("growth_per_year"),
        pl.lit(None, pl.Float64).alias("growth_ci_low"),
        pl.lit(None, pl.Float64).alias("growth_ci_high"),
        pl.lit(EPOCH_PUBLISHED_MEDIAN).alias("factor_per_year"),
        pl.lit(None, pl.Float64).alias("ci_low"),
        pl.lit(None, pl.Float64).alias("ci_high"),
        pl.lit(None, pl.Int64).alias("n"),
    )


def price_frame(fits: pl.DataFrame, references: pl.DataFrame, points: pl.DataFrame | None) -> pl.DataFrame:
    """What the price chart draws, in one frame (its CSV), told apart by `layer`: 'fit' (each identified trend's
    line: its window's ends and middle), 'epoch median' (the reference line) and 'point' (the fitted points)."""
    lines = fit_lines(fits, "threshold", FALL_COLUMNS).with_columns(pl.lit("fit").alias("layer"))
    reference = fit_lines(references, "reference", FALL_COLUMNS).rename({"reference": "threshold"})
    parts = [lines, reference.with_columns(pl.lit("epoch median").alias("layer"))]
    if points is not None:
        keys = ["benchmark", "threshold_model"]
        shown = points.join(fits.select(*keys, "threshold"), on=keys)
        parts.append(
            shown.select(
                pl.lit("point").alias("layer"),
                "benchmark",
                "threshold",
                pl.col("release_date").cast(pl.String).alias("date"),
                pl.col("price").alias("fitted"),
                "model_name",
            )
        )
    frame = pl.concat(parts, how="diagonal_relaxed")
    return frame.rename({"fitted": "price"}).sort("benchmark", "layer", "threshold", "date")


def price_axis(title: str, fits: pl.DataFrame, references: pl.DataFrame, points: pl.DataFrame | None) -> alt.Axis:
    """A log axis ticked at the powers of ten the panel's lines, bands and points span (every other decade past
    six); dollars when the points give prices, else plain numbers relative to each line's start."""
    lines = pl.concat(
        [fit_lines(fits, "threshold"), fit_lines(references, "reference").rename({"reference": "threshold"})]
    )
    values = pl.concat([lines["fitted"], lines["fitted_low"], lines["fitted_high"]])
    if points is not None:
        values = pl.concat([values, points["price"]])
    values = values.drop_nulls().filter(values.drop_nulls() > 0)
    step = 2 if values.len() and values.max() / values.min() > 1e6 else 1
    return log_axis(values, title, "usd_plain" if points is not None else "plain", step)


def price_panel(
    benchmark: str, fits: pl.DataFrame, references: pl.DataFrame, points: pl.DataFrame | None, y_title: str
) -> alt.LayerChart:
    """One benchmark: its identified trends' lines with their CI bands, Epoch's median dashed grey, the points."""
    title = "Threshold (the model that set it, its score)"
    color = alt.Color("threshold:N", title=title, legend=THRESHOLD_LEGEND, scale=alt.Scale(scheme="tableau20"))
    mine = fits.filter(pl.col("benchmark") == benchmark)
    reference = references.filter(pl.col("benchmark") == benchmark)
    shown = None
    if points is not None:
        shown = points.filter(pl.col("benchmark") == benchmark).join(
            mine.select("threshold_model", "threshold"), on="threshold_model"
        )
    axis = price_axis(y_title, mine, reference, shown)
    layers: list[alt.Chart] = []
    if shown is not None:
        tips = [("model_name:N", "Model", None), ("date:T", "Released", None), ("price:Q", y_title, ".3~g")]
        layers.append(
            log_scatter(
                shown.with_columns(pl.col("release_date").cast(pl.String).alias("date")),
                x=alt.X("date:T", axis=DATE_AXIS),
                y="price",
                y_axis=axis,
                tooltip=[*tips, ("threshold:N", "Threshold", None)],
                color=color,
                size=40,
                opacity=0.8,
            )
        )
    common = {"tooltip": FALL_TIPS, "keep": FALL_COLUMNS, "y_axis": axis, "x_axis": DATE_AXIS}
    # lines before their bands: Vega-Lite takes a shared legend from the first layer, and the band has none
    layers += fit_layers(mine, label="threshold", color=color, dashed=False, tooltip_title="Threshold", **common)[::-1]
    layers += fit_layers(reference, label="reference", color="#777", band=False, tooltip_title="Reference", **common)
    return alt.layer(*layers).properties(width=230, height=190, title=benchmark)


PRICE_TITLES = {
    STUDY: ("The cheapest price per token at or above each past top score", "USD per 1M tokens (log scale)"),
    HUB: ("The cheapest cost per run at or above each past top score", "USD per run (log scale)"),
}


def price_chart(fits: pl.DataFrame, points: pl.DataFrame | None, dataset: str) -> alt.ConcatChart:
    """One panel per benchmark with an identified trend: the cheapest model at or above each threshold over time
    (log y), each trend's fitted line and CI band, and Epoch's published median as a dashed grey line."""
    title, y_title = PRICE_TITLES[dataset]
    if points is None:
        y_title = "Fitted price, relative to its start (log scale)"
    references = reference_fits(fits)
    order = fits["benchmark"].unique(maintain_order=True).to_list()
    panels = [price_panel(b, fits, references, points, y_title) for b in order]
    subtitle = [
        "Solid: each identified trend's log-linear fit over its window, band: its 90% CI; dashed grey: Epoch's "
        f"published median fall ({EPOCH_PUBLISHED_MEDIAN:.0f}× a year) from the earliest trend's start"
    ]
    if points is None:
        subtitle.append("Drawn from the trends alone (no table of their points yet): 1 = each line's start")
    return (
        alt.concat(*panels, columns=3, spacing=18)
        .resolve_scale(y="independent", x="independent", color="shared")
        .properties(title=alt.Title(title, subtitle=subtitle))
    )


PRICE_HEADER = ["Prices", "Benchmark", "Threshold (model, score)", "Points", "Window", "Falls × a year", "90% CI"]
PRICE_HEADER += ["R²", "Status"]
DATASET_WORDS = {STUDY: "Epoch study", HUB: "Hub"}


def price_rows(trends: pl.DataFrame) -> list[list[object]]:
    """Every trend, identified or not; those not identified greyed, with the reason in full."""
    rows = []
    for r in trends.iter_rows(named=True):
        ok = r["status"] == Status.OK
        attrs = {"data-table": "inference_price_trends", "data-dataset": r["dataset"], "data-row": r["benchmark"]}
        attrs["data-threshold"] = r["threshold_model"]
        factor = Cell(f"{sig(r['factor_per_year'])}×", attrs | {"data-value": repr(float(r["factor_per_year"]))})
        cells = [
            DATASET_WORDS.get(r["dataset"], r["dataset"]),
            r["benchmark"],
            f"{r['threshold_model']} ({r['threshold_score']:g})",
            r["n"],
            f"{str(r['start_date'])[:7]} to {str(r['end_date'])[:7]}",
            factor,
            f"{sig(r['ci_low'])}× to {sig(r['ci_high'])}×",
            f"{r['r_squared']:.2f}",
            Cell(status_text(r["status"], r["status_reason"]), title=r["status_reason"] or None),
        ]
        rows.append(cells if ok else grey(cells))
    return rows


def price_charts(ctx: PageContext, page: Page, trends: pl.DataFrame) -> None:
    """One chart per dataset with an identified trend."""
    for dataset, name in ((STUDY, "price_of_a_fixed_score"), (HUB, "cost_per_run_of_a_fixed_score")):
        points = price_points(ctx, dataset)
        fits = price_fits(trends.filter(pl.col("dataset") == dataset), points)
        if fits.is_empty():
            continue
        page.chart(
            name,
            price_chart(fits, points, dataset),
            price_frame(fits, reference_fits(fits), points),
            "Each colour is one threshold: the top score a model held when it was released. A trend follows the "
            "cheapest model at or above it by release date; its price falls by the factor in the table below. "
            "Only identified trends are drawn; the others are listed, greyed, with the reason.",
        )


def price_section(ctx: PageContext, page: Page) -> None:
    """How fast a fixed score gets cheaper: the charts, every trend with its status, the data's credit."""
    page.heading("The price of a fixed score", ident="price")
    trends = ctx.optional(page, PRICES)
    if trends is None:
        return
    price_charts(ctx, page, trends)
    left = trends.filter(pl.col("status") != Status.OK).height
    page.paragraph(
        f"{trends.height - left} of {trends.height} trends are identified; the {left} others (a window under a "
        "year, or an interval spanning more than two orders of magnitude) are greyed in the table below with the "
        "reason and enter no median. Prices: Epoch's study gives USD per 1M tokens (blended), the Benchmarking Hub "
        "the cost of one run of the benchmark. Epoch's published figure, the median over all its trends identified "
        f"or not, is {EPOCH_PUBLISHED_MEDIAN:.0f}× a year.",
        css="meta",
    )
    summary = f"Every price trend ({trends.height - left} identified, {left} not: greyed, with the reason)"
    page.table(PRICE_HEADER, price_rows(trends), ident="price-table", numeric={3, 5, 6, 7}, collapsed=summary)
    page.fragment("inference_credits.html.j2", url=EPOCH_INSIGHT)
    page.download("inference_price_trends", trends, "Every trend with its models (trends.inference_price_trends)")
