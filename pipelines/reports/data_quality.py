"""`reports/data_quality.html`: how complete and how fresh the data behind the other pages is: coverage of each
model column by publication year, rejected values, benchmark names that match no model, every source's latest
fetch with its sha256, and the columns each new file added or removed.
"""

from __future__ import annotations

import email.utils
from datetime import datetime

import altair as alt
import polars as pl

from pipelines.reports.context import PageContext, compose
from pipelines.reports.owid import reconciliation_section
from pipelines.reports.page import Cell, Page

INTRO = (
    "What the other pages rest on: which values exist, which were rejected while tidying and why, which "
    "benchmark model names match no model, when each source was last fetched (with its sha256), and how its "
    "columns changed between pulls."
)
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


def coverage(ctx: PageContext) -> pl.DataFrame:
    """Share of notable models with a value in each column, by publication year (pre-2000 pooled)."""
    models = ctx.read(
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


def match_rates(ctx: PageContext) -> pl.DataFrame:
    return ctx.read(
        """
        select benchmark_name, count(*) as scores, count(model_key) as matched,
               count(model_key) / count(*) as share_matched
        from marts.benchmark_scores group by benchmark_name order by share_matched, scores desc, benchmark_name
        """,
    )


def match_chart(frame: pl.DataFrame) -> alt.Chart:
    order = frame.sort("share_matched", maintain_order=True)["benchmark_name"].to_list()  # ties: in the SQL's order
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


FRESHNESS_HEADER = ["Source", "File", "Outcome", "HTTP", "Age", "Published", "Bytes", "Fetches", "Versions", "sha256"]


def _age(built_at: datetime, fetched_at: datetime | None) -> str:
    if fetched_at is None:
        return ""
    hours = (built_at - fetched_at).total_seconds() / 3600
    return f"{hours:.0f} h" if hours < 48 else f"{hours / 24:.0f} days"


def _day(last_modified: str | None) -> str:
    if not last_modified:
        return ""
    try:
        return f"{email.utils.parsedate_to_datetime(last_modified):%Y-%m-%d}"
    except (TypeError, ValueError):
        return last_modified


def freshness_rows(ctx: PageContext) -> list[list[object]]:
    """The latest fetch of every URL, with how many fetches and distinct files the log holds for it."""
    latest = ctx.read(
        """
        with ranked as (
            select *,
                   row_number() over (partition by source, requested_url order by fetched_at desc, attempt desc) as r,
                   count(*) over (partition by source, requested_url) as fetches,
                   count(distinct sha256) over (partition by source, requested_url) as versions
            from marts.fetch_attempts
        )
        select source, requested_url, outcome, http_status as status, fetched_at, last_modified, bytes, sha256, fetches,
               versions
        from ranked where r = 1 order by source, requested_url
        """
    )
    out: list[list[object]] = []
    for r in latest.iter_rows(named=True):
        name = r["requested_url"].split("?", 1)[0].rsplit("/", 1)[-1]
        fetched, sha256 = r["fetched_at"], r["sha256"]
        out.append(
            [
                r["source"],
                Cell(name if len(name) <= 40 else f"{name[:20]}…{name[-18:]}", title=r["requested_url"]),
                r["outcome"],
                r["status"],
                Cell(_age(ctx.built_at, fetched), title=f"fetched {fetched:%Y-%m-%d %H:%M} UTC" if fetched else None),
                _day(r["last_modified"]),
                f"{r['bytes']:,}" if r["bytes"] is not None else "",
                r["fetches"],
                r["versions"],
                Cell(f"{sha256[:12]}…" if sha256 else "", {"class": "sha"}, title=sha256),
            ]
        )
    return out


def coverage_section(ctx: PageContext, page: Page) -> None:
    page.heading("Coverage by column and year", ident="coverage")
    frame = coverage(ctx)
    page.chart(
        "coverage",
        coverage_chart(frame),
        frame,
        "Darker is more complete. Training cost is the sparsest column, which is why benchmark pages impute it.",
    )


def rejected_section(ctx: PageContext, page: Page) -> None:
    """Values set to null while tidying, by reason and by (source, column, reason), and all of them as CSV."""
    page.heading("Rejected values", ident="rejected")
    rejected = ctx.optional(page, "marts.rejected_values", order_by="source, column_name, row_number")
    if rejected is None:
        return
    summary = ctx.read(
        """
        select source, column_name, reason, count(*) as n,
               string_agg(distinct coalesce(raw_value, '(empty)'), ' | ') as examples
        from marts.rejected_values group by all order by n desc, source, column_name
        """
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
    page.download("rejected_values", rejected, "Every rejected value (marts.rejected_values)")


def unmatched_section(ctx: PageContext, page: Page) -> None:
    """How many score rows match a model, per benchmark, and the model versions that match none."""
    page.heading("Benchmark model names that match no model", ident="unmatched")
    rates = match_rates(ctx)
    page.chart(
        "benchmark_match_rate",
        match_chart(rates),
        rates,
        "A score row matches when its model version maps to a model in Epoch's model data (aliases in "
        "pipelines/raw/aliases.py).",
    )
    unmatched = ctx.optional(page, "marts.unmatched_model_versions", order_by="member, model_version")
    if unmatched is None:
        return
    if "source" not in unmatched.columns:  # a warehouse built before the inference-price study was added
        unmatched = unmatched.with_columns(pl.lit("benchmark_data").alias("source"))
    by_file = (
        unmatched.group_by("source", "member")
        .agg(pl.len().alias("n"), pl.col("model_version").head(6).str.join(", ").alias("examples"))
        .sort(["n", "source", "member"], descending=[True, False, False])
    )
    hub = unmatched.filter(pl.col("source") == "benchmark_data").height
    page.paragraph(
        f"{hub:,} distinct model versions in the Benchmarking Hub match no model; "
        f"{unmatched.height - hub:,} model names and versions of Epoch's inference-price study match neither a "
        "model nor a hub version."
    )
    page.table(
        ["Source", "File", "Unmatched names", "Examples"],
        [list(r) for r in by_file.iter_rows()],
        ident="unmatched-table",
        numeric={2},
        collapsed=f"Show unmatched names by file ({by_file.height} files)",
    )
    page.download("unmatched_model_versions", unmatched, "Every unmatched model name and version")


def freshness_section(ctx: PageContext, page: Page) -> None:
    page.heading("Source freshness", ident="freshness")
    page.paragraph(
        "The latest fetch of every URL: its outcome, age at build time, the publisher's Last-Modified date, and "
        "how many fetches and distinct files the fetch log holds for it. Hover for the full URL and sha256; the "
        "files the tables hold now are listed with their full sha256 at the bottom of the page."
    )
    page.table(FRESHNESS_HEADER, freshness_rows(ctx), ident="freshness-table", numeric={3, 6, 7, 8})
    page.download(
        "fetch_log",
        ctx.read("select * from marts.fetch_attempts order by fetched_at, attempt"),
        "The whole fetch log (marts.fetch_attempts)",
    )


SCHEMA_COLUMNS = ("added_columns", "removed_columns")


def schema_changes_section(ctx: PageContext, page: Page) -> None:
    """Per source, every new file pulled and the columns it added or removed against the one before. The column
    lists are read only where marts.source_files has them (they were added to it later)."""
    page.heading("Columns added and removed between pulls", ident="schema-changes")
    versions = ctx.optional(page, "marts.source_files", order_by="source, fetched_at")
    if versions is None:
        return
    recorded = [c for c in SCHEMA_COLUMNS if c in ctx.columns("marts.source_files")]
    if len(recorded) < len(SCHEMA_COLUMNS):
        page.paragraph(
            "This warehouse's marts.source_files does not record column changes yet: each pull is listed without them.",
            css="meta",
        )
    rows = []
    for r in versions.iter_rows(named=True):
        changes = ["; ".join(r[c]) if r.get(c) else "" for c in recorded]
        sha256 = r["sha256"] or ""
        rows.append(
            [
                r["source"],
                f"{r['fetched_at']:%Y-%m-%d %H:%M}",
                r["status"],
                r["rows"],
                *changes,
                Cell(f"{sha256[:12]}…" if sha256 else "", {"class": "sha"}, title=sha256),
            ]
        )
    header = ["Source", "Pulled (UTC)", "Status", "Rows", *[c.replace("_", " ").capitalize() for c in recorded]]
    page.table([*header, "sha256"], rows, ident="schema-changes-table", numeric={3})


SECTIONS = [
    coverage_section,
    rejected_section,
    unmatched_section,
    reconciliation_section,
    freshness_section,
    schema_changes_section,
]


def build(ctx: PageContext, title: str) -> Page:
    """The data-quality page: coverage, rejections, matching, freshness and column changes."""
    return compose(ctx, title, INTRO, SECTIONS)
