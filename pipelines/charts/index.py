"""`reports/index.html`, "AI scaling at a glance": the headline growth table from `trends.fits`, what changed since
the previous build, training compute over time, and links to every page.

The previous build's headline numbers, source hashes and model list are kept in `reports/index/previous_build.json`
so the next build can say what changed.
"""

from __future__ import annotations

import html
import json
import statistics
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import altair as alt
import duckdb
import polars as pl

from pipelines.charts.capabilities import capability_headline_rows
from pipelines.charts.common import (
    as_date,
    ci,
    decades,
    factor,
    finite,
    has_table,
    load_snapshots,
    months,
    read,
    sig,
    window_label,
    with_dashed_fit,
)
from pipelines.charts.page import PAGES, Cell, Page, publish, write_atomic

HEADLINE_FIT = ("training_compute", "notable", "full")
STATE_FILE = Path("index") / "previous_build.json"


@dataclass(frozen=True)
class HeadlineRow:
    """One line of the headline table: a metric and the subsets to try, first found wins."""

    metric: str
    label: str
    subsets: tuple[str, ...]


HEADLINE_ROWS = (
    HeadlineRow("training_compute", "Training compute (FLOP)", ("notable",)),
    HeadlineRow("training_compute", "Training compute (FLOP), frontier models", ("frontier_epoch", "frontier_top10")),
    HeadlineRow("training_cost", "Training cost (2023 USD), frontier models", ("frontier_epoch", "frontier_top10")),
    HeadlineRow("training_cost", "Training cost (2023 USD)", ("notable",)),
    HeadlineRow("parameters", "Parameters", ("notable",)),
    HeadlineRow("training_tokens", "Training tokens, language models", ("domain:Language", "notable")),
    HeadlineRow("hardware_fp32_flops_per_usd", "Hardware FP32 FLOP/s per dollar", ("all_hardware",)),
    HeadlineRow("hardware_fp16_flops_per_usd", "Hardware 16-bit FLOP/s per dollar", ("all_hardware",)),
    HeadlineRow("cost_per_flop", "Training cost per FLOP (2023 USD)", ("notable",)),
)
SUBSET_LABELS = {
    "notable": "notable models",
    "frontier_epoch": "frontier (Epoch's flag)",
    "frontier_top10": "frontier (top 10 at release)",
    "all_hardware": "all ML hardware",
}


def subset_label(subset: str) -> str:
    if subset.startswith("domain:"):
        return f"{subset.split(':', 1)[1]} models"
    return SUBSET_LABELS.get(subset, subset)


def headline_sentence(fit: dict[str, object]) -> str:
    """The fitted numbers in words, straight from the `trends.fits` row."""
    if fit["status"] != "ok":
        return f"Not enough data for a compute trend: {fit['status']}."
    return (
        f"Training compute of notable AI models grew {fit['growth_per_year']:.1f}× per year "
        f"(90% CI {fit['growth_ci_low']:.1f}–{fit['growth_ci_high']:.1f}×), doubling every "
        f"{fit['doubling_months']:.1f} months (90% CI {fit['doubling_months_ci_low']:.1f}–"
        f"{fit['doubling_months_ci_high']:.1f}), fitted on {fit['n']:,} models published between "
        f"{fit['window_start']:%d %B %Y} and {fit['window_end']:%d %B %Y} (R² = {fit['r2']:.2f})."
    )


def pick_fit(fits: pl.DataFrame, metric: str, subset: str) -> dict[str, object] | None:
    """The headline window of (metric, subset): the 'full' window, else the era reaching furthest forward."""
    rows = fits.filter((pl.col("metric") == metric) & (pl.col("subset") == subset))
    for kind in ("full", "era"):
        chosen = rows.filter(pl.col("window_kind") == kind).sort(
            ["window_end", "window_start"], descending=[True, False]
        )
        if chosen.height:
            return chosen.row(0, named=True)
    return None


