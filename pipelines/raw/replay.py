"""Rebuild the warehouse's history from `data/raw`: the landing journal replayed in fetch order.

`ops.fetch_log` and `ops.source_versions` come back row for row; every loaded file is swapped into its raw table in
turn, and the caller hears of each load (`rebuild` records each Epoch model file's tracked fields in
`ops.model_snapshots` as its load recorded them, so `marts.model_history` is the same as before the warehouse was
lost). Files landed before the journal existed are
replayed from the files themselves, in the order they were written, as loaded.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl

from pipelines.raw import journal
from pipelines.raw.landing import read_source_file, record_version
from pipelines.raw.sources import SOURCES_BY_NAME
from pipelines.warehouse import append_rows, ensure_schemas


@dataclass(frozen=True)
class Replayed:
    attempts: int
    versions: int
    loads: int
    snapshots: int


def versions_from_files(raw_dir: Path) -> list[dict]:
    """Version rows for landed files no journal describes: each loaded, timed by when it was written."""
    rows = []
    for name, source in SOURCES_BY_NAME.items():
        for path in (raw_dir / name).glob(f"*.{source.extension}"):
            stat = path.stat()
            rows.append(
                {"source": name, "sha256": path.stem, "url": source.url, "path": str(path), "bytes": stat.st_size,
                 "rows": None, "last_modified": None, "fetched_at": datetime.fromtimestamp(stat.st_mtime, UTC),
                 "status": "loaded", "reason": None, "added_columns": [], "removed_columns": []}
            )  # fmt: skip
    return sorted(rows, key=lambda r: r["fetched_at"])


def landed_file(raw_dir: Path, row: dict) -> Path:
    """Where a version's file lies now: content-addressed under `raw_dir`, wherever the data directory moved."""
    source = SOURCES_BY_NAME[row["source"]]
    path = raw_dir / row["source"] / f"{row['sha256']}.{source.extension}"
    if not path.exists():
        raise FileNotFoundError(
            f"journal row for {row['source']} ({row['fetched_at']}) names {path.name}, which is not in {path.parent}"
        )
    return path


OnLoad = Callable[[duckdb.DuckDBPyConnection, str, pl.DataFrame], int]  # (con, source, raw frame) -> rows recorded


def replay(con: duckdb.DuckDBPyConnection, raw_dir: Path, on_load: OnLoad | None = None) -> Replayed:
    """Fill an empty warehouse from the journal (or the files): ops tables and raw tables, calling `on_load` after
    each file is loaded, in fetch order (`rebuild` records the model snapshots there, as each load did)."""
    ensure_schemas(con)
    attempts = journal.read(raw_dir, "fetch_log")
    versions = journal.read(raw_dir, "source_versions") or versions_from_files(raw_dir)
    append_rows(con, "fetch_log", attempts)
    loads = snapshots = 0
    for row in versions:
        if row["status"] != "loaded":
            record_version(con, row)
            continue
        source = SOURCES_BY_NAME[row["source"]]
        frame = read_source_file(source, landed_file(raw_dir, row), row["sha256"], row["fetched_at"])
        record_version(con, {**row, "rows": row["rows"] if row["rows"] is not None else frame.height}, frame)
        loads += 1
        snapshots += on_load(con, source.name, frame) if on_load else 0
    return Replayed(attempts=len(attempts), versions=len(versions), loads=loads, snapshots=snapshots)
