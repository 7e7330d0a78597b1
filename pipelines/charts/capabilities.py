"""The capability panels of the per-dollar page (and the index's headline rows): ECI and METR's time horizon per
year, per 10x compute and per 10x dollars with their fitted lines and breakpoint, the decomposition of a year of
progress, the literature's scaling laws beside the warehouse's multipliers, and the pooled benchmark inversion.

Reads `trends.capability_trends`, `trends.capability_decomposition`, `trends.per_dollar_vs_per_year` and
`marts.scaling_laws`; the points come from the same selection the fits use (`pipelines.trends.capabilities`).
Every number shown carries its exact value in `data-value` with the row it came from.
"""

from __future__ import annotations

import html
import math
import statistics

import altair as alt
import duckdb
import numpy as np
import polars as pl

from pipelines.charts.common import USD_LABEL, chart_frame, ci, finite, has_table, read, sig
from pipelines.charts.page import Cell, Page
from pipelines.fits import date_from_decimal_year, decimal_year, decimal_year_of
from pipelines.trends import benchmarks, capabilities, inputs

TABLES = (
    "trends.capability_trends",
    "trends.capability_decomposition",
    "trends.per_dollar_vs_per_year",
    "marts.scaling_laws",
)
LABELS = {"eci": "Epoch Capabilities Index", "metr_time_horizon": "METR 50% time horizon"}
SHORT_LABELS = {"eci": "ECI", "metr_time_horizon": "METR horizon"}
UNIT_WORDS = {"points": "points", "doublings": "doublings"}
PRIMER_ALGORITHM_SHARE = 0.35  # the scaling primer (../shared/seeds), citing Ho et al. 2024
GREY = "color: #999"


def table_or_none(con: duckdb.DuckDBPyConnection, qualified: str) -> pl.DataFrame | None:
    return read(con, f"select * from {qualified}") if has_table(con, qualified) else None


def trend_row(trends: pl.DataFrame, index: str, measure: str, subset: str = "frontier", basis: str | None = None):
    """The one row of (index, measure, subset, cost basis), or None."""
    rows = trends.filter(
        (pl.col("index") == index)
        & (pl.col("measure") == measure)
        & (pl.col("subset") == subset)
        & (pl.col("cost_basis").is_null() if basis is None else pl.col("cost_basis") == basis)
    )
    return rows.row(0, named=True) if rows.height else None


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


def span(row: dict[str, object] | None, field: str, text: str, table: str = "capability_trends") -> str:
    """`value_cell` as inline HTML for sentences."""
    cell = value_cell(row, field, text, table)
    attrs = "".join(f' {k}="{html.escape(v)}"' for k, v in cell.attrs.items())
    return f"<span{attrs}>{html.escape(cell.text)}</span>"


# -- the three panels of one index -------------------------------------------------------------------------------


def panel_points(con: duckdb.DuckDBPyConnection, index: capabilities.CapabilityIndex) -> pl.DataFrame:
    """Every dated version (per-year panel, records flagged) and every model with compute or cost, in index units."""
    scores = capabilities.index_scores(capabilities.load_index_scores(con), index)
    models = inputs.load_models(con)
    costs = benchmarks.load_model_costs(con) if has_table(con, "trends.model_costs") else None
    versions = benchmarks.best_by_version(scores, models)
    records = set(benchmarks.frontier_points(versions)["base_version"].to_list())
    dated = versions.select(
        pl.lit("per year").alias("panel"),
        "date",
        pl.lit(None, pl.Float64).alias("x"),
        pl.col("score").alias("y"),
        pl.when(pl.col("base_version").is_in(list(records)))
        .then(pl.lit("record"))
        .otherwise(pl.lit("model"))
        .alias("kind"),
        pl.col("model_name").alias("model"),
    )
    if costs is None:
        costs = pl.DataFrame(
            schema=dict.fromkeys(
                ("model_key", "observed_cost_usd_2023", "imputed_cost_usd_2023", "cost_usd_2023"), pl.Float64
            )
            | {"model_key": pl.String, "is_imputed": pl.Boolean}
        )
    per_model = capabilities.model_points(scores, models, costs)
    parts = [dated]
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


