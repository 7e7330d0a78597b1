"""Reports: Altair HTML pages written to `reports/`, downstream of the tables they read."""

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue, asset
from dagster_duckdb import DuckDBResource

from pipelines.charts.index import build_index
from pipelines.defs.resources import PathsResource, warehouse_connection


@asset(
    key=["reports", "index"],
    deps=[["trends", "fits"], ["marts", "models"]],
    group_name="reports",
    kinds={"altair", "html"},
)
def index_report(context: AssetExecutionContext, warehouse: DuckDBResource, paths: PathsResource) -> MaterializeResult:
    """reports/index.html: compute vs date on a log axis with the fitted trend, numbers in words, provenance."""
    with warehouse_connection(warehouse) as con:
        path = build_index(con, paths.reports_path)
    return MaterializeResult(metadata={"path": MetadataValue.path(str(path)), "bytes": path.stat().st_size})


REPORT_ASSETS = [index_report]
