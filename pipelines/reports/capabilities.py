"""The capability sections of the per-dollar page (and the index's headline rows): ECI and METR's time horizon per
year, per 10x compute and per 10x dollars with their fitted lines and breakpoint, the decomposition of a year of
progress, the literature's scaling laws beside the warehouse's multipliers, the pooled benchmark inversion and Ord's
scaling paradox with every number from the tables (its inference paragraph comes from `inference`).

Reads `trends.capability_trends`, `trends.capability_decomposition`, `trends.per_dollar_vs_per_year`,
`marts.scaling_laws` and `trends.fits`; the points come from the same selection the fits use
(`pipelines.trends.capabilities`: `marts.benchmark_scores`, with the benchmark file's compute and the model costs,
and `marts.models`). Every number shown carries its exact value in `data-value` with the keys of its row. The
sentences are the templates `capability_*.html.j2` and `per_dollar_explanation.html.j2`.
"""

from __future__ import annotations

import math
import statistics

import altair as alt
import numpy as np
import polars as pl

from pipelines.reports.builders import LOG, finite, log_axis, tooltips
from pipelines.reports.common import ci, pick_fit, sig
from pipelines.reports.context import PageContext
from pipelines.reports.page import Cell, Page, environment
from pipelines.trends import benchmarks, capabilities, inputs
from pipelines.trends.fits import date_from_decimal_year, decimal_year, decimal_year_of
from pipelines.trends.status import Status, status_text

TRENDS = "trends.capability_trends"
DECOMPOSITION = "trends.capability_decomposition"
PER_DOLLAR = "trends.per_dollar_vs_per_year"
LAWS = "marts.scaling_laws"
# What the panels read besides the trends: the index scores (with the benchmark file's compute), models, costs.
POINT_TABLES = ("marts.benchmark_scores", "marts.models")
TABLES = (TRENDS, DECOMPOSITION, PER_DOLLAR, LAWS, "trends.fits", *POINT_TABLES)

LABELS = {index.name: index.label for index in capabilities.INDICES}
SHORT_LABELS = {"eci": "ECI", "metr_time_horizons": "METR horizon"}
PRIMER_ALGORITHM_SHARE = 0.35  # the scaling primer (../shared/seeds), citing Ho et al. 2024
GREYED = "greyed"  # the class of a row that is visible but not a number to quote (style.css)
RECORDS = capabilities.RECORD_SETTING  # the subset of an index's per-year rows shown by default
FIT_SUBSETS = ("frontier_epoch", "frontier_top10", "notable")
SUBSET_WORDS = {
    "frontier_epoch": "frontier models",
    "frontier_top10": "the top-10 models by compute",
    "notable": "notable models",
}


def trend_row(trends: pl.DataFrame | None, index: str, measure: str, subset: str = RECORDS, basis: str | None = None):
    """The one row of (index, measure, subset, cost basis), or None."""
    if trends is None:
        return None
    rows = trends.filter(
        (pl.col("index") == index)
        & (pl.col("measure") == measure)
        & (pl.col("subset") == subset)
        & (pl.col("cost_basis").is_null() if basis is None else pl.col("cost_basis") == basis)
    )
    return rows.row(0, named=True) if rows.height else None


def ok_row(trends: pl.DataFrame | None, index: str, measure: str, subset: str = RECORDS, basis: str | None = None):
    """`trend_row` when its status is 'ok', else None."""
    row = trend_row(trends, index, measure, subset, basis)
    return row if row is not None and row["status"] == Status.OK else None


def value_cell(row: dict[str, object] | None, field: str, text: str, table: str = "capability_trends") -> Cell:
    """A number with the exact warehouse value and the keys of its row, for hover and the browser test."""
    if row is None:
        return Cell("–")
    attrs = {"data-table": table, "data-index": str(row.get("index", "")), "data-field": field}
    for key in ("measure", "subset", "cost_basis", "window_start"):
        if row.get(key) is not None:
            attrs[f"data-{key.replace('_', '-')}"] = str(row[key])
    value = row.get(field)
    if finite(value):
        attrs["data-value"] = repr(float(value))
    return Cell(text, attrs)


