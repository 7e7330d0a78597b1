"""Dagster resources: where raw files and reports live, and the DuckDB connection to the run's working copy.

Every run, whoever starts it (CLI, UI, schedule, sensor), takes the writer lock when its warehouse resource is set up
and builds into the working copy; when the run ends without a failed build step it publishes (`pipelines.publish`).
"""

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import fields
from pathlib import Path

import duckdb
from dagster import ConfigurableResource, DagsterEventType, DagsterInstance, InitResourceContext
from dagster_duckdb import DuckDBResource
from pydantic import PrivateAttr

from pipelines.publish import connect_bounded, discard_working_copy, prepare_working_copy, publish, writer_lock
from pipelines.settings import DEFAULT_FETCH_BACKOFF_S, DEFAULT_FETCH_DEADLINE_S, Settings
from pipelines.warehouse import CONNECTION_CONFIG, ensure_schemas

INGEST_STEP_PREFIX = "raw__"  # a source that fails keeps its last good table and does not stop publication
PATH_FIELDS = ("data_dir", "warehouse_path", "reports_dir")  # `Path` in Settings, text in a Dagster resource


class PathsResource(ConfigurableResource):
    """The `SCALING_*` settings as a resource, so a run records where it read and wrote."""

    data_dir: str
    warehouse_path: str
    reports_dir: str
    sources_mirror: str | None = None
    fetch_deadline_s: float = DEFAULT_FETCH_DEADLINE_S
    fetch_backoff_s: float = DEFAULT_FETCH_BACKOFF_S
    lock_wait_s: float = 0.0

    @classmethod
    def from_settings(cls, settings: Settings) -> "PathsResource":
        values = {f.name: getattr(settings, f.name) for f in fields(Settings)}
        return cls(**{k: str(v) if k in PATH_FIELDS else v for k, v in values.items()})

    @property
    def settings(self) -> Settings:
        """The settings this resource was made from, paths as `Path` again."""
        values = {f.name: getattr(self, f.name) for f in fields(Settings)}
        return Settings(**{k: Path(v) if k in PATH_FIELDS else v for k, v in values.items()})

    @property
    def raw_dir(self) -> Path:
        return Path(self.data_dir) / "raw"

    @property
    def working_path(self) -> Path:
        """The warehouse file this run writes (dbt included); never the published one."""
        return self.settings.working_path

    @property
    def reports_path(self) -> Path:
        """Where this run writes pages: the staging folder, published with the warehouse."""
        return self.settings.reports_staging_dir


def _run_id(context: InitResourceContext) -> str | None:
    return context.run.run_id if context.run else None


def failed_build_steps(instance: DagsterInstance | None, run_id: str | None) -> list[str]:
    """The run's failed steps other than ingest ones: any of them keeps the run from publishing."""
    if instance is None or run_id is None:
        return []
    records = instance.all_logs(run_id, of_type=DagsterEventType.STEP_FAILURE)
    steps = [r.step_key or "" for r in records]
    return [s for s in steps if not s.startswith(INGEST_STEP_PREFIX)]


class WarehouseResource(DuckDBResource):
    """dagster-duckdb's resource, opening the run's working copy in the storage format the DuckDB 1.5 CLI reads.

    Unlike its parent it retries only a lock conflict, for seconds: a corrupt file or a full disk fails at once.
    """

    paths: PathsResource
    _stack: ExitStack | None = PrivateAttr(default=None)
    _outermost: bool = PrivateAttr(default=False)

    def setup_for_execution(self, context: InitResourceContext) -> None:
        stack = ExitStack()
        try:
            outermost, note = stack.enter_context(
                writer_lock(self.paths.settings, command="dagster run", run_id=_run_id(context))
            )
            if note and context.log:
                context.log.warning(note)
            if outermost:
                prepare_working_copy(self.paths.settings, self.connection_config)
        except BaseException:
            stack.close()
            raise
        self._stack, self._outermost = stack, outermost

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        if self._stack is None:
            return
        try:
            if self._outermost:
                failed = failed_build_steps(context.instance, _run_id(context))
                if failed:
                    discard_working_copy(self.paths.settings)
                    if context.log:
                        context.log.error(f"not published: build step(s) failed: {', '.join(failed)}")
                else:
                    publish(self.paths.settings, self.connection_config)
        finally:
            self._stack.close()
            self._stack = None

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        con = connect_bounded(Path(self.database), self.connection_config)
        try:
            yield con
        finally:
            con.close()


def warehouse_resource(settings: Settings) -> WarehouseResource:
    """The run's warehouse: the working copy of `settings`, published when the run succeeds."""
    return WarehouseResource(
        database=str(settings.working_path),
        connection_config=dict(CONNECTION_CONFIG),
        paths=PathsResource.from_settings(settings),
    )


@contextmanager
def warehouse_connection(warehouse: DuckDBResource) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection with the five schemas and the `ops` tables in place."""
    with warehouse.get_connection() as con:
        ensure_schemas(con)
        yield con
