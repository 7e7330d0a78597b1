"""`reports/index.html`, "AI scaling at a glance": the headline growth table from `trends.fits` (with the ECI and
METR rows of `trends.capability_trends`), the compact table of per year, per 10x training and per 10x inference
(`inference`), what changed since the previous build (first, the headlines that `trends.headline_changes` marks as
moved beyond their published interval, with the rows that moved them), training compute over time, and links to
every page.

The previous build's headline numbers, source hashes and model list are kept in `reports/index/previous_build.json`
so the next build can say what changed.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import altair as alt
import polars as pl

from pipelines.reports.builders import LEGEND, finite, log_axis, log_scatter, with_fit
from pipelines.reports.capabilities import capability_headline_rows
from pipelines.reports.common import as_date, ci, factor, fit_rows, load_snapshots, months, pick_fit, sig, window_label
from pipelines.reports.context import PageContext, compose
from pipelines.reports.inference import compact_section
from pipelines.reports.page import Cell, Page, environment
from pipelines.trends.capabilities import RECORD_SETTING
from pipelines.trends.headlines import FIT_HEADLINES, rate_text
from pipelines.trends.status import Status, status_text

HEADLINE_FIT = ("training_compute", "notable", "full")
STATE_FILE = Path("index") / "previous_build.json"
INTRO = (
    "How fast the inputs to AI training grow per year, from Epoch AI's public data, rebuilt reproducibly. "
    "Every number below is read from the warehouse (trends.fits); intervals are 90% bootstrap intervals."
)


HEADLINE_ROWS = FIT_HEADLINES  # the table's fits; trends.headline_changes tracks the same rows
SUBSET_LABELS = {
    "notable": "notable models",
    "frontier_epoch": "frontier (Epoch's flag)",
    "frontier_top10": "frontier (top 10 at release)",
    "all_hardware": "all ML hardware",
    RECORD_SETTING: "record-setting releases",  # ECI's and METR's rows
}
HEADLINE_HEADER = ["Quantity", "Subset", "Window", "n", "Growth per year", "90% CI"]
HEADLINE_HEADER += ["Doubling time (months)", "90% CI (months)", "R²"]


def subset_label(subset: str) -> str:
    if subset.startswith("domain:"):
        return f"{subset.split(':', 1)[1]} models"
    return SUBSET_LABELS.get(subset, subset)


def headline_sentence(fit: dict[str, object]) -> str:
    """The fitted numbers in words, straight from the `trends.fits` row."""
    if fit["status"] != Status.OK:
        return f"Not enough data for a compute trend: {status_text(fit['status'], fit.get('status_reason'))}."
    return (
        f"Training compute of notable AI models grew {fit['growth_per_year']:.1f}× per year "
        f"(90% CI {fit['growth_ci_low']:.1f}–{fit['growth_ci_high']:.1f}×), doubling every "
        f"{fit['doubling_months']:.1f} months (90% CI {fit['doubling_months_ci_low']:.1f}–"
        f"{fit['doubling_months_ci_high']:.1f}), fitted on {fit['n']:,} models published between "
        f"{fit['window_start']:%d %B %Y} and {fit['window_end']:%d %B %Y} (R² = {fit['r2']:.2f})."
    )


def headline_rows(fits: pl.DataFrame | None) -> list[dict[str, object]]:
    """The fits behind the headline table, in table order, each tagged with its label."""
    chosen = []
    for row in HEADLINE_ROWS:
        fit = pick_fit(fits, row.metric, row.subsets)
        if fit is not None:
            chosen.append({**fit, "label": row.label})
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
        base.append(_num(fit, "n", f"{fit['n']:,}"))
        if fit["status"] != Status.OK:
            rows.append([*base, Cell(str(status_text(fit["status"], fit.get("status_reason")))), "", "", "", ""])
            continue
        falling = finite(fit["slope_oom_per_year"]) and fit["slope_oom_per_year"] < 0
        d_low, d_high = sorted(abs(v) for v in (fit["doubling_months_ci_low"], fit["doubling_months_ci_high"]))
        ci_attrs = {"data-metric": str(fit["metric"]), "data-subset": str(fit["subset"]), "data-field": "growth_ci"}
        doubling = f"{'halves' if falling else 'doubles'} every {months(fit['doubling_months'])}"
        rows.append(
            [
                *base,
                _num(fit, "growth_per_year", factor(fit["growth_per_year"])),
                Cell(ci(fit["growth_ci_low"], fit["growth_ci_high"], factor), ci_attrs),
                _num(fit, "doubling_months", doubling),
                Cell(f"{months(d_low)}–{months(d_high)}"),
                _num(fit, "r2", f"{fit['r2']:.2f}"),
            ]
        )
    return rows


# -- what changed since the previous build -----------------------------------------------------------------------


def build_state(
    built_at: object, snapshots: dict[str, str], models: pl.DataFrame, chosen: list[dict[str, object]]
) -> dict[str, object]:
    """What the next build compares against: small, JSON-safe."""
    keep = ("metric", "subset", "label", "status", "n")
    numbers = ("growth_per_year", "growth_ci_low", "growth_ci_high")
    return {
        "built_at": built_at.isoformat(),
        "snapshots": snapshots,
        "models": dict(zip(models["model_key"].to_list(), models["model_name"].to_list(), strict=True)),
        "headline": [{k: f[k] for k in keep} | {k: f[k] if finite(f[k]) else None for k in numbers} for f in chosen],
    }


def changes(previous: dict[str, object] | None, current: dict[str, object]) -> dict[str, object] | None:
    """What differs from the previous build (None on the first build): sources, models and headline numbers."""
    if not previous:
        return None
    old_snap: dict[str, str] = previous.get("snapshots", {}) or {}
    new_snap: dict[str, str] = current["snapshots"]
    old_models: dict[str, str] = previous.get("models", {}) or {}
    new_models: dict[str, str] = current["models"]
    old_rows = {(r["metric"], r["subset"]): r for r in previous.get("headline", []) or []}
    moved = []
    for row in current["headline"]:
        old = old_rows.get((row["metric"], row["subset"])) or {}
        if not old or old.get("growth_per_year") != row["growth_per_year"] or old.get("n") != row["n"]:
            moved.append(
                {"label": row["label"], "new": factor(row["growth_per_year"]), "n": row["n"], "old_n": old.get("n")}
                | {"old": factor(old.get("growth_per_year")) if old else None}
            )
    return {
        "when": str(previous.get("built_at", "?"))[:16].replace("T", " "),
        "changed": [
            (s, old_snap[s][:10], new_snap[s][:10])
            for s in sorted(new_snap)
            if old_snap.get(s, new_snap[s]) != new_snap[s]
        ],
        "new_sources": [s for s in sorted(new_snap) if s not in old_snap],
        "added": sorted(new_models[k] for k in new_models.keys() - old_models.keys()),
        "removed": sorted(old_models[k] for k in old_models.keys() - new_models.keys()),
        "n_models": len(new_models),
        "moved": moved,
    }


def headline_moves(table: pl.DataFrame | None) -> list[dict[str, object]]:
    """The headlines `trends.headline_changes` marks as moved against the previously published build, in words: the
    news a reader must not miss (a move beyond the published interval, a window end moved by years)."""
    if table is None:
        return []
    moves = []
    for row in table.filter(pl.col("moved")).iter_rows(named=True):
        before = (row["previous_estimate"], row["previous_ci_low"], row["previous_ci_high"], row["unit"])
        moves.append(
            {
                "label": row["label"],
                "subset": subset_label(str(row["subset"])),
                "before": rate_text(*before),
                "after": rate_text(row["estimate"], row["ci_low"], row["ci_high"], row["unit"]),
                "window": f"{as_date(row['previous_window_end'])[:7]} → {as_date(row['window_end'])[:7]}",
                "reasons": row["reasons"],
                "rows": row["input_changes"],
            }
        )
    return moves


def changes_html(
    previous: dict[str, object] | None, current: dict[str, object], moves: list[dict[str, object]] | None = None
) -> str:
    """The 'what changed' fragment on its own (for tests and reuse)."""
    values = {"changes": changes(previous, current), "moves": moves or []}
    return environment().get_template("index_changes.html.j2").render(values=values)


def read_previous(path: Path) -> dict[str, object] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None


# -- sections -----------------------------------------------------------------------------------------------------


def headline_section(ctx: PageContext, page: Page) -> None:
    """The compute sentence and the growth table, or a note while trends.fits is missing."""
    fits = ctx.optional(page, "trends.fits")
    if fits is None:
        return
    rows = fit_rows(fits, *HEADLINE_FIT)
    if rows.height == 1:
        page.paragraph(headline_sentence(rows.row(0, named=True)), css="headline", ident="headline-compute")
    chosen = headline_rows(fits)
    page.heading("Growth per year", ident="headline")
    rows = headline_table_rows(chosen) + capability_headline_rows(ctx)
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


def per_dollar_section(ctx: PageContext, page: Page) -> None:
    """The medians over benchmarks with a complete row, linking to the page."""
    table = ctx.section(page, "Per dollar vs per year", "trends.per_dollar_vs_per_year", ident="per-dollar")
    if table is None:
        return
    ok = table.filter(
        (pl.col("status") == Status.OK)
        & (pl.col("benchmark") != "pooled")
        & pl.col("compute_multiplier_to_halve_error").is_finite()
        & pl.col("years_to_halve_error").is_finite()
    )
    dollars = [v for v in ok["dollar_multiplier_to_halve_error"].to_list() if finite(v)]
    page.fragment(
        "index_per_dollar.html.j2",
        n=ok.height,
        compute=sig(statistics.median(ok["compute_multiplier_to_halve_error"].to_list())) if ok.height else None,
        years=f"{statistics.median(ok['years_to_halve_error'].to_list()):.1f}" if ok.height else None,
        dollars=sig(statistics.median(dollars)) if dollars else None,
    )


def changes_section(ctx: PageContext, page: Page) -> None:
    """What changed since the previous build, moved headlines first; this build's state is written after the page."""
    page.heading("What changed since the previous build", ident="changes-heading")
    moved = ctx.optional(page, "trends.headline_changes", "which headlines moved since the previous build")
    snapshots = {s.source: s.sha256 for s in load_snapshots(ctx)}
    models = ctx.read("select model_key, model_name from marts.models order by model_key")
    state = build_state(ctx.built_at, snapshots, models, headline_rows(ctx.table("trends.fits")))
    previous = changes(read_previous(ctx.previous_dir / STATE_FILE), state)
    page.fragment("index_changes.html.j2", changes=previous, moves=headline_moves(moved))
    page.after_files[STATE_FILE] = json.dumps(state, indent=1, default=str)
    page.heading("Pages")
    page.fragment("index_pages.html.j2", pages=[entry for entry in ctx.nav if entry.name != "index"])