def pooled_cell(row: dict[str, object], stem: str, text: str) -> Cell:
    """A number of the pooled row, with the attributes the per-benchmark cells carry."""
    value = row.get(stem)
    attrs = {"data-benchmark": "pooled", "data-field": stem}
    return Cell(text, attrs | ({"data-value": repr(float(value))} if finite(value) else {}))


def grey(cells: list[object]) -> list[Cell]:
    """A row that is not 'ok', greyed: visible, but not a number to quote."""
    return [
        Cell(c.text, {**c.attrs, "class": GREYED}, c.title)
        if isinstance(c, Cell)
        else Cell("" if c is None else str(c), {"class": GREYED})
        for c in cells
    ]


def render(template: str, **values: object) -> str:
    """A fragment template on its own (for tests and reuse), as the page renders it."""
    return environment().get_template(template).render(values=values)


# -- the three panels of one index -------------------------------------------------------------------------------


def index_sources(ctx: PageContext) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """The index scores (both indices), the dated models and the model costs, read as the fits read them."""
    scores = ctx.read(capabilities.INDEX_SCORES_QUERY)
    models = ctx.read(inputs.MODELS_QUERY)
    costs = ctx.read(benchmarks.MODEL_COSTS_QUERY)
    return scores, models, costs


def panel_points(
    sources: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame], index: capabilities.CapabilityIndex
) -> pl.DataFrame:
    """Every dated version (per-year panel, records flagged) and every model with compute or cost, in index units."""
    all_scores, models, costs = sources
    scores = capabilities.index_scores(all_scores, index)
    versions = benchmarks.best_by_version(scores, models)
    records = benchmarks.record_points(versions)["base_version"].to_list()
    parts = [
        versions.select(
            pl.lit("per year").alias("panel"),
            "date",
            pl.lit(None, pl.Float64).alias("x"),
            pl.col("score").alias("y"),
            pl.when(pl.col("base_version").is_in(records))
            .then(pl.lit("record"))
            .otherwise(pl.lit("model"))
            .alias("kind"),
            pl.col("model_name").alias("model"),
        )
    ]
    per_model = capabilities.model_points(scores, models, costs)
    for panel, column in (("per 10x compute", "training_compute_flop"), ("per 10x dollars", "cost_usd_2023")):
        parts.append(
            per_model.filter(pl.col(column) > 0).select(
                pl.lit(panel).alias("panel"),
                pl.col("publication_date").alias("date"),
                pl.col(column).cast(pl.Float64).alias("x"),
                pl.col("score").alias("y"),
                pl.lit("model").alias("kind"),
                pl.col("model_name").alias("model"),
            )
        )
    return pl.concat(parts, how="vertical_relaxed")


def per_year_lines(points: pl.DataFrame, trends: pl.DataFrame, index: str) -> list[tuple]:
    """The line through the records and the continuous fit with one break (ends and hinge)."""
    records = points.filter((pl.col("panel") == "per year") & (pl.col("kind") == "record"))
    t = records.select(decimal_year(pl.col("date")))["date"].to_numpy()
    y = records["y"].to_numpy()
    if not t.size:
        return []
    lines = []
    line = ok_row(trends, index, "per_year")
    if line:
        lines += [
            ("per year", e, None, y.mean() + line["estimate"] * (e - t.mean()), "record fit")
            for e in (t.min(), t.max())
        ]
    before, after = ok_row(trends, index, "per_year_before_break"), ok_row(trends, index, "per_year_after_break")
    if before and after:
        tb = decimal_year_of(before["break_date"])
        hinge = before["estimate"] * np.minimum(t - tb, 0) + after["estimate"] * np.maximum(t - tb, 0)
        level = float((y - hinge).mean())  # the least-squares level given the fitted slopes and break
        for e in (t.min(), tb, t.max()):
            value = level + before["estimate"] * min(e - tb, 0) + after["estimate"] * max(e - tb, 0)
            lines.append(("per year", e, None, value, "fit with break"))
    return lines


def per_10x_lines(points: pl.DataFrame, trends: pl.DataFrame, index: str) -> list[tuple]:
    """The gain per 10x compute and per 10x dollars at a fixed date, drawn through the models' mean."""
    lines = []
    for panel, basis, measure in (
        ("per 10x compute", None, "per_10x_compute"),
        ("per 10x dollars", "imputed", "per_10x_cost"),
    ):
        row = ok_row(trends, index, measure, "all", basis)
        models = points.filter(pl.col("panel") == panel)
        if row and models.height:
            lx = np.log10(models["x"].to_numpy())
            for e in (lx.min(), lx.max()):
                lines.append((panel, None, 10**e, models["y"].mean() + row["estimate"] * (e - lx.mean()), "fit"))
    return lines


