"""Dagster resources: where the warehouse, raw files and reports live, and the DuckDB connection to the warehouse."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
from dagster import ConfigurableResource
from dagster_duckdb import DuckDBResource

from pipelines.settings import Settings
from pipelines.warehouse import CONNECTION_CONFIG, ensure_schemas


class PathsResource(ConfigurableResource):
    """The `SCALING_*` settings as a resource, so a run records where it read and wrote."""

    data_dir: str
    warehouse_path: str
    reports_dir: str
    sources_mirror: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> "PathsResource":
        return cls(
            data_dir=str(settings.data_dir),
            warehouse_path=str(settings.warehouse_path),
            reports_dir=str(settings.reports_dir),
            sources_mirror=settings.sources_mirror,
        )

    @property
    def raw_dir(self) -> Path:
        return Path(self.data_dir) / "raw"

    @property
    def reports_path(self) -> Path:
        return Path(self.reports_dir)


def warehouse_resource(settings: Settings) -> DuckDBResource:
    """dagster-duckdb's resource, opening the file in the storage format the DuckDB 1.5 CLI reads."""
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    return DuckDBResource(database=str(settings.warehouse_path), connection_config=dict(CONNECTION_CONFIG))


@contextmanager
def warehouse_connection(warehouse: DuckDBResource) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection with the five schemas and the `ops` tables in place."""
    with warehouse.get_connection() as con:
        ensure_schemas(con)
        yield con
