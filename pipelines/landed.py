"""What the warehouse says was landed: the last good pull of a source and the file its raw table holds.

Read by the ingest assets, the `source_changes` sensor and the unchanged-refresh shortcut (`pipelines.unchanged`),
which must not import Dagster: this module does not. They also pull and log pulls the same way, through here.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipelines import journal
from pipelines.fetch import FetchAttempt, Fetcher, PreviousFetch
from pipelines.settings import Settings
from pipelines.sources import SOURCES
from pipelines.warehouse import append_rows, first_row, table_exists

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
