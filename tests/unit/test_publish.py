"""Publication: the writer lock, the working copy, the swap, and the errors no retry can fix."""

from __future__ import annotations

import contextlib
import json
import multiprocessing
import os
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from conftest import warehouse_rows

from pipelines.raw import journal
from pipelines.run.publish import (
    WarehouseBusy,
    WarehouseError,
    connect_bounded,
    current_writer,
    discard_working_copy,
    prepare_working_copy,
    publish,
    publish_reports,
    writer_lock,
)
from pipelines.settings import Settings, SettingsError, check_warehouse_path
from pipelines.warehouse import CONNECTION_CONFIG, ensure_schemas


def settings_in(base: Path, **overrides) -> Settings:
    values = dict(
        data_dir=base / "data",
        warehouse_path=base / "data" / "warehouse.duckdb",
        reports_dir=base / "reports",
        sources_mirror=None,
    )
    return Settings(**(values | overrides))


def write_table(path: Path, value: int) -> None:
    """A warehouse (its `ops` tables, as every build leaves them) whose table `t` holds `value`."""
    con = duckdb.connect(str(path), config=dict(CONNECTION_CONFIG))
    ensure_schemas(con)
    con.execute("create or replace table t as select ? as v", [value])
    con.close()


def published_holding(base: Path, value: int) -> Settings:
    """Settings under `base` whose published warehouse holds `value` in table `t`."""
    settings = settings_in(base)
    settings.data_dir.mkdir(parents=True)
    write_table(settings.warehouse_path, value)
    return settings


def read_value(path: Path, sql: str = "select v from t") -> list[tuple]:
    return warehouse_rows(path, sql)


def _hold_lock(base: str, ready, release) -> None:
    with writer_lock(settings_in(Path(base)), "test holder", run_id="run-123"):
        ready.set()
        release.wait(30)


@contextlib.contextmanager
def lock_held_by_another_process(base: Path) -> Iterator[multiprocessing.Process]:
    """A forked process holding the writer lock of the settings under `base` (as run run-123) until the block ends."""
    context = multiprocessing.get_context("fork")
    ready, release = context.Event(), context.Event()
    holder = context.Process(target=_hold_lock, args=(str(base), ready, release))
    holder.start()
    try:
        assert ready.wait(20)
        yield holder
    finally:
        release.set()
        holder.join(10)


def test_a_second_writer_fails_at_once_naming_the_holder(tmp_path: Path) -> None:
    with lock_held_by_another_process(tmp_path) as holder:
        settings = settings_in(tmp_path)
        started = time.monotonic()
        with pytest.raises(WarehouseBusy) as raised, writer_lock(settings, "second"):
            pass
        assert time.monotonic() - started < 1.0
        assert f"pid {holder.pid}" in str(raised.value) and "run run-123" in str(raised.value)
        assert f"pid {holder.pid}" in (current_writer(settings) or "")
    assert current_writer(settings_in(tmp_path)) is None


def test_the_lock_is_reentrant_in_one_process_and_only_the_outermost_holder_prepares(tmp_path: Path) -> None:
    settings = settings_in(tmp_path)
    with writer_lock(settings, "cli") as (outer, _), writer_lock(settings, "run", run_id="r1") as (inner, _):
        assert outer and not inner
        holder = json.loads(settings.lock_path.read_text())
        assert holder["run_id"] == "r1" and holder["command"] == "cli"  # the command that holds it, with its run


def test_an_abandoned_lock_is_taken_over_and_said_so(tmp_path: Path) -> None:
    settings = settings_in(tmp_path)
    settings.lock_path.parent.mkdir(parents=True)
    gone = multiprocessing.get_context("fork").Process(target=os._exit, args=(0,))
    gone.start()
    gone.join()
    settings.lock_path.write_text(json.dumps({"pid": gone.pid, "command": "killed", "since": "then"}))
    with writer_lock(settings, "next") as (outermost, note):
        assert outermost and note and f"pid {gone.pid}" in note and "no longer running" in note


