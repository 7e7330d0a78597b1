"""Landing a source: fetch it, log every attempt, guard the file, load it as text into `raw.<source>`.

Also what the warehouse says was landed (a source's last good pull, the file its raw table holds), which the
`source_changes` sensor and the unchanged-refresh shortcut read. Plain Python on a DuckDB connection: the Dagster
asset of each source (`pipelines.defs.raw`) calls `land_source`, and `rebuild` replays files through `read_source_file`.
"""

from __future__ import annotations

import logging
import zipfile
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath

import duckdb
import polars as pl

from pipelines.raw import journal
from pipelines.raw.fetch import (
    FetchAttempt,
    Fetcher,
    FetchError,
    FetchResult,
    PreviousFetch,
    TooLarge,
    check_landed_size,
    zip_members,
)
from pipelines.raw.guards import RAW_GUARDS, SIZE_GUARD, GuardResult, column_changes, raw_guards, rejected_by
from pipelines.raw.sources import SOURCES, SOURCES_BY_NAME, Source
from pipelines.settings import Settings
from pipelines.warehouse import append_rows, first_row, read_table, replace_table, table_exists

logger = logging.getLogger(__name__)
Connect = Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]]  # a connection to the run's working copy
GOOD_OUTCOMES = ("downloaded", "unchanged", "not_modified")


def last_good_fetch(con: duckdb.DuckDBPyConnection, source: str) -> PreviousFetch | None:
    """The newest fetch of `source` that landed a valid file still on disk: the base of a conditional GET."""
    row = first_row(
        con,
        """
        select sha256, etag, last_modified, path from ops.fetch_log
        where source = ? and list_contains(?, outcome) and sha256 is not null
          and requested_url not like '%metadata.json%'
        order by fetched_at desc, attempt desc limit 1
        """,
        [source, list(GOOD_OUTCOMES)],
    )
    if row is None or row[3] is None or not Path(row[3]).exists():
        return None
    return PreviousFetch(sha256=row[0], etag=row[1], last_modified=row[2], path=Path(row[3]))


def held_file(con: duckdb.DuckDBPyConnection, source: str) -> tuple[str | None, int | None]:
    """(sha256, rows) of the file `raw.<source>` holds now, or (None, None) before the first load."""
    if not table_exists(con, "raw", source):
        return None, None
    row = first_row(con, f"select any_value(_sha256), count(*) from raw.{source}")
    return (row[0], int(row[1])) if row else (None, None)


def held_files(con: duckdb.DuckDBPyConnection) -> dict[str, str | None]:
    """The sha256 of the file each source's raw table holds (None before its first load)."""
    return {source.name: held_file(con, source.name)[0] for source in SOURCES}


def fetcher_for(settings: Settings) -> Fetcher:
    """The fetcher every pull uses: the mirror, the retry backoff and the per-source deadline of `settings`."""
    return Fetcher(
        settings.raw_dir, settings.sources_mirror, backoff=settings.fetch_backoff_s, deadline=settings.fetch_deadline_s
    )


def log_attempts(raw_dir: Path, con: duckdb.DuckDBPyConnection, attempts: list[FetchAttempt]) -> int:
    """Journal first (data/raw is the record), then `ops.fetch_log`."""
    rows = [attempt.as_row() for attempt in attempts]
    journal.append(raw_dir, "fetch_log", rows)
    return append_rows(con, "fetch_log", rows)


VERSION_COLUMN = "Model version"  # every Benchmarking Hub member is keyed by it


class LandingError(Exception):
    """A pull that could not land: the fetch failed (after its retries) or the file cannot be read."""

    def __init__(self, message: str, attempts: int = 0) -> None:
        super().__init__(message)
        self.attempts = attempts


VERSION_COLUMNS = (
    "source", "sha256", "url", "path", "bytes", "rows", "last_modified", "fetched_at", "status", "reason",
    "added_columns", "removed_columns",
)  # fmt: skip
UNKNOWN_SHA256 = "unknown"  # a download stopped at its size limit: the whole file, and so its sha256, never came


@dataclass(frozen=True)
class Landing:
    """What one pull did: the fetch, the guards, and the file the raw table holds afterwards."""

    fetch: FetchResult
    guards: list[GuardResult]
    loaded: bool
    held_sha256: str | None
    held_rows: int | None


def earlier_rejection(con: duckdb.DuckDBPyConnection, source: str, sha256: str | None) -> tuple | None:
    """(when, reason) if this very file was rejected before: it stays rejected until the source publishes another."""
    return first_row(
        con,
        """select fetched_at, reason from ops.source_versions where source = ? and sha256 = ? and status = 'rejected'
           order by fetched_at limit 1""",
        [source, sha256],
    )


