"""`reports/compute_trends.html`: training compute, parameters, tokens and cost over time (log axes, era fits,
frontier highlighted), rolling growth rates with their CI band, tokens per parameter, breakpoints and forecasts.
"""

from __future__ import annotations

from dataclasses import dataclass

import altair as alt
import polars as pl

from pipelines.reports.builders import LEGEND, fit_layers, log_axis, log_scatter, rolling_panels, with_fit
from pipelines.reports.common import as_date, ci, factor, fit_rows, months, sig, usd, window_label
from pipelines.reports.context import PageContext, compose
from pipelines.reports.owid import large_scale_section
from pipelines.reports.page import Page
from pipelines.trends.status import Status, status_text

SUBSETS = ("notable", "frontier_epoch", "frontier_top10")
ERA_COLORS = ["#222222", "#7b3294", "#1b7837", "#b35806"]
FRONTIER_COLORS = {
    "Frontier (Epoch's flag)": "#e45756",
    "Top 10 by compute at release": "#f58518",
    "Other notable models": "#9db4cc",
}
FRONTIER = alt.Color(
    "frontier:N",
    title=None,
    scale=alt.Scale(domain=list(FRONTIER_COLORS), range=list(FRONTIER_COLORS.values())),
    legend=alt.Legend(**LEGEND),
)
MODEL_TOOLTIP = [("model_name:N", "Model", None), ("organization:N", "Organization", None)]
MODEL_TOOLTIP.append(("publication_date:T", "Published", None))
INTRO = (
    "The inputs to AI training, per notable model, on log axes: a straight line is constant growth per "
    "year. Lines are era fits from trends.fits (bands: 90% CIs); frontier models are highlighted. Hover over a "
    "point for the model, organization, date and value."
)


@dataclass(frozen=True)
class Metric:
    name: str  # trends.fits metric
    column: str  # marts.models column
    title: str  # axis title, with unit
    label: str  # short name
    axis: str  # label style: power | si | usd
    value_format: str  # tooltip format


METRICS = (
    Metric(
        "training_compute",
        "training_compute_flop",
        "Training compute (FLOP, log scale)",
        "Training compute",
        "power",
        ".3~e",
    ),
    Metric("parameters", "parameters", "Parameters (log scale)", "Parameters", "si", ",.3~s"),
    Metric(
        "training_tokens",
        "training_dataset_size_datapoints",
        "Training dataset size (datapoints ≈ tokens for language, log scale)",
        "Training tokens",
        "si",
        ",.3~s",
    ),
    Metric(
        "training_cost",
        "training_cost_usd_2023",
        "Training cost (2023 USD, log scale)",
        "Training cost",
        "usd",
        "$,.3~s",
    ),
)
LABELS = {m.name: m.label for m in METRICS} | {"tokens_per_parameter": "Tokens per parameter"}


def model_points(ctx: PageContext) -> pl.DataFrame:
    """Notable models with a publication date, tagged by frontier set (Epoch's flag first, then top 10)."""
    return ctx.read(
        """
        select model_name, organization, domain, cast(publication_date as varchar) as publication_date,
               training_compute_flop, parameters, training_dataset_size_datapoints, training_cost_usd_2023,
               tokens_per_parameter,
               case when is_frontier_epoch then 'Frontier (Epoch''s flag)'
                    when is_frontier_top10 then 'Top 10 by compute at release'
                    else 'Other notable models' end as frontier
        from marts.models
        where in_notable_models and publication_date is not null
        order by publication_date
        """
    )


def era_fits(fits: pl.DataFrame | None, metric: str) -> pl.DataFrame:
    """The era fits of a metric on notable models, each labelled 'YYYY–YYYY: N× per year'; else its full window."""
    eras = fit_rows(fits, metric, "notable", "era")
    eras = eras if eras.height else fit_rows(fits, metric, "notable", "full")
    if eras.is_empty():
        return eras
    start, end = pl.col("window_start").cast(pl.String).str.slice(0, 4), pl.col("window_end").cast(pl.String)
    growth = pl.col("growth_per_year").map_elements(factor, return_dtype=pl.String)
    return eras.with_columns((start + "–" + end.str.slice(0, 4) + ": " + growth + " per year").alias("era"))