def fitted_lines(points: pl.DataFrame, trends: pl.DataFrame, index: str) -> pl.DataFrame:
    """The fitted lines: the frontier's per-year line, the hinge at the break, and the per-10x slopes (at a fixed
    date) drawn through the models' mean, each between its data's ends."""
    lines = []
    records = points.filter((pl.col("panel") == "per year") & (pl.col("kind") == "record"))
    t = records.select(decimal_year(pl.col("date")))["date"].to_numpy()
    y = records["y"].to_numpy()
    line = trend_row(trends, index, "per_year")
    before, after = trend_row(trends, index, "per_year_before_break"), trend_row(trends, index, "per_year_after_break")
    if line and line["status"] == "ok" and t.size:
        ends = np.array([t.min(), t.max()])
        lines += [("per year", e, None, y.mean() + line["estimate"] * (e - t.mean()), "frontier fit") for e in ends]
    if before and after and before["status"] == after["status"] == "ok" and t.size:
        tb = decimal_year_of(before["break_date"])
        hinge = before["estimate"] * np.minimum(t - tb, 0) + after["estimate"] * np.maximum(t - tb, 0)
        level = float((y - hinge).mean())  # the least-squares level given the fitted slopes and break
        for e in (t.min(), tb, t.max()):
            value = level + before["estimate"] * min(e - tb, 0) + after["estimate"] * max(e - tb, 0)
            lines.append(("per year", e, None, value, "fit with break"))
    for panel, basis, measure in (
        ("per 10x compute", None, "per_10x_compute"),
        ("per 10x dollars", "imputed", "per_10x_cost"),
    ):
        row = trend_row(trends, index, measure, "all", basis)
        models = points.filter(pl.col("panel") == panel)
        if row and row["status"] == "ok" and models.height:
            lx = np.log10(models["x"].to_numpy())
            for e in (lx.min(), lx.max()):
                lines.append((panel, None, 10**e, models["y"].mean() + row["estimate"] * (e - lx.mean()), "fit"))
    frame = pl.DataFrame(lines, schema=["panel", "year", "x", "y", "kind"], orient="row")
    return frame.with_columns(
        pl.col("year").map_elements(_date_of, return_dtype=pl.Date).alias("date"),
        pl.lit(None, pl.String).alias("model"),
    ).select("panel", "date", "x", "y", "kind", "model")


def _date_of(year: float) -> object:
    return date_from_decimal_year(year)


def per_year_panel(base: alt.Chart, y: alt.Y, color: alt.Color, tooltip: list, break_date: object) -> alt.LayerChart:
    """Versions by release date, the frontier fit dashed, the fit with a break solid and the break as a rule."""
    per_year = base.transform_filter("datum.panel == 'per year'")
    dots = (
        per_year.transform_filter("datum.layer == 'point'")
        .mark_circle(size=30, opacity=0.8)
        .encode(x=alt.X("date:T", title="Release date"), y=y, color=color, tooltip=tooltip)
    )
    lines = (
        per_year.transform_filter("datum.layer == 'line'")
        .mark_line(strokeWidth=2)
        .encode(
            x="date:T",
            y=y,
            color=color,
            strokeDash=alt.condition("datum.kind == 'frontier fit'", alt.value([6, 3]), alt.value([1, 0])),
            detail="kind:N",
        )
    )
    layers = [dots, lines]
    if break_date is not None:
        rule = alt.Chart(pl.DataFrame({"date": [str(break_date)]})).mark_rule(color="#4c78a8", strokeDash=[2, 2])
        layers.append(rule.encode(x="date:T"))
    return alt.layer(*layers).properties(title="Per year")


