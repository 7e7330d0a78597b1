"""Reports: one asset per page of the registry (`pipelines/reports/registry.py`), downstream of exactly the tables
that page declares, written into `PathsResource.reports_path`; then screenshots at 1280 px wide by headless
Chromium (Playwright) of the pages the run rebuilt, or whose published screenshot is older than the page. Chromium
shoots each page as soon as it is written, while the next ones build (`BackgroundPagesResource`); the screenshots
asset collects them.

A page is written file by file through temporary names, so a failed build (or an upstream failure, which skips
these assets) leaves the previous pages in place.
"""

from datetime import UTC, datetime

from dagster import AssetExecutionContext, AssetKey, AssetsDefinition, MaterializeResult, MetadataValue, asset
from dagster_duckdb import DuckDBResource

from pipelines.defs.resources import BackgroundPagesResource, PathsResource, takes_screenshots, warehouse_connection
from pipelines.layers import REPORTS, SCREENSHOTS
from pipelines.reports.registry import PAGE_NAMES, PAGES, PageSpec, build_page
from pipelines.reports.screenshots import SCREENSHOT_DIR, find_chromium, take_screenshots
from pipelines.run.freshness import SCREENSHOTS_KEY
from pipelines.warehouse import record_reuse


def page_deps(spec: PageSpec) -> list[AssetKey]:
    """The assets a page waits for: one per table it reads, its provenance (`marts.source_files`) included."""
    return [AssetKey.from_user_string(key) for key in spec.asset_keys()]


def page_asset(spec: PageSpec) -> AssetsDefinition:
    """The asset that builds one page of the registry."""

    @asset(
        key=["reports", spec.name],
        deps=page_deps(spec),
        group_name="reports",
        kinds={"altair", "html"},
        description=f"reports/{spec.name}.html: {spec.blurb}",
    )
    def _page(
        context: AssetExecutionContext,
        warehouse: DuckDBResource,
        paths: PathsResource,
        background: BackgroundPagesResource,
    ) -> MaterializeResult:
        with warehouse_connection(warehouse) as con:
            published = paths.settings.reports_dir  # the previous build's files (the run writes to a staging folder)
            path, page = build_page(spec, con, paths.reports_path, datetime.now(UTC), published)
            kept = {chart: (int(k), int(not k)) for chart, k in page.exports_kept.items()}
            record_reuse(con, f"{REPORTS}/{spec.name}", "chart export", kept)
        if takes_screenshots(context.run):  # a page rebuilt alone has nobody to collect its shot
            background.page_written(spec.name, path)
        missing = sorted({block.data["table"] for block in page.blocks if block.kind == "missing"})
        if missing:
            context.log.warning(f"{path.name}: sections waiting for tables that are missing: {', '.join(missing)}")
        return MaterializeResult(
            metadata={
                "path": MetadataValue.path(str(path)),
                "bytes": path.stat().st_size,
                "charts": MetadataValue.json(sorted(page.charts)),
                "missing_tables": MetadataValue.json(missing),
            }
        )

    return _page


PAGE_ASSETS = [page_asset(spec) for spec in PAGES]


@asset(
    key=SCREENSHOTS_KEY,
    deps=[AssetKey(["reports", name]) for name in PAGE_NAMES],
    group_name="reports",
    kinds={"chromium", "png"},
)
def report_screenshots(
    context: AssetExecutionContext, paths: PathsResource, background: BackgroundPagesResource, warehouse: DuckDBResource
) -> MaterializeResult:
    """reports/screenshots/<page>.png: every page at 1280 px wide, rendered by headless Chromium from file://; a
    page this run did not rebuild keeps its published screenshot when that is newer than the page."""
    executable = find_chromium()
    if executable is None:
        context.log.warning(
            "No screenshots: Chromium is not on PATH (tried chromium, chromium-browser, google-chrome). "
            "Install Debian's `chromium` (make browser) to get reports/screenshots/*.png."
        )
        return MaterializeResult(metadata={"skipped": "chromium not found"})
    shots = take_screenshots(
        paths.reports_path,
        PAGE_NAMES,
        executable=executable,
        published_dir=paths.settings.reports_dir,
        taken=background.taken(),
    )
    taken = {s.page: s.report for s in shots if s.report is not None}
    with warehouse_connection(warehouse) as con:
        record_reuse(
            con, SCREENSHOTS, "screenshot", {s.page: (int(s.report is None), int(s.report is not None)) for s in shots}
        )
    problems = {page: report.console_errors for page, report in taken.items() if report.console_errors}
    failed = {page: report.charts_state for page, report in taken.items() if report.charts_state != "ok"}
    problems |= {page: [f"charts: {state}"] for page, state in failed.items()}
    for page, errors in problems.items():
        context.log.warning(f"{page}.html logged errors in Chromium: {errors}")
    return MaterializeResult(
        metadata={
            "screenshots": MetadataValue.json([str(s.path) for s in shots]),
            "directory": MetadataValue.path(str(paths.reports_path / SCREENSHOT_DIR)),
            "taken": MetadataValue.json(sorted(taken)),
            "kept": MetadataValue.json(sorted(s.page for s in shots if s.report is None)),
            "pages_with_errors": MetadataValue.json(problems),
            "heights_px": MetadataValue.json({page: report.height for page, report in taken.items()}),
        }
    )


REPORT_ASSETS = [*PAGE_ASSETS, report_screenshots]