def headline_rows(fits: pl.DataFrame) -> list[dict[str, object]]:
    """The fits behind the headline table, in table order, each tagged with its label."""
    chosen = []
    for row in HEADLINE_ROWS:
        for subset in row.subsets:
            fit = pick_fit(fits, row.metric, subset)
            if fit is not None:
                chosen.append({**fit, "label": row.label})
                break
    return chosen


def _num(fit: dict[str, object], column: str, text: str) -> Cell:
    """A number cell carrying the exact warehouse value, for readers who hover and for the browser test."""
    value = fit.get(column)
    attrs = {
        "data-metric": str(fit["metric"]),
        "data-subset": str(fit["subset"]),
        "data-window-kind": str(fit["window_kind"]),
        "data-window-start": as_date(fit["window_start"]),
        "data-field": column,
    }
    if finite(value):
        attrs["data-value"] = repr(float(value))
    return Cell(text, attrs)


def headline_table_rows(chosen: list[dict[str, object]]) -> list[list[object]]:
    rows: list[list[object]] = []
    for fit in chosen:
        base = [fit["label"], subset_label(str(fit["subset"])), window_label(fit["window_start"], fit["window_end"])]
        if fit["status"] != "ok":
            rows.append([*base, _num(fit, "n", f"{fit['n']:,}"), Cell(str(fit["status"])), "", "", "", ""])
            continue
        falling = finite(fit["slope_oom_per_year"]) and fit["slope_oom_per_year"] < 0
        d_low, d_high = sorted(abs(v) for v in (fit["doubling_months_ci_low"], fit["doubling_months_ci_high"]))
        rows.append(
            [
                *base,
                _num(fit, "n", f"{fit['n']:,}"),
                _num(fit, "growth_per_year", factor(fit["growth_per_year"])),
                Cell(
                    ci(fit["growth_ci_low"], fit["growth_ci_high"], factor),
                    {"data-metric": str(fit["metric"]), "data-subset": str(fit["subset"]), "data-field": "growth_ci"},
                ),
                _num(
                    fit,
                    "doubling_months",
                    f"{'halves' if falling else 'doubles'} every {months(fit['doubling_months'])}",
                ),
                Cell(f"{months(d_low)}–{months(d_high)}"),
                _num(fit, "r2", f"{fit['r2']:.2f}"),
            ]
        )
    return rows


HEADLINE_HEADER = [
    "Quantity",
    "Subset",
    "Window",
    "n",
    "Growth per year",
    "90% CI",
    "Doubling time (months)",
    "90% CI (months)",
    "R²",
]


# -- what changed since the previous build -----------------------------------------------------------------------


def build_state(
    built_at: datetime, snapshots: dict[str, str], models: pl.DataFrame, chosen: list[dict[str, object]]
) -> dict[str, object]:
    """What the next build compares against: small, JSON-safe."""
    return {
        "built_at": built_at.isoformat(),
        "snapshots": snapshots,
        "models": dict(zip(models["model_key"].to_list(), models["model_name"].to_list(), strict=True)),
        "headline": [
            {
                "metric": f["metric"],
                "subset": f["subset"],
                "label": f["label"],
                "status": f["status"],
                "n": f["n"],
                "growth_per_year": f["growth_per_year"] if finite(f["growth_per_year"]) else None,
                "growth_ci_low": f["growth_ci_low"] if finite(f["growth_ci_low"]) else None,
                "growth_ci_high": f["growth_ci_high"] if finite(f["growth_ci_high"]) else None,
            }
            for f in chosen
        ],
    }


