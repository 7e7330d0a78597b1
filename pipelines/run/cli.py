"""Command line for people without the UI.

python -m pipelines refresh   pull every source, rebuild what changed, publish; with a progress display
python -m pipelines rebuild   rebuild the warehouse from data/raw alone (after it was lost or corrupted), publish
python -m pipelines status    sources, last pull, sha256, freshness, failed checks, row counts (the published file)

Exit codes: 0 success, 1 a source or step failed, 2 the warehouse or a setting is unusable (the message says what
to do), 3 another writer holds the warehouse, 130 interrupted (Ctrl-C or SIGTERM; nothing published).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from pipelines.layers import RAW
from pipelines.run.publish import (
    WarehouseBusy,
    WarehouseError,
    check_settings,
    classify,
    connect_bounded,
    current_writer,
    discard_working_copy,
    prepare_working_copy,
    publish,
    writer_lock,
)
from pipelines.run.unchanged import current_stamp, dagster_home, log_pull, unchanged_pull
from pipelines.settings import Settings, SettingsError, load_settings
from pipelines.warehouse import CONNECTION_CONFIG

# wide enough for the status table when output is piped (rich assumes 80 columns without a terminal)
console = Console(width=None if sys.stdout.isatty() else 140)
# Dagster's console logger stays silent: the command prints one FAILED line per failure, and the run's full event
# log (stack traces included) stays in the Dagster home, where `make dev` shows it
QUIET_LOGS = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
EXIT_FAILED = 1
EXIT_UNUSABLE = 2
EXIT_BUSY = 3
EXIT_INTERRUPTED = 130
TERMINATED = threading.Event()  # SIGINT or SIGTERM came (`interrupted`)
_signal_pipe: int | None = None  # read end of the wakeup fd of `sigterm_as_interrupt`


def dagster_instance(settings: Settings):
    """Dagster's default local storage under DAGSTER_HOME (default `<data dir>/dagster`), shared with `make dev`."""
    from dagster import DagsterInstance

    home = dagster_home(settings)
    os.environ["DAGSTER_HOME"] = str(home)
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists() or config.stat().st_size == 0:  # default local storage, one run at a time
        shutil.copyfile(Path(__file__).with_name("dagster.yaml"), config)
    return DagsterInstance.get()


@contextlib.contextmanager
def dagster_session(settings: Settings) -> Iterator[tuple[object, object]]:
    """The Dagster instance and the definitions: imported only when a refresh has something to build (built here for
    `settings`, not through `pipelines.definitions`, which would build them once more from the environment)."""
    from pipelines.defs.build import load

    with dagster_instance(settings) as instance:
        yield instance, load(settings, freeze=False)


@dataclass
class PhaseOutcome:
    name: str
    ran: bool = False
    success: bool = True
    failed_sources: list[str] = field(default_factory=list)
    failed_steps: list[str] = field(default_factory=list)
    failed_checks: list[str] = field(default_factory=list)
    materialized: list[str] = field(default_factory=list)
    run_id: str | None = None


REMOTE_TRACEBACKS = ("_RemoteTraceback", "RemoteTraceback")


def root_cause(error) -> str:
    """The innermost exception of a Dagster error chain as `Type: message`, not Dagster's wrapper text."""
    while error.cause is not None or error.context is not None:
        inner = error.cause or error.context
        if inner.cls_name in REMOTE_TRACEBACKS:  # a worker's traceback as text: the error above it says it
            break
        error = inner
    lines = (error.message or "").strip().splitlines()
    text = lines[0] if lines else ""
    name = error.cls_name or "Error"
    head, _, rest = text.partition(": ")
    if head == name or head.endswith(f".{name}"):  # Dagster writes `module.Class: message`
        text = rest
    return f"{name}: {text}" if text else name


def _failure_text(event) -> str:
    """A `Failure` raised on purpose carries its own one-line description; anything else, its innermost cause."""
    data = event.step_failure_data
    if data.user_failure_data is not None and data.user_failure_data.description:
        return data.user_failure_data.description.strip().splitlines()[0]
    return root_cause(data.error) if data.error else "failed"