def _passing(message: str) -> list[GuardResult]:
    return [GuardResult(name, True, message) for name in RAW_GUARDS]


def _log(settings: Settings, connect: Connect, attempts: list) -> None:
    with connect() as con:
        log_attempts(settings.raw_dir, con, attempts)


def fetch_logged(source: Source, settings: Settings, connect: Connect, previous) -> FetchResult:
    """Fetch a source and its metadata, logging every attempt; a failed fetch becomes a `LandingError` naming it."""
    fetcher = fetcher_for(settings)
    try:
        result = fetcher.fetch(source, previous)
    except FetchError as exc:
        _log(settings, connect, exc.attempts)
        if isinstance(exc, TooLarge):  # a file, rejected as one by `land_source`
            raise
        raise LandingError(f"guard 'fetch' failed for source {source.name}: {exc}", len(exc.attempts)) from exc
    attempts = list(result.attempts)
    if source.metadata_url:
        try:
            metadata = fetcher.fetch_metadata(source)
            attempts += metadata.attempts if metadata else []
        except FetchError as exc:  # metadata is documentation: a failure is logged, not fatal
            attempts += exc.attempts
    _log(settings, connect, attempts)
    return result


def version_row(source: Source, result: FetchResult, frame, guards: list[GuardResult], columns) -> dict:
    """The `ops.source_versions` row of a new file: loaded or rejected, with the reason and the column changes;
    without `frame` for a file rejected unread."""
    passed = all(g.passed for g in guards)
    added, removed = column_changes(frame, columns) if frame is not None else ([], [])
    return {
        "source": source.name,
        "sha256": result.sha256 or UNKNOWN_SHA256,
        "url": source.url,
        "path": str(result.path) if result.path is not None else None,
        "bytes": result.bytes,
        "rows": frame.height if frame is not None else None,
        "last_modified": result.last_modified,
        "fetched_at": result.fetched_at,
        "status": "loaded" if passed else "rejected",
        "reason": None if passed else "; ".join(g.message for g in guards if not g.passed),
        "added_columns": added,
        "removed_columns": removed,
    }


def record_version(con: duckdb.DuckDBPyConnection, row: dict, frame=None) -> None:
    """Insert the version row; with `frame`, swap it into `raw.<source>` in the same transaction."""
    placeholders = ", ".join("?" * len(VERSION_COLUMNS))
    insert = (
        f"insert into ops.source_versions ({', '.join(VERSION_COLUMNS)}) values ({placeholders})",
        [row[c] for c in VERSION_COLUMNS],
    )
    if frame is None:
        con.execute(*insert)
        return
    source = SOURCES_BY_NAME.get(row["source"])
    comment = f"{source.description} As published at {source.url}, every column text." if source else None
    replace_table(con, "raw", row["source"], frame, also=[insert], comment=comment)


def rejected_again(guards: list[GuardResult], rejected: tuple) -> list[GuardResult]:
    """The failed guards of a file rejected before, saying when: one `ops.source_versions` row says it already."""
    note = f" (the same file was rejected at {rejected[0]:%Y-%m-%d %H:%M} UTC; waiting for a new release)"
    return [g if g.passed else GuardResult(g.name, False, g.message + note, g.metadata) for g in guards]


def reject_too_large(source: Source, settings: Settings, connect: Connect, exc: TooLarge, held: tuple) -> Landing:
    """A file past its source's size limits, rejected unread as a failed guard rejects a file: `size_within_limits`
    fails naming the sizes, the pull is recorded in `ops.source_versions` (once per distinct file), the table stays."""
    result = exc.result
    guards = rejected_by(GuardResult(SIZE_GUARD, False, str(exc), {"bytes": exc.size, "limit_bytes": exc.limit}))
    with connect() as con:  # one connection: nothing slow between the lookup and the insert
        rejected = earlier_rejection(con, source.name, result.sha256) if result.sha256 else None
        if rejected:
            return Landing(result, rejected_again(guards, rejected), False, *held)
        row = version_row(source, result, None, guards, None)
        journal.append(settings.raw_dir, "source_versions", [row])
        record_version(con, row)
    return Landing(result, guards, False, *held)