def fitted_lines(points: pl.DataFrame, trends: pl.DataFrame, index: str) -> pl.DataFrame:
    """Every fitted line of the three panels, as points of the chart's frame (`model` empty)."""
    lines = per_year_lines(points, trends, index) + per_10x_lines(points, trends, index)
    schema = {"panel": pl.String, "year": pl.Float64, "x": pl.Float64, "y": pl.Float64, "kind": pl.String}
    frame = pl.DataFrame(lines, schema=schema, orient="row")
    return frame.with_columns(
        pl.col("year").map_elements(date_from_decimal_year, return_dtype=pl.Date).alias("date"),
        pl.lit(None, pl.String).alias("model"),
    ).select("panel", "date", "x", "y", "kind", "model")


KIND_COLOURS = alt.Scale(
    domain=["model", "record", "record fit", "fit with break", "fit"],
    range=["#bbb", "#d62728", "#222", "#4c78a8", "#222"],
)
POINT_TIPS = [("model:N", "Model", None), ("date:T", "Released", None), ("value:Q", "Value", ".3~g")]


def per_year_panel(base: alt.Chart, y: alt.Y, colour: alt.Color, break_date: object) -> alt.LayerChart:
    """Versions by release date, the record fit dashed, the fit with a break solid and the break as a rule."""
    per_year = base.transform_filter("datum.panel == 'per year'")
    x = alt.X("date:T", title="Release date", axis=alt.Axis(format="%b %Y", labelOverlap="greedy"))
    dots = per_year.transform_filter("datum.layer == 'point'").mark_circle(size=30, opacity=0.8)
    lines = per_year.transform_filter("datum.layer == 'line'").mark_line(strokeWidth=2)
    dash = alt.condition("datum.kind == 'record fit'", alt.value([6, 3]), alt.value([1, 0]))
    layers = [
        dots.encode(x=x, y=y, color=colour, tooltip=tooltips(*POINT_TIPS)),
        lines.encode(x="date:T", y=y, color=colour, strokeDash=dash, detail="kind:N"),
    ]
    if break_date is not None:
        rule = alt.Chart(pl.DataFrame({"date": [str(break_date)]})).mark_rule(color="#4c78a8", strokeDash=[2, 2])
        layers.append(rule.encode(x="date:T"))
    return alt.layer(*layers).properties(title="Per year")


def per_10x_panel(base: alt.Chart, data: pl.DataFrame, panel: str, y: alt.Y, colour: alt.Color) -> alt.LayerChart:
    """Best value per model against training compute or dollars (log x, decade ticks), the slope dashed."""
    compute = panel == "per 10x compute"
    values = data.filter((pl.col("panel") == panel) & (pl.col("layer") == "point"))["x"]
    title = "Training compute (FLOP, log scale)" if compute else "Training cost (2023 USD, log scale)"
    x = alt.X("x:Q", scale=LOG, axis=log_axis(values, title, "power" if compute else "usd"))
    chart = base.transform_filter(f"datum.panel == '{panel}'")
    tips = tooltips(*POINT_TIPS, ("x:Q", "FLOP" if compute else "2023 USD", ".2~e"))
    dots = chart.transform_filter("datum.layer == 'point'").mark_circle(size=30, opacity=0.8)
    line = chart.transform_filter("datum.layer == 'line'").mark_line(strokeWidth=2, strokeDash=[6, 3])
    title_text = "Per 10x training compute" if compute else "Per 10x training dollars"
    return alt.layer(dots.encode(x=x, y=y, color=colour, tooltip=tips), line.encode(x=x, y=y, color=colour)).properties(
        title=title_text
    )


