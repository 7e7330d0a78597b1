"""`reports/index.html`: training compute of notable models over time, with the fitted trend in words."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import altair as alt
import duckdb
import polars as pl

from pipelines.charts.page import Page, Snapshot, render_page, write_atomic, write_vendor_bundle
from pipelines.fits import decimal_year
from pipelines.sources import SOURCES_BY_NAME
from pipelines.warehouse import first_row, query_frame

HEADLINE_FIT = ("training_compute", "notable", "full")


def load_snapshots(con: duckdb.DuckDBPyConnection) -> list[Snapshot]:
    """The file each source's raw table holds now, with when it was fetched and its published date."""
    rows = con.execute(
        """
        with latest as (
            select source, sha256, fetched_at, last_modified,
                   row_number() over (partition by source order by fetched_at desc, attempt desc) as rank
            from ops.fetch_log
            where list_contains(['downloaded', 'unchanged', 'not_modified'], outcome) and sha256 is not null
              and requested_url not like '%metadata.json%'
        )
        select source, sha256, fetched_at, last_modified from latest where rank = 1 order by source
        """
    ).fetchall()
    tables = {
        r[0]
        for r in con.execute("select table_name from information_schema.tables where table_schema='raw'").fetchall()
    }
    snapshots = []
    for source, sha256, fetched_at, last_modified in rows:
        count = first_row(con, f"select count(*) from raw.{source}")[0] if source in tables else None
        url = SOURCES_BY_NAME[source].url if source in SOURCES_BY_NAME else ""
        snapshots.append(Snapshot(source, url, sha256, fetched_at, last_modified, count))
    return snapshots


def headline_fit(con: duckdb.DuckDBPyConnection) -> dict[str, object]:
    metric, subset, kind = HEADLINE_FIT
    frame = query_frame(
        con, "select * from trends.fits where metric = ? and subset = ? and window_kind = ?", [metric, subset, kind]
    )
    if frame.height != 1:
        raise ValueError(f"trends.fits holds {frame.height} rows for {HEADLINE_FIT}; expected exactly one")
    return frame.row(0, named=True)


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


def compute_chart(models: pl.DataFrame, fit: dict[str, object]) -> alt.LayerChart:
    """Log-axis scatter of training compute by publication date, with the fitted line over its window."""
    points = models.with_columns(pl.col("publication_date").cast(pl.String).alias("date"))
    scatter = (
        alt.Chart(points)
        .mark_circle(size=28, opacity=0.6)
        .encode(
            x=alt.X("date:T", title="Publication date"),
            y=alt.Y(
                "training_compute_flop:Q",
                scale=alt.Scale(type="log"),
                axis=alt.Axis(format="~e", tickCount=12),
                title="Training compute (FLOP, log scale)",
            ),
            color=alt.Color(
                "is_frontier_top10:N",
                title="Top 10 by compute at release",
                legend=alt.Legend(orient="top-left", fillColor="white"),
            ),
            tooltip=[
                alt.Tooltip("model_name:N", title="Model"),
                alt.Tooltip("organization:N", title="Organization"),
                alt.Tooltip("date:T", title="Published"),
                alt.Tooltip("training_compute_flop:Q", title="FLOP", format=".3~e"),
                alt.Tooltip("domain:N", title="Domain"),
            ],
        )
    )
    layers: list[alt.Chart] = [scatter]
    if fit["status"] == "ok":
        ends = pl.DataFrame({"date": [fit["window_start"], fit["window_end"]]})
        ends = ends.with_columns(
            (10 ** (fit["intercept"] + fit["slope_oom_per_year"] * decimal_year(pl.col("date")))).alias("fitted_flop"),
            pl.col("date").cast(pl.String),
        )
        layers.append(
            alt.Chart(ends)
            .mark_line(color="#d62728", strokeWidth=2.5)
            .encode(x="date:T", y=alt.Y("fitted_flop:Q", scale=alt.Scale(type="log")))
        )
    return alt.layer(*layers).properties(width=860, height=460, title="Training compute of notable AI models")


def build_index(con: duckdb.DuckDBPyConnection, reports_dir: Path, built_at: datetime | None = None) -> Path:
    """Write `index.html` (and the offline Vega bundle) from the warehouse; returns the page path."""
    built_at = built_at or datetime.now(UTC)
    fit = headline_fit(con)
    models = query_frame(
        con,
        """
        select model_name, organization, domain, publication_date, training_compute_flop, is_frontier_top10
        from marts.models
        where in_notable_models and training_compute_flop is not null and publication_date is not null
        order by publication_date
        """,
    )
    page = Page(
        title="AI scaling at a glance",
        intro="How fast AI training grows per year, from Epoch AI's public data, rebuilt reproducibly.",
    )
    page.sections.append(f'<p class="headline" id="headline-compute">{headline_sentence(fit)}</p>')
    page.chart("compute", compute_chart(models, fit))
    page.paragraph(
        "Fit: ordinary least squares of log10 training compute (FLOP) on decimal publication year; the interval "
        "is a 90% percentile bootstrap over models (2,000 resamples, fixed seed)."
    )
    write_vendor_bundle(reports_dir)
    path = reports_dir / "index.html"
    write_atomic(path, render_page(page, built_at=built_at, snapshots=load_snapshots(con)))
    return path
