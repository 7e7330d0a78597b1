"""Dagster resources: where raw files and reports live, the DuckDB connection to the run's working copy, and dbt.

Every run, whoever starts it (CLI, UI, schedule, sensor), takes the writer lock when its warehouse resource is set up
and builds into the working copy; when the run ends without a failed build step it publishes (`pipelines.run.publish`).
dbt runs inside the step's process (`DbtBuildResource`): a `dbt` subprocess per step spent seconds starting up.
"""

import contextlib
import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import fields
from pathlib import Path
from typing import Any

import duckdb
from dagster import (
    AssetCheckEvaluation,
    AssetCheckResult,
    AssetExecutionContext,
    AssetMaterialization,
    AssetObservation,
    ConfigurableResource,
    DagsterError,
    DagsterEventType,
    DagsterInstance,
    Failure,
    InitResourceContext,
    MetadataValue,
    Output,
)
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


class BackgroundPagesResource(ConfigurableResource):
    """The work a run does for its pages beside its own thread. When the run starts, the worker processes start and
    load vl-convert (`pipelines.run.workers.warm`), on the core the run leaves idle while it pulls, tidies and runs dbt.
    Then each page asset hands over the page it wrote, for Chromium to shoot in a thread of its own
    (`pipelines.reports.screenshots.BackgroundShots`) while the next pages build; the screenshots asset collects the
    shots, and the run's end closes the browser whatever happened. One after another, the shots took seven seconds."""

    _shots: Any = PrivateAttr(default=None)

    def setup_for_execution(self, context: InitResourceContext) -> None:
        from pipelines.reports.exports import warm_up
        from pipelines.run import workers

        workers.warm(warm_up)

    def page_written(self, name: str, page: Path) -> None:
        """Shoot `page` in the background (nothing without Chromium: the screenshots asset says so)."""
        from pipelines.reports.screenshots import BackgroundShots, find_chromium

        if self._shots is None:
            executable = find_chromium()
            if executable is None:
                return
            self._shots = BackgroundShots(executable, page.parent)
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


# -- dbt, in the step's process -----------------------------------------------------------------------------------

DBT_PATH_VARIABLE = "SCALING_WORKING_WAREHOUSE"  # the working copy a build writes (dbt_like_models/profiles.yml)
DBT_RESULT_EVENTS = frozenset({"LogSeedResult", "LogModelResult", "LogSnapshotResult", "LogTestResult"})
DBT_FAILED = frozenset({"error", "fail", "runtime error"})  # and "warn": a problem that does not fail the step
# the console shows dbt's errors only; no dbt.log, no JSON artifacts (the step has the results), no usage tracking
DBT_ARGS = ("--quiet", "--log-level-file", "none", "--no-write-json", "--no-send-anonymous-usage-stats")
DbtEvent = Output | AssetMaterialization | AssetObservation | AssetCheckResult | AssetCheckEvaluation
_MANIFESTS: dict[tuple, tuple[tuple, Any]] = {}  # (project, profile) -> (project files' state, dbt `Manifest`)


@contextmanager
def dbt_invocation(project_dir: Path, working_path: Path | None) -> Iterator[None]:
    """Where dbt expects to run: in its project directory (seeds are read from paths relative to it), with
    profiles.yml pointed at `working_path` (None leaves its default, the profile `make manifest` parses with)."""
    before = os.environ.pop(DBT_PATH_VARIABLE, None)
    if working_path is not None:
        os.environ[DBT_PATH_VARIABLE] = str(working_path)
    try:
        with contextlib.chdir(project_dir):
            yield
    finally:
        os.environ.pop(DBT_PATH_VARIABLE, None)
        if before is not None:
            os.environ[DBT_PATH_VARIABLE] = before


def project_state(project_dir: Path) -> tuple:
    """Name, size and mtime of the project's files: a manifest parsed before an edit is not reused after it."""
    state = []
    for folder, subfolders, files in os.walk(project_dir):
        subfolders[:] = sorted(d for d in subfolders if d not in ("target", "logs"))  # dbt's output, not the project
        for path in (Path(folder, name) for name in sorted(files)):
            stat = path.stat()
            state.append((str(path), stat.st_size, stat.st_mtime_ns))
    return tuple(state)


def close_dbt_duckdb() -> None:
    """dbt-duckdb keeps its DuckDB database on a class, beyond the invocation: close it, so that no handle on the
    working copy outlives the step (the run later checkpoints that file and renames it, `pipelines.run.publish`)."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager
    from dbt.adapters.factory import reset_adapters

    reset_adapters()
    with contextlib.suppress(Exception):  # `env()` raises when dbt never connected
        DuckDBConnectionManager.env().close()
    DuckDBConnectionManager.close_all_connections()


def keep_result_events(sink: list[dict]) -> Callable[[Any], None]:
    """A dbt callback keeping node results as the dicts of dbt's JSON log, the form dagster-dbt converts."""
    from dbt_common.events.functions import msg_to_dict

    def keep(message: Any) -> None:
        if message.info.name in DBT_RESULT_EVENTS:
            sink.append(msg_to_dict(message))

    return keep


def raise_interrupt(result: Any) -> None:
    """Ctrl-C or SIGTERM (Dagster's interrupt) during dbt: its runner returns it as the result; raise it again."""
    if result.exception is not None and not isinstance(result.exception, Exception):
        raise result.exception


