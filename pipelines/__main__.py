"""Command line for people without the UI.

python -m pipelines refresh   pull every source, rebuild what changed, with a progress display
python -m pipelines status    sources, last pull, sha256, freshness, failed checks, row counts
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from pipelines.settings import Settings, load_settings

# wide enough for the status table when output is piped (rich assumes 80 columns without a terminal)
console = Console(width=None if sys.stdout.isatty() else 140)
QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
EXIT_FAILED = 1
EXIT_BUSY = 3


class RefreshBusy(RuntimeError):
    """Another refresh holds the warehouse."""


@contextlib.contextmanager
def refresh_lock(settings: Settings) -> Iterator[None]:
    """One refresh at a time per warehouse: a second one fails fast instead of contending for the DuckDB file."""
    lock_path = settings.warehouse_path.with_name(settings.warehouse_path.name + ".refresh.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "unknown"
            raise RefreshBusy(
                f"another refresh (pid {holder}) is using {settings.warehouse_path}; wait for it to finish"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)


def dagster_instance(settings: Settings):
    """Dagster's default local storage under DAGSTER_HOME (default `<data dir>/dagster`), shared with `make dev`."""
    from dagster import DagsterInstance

    if not os.environ.get("DAGSTER_HOME"):
        os.environ["DAGSTER_HOME"] = str(settings.data_dir / "dagster")
    home = Path(os.environ["DAGSTER_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").touch()  # an empty file: Dagster's default local storage, without a warning
    return DagsterInstance.get()


@dataclass
class PhaseOutcome:
    name: str
    ran: bool = False
    success: bool = True
    failed_steps: list[str] = field(default_factory=list)
    failed_checks: list[str] = field(default_factory=list)
    materialized: list[str] = field(default_factory=list)


def _watch(instance, run_ids_before: set[str], progress: Progress, task, total: int, stop: threading.Event) -> None:
    """Advance the progress bar from the run's step events (the run itself executes in the main thread)."""
    from dagster import DagsterEventType

    done_types = {DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE, DagsterEventType.STEP_SKIPPED}
    while not stop.wait(0.5):
        runs = [r for r in instance.get_runs(limit=3) if r.run_id not in run_ids_before]
        if not runs:
            continue
        records = instance.all_logs(runs[0].run_id)
        finished = [r for r in records if r.dagster_event and r.dagster_event.event_type in done_types]
        progress.update(task, completed=min(len(finished), total))
        if finished:
            progress.update(task, description=f"{progress.tasks[task].fields.get('phase', '')} {finished[-1].step_key}")


def run_phase(name: str, job, instance, asset_selection=None) -> PhaseOutcome:
    """Execute one job in-process with a progress bar; collect failed steps and failed checks."""
    from dagster import DagsterEventType

    outcome = PhaseOutcome(name=name, ran=True)
    plan_steps = (
        len(job.get_subset(asset_selection=set(asset_selection)).nodes_in_topological_order)
        if (asset_selection)
        else len(job.nodes_in_topological_order)
    )
    total = plan_steps + sum(1 for _ in job.asset_layer.asset_graph.asset_check_keys)
    before = {r.run_id for r in instance.get_runs(limit=3)}
    stop = threading.Event()
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        task = progress.add_task(name, total=total, phase=name)
        watcher = threading.Thread(target=_watch, args=(instance, before, progress, task, total, stop), daemon=True)
        watcher.start()
        try:
            result = job.execute_in_process(
                instance=instance, raise_on_error=False, asset_selection=asset_selection, run_config=QUIET_LOGS
            )
        finally:
            stop.set()
            watcher.join(timeout=2)
        progress.update(task, completed=total, description=f"{name} done")
    outcome.success = result.success
    for event in result.all_events:
        if event.event_type == DagsterEventType.STEP_FAILURE:
            error = event.step_failure_data.error
            message = (error.message if error else "").strip().splitlines()
            outcome.failed_steps.append(f"{event.step_key}: {message[0] if message else 'failed'}")
        elif event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            if not evaluation.passed:
                key = evaluation.asset_key.to_user_string()
                described = evaluation.description or ""
                outcome.failed_checks.append(f"{key} check {evaluation.check_name} failed: {described}")
        elif event.event_type == DagsterEventType.ASSET_MATERIALIZATION:
            outcome.materialized.append(event.asset_key.to_user_string())
    return outcome


def refresh() -> int:
    """Phase 1 pulls every source; phase 2 rebuilds only the downstream assets a new file or new code made stale."""
    from pipelines.definitions import build_definitions
    from pipelines.defs.automation import INGEST_JOB_NAME, REBUILD_JOB_NAME
    from pipelines.freshness import stale_keys
    from pipelines.warehouse import connect, ensure_schemas

    settings = load_settings()
    started = time.monotonic()
    try:
        with refresh_lock(settings):
            defs = build_definitions(settings)
            with dagster_instance(settings) as instance:
                ingest = run_phase("pull sources", defs.resolve_job_def(INGEST_JOB_NAME), instance)
                con = connect(settings.warehouse_path)
                try:
                    ensure_schemas(con)
                    stale = stale_keys(instance, defs.resolve_asset_graph(), con)
                finally:
                    con.close()
                rebuild = PhaseOutcome(name="rebuild")
                if stale:
                    console.print(
                        f"rebuilding {len(stale)} stale assets: {', '.join(k.to_user_string() for k in stale)}"
                    )
                    rebuild = run_phase("rebuild", defs.resolve_job_def(REBUILD_JOB_NAME), instance, stale)
                else:
                    console.print("nothing to rebuild: no source loaded a new file and the code is unchanged")
    except RefreshBusy as exc:
        console.print(f"[red]refresh not started: {exc}")
        return EXIT_BUSY
    elapsed = time.monotonic() - started
    console.print(f"warehouse: {settings.warehouse_path}")
    console.print(f"reports:   {settings.reports_dir}")
    problems = [*ingest.failed_steps, *ingest.failed_checks, *rebuild.failed_steps, *rebuild.failed_checks]
    if problems or not (ingest.success and rebuild.success):
        console.print(f"[red]refresh finished with failures after {elapsed:.0f} s:")
        for line in problems or ["a step failed: see the run log above"]:
            print(f"FAILED {line}")
        return EXIT_FAILED
    console.print(f"[green]refresh succeeded in {elapsed:.0f} s")
    return 0


def status() -> int:
    """What the warehouse holds now, per source, and what failed lately: read-only, safe while a run writes."""
    import duckdb

    from pipelines.sources import SOURCES
    from pipelines.warehouse import CONNECTION_CONFIG

    settings = load_settings()
    if not settings.warehouse_path.exists():
        console.print(f"no warehouse at {settings.warehouse_path}: run `make run` (or python -m pipelines refresh)")
        return EXIT_FAILED
    try:
        con = duckdb.connect(str(settings.warehouse_path), read_only=True, config=dict(CONNECTION_CONFIG))
    except duckdb.Error as exc:
        console.print(f"[red]cannot open {settings.warehouse_path}: {exc}")
        return EXIT_BUSY
    now = datetime.now(UTC)
    table = Table(title=f"Sources in {settings.warehouse_path}")
    for column in ("source", "last pull", "outcome", "loaded sha256", "loaded", "age", "rows", "last rejection"):
        table.add_column(column)
    with con:
        pulls = {
            r[0]: r[1:]
            for r in con.execute(
                """
                select source, fetched_at, outcome from ops.fetch_log
                where requested_url not like '%metadata.json%' and outcome <> 'retried'
                qualify row_number() over (partition by source order by fetched_at desc, attempt desc) = 1
                """
            ).fetchall()
        }
        loads = {
            r[0]: r[1:]
            for r in con.execute(
                """
                select source, sha256, fetched_at, rows from ops.source_versions where status = 'loaded'
                qualify row_number() over (partition by source order by fetched_at desc) = 1
                """
            ).fetchall()
        }
        rejections = {
            r[0]: r[1:]
            for r in con.execute(
                """
                select source, fetched_at, reason from ops.source_versions where status = 'rejected'
                qualify row_number() over (partition by source order by fetched_at desc) = 1
                """
            ).fetchall()
        }
        counts = {
            f"{s}.{t}": n
            for s, t, n in con.execute(
                "select schema_name, table_name, estimated_size from duckdb_tables() order by 1, 2"
            ).fetchall()
        }
    for source in SOURCES:
        pulled_at, outcome = pulls.get(source.name, (None, "never pulled"))
        sha, loaded_at, rows = loads.get(source.name, (None, None, None))
        rejected = rejections.get(source.name)
        age = f"{(now - loaded_at).days} d" if loaded_at else ""
        failed = outcome == "failed" or (rejected and (not loaded_at or rejected[0] > loaded_at))
        table.add_row(
            source.name,
            f"{pulled_at:%Y-%m-%d %H:%M}" if pulled_at else "",
            f"[red]{outcome}" if outcome == "failed" else str(outcome),
            (sha or "")[:16],
            f"{loaded_at:%Y-%m-%d %H:%M}" if loaded_at else "",
            age,
            "" if rows is None else f"{rows:,}",
            f"[red]{rejected[1]}" if failed and rejected else "",
        )
    console.print(table)
    tables = Table(title="Tables")
    tables.add_column("table")
    tables.add_column("rows", justify="right")
    for name, rows in counts.items():
        tables.add_row(name, f"{rows:,}")
    console.print(tables)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pipelines", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("refresh", help="pull every source and rebuild what changed (progress on the terminal)")
    commands.add_parser("status", help="sources, last pull, sha256, freshness, failed guards, row counts")
    args = parser.parse_args(argv)
    return {"refresh": refresh, "status": status}[args.command]()


if __name__ == "__main__":
    sys.exit(main())