def compute_section(ctx: PageContext, page: Page) -> None:
    """Log-axis scatter of training compute by publication date, with the headline fit over its window."""
    models = ctx.read(
        """
        select model_name, organization, domain, cast(publication_date as varchar) as date, training_compute_flop,
               case when is_frontier_top10 then 'top 10 at release' else 'other' end as set
        from marts.models
        where in_notable_models and training_compute_flop is not null and publication_date is not null
        order by publication_date
        """
    )
    color = alt.Color(
        "set:N",
        title="Notable models",
        scale=alt.Scale(domain=["other", "top 10 at release"], range=["#7f9fbf", "#e45756"]),
        legend=alt.Legend(**LEGEND),
    )
    scatter = log_scatter(
        models,
        x=alt.X("date:T", title="Publication date"),
        y="training_compute_flop",
        y_axis=log_axis(models["training_compute_flop"], "Training compute (FLOP, log scale)", step=2),
        tooltip=[
            ("model_name:N", "Model", None),
            ("organization:N", "Organization", None),
            ("date:T", "Published", None),
            ("training_compute_flop:Q", "Training compute (FLOP)", ".3~e"),
            ("domain:N", "Domain", None),
        ],
        color=color,
        opacity=0.6,
    )
    chart = with_fit(scatter, fit_rows(ctx.table("trends.fits"), *HEADLINE_FIT)).properties(
        width=980,
        height=440,
        title=alt.Title(
            "Training compute of notable AI models",
            subtitle="Dashed line: log-linear fit since 2010 (trends.fits, training_compute / notable / full); "
            "band: its 90% CI",
        ),
    )
    page.heading("Training compute over time")
    page.chart(
        "compute",
        chart,
        models,
        "Each point is a notable model with a training-compute estimate; red points "
        "were among the 10 largest training runs when published. Hover for the model, organization, date and "
        "value.",
    )