def dbt_problems(result: Any) -> dict[str, tuple[str, str]]:
    """`unique_id -> (status, "test <name>: <dbt's message>")` for each node that errored, failed or warned."""
    problems = {}
    for node_result in getattr(result.result, "results", None) or []:
        status = str(node_result.status)
        if status in DBT_FAILED or status == "warn":
            node = node_result.node
            message = " ".join((node_result.message or status).split())
            problems[node.unique_id] = (status, f"{node.resource_type} {node.name}: {message}")
    return problems


def dbt_failure(result: Any, problems: dict[str, tuple[str, str]], command: str) -> Failure:
    """The step's failure, naming in one line every model and test that failed, with dbt's message."""
    failed = [text for status, text in problems.values() if status in DBT_FAILED]
    if result.exception is not None:
        failed.append(" ".join(str(result.exception).split()))
    return Failure(
        description=f"dbt build failed: {'; '.join(failed) or 'no node failed, yet dbt did not succeed'}",
        metadata={"dbt command": MetadataValue.text(command), "failures": MetadataValue.text("\n".join(failed))},
    )


def with_dbt_message(event: DbtEvent, problems: dict[str, tuple[str, str]]) -> DbtEvent:
    """A failed or warning check result carries dbt's own text (`Got 3 results, configured to fail if != 0`)."""
    if not isinstance(event, AssetCheckResult | AssetCheckEvaluation) or event.passed:
        return event
    unique_id = event.metadata.get("unique_id")
    problem = problems.get(getattr(unique_id, "value", unique_id) or "")
    return event._replace(description=problem[1]) if problem else event


class DbtBuildResource(ConfigurableResource):
    """`dbt build` in the step's process, through dbt's own `dbtRunner`, of exactly the step's models and tests.

    The manifest is parsed once per process, partially from `make manifest`'s `target/partial_parse.msgpack`;
    dbt's node results become Dagster events through dagster-dbt's own conversion.
    """

    project_dir: str
    profiles_dir: str

    def build(self, context: AssetExecutionContext, paths: PathsResource) -> Iterator[DbtEvent]:
        """Materializations and check results of the step's selection; a `Failure` naming what failed in dbt."""
        from dagster_dbt import DagsterDbtTranslator
        from dagster_dbt.asset_utils import get_updated_cli_invocation_params_for_context
        from dagster_dbt.core.dbt_cli_event import DbtCoreCliEventMessage
        from dbt.cli.main import dbtRunner

        params = get_updated_cli_invocation_params_for_context(context, {}, DagsterDbtTranslator())
        project_dir = Path(params.dbt_project.project_dir if params.dbt_project else self.project_dir)
        indirect = ["--indirect-selection", params.indirect_selection] if params.indirect_selection else []
        command = ["build", *params.selection_args, *indirect]
        common = self.common_args(project_dir, paths.dbt_target_path)
        manifest = self.manifest(project_dir, common, paths.working_path)
        raw_events: list[dict] = []
        with dbt_invocation(project_dir, paths.working_path):
            try:
                runner = dbtRunner(manifest=manifest, callbacks=[keep_result_events(raw_events)])
                result = runner.invoke([*command, *common])
            finally:
                close_dbt_duckdb()
        raise_interrupt(result)
        problems = dbt_problems(result)
        for raw in raw_events:
            events = DbtCoreCliEventMessage(raw_event=raw, event_history_metadata={}).to_default_asset_events(
                manifest=params.manifest,
                dagster_dbt_translator=params.dagster_dbt_translator,
                context=context,
                target_path=paths.dbt_target_path,
                project=params.dbt_project,
            )
            yield from (with_dbt_message(event, problems) for event in events)
        if not result.success:
            raise dbt_failure(result, problems, " ".join(["dbt", *command]))

    def common_args(self, project_dir: Path, target: Path) -> list[str]:
        """Project, profile, where compiled SQL goes, and `DBT_ARGS`."""
        return [
            *("--project-dir", str(project_dir), "--profiles-dir", self.profiles_dir),
            *("--target-path", str(target), "--log-path", str(target), *DBT_ARGS),
        ]

    def manifest(self, project_dir: Path, common: list[str], working_path: Path) -> Any:
        """dbt's manifest for `working_path`, parsed once per process: partially, from `make manifest`'s state, when
        the working copy's DuckDB catalog is the one that profile names (`warehouse`, as usual), else in full."""
        from dbt.adapters.duckdb.credentials import DuckDBCredentials

        manifest = self.parse(project_dir, common, None)
        catalogs = {node.database for node in manifest.nodes.values()}
        if catalogs == {DuckDBCredentials.path_derived_database_name(str(working_path))}:
            return manifest
        return self.parse(project_dir, common, working_path)

    def parse(self, project_dir: Path, common: list[str], working_path: Path | None) -> Any:
        """`dbt parse`, once per process and profile, and again after an edit to the project."""
        from dbt.cli.main import dbtRunner

        key, state = (str(project_dir), self.profiles_dir, str(working_path)), project_state(project_dir)
        if key not in _MANIFESTS or _MANIFESTS[key][0] != state:
            msgpack = project_dir / "target" / "partial_parse.msgpack"  # dbt refuses the option for a missing file
            partial = ["--partial-parse-file-path", str(msgpack)] if msgpack.is_file() else []
            with dbt_invocation(project_dir, working_path):
                result = dbtRunner().invoke(["parse", *common, *partial])
            raise_interrupt(result)
            if not result.success:
                raise Failure(description=f"dbt could not parse {project_dir}: {result.exception}")
            _MANIFESTS[key] = (state, result.result)
        return _MANIFESTS[key][1]