def changes_html(previous: dict[str, object] | None, current: dict[str, object]) -> str:
    """'What changed since the previous build', as HTML (every value escaped)."""
    if not previous:
        return (
            '<p id="changes-none">This is the first build in this reports folder: there is no previous build to '
            "compare with. The next build will list changed sources, added or removed models and moved headline "
            "numbers here.</p>"
        )
    when = str(previous.get("built_at", "?"))[:16].replace("T", " ")
    parts = [f"<p>Compared with the build of {html.escape(when)} UTC:</p><ul>"]
    old_snap: dict[str, str] = previous.get("snapshots", {}) or {}
    new_snap: dict[str, str] = current["snapshots"]
    changed = [s for s in sorted(new_snap) if s in old_snap and old_snap[s] != new_snap[s]]
    added_sources = [s for s in sorted(new_snap) if s not in old_snap]
    if changed or added_sources:
        items = [
            f"<code>{html.escape(s)}</code> ({html.escape(old_snap[s][:10])}… → {html.escape(new_snap[s][:10])}…)"
            for s in changed
        ] + [f"<code>{html.escape(s)}</code> (new source)" for s in added_sources]
        parts.append(f"<li>Sources with a new file: {', '.join(items)}.</li>")
    else:
        parts.append("<li>No source changed: every source file has the same sha256 as before.</li>")
    old_models: dict[str, str] = previous.get("models", {}) or {}
    new_models: dict[str, str] = current["models"]
    added = sorted(new_models[k] for k in new_models.keys() - old_models.keys())
    removed = sorted(old_models[k] for k in old_models.keys() - new_models.keys())

    def listing(names: list[str]) -> str:
        shown = ", ".join(html.escape(n) for n in names[:12])
        return shown + (f" and {len(names) - 12} more" if len(names) > 12 else "")

    if added or removed:
        text = []
        if added:
            text.append(f"{len(added)} model{'s' if len(added) != 1 else ''} added ({listing(added)})")
        if removed:
            text.append(f"{len(removed)} removed ({listing(removed)})")
        parts.append(f"<li>Models: {'; '.join(text)}.</li>")
    else:
        count = len(new_models)
        parts.append(f"<li>Models: the same {count:,} model{'s' if count != 1 else ''} as before.</li>")
    old_rows = {(r["metric"], r["subset"]): r for r in previous.get("headline", []) or []}
    moved = []
    for row in current["headline"]:
        old = old_rows.get((row["metric"], row["subset"]))
        if old is None:
            moved.append(f"{html.escape(row['label'])}: new in the table ({factor(row['growth_per_year'])}/year)")
        elif old.get("growth_per_year") != row["growth_per_year"] or old.get("n") != row["n"]:
            moved.append(
                f"{html.escape(row['label'])}: {factor(old.get('growth_per_year'))} → "
                f"{factor(row['growth_per_year'])} per year (n {old.get('n')} → {row['n']})"
            )
    if moved:
        parts.append("<li>Headline numbers that moved: " + "; ".join(moved) + ".</li>")
    else:
        parts.append("<li>No headline number moved.</li>")
    parts.append("</ul>")
    return '<div id="changes">' + "".join(parts) + "</div>"


def read_previous(path: Path) -> dict[str, object] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None


# -- the chart ----------------------------------------------------------------------------------------------------