def metric_chart(metric: Metric, points: pl.DataFrame, eras: pl.DataFrame) -> tuple[alt.LayerChart, pl.DataFrame]:
    """Log-axis scatter of one quantity by publication date, frontier in colour, era fits as labelled lines."""
    data = points.filter(pl.col(metric.column) > 0).select(
        "model_name", "organization", "domain", "publication_date", "frontier", pl.col(metric.column).alias("value")
    )
    tips = [*MODEL_TOOLTIP, ("value:Q", metric.label, metric.value_format), ("domain:N", "Domain", None)]
    scatter = log_scatter(
        data,
        x=alt.X("publication_date:T", title="Publication date"),
        y="value",
        y_axis=log_axis(data["value"], metric.title, metric.axis),
        tooltip=[*tips, ("frontier:N", "Set", None)],
        color=FRONTIER,
        size=26,
    ).encode(order=alt.Order("frontier:N", sort="descending"))
    era_color = alt.Color(
        "era:N",
        title="Era fits (notable models)",
        scale=alt.Scale(range=ERA_COLORS),
        legend=alt.Legend(**LEGEND, symbolStrokeWidth=3),
    )
    lines = fit_layers(eras, label="era", color=era_color, dashed=False, tooltip_title="Era fit (notable models)")
    chart = alt.layer(scatter, *lines).resolve_scale(color="independent")
    title = alt.Title(
        f"{metric.label} of notable models",
        subtitle="Lines: log-linear fits per era (trends.fits, notable models), bands: their 90% CIs; growth per "
        "year in the legend",
    )
    return chart.properties(width=960, height=330, title=title), data


def full_window_summary(fits: pl.DataFrame, metric: str) -> str:
    """The full-window fit of each subset in one line."""
    summary = []
    for subset in SUBSETS:
        rows = fit_rows(fits, metric, subset, "full")
        if rows.height:
            r = rows.row(0, named=True)
            name = subset.replace("_", " ")
            if r["status"] != Status.OK:
                summary.append(f"{name}: {status_text(r['status'], r.get('status_reason'))}")
                continue
            interval = ci(r["growth_ci_low"], r["growth_ci_high"], factor)
            window = window_label(r["window_start"], r["window_end"])
            summary.append(f"{name}: {factor(r['growth_per_year'])}/yr (90% CI {interval}, n = {r['n']:,}, {window})")
    return "Full-window fits — " + "; ".join(summary) + "." if summary else ""


def metrics_section(ctx: PageContext, page: Page) -> None:
    """One chart per quantity with its era fits, and the full-window fits in a line under it."""
    points = model_points(ctx)
    fits = ctx.optional(page, "trends.fits", "no fitted lines, rolling rates or fit table")
    for metric in METRICS:
        page.heading(metric.label, ident=metric.name)
        chart, data = metric_chart(metric, points, era_fits(fits, metric.name))
        page.chart(metric.name, chart, data, f"{data.height:,} notable models with a value.")
        summary = full_window_summary(fits, metric.name) if fits is not None else ""
        if summary:
            page.paragraph(summary, css="meta")


def rolling_section(ctx: PageContext, page: Page) -> None:
    """Growth per year in rolling windows, one panel per quantity."""
    page.heading("Is growth speeding up? Rolling growth rates", ident="rolling")
    fits = ctx.table("trends.fits")
    if fits is None:
        page.missing("trends.fits", "rolling windows")
        return
    rolling = fit_rows(fits, None, "notable", "rolling").filter(
        pl.col("metric").is_in([m.name for m in METRICS]) & (pl.col("status") == Status.OK)
    )
    if rolling.is_empty():
        page.missing("trends.fits rows with window_kind = 'rolling'")
        return
    data = rolling.select(
        pl.col("metric").replace_strict(LABELS, default=pl.col("metric")).alias("quantity"),
        "subset",
        *[pl.col(c).cast(pl.String) for c in ("window_start", "window_end")],
        "n",
        "growth_per_year",
        "growth_ci_low",
        "growth_ci_high",
    )
    chart = rolling_panels(
        data,
        [m.label for m in METRICS],
        "Growth per year in rolling windows, notable models",
        "Line: fitted growth per year in each 4-year window; band: 90% bootstrap CI; dashed: no growth",
    )
    page.chart(
        "rolling_growth",
        chart,
        rolling,
        "Each point is a fit over a 4-year window of notable models; a rising line means growth is "
        "accelerating. Windows with too few models are left out.",
    )