def panels_chart(data: pl.DataFrame, index: capabilities.CapabilityIndex, trends: pl.DataFrame) -> alt.HConcatChart:
    """Per year (records in colour, the frontier fit dashed, the fit with a break solid, the break as a rule), per
    10x compute and per 10x dollars (log x, the slope at a fixed date dashed)."""
    metr = index.unit == "doublings"
    y_title = "50% time horizon (minutes, log scale)" if metr else "ECI (points)"
    y = alt.Y("value:Q", title=y_title, scale=alt.Scale(type="log", base=2) if metr else alt.Scale(zero=False))
    base = alt.Chart(chart_frame(data)).properties(width=255, height=240)
    tooltip = ["model:N", "date:T", alt.Tooltip("value:Q", format=".3~g")]
    color = alt.Color(
        "kind:N",
        title=None,
        scale=alt.Scale(
            domain=["model", "record", "frontier fit", "fit with break", "fit"],
            range=["#bbb", "#d62728", "#222", "#4c78a8", "#222"],
        ),
    )
    before = trend_row(trends, index.name, "per_year_before_break")
    break_date = before["break_date"] if before and before["status"] == "ok" else None
    panels = [per_year_panel(base, y, color, tooltip, break_date)]
    for panel, title, axis in (
        ("per 10x compute", "Per 10x training compute", alt.Axis(title="Training compute (FLOP)", format="~e")),
        (
            "per 10x dollars",
            "Per 10x training dollars",
            alt.Axis(title="Training cost (2023 USD)", labelExpr=USD_LABEL),
        ),
    ):
        chart = base.transform_filter(f"datum.panel == '{panel}'")
        x = alt.X("x:Q", scale=alt.Scale(type="log"), axis=axis)
        panels.append(
            alt.layer(
                chart.transform_filter("datum.layer == 'point'")
                .mark_circle(size=30, opacity=0.8)
                .encode(x=x, y=y, color=color, tooltip=[*tooltip, alt.Tooltip("x:Q", format=".2~e")]),
                chart.transform_filter("datum.layer == 'line'")
                .mark_line(strokeWidth=2, strokeDash=[6, 3])
                .encode(x=x, y=y, color=color),
            ).properties(title=title)
        )
    return alt.hconcat(*panels).resolve_scale(color="shared")


def index_panels(page: Page, con: duckdb.DuckDBPyConnection, trends: pl.DataFrame) -> None:
    """One chart per index: per year, per 10x compute, per 10x dollars."""
    for index in capabilities.INDICES:
        points = panel_points(con, index)
        if points.is_empty():
            page.paragraph(f"No {LABELS[index.name]} values in tidy.scores yet.")
            continue
        lines = fitted_lines(points, trends, index.name).with_columns(pl.lit("line").alias("layer"))
        data = pl.concat([points.with_columns(pl.lit("point").alias("layer")), lines], how="vertical_relaxed")
        value = pl.col("y") if index.unit == "points" else 2 ** pl.col("y")
        data = data.with_columns(value.alias("value")).drop("y")
        page.chart(
            f"{index.name}_panels",
            panels_chart(data, index, trends),
            data,
            f"{LABELS[index.name]}. Left: every dated model version (red: record-setting releases, the frontier); "
            "dashed, the line through the records; blue, the continuous fit with one break (the dotted rule). "
            "Middle and right: the best value per model against training compute and training cost (observed, else "
            "imputed), the dashed slope being the gain per 10x at a fixed release date, drawn through the models' "
            "mean.",
        )


# -- tables and sentences ------------------------------------------------------------------------------------------

MEASURE_WORDS = {
    "per_year": "per year",
    "per_year_before_break": "per year, before the break",
    "per_year_after_break": "per year, after the break",
    "per_10x_compute": "per 10x training compute (fixed date)",
    "per_10x_cost": "per 10x training dollars (fixed date)",
    "rolling_per_year": "per year, 2-year window",
}
TRENDS_HEADER = [
    "Index",
    "Measure",
    "Subset",
    "Window",
    "n",
    "Estimate",
    "90% CI",
    "Doubling (months)",
    "Break date",
    "Status",
]


def grey(cells: list[object]) -> list[Cell]:
    """A row that is not 'ok', greyed: visible, but not a number to quote."""
    return [
        Cell(c.text, {**c.attrs, "style": GREY}, c.title)
        if isinstance(c, Cell)
        else Cell("" if c is None else str(c), {"style": GREY})
        for c in cells
    ]


def trends_table_rows(trends: pl.DataFrame) -> list[list[object]]:
    rows = []
    for r in trends.iter_rows(named=True):
        unit = UNIT_WORDS[r["unit"]]
        estimate = f"{r['estimate']:+.3g} {unit}" if finite(r["estimate"]) else "–"
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
            Cell(str(r["status"]).split(":", 1)[0], title=str(r["status"]) + (f"; {r['note']}" if r["note"] else "")),
        ]
        rows.append(cells if r["status"] == "ok" else grey(cells))
    return rows