def compute_chart(models: pl.DataFrame, fit: dict[str, object] | None) -> tuple[alt.LayerChart, pl.DataFrame]:
    """Log-axis scatter of training compute by publication date, with the fitted line over its window."""
    points = models.with_columns(
        pl.col("publication_date").cast(pl.String).alias("date"),
        pl.when(pl.col("is_frontier_top10")).then(pl.lit("top 10 at release")).otherwise(pl.lit("other")).alias("set"),
    ).drop("publication_date")
    ticks = decades(points["training_compute_flop"].min(), points["training_compute_flop"].max(), 2)
    y = alt.Y(
        "training_compute_flop:Q",
        scale=alt.Scale(type="log"),
        axis=alt.Axis(
            title="Training compute (FLOP, log scale)",
            values=ticks,
            labelExpr="'1e' + format(round(log(datum.value) / LN10), 'd')",
        ),
    )
    scatter = (
        alt.Chart(points)
        .mark_circle(size=30, opacity=0.6)
        .encode(
            x=alt.X("date:T", title="Publication date"),
            y=y,
            color=alt.Color(
                "set:N",
                title="Notable models",
                scale=alt.Scale(domain=["other", "top 10 at release"], range=["#7f9fbf", "#e45756"]),
                legend=alt.Legend(orient="top-left", fillColor="white", padding=6),
            ),
            tooltip=[
                alt.Tooltip("model_name:N", title="Model"),
                alt.Tooltip("organization:N", title="Organization"),
                alt.Tooltip("date:T", title="Published"),
                alt.Tooltip("training_compute_flop:Q", title="Training compute (FLOP)", format=".3~e"),
                alt.Tooltip("domain:N", title="Domain"),
            ],
        )
    )
    fits = pl.DataFrame([fit]) if fit is not None else pl.DataFrame()
    chart = with_dashed_fit(scatter, fits).properties(
        width=980,
        height=440,
        title=alt.Title(
            "Training compute of notable AI models",
            subtitle="Dashed line: log-linear fit since 2010 (trends.fits, training_compute / notable / full)",
        ),
    )
    return chart, points


def per_dollar_summary(table: pl.DataFrame) -> str:
    """One paragraph: the medians over benchmarks with a complete row, linking to the page."""
    ok = table.filter(
        (pl.col("status") == "ok")
        & (pl.col("benchmark") != "pooled")
        & pl.col("compute_multiplier_to_halve_error").is_finite()
        & pl.col("years_to_halve_error").is_finite()
    )
    if ok.is_empty():
        return "<p>No benchmark has enough data yet for both a compute multiplier and a years estimate.</p>"
    compute = statistics.median(ok["compute_multiplier_to_halve_error"].to_list())
    elapsed = statistics.median(ok["years_to_halve_error"].to_list())
    dollars = [v for v in ok["dollar_multiplier_to_halve_error"].to_list() if finite(v)]
    dollar_text = f", ×{sig(statistics.median(dollars))} more training dollars" if dollars else ""
    return (
        f'<p class="headline" id="headline-per-dollar">On the {ok.height} benchmarks with enough data, halving the '
        f"error rate took a median of ×{sig(compute)} more training compute{dollar_text}, or {elapsed:.1f} years of "
        'progress at the frontier. <a href="per_dollar_vs_per_year.html">Per benchmark, with intervals →</a></p>'
    )


def forecasts_html(forecasts: pl.DataFrame) -> str:
    """The extrapolated dates as a short list, labelled as extrapolations."""
    items = []
    for row in forecasts.iter_rows(named=True):
        target = str(row.get("target_label") or row.get("target_value") or "")
        verb = "costs" if row.get("target_metric") == "training_cost" else "reaches"
        label = html.escape(f"The largest training run {verb} {target}")
        if row.get("status") not in (None, "ok") or row.get("predicted_date") is None:
            items.append(f"<li>{label}: {html.escape(str(row.get('status') or 'no estimate'))}</li>")
            continue
        low, high = row.get("pi_low_date"), row.get("pi_high_date")
        level = round((row.get("pi_level") or 0.9) * 100)
        interval = f" ({level}% prediction interval {as_date(low)[:7]} to {as_date(high)[:7]})" if low and high else ""
        items.append(f"<li>{label}: around {as_date(row['predicted_date'])[:7]}{html.escape(interval)}</li>")
    return (
        "<p>If the fitted growth of the largest training runs simply continued (an extrapolation, not a "
        'prediction):</p><ul id="forecasts">' + "".join(items) + '</ul><p class="meta">Details on the '
        '<a href="compute_trends.html#forecasts">compute trends page</a>.</p>'
    )


def pages_html() -> str:
    items = "".join(
        f'<li><a href="{name}.html">{html.escape(label)}</a>: {html.escape(blurb)}</li>'
        for name, label, blurb in PAGES
        if name != "index"
    )
    return f'<ul id="pages">{items}</ul>'