def tokens_section(ctx: PageContext, page: Page) -> None:
    """Training datapoints per parameter over time, with its fitted trend."""
    page.heading("Tokens per parameter", ident="tokens_per_parameter")
    data = model_points(ctx).filter(pl.col("tokens_per_parameter") > 0)
    data = data.select("model_name", "organization", "domain", "publication_date", "frontier", "tokens_per_parameter")
    scatter = log_scatter(
        data,
        x=alt.X("publication_date:T", title="Publication date"),
        y="tokens_per_parameter",
        y_axis=log_axis(data["tokens_per_parameter"], "Training datapoints per parameter (log scale)", step=2),
        tooltip=[*MODEL_TOOLTIP, ("tokens_per_parameter:Q", "Datapoints per parameter", ",.3~r")],
        color=FRONTIER,
        size=26,
    )
    fit = fit_rows(ctx.table("trends.fits"), "tokens_per_parameter", "notable", "full")
    title = alt.Title(
        "Tokens per parameter of notable models",
        subtitle="Chinchilla-optimal training is about 20 tokens per parameter; dashed: log-linear fit, band: 90% CI",
    )
    chart = with_fit(scatter, fit).properties(width=960, height=300, title=title)
    page.chart("tokens_per_parameter", chart, data, f"{data.height:,} notable models with both counts.")


BREAKPOINT_HEADER = ["Quantity", "Subset", "Kind", "n", "Break (90% CI)", "Growth/yr before (90% CI)"]
BREAKPOINT_HEADER += ["Growth/yr after (90% CI)", "ΔBIC vs one line", "Status"]


def breakpoint_rows(frame: pl.DataFrame) -> list[list[object]]:
    rows = []
    for r in frame.iter_rows(named=True):
        ok = r.get("status") == Status.OK

        def rate(stem: str, row: dict[str, object] = r) -> str:
            value, low, high = (row.get(f"growth_{stem}{s}") for s in ("_per_year", "_ci_low", "_ci_high"))
            return f"{factor(value)} ({ci(low, high, factor)})"

        month = {k: as_date(r.get(k))[:7] for k in ("break_date", "break_date_ci_low", "break_date_ci_high")}
        delta = r.get("delta_bic_vs_single_line")
        rows.append(
            [
                LABELS.get(r["metric"], r["metric"]),
                r["subset"],
                r.get("kind", ""),
                r.get("n"),
                f"{month['break_date']} ({month['break_date_ci_low']} to {month['break_date_ci_high']})" if ok else "",
                rate("before") if ok else "",
                rate("after") if ok else "",
                f"{delta:.0f}" if ok and delta is not None else "",
                status_text(r.get("status"), r.get("status_reason")),
            ]
        )
    return rows


def breakpoints_section(ctx: PageContext, page: Page) -> None:
    explain = (
        "One fitted breakpoint per series: the date where growth per year changes most, with the rates "
        "before and after ('continuous': the two lines meet; 'discontinuous': a jump is allowed). A ΔBIC "
        "below about −10 means two lines describe the data clearly better than one."
    )
    breakpoints = ctx.section(page, "Breakpoints", "trends.breakpoints", ident="breakpoints", explain=explain)
    if breakpoints is None:
        return
    page.table(BREAKPOINT_HEADER, breakpoint_rows(breakpoints), ident="breakpoints-table", numeric={3, 5, 6, 7})


FORECAST_HEADER = ["Target", "Extrapolated date", "Prediction interval", "Trend used", "Growth/yr", "Largest so far"]


