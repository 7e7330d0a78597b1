"""Readers never block the refresh: a published warehouse, one writer, bounded failures, guards before the swap.

The module starts from a copy of the session's built warehouse with a new, empty Dagster home, so its first refresh
rebuilds every downstream asset: the longest write a reader can meet. That refresh and the SIGTERM one run as
processes of their own (the lock is held by another process; the signal needs one); the others run in-process.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from conftest import (
    CliResult,
    copy_build,
    pipeline_env,
    pipeline_settings,
    run_cli,
    start_cli,
    wait_for_writer,
    warehouse_rows,
)

from pipelines.raw.sources import SOURCES
from pipelines.run.publish import REBUILD_HINT, current_writer
from pipelines.settings import Settings

pytestmark = pytest.mark.e2e

NOTABLE = "epoch.ai/data/notable_ai_models.csv"

READER = textwrap.dedent(
    """
    import sys, duckdb
    con = duckdb.connect(sys.argv[1], read_only=True)
    for line in sys.stdin:
        print(con.execute("select count(*) from ops.fetch_log").fetchone()[0], flush=True)
    """
)
POLLER = textwrap.dedent(
    """
    import json, os, sys, time, duckdb
    path, stop = sys.argv[1], sys.argv[2]
    attempts = failures = streak = worst = 0
    while not os.path.exists(stop):
        attempts += 1
        try:
            con = duckdb.connect(path, read_only=True)
            con.execute("select count(*) from marts.models").fetchall()
            con.close()
            streak = 0
        except Exception as exc:
            failures, streak = failures + 1, streak + 1
            worst = max(worst, streak)
            print(repr(exc), file=sys.stderr)
        time.sleep(0.25)
    print(json.dumps({"attempts": attempts, "failures": failures, "longest_streak": worst}))
    """
)


@pytest.fixture(scope="module")
def workspace(built_warehouse, served_copy, tmp_path_factory: pytest.TempPathFactory) -> dict:
    base = tmp_path_factory.mktemp("publication")
    copy_build(built_warehouse, base, reports=False, history=False)
    env = pipeline_env(base, served_copy.base_url)
    return {"base": base, "env": env, "mirror": served_copy, "settings": pipeline_settings(base, served_copy.base_url)}


def cli(workspace, *args: str, env: dict | None = None) -> CliResult:
    return run_cli(env or workspace["env"], *args)


def digest(path: Path, sql: str) -> str:
    return hashlib.sha256(repr(warehouse_rows(path, sql)).encode()).hexdigest()


def _second_writers_fail_fast(workspace, holder_pid: int) -> None:
    """While the refresh holds the lock: a second CLI refresh and an in-process Dagster run both fail in seconds."""
    from dagster import DagsterInstance

    from pipelines.definitions import build_definitions
    from pipelines.defs.automation import PULL_JOB_NAME
    from pipelines.run.cli import root_cause

    started = time.monotonic()
    second = cli(workspace, "refresh")
    assert time.monotonic() - started < 15  # in-process: the lock itself fails at once
    assert second.returncode == 3, second.stdout[-2000:]
    assert f"pid {holder_pid}" in second.stdout and "another refresh" in second.stdout
    job = build_definitions(workspace["settings"]).resolve_job_def(PULL_JOB_NAME)
    started = time.monotonic()
    with DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(instance=instance, raise_on_error=False)
    assert time.monotonic() - started < 5
    assert not result.success
    errors = [getattr(e.event_specific_data, "error", None) for e in result.all_events]
    causes = [root_cause(error) for error in errors if error is not None]
    assert any(f"pid {holder_pid}" in c and c.startswith("WarehouseBusy") for c in causes), causes


def test_readers_never_wait_for_a_full_refresh_and_see_the_new_file_after(workspace) -> None:
    published = workspace["settings"].warehouse_path
    old_pulls = warehouse_rows(published, "select count(*) from ops.fetch_log")[0][0]
    stop = workspace["base"] / "stop-polling"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(published)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    poller = subprocess.Popen(
        [sys.executable, "-c", POLLER, str(published), str(stop)], stdout=subprocess.PIPE, text=True
    )
    run = start_cli(workspace["env"], "refresh")
    try:
        wait_for_writer(workspace["settings"], run)
        _second_writers_fail_fast(workspace, run.pid)
        answers = []
        while run.poll() is None:
            reader.stdin.write("q\n")
            reader.stdin.flush()
            answers.append(int(reader.stdout.readline()))
            time.sleep(0.5)
        output = run.stdout.read()
        assert run.returncode == 0, output[-3000:]
        assert "published the new warehouse and reports" in output
        assert "rebuilding" in output  # a full rebuild: the new Dagster home has no materializations
        reader.stdin.write("q\n")
        reader.stdin.flush()
        answers.append(int(reader.stdout.readline()))
        assert len(answers) > 10 and set(answers) == {old_pulls}  # the open reader kept its snapshot
        assert warehouse_rows(published, "select count(*) from ops.fetch_log")[0][0] > old_pulls  # a new reader sees it
    finally:
        stop.touch()
        for process in (run, reader):
            if process.poll() is None:
                process.kill()
        polled = json.loads(poller.communicate(timeout=30)[0])
        reader.wait(timeout=10)
    assert polled["attempts"] > 20 and polled["failures"] == 0, polled


def test_month_first_dates_are_rejected_before_the_swap_and_stay_rejected(workspace) -> None:
    settings: Settings = workspace["settings"]
    published, index = settings.warehouse_path, settings.reports_dir / "index.html"
    fits_before = digest(published, "select * exclude (snapshot) from trends.fits order by all")
    notable_before = warehouse_rows(published, "select count(*) from raw.notable_models")
    index_before = hashlib.sha256(index.read_bytes()).hexdigest()
    notable = workspace["mirror"].root / NOTABLE
    original = notable.read_bytes()
    text = original.decode("utf-8")
    import re

    notable.write_text(re.sub(r"\b(\d{4})-(\d{2})-(\d{2})\b", r"\2/\3/\1", text), encoding="utf-8")
    try:
        for attempt in (1, 2):
            done = cli(workspace, "refresh")
            assert done.returncode == 1, done.stdout[-3000:]
            failed = [line for line in done.stdout.splitlines() if line.startswith("FAILED") and "notable" in line]
            assert failed and any("'Publication date'" in line for line in failed), done.stdout[-3000:]
            if attempt == 2:
                assert any("waiting for a new release" in line for line in failed), failed
        rejected = warehouse_rows(published, "select count(*) from ops.source_versions where status = 'rejected'")
        assert rejected == [(1,)]  # the second run did not record the same file again
        assert warehouse_rows(published, "select count(*) from raw.notable_models") == notable_before
        assert digest(published, "select * exclude (snapshot) from trends.fits order by all") == fits_before
        assert hashlib.sha256(index.read_bytes()).hexdigest() == index_before
        status = cli(workspace, "status")
        assert status.returncode == 0 and "Publication date" in status.stdout
    finally:
        notable.write_bytes(original)


def test_a_corrupt_warehouse_or_a_directory_ends_in_seconds_with_one_line(workspace) -> None:
    broken = workspace["base"] / "broken"
    broken.mkdir()
    corrupt = broken / "warehouse.duckdb"
    shutil.copyfile(workspace["settings"].warehouse_path, corrupt)
    with open(corrupt, "r+b") as handle:
        handle.seek(4096)  # past DuckDB's magic bytes: a damaged warehouse, which `rebuild` may replace
        handle.write(os.urandom(8192))
    for warehouse, expected in ((corrupt, "python -m pipelines rebuild"), (broken, "is a directory")):
        env = {**workspace["env"], "SCALING_WAREHOUSE": str(warehouse)}
        for command in ("refresh", "status"):
            started = time.monotonic()
            done = cli(workspace, command, env=env)
            assert time.monotonic() - started < 10, command
            assert done.returncode == 2, (command, done.stdout, done.stderr[-2000:])
            last = [line for line in done.stdout.splitlines() if line.strip()][-1]  # one line, however long
            assert expected in last and str(warehouse) in last, done.stdout
            assert "Traceback" not in done.stderr


def test_a_file_that_is_not_the_warehouse_is_never_replaced_by_refresh_or_rebuild(workspace) -> None:
    """SCALING_WAREHOUSE pointed at a text file by mistake: both commands refuse in one line, the file is kept, and
    no line suggests the `rebuild` that would have replaced it."""
    notes = workspace["base"] / "notes.txt"
    notes.write_text("my notes\n", encoding="utf-8")
    env = {**workspace["env"], "SCALING_WAREHOUSE": str(notes)}
    for command in ("refresh", "rebuild", "status"):
        done = cli(workspace, command, env=env)
        assert done.returncode == 2, (command, done.stdout, done.stderr[-2000:])
        last = [line for line in done.stdout.splitlines() if line.strip()][-1]
        assert "is not a DuckDB file" in last and REBUILD_HINT not in last, done.stdout
        assert notes.read_text(encoding="utf-8") == "my notes\n"


def test_a_trickling_source_fails_at_its_deadline_while_the_others_load(workspace, built_warehouse) -> None:
    from dagster import DagsterEventType, DagsterInstance

    from pipelines.definitions import build_definitions
    from pipelines.defs.automation import PULL_JOB_NAME

    base = workspace["base"] / "trickle"
    copy_build(built_warehouse, base, reports=False, history=False)
    mirror = workspace["mirror"]
    mirror.fault("/" + NOTABLE, ("trickle", 0.3))
    settings = Settings(
        base / "data", base / "data" / "warehouse.duckdb", base / "reports", mirror.base_url, fetch_deadline_s=2.0
    )
    job = build_definitions(settings).resolve_job_def(PULL_JOB_NAME)
    started = time.monotonic()
    with DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(instance=instance, raise_on_error=False)
    assert time.monotonic() - started < 60
    failures = [e for e in result.all_events if e.event_type == DagsterEventType.STEP_FAILURE]
    assert [e.step_key for e in failures] == ["raw__notable_models"]
    assert "deadline of 2 s" in failures[0].step_failure_data.user_failure_data.description
    outcomes = dict(
        warehouse_rows(
            settings.warehouse_path,
            "select source, arg_max(outcome, fetched_at) from ops.fetch_log "
            "where requested_url not like '%metadata.json%' group by source",
        )
    )
    assert outcomes.pop("notable_models") == "failed"
    assert set(outcomes.values()) <= {"not_modified", "missing_optional", "unchanged"}, outcomes
    assert len(outcomes) == len(SOURCES) - 1  # every other source answered and the run published their pulls


def test_sigterm_marks_the_run_canceled_and_publishes_nothing(workspace) -> None:
    from dagster import DagsterInstance, DagsterRunStatus

    published = workspace["settings"].warehouse_path
    before = hashlib.sha256(published.read_bytes()).hexdigest()
    home = workspace["env"]["DAGSTER_HOME"]
    Path(home).mkdir(parents=True, exist_ok=True)
    with DagsterInstance.from_config(home) as instance:
        known = {r.run_id for r in instance.get_runs()}
    run = start_cli(workspace["env"], "refresh")
    deadline = time.monotonic() + 60
    started = []
    while not started and time.monotonic() < deadline and run.poll() is None:
        time.sleep(0.1)
        with DagsterInstance.from_config(home) as instance:
            started = [r for r in instance.get_runs() if r.run_id not in known and r.status == DagsterRunStatus.STARTED]
    assert started, "the refresh never started a run"
    run.send_signal(signal.SIGTERM)
    output = run.communicate(timeout=60)[0]
    assert run.returncode == 130, output[-2000:]
    last = [line for line in output.splitlines() if line.strip()][-1]
    assert "interrupted: nothing published" in last, output[-2000:]  # the command's own last word, not a traceback
    with DagsterInstance.from_config(home) as instance:
        statuses = {r.status for r in instance.get_runs() if r.run_id not in known}
    assert statuses and statuses <= {DagsterRunStatus.CANCELED, DagsterRunStatus.FAILURE}, statuses
    assert hashlib.sha256(published.read_bytes()).hexdigest() == before
    assert current_writer(workspace["settings"]) is None


def _edit_one_compute(mirror_root: Path) -> tuple[str, float]:
    """Upstream revises one notable model's training compute tenfold: (model name, new value)."""
    import csv
    import io

    path = mirror_root / NOTABLE
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    column = rows[0].index("Training compute (FLOP)")
    row = next(r for r in rows[1:] if r[column] and float(r[column]) > 1e20)
    new = float(row[column]) * 10
    row[column] = repr(new)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8")
    return row[0], new


