"""The landing journal: every fetch attempt and every pulled file's fate, kept beside the files in `data/raw`.

`data/raw` is the record and the warehouse is a cache of it: `python -m pipelines rebuild` replays `ops.fetch_log` and
`ops.source_versions`, and with them every raw table and model snapshot, exactly, after the warehouse file is lost.
A run appends to a pending journal, committed when its working copy is published and dropped when it is not, so the
journal always says what the published warehouse holds.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

JOURNAL_DIR = "_journal"
JOURNAL_MODE = 0o640  # like the landed files: fetch errors and URLs are for the data dir's owner and group only
TABLES = ("fetch_log", "source_versions")
TIMESTAMP_COLUMNS = ("fetched_at",)


def journal_path(raw_dir: Path, table: str, *, pending: bool = False) -> Path:
    if table not in TABLES:
        raise ValueError(f"no journal for {table!r}; journals: {TABLES}")
    return raw_dir / JOURNAL_DIR / f"{table}{'.pending' if pending else ''}.jsonl"


def _append_text(path: Path, text: str) -> None:
    """One write and an fsync, so a crash leaves whole lines only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, JOURNAL_MODE)
    try:
        os.write(fd, text.encode("utf-8"))
        os.fsync(fd)
    finally:
        os.close(fd)


def _encode(value: Any) -> Any:
    return value.isoformat() if isinstance(value, datetime) else value


def append(raw_dir: Path, table: str, rows: Iterable[dict[str, Any]]) -> int:
    """Append rows to the pending journal as JSON lines."""
    lines = "".join(json.dumps({k: _encode(v) for k, v in row.items()}) + "\n" for row in rows)
    if lines:
        _append_text(journal_path(raw_dir, table, pending=True), lines)
    return lines.count("\n")


def commit(raw_dir: Path) -> None:
    """The run published: its pending rows join the journal."""
    for table in TABLES:
        pending = journal_path(raw_dir, table, pending=True)
        if pending.exists():
            _append_text(journal_path(raw_dir, table), pending.read_text(encoding="utf-8"))
            pending.unlink()


def discard(raw_dir: Path) -> None:
    """The run did not publish (or died): what it journaled never reached readers."""
    for table in TABLES:
        journal_path(raw_dir, table, pending=True).unlink(missing_ok=True)


def read(raw_dir: Path, table: str) -> list[dict[str, Any]]:
    """The journal's rows in the order they were written; a torn last line (a crash mid-write) is skipped."""
    path = journal_path(raw_dir, table)
    if not path.exists():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            row = json.loads(line)
        except ValueError:
            continue
        for column in TIMESTAMP_COLUMNS:
            if row.get(column):
                row[column] = datetime.fromisoformat(row[column])
        rows.append(row)
    return rows
