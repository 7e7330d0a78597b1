"""dbt inside the step's process: `dbt build` through dbt's own `dbtRunner`, its results made Dagster events by
dagster-dbt's own conversion. This module holds the only private dagster-dbt calls in the project.

Why not dagster-dbt's public path, `yield from dbt.cli(["build"], context=context).stream()` with a `DbtCliResource`
(a `dbt` subprocess per step)? Measured on this project's two shared cores, each run in a fresh process as
`python -m pipelines` is, the two paths interleaved, each with its partial-parse state in place:
- one step of three marts (marts/source_versions and two seeds): the step took 2.2-6.2 s in-process against 7.2 s
  through the subprocess (16.9 s while the data directory had no partial-parse state of its own yet), the whole run
  3.1-3.4 s of CPU against 7.9 s. `cli()` spent 3.2 s before dbt started (`dbt --version`, which also asks PyPI
  for the latest release, once per run; dagster-dbt's adapter set-up in this process, 1.2 s on every call), and
  the subprocess 4 s more.
- every mart (two dbt steps): 7-8 s of CPU for the run in-process, 17-19 s through the subprocess; the later step
  that builds marts/benchmark_scores alone took 1-2 s in-process, 6-7 s through the subprocess.
- a full `refresh`, once each on a loaded machine: its three dbt steps took 38.9 s in-process, 47.1 s through the
  subprocess.
That is about 5 s more a step, beyond the 1-2 s this project accepts. The public stream also echoes every dbt line
on stdout (the console shows dbt's errors only) and leaves a failed test's check result without dbt's message.

The private calls: `dagster_dbt.asset_utils.get_subset_selection_for_context` (the step's selection, as
`DbtCliResource.cli` computes it for a `@dbt_assets` step, with its op-tag and environment-variable names from the same
module) and `dagster_dbt.core.dbt_cli_event.DbtCoreCliEventMessage` (a dbt result event to Dagster events, as
`.stream()` converts it). The marts asset is `@dbt_assets`' multi-asset rebuilt from cached specs
(`pipelines.defs.marts`), without dagster-dbt's live objects in its metadata: both calls get the manifest and the
translator explicitly (`pipelines.defs.dbt_translator.dbt_translation`), and read each key's dbt node from the
unique_id its spec carries. `cli()`'s other branch, a copy of the project with a selector file once a selection
lists over 200 nodes, only works around a command line's length, which an in-process dbt does not have.
`tests/assets/test_marts_dbt.py` fails when an upgrade breaks them. The public path is then a `DbtCliResource` and
the `@dbt_assets` definition itself (loaded with dagster-dbt and dbt-core, 1.4 s more at every load) with a one-line
body, with `SCALING_WORKING_WAREHOUSE` in the environment dbt starts with.

dbt-duckdb opens the run's working copy in this process: the step holds no other connection on it while dbt runs
(`pipelines.defs.marts`), and dbt's is closed when dbt returns (`close_dbt_duckdb`), since the run later renames the
file.
"""

import contextlib
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from dagster import (
    AssetCheckEvaluation,
    AssetCheckResult,
    AssetExecutionContext,
    AssetMaterialization,
    AssetObservation,
    ConfigurableResource,
    Failure,
    MetadataValue,
    Output,
)

from pipelines.defs.resources import PathsResource

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


FAILING_ROWS_SHOWN = 5


def failing_rows(node: Any, working_path: Path | None) -> str:
    """The first failing rows of a failed test, as its compiled SQL returns them: the model-level tests return the
    column, the row's key and the value (`tests/generic/`), so the check's text names them, not only a count."""
    sql = getattr(node, "compiled_code", None)
    if node.resource_type != "test" or not sql or working_path is None:
        return ""
    import duckdb

    try:
        with duckdb.connect(str(working_path), read_only=True) as con:
            rows = con.execute(f"select * from ({sql}) limit {FAILING_ROWS_SHOWN}").fetchall()
    except duckdb.Error:
        return ""  # the count dbt gave stays the message
    return "; rows: " + "; ".join(", ".join(map(str, row)) for row in rows) if rows else ""


def dbt_problems(result: Any, working_path: Path | None = None) -> dict[str, tuple[str, str]]:
    """`unique_id -> (status, "test <name>: <dbt's message>; rows: ...")` for each node that errored, failed or
    warned; a failed test's first rows (from `working_path`) say which column, row and value."""
    problems = {}
    for node_result in getattr(result.result, "results", None) or []:
        status = str(node_result.status)
        if status in DBT_FAILED or status == "warn":
            node = node_result.node
            message = " ".join((node_result.message or status).split()) + failing_rows(node, working_path)
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


def step_selection(context: AssetExecutionContext, manifest: Mapping[str, Any], translator: Any) -> list[str]:
    """dbt's `--select` (and `--indirect-selection`) for the step's assets and checks, as dagster-dbt computes it
    for a `@dbt_assets` step: each key's dbt node through the unique_id in its spec's metadata."""
    from dagster_dbt.asset_utils import (
        DAGSTER_DBT_EXCLUDE_METADATA_KEY,
        DAGSTER_DBT_SELECT_METADATA_KEY,
        DAGSTER_DBT_SELECTOR_METADATA_KEY,
        DBT_INDIRECT_SELECTION_ENV,
        get_subset_selection_for_context,
    )

    tags = context.op_execution_context.op.tags
    selection, indirect = get_subset_selection_for_context(
        context=context,
        manifest=manifest,
        select=tags.get(DAGSTER_DBT_SELECT_METADATA_KEY),
        exclude=tags.get(DAGSTER_DBT_EXCLUDE_METADATA_KEY),
        selector=tags.get(DAGSTER_DBT_SELECTOR_METADATA_KEY),
        dagster_dbt_translator=translator,
        current_dbt_indirect_selection_env=os.getenv(DBT_INDIRECT_SELECTION_ENV),
    )
    indirect = indirect or os.getenv(DBT_INDIRECT_SELECTION_ENV)
    return [*selection, *(["--indirect-selection", indirect] if indirect else [])]


class DbtBuildResource(ConfigurableResource):
    """`dbt build` in the step's process, through dbt's own `dbtRunner`, of exactly the step's models and tests.

    The manifest is parsed once per process, partially from `make manifest`'s `target/partial_parse.msgpack`;
    dbt's node results become Dagster events through dagster-dbt's own conversion.
    """

    project_dir: str
    profiles_dir: str

    def build(self, context: AssetExecutionContext, paths: PathsResource, manifest_sha256: str) -> Iterator[DbtEvent]:
        """Materializations and check results of the step's selection; a `Failure` naming what failed in dbt.
        `manifest_sha256`: the manifest the step's asset was defined from, which the selection and events read."""
        from dagster_dbt.core.dbt_cli_event import DbtCoreCliEventMessage
        from dbt.cli.main import dbtRunner

        from pipelines.defs.dbt_translator import dbt_translation

        dbt_manifest, translator, project = dbt_translation(manifest_sha256)
        command = ["build", *step_selection(context, dbt_manifest, translator)]
        project_dir = Path(self.project_dir)
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
        problems = dbt_problems(result, paths.working_path)
        for raw in raw_events:
            events = DbtCoreCliEventMessage(raw_event=raw, event_history_metadata={}).to_default_asset_events(
                manifest=dbt_manifest,
                dagster_dbt_translator=translator,
                context=context,
                target_path=paths.dbt_target_path,
                project=project,
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