def panels_chart(data: pl.DataFrame, index: capabilities.CapabilityIndex, trends: pl.DataFrame) -> alt.HConcatChart:
    """Per year (records in colour, the record fit dashed, the fit with a break solid, the break as a rule), per
    10x compute and per 10x dollars (log x, the slope at a fixed date dashed)."""
    metr = index.unit == "doublings"
    y_title = "50% time horizon (minutes, log scale)" if metr else "ECI (points)"
    y = alt.Y("value:Q", title=y_title, scale=alt.Scale(type="log", base=2) if metr else alt.Scale(zero=False))
    base = alt.Chart(data).properties(width=255, height=240)
    colour = alt.Color("kind:N", title=None, scale=KIND_COLOURS)
    before = ok_row(trends, index.name, "per_year_before_break")
    panels = [per_year_panel(base, y, colour, before["break_date"] if before else None)]
    panels += [per_10x_panel(base, data, panel, y, colour) for panel in ("per 10x compute", "per 10x dollars")]
    return alt.hconcat(*panels).resolve_scale(color="shared")


def index_panels(ctx: PageContext, page: Page, trends: pl.DataFrame) -> None:
    """One chart per index: per year, per 10x compute, per 10x dollars."""
    sources = index_sources(ctx)
    for index in capabilities.INDICES:
        points = panel_points(sources, index)
        if points.is_empty():
            page.paragraph(f"No {LABELS[index.name]} values in marts.benchmark_scores yet.")
            continue
        lines = fitted_lines(points, trends, index.name).with_columns(pl.lit("line").alias("layer"))
        data = pl.concat([points.with_columns(pl.lit("point").alias("layer")), lines], how="vertical_relaxed")
        value = pl.col("y") if index.unit == "points" else 2 ** pl.col("y")
        data = data.with_columns(value.alias("value")).drop("y")
        page.chart(
            f"{index.name}_panels",
            panels_chart(data, index, trends),
            data,
            f"{LABELS[index.name]}. Left: every dated model version (red: record-setting releases); "
            "dashed, the line through the records; blue, the continuous fit with one break (the dotted rule). "
            "Middle and right: the best value per model against training compute and training cost (observed, else "
            "imputed), the dashed slope being the gain per 10x at a fixed release date, drawn through the models' "
            "mean.",
        )


# -- the capability tables -----------------------------------------------------------------------------------------

MEASURE_WORDS = {
    "per_year": "per year",
    "per_year_before_break": "per year, before the break",
    "per_year_after_break": "per year, after the break",
    "per_10x_compute": "per 10x training compute (fixed date)",
    "per_10x_cost": "per 10x training dollars (fixed date)",
    "rolling_per_year": "per year, 2-year window",
}
TRENDS_HEADER = ["Index", "Measure", "Subset", "Window", "n", "Estimate", "90% CI", "Doubling (months)"]
TRENDS_HEADER += ["Break date", "Status"]


def trends_table_rows(trends: pl.DataFrame) -> list[list[object]]:
    """One row per capability_trends row; rows not 'ok' greyed, the full status on hover."""
    rows = []
    for r in trends.iter_rows(named=True):
        estimate = f"{r['estimate']:+.3g} {r['unit']}" if finite(r["estimate"]) else "–"
        months = r.get("doubling_months")
        break_text = (
            f"{r['break_date']} ({r['break_date_ci_low']} to {r['break_date_ci_high']})" if r.get("break_date") else ""
        )
        cells = [
            SHORT_LABELS[r["index"]],
            MEASURE_WORDS[r["measure"]] + (f", {r['cost_basis']} cost" if r.get("cost_basis") else ""),
            r["subset"],
            f"{r['window_start']:%Y-%m} to {r['window_end']:%Y-%m}" if r["window_start"] else "",
            value_cell(r, "n", str(r["n"])),
            value_cell(r, "estimate", estimate),
            f"{r['ci_low']:.3g} to {r['ci_high']:.3g}" if finite(r["ci_low"]) and finite(r["ci_high"]) else "–",
            value_cell(r, "doubling_months", f"{months:.1f}" if finite(months) else ""),
            break_text,
            Cell(
                r["status"],
                title="; ".join(p for p in (status_text(r["status"], r.get("status_reason")), r["note"]) if p),
            ),
        ]
        rows.append(cells if r["status"] == Status.OK else grey(cells))
    return rows


