"""Publication: one writer at a time builds a working copy, then swaps it in so readers never wait for a run.

DuckDB lets a file have one read-write process or many read-only ones, never both. So no run ever opens the
published warehouse for writing: the first writer to take the lock copies the published file to `working_path`,
every step writes there, and a successful run renames it over the published file (atomic on one filesystem).
Readers that had the old file open keep their snapshot; new connections see the new file. Report pages follow the
same rule through `reports_staging_dir`.

The lock is re-entrant within a process, so `python -m pipelines refresh` holds it across its two runs while the
runs' warehouse resource, which takes it too (UI, schedule and sensor runs have nothing else), finds it held.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from pipelines import journal
from pipelines.settings import Settings, SettingsError, check_warehouse_path

REBUILD_HINT = "rebuild it from data/raw with `python -m pipelines rebuild`"
HEADROOM_BYTES = 64 << 20  # new raw files, reports and Dagster's event log, beyond the working copy itself
LOCK_CONFLICT_WAIT_S = 5.0  # a DuckDB lock conflict lasts at most while another process opens or renames


class WarehouseError(RuntimeError):
    """A warehouse problem no retry can fix: one line naming the path, what is wrong and what to do."""


class WarehouseBusy(RuntimeError):
    """Another writer holds the warehouse lock."""


@dataclass
class _Hold:
    depth: int
    handle: object
    command: str  # the outermost holder's: a nested run adds its run id, not its name


_HELD: dict[Path, _Hold] = {}
_HELD_GUARD = threading.Lock()


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _holder_text(raw: str) -> str:
    try:
        holder = json.loads(raw)
    except ValueError:
        return f"pid {raw.strip() or 'unknown'}"
    run = f", run {holder['run_id']}" if holder.get("run_id") else ""
    return f"pid {holder.get('pid')} ({holder.get('command', '?')}{run}) since {holder.get('since', '?')}"


def _write_holder(handle, command: str, run_id: str | None) -> None:
    handle.seek(0)
    handle.truncate()
    since = datetime.now(UTC).isoformat(timespec="seconds")
    handle.write(json.dumps({"pid": os.getpid(), "command": command, "run_id": run_id, "since": since}))
    handle.flush()


def _take_over_note(previous: str) -> str | None:
    """A lock file naming a process that no longer runs: it was killed while writing, and its lock is ours now."""
    with contextlib.suppress(ValueError, TypeError, KeyError):
        pid = int(json.loads(previous)["pid"])
        if pid != os.getpid() and not _pid_alive(pid):
            return f"took over the writer lock abandoned by {_holder_text(previous)} (no longer running)"
    return None


def _acquire(settings: Settings, command: str, run_id: str | None, wait_s: float):
    """Open and flock the lock file, waiting at most `wait_s`; raise `WarehouseBusy` naming the holder."""
    path = settings.lock_path
    path.parent.mkdir(parents=True, exist_ok=True)
    handle = open(path, "a+")  # noqa: SIM115 - held until the outermost release
    deadline = time.monotonic() + wait_s
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() >= deadline:
                handle.seek(0)
                holder = _holder_text(handle.read())
                handle.close()
                raise WarehouseBusy(
                    f"another refresh or run is writing {settings.warehouse_path}: {holder}; wait for it to finish "
                    f"(or set SCALING_LOCK_WAIT to wait)"
                ) from None
            time.sleep(0.2)
    handle.seek(0)
    note = _take_over_note(handle.read())
    _write_holder(handle, command, run_id)
    return handle, note


@contextlib.contextmanager
def writer_lock(settings: Settings, command: str, run_id: str | None = None) -> Iterator[tuple[bool, str | None]]:
    """Hold the writer lock; yields (outermost, note). Only the outermost holder prepares and publishes."""
    key = settings.lock_path.resolve()
    with _HELD_GUARD:
        hold = _HELD.get(key)
        if hold is not None:
            hold.depth += 1
    if hold is not None:
        if run_id:
            _write_holder(hold.handle, hold.command, run_id)
        try:
            yield False, None
        finally:
            with _HELD_GUARD:
                hold.depth -= 1
        return
    handle, note = _acquire(settings, command, run_id, settings.lock_wait_s)
    with _HELD_GUARD:
        _HELD[key] = _Hold(depth=1, handle=handle, command=command)
    try:
        yield True, note
    finally:
        with _HELD_GUARD:
            del _HELD[key]
        handle.seek(0)
        handle.truncate()
        fcntl.flock(handle, fcntl.LOCK_UN)
        handle.close()


def current_writer(settings: Settings) -> str | None:
    """Who holds the writer lock now (pid, command, run, since), or None; for `status`, without taking it."""
    if not settings.lock_path.exists():
        return None
    with open(settings.lock_path) as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _holder_text(handle.read())
        fcntl.flock(handle, fcntl.LOCK_UN)
    return None


# -- errors that retrying cannot fix ------------------------------------------------------------------------------

_DISK_FULL = ("no space left on device", "database or disk is full", "disk i/o error")
_READ_ONLY = ("read-only file system", "permission denied")


def classify(exc: BaseException, path: Path) -> WarehouseError | WarehouseBusy | None:
    """The one-line error for a failure to open or write the warehouse, or None when it may pass on retry."""
    text = str(exc)
    lowered = text.lower()
    number = getattr(exc, "errno", None)
    if "could not set lock" in lowered or "conflicting lock" in lowered:
        return WarehouseBusy(f"{path} is locked by another process: {text.split('. See also')[0]}")
    if "not a valid duckdb database file" in lowered or "corrupt" in lowered:
        return WarehouseError(f"{path} is not a readable DuckDB warehouse ({text.strip()}); {REBUILD_HINT}")
    if "is a directory" in lowered or number == errno.EISDIR:
        return WarehouseError(f"{path} is a directory; set SCALING_WAREHOUSE to a file path")
    if number == errno.ENOSPC or any(m in lowered for m in _DISK_FULL):
        return WarehouseError(f"the disk holding {path.parent} is full ({text.strip()}); free space and run again")
    if number in (errno.EROFS, errno.EACCES, errno.EPERM) or any(m in lowered for m in _READ_ONLY):
        return WarehouseError(
            f"cannot write in {path.parent} ({text.strip()}); make it writable or set SCALING_DATA_DIR elsewhere"
        )
    return None


def connect_bounded(path: Path, config: dict, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open a DuckDB file, retrying only a lock conflict and only for a few seconds."""
    deadline = time.monotonic() + LOCK_CONFLICT_WAIT_S
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only, config=dict(config))
        except (duckdb.Error, OSError) as exc:
            known = classify(exc, path)
            if isinstance(known, WarehouseBusy) and time.monotonic() < deadline:
                time.sleep(0.25)
                continue
            if known is not None:
                raise known from exc
            raise


