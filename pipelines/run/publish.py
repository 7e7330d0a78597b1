"""Publication: one writer at a time builds a working copy, then swaps it in so readers never wait for a run.

DuckDB lets a file have one read-write process or many read-only ones, never both. So no run ever opens the
published warehouse for writing: the first writer to take the lock copies the published file to `working_path`,
every step writes there, and a successful run renames it over the published file (atomic on one filesystem).
Readers that had the old file open keep their snapshot; new connections see the new file. Report pages follow the
same rule through `reports_staging_dir`.

Publication is two renames (the warehouse, then the pages), so it is written down first: an intent file beside
the warehouse names the build, and a run that finds one (its writer was killed between the renames) completes it
before anything else. The published file also lists the Dagster runs whose work it holds (`ops.published_runs`), so
work recorded by a run that never published is not taken for done (`pipelines.run.freshness`).

Nothing here replaces a file that is not this project's warehouse: a text file at the warehouse path, another
DuckDB database, or the published file changed by someone else since the run copied it is refused, not overwritten.

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

from pipelines.raw import journal
from pipelines.settings import Settings, SettingsError, check_warehouse_path
from pipelines.warehouse import ensure_schemas, table_exists

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
        if path.exists() and not is_duckdb_file(path):
            return WarehouseError(not_ours_message(path, "is not a DuckDB file"))
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


DUCKDB_MAGIC = b"DUCK"  # bytes 8-11 of every DuckDB database file
ATTACH_HINT = (
    "keep your own tables in a DuckDB file of your own that attaches the warehouse read-only "
    "(ATTACH 'data/warehouse.duckdb' AS warehouse (READ_ONLY)), see the README"
)
_ORIGINS: dict[Path, tuple] = {}  # working copy -> the published file's identity when the run copied it


def is_duckdb_file(path: Path) -> bool:
    """Whether `path` starts like a DuckDB database (a corrupt one included): the files `rebuild` may replace."""
    with open(path, "rb") as handle:
        return handle.read(12)[8:12] == DUCKDB_MAGIC


def not_ours_message(path: Path, what: str) -> str:
    return (
        f"{path} {what}, so it is not this project's warehouse; refusing to replace it: move it away, or set "
        "SCALING_WAREHOUSE to the warehouse's path"
    )


def check_replaceable(path: Path, config: dict) -> None:
    """Refuse to write over anything but this project's warehouse: absent, an empty DuckDB file, one with `ops` tables,
    or a DuckDB file too corrupt to open (what `rebuild` is for)."""
    if not path.exists():
        return
    if not path.is_file():
        raise WarehouseError(not_ours_message(path, "is not a regular file"))
    if not is_duckdb_file(path):
        raise WarehouseError(not_ours_message(path, "is not a DuckDB file"))
    try:
        con = duckdb.connect(str(path), read_only=True, config=dict(config))
    except duckdb.Error:
        return  # a locked or corrupt warehouse: `connect_bounded` says which, when it matters
    try:
        tables = con.execute("select count(*) from duckdb_tables() where schema_name = 'ops'").fetchone()[0]
        has_any = con.execute("select count(*) from duckdb_tables()").fetchone()[0]
    finally:
        con.close()
    if has_any and not tables:
        raise WarehouseError(not_ours_message(path, "is a DuckDB database without the warehouse's ops tables"))


def file_identity(path: Path) -> tuple:
    """What changes when anyone writes the file (or its WAL): inode, size and modification time of each."""
    identity = []
    for part in (path, _wal(path)):
        with contextlib.suppress(FileNotFoundError):
            stat = part.stat()
            identity.append((part.name, stat.st_ino, stat.st_size, stat.st_mtime_ns))
    return tuple(identity)


def check_unchanged_since_copy(settings: Settings, config: dict) -> None:
    """A table someone created in the published file during the run would vanish at the swap: refuse instead. A
    file unchanged since `prepare_working_copy` checked it is still replaceable; without that check, check now."""
    origin = _ORIGINS.get(settings.working_path)
    if origin is None:
        check_replaceable(settings.warehouse_path, config)
    elif file_identity(settings.warehouse_path) != origin:
        raise WarehouseError(
            f"{settings.warehouse_path} was changed by another process while this run built its next version; "
            f"not published, so those changes are kept (the next run starts from them); {ATTACH_HINT}"
        )


def prepare_working_copy(settings: Settings, config: dict, *, fresh: bool = False) -> str | None:
    """Start a build: complete a publication a killed run left half-done (returns what was done), discard a working
    copy a dead run left, copy the published file (or start empty)."""
    check_warehouse_path(settings)
    working, published = settings.working_path, settings.warehouse_path
    try:
        published.parent.mkdir(parents=True, exist_ok=True)
        completed = complete_interrupted_publication(settings)
        check_replaceable(published, config)
        discard_working_copy(settings)
        check_free_space(settings)
        _ORIGINS[working] = file_identity(published)
        if published.exists() and not fresh:
            _verify_readable(published, config)
            _copy_atomic(published, working)
            if _wal(published).exists():
                _copy_atomic(_wal(published), _wal(working))
    except OSError as exc:
        raise classify(exc, published) or exc from exc
    return completed


def record_published_runs(con: duckdb.DuckDBPyConnection, run_ids: list[str], command: str) -> None:
    """The Dagster runs whose work this file holds, published with it (`pipelines.run.freshness` reads them back)."""
    ensure_schemas(con)
    for run_id in run_ids:
        con.execute("insert into ops.published_runs values (?, ?, now())", [run_id, command])


def published_runs(con: duckdb.DuckDBPyConnection) -> set[str]:
    """The runs `record_published_runs` listed (none in a warehouse built before they were listed)."""
    if not table_exists(con, "ops", "published_runs"):
        return set()
    return {row[0] for row in con.execute("select run_id from ops.published_runs").fetchall()}


def _seal_working_copy(settings: Settings, config: dict, run_ids: list[str], command: str) -> None:
    """The run ids in, the WAL checkpointed into the file, the file on disk: ready to be renamed."""
    con = connect_bounded(settings.working_path, config)
    try:
        record_published_runs(con, run_ids, command)
        con.execute("checkpoint")
    finally:
        con.close()
    with open(settings.working_path, "rb") as handle:
        os.fsync(handle.fileno())


def publish(
    settings: Settings, config: dict, stamp: dict | None = None, *, run_ids: list[str] = (), command: str = ""
) -> None:
    """Swap the working copy in as the published warehouse, then the staged report files into `reports_dir`.
    `run_ids` are the Dagster runs whose work the copy holds. `stamp` says the build completed cleanly
    (`pipelines.run.unchanged`); any other publication removes the stamp."""
    working = settings.working_path
    _unlink(settings.stamp_path)
    check_unchanged_since_copy(settings, config)
    if working.exists():
        _seal_working_copy(settings, config, list(run_ids), command)
    journal.commit(settings.raw_dir)  # first: a crash in between re-fetches, it never loses a record
    _write_atomic(intent_path(settings), json.dumps({"pid": os.getpid(), "command": command, "since": _now()}))
    _finish_publication(settings)
    if stamp is not None:
        _write_atomic(settings.stamp_path, json.dumps(stamp, sort_keys=True))


def intent_path(settings: Settings) -> Path:
    """Present from the first rename of a publication to its last: a run that finds it completes the publication."""
    return settings.warehouse_path.with_name(settings.warehouse_path.name + ".publishing.json")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _finish_publication(settings: Settings) -> list[str]:
    """The renames, each safe to repeat: the working copy over the published file (if not done yet), then each
    staged page over its published one; the intent goes last."""
    working, published = settings.working_path, settings.warehouse_path
    if working.exists():
        _unlink(_wal(published), _wal(published.resolve()))  # an old file's WAL must never replay onto the new one
        _swap_in(working, published.resolve())  # a symlinked warehouse: its target is replaced, the link stays
        _unlink(_wal(working))
    moved = publish_reports(settings.reports_staging_dir, settings.reports_dir)
    _unlink(intent_path(settings))
    return moved


def _swap_in(working: Path, target: Path) -> None:
    """Rename `working` over `target`; across filesystems (a symlink to another disk), copy it beside first."""
    try:
        os.replace(working, target)
    except OSError as exc:
        if exc.errno != errno.EXDEV:
            raise
        _copy_atomic(working, target)
        _unlink(working)


def complete_interrupted_publication(settings: Settings) -> str | None:
    """A publication whose writer died between its renames (the warehouse swapped, the pages not yet): finish it,
    so the published warehouse and pages are one build again; returns what it did, for the log."""
    intent = intent_path(settings)
    if not intent.exists():
        return None
    started: dict = {}
    with contextlib.suppress(OSError, ValueError):
        loaded = json.loads(intent.read_text(encoding="utf-8"))
        started = loaded if isinstance(loaded, dict) else {}
    swapped = not settings.working_path.exists()
    moved = _finish_publication(settings)
    return (
        f"completed the publication interrupted at {started.get('since', '?')} ({started.get('command') or 'a run'}, "
        f"pid {started.get('pid', '?')}): {'warehouse already swapped' if swapped else 'warehouse swapped'}, "
        f"{len(moved)} staged report entries moved"
    )


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
    """After a failed build, or a dead run's leftovers: nothing of it may reach readers, nothing of it stays."""
    _unlink(settings.working_path, _wal(settings.working_path))
    shutil.rmtree(settings.reports_staging_dir, ignore_errors=True)
    journal.discard(settings.raw_dir)
    published = settings.warehouse_path
    for leftover in (
        *published.parent.glob(f".{published.name}.*.part"),
        *published.parent.glob(f".{settings.working_path.name}.*.part"),
        *published.parent.glob(f".{published.name}*.tmp"),
    ):
        _unlink(leftover)
    if settings.reports_dir.is_dir():
        for retired in settings.reports_dir.glob(".retired-*"):
            shutil.rmtree(retired, ignore_errors=True)


def check_settings(settings: Settings) -> None:
    """`SettingsError` as a `WarehouseError`, so every entry point reports it the same way."""
    try:
        check_warehouse_path(settings)
    except SettingsError as exc:
        raise WarehouseError(str(exc)) from exc
