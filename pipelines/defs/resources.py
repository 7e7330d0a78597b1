"""Dagster resources: where raw files and reports live, the DuckDB connection to the run's working copy, and the
work a run does for its pages in the background. dbt's resource lives with the marts (`pipelines.defs.dbt_inprocess`).

Every run, whoever starts it (CLI, UI, schedule, sensor), takes the writer lock when its warehouse resource is set up
and builds into the working copy; when the run ends without a failed build step it publishes (`pipelines.run.publish`).
"""

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import fields
from pathlib import Path
from typing import Any

import duckdb
from dagster import ConfigurableResource, DagsterError, DagsterEventType, DagsterInstance, InitResourceContext
from dagster_duckdb import DuckDBResource
from pydantic import PrivateAttr

from pipelines.layers import RAW
from pipelines.run.publish import (
    WarehouseBusy,
    WarehouseError,
    connect_bounded,
    discard_working_copy,
    prepare_working_copy,
    publish,
    writer_lock,
)
from pipelines.settings import DEFAULT_FETCH_BACKOFF_S, DEFAULT_FETCH_DEADLINE_S, DEFAULT_STEP_DEADLINE_S, Settings
from pipelines.warehouse import CONNECTION_CONFIG, ensure_schemas

RAW_STEP_PREFIX = f"{RAW}__"  # a source that fails keeps its last good table and does not stop publication
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
    step_deadline_s: float = DEFAULT_STEP_DEADLINE_S

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
    def dbt_target_path(self) -> Path:
        """dbt's compiled SQL of the latest build from this data directory (one writer at a time: the lock's)."""
        return Path(self.data_dir) / "dbt"

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
    """The run's failed steps other than raw ones: any of them keeps the run from publishing."""
    if instance is None or run_id is None:
        return []
    records = instance.all_logs(run_id, of_type=DagsterEventType.STEP_FAILURE)
    steps = [r.step_key or "" for r in records]
    return [s for s in steps if not s.startswith(RAW_STEP_PREFIX)]


class WarehouseUnavailable(DagsterError):
    """The run cannot have the warehouse (another writer holds it, or it is not usable). A Dagster error, so the run
    shows this line (the holder, or what to do) on top, instead of Dagster's wrapper around it."""


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
                completed = prepare_working_copy(self.paths.settings, self.connection_config)
                if completed and context.log:
                    context.log.warning(completed)
        except (WarehouseBusy, WarehouseError) as exc:
            stack.close()
            raise WarehouseUnavailable(str(exc)) from exc
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
                    run_ids = [run_id] if (run_id := _run_id(context)) else []
                    publish(self.paths.settings, self.connection_config, run_ids=run_ids, command="dagster run")
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


def takes_screenshots(run: Any) -> bool:
    """Whether a run shoots screenshots: its selection holds the screenshots asset, or it has no selection and is
    not the pull (a scheduled `refresh_everything`)."""
    from pipelines.defs.automation import PULL_JOB_NAME
    from pipelines.run.freshness import SCREENSHOTS_KEY

    if run is None:
        return False
    selection = run.asset_selection
    return SCREENSHOTS_KEY in selection if selection is not None else run.job_name != PULL_JOB_NAME


def reports_only(run: Any) -> bool:
    """A run of pages and screenshots alone (after a chart module's edit, say): its exports are mostly kept, and
    warming two worker processes would only take the cores its page and Chromium need."""
    from pipelines.layers import REPORTS

    selection = run.asset_selection
    return selection is not None and all(key.path[0] == REPORTS for key in selection)


class BackgroundPagesResource(ConfigurableResource):
    """The work a run does for its pages beside its own thread. When the run starts, the worker processes start and
    load vl-convert (`pipelines.run.workers.warm`), on the core the run leaves idle while it pulls, tidies and runs dbt;
    when it shoots screenshots, Chromium launches then too, in a thread of its own
    (`pipelines.reports.screenshots.BackgroundShots`). Each page asset hands over the page it wrote, for Chromium to
    shoot while the next pages build; the screenshots asset collects the shots, and the run's end closes the browser
    whatever happened. One after another, the shots took seven seconds; launched at the first page, Chromium made
    a one-page rebuild wait for it."""

    _shots: Any = PrivateAttr(default=None)

    def setup_for_execution(self, context: InitResourceContext) -> None:
        from pipelines.reports.exports import warm_up
        from pipelines.run import workers

        if context.run is None or not reports_only(context.run):
            workers.warm(warm_up)  # a run of pages alone starts them at its first chart to render, if any
        if takes_screenshots(context.run):
            self._start_browser()

    def _start_browser(self) -> None:
        """Chromium, launched in its own thread (a second or two, on the core the run leaves idle)."""
        from pipelines.reports.screenshots import BackgroundShots, find_chromium

        executable = find_chromium()
        if self._shots is None and executable is not None:
            self._shots = BackgroundShots(executable)

    def page_written(self, name: str, page: Path) -> None:
        """Shoot `page` in the background (nothing without Chromium: the screenshots asset says so)."""
        self._start_browser()
        if self._shots is not None:
            self._shots.submit(name, page)

    def taken(self) -> dict[str, Any]:
        """The pages shot so far (page name -> `Shot`), once the last is done; Chromium closed."""
        shots, self._shots = self._shots, None
        return shots.finish() if shots is not None else {}

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        """A run that failed before its screenshots step: close the browser, leaving the waiting pages unshot. The
        worker processes stay for the process's next run (a UI run is a process of its own; they exit with it)."""
        shots, self._shots = self._shots, None
        if shots is not None:
            shots.cancel()