def decomposition_html(decomposition: pl.DataFrame, trends: pl.DataFrame) -> str:
    """The decomposition sentence per index, its numbers and CIs, beside the primer's ~35% for algorithms."""
    parts = []
    for r in decomposition.iter_rows(named=True):
        label = LABELS[r["index"]]
        per_year = trend_row(trends, r["index"], "per_year")
        per_10x = trend_row(trends, r["index"], "per_10x_compute", "all")
        if r["status"] != "ok" or per_year is None or per_10x is None:
            parts.append(f"<p>{html.escape(label)}: the decomposition is {html.escape(str(r['status']))}.</p>")
            continue

        def number(field: str, prefix: str = "×", row: dict = r) -> str:
            return span(row, field, prefix + sig(row[field]), "capability_decomposition")

        share = span(
            r, "share_explained_by_compute", f"{r['share_explained_by_compute']:.0%}", "capability_decomposition"
        )
        parts.append(
            f"<p><strong>{html.escape(label)}.</strong> The frontier gained "
            f"{span(per_year, 'estimate', sig(per_year['estimate'], 3))} {per_year['unit']} a year and models gain "
            f"{span(per_10x, 'estimate', sig(per_10x['estimate'], 3))} per 10x training compute at a fixed date, so "
            f"one year of frontier progress equals {number('compute_equivalent_multiplier_per_year')} training compute "
            f"(90% CI ×{sig(r['ci_low'])}–×{sig(r['ci_high'])}). Frontier compute actually grew "
            f"{number('frontier_compute_growth_per_year')} a year, which explains {share} of the progress (90% CI "
            f"{r['share_ci_low']:.0%}–{r['share_ci_high']:.0%}); the other {1 - r['share_explained_by_compute']:.0%}, "
            f"a factor of {number('residual_multiplier_per_year')} a year (90% CI ×{sig(r['residual_ci_low'])}–"
            f"×{sig(r['residual_ci_high'])}), came from algorithms, data and post-training. The scaling primer "
            f"credits algorithms with about {PRIMER_ALGORITHM_SHARE:.0%} of gains (Ho et al. 2024); Ho, Denain et "
            "al. 2025 put capability-equivalent algorithmic progress at about ×5.8 a year (90% CI 4.2–8.1).</p>"
        )
    return '<div class="explain" id="decomposition-text">' + "".join(parts) + "</div>"


def pooled_cell(row: dict[str, object], stem: str, text: str) -> str:
    """A number of the pooled row, with the attributes the per-benchmark cells carry."""
    value = row.get(stem)
    attrs = f' data-benchmark="pooled" data-field="{stem}"'
    if finite(value):
        attrs += f' data-value="{float(value)!r}"'
    return f"<span{attrs}>{html.escape(text)}</span>"


def identified(table: pl.DataFrame) -> pl.DataFrame:
    """Per-benchmark rows that may enter a summary: status ok, both halvings finite; never the pooled row."""
    return table.filter(
        (pl.col("benchmark") != "pooled")
        & (pl.col("status") == "ok")
        & pl.col("compute_multiplier_to_halve_error").is_finite()
        & pl.col("years_to_halve_error").is_finite()
    )


