"""Reports: one Altair HTML page per asset, written to `reports/`, downstream of exactly the tables it reads; then
screenshots of every page at 1280 px wide by headless Chromium.

A page is written file by file through temporary names, so a failed build (or an upstream failure, which skips
these assets) leaves the previous pages in place.
"""

import html
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import duckdb
from dagster import AssetExecutionContext, AssetKey, AssetsDefinition, MaterializeResult, MetadataValue, asset
from dagster_duckdb import DuckDBResource

from pipelines.charts.benchmarks import build_benchmarks
from pipelines.charts.browser import find_chromium
from pipelines.charts.compute_trends import build_compute_trends
from pipelines.charts.data_quality import build_data_quality
from pipelines.charts.efficiency import build_efficiency
from pipelines.charts.index import build_index
from pipelines.charts.per_dollar_vs_per_year import build_per_dollar_vs_per_year
from pipelines.charts.screenshots import SCREENSHOT_DIR, take_screenshots
from pipelines.defs.resources import PathsResource, warehouse_connection
from pipelines.sources import SOURCES

Builder = Callable[[duckdb.DuckDBPyConnection, Path, datetime], Path]

# Every page cites the file each raw table holds (sha256, fetch time, rows) and its Last-Modified from the fetch log.
PROVENANCE = [["raw", source.name] for source in SOURCES] + [["ops", "fetch_log"]]

PAGES: list[tuple[str, Builder, list[list[str]], str]] = [
    (
        "index",
        build_index,
        [
            ["trends", "fits"],
            ["trends", "per_dollar_vs_per_year"],
            ["trends", "capability_trends"],
            ["trends", "forecasts"],
            ["marts", "models"],
        ],
        "reports/index.html: headline growth table with 90% CIs, what changed since the previous build, links.",
    ),
    (
        "per_dollar_vs_per_year",
        build_per_dollar_vs_per_year,
        [
            ["trends", "per_dollar_vs_per_year"],
            ["trends", "benchmark_scaling"],
            ["trends", "benchmark_progress"],
            ["trends", "fits"],
            ["trends", "model_costs"],
            ["trends", "capability_trends"],
            ["trends", "capability_decomposition"],
            ["marts", "scaling_laws"],
            ["tidy", "scores"],
            ["marts", "models"],
        ],
        "reports/per_dollar_vs_per_year.html: ECI and METR per year, per 10x compute and dollars; ×compute, ×dollars "
        "or years to halve the error, pooled and per benchmark.",
    ),
    (
        "compute_trends",
        build_compute_trends,
        [["marts", "models"], ["trends", "fits"], ["trends", "breakpoints"], ["trends", "forecasts"]],
        "reports/compute_trends.html: compute, parameters, tokens and cost over time, era and rolling fits.",
    ),
    (
        "efficiency",
        build_efficiency,
        [
            ["tidy", "hardware"],
            ["tidy", "scores"],
            ["marts", "models"],
            ["trends", "fits"],
            ["trends", "compute_decomposition"],
            ["trends", "compute_to_threshold"],
            ["trends", "compute_to_threshold_points"],
        ],
        "reports/efficiency.html: hardware FLOP/s per dollar and per watt, cost per FLOP, compute to a threshold.",
    ),
    (
        "benchmarks",
        build_benchmarks,
        [
            ["tidy", "scores"],
            ["marts", "models"],
            ["trends", "model_costs"],
            ["trends", "benchmark_scaling"],
            ["trends", "benchmark_progress"],
        ],
        "reports/benchmarks.html: score vs compute and vs cost per benchmark, and the frontier over time.",
    ),
    (
        "data_quality",
        build_data_quality,
        [
            ["marts", "models"],
            # tidy.scores also writes tidy.unmatched_model_versions; the tidy assets write ops.rejected_values
            ["tidy", "scores"],
            ["tidy", "models"],
            ["tidy", "hardware"],
            ["tidy", "owid_series"],
            ["ops", "source_versions"],
        ],
        "reports/data_quality.html: coverage by column and year, rejected values, unmatched names, freshness.",
    ),
]


def _deps(tables: list[list[str]]) -> list[AssetKey]:
    return [AssetKey(t) for t in tables] + [AssetKey(p) for p in PROVENANCE]


def page_asset(name: str, builder: Builder, tables: list[list[str]], description: str) -> AssetsDefinition:
    @asset(
        key=["reports", name],
        deps=_deps(tables),
        group_name="reports",
        kinds={"altair", "html"},
        description=description,
    )
    def _page(context: AssetExecutionContext, warehouse: DuckDBResource, paths: PathsResource) -> MaterializeResult:
        with warehouse_connection(warehouse) as con:
            path = builder(con, paths.reports_path, datetime.now(UTC))
        text = path.read_text(encoding="utf-8")
        missing = sorted({html.unescape(m) for m in re.findall(r'data-missing="([^"]+)"', text)})
        if missing:
            context.log.warning(f"{path.name}: sections waiting for tables that are missing: {', '.join(missing)}")
        charts = sorted(p.stem for p in (paths.reports_path / name).glob("*.svg"))
        return MaterializeResult(
            metadata={
                "path": MetadataValue.path(str(path)),
                "bytes": path.stat().st_size,
                "charts": MetadataValue.json(charts),
                "missing_tables": MetadataValue.json(missing),
            }
        )

    return _page


PAGE_ASSETS = [page_asset(*spec) for spec in PAGES]


@asset(
    key=["reports", "screenshots"],
    deps=[AssetKey(["reports", name]) for name, *_ in PAGES],
    group_name="reports",
    kinds={"chromium", "png"},
)
def report_screenshots(context: AssetExecutionContext, paths: PathsResource) -> MaterializeResult:
    """reports/screenshots/<page>.png: every page at 1280 px wide, rendered by headless Chromium from file://."""
    executable = find_chromium()
    if executable is None:
        context.log.warning(
            "No screenshots: Chromium is not on PATH (tried chromium, chromium-browser, google-chrome). "
            "Install Debian's `chromium` (make browser) to get reports/screenshots/*.png."
        )
        return MaterializeResult(metadata={"skipped": "chromium not found"})
    shots = take_screenshots(paths.reports_path, executable=executable)
    problems = {s.page: s.report.console_errors for s in shots if s.report.console_errors}
    problems |= {s.page: [f"charts: {s.report.charts_state}"] for s in shots if s.report.charts_state != "ok"}
    for page, errors in problems.items():
        context.log.warning(f"{page}.html logged errors in Chromium: {errors}")
    return MaterializeResult(
        metadata={
            "screenshots": MetadataValue.json([str(s.path) for s in shots]),
            "directory": MetadataValue.path(str(paths.reports_path / SCREENSHOT_DIR)),
            "pages_with_errors": MetadataValue.json(problems),
            "heights_px": MetadataValue.json({s.page: s.report.height for s in shots}),
        }
    )


REPORT_ASSETS = [*PAGE_ASSETS, report_screenshots]