@dataclass
class StepClock:
    """The step a run is in and since when; the watcher stops a step that outlives `deadline_s`."""

    deadline_s: float
    step: str | None = None
    since: float = 0.0
    overdue: str | None = None  # the step stopped for its deadline

    def saw(self, event_type, step: str | None) -> None:
        from dagster import DagsterEventType

        if event_type == DagsterEventType.STEP_START:
            self.step, self.since = step, time.monotonic()
        elif step == self.step:
            self.step = None

    def expired(self) -> bool:
        return self.step is not None and time.monotonic() - self.since > self.deadline_s


def _watch(instance, run_ids_before: set[str], progress: Progress, task, clock: StepClock, stop: threading.Event):
    """Advance the progress bar from the run's step events (the run itself executes in the main thread), and stop a
    step past its deadline as Ctrl-C would (Dagster's interrupt), naming it. Only the events since the last look,
    of the kinds that start or end a step: rereading the whole log twice a second cost the run a second of CPU."""
    from dagster import DagsterEventType

    done_types = {DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE, DagsterEventType.STEP_SKIPPED}
    run_id, cursor, finished = None, None, 0
    while not stop.wait(0.5):
        if run_id is None:
            runs = [r for r in instance.get_runs(limit=3) if r.run_id not in run_ids_before]
            if not runs:
                continue
            run_id = runs[0].run_id
        new = instance.get_records_for_run(run_id, cursor=cursor, of_type={*done_types, DagsterEventType.STEP_START})
        cursor = new.cursor
        for record in new.records:
            entry = record.event_log_entry
            clock.saw(entry.dagster_event_type, entry.step_key)
            finished += entry.dagster_event_type in done_types
        if new.records:
            progress.update(task, completed=min(finished, progress.tasks[task].total or finished))
            phase = progress.tasks[task].fields.get("phase", "")
            progress.update(task, description=f"{phase} {new.records[-1].event_log_entry.step_key}")
        if clock.expired():
            clock.overdue = clock.step
            # a real SIGINT to the main thread, which runs the step: it also wakes a blocking call (a sleep, a
            # socket), where a simulated one would wait for the call to return
            signal.pthread_kill(threading.main_thread().ident, signal.SIGINT)
            return


def _close_interrupted_runs(instance, run_ids_before: set[str]) -> None:
    """A run cut short by Ctrl-C or SIGTERM is marked canceled, so the UI does not show it running forever."""
    from dagster import DagsterRunStatus

    unfinished = (DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTING, DagsterRunStatus.STARTED)
    for run in instance.get_runs(limit=5):
        if run.run_id not in run_ids_before and run.status in unfinished:
            instance.report_run_canceled(run, message="interrupted (Ctrl-C or SIGTERM) in `python -m pipelines`")


def _discard_finished_run(instance, run_id: str) -> None:
    """A signal that came as the run's last step ended is seen only after the run succeeded; the command publishes
    nothing, so that run is marked canceled too, and the UI does not show work that never landed as done."""
    from dagster import DagsterRunStatus

    run = instance.get_run_by_id(run_id)
    if run is not None and run.status == DagsterRunStatus.SUCCESS:
        instance.report_run_canceled(run, message="interrupted (Ctrl-C or SIGTERM) as it ended: nothing published")


INTERRUPTS = ("DagsterExecutionInterruptedError", "KeyboardInterrupt")


def _interrupt_in(error) -> bool:
    """An interrupt anywhere in an error chain, also as text: a library may wrap it (DuckDB reading Arrow data)."""
    while error is not None:
        if error.cls_name in INTERRUPTS or any(name in (error.message or "") for name in INTERRUPTS):
            return True
        error = error.cause or error.context
    return False


def _was_interrupted(events) -> bool:
    """Ctrl-C or SIGTERM inside a run (Dagster turns both into its interrupt error): a step failed by the
    interrupt, or the run ended by it between steps."""
    from dagster import DagsterEventType

    for event in events:
        failure = event.step_failure_data if event.is_step_failure else None  # its error_source: an enum's value
        if failure and (getattr(failure.error_source, "value", None) == "INTERRUPT" or _interrupt_in(failure.error)):
            return True
        if event.event_type == DagsterEventType.RUN_FAILURE and "interrupt" in (event.message or "").lower():
            return True
    return False


def _run_error(event):
    """The error a failed run carries when it failed outside any step (a resource that could not start)."""
    from dagster import DagsterEventType

    if event.event_type != DagsterEventType.RUN_FAILURE:
        return None
    return getattr(event.event_specific_data, "error", None)