def _wait_for_materialization(home: str, key: list[str], known: set[str], run, timeout: float = 120) -> None:
    """Until a run started after `known` has materialized `key` (the rebuild is half-way), or fail."""
    from dagster import AssetKey, DagsterInstance

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert run.poll() is None, run.stdout.read()[-3000:]
        with DagsterInstance.from_config(home) as instance:
            event = instance.get_latest_materialization_events([AssetKey(key)]).get(AssetKey(key))
        if event is not None and event.run_id not in known:
            return
        time.sleep(0.2)
    raise AssertionError(f"no run materialized {key} within {timeout:g} s")


def test_a_refresh_interrupted_mid_rebuild_is_completed_by_the_next_one(workspace) -> None:
    """SIGTERM after the marts took a new upstream value: the next refresh loads it and rebuilds every table built
    from it, although Dagster recorded them as built; the one after finds nothing to do."""
    from dagster import DagsterInstance

    assert cli(workspace, "refresh").returncode in (0, 1)  # whatever earlier tests left, published and recorded
    home = workspace["env"]["DAGSTER_HOME"]
    with DagsterInstance.from_config(home) as instance:
        known = {r.run_id for r in instance.get_runs()}
    name, value = _edit_one_compute(workspace["mirror"].root)
    run = start_cli(workspace["env"], "refresh")
    _wait_for_materialization(home, ["marts", "models"], known, run)
    run.send_signal(signal.SIGTERM)
    assert run.wait(60) == 130
    published = workspace["settings"].warehouse_path
    sql = f"select training_compute_flop from marts.models where model_name = '{name}'"
    assert warehouse_rows(published, sql) != [(value,)]  # nothing of the interrupted run was published

    again = cli(workspace, "refresh")
    assert again.returncode == 0, again.stdout[-3000:]
    assert "marts/models" in again.stdout and "trends/fits" in again.stdout  # rebuilt, though Dagster had them
    assert warehouse_rows(published, sql) == [(value,)]
    assert "nothing to rebuild" in cli(workspace, "refresh").stdout