def forecasts_section(ctx: PageContext, page: Page) -> None:
    """The extrapolated dates as a short list, labelled as extrapolations."""
    forecasts = ctx.section(page, "Extrapolations", "trends.forecasts", ident="forecasts")
    if forecasts is None:
        return
    items = []
    for row in forecasts.iter_rows(named=True):
        ok = row.get("status") in (None, Status.OK) and row.get("predicted_date") is not None
        low, high = row.get("pi_low_date"), row.get("pi_high_date")
        items.append(
            {
                "verb": "costs" if row.get("target_metric") == "training_cost" else "reaches",
                "target": str(row.get("target_label") or row.get("target_value") or ""),
                "status": None if ok else status_text(row.get("status"), row.get("status_reason")) or "no estimate",
                "date": as_date(row["predicted_date"])[:7] if ok else None,
                "interval": (round((row.get("pi_level") or 0.9) * 100), as_date(low)[:7], as_date(high)[:7])
                if low and high
                else None,
            }
        )
    page.fragment("index_forecasts.html.j2", items=items)


SECTIONS = [headline_section, per_dollar_section, compact_section, changes_section, compute_section, forecasts_section]


def build(ctx: PageContext, title: str) -> Page:
    """The index page: headline numbers first, then what changed, the pages, the compute chart, extrapolations."""
    return compose(ctx, title, INTRO, SECTIONS)