def build_index(con: duckdb.DuckDBPyConnection, reports_dir: Path, built_at: datetime | None = None) -> Path:
    """Write `index.html` (and the offline Vega bundle) from the warehouse; returns the page path."""
    built_at = built_at or datetime.now(UTC)
    snapshots = load_snapshots(con)
    page = Page(
        name="index",
        title="AI scaling at a glance",
        intro=(
            "How fast the inputs to AI training grow per year, from Epoch AI's public data, rebuilt reproducibly. "
            "Every number below is read from the warehouse (trends.fits); intervals are 90% bootstrap intervals."
        ),
    )
    fits = read(con, "select * from trends.fits") if has_table(con, "trends.fits") else None
    fit = None
    chosen: list[dict[str, object]] = []
    if fits is None:
        page.missing("trends.fits")
    else:
        rows = fits.filter(
            (pl.col("metric") == HEADLINE_FIT[0])
            & (pl.col("subset") == HEADLINE_FIT[1])
            & (pl.col("window_kind") == HEADLINE_FIT[2])
        )
        fit = rows.row(0, named=True) if rows.height == 1 else None
        if fit is not None:
            page.raw_html(f'<p class="headline" id="headline-compute">{html.escape(headline_sentence(fit))}</p>')
        chosen = headline_rows(fits)
        page.heading("Growth per year", ident="headline")
        rows = headline_table_rows(chosen) + capability_headline_rows(con)
        page.table(HEADLINE_HEADER, rows, ident="headline-table", numeric={3, 4, 5, 6, 7, 8})
        missing = [r.label for r in HEADLINE_ROWS if not any(c["label"] == r.label for c in chosen)]
        if missing:
            page.missing("trends.fits rows", "no fit yet for: " + "; ".join(missing))
        page.paragraph(
            "Each row is an ordinary least-squares fit of log10(value) on decimal year; growth per year is "
            "10^slope, doubling time 12·log10(2)/slope months (halving time for falling quantities), and the "
            "interval a 90% percentile bootstrap over models. Fits with too few models say so instead of "
            "showing a number. More windows, subsets and rolling rates are on the compute trends page.",
            css="meta",
        )
    page.heading("Per dollar vs per year", ident="per-dollar")
    if has_table(con, "trends.per_dollar_vs_per_year"):
        page.raw_html(per_dollar_summary(read(con, "select * from trends.per_dollar_vs_per_year")))
    else:
        page.missing("trends.per_dollar_vs_per_year")

    page.heading("What changed since the previous build", ident="changes-heading")
    state_path = reports_dir / STATE_FILE
    all_models = read(con, "select model_key, model_name from marts.models order by model_key")
    state = build_state(built_at, {s.source: s.sha256 for s in snapshots}, all_models, chosen)
    page.raw_html(changes_html(read_previous(state_path), state))

    page.heading("Pages")
    page.raw_html(pages_html())

    models = read(
        con,
        """
        select model_key, model_name, organization, domain, publication_date, training_compute_flop, is_frontier_top10
        from marts.models
        where in_notable_models and training_compute_flop is not null and publication_date is not null
        order by publication_date
        """,
    )
    page.heading("Training compute over time")
    chart, data = compute_chart(models.drop("model_key"), fit)
    page.chart(
        "compute",
        chart,
        data,
        "Each point is a notable model with a training-compute estimate; red points were among the 10 largest "
        "training runs when published. Hover for the model, organization, date and value.",
    )

    page.heading("Extrapolations", ident="forecasts")
    if has_table(con, "trends.forecasts"):
        page.raw_html(forecasts_html(read(con, "select * from trends.forecasts")))
    else:
        page.missing("trends.forecasts")

    path = publish(page, reports_dir, built_at=built_at, snapshots=snapshots)
    write_atomic(state_path, json.dumps(state, indent=1, default=str))
    return path
