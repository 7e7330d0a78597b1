"""Every report page, declared once: its file name, navigation label, title, the tables it reads and its build
function. The Dagster report assets, their dependencies, the navigation and the index's list of pages are all
derived from `PAGES`; a page that reads a table it did not declare fails (see `context.PageContext`).

The declarations load without the pages' code: each build function, and the rendering (`page`, Altair, SciPy through
the fits), is imported when a page is built, so that the Dagster definitions, which need only the declarations, load
in a fraction of the time.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # each imports Altair, through the page module
    import duckdb

    from pipelines.reports.context import PageContext
    from pipelines.reports.page import NavEntry, Page


class PageBuild:
    """A page's build function `<module>.build`, imported on its first call. It carries the function's module and
    name, as the function does: an asset's code version reads the page's own module from them."""

    def __init__(self, module: str, name: str = "build") -> None:
        self.__module__ = f"pipelines.reports.{module}"
        self.__qualname__ = self.__name__ = name

    def __call__(self, reader: PageContext, title: str) -> Page:
        return getattr(importlib.import_module(self.__module__), self.__qualname__)(reader, title)

    def __repr__(self) -> str:
        return f"PageBuild({self.__module__}.{self.__qualname__})"


@dataclass(frozen=True)
class PageSpec:
    """One page: `build` gets a context that reads only `tables` and returns the page's blocks."""

    name: str
    label: str
    title: str
    blurb: str
    tables: tuple[str, ...]
    build: PageBuild

    @property
    def nav(self) -> NavEntry:
        from pipelines.reports.page import NavEntry

        return NavEntry(self.name, self.label, self.blurb)

    @property
    def reads(self) -> tuple[str, ...]:
        """The declared tables and the provenance every page cites."""
        from pipelines.reports.common import PROVENANCE_TABLE

        return (*self.tables, PROVENANCE_TABLE) if PROVENANCE_TABLE not in self.tables else self.tables

    def asset_keys(self) -> list[str]:
        """The assets this page waits for (`schema/table`): one per declared table. Not the provenance view, which
        is always current (a view over the bookkeeping) and would tie every page to every source's release."""
        return [table.replace(".", "/") for table in self.tables]


PAGES: list[PageSpec] = [
    PageSpec(
        "index",
        "At a glance",
        "AI scaling at a glance",
        "Headline growth rates with 90% intervals, and what changed since the previous build.",
        (
            "trends.fits",
            "trends.per_dollar_vs_per_year",
            "trends.capability_trends",
            "trends.forecasts",
            "trends.headline_changes",
            "marts.models",
            "trends.benchmark_progress",
            "trends.benchmark_scaling",
            "trends.test_time_scaling",
            "trends.inference_price_trends",
        ),
        PageBuild("index"),
    ),
    PageSpec(
        "per_dollar_vs_per_year",
        "Per dollar vs per year",
        "Per dollar vs per year",
        "ECI and METR per year, per 10x compute and per 10x dollars; per 10x inference dollars within a model and "
        "how fast the price of a fixed score falls; how much compute, how many dollars, or how many years it took "
        "to halve the error, pooled and on each benchmark.",
        (
            "trends.capability_trends",
            "trends.capability_decomposition",
            "marts.scaling_laws",
            "trends.per_dollar_vs_per_year",
            "trends.benchmark_scaling",
            "trends.benchmark_progress",
            "trends.fits",
            "trends.model_costs",
            "marts.benchmark_scores",
            "marts.models",
            "trends.test_time_scaling",
            "trends.inference_price_trends",
            "trends.inference_price_points",
        ),
        PageBuild("per_dollar_vs_per_year"),
    ),
    PageSpec(
        "compute_trends",
        "Compute trends",
        "Compute, parameters, tokens and cost over time",
        "Training compute, parameters, tokens and cost over time: era fits, rolling growth rates, forecasts, and "
        "OWID's count of large-scale models by domain.",
        ("marts.models", "trends.fits", "trends.breakpoints", "trends.forecasts", "marts.owid_series"),
        PageBuild("compute_trends"),
    ),
    PageSpec(
        "efficiency",
        "Efficiency",
        "Efficiency: hardware, cost per FLOP, and compute per score",
        "Hardware FLOP/s per dollar and per watt, training cost per FLOP, and the compute needed to reach a score.",
        (
            "marts.hardware",
            "marts.benchmark_scores",
            "marts.models",
            "trends.fits",
            "trends.compute_decomposition",
            "trends.compute_to_threshold",
            "trends.compute_to_threshold_points",
        ),
        PageBuild("efficiency"),
    ),
    PageSpec(
        "benchmarks",
        "Benchmarks",
        "Benchmarks: score against compute, cost and time",
        "Score against compute and cost for each benchmark, and the record score over time.",
        (
            "marts.benchmark_scores",
            "marts.models",
            "trends.model_costs",
            "trends.benchmark_scaling",
            "trends.benchmark_progress",
        ),
        PageBuild("benchmarks"),
    ),
    PageSpec(
        "data_quality",
        "Data quality",
        "Data quality: coverage, rejections, matching, freshness",
        "Coverage by column and year, rejected values, unmatched model names, OWID's training compute reconciled with "
        "the models, source freshness and sha256.",
        (
            "marts.models",
            "marts.benchmark_scores",
            "marts.unmatched_model_versions",
            "marts.owid_compute_reconciliation",
            "marts.rejected_values",
            "marts.fetch_attempts",
            "marts.source_files",
        ),
        PageBuild("data_quality"),
    ),
]
PAGES_BY_NAME = {spec.name: spec for spec in PAGES}
PAGE_NAMES = [spec.name for spec in PAGES]


@cache
def nav() -> list[NavEntry]:
    """The navigation: every page, in `PAGES` order."""
    return [spec.nav for spec in PAGES]


def __getattr__(name: str) -> Any:
    """`NAV`, the navigation, made on first use (PEP 562): its entries' class lives with the rendering."""
    if name == "NAV":
        return nav()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def context(
    spec: PageSpec,
    con: duckdb.DuckDBPyConnection,
    reports_dir: Path,
    built_at: datetime,
    published_dir: Path | None = None,
) -> PageContext:
    """The reader a page's build function gets: its declared tables only."""
    from pipelines.reports.context import PageContext

    return PageContext(con, frozenset(spec.reads), reports_dir, built_at, nav(), spec.name, published_dir)


def build_page(
    spec: PageSpec,
    con: duckdb.DuckDBPyConnection,
    reports_dir: Path,
    built_at: datetime,
    published_dir: Path | None = None,
) -> tuple[Path, Page]:
    """Build one page from the warehouse and write it, with its data and exports, into `reports_dir`; the previous
    build's files are read from `published_dir` when the run writes into a staging folder."""
    from pipelines.reports.common import load_snapshots
    from pipelines.reports.lineage import sources_of
    from pipelines.reports.page import write_page

    reader = context(spec, con, reports_dir, built_at, published_dir)
    page = spec.build(reader, spec.title)
    snapshots = load_snapshots(reader, sources_of(spec.tables))
    return write_page(
        page, reports_dir, built_at=built_at, snapshots=snapshots, nav=nav(), published_dir=published_dir
    ), page