def forecast_row(r: dict[str, object]) -> list[object]:
    """One extrapolation: the date, its interval, the trend it continues and the largest run so far."""
    ok = r.get("status") in (None, Status.OK) and r.get("predicted_date") is not None
    level = r.get("pi_level")
    interval = f"{as_date(r.get('pi_low_date'))[:7]} to {as_date(r.get('pi_high_date'))[:7]}"
    interval += f" ({level:.0%})" if isinstance(level, float) else ""
    window = window_label(r.get("basis_window_start"), r.get("basis_window_end")) if r.get("basis_window_start") else ""
    count = f"n = {r['n']}" if r.get("n") is not None else ""
    basis = ", ".join(str(v) for v in (r.get("basis_subset"), window, count) if v)
    largest = r.get("largest_so_far")
    amount = usd(largest) if r.get("target_metric") == "training_cost" else f"{sig(largest)} FLOP"
    when = as_date(r.get("largest_so_far_date"))[:7]
    return [
        r.get("target_label") or r.get("target_metric"),
        as_date(r["predicted_date"])[:7] if ok else status_text(r.get("status"), r.get("status_reason")) or "",
        interval if ok else "",
        basis or str(r.get("basis") or ""),
        factor(r.get("growth_per_year")) if r.get("growth_per_year") is not None else "",
        f"{r.get('largest_so_far_model') or ''} ({amount}, {when})" if largest is not None else "",
    ]


def forecasts_section(ctx: PageContext, page: Page) -> None:
    explain = (
        "Extrapolations of the fitted trends, not predictions: the date at which the largest training run "
        "would reach each threshold if the fitted growth simply continued, with prediction intervals."
    )
    forecasts = ctx.section(page, "Extrapolations", "trends.forecasts", ident="forecasts", explain=explain)
    if forecasts is None:
        return
    rows = [forecast_row(r) for r in forecasts.iter_rows(named=True)]
    page.table(FORECAST_HEADER, rows, ident="forecasts-table", numeric={4})


FITS_HEADER = ["Quantity", "Subset", "Window kind", "Window", "n", "Growth/yr", "90% CI", "Doubling (months)", "R²"]
FITS_HEADER.append("Status")


def fits_rows(fits: pl.DataFrame) -> list[list[object]]:
    rows = []
    for r in fits.sort(["metric", "subset", "window_kind", "window_start"]).iter_rows(named=True):
        ok = r["status"] == Status.OK
        falling = ok and r["slope_oom_per_year"] is not None and r["slope_oom_per_year"] < 0
        numbers = [
            factor(r["growth_per_year"]),
            ci(r["growth_ci_low"], r["growth_ci_high"], factor),
            f"{'halves' if falling else 'doubles'} in {months(r['doubling_months'])}",
            f"{r['r2']:.2f}" if r["r2"] is not None else "",
        ]
        label = LABELS.get(r["metric"], r["metric"])
        window = window_label(r["window_start"], r["window_end"])
        status = status_text(r["status"], r.get("status_reason"))
        rows.append([label, r["subset"], r["window_kind"], window, r["n"], *(numbers if ok else [""] * 4), status])
    return rows


def fits_section(ctx: PageContext, page: Page) -> None:
    fits = ctx.section(page, "Every fit", "trends.fits", ident="fits")
    if fits is None:
        return
    rows = fits_rows(fits.filter(pl.col("window_kind") != "rolling"))
    summary = f"Show all {len(rows)} full-window and era fits (rolling windows are in the CSV)"
    page.table(FITS_HEADER, rows, ident="fits-table", numeric={4, 5, 6, 7, 8}, collapsed=summary)
    page.download("all_fits", fits, "All rows of trends.fits, rolling windows included")


# the quantities over time (OWID's count of large-scale models by domain among them), then the fitted results
QUANTITY_SECTIONS = [metrics_section, rolling_section, tokens_section, large_scale_section]
SECTIONS = [*QUANTITY_SECTIONS, breakpoints_section, forecasts_section, fits_section]


def build(ctx: PageContext, title: str) -> Page:
    """The compute trends page: four quantities, rolling rates, tokens per parameter, breakpoints, forecasts."""
    return compose(ctx, title, INTRO, SECTIONS)