def _collect(outcome: PhaseOutcome, events) -> PhaseOutcome:
    """Failed sources, failed build steps, failed checks and materializations from a run's events."""
    from dagster import DagsterEventType

    from pipelines.defs.resources import RAW_STEP_PREFIX

    for event in events:
        if event.event_type == DagsterEventType.STEP_FAILURE:
            line = f"{event.step_key}: {_failure_text(event)}"
            is_source = (event.step_key or "").startswith(RAW_STEP_PREFIX)  # a source failed, not the build
            (outcome.failed_sources if is_source else outcome.failed_steps).append(line)
        elif event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            if not evaluation.passed:
                key = evaluation.asset_key.to_user_string()
                outcome.failed_checks.append(f"{key} check {evaluation.check_name} failed: {evaluation.description}")
        elif event.event_type == DagsterEventType.ASSET_MATERIALIZATION:
            outcome.materialized.append(event.asset_key.to_user_string())
        elif event.event_type == DagsterEventType.RESOURCE_INIT_FAILURE:
            outcome.failed_steps.append(f"run setup: {root_cause(event.event_specific_data.error)}")
        elif _run_error(event) and not (outcome.failed_steps or outcome.failed_sources):  # failed before any step
            outcome.failed_steps.append(f"run: {root_cause(_run_error(event))}")
    return outcome