def decomposition_values(decomposition: pl.DataFrame, trends: pl.DataFrame) -> list[dict[str, object]]:
    """Per index: the decomposition's numbers (each a Cell with its exact value) and CIs as text, or its status."""
    items: list[dict[str, object]] = []
    for r in decomposition.iter_rows(named=True):
        per_year = trend_row(trends, r["index"], "per_year")
        per_10x = trend_row(trends, r["index"], "per_10x_compute", "all")
        item: dict[str, object] = {
            "label": LABELS[r["index"]],
            "status": status_text(r["status"], r.get("status_reason")),
        }
        items.append(item)
        if r["status"] != Status.OK or per_year is None or per_10x is None:
            continue

        def number(field: str, text: str, row: dict = r) -> Cell:
            return value_cell(row, field, text, "capability_decomposition")

        item.update(
            status=None,
            per_year=value_cell(per_year, "estimate", sig(per_year["estimate"], 3)),
            unit=per_year["unit"],
            per_10x=value_cell(per_10x, "estimate", sig(per_10x["estimate"], 3)),
            multiplier=number(
                "compute_equivalent_multiplier_per_year", "×" + sig(r["compute_equivalent_multiplier_per_year"])
            ),
            multiplier_ci=(sig(r["ci_low"]), sig(r["ci_high"])),
            growth=number("frontier_compute_growth_per_year", "×" + sig(r["frontier_compute_growth_per_year"])),
            share=number("share_explained_by_compute", f"{r['share_explained_by_compute']:.0%}"),
            share_ci=(f"{r['share_ci_low']:.0%}", f"{r['share_ci_high']:.0%}"),
            other=f"{1 - r['share_explained_by_compute']:.0%}",
            residual=number("residual_multiplier_per_year", "×" + sig(r["residual_multiplier_per_year"])),
            residual_ci=(sig(r["residual_ci_low"]), sig(r["residual_ci_high"])),
        )
    return items


# -- the literature beside the warehouse ---------------------------------------------------------------------------

LITERATURE_HEADER = ["Source", "Resource", "Halves (or doubles)", "Multiplier", "90% CI", "Doublings", "n", "Reference"]


def literature_rows(
    laws: pl.DataFrame | None,
    table: pl.DataFrame | None,
    trends: pl.DataFrame | None,
    decomposition: pl.DataFrame | None,
) -> list[list[object]]:
    """The literature's multipliers to halve the reducible loss, then the ones this warehouse measures."""
    return _law_rows(laws) + _benchmark_rows(table) + _index_rows(trends, decomposition)


def _law_rows(laws: pl.DataFrame | None) -> list[list[object]]:
    rows: list[list[object]] = []
    for r in laws.iter_rows(named=True) if laws is not None else []:
        m = r["multiplier_to_halve_reducible_loss"]
        multiplier = f"×{sig(m, 3)}" if finite(m) else f"{sig(r['value'])} {r['value_unit']}"
        doublings = r["doublings_to_halve_reducible_loss"]
        rows.append(
            [
                r["source"],
                r["resource"],
                "the reducible loss" if finite(m) else "(a ratio)",
                Cell(multiplier, {"data-law": r["law_id"]}),
                "",
                f"{doublings:.1f}" if finite(doublings) else "",
                "",
                Cell(r["citation"], title=r["note"]),
            ]
        )
    return rows


def measured_row(
    source: str, resource: str, halves: str, m: float | None, cell: Cell | str, interval: str, n: object, table: str
) -> list[object]:
    """A row of a multiplier `m` this warehouse measures, shown as `cell`, with its doublings."""
    doublings = f"{math.log2(m):.1f}" if finite(m) and m > 0 else ""
    return [source, resource, halves, cell, interval, doublings, n, table]


def identified(table: pl.DataFrame) -> pl.DataFrame:
    """Per-benchmark rows that may enter a summary: status ok, both halvings finite; never the pooled row."""
    return table.filter(
        (pl.col("benchmark") != "pooled")
        & (pl.col("status") == Status.OK)
        & pl.col("compute_multiplier_to_halve_error").is_finite()
        & pl.col("years_to_halve_error").is_finite()
    )


def pooled_row(table: pl.DataFrame | None) -> dict[str, object] | None:
    rows = table.filter(pl.col("benchmark") == "pooled") if table is not None else None
    return rows.row(0, named=True) if rows is not None and rows.height else None