# -- the working copy and its publication -------------------------------------------------------------------------


def _wal(path: Path) -> Path:
    return path.with_name(path.name + ".wal")


def _unlink(*paths: Path) -> None:
    for path in paths:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _verify_readable(path: Path, config: dict) -> None:
    con = connect_bounded(path, config, read_only=True)
    try:
        con.execute("select count(*) from duckdb_tables()").fetchall()
    except duckdb.Error as exc:
        raise classify(exc, path) or WarehouseError(f"{path} cannot be read ({exc}); {REBUILD_HINT}") from exc
    finally:
        con.close()


def _copy_atomic(source: Path, target: Path) -> None:
    temporary = target.with_name(f".{target.name}.{os.getpid()}.part")
    try:
        shutil.copyfile(source, temporary)
        os.replace(temporary, target)
    except BaseException:
        _unlink(temporary)
        raise


def check_free_space(settings: Settings) -> None:
    """A run needs room for a second copy of the warehouse: say so before starting rather than die half-way."""
    published = settings.warehouse_path
    needed = (published.stat().st_size if published.exists() else 0) * 2 + HEADROOM_BYTES
    free = shutil.disk_usage(published.parent).free
    if free < needed:
        raise WarehouseError(
            f"the disk holding {published.parent} has {free >> 20} MB free; a run needs about {needed >> 20} MB "
            "(a working copy of the warehouse and new files): free space and run again"
        )


def prepare_working_copy(settings: Settings, config: dict, *, fresh: bool = False) -> None:
    """Start a build: discard a working copy a dead run left, copy the published file (or start empty)."""
    check_warehouse_path(settings)
    working, published = settings.working_path, settings.warehouse_path
    try:
        published.parent.mkdir(parents=True, exist_ok=True)
        discard_working_copy(settings)
        check_free_space(settings)
        if published.exists() and not fresh:
            _verify_readable(published, config)
            _copy_atomic(published, working)
            if _wal(published).exists():
                _copy_atomic(_wal(published), _wal(working))
    except OSError as exc:
        raise classify(exc, published) or exc from exc


def publish(settings: Settings, config: dict, stamp: dict | None = None) -> None:
    """Swap the working copy in as the published warehouse, then the staged report files into `reports_dir`.
    `stamp` says the build completed cleanly (`pipelines.unchanged`); any other publication removes the stamp."""
    working, published = settings.working_path, settings.warehouse_path
    _unlink(settings.stamp_path)
    if working.exists():
        con = connect_bounded(working, config)
        try:
            con.execute("checkpoint")
        finally:
            con.close()
        with open(working, "rb") as handle:
            os.fsync(handle.fileno())
        _unlink(_wal(published))  # a WAL left beside the old file must never be replayed onto the new one
        journal.commit(settings.raw_dir)  # first: a crash in between re-fetches, it never loses a record
        os.replace(working, published)
        _unlink(_wal(working))
    publish_reports(settings.reports_staging_dir, settings.reports_dir)
    if stamp is not None:
        _write_atomic(settings.stamp_path, json.dumps(stamp, sort_keys=True))


def _write_atomic(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def publish_reports(staging: Path, target: Path) -> list[str]:
    """Move each staged page (file or folder) over its published counterpart; returns the names moved."""
    if not staging.is_dir():
        return []
    moved = []
    target.mkdir(parents=True, exist_ok=True)
    for entry in sorted(staging.iterdir()):
        destination = target / entry.name
        if entry.is_dir() and destination.is_dir():
            retired = target / f".retired-{entry.name}-{os.getpid()}"
            os.replace(destination, retired)
            os.replace(entry, destination)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            os.replace(entry, destination)
        moved.append(entry.name)
    shutil.rmtree(staging, ignore_errors=True)
    return moved


def discard_working_copy(settings: Settings) -> None:
    """After a failed build: nothing of it may reach readers."""
    _unlink(settings.working_path, _wal(settings.working_path))
    shutil.rmtree(settings.reports_staging_dir, ignore_errors=True)
    journal.discard(settings.raw_dir)


def check_settings(settings: Settings) -> None:
    """`SettingsError` as a `WarehouseError`, so every entry point reports it the same way."""
    try:
        check_warehouse_path(settings)
    except SettingsError as exc:
        raise WarehouseError(str(exc)) from exc
