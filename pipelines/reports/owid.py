"""The Our World in Data sections: OWID's cumulative count of large-scale models by domain (compute trends page)
and the reconciliation of OWID's republished training compute against `marts.models` (data-quality page), both
from the marts (`marts.owid_series`, `marts.owid_compute_reconciliation`)."""

from __future__ import annotations

import altair as alt
import polars as pl

from pipelines.reports.builders import category_lines
from pipelines.reports.common import sig
from pipelines.reports.context import PageContext
from pipelines.reports.page import Page

SERIES = "marts.owid_series"
RECONCILIATION = "marts.owid_compute_reconciliation"
ALL_DOMAINS = "All large-scale AI systems"  # OWID's total, drawn beside the domains
STATUS_WORDS = {
    "agree": "Both have it, values agree",
    "differ": "Both have it, values differ",
    "only_in_owid": "Only OWID has a value",
    "only_in_models": "Only Epoch's notable models have a value",
}
LARGEST = 10  # differences listed on the page; the CSV has them all


def large_scale_counts(ctx: PageContext) -> pl.DataFrame:
    return ctx.read(
        """
        select entity as domain, year, value as models
        from marts.owid_series
        where chart = 'owid_large_scale_by_domain' and year is not null
        order by domain, year
        """
    )


def large_scale_section(ctx: PageContext, page: Page) -> None:
    """OWID's cumulative number of large-scale models (over 1e23 FLOP) per domain, by year."""
    page.heading("Large-scale models by domain (OWID)", ident="large-scale-by-domain")
    if not ctx.has(SERIES):
        page.missing(SERIES, "no OWID series")
        return
    counts = large_scale_counts(ctx)
    if counts.is_empty():
        page.paragraph("OWID's cumulative count of large-scale models by domain is not in the warehouse yet.")
        return
    latest = counts.group_by("domain").agg(pl.col("models").last()).sort(["models", "domain"], descending=[True, False])
    chart = category_lines(
        counts,
        x=alt.X("year:O", title="Year"),
        y=alt.Y("models:Q", title="Large-scale models to date (cumulative)"),
        category="domain",
        order=latest["domain"].to_list(),
        tooltip=[("domain:N", "Domain", None), ("year:O", "Year", None), ("models:Q", "Models to date", ",d")],
        title=alt.Title("Large-scale AI models by domain", subtitle="Cumulative count, as republished by OWID"),
    )
    page.chart(
        "large_scale_by_domain",
        chart,
        counts,
        f"Our World in Data's cumulative count of large-scale models (Epoch's large-scale set) per domain; "
        f"'{ALL_DOMAINS}' is the total, and a model listing two domains counts in both.",
    )


def status_rows(reconciliation: pl.DataFrame) -> list[list[object]]:
    counts = dict(reconciliation.group_by("status").len().iter_rows())
    return [[words, counts.get(status, 0)] for status, words in STATUS_WORDS.items()]


def difference_rows(reconciliation: pl.DataFrame) -> list[list[object]]:
    differ = reconciliation.filter(pl.col("status") == "differ").sort("abs_log10_difference", descending=True)
    return [
        [
            r["model_name"],
            sig(r["owid_compute_flop"], 3),
            sig(r["models_compute_flop"], 3),
            f"×{r['owid_to_models_ratio']:.3g}",
        ]
        for r in differ.head(LARGEST).iter_rows(named=True)
    ]


def one_side_rows(reconciliation: pl.DataFrame, status: str) -> list[list[object]]:
    rows = reconciliation.filter(pl.col("status") == status).sort("model_key").head(LARGEST)
    value = "owid_compute_flop" if status == "only_in_owid" else "models_compute_flop"
    return [
        [r["model_name"], sig(r[value], 3), "yes" if r["is_in_models"] else "no"] for r in rows.iter_rows(named=True)
    ]


def reconciliation_section(ctx: PageContext, page: Page) -> None:
    """OWID's training compute against marts.models: counts by status, the largest differences, each side's extras."""
    page.heading("OWID's training compute against the warehouse", ident="owid-reconciliation")
    rows = ctx.optional(page, RECONCILIATION, "no reconciliation", order_by="status, model_key")
    if rows is None:
        return
    tolerance = rows["relative_tolerance"].max() if rows.height else None
    page.paragraph(
        "Our World in Data republishes Epoch's training compute of notable AI systems. Each model of OWID's chart "
        "is matched to marts.models by its normalised name; the two values agree when they are within "
        f"{tolerance:.0%} of each other. Models only one side has are counted too."
        if tolerance is not None
        else "The reconciliation has no rows yet."
    )
    page.table(["Status", "Models"], status_rows(rows), ident="owid-reconciliation-counts", numeric={1})
    page.table(
        ["Model", "OWID (FLOP)", "Warehouse (FLOP)", "OWID / warehouse"],
        difference_rows(rows),
        ident="owid-reconciliation-differences",
        numeric={1, 2, 3},
        collapsed=f"Show the largest differences (up to {LARGEST})",
    )
    for status in ("only_in_owid", "only_in_models"):
        page.table(
            ["Model", "Training compute (FLOP)", "In marts.models"],
            one_side_rows(rows, status),
            ident=f"owid-reconciliation-{status.replace('_', '-')}",
            numeric={1},
            collapsed=f"{STATUS_WORDS[status]}: first {LARGEST} by name",
        )
    page.download("owid_compute_reconciliation", rows, "Every model of the reconciliation")
