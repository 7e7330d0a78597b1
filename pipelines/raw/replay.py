"""Rebuild the warehouse's history from `data/raw`: the landing journal replayed in fetch order.

`ops.fetch_log` and `ops.source_versions` come back row for row; every loaded file is swapped into its raw table in
turn, and each Epoch model file's tracked fields are recorded in `ops.model_snapshots` as its load recorded them, so
`marts.model_history` is the same as before the warehouse was lost. Files landed before the journal existed are
replayed from the files themselves, in the order they were written, as loaded.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl

from pipelines.defs.raw import record_version
from pipelines.defs.tidy import record_model_snapshots
from pipelines.raw import journal
from pipelines.raw.landing import read_source_file
from pipelines.raw.sources import SOURCES_BY_NAME
from pipelines.tidy.models import MODEL_SOURCE_PRIORITY, tidy_models
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


def replay(con: duckdb.DuckDBPyConnection, raw_dir: Path) -> Replayed:
    """Fill an empty warehouse from the journal (or the files): ops tables, raw tables, model snapshots."""
    ensure_schemas(con)
    attempts = journal.read(raw_dir, "fetch_log")
    versions = journal.read(raw_dir, "source_versions") or versions_from_files(raw_dir)
    append_rows(con, "fetch_log", attempts)
    raw_models: dict[str, pl.DataFrame] = {}
    loads = snapshots = 0
    for row in versions:
        if row["status"] != "loaded":
            record_version(con, row)
            continue
        source = SOURCES_BY_NAME[row["source"]]
        frame = read_source_file(source, landed_file(raw_dir, row), row["sha256"], row["fetched_at"])
        record_version(con, {**row, "rows": row["rows"] if row["rows"] is not None else frame.height}, frame)
        loads += 1
        if source.name in MODEL_SOURCE_PRIORITY:
            raw_models[source.name] = frame
            snapshots += record_model_snapshots(con, {source.name: frame}, tidy_models(raw_models))
    return Replayed(attempts=len(attempts), versions=len(versions), loads=loads, snapshots=snapshots)