def run_phase(name: str, job, instance, asset_selection=None, *, deadline_s: float = 900.0) -> PhaseOutcome:
    """Execute one job in-process with a progress bar; collect failed sources, steps and checks. A step that runs
    past `deadline_s` is stopped and reported as a failed step (the run then publishes nothing)."""
    selected = job.get_subset(asset_selection=set(asset_selection)) if asset_selection else job
    total = len(selected.nodes_in_topological_order) + sum(1 for _ in job.asset_layer.asset_graph.asset_check_keys)
    before = {r.run_id for r in instance.get_runs(limit=5)}
    stop, clock = threading.Event(), StepClock(deadline_s)
    columns = (TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task(name, total=total, phase=name)
        watcher = threading.Thread(target=_watch, args=(instance, before, progress, task, clock, stop), daemon=True)
        watcher.start()
        try:
            result = job.execute_in_process(
                instance=instance, raise_on_error=False, asset_selection=asset_selection, run_config=QUIET_LOGS
            )
        except BaseException:
            _close_interrupted_runs(instance, before)
            if clock.overdue:
                return _overdue(name, clock, instance, before)
            raise
        finally:
            stop.set()
            watcher.join(timeout=2)
        progress.update(task, completed=total, description=f"{name} done")
    if clock.overdue:
        return _overdue(name, clock, instance, before)
    if interrupted() or _was_interrupted(result.all_events):  # the run ended as failed; the command stops too
        _discard_finished_run(instance, result.run_id)
        raise KeyboardInterrupt(f"{name} interrupted")
    return _collect(PhaseOutcome(name=name, ran=True, success=result.success, run_id=result.run_id), result.all_events)


def _overdue(name: str, clock: StepClock, instance, before: set[str]) -> PhaseOutcome:
    """The phase whose step was stopped at its deadline: a failed build step, not an interrupt of the command."""
    drain_signals()
    runs = [r.run_id for r in instance.get_runs(limit=3) if r.run_id not in before]
    line = f"{clock.overdue}: stopped after {clock.deadline_s:g} s, the step deadline (SCALING_STEP_DEADLINE)"
    return PhaseOutcome(name=name, ran=True, success=False, failed_steps=[line], run_id=runs[0] if runs else None)


@contextlib.contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """SIGTERM (a scheduler stopping us) takes the same path as Ctrl-C: runs marked canceled, nothing published.

    Inside a step, Dagster's own handler takes both signals and raises its interrupt error, which the code it lands
    in may report as something else (DuckDB: `RuntimeError: Query interrupted`). A wakeup fd sees every signal at
    the C level, whichever Python handler then runs, so `interrupted` knows one came.
    """
    global _signal_pipe

    def _raise(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")

    TERMINATED.clear()
    previous = signal.signal(signal.SIGTERM, _raise)
    read, write = os.pipe()
    for fd in (read, write):
        os.set_blocking(fd, False)
    previous_fd = signal.set_wakeup_fd(write, warn_on_full_buffer=False)
    _signal_pipe = read
    try:
        yield
    finally:
        signal.set_wakeup_fd(previous_fd)
        signal.signal(signal.SIGTERM, previous)
        _signal_pipe = None
        os.close(read)
        os.close(write)


def drain_signals() -> None:
    """Forget the simulated SIGINT that stopped a step at its deadline: it was not the user's."""
    interrupted()
    TERMINATED.clear()


def interrupted() -> bool:
    """Whether SIGINT or SIGTERM reached the process since `sigterm_as_interrupt` began."""
    if _signal_pipe is not None:
        with contextlib.suppress(BlockingIOError):
            if {signal.SIGINT, signal.SIGTERM} & set(os.read(_signal_pipe, 1024)):
                TERMINATED.set()
    return TERMINATED.is_set()


def _refresh_phases(settings: Settings) -> list[PhaseOutcome]:
    """Every source asked without Dagster first (conditional GETs) after a complete build: nothing new and the code
    unchanged, log the pull, done; otherwise log the unchanged sources' pulls, let Dagster pull only the sources
    with new files, and rebuild what is stale (the new files' descendants, what a code edit touched). Without a
    stamped build, or when a source fails, phase 1 pulls every source with Dagster, phase 2 rebuilds what is stale."""
    pulled, reason = unchanged_pull(settings)
    if pulled is None:
        console.print(f"pulling with Dagster: {reason}")
        with dagster_session(settings) as (instance, defs):
            return _pull_then_rebuild(settings, instance, defs)
    log_pull(settings, pulled.attempts)
    if not reason:
        console.print("nothing to rebuild: every source answered with the file the warehouse holds, code unchanged")
        return [PhaseOutcome(name="pull sources", ran=True)]
    console.print(f"every other source answered with the file the warehouse holds; with Dagster: {reason}")
    with dagster_session(settings) as (instance, defs):
        pull = _pull_new(settings, instance, defs, pulled.new)
        return _rebuild_stale(settings, instance, defs, pull)


def _pull_new(settings: Settings, instance, defs, sources: list[str]) -> PhaseOutcome:
    """The Dagster pull of `sources` (their raw assets fetch, guard and load the new files), and of any raw asset
    whose own code changed since it last ran (its landing may differ); no run when there is neither."""
    from dagster import AssetKey

    from pipelines.defs.automation import PULL_JOB_NAME
    from pipelines.run.freshness import raw_keys, stale_or_missing

    graph = defs.resolve_asset_graph()
    keys = {AssetKey([RAW, name]) for name in sources} | set(stale_or_missing(instance, graph, raw_keys(graph)))
    if not keys:
        return PhaseOutcome(name="pull sources", ran=True)
    job = defs.resolve_job_def(PULL_JOB_NAME)
    return run_phase("pull sources", job, instance, sorted(keys, key=str), deadline_s=settings.step_deadline_s)


def _working_state(settings: Settings) -> tuple[dict[str, str | None], set[str]]:
    """What the working copy holds: each source's file (sha256) and the runs whose work it carries."""
    from pipelines.raw.landing import held_files
    from pipelines.run.publish import published_runs

    con = connect_bounded(settings.working_path, CONNECTION_CONFIG)
    try:
        return held_files(con), published_runs(con)
    finally:
        con.close()


def check_publishable(settings: Settings, instance, graph, phases: list[PhaseOutcome]) -> PhaseOutcome:
    """The last look before publication: every asset of the working copy comes from the files it holds and from
    runs whose work it carries (`pipelines.run.freshness.inconsistencies`); a mixed build is not published."""
    from pipelines.run.freshness import inconsistencies

    if any(build_failed(p) for p in phases):
        return PhaseOutcome(name="publication check")  # nothing will be published: nothing to check
    held, published = _working_state(settings)
    runs = published | {p.run_id for p in phases if p.run_id}
    problems = inconsistencies(instance, graph, runs, held)
    outcome = PhaseOutcome(name="publication check", ran=True, success=not problems)
    if problems:
        shown = "; ".join(problems[:5]) + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")
        outcome.failed_steps.append(f"publication check: the build is not one consistent version: {shown}")
    return outcome


def unreachable(pull: PhaseOutcome, graph) -> bool:
    """Every source's pull failed: the network, a proxy or the mirror setting, not the sources themselves."""
    from pipelines.run.freshness import raw_keys

    return len(pull.failed_sources) >= len(raw_keys(graph)) > 0


def reachability_hint(settings: Settings) -> str:
    mirror = settings.sources_mirror
    where = f"the mirror {mirror} (SCALING_SOURCES_MIRROR)" if mirror else "the network (or set SCALING_SOURCES_MIRROR)"
    return f"check {where}; every table keeps its last good file"


def _pull_then_rebuild(settings: Settings, instance, defs) -> list[PhaseOutcome]:
    """Pull, then rebuild what is stale, missing, or was last built by a run that never published; check the
    result is one consistent build."""
    from pipelines.defs.automation import PULL_JOB_NAME
    from pipelines.run.freshness import raw_keys

    pull = run_phase("pull sources", defs.resolve_job_def(PULL_JOB_NAME), instance, deadline_s=settings.step_deadline_s)
    graph = defs.resolve_asset_graph()
    if unreachable(pull, graph):
        console.print(
            f"[red]no source is reachable: all {len(raw_keys(graph))} pulls failed; {reachability_hint(settings)}",
            soft_wrap=True,
        )
        if not any(_working_state(settings)[0].values()):
            console.print("nothing to build from: the warehouse holds no source file yet")
            return [pull]
    return _rebuild_stale(settings, instance, defs, pull)


def _rebuild_stale(settings: Settings, instance, defs, pull: PhaseOutcome) -> list[PhaseOutcome]:
    """After `pull` (a Dagster run, or the pull logged without one): rebuild what is stale, missing, or was last
    built by a run that never published, then check the result is one consistent build."""
    from pipelines.defs.automation import REBUILD_JOB_NAME
    from pipelines.run.freshness import rebuild_keys, restore_raw_versions

    graph = defs.resolve_asset_graph()
    held, published = _working_state(settings)
    restored = restore_raw_versions(instance, graph, held)
    if restored:
        console.print(f"sources recorded by runs that did not publish, set back to the files held: {restored}")
    ours = published | {pull.run_id} if pull.run_id else published  # this refresh's pull publishes with it
    stale = rebuild_keys(instance, graph, reports_dir=settings.reports_dir, published_runs=ours)
    if not stale:
        console.print("nothing to rebuild: no source loaded a new file and the code is unchanged")
        return [pull, check_publishable(settings, instance, graph, [pull])]
    console.print(f"rebuilding {len(stale)} stale assets: {', '.join(k.to_user_string() for k in stale)}")
    job = defs.resolve_job_def(REBUILD_JOB_NAME)
    phases = [pull, run_phase("rebuild", job, instance, stale, deadline_s=settings.step_deadline_s)]
    return [*phases, check_publishable(settings, instance, graph, phases)]


def _replay_then_build(settings: Settings) -> list[PhaseOutcome]:
    """Replay data/raw into an empty working copy, then build every downstream asset from it."""
    from pipelines.raw.replay import replay
    from pipelines.tidy.models import SnapshotsOnReplay

    con = connect_bounded(settings.working_path, CONNECTION_CONFIG)
    try:
        replayed = replay(con, settings.raw_dir, on_load=SnapshotsOnReplay())
    finally:
        con.close()
    console.print(
        f"replayed {replayed.attempts} fetch attempts and {replayed.versions} file versions from {settings.raw_dir} "
        f"({replayed.loads} loads, {replayed.snapshots} model snapshot rows)"
    )
    from pipelines.defs.automation import REBUILD_JOB_NAME
    from pipelines.run.freshness import downstream_keys, restore_raw_versions

    with dagster_session(settings) as (instance, defs):
        graph = defs.resolve_asset_graph()
        restore_raw_versions(instance, graph, _working_state(settings)[0])
        job = defs.resolve_job_def(REBUILD_JOB_NAME)
        phases = [run_phase("rebuild", job, instance, downstream_keys(graph), deadline_s=settings.step_deadline_s)]
        return [*phases, check_publishable(settings, instance, graph, phases)]


HEADLINE_CHANGES = "trends/headline_changes"


def moved_headlines(settings: Settings, phases: list[PhaseOutcome]) -> list[str]:
    """One line per index headline that this build moved by more than its own interval (real news or a bad row: the
    line names the rows that moved it), read from the file just published."""
    from pipelines.trends.headlines import moved_headline_lines

    if not any(HEADLINE_CHANGES in p.materialized for p in phases):
        return []
    con = connect_bounded(settings.warehouse_path, CONNECTION_CONFIG, read_only=True)
    try:
        return moved_headline_lines(con)
    finally:
        con.close()


CHECK_FAILED = "DagsterAssetCheckFailedError"


def said_by_its_check(line: str, build: list[str]) -> bool:
    """A source step failed only because its blocking check did: the check's own line says what was wrong."""
    step, _, text = line.partition(": ")
    asset = step.replace("__", "/", 1)
    return text.startswith(CHECK_FAILED) and any(other.startswith(f"{asset} check ") for other in build)


def _report(settings: Settings, phases: list[PhaseOutcome], published: bool, elapsed: float) -> int:
    """The summary lines: where things are, whether the run published, and one FAILED line per problem."""
    console.print(f"warehouse: {settings.warehouse_path}")
    console.print(f"reports:   {settings.reports_dir}")
    build = [line for p in phases for line in (*p.failed_steps, *p.failed_checks)]
    sources = [line for p in phases for line in p.failed_sources if not said_by_its_check(line, build)]
    if published:
        kept = " (failed sources keep their last good tables)" if sources else ""
        console.print(f"published the new warehouse and reports{kept}")
        for line in moved_headlines(settings, phases):
            console.print(f"[yellow]{line}", soft_wrap=True)
    else:
        console.print("[red]not published: a build step failed; readers keep the last good warehouse and reports")
    if sources or build:
        console.print(f"[red]finished with failures after {elapsed:.0f} s:")
        for line in [*sources, *build]:
            print(f"FAILED {line}")
        runs = ", ".join(p.run_id for p in phases if p.run_id)
        if runs:
            print(f"full logs: Dagster run(s) {runs} in {dagster_home(settings)} (`make dev` shows them)")
        return EXIT_FAILED
    console.print(f"[green]succeeded in {elapsed:.0f} s")
    return 0


def build_failed(phase: PhaseOutcome) -> bool:
    """A failed build step (or a run that failed before any step) stops publication; a failed source does not."""
    return bool(phase.failed_steps) or (not phase.success and not phase.failed_sources)


def complete(phases: list[PhaseOutcome]) -> bool:
    """Every phase succeeded with no failed source, step or check: the next refresh may trust the stamp."""
    return all(p.success and not (p.failed_sources or p.failed_steps or p.failed_checks) for p in phases)


def as_writer(command: str, body: Callable[[Settings], list[PhaseOutcome]], *, fresh: bool) -> int:
    """Take the writer lock, build into a working copy with `body`, publish when no build step failed."""
    started = time.monotonic()
    try:
        settings = load_settings()
        check_settings(settings)
        with sigterm_as_interrupt(), writer_lock(settings, command) as (_, note):
            if note:
                console.print(f"[yellow]{note}")
            completed = prepare_working_copy(settings, CONNECTION_CONFIG, fresh=fresh)
            if completed:
                console.print(f"[yellow]{completed}")
            phases = body(settings)
            published = not any(build_failed(p) for p in phases)
            if published:
                stamp = current_stamp(settings) if complete(phases) else None
                run_ids = [p.run_id for p in phases if p.run_id]
                publish(settings, CONNECTION_CONFIG, stamp, run_ids=run_ids, command=command)
            else:
                discard_working_copy(settings)
    except KeyboardInterrupt:
        console.print(f"[red]{command} interrupted: nothing published; readers keep the last good warehouse")
        return EXIT_INTERRUPTED
    except WarehouseBusy as exc:
        console.print(f"[red]{command} not started: {exc}", soft_wrap=True)
        return EXIT_BUSY
    except (WarehouseError, SettingsError) as exc:
        console.print(f"[red]{command} stopped: {exc}", soft_wrap=True)
        return EXIT_UNUSABLE
    except Exception as exc:  # a full disk or read-only directory met outside a step (Dagster's own storage too)
        known = classify(exc, load_settings().warehouse_path)
        if known is None:
            raise
        console.print(f"[red]{command} stopped: {known}", soft_wrap=True)
        return EXIT_UNUSABLE
    return _report(settings, phases, published, time.monotonic() - started)


def refresh() -> int:
    return as_writer("python -m pipelines refresh", _refresh_phases, fresh=False)


def rebuild() -> int:
    return as_writer("python -m pipelines rebuild", _replay_then_build, fresh=True)


def _latest(con, sql: str) -> dict[str, tuple]:
    return {row[0]: row[1:] for row in con.execute(sql).fetchall()}


LATEST_PULL = """
select source, fetched_at, outcome from ops.fetch_log
where requested_url not like '%metadata.json%' and outcome <> 'retried'
qualify row_number() over (partition by source order by fetched_at desc, attempt desc) = 1
"""
LATEST_VERSION = """
select source, sha256, fetched_at, rows, reason from ops.source_versions where status = '{status}'
qualify row_number() over (partition by source order by fetched_at desc) = 1
"""


def _sources_table(con, settings: Settings) -> tuple[Table, list[str]]:
    """One row per source, and one line per source whose newest file is rejected (waiting for a new release)."""
    from pipelines.raw.sources import SOURCES

    pulls = _latest(con, LATEST_PULL)
    loads = _latest(con, LATEST_VERSION.format(status="loaded"))
    rejections = _latest(con, LATEST_VERSION.format(status="rejected"))
    now = datetime.now(UTC)
    table = Table(title=f"Sources in {settings.warehouse_path}")
    for column in ("source", "last pull", "outcome", "loaded sha256", "loaded", "age", "rows", "rejected file"):
        table.add_column(column)
    waiting = []
    for source in SOURCES:
        pulled_at, outcome = pulls.get(source.name, (None, "never pulled"))
        sha, loaded_at, rows, _ = loads.get(source.name, (None, None, None, None))
        rejected = rejections.get(source.name)
        pending = rejected and (not loaded_at or rejected[1] > loaded_at)
        table.add_row(
            source.name,
            f"{pulled_at:%Y-%m-%d %H:%M}" if pulled_at else "",
            f"[red]{outcome}" if outcome == "failed" else str(outcome),
            (sha or "")[:16],
            f"{loaded_at:%Y-%m-%d %H:%M}" if loaded_at else "",
            f"{(now - loaded_at).days} d" if loaded_at else "",
            "" if rows is None else f"{rows:,}",
            f"[red]{rejected[0][:12]}" if pending else "",
        )
        if pending:
            waiting.append(
                f"{source.name}: file {rejected[0][:12]} rejected at {rejected[1]:%Y-%m-%d %H:%M}: {rejected[3]}"
            )
    return table, waiting


def status() -> int:
    """What the published warehouse holds, per source, and what failed lately: read-only, never waits for a run."""
    try:
        settings = load_settings()
        check_settings(settings)
        if not settings.warehouse_path.exists():
            console.print(f"no warehouse at {settings.warehouse_path}: run `make run` (or python -m pipelines refresh)")
            return EXIT_FAILED
        con = connect_bounded(settings.warehouse_path, CONNECTION_CONFIG, read_only=True)
    except (WarehouseError, SettingsError, WarehouseBusy) as exc:
        console.print(f"[red]cannot read the warehouse: {exc}", soft_wrap=True)
        return EXIT_UNUSABLE
    with con:
        sources, waiting = _sources_table(con, settings)
        console.print(sources)
        for line in waiting:
            console.print(f"[red]rejected, waiting for a new release: {line}", soft_wrap=True)
        tables = Table(title="Tables")
        tables.add_column("table")
        tables.add_column("rows", justify="right")
        for schema, name, rows in con.execute(
            "select schema_name, table_name, estimated_size from duckdb_tables() order by 1, 2"
        ).fetchall():
            tables.add_row(f"{schema}.{name}", f"{rows:,}")
        console.print(tables)
    writer = current_writer(settings)
    if writer:
        console.print(f"a run is building the next version: {writer}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m pipelines", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("refresh", help="pull every source, rebuild what changed and publish (progress shown)")
    commands.add_parser("rebuild", help="rebuild the warehouse from data/raw (after it was lost or corrupted)")
    commands.add_parser("status", help="sources, last pull, sha256, freshness, failed guards, row counts")
    args = parser.parse_args(argv)
    return {"refresh": refresh, "rebuild": rebuild, "status": status}[args.command]()


if __name__ == "__main__":
    sys.exit(main())