def test_publishing_swaps_in_the_working_copy_while_a_reader_keeps_its_snapshot(tmp_path: Path) -> None:
    settings = published_holding(tmp_path, 1)
    with writer_lock(settings, "test"):
        prepare_working_copy(settings, CONNECTION_CONFIG)
        write_table(settings.working_path, 2)
        (settings.reports_staging_dir / "index").mkdir(parents=True)
        (settings.reports_staging_dir / "index.html").write_text("new")
        journal.append(settings.raw_dir, "fetch_log", [{"source": "s", "attempt": 1}])
        reader = duckdb.connect(str(settings.warehouse_path), read_only=True)
        publish(settings, CONNECTION_CONFIG)
    assert reader.execute("select v from t").fetchall() == [(1,)]  # the old file, still open
    reader.close()
    fresh = duckdb.connect(str(settings.warehouse_path), read_only=True)
    assert fresh.execute("select v from t").fetchall() == [(2,)]
    fresh.close()
    assert not settings.working_path.exists() and not settings.reports_staging_dir.exists()
    assert (settings.reports_dir / "index.html").read_text() == "new"
    assert journal.read(settings.raw_dir, "fetch_log") == [{"source": "s", "attempt": 1}]


def test_a_failed_build_is_discarded_with_its_pending_journal(tmp_path: Path) -> None:
    settings = published_holding(tmp_path, 1)
    prepare_working_copy(settings, CONNECTION_CONFIG)
    write_table(settings.working_path, 2)
    journal.append(settings.raw_dir, "source_versions", [{"source": "s"}])
    discard_working_copy(settings)
    assert journal.read(settings.raw_dir, "source_versions") == []
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    assert con.execute("select v from t").fetchall() == [(1,)]
    con.close()


def test_a_corrupt_warehouse_fails_at_once_with_the_rebuild_hint(tmp_path: Path) -> None:
    settings = published_holding(tmp_path, 1)
    with open(settings.warehouse_path, "r+b") as handle:
        handle.seek(4096)  # DuckDB's magic bytes stay: a damaged warehouse, not some other file
        handle.write(b"\0" * 8192)
    started = time.monotonic()
    with pytest.raises(WarehouseError) as raised:
        prepare_working_copy(settings, CONNECTION_CONFIG)
    assert time.monotonic() - started < 2.0
    assert str(settings.warehouse_path) in str(raised.value) and "python -m pipelines rebuild" in str(raised.value)


def test_a_directory_or_a_missing_parent_is_a_settings_error(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="is a directory"):
        check_warehouse_path(settings_in(tmp_path, warehouse_path=tmp_path))
    with pytest.raises(SettingsError, match="does not exist"):
        check_warehouse_path(settings_in(tmp_path, warehouse_path=tmp_path / "typo" / "w.duckdb"))
    check_warehouse_path(settings_in(tmp_path))  # a new data directory is fine


def test_a_lock_conflict_is_retried_for_seconds_then_named(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    write_table(path, 1)
    script = f"import duckdb, time; c = duckdb.connect({str(path)!r}); print('open', flush=True); time.sleep(30)"
    import subprocess
    import sys

    holder = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        started = time.monotonic()
        with pytest.raises(WarehouseBusy, match="locked by another process"):
            connect_bounded(path, CONNECTION_CONFIG)
        assert 4.0 < time.monotonic() - started < 10.0
    finally:
        holder.kill()
        holder.wait()


def test_publishing_the_reports_replaces_a_page_folder_whole(tmp_path: Path) -> None:
    staging, target = tmp_path / "staging", tmp_path / "reports"
    (target / "index").mkdir(parents=True)
    (target / "index" / "old_chart.csv").write_text("old")
    (target / "README.md").write_text("kept")
    (staging / "index").mkdir(parents=True)
    (staging / "index" / "chart.csv").write_text("new")
    assert publish_reports(staging, target) == ["index"]
    assert sorted(p.name for p in (target / "index").iterdir()) == ["chart.csv"]
    assert (target / "README.md").read_text() == "kept"


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (OSError(28, "No space left on device"), "is full"),
        (Exception("(sqlite3.OperationalError) disk I/O error"), "is full"),
        (OSError(30, "Read-only file system"), "cannot write in"),
        (duckdb.IOException('IO Error: Could not set lock on file "w": Conflicting lock is held'), "locked by another"),
    ],
)
def test_errors_no_retry_fixes_get_one_line_naming_the_path(tmp_path: Path, error, expected) -> None:
    from pipelines.run.publish import classify

    described = classify(error, tmp_path / "warehouse.duckdb")
    assert described is not None and expected in str(described) and str(tmp_path) in str(described)
    assert classify(ValueError("something else"), tmp_path) is None


