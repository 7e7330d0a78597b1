"""Which downstream assets need rebuilding: only those whose sources loaded a new file, or whose code changed.

Dagster skips a step when any upstream output is missing, which would also skip a table fed by one changed and one
unchanged source; so refreshes are two runs instead: ingest every source, then rebuild exactly the assets that are
older than the last load of one of their sources (`ops.source_versions`) or than the current code.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import duckdb
from dagster import AssetKey, DagsterInstance

from pipelines.settings import PROJECT_ROOT
from pipelines.warehouse import first_row

INGEST_PREFIX = "raw"
SCREENSHOTS_KEY = AssetKey(["reports", "screenshots"])
CODE_GLOBS = ("pipelines/**/*.py", "pipelines/**/*.yaml", "dbt_like_models/**/*.sql", "dbt_like_models/**/*.yml")


def code_fingerprint(root: Path = PROJECT_ROOT) -> str:
    """sha256 over the code that builds tables and reports: a change to it rebuilds everything downstream."""
    digest = hashlib.sha256()
    files = sorted({p for pattern in CODE_GLOBS for p in root.glob(pattern) if "target" not in p.parts})
    for path in files:
        digest.update(str(path.relative_to(root)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def code_changed_at(con: duckdb.DuckDBPyConnection, fingerprint: str, *, record: bool = True) -> datetime:
    """When this code version was first seen (recorded now if it is new and `record` is set)."""
    if not record:
        try:
            row = first_row(con, "select first_seen_at from ops.code_versions where fingerprint = ?", [fingerprint])
        except duckdb.CatalogException:
            row = None
        return row[0] if row else datetime.now(UTC)
    con.execute(
        "create table if not exists ops.code_versions (fingerprint varchar primary key, first_seen_at timestamptz)"
    )
    con.execute("insert into ops.code_versions values (?, ?) on conflict do nothing", [fingerprint, datetime.now(UTC)])
    row = first_row(con, "select first_seen_at from ops.code_versions where fingerprint = ?", [fingerprint])
    return row[0]


def last_loads(con: duckdb.DuckDBPyConnection) -> dict[str, datetime]:
    """When each source last swapped a new file into its raw table."""
    rows = con.execute(
        "select source, max(fetched_at) from ops.source_versions where status = 'loaded' group by source"
    ).fetchall()
    return {source: at for source, at in rows}


def raw_ancestors(graph, key: AssetKey) -> set[AssetKey]:
    """The ingest assets `key` is built from, through any number of steps."""
    seen: set[AssetKey] = set()
    stack = [key]
    while stack:
        for parent in graph.get(stack.pop()).parent_keys:
            if parent not in seen:
                seen.add(parent)
                stack.append(parent)
    return {k for k in seen if k.path[0] == INGEST_PREFIX}


def downstream_keys(graph) -> list[AssetKey]:
    return sorted(
        (k for k in graph.materializable_asset_keys if k.path[0] != INGEST_PREFIX), key=lambda k: k.to_user_string()
    )


def stale_keys(
    instance: DagsterInstance,
    graph,
    con: duckdb.DuckDBPyConnection,
    keys: Iterable[AssetKey] | None = None,
    *,
    record_code: bool = True,
    reports_dir: Path | None = None,
) -> list[AssetKey]:
    """Downstream assets never built, or built before a source load or code change they depend on; and the
    screenshots whenever a page in `reports_dir` (default: the configured one) has none or is newer than its own,
    e.g. after a run without Chromium once Chromium is installed: their files say so, not the run history."""
    loads = {name: at.timestamp() for name, at in last_loads(con).items()}
    code_at = code_changed_at(con, code_fingerprint(), record=record_code).timestamp()
    stale = []
    candidates = list(keys) if keys is not None else downstream_keys(graph)
    for key in candidates:
        event = instance.get_latest_materialization_event(key)
        if event is None:
            stale.append(key)
            continue
        built = event.timestamp
        inputs = [loads.get(a.path[-1], 0.0) for a in raw_ancestors(graph, key)]
        if built < code_at or any(built < loaded for loaded in inputs):
            stale.append(key)
    if SCREENSHOTS_KEY in candidates and SCREENSHOTS_KEY not in stale:
        from pipelines.charts.screenshots import find_chromium, screenshots_stale
        from pipelines.settings import load_settings

        # without Chromium a rebuild could only skip again: the run that skipped has said so once
        if find_chromium() and screenshots_stale(reports_dir or load_settings().reports_dir):
            stale.append(SCREENSHOTS_KEY)
    return stale