def land_source(source: Source, settings: Settings, connect: Connect) -> Landing:
    """Fetch one source, log every attempt, guard the file and swap it into `raw.<source>` when it passes."""
    with connect() as con:
        previous = last_good_fetch(con, source.name)
        held_sha, held_rows = held_file(con, source.name)
    try:
        result = fetch_logged(source, settings, connect, previous)
    except TooLarge as exc:
        return reject_too_large(source, settings, connect, exc, (held_sha, held_rows))
    if result.outcome == "missing_optional" or result.path is None:
        return Landing(result, _passing("optional source not available"), False, held_sha, held_rows)
    if result.sha256 == held_sha:
        return Landing(result, _passing("same file as the one loaded"), False, held_sha, held_rows)
    with connect() as con:
        rejected = earlier_rejection(con, source.name, result.sha256)
        held = read_table(con, "raw", source.name) if held_sha else None
    try:
        frame = read_source_file(source, result.path, result.sha256 or "", result.fetched_at)
    except Exception as exc:  # a file the fetcher accepted but the reader cannot parse
        raise LandingError(f"source {source.name}: cannot read {result.path} from {source.url}: {exc}") from exc
    guards = raw_guards(source, frame, held_rows, held)
    if rejected and not all(g.passed for g in guards):  # the same rejected file again
        return Landing(result, rejected_again(guards, rejected), False, held_sha, held_rows)
    row = version_row(source, result, frame, guards, None if held is None else held.columns)
    journal.append(settings.raw_dir, "source_versions", [row])
    loaded = row["status"] == "loaded"
    with connect() as con:
        record_version(con, row, frame if loaded else None)
    return Landing(result, guards, loaded, *((result.sha256, frame.height) if loaded else (held_sha, held_rows)))


PROVENANCE_COLUMNS = ("_source", "_sha256", "_fetched_at", "_row_number")


def read_csv_text(path: Path) -> pl.DataFrame:
    """A CSV with every column as text; the quoting dialect is given, never sniffed (see the mirror README)."""
    frame = pl.read_csv(path, infer_schema=False, quote_char='"', separator=",", encoding="utf8")
    frame = frame.rename({c: c.lstrip("\ufeff") for c in frame.columns if c.startswith("\ufeff")})
    return frame.with_row_index("_row_number", offset=1).with_columns(pl.col("_row_number").cast(pl.Int64))


def read_source_file(source: Source, path: Path, sha256: str, fetched_at: datetime) -> pl.DataFrame:
    """The raw table for one landed file: published columns as text, then `_source`, `_sha256`, `_fetched_at`.
    A file past its source's size limits is refused unread (`ValueError`): a rebuild may replay files landed before
    the limits were declared."""
    check_landed_size(source, path)
    frame = read_benchmark_zip(path) if source.format == "zip" else read_csv_text(path)
    return frame.with_columns(
        pl.lit(source.name).alias("_source"),
        pl.lit(sha256).alias("_sha256"),
        pl.lit(fetched_at).cast(pl.Datetime("us", "UTC")).alias("_fetched_at"),
    )


def read_benchmark_zip(path: Path) -> pl.DataFrame:
    """Every CSV member of the zip as text, stacked diagonally, with `_member` and `_row_number` first.

    Members are listed, not assumed, so a new benchmark shows up without a code change; a member that is not a
    parseable CSV keyed by `Model version` stops the load, because silently skipping it would lose a benchmark.
    """
    path = Path(path)
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ValueError(f"{path}: not a readable zip file ({exc})") from exc
    frames: list[pl.DataFrame] = []
    seen: set[str] = set()
    with archive:
        for info in zip_members(archive):
            name = PurePosixPath(info.filename).name
            if not name.lower().endswith(".csv"):
                logger.warning("%s: skipping member %s, which is not a CSV", path, info.filename)
                continue
            if name in seen:
                raise ValueError(f"{path}: member {name!r} appears twice (in different folders)")
            seen.add(name)
            try:
                frame = pl.read_csv(
                    archive.read(info), infer_schema=False, quote_char='"', separator=",", encoding="utf8"
                )
            except (pl.exceptions.PolarsError, zipfile.BadZipFile) as exc:
                first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise ValueError(f"{path}: member {name!r} is not a parseable CSV: {first_line}") from exc
            frame = frame.rename({c: c.lstrip("\ufeff") for c in frame.columns if c.startswith("\ufeff")})
            if VERSION_COLUMN not in frame.columns:
                raise ValueError(f"{path}: member {name!r} has no {VERSION_COLUMN!r} column; found {frame.columns[:8]}")
            frames.append(
                frame.with_row_index("_row_number", offset=1).select(
                    pl.lit(name).alias("_member"), pl.col("_row_number").cast(pl.Int64), pl.exclude("_row_number")
                )
            )
    if not frames:
        raise ValueError(f"{path}: no CSV members")
    return pl.concat(frames, how="diagonal")