def test_too_little_free_space_stops_before_the_copy(tmp_path: Path, monkeypatch) -> None:
    import shutil as shutil_module
    from collections import namedtuple

    settings = published_holding(tmp_path, 1)
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil_module, "disk_usage", lambda path: usage(100, 99, 1 << 20))
    with pytest.raises(WarehouseError, match="has 1 MB free"):
        prepare_working_copy(settings, CONNECTION_CONFIG)
    assert not settings.working_path.exists()


def test_the_dagster_home_queues_runs_one_at_a_time(tmp_path: Path, monkeypatch) -> None:
    """UI, schedule and sensor runs wait in Dagster's queue for each other rather than fail on the writer lock."""
    from pipelines.run.cli import dagster_instance

    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    (tmp_path / "dagster").mkdir()
    (tmp_path / "dagster" / "dagster.yaml").touch()  # what earlier versions left: replaced
    with dagster_instance(settings_in(tmp_path)) as instance:
        assert instance.get_concurrency_config().run_queue_config.max_concurrent_runs == 1  # what the daemon reads


# -- never destroy a file that is not the warehouse --------------------------------------------------------------


@pytest.mark.parametrize("fresh", [False, True], ids=["refresh", "rebuild"])
def test_a_text_file_at_the_warehouse_path_is_refused_and_kept(tmp_path: Path, fresh: bool) -> None:
    settings = settings_in(tmp_path)
    settings.data_dir.mkdir(parents=True)
    settings.warehouse_path.write_text("my notes\n")
    with pytest.raises(WarehouseError) as raised:
        prepare_working_copy(settings, CONNECTION_CONFIG, fresh=fresh)
    message = str(raised.value)
    assert "is not a DuckDB file" in message and "refusing to replace it" in message and "rebuild" not in message
    assert settings.warehouse_path.read_text() == "my notes\n"


def test_another_duckdb_database_at_the_warehouse_path_is_refused(tmp_path: Path) -> None:
    settings = settings_in(tmp_path)
    settings.data_dir.mkdir(parents=True)
    con = duckdb.connect(str(settings.warehouse_path))
    con.execute("create table my_results as select 42 as answer")
    con.close()
    with pytest.raises(WarehouseError, match="without the warehouse's ops tables"):
        prepare_working_copy(settings, CONNECTION_CONFIG, fresh=True)
    assert read_value(settings.warehouse_path, "select answer from my_results") == [(42,)]


def test_a_symlinked_warehouse_stays_a_symlink_after_publication(tmp_path: Path) -> None:
    real = tmp_path / "elsewhere" / "warehouse.duckdb"
    real.parent.mkdir()
    write_table(real, 1)
    settings = settings_in(tmp_path)
    settings.data_dir.mkdir(parents=True)
    settings.warehouse_path.symlink_to(real)
    with writer_lock(settings, "test"):
        prepare_working_copy(settings, CONNECTION_CONFIG)
        write_table(settings.working_path, 2)
        publish(settings, CONNECTION_CONFIG)
    assert settings.warehouse_path.is_symlink() and settings.warehouse_path.resolve() == real
    assert read_value(real) == [(2,)]


def test_a_table_created_in_the_published_file_during_a_run_is_kept_not_overwritten(tmp_path: Path) -> None:
    settings = published_holding(tmp_path, 1)
    with writer_lock(settings, "test"):
        prepare_working_copy(settings, CONNECTION_CONFIG)
        write_table(settings.working_path, 2)
        user = duckdb.connect(str(settings.warehouse_path), config=dict(CONNECTION_CONFIG))
        user.execute("create table main.my_notes as select 'keep me' as note")
        user.close()
        with pytest.raises(WarehouseError) as raised:
            publish(settings, CONNECTION_CONFIG)
    assert "changed by another process" in str(raised.value) and "ATTACH" in str(raised.value)
    assert read_value(settings.warehouse_path, "select note from my_notes") == [("keep me",)]
    assert read_value(settings.warehouse_path) == [(1,)]