def _benchmark_rows(table: pl.DataFrame | None) -> list[list[object]]:
    """The pooled multipliers (compute, dollars) and the median over identified benchmarks."""
    p = pooled_row(table)
    if p is None:
        return []
    rows: list[list[object]] = []
    source, halves = "This warehouse: pooled benchmarks", "the error below each benchmark's ceiling"
    for stem, resource, n in (
        ("compute_multiplier_to_halve_error", "compute", "n_models"),
        ("dollar_multiplier_to_halve_error", "dollars", "n_models_cost"),
    ):
        m = p.get(stem)
        cell = pooled_cell(p, stem, f"×{sig(m)}" if finite(m) else "–")
        interval = ci(p.get(f"{stem}_ci_low"), p.get(f"{stem}_ci_high"), sig)
        cells = measured_row(source, resource, halves, m, cell, interval, p.get(n), PER_DOLLAR)
        rows.append(cells if p["status"] == Status.OK else grey(cells))
    ok = identified(table)
    if ok.height:
        med = statistics.median(ok["compute_multiplier_to_halve_error"].to_list())
        source = "This warehouse: median of identified benchmarks"
        rows.append(
            measured_row(
                source, "compute", "the error 1 − score", med, f"×{sig(med)}", "", f"{ok.height} benchmarks", PER_DOLLAR
            )
        )
    return rows


def _index_rows(trends: pl.DataFrame | None, decomposition: pl.DataFrame | None) -> list[list[object]]:
    """METR: compute to double the horizon at a fixed date; ECI: compute one year of record-setting progress equals."""
    rows: list[list[object]] = []
    r = ok_row(trends, "metr_time_horizons", "per_10x_compute", "all")
    if r:
        m = 10 ** (1 / r["estimate"])
        interval = ci(10 ** (1 / r["ci_high"]), 10 ** (1 / r["ci_low"]), sig)
        source, halves = "This warehouse: METR time horizon", "doubles the 50% time horizon (fixed date)"
        rows.append(measured_row(source, "compute", halves, m, f"×{sig(m)}", interval, r["n"], TRENDS))
    for r in (
        decomposition.filter(pl.col("status") == Status.OK).iter_rows(named=True) if decomposition is not None else []
    ):
        m = r["compute_equivalent_multiplier_per_year"]
        cell = value_cell(r, "compute_equivalent_multiplier_per_year", f"×{sig(m)}", "capability_decomposition")
        source, halves = f"This warehouse: {LABELS[r['index']]}", "equals one year of record-setting progress"
        interval = ci(r["ci_low"], r["ci_high"], sig)
        rows.append(measured_row(source, "compute", halves, m, cell, interval, r["n_compute"], DECOMPOSITION))
    return rows


# -- the pooled inversion and the paradox, in words ----------------------------------------------------------------


def pooled_values(table: pl.DataFrame) -> dict[str, object] | None:
    """The pooled row's numbers (Cells) with their CIs as text, and the median over identified benchmarks."""
    p = pooled_row(table)
    if p is None:
        return None

    def triple(stem: str, fmt, prefix: str = "×") -> dict[str, object]:
        low, high = p.get(f"{stem}_ci_low"), p.get(f"{stem}_ci_high")
        bounds = f"{prefix}{fmt(low)}–{prefix}{fmt(high)}" if finite(low) and finite(high) else None
        return {"value": pooled_cell(p, stem, f"{prefix}{fmt(p.get(stem))}"), "ci": bounds}

    ok = identified(table)
    return {
        "n_models": p["n_models"],
        "n_records": p["n_record_points"],
        "cost_basis": str(p["cost_basis"]),
        "status": None if p["status"] == Status.OK else status_text(p["status"], p.get("status_reason")),
        "compute": triple("compute_multiplier_to_halve_error", sig),
        "dollars": triple("dollar_multiplier_to_halve_error", sig),
        "years": triple("years_to_halve_error", lambda v: f"{v:.2f}", ""),
        "k": ok.height,
        "med_c": sig(statistics.median(ok["compute_multiplier_to_halve_error"].to_list())) if ok.height else None,
        "med_y": f"{statistics.median(ok['years_to_halve_error'].to_list()):.2f}" if ok.height else None,
        "unidentified": table.filter(pl.col("status") == Status.NOT_IDENTIFIED).height,
    }