def pooled_html(table: pl.DataFrame) -> str:
    """The pooled inversion as the headline, the median over identified benchmarks as the secondary figure."""
    pooled = table.filter(pl.col("benchmark") == "pooled")
    if pooled.is_empty():
        return "<p>No pooled row in trends.per_dollar_vs_per_year yet.</p>"
    p = pooled.row(0, named=True)
    ok = identified(table)
    unidentified = table.filter(pl.col("status").str.starts_with("not identified")).height

    def triple(stem: str, fmt, prefix: str = "×") -> str:
        low, high = p.get(f"{stem}_ci_low"), p.get(f"{stem}_ci_high")
        bounds = f" (90% CI {prefix}{fmt(low)}–{prefix}{fmt(high)})" if finite(low) and finite(high) else ""
        return pooled_cell(p, stem, f"{prefix}{fmt(p.get(stem))}") + bounds

    status = "" if p["status"] == "ok" else f" <em>Status: {html.escape(str(p['status']))}.</em>"
    text = (
        f"<p><strong>Pooled over the benchmarks</strong> (one logistic slope in log10 resources shared by all, each "
        f"benchmark its own floor, ceiling and midpoint; {p['n_models']} model scores): halving the error left below "
        f"a benchmark's ceiling takes {triple('compute_multiplier_to_halve_error', sig)} training compute, "
        f"{triple('dollar_multiplier_to_halve_error', sig)} training dollars ({html.escape(str(p['cost_basis']))} "
        f"cost basis), or {triple('years_to_halve_error', lambda v: f'{v:.2f}', '')} years of progress at the "
        f"frontier ({p['n_frontier_points']} record-setting scores, one shared trend).{status}</p>"
    )
    if ok.height:
        text += (
            f"<p>Secondary figure: the median over the {ok.height} benchmarks whose own fit is identified is "
            f"×{sig(statistics.median(ok['compute_multiplier_to_halve_error'].to_list()))} compute and "
            f"{statistics.median(ok['years_to_halve_error'].to_list()):.2f} years to halve the error from the "
            "median model's score (that error includes any gap between the benchmark's ceiling and 100%, so it is "
            f"larger). {unidentified} benchmarks are not identified (greyed in the table below, with the reason) "
            "and enter no summary.</p>"
        )
    return '<div class="explain" id="pooled-text">' + text + "</div>"


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
        doublings = (
            f"{r['doublings_to_halve_reducible_loss']:.1f}" if finite(r["doublings_to_halve_reducible_loss"]) else ""
        )
        rows.append(
            [
                r["source"],
                r["resource"],
                "the reducible loss" if finite(m) else "(a ratio)",
                Cell(multiplier, {"data-law": r["law_id"]}),
                "",
                doublings,
                "",
                Cell(r["citation"], title=r["note"]),
            ]
        )
    return rows


def _benchmark_rows(table: pl.DataFrame | None) -> list[list[object]]:
    """The pooled multipliers (compute, dollars) and the median over identified benchmarks."""
    rows: list[list[object]] = []
    if table is not None and table.filter(pl.col("benchmark") == "pooled").height:
        p = table.filter(pl.col("benchmark") == "pooled").row(0, named=True)
        for stem, resource, n in (
            ("compute_multiplier_to_halve_error", "compute", "n_models"),
            ("dollar_multiplier_to_halve_error", "dollars", "n_models_cost"),
        ):
            m = p.get(stem)
            cells = [
                "This warehouse: pooled benchmarks",
                resource,
                "the error below each benchmark's ceiling",
                Cell(
                    f"×{sig(m)}" if finite(m) else "–",
                    {"data-benchmark": "pooled", "data-field": stem}
                    | ({"data-value": repr(float(m))} if finite(m) else {}),
                ),
                ci(p.get(f"{stem}_ci_low"), p.get(f"{stem}_ci_high"), sig),
                f"{math.log2(m):.1f}" if finite(m) and m > 0 else "",
                p.get(n),
                "trends.per_dollar_vs_per_year",
            ]
            rows.append(cells if p["status"] == "ok" else grey(cells))
        ok = identified(table)
        if ok.height:
            med = statistics.median(ok["compute_multiplier_to_halve_error"].to_list())
            rows.append(
                [
                    "This warehouse: median of identified benchmarks",
                    "compute",
                    "the error 1 − score",
                    f"×{sig(med)}",
                    "",
                    f"{math.log2(med):.1f}",
                    f"{ok.height} benchmarks",
                    "trends.per_dollar_vs_per_year",
                ]
            )
    return rows