# -- a publication is finished by the next run if its writer died half-way ----------------------------------------


def test_a_publication_killed_between_its_renames_is_completed_by_the_next_run(tmp_path: Path, monkeypatch) -> None:
    import pipelines.run.publish as publication

    settings = published_holding(tmp_path, 1)
    settings.reports_dir.mkdir()
    (settings.reports_dir / "index.html").write_text("page of build 1")
    with writer_lock(settings, "test"):
        prepare_working_copy(settings, CONNECTION_CONFIG)
        write_table(settings.working_path, 2)
        settings.reports_staging_dir.mkdir(parents=True)
        (settings.reports_staging_dir / "index.html").write_text("page of build 2")

        def killed(staging: Path, target: Path) -> list[str]:
            raise KeyboardInterrupt("SIGKILL right after the warehouse rename")

        monkeypatch.setattr(publication, "publish_reports", killed)
        with pytest.raises(KeyboardInterrupt):
            publish(settings, CONNECTION_CONFIG, run_ids=["run-2"], command="refresh")
        monkeypatch.undo()
    assert read_value(settings.warehouse_path) == [(2,)]  # the mixed pair a kill leaves
    assert (settings.reports_dir / "index.html").read_text() == "page of build 1"
    with writer_lock(settings, "next"):
        completed = prepare_working_copy(settings, CONNECTION_CONFIG)
    assert completed and "completed the publication interrupted" in completed and "refresh" in completed
    assert (settings.reports_dir / "index.html").read_text() == "page of build 2"
    assert not publication.intent_path(settings).exists()
    assert prepare_working_copy(settings, CONNECTION_CONFIG) is None  # said once


def test_the_published_file_lists_the_runs_whose_work_it_holds(tmp_path: Path) -> None:
    from pipelines.run.publish import published_runs

    settings = published_holding(tmp_path, 1)
    for runs in (["ingest-1", "rebuild-1"], ["ui-2"]):
        with writer_lock(settings, "test"):
            prepare_working_copy(settings, CONNECTION_CONFIG)
            publish(settings, CONNECTION_CONFIG, run_ids=runs, command="test")
    prepare_working_copy(settings, CONNECTION_CONFIG)
    write_table(settings.working_path, 3)
    discard_working_copy(settings)  # a run that did not publish: its id never reaches the file
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    assert published_runs(con) == {"ingest-1", "rebuild-1", "ui-2"}
    con.close()


def test_the_next_run_removes_what_a_killed_run_left_beside_the_warehouse_and_pages(tmp_path: Path) -> None:
    settings = published_holding(tmp_path, 1)
    leftovers = [
        settings.data_dir / f".{settings.working_path.name}.4242.part",
        settings.data_dir / f".{settings.stamp_path.name}.4242.tmp",
        settings.reports_dir / ".retired-index-4242" / "chart.csv",
    ]
    for path in leftovers:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("half-written")
    prepare_working_copy(settings, CONNECTION_CONFIG)
    assert not any(path.exists() for path in leftovers)
    assert not (settings.reports_dir / ".retired-index-4242").exists()


def test_a_dagster_run_that_cannot_take_the_lock_shows_the_holder_on_top(tmp_path: Path) -> None:
    """A UI run meeting a refresh: its error is the lock's holder, not Dagster's `DagsterResourceFunctionError`."""
    from dagster import DagsterEventType, DagsterInstance, asset, materialize

    from pipelines.defs.resources import warehouse_resource

    @asset(required_resource_keys={"warehouse"})
    def needs_the_warehouse(context):  # no annotation: `from __future__` makes it a string
        """Never runs: the run cannot start."""

    with lock_held_by_another_process(tmp_path) as holder, DagsterInstance.ephemeral() as instance:
        result = materialize(
            [needs_the_warehouse],
            resources={"warehouse": warehouse_resource(settings_in(tmp_path))},
            instance=instance,
            raise_on_error=False,
        )
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type == DagsterEventType.RUN_FAILURE)
    top = failure.event_specific_data.error
    assert top.cls_name == "WarehouseUnavailable", top.cls_name
    assert f"pid {holder.pid}" in top.message and "run run-123" in top.message