def pooled_html(table: pl.DataFrame) -> str:
    """The pooled inversion on its own (for tests and reuse)."""
    return render("capability_pooled.html.j2", p=pooled_values(table))


def law(laws: pl.DataFrame | None, law_id: str) -> dict[str, object] | None:
    rows = laws.filter(pl.col("law_id") == law_id) if laws is not None else None
    return rows.row(0, named=True) if rows is not None and rows.height else None


def paradox_values(
    table: pl.DataFrame, compute_fit: dict | None, trends: pl.DataFrame | None, laws: pl.DataFrame | None
) -> dict[str, object]:
    """Every number Ord's scaling paradox is told with, from the tables on this page."""
    p = pooled_row(table) or {}
    ok = identified(table)
    med_y = statistics.median(ok["years_to_halve_error"].to_list()) if ok.height else None
    med_c = statistics.median(ok["compute_multiplier_to_halve_error"].to_list()) if ok.height else None
    eci, metr = ok_row(trends, "eci", "per_year"), ok_row(trends, "metr_time_horizons", "per_year")
    kaplan, chinchilla = law(laws, "kaplan2020_compute"), law(laws, "hoffmann2022_compute")
    ord_ = law(laws, "ord2025_compute")
    years, multiplier = p.get("years_to_halve_error"), p.get("compute_multiplier_to_halve_error")
    return {
        "years": pooled_cell(p, "years_to_halve_error", f"{years:.2f}") if finite(years) else None,
        "compute": pooled_cell(p, "compute_multiplier_to_halve_error", f"×{sig(multiplier)}")
        if finite(multiplier)
        else None,
        "k": ok.height,
        "med_y": None if med_y is None else {"value": repr(med_y), "text": f"{med_y:.1f}"},
        "med_c": None if med_c is None else {"value": repr(med_c), "text": sig(med_c)},
        "eci": value_cell(eci, "estimate", sig(eci["estimate"], 3)) if eci else None,
        "metr": value_cell(metr, "doubling_months", format(metr["doubling_months"], ".1f")) if metr else None,
        "laws": None
        if not (kaplan and chinchilla)
        else {
            "kaplan": sig(kaplan["multiplier_to_halve_reducible_loss"]),
            "kaplan_doublings": f"{kaplan['doublings_to_halve_reducible_loss']:.0f}",
            "chinchilla": sig(chinchilla["multiplier_to_halve_reducible_loss"]),
            "ord": f"{ord_['doublings_to_halve_reducible_loss']:.0f}" if ord_ else None,
        },
        "growth": growth_values(years, multiplier, compute_fit),
    }


def growth_values(years: object, multiplier: object, compute_fit: dict | None) -> dict[str, str] | None:
    """Compute growth over the years one halving took, against the pooled multiplier a halving needs."""
    if compute_fit is None or not (finite(years) and finite(multiplier) and multiplier > 1):
        return None
    grown = compute_fit["growth_per_year"] ** years
    return {
        "subset": SUBSET_WORDS.get(str(compute_fit.get("subset")), "frontier models"),
        "growth": sig(compute_fit["growth_per_year"]),
        "ci": (sig(compute_fit["growth_ci_low"]), sig(compute_fit["growth_ci_high"])),
        "years": f"{years:.2f}",
        "grown": sig(grown),
        "halvings": f"{math.log(grown) / math.log(multiplier):.1f}",
    }


def paradox_html(
    table: pl.DataFrame,
    compute_fit: dict | None,
    trends: pl.DataFrame | None,
    laws: pl.DataFrame | None,
    test_time: dict[str, object] | None = None,
) -> str:
    """Ord's scaling paradox rendered on its own (for tests and reuse); `test_time` is the inference paragraph's
    values (`inference.paradox_values`)."""
    return render("per_dollar_explanation.html.j2", e=paradox_values(table, compute_fit, trends, laws), t=test_time)


# -- sections (in page order) --------------------------------------------------------------------------------------