def _index_rows(trends: pl.DataFrame | None, decomposition: pl.DataFrame | None) -> list[list[object]]:
    """METR: compute to double the horizon at a fixed date; ECI: compute one year of frontier progress equals."""
    rows: list[list[object]] = []
    if trends is not None:
        r = trend_row(trends, "metr_time_horizon", "per_10x_compute", "all")
        if r and r["status"] == "ok":
            rows.append(
                [
                    "This warehouse: METR time horizon",
                    "compute",
                    "doubles the 50% time horizon (fixed date)",
                    f"×{sig(10 ** (1 / r['estimate']))}",
                    ci(10 ** (1 / r["ci_high"]), 10 ** (1 / r["ci_low"]), sig),
                    f"{math.log2(10 ** (1 / r['estimate'])):.1f}",
                    r["n"],
                    "trends.capability_trends",
                ]
            )
    if decomposition is not None:
        for r in decomposition.filter(pl.col("status") == "ok").iter_rows(named=True):
            m = r["compute_equivalent_multiplier_per_year"]
            rows.append(
                [
                    f"This warehouse: {LABELS[r['index']]}",
                    "compute",
                    "equals one year of frontier progress",
                    f"×{sig(m)}",
                    ci(r["ci_low"], r["ci_high"], sig),
                    f"{math.log2(m):.1f}",
                    r["n_compute"],
                    "trends.capability_decomposition",
                ]
            )
    return rows


def law(laws: pl.DataFrame | None, law_id: str) -> dict[str, object] | None:
    rows = laws.filter(pl.col("law_id") == law_id) if laws is not None else None
    return rows.row(0, named=True) if rows is not None and rows.height else None


def paradox_html(
    table: pl.DataFrame, compute_fit: dict | None, trends: pl.DataFrame | None, laws: pl.DataFrame | None
) -> str:
    """Ord's scaling paradox in plain words; every number is read from the tables on this page."""
    pooled = table.filter(pl.col("benchmark") == "pooled")
    p = pooled.row(0, named=True) if pooled.height else {}
    ok = identified(table)
    paragraphs = [_fast_text(p, ok, trends), _slow_text(p, ok, laws)]
    if compute_fit is not None:
        paragraphs.append(_growth_text(p, compute_fit))
    paragraphs.append(
        "This is Toby Ord's <em>scaling paradox</em>: progress per year is impressive although progress per unit of "
        "resources is not, because the resources themselves multiply every year."
    )
    return '<div class="explain" id="paradox-text">' + "".join(f"<p>{t}</p>" for t in paragraphs if t) + "</div>"


def _fast_text(p: dict, ok: pl.DataFrame, trends: pl.DataFrame | None) -> str:
    fast = "<strong>Per year, progress looks fast.</strong>"
    if finite(p.get("years_to_halve_error")):
        fast += (
            f" Pooled over the benchmarks, the frontier's error rate halved every "
            f"{pooled_cell(p, 'years_to_halve_error', format(p['years_to_halve_error'], '.2f'))} years"
        )
    if ok.height:
        med_y = statistics.median(ok["years_to_halve_error"].to_list())
        fast += (
            f' (median over the {ok.height} identified benchmarks: <span data-value="{med_y!r}" '
            f'id="median-years">{med_y:.1f} years</span>)'
        )
    eci, metr = (trend_row(trends, i, "per_year") if trends is not None else None for i in LABELS)
    if eci and eci["status"] == "ok":
        fast += f"; the Epoch Capabilities Index rose {span(eci, 'estimate', sig(eci['estimate'], 3))} points a year"
    if metr and metr["status"] == "ok":
        fast += (
            f" and METR's time horizon doubled every "
            f"{span(metr, 'doubling_months', format(metr['doubling_months'], '.1f'))} months"
        )
    return fast + "."


def _slow_text(p: dict, ok: pl.DataFrame, laws: pl.DataFrame | None) -> str:
    slow = "<strong>Per unit of resources, it looks slow.</strong>"
    if finite(p.get("compute_multiplier_to_halve_error")):
        m = p["compute_multiplier_to_halve_error"]
        slow += (
            f" Halving the error below a benchmark's ceiling took "
            f"{pooled_cell(p, 'compute_multiplier_to_halve_error', '×' + sig(m))} more training compute (pooled)"
        )
    if ok.height:
        med_c = statistics.median(ok["compute_multiplier_to_halve_error"].to_list())
        slow += (
            f', and a median of <span data-value="{med_c!r}" id="median-compute">×{sig(med_c)}</span> from '
            "the median model's score on the identified benchmarks"
        )
    kaplan, chinchilla = law(laws, "kaplan2020_compute"), law(laws, "hoffmann2022_compute")
    if kaplan and chinchilla:
        slow += (
            ". Loss scales worse still: Kaplan's compute law needs "
            f"×{sig(kaplan['multiplier_to_halve_reducible_loss'])}"
            f" ({kaplan['doublings_to_halve_reducible_loss']:.0f} doublings, Ord's 2^20) to halve the reducible "
            f"loss, Chinchilla's compute-optimal frontier ×{sig(chinchilla['multiplier_to_halve_reducible_loss'])}"
        )
    return slow + "."


