"""`reports/data_quality.html`: how complete and how fresh the data behind the other pages is: coverage of each
model column by publication year, rejected values, benchmark names that match no model, and every source's latest
fetch with its sha256.

Reads `marts.models`, `tidy.scores`, `tidy.unmatched_model_versions`, `ops.rejected_values` and `ops.fetch_log`.
"""

from __future__ import annotations

import email.utils
from datetime import UTC, datetime
from pathlib import Path

import altair as alt
import duckdb
import polars as pl

from pipelines.charts.common import has_table, load_snapshots, read
from pipelines.charts.page import Cell, Page, publish

NAME = "data_quality"
TABLES = ("marts.models", "tidy.scores", "tidy.unmatched_model_versions", "ops.rejected_values", "ops.fetch_log")
FIRST_YEAR = 2000  # earlier years hold few models each; they are pooled into one column

COVERAGE_COLUMNS = {
    "organization": "Organization",
    "domain": "Domain",
    "training_compute_flop": "Training compute (FLOP)",
    "parameters": "Parameters",
    "training_dataset_size_datapoints": "Training dataset size",
    "training_cost_usd_2023": "Training cost (2023 USD)",
    "n_benchmarks": "Benchmark scores",
}


def coverage(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """Share of notable models with a value in each column, by publication year (pre-2000 pooled)."""
    models = read(
        con,
        f"""
        select publication_date, {", ".join(COVERAGE_COLUMNS)}
        from marts.models where in_notable_models and publication_date is not null
        """,
    )
    year = pl.col("publication_date").dt.year()
    models = models.with_columns(
        pl.when(year < FIRST_YEAR).then(pl.lit(f"<{FIRST_YEAR}")).otherwise(year.cast(pl.String)).alias("year"),
        (pl.col("n_benchmarks").fill_null(0) > 0).alias("n_benchmarks"),
    )
    present = [
        (pl.col(c).is_not_null() & (pl.col(c) if c == "n_benchmarks" else pl.lit(True))).alias(c)
        for c in COVERAGE_COLUMNS
    ]
    flags = models.select("year", *present)
    long = flags.unpivot(index="year", variable_name="column", value_name="present")
    return (
        long.group_by("year", "column")
        .agg(pl.len().alias("models"), pl.col("present").sum().alias("with_value"))
        .with_columns(
            (pl.col("with_value") / pl.col("models")).alias("share"),
            pl.col("column").replace_strict(COVERAGE_COLUMNS).alias("column_label"),
        )
        .sort("column", "year")
    )


def coverage_chart(frame: pl.DataFrame) -> alt.LayerChart:
    years = sorted(frame["year"].unique().to_list(), key=lambda y: (not y.startswith("<"), y))
    base = alt.Chart(frame).encode(
        x=alt.X("year:O", sort=years, title="Publication year", axis=alt.Axis(labelAngle=-60)),
        y=alt.Y("column_label:N", sort=list(COVERAGE_COLUMNS.values()), title=None),
    )
    heat = base.mark_rect(stroke="white", strokeWidth=1).encode(
        color=alt.Color(
            "share:Q",
            title="Share with a value",
            scale=alt.Scale(domain=[0, 1], scheme="blues"),
            legend=alt.Legend(format="%", orient="bottom", gradientLength=300),
        ),
        tooltip=[
            alt.Tooltip("column_label:N", title="Column"),
            alt.Tooltip("year:O", title="Year"),
            alt.Tooltip("share:Q", title="Share with a value", format=".0%"),
            alt.Tooltip("with_value:Q", title="Models with a value"),
            alt.Tooltip("models:Q", title="Notable models"),
        ],
    )
    return alt.layer(heat).properties(
        width=940,
        height=250,
        title=alt.Title(
            "Coverage: which notable models have each value",
            subtitle=f"Share of notable models published in each year with a value (years before {FIRST_YEAR} pooled)",
        ),
    )


def match_rates(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return read(
        con,
        """
        select benchmark_name, count(*) as scores, count(model_key) as matched,
               count(model_key) / count(*) as share_matched
        from tidy.scores group by benchmark_name order by share_matched, scores desc
        """,
    )


def match_chart(frame: pl.DataFrame) -> alt.Chart:
    order = frame.sort("share_matched")["benchmark_name"].to_list()
    return (
        alt.Chart(frame)
        .mark_bar(color="#4c78a8")
        .encode(
            y=alt.Y("benchmark_name:N", sort=order, title=None, axis=alt.Axis(labelLimit=260)),
            x=alt.X(
                "share_matched:Q",
                scale=alt.Scale(domain=[0, 1]),
                axis=alt.Axis(format="%", title="Share of score rows matched to a model in marts.models"),
            ),
            tooltip=[
                alt.Tooltip("benchmark_name:N", title="Benchmark"),
                alt.Tooltip("scores:Q", title="Score rows"),
                alt.Tooltip("matched:Q", title="Matched to a model"),
                alt.Tooltip("share_matched:Q", title="Share", format=".0%"),
            ],
        )
        .properties(
            width=760,
            height=16 * len(order),
            title=alt.Title(
                "Benchmark scores matched to Epoch's model data",
                subtitle="Unmatched scores cannot be set against compute or cost",
            ),
        )
    )


def freshness_rows(con: duckdb.DuckDBPyConnection, built_at: datetime) -> list[list[object]]:
    rows = con.execute(
        """
        with ranked as (
            select *,
                   row_number() over (partition by source, requested_url order by fetched_at desc, attempt desc) as r,
                   count(*) over (partition by source, requested_url) as fetches,
                   count(distinct sha256) over (partition by source, requested_url) as versions
            from ops.fetch_log
        )
        select source, requested_url, outcome, status, fetched_at, last_modified, bytes, sha256, fetches, versions
        from ranked where r = 1 order by source, requested_url
        """
    ).fetchall()
    out: list[list[object]] = []
    for source, url, outcome, status, fetched_at, last_modified, size, sha256, fetches, versions in rows:
        age = ""
        if fetched_at is not None:
            hours = (built_at - fetched_at).total_seconds() / 3600
            age = f"{hours:.0f} h" if hours < 48 else f"{hours / 24:.0f} days"
        published = ""
        if last_modified:
            try:
                published = f"{email.utils.parsedate_to_datetime(last_modified):%Y-%m-%d}"
            except (TypeError, ValueError):
                published = last_modified
        name = url.split("?", 1)[0].rsplit("/", 1)[-1]
        out.append(
            [
                source,
                Cell(name if len(name) <= 40 else f"{name[:20]}…{name[-18:]}", title=url),
                outcome,
                status,
                Cell(age, title=f"fetched {fetched_at:%Y-%m-%d %H:%M} UTC" if fetched_at else None),
                published,
                f"{size:,}" if size is not None else "",
                fetches,
                versions,
                Cell(f"{sha256[:12]}…" if sha256 else "", {"class": "sha"}, title=sha256),
            ]
        )
    return out


def build_data_quality(con: duckdb.DuckDBPyConnection, reports_dir: Path, built_at: datetime | None = None) -> Path:
    built_at = built_at or datetime.now(UTC)
    page = Page(
        name=NAME,
        title="Data quality: coverage, rejections, matching, freshness",
        intro=(
            "What the other pages rest on: which values exist, which were rejected while tidying and why, which "
            "benchmark model names match no model, and when each source was last fetched (with its sha256)."
        ),
    )
    page.heading("Coverage by column and year", ident="coverage")
    frame = coverage(con)
    page.chart(
        "coverage",
        coverage_chart(frame),
        frame,
        "Darker is more complete. Training cost is the sparsest column, which is why benchmark pages impute it.",
    )

    page.heading("Rejected values", ident="rejected")
    if has_table(con, "ops.rejected_values"):
        rejected = read(con, "select * from ops.rejected_values order by source, column_name, row_number")
        summary = read(
            con,
            """
            select source, column_name, reason, count(*) as n,
                   string_agg(distinct coalesce(raw_value, '(empty)'), ' | ') as examples
            from ops.rejected_values group by all order by n desc, source, column_name
            """,
        ).with_columns(pl.col("examples").str.slice(0, 90))
        by_reason = (
            summary.group_by("source", "reason")
            .agg(pl.col("n").sum(), pl.len().alias("columns"), pl.col("examples").first())
            .sort(["n", "source"], descending=[True, False])
        )
        page.paragraph(
            f"{rejected.height:,} values were set to null while tidying, for {by_reason.height} reasons. Each is "
            "listed with its source row number in the CSV."
        )
        page.table(
            ["Source", "Reason", "Values", "Columns", "Examples"],
            [list(r) for r in by_reason.iter_rows()],
            ident="rejected-reasons-table",
            numeric={2, 3},
        )
        page.table(
            ["Source", "Column", "Reason", "Values", "Examples"],
            [list(r) for r in summary.iter_rows()],
            ident="rejected-table",
            numeric={3},
            collapsed=f"Show the {summary.height} (source, column, reason) groups",
        )
        page.download("rejected_values", rejected, "Every rejected value (ops.rejected_values)")
    else:
        page.missing("ops.rejected_values")

    page.heading("Benchmark model names that match no model", ident="unmatched")
    rates = match_rates(con)
    page.chart(
        "benchmark_match_rate",
        match_chart(rates),
        rates,
        "A score row matches when its model version maps to a model in Epoch's model data (aliases in "
        "pipelines/aliases.py).",
    )
    if has_table(con, "tidy.unmatched_model_versions"):
        unmatched = read(con, "select * from tidy.unmatched_model_versions order by member, model_version")
        by_file = (
            unmatched.group_by("member")
            .agg(pl.len().alias("n"), pl.col("model_version").head(6).str.join(", ").alias("examples"))
            .sort(["n", "member"], descending=[True, False])
        )
        page.paragraph(f"{unmatched.height:,} distinct model versions in the Benchmarking Hub match no model.")
        page.table(
            ["Benchmark file", "Unmatched versions", "Examples"],
            [list(r) for r in by_file.iter_rows()],
            ident="unmatched-table",
            numeric={1},
            collapsed=f"Show unmatched versions by benchmark file ({by_file.height} files)",
        )
        page.download("unmatched_model_versions", unmatched, "Every unmatched model version")
    else:
        page.missing("tidy.unmatched_model_versions")

    page.heading("Source freshness", ident="freshness")
    page.paragraph(
        "The latest fetch of every URL: its outcome, age at build time, the publisher's Last-Modified date, and "
        "how many fetches and distinct files the fetch log holds for it. Hover for the full URL and sha256; the "
        "files the tables hold now are listed with their full sha256 at the bottom of the page."
    )
    page.table(
        [
            "Source",
            "File",
            "Outcome",
            "HTTP",
            "Age",
            "Published",
            "Bytes",
            "Fetches",
            "Versions",
            "sha256",
        ],
        freshness_rows(con, built_at),
        ident="freshness-table",
        numeric={3, 6, 7, 8},
    )
    fetch_log = read(con, "select * from ops.fetch_log order by fetched_at")
    page.download("fetch_log", fetch_log, "The whole fetch log (ops.fetch_log)")
    return publish(page, reports_dir, built_at=built_at, snapshots=load_snapshots(con))