def capabilities_section(ctx: PageContext, page: Page) -> None:
    """ECI and METR panels, then their table and the rolling windows."""
    trends = ctx.section(
        page, "Capabilities that do not saturate: ECI and METR's time horizon", TRENDS, ident="capabilities"
    )
    if trends is None:
        return
    index_panels(ctx, page, trends)
    main = trends.filter(pl.col("measure") != "rolling_per_year")
    page.table(TRENDS_HEADER, trends_table_rows(main), ident="capability-table", numeric={4, 5, 6, 7})
    rolling = trends.filter(pl.col("measure") == "rolling_per_year")
    collapsed = f"Rolling 2-year windows ({rolling.height} rows)"
    page.table(
        TRENDS_HEADER, trends_table_rows(rolling), ident="capability-rolling", numeric={4, 5, 6, 7}, collapsed=collapsed
    )


def decomposition_section(ctx: PageContext, page: Page) -> None:
    """The decomposition sentence per index beside the primer's ~35% for algorithms."""
    decomposition = ctx.section(page, "What one year of progress is worth", DECOMPOSITION, ident="decomposition")
    trends = ctx.table(TRENDS)
    if decomposition is None:
        return
    if trends is None:
        page.missing(TRENDS)
        return
    page.fragment(
        "capability_decomposition.html.j2",
        indices=decomposition_values(decomposition, trends),
        primer=f"{PRIMER_ALGORITHM_SHARE:.0%}",
    )


def literature_section(ctx: PageContext, page: Page) -> None:
    """The literature's multipliers to halve the loss beside those this warehouse measures."""
    laws = ctx.section(page, "The scaling laws of the literature beside this warehouse", LAWS, ident="literature")
    rows = literature_rows(laws, ctx.table(PER_DOLLAR), ctx.table(TRENDS), ctx.table(DECOMPOSITION))
    page.table(LITERATURE_HEADER, rows, ident="literature-table", numeric={3, 4, 5, 6})


def pooled_section(ctx: PageContext, page: Page) -> None:
    """The pooled benchmark inversion: the headline multipliers, the median as the secondary figure."""
    table = ctx.section(page, "The pooled benchmark inversion", PER_DOLLAR, ident="pooled")
    if table is not None:
        page.fragment("capability_pooled.html.j2", p=pooled_values(table))


def paradox_section(ctx: PageContext, page: Page, test_time: dict[str, object] | None = None) -> None:
    """The scaling paradox in words, every number from the tables; `test_time` adds the inference paragraph."""
    table = ctx.section(page, "The scaling paradox, in this data", PER_DOLLAR, ident="paradox")
    if table is None:
        return
    compute_fit = pick_fit(ctx.table("trends.fits"), "training_compute", FIT_SUBSETS, ("full",), ok_only=True)
    e = paradox_values(table, compute_fit, ctx.table(TRENDS), ctx.table(LAWS))
    page.fragment("per_dollar_explanation.html.j2", e=e, t=test_time)


SECTIONS = [capabilities_section, decomposition_section, literature_section, pooled_section]


# -- the index's headline rows -------------------------------------------------------------------------------------


def capability_headline_rows(ctx: PageContext) -> list[list[object]]:
    """ECI and METR rows in the index's headline table shape (quantity, subset, window, n, rate, CI, doubling, CI,
    R²); none while the table is missing."""
    trends = ctx.table(TRENDS)
    rows: list[list[object]] = []
    for index in capabilities.INDICES:
        r = trend_row(trends, index.name, "per_year")
        if r is None:
            continue
        base = [LABELS[index.name], "record-setting releases"]
        base += [f"{r['window_start']:%Y-%m} to {r['window_end']:%Y-%m}", value_cell(r, "n", str(r["n"]))]
        if r["status"] != Status.OK:
            rows.append([*base, Cell(str(status_text(r["status"], r.get("status_reason")))), "", "", "", ""])
            continue
        months = r.get("doubling_months")
        rows.append(
            [
                *base,
                value_cell(r, "estimate", f"+{sig(r['estimate'], 3)} {r['unit']}/yr"),
                ci(r["ci_low"], r["ci_high"], lambda v: sig(v, 3)),
                value_cell(r, "doubling_months", f"doubles every {months:.1f}" if finite(months) else "–"),
                ci(r.get("doubling_months_ci_low"), r.get("doubling_months_ci_high"), lambda v: f"{v:.1f}"),
                f"{r['r2']:.2f}" if finite(r["r2"]) else "",
            ]
        )
    return rows