def _growth_text(p: dict, compute_fit: dict) -> str:
    """Compute growth over the years one halving took, against the pooled multiplier a halving needs."""
    years, multiplier = p.get("years_to_halve_error"), p.get("compute_multiplier_to_halve_error")
    if not (finite(years) and finite(multiplier) and multiplier > 1):
        return ""
    grown = compute_fit["growth_per_year"] ** years
    halvings = math.log(grown) / math.log(multiplier)
    return (
        f"<strong>Both are true because the resources grow so fast.</strong> Frontier training compute grew "
        f"×{sig(compute_fit['growth_per_year'])} a year (trends.fits, 90% CI ×{sig(compute_fit['growth_ci_low'])}–"
        f"×{sig(compute_fit['growth_ci_high'])}), so in the {years:.2f} years one halving took it grew "
        f"×{sig(grown)}: on the pooled compute–score curve that alone buys {halvings:.1f} halvings. The "
        "decomposition above does the same sum on the Epoch Capabilities Index, which does not saturate."
    )


# -- the hooks the pages call --------------------------------------------------------------------------------------


def capability_sections(page: Page, con: duckdb.DuckDBPyConnection) -> None:
    """The per-dollar page's opening: ECI and METR panels and their table, the decomposition, the literature."""
    trends = table_or_none(con, TABLES[0])
    decomposition = table_or_none(con, TABLES[1])
    laws = table_or_none(con, TABLES[3])
    page.heading("Capabilities that do not saturate: ECI and METR's time horizon", ident="capabilities")
    if trends is None:
        page.missing(TABLES[0])
    else:
        index_panels(page, con, trends)
        main = trends.filter(pl.col("measure") != "rolling_per_year")
        page.table(TRENDS_HEADER, trends_table_rows(main), ident="capability-table", numeric={4, 5, 6, 7})
        rolling = trends.filter(pl.col("measure") == "rolling_per_year")
        page.table(
            TRENDS_HEADER,
            trends_table_rows(rolling),
            ident="capability-rolling",
            numeric={4, 5, 6, 7},
            collapsed=f"Rolling 2-year windows ({rolling.height} rows)",
        )
    page.heading("What one year of progress is worth", ident="decomposition")
    if decomposition is None or trends is None:
        page.missing(TABLES[1])
    else:
        page.raw_html(decomposition_html(decomposition, trends))
    page.heading("The scaling laws of the literature beside this warehouse", ident="literature")
    if laws is None:
        page.missing(TABLES[3])
    per_dollar = table_or_none(con, TABLES[2])
    page.table(
        LITERATURE_HEADER,
        literature_rows(laws, per_dollar, trends, decomposition),
        ident="literature-table",
        numeric={3, 4, 5, 6},
    )


def capability_headline_rows(con: duckdb.DuckDBPyConnection) -> list[list[object]]:
    """ECI and METR rows in the index's headline table shape (quantity, subset, window, n, rate, CI, doubling, CI,
    R²); none while the table is missing."""
    trends = table_or_none(con, TABLES[0])
    rows: list[list[object]] = []
    for index in capabilities.INDICES if trends is not None else ():
        r = trend_row(trends, index.name, "per_year")
        if r is None:
            continue
        base = [
            LABELS[index.name],
            "frontier (record-setting releases)",
            f"{r['window_start']:%Y-%m} to {r['window_end']:%Y-%m}",
            value_cell(r, "n", str(r["n"])),
        ]
        if r["status"] != "ok":
            rows.append([*base, Cell(str(r["status"])), "", "", "", ""])
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
