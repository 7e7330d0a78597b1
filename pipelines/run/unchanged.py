"""The refresh where nothing changed, answered without starting Dagster.

Most scheduled refreshes find every source unchanged. Dagster's answer to "what is stale" needs its import, the
definitions, dbt's manifest and an ingest run: seconds, for nothing. So a refresh that builds everything cleanly
leaves a *stamp* beside the published warehouse: the fingerprint of the code that built it and the Dagster home that
recorded the build. The next refresh first asks each source with the same fetcher and validators the ingest assets
use (a conditional GET, `If-None-Match` / `If-Modified-Since`); when every source answers with the file the warehouse
already holds, the code is the stamped code and every screenshot is current, the pull is logged (journal and
`ops.fetch_log`, as the ingest assets log it) and published, and Dagster is never imported.

Anything else (a new file, a failed pull, an edit anywhere under `pipelines/` or `dbt_like_models/`, no stamp) takes
the full path, which decides per asset. Every other publication (a run from the UI, a failed source) removes the
stamp, so the shortcut is only ever taken from a state the full path built and found complete.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import cache
from pathlib import Path

import duckdb

from pipelines.raw.fetch import FetchAttempt, FetchError, PreviousFetch
from pipelines.raw.landing import fetcher_for, held_files, last_good_fetch, log_attempts
from pipelines.raw.sources import SOURCES
from pipelines.reports.screenshots import find_chromium, screenshots_stale
from pipelines.settings import PROJECT_ROOT, Settings
from pipelines.warehouse import CONNECTION_CONFIG

STAMP_VERSION = 1
CODE_DIRS = ("pipelines", "dbt_like_models")
NOT_CODE = {"__pycache__", "target", "logs", ".user.yml"}  # caches and dbt's own output
UNCHANGED_OUTCOMES = ("not_modified", "unchanged")


@cache
def code_fingerprint(root: Path = PROJECT_ROOT) -> str:
    """sha256 over the path and bytes of every file that can change what a build makes (code, SQL, seeds,
    templates, the benchmark table): any edit, however small, sends the next refresh down the full path."""
    digest = hashlib.sha256()
    for directory in CODE_DIRS:
        for folder, subfolders, files in os.walk(root / directory):
            subfolders[:] = sorted(d for d in subfolders if d not in NOT_CODE)  # dbt's target/ holds thousands
            for name in sorted(f for f in files if f not in NOT_CODE):
                path = Path(folder, name)
                digest.update(f"{path.relative_to(root)}\0".encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


def dagster_home(settings: Settings) -> Path:
    """DAGSTER_HOME, or its default `<data dir>/dagster` (what `python -m pipelines` uses)."""
    return Path(os.environ.get("DAGSTER_HOME") or settings.data_dir / "dagster").resolve()


def current_stamp(settings: Settings) -> dict[str, object]:
    """What a complete build records: the code and the Dagster home (the event log that knows the build)."""
    return {"version": STAMP_VERSION, "code": code_fingerprint(), "dagster_home": str(dagster_home(settings))}


def stamp_holds(settings: Settings) -> str | None:
    """None when the published warehouse carries a stamp of this code and Dagster home; else the reason not."""
    path = settings.stamp_path
    if not settings.warehouse_path.exists() or not path.exists():
        return "no complete build is stamped"
    try:
        stamped = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return f"the stamp {path} is unreadable"
    if stamped != current_stamp(settings):
        return "the code or the Dagster home changed since the last complete build"
    return None


def holds_same_file(outcome: str, sha256: str | None, held: str | None) -> bool:
    """The pull changes nothing: the held file again, or an optional source still absent (its table, if any,
    stays as the ingest asset would leave it)."""
    return outcome == "missing_optional" or (outcome in UNCHANGED_OUTCOMES and sha256 == held)


def ask_sources(
    settings: Settings, previous: dict[str, PreviousFetch | None], held: dict[str, str | None]
) -> list[FetchAttempt] | None:
    """Pull every source with its validators: the attempts, or None at the first that has something new or fails."""
    fetcher = fetcher_for(settings)
    attempts: list[FetchAttempt] = []
    for source in SOURCES:
        if previous[source.name] is None and not source.optional:
            return None
        try:
            result = fetcher.fetch(source, previous[source.name])
            if not holds_same_file(result.outcome, result.sha256, held[source.name]):
                return None
            metadata = fetcher.fetch_metadata(source)
        except FetchError:
            return None  # the full path retries it and records the failure against the source
        attempts += result.attempts + (metadata.attempts if metadata else [])
    return attempts


def unchanged_pull(settings: Settings) -> tuple[list[FetchAttempt] | None, str]:
    """The attempts of a pull that found nothing new (every source answered with the file the warehouse holds),
    or None and the reason the full path is needed."""
    reason = stamp_holds(settings)
    if reason:
        return None, reason
    if find_chromium() and screenshots_stale(settings.reports_dir):  # the rule `pipelines.run.freshness` applies
        return None, "a page is newer than its screenshot"
    con = duckdb.connect(str(settings.warehouse_path), read_only=True, config=dict(CONNECTION_CONFIG))
    try:
        previous = {s.name: last_good_fetch(con, s.name) for s in SOURCES}
        held = held_files(con)
    finally:
        con.close()
    pulled = ask_sources(settings, previous, held)
    return (pulled, "") if pulled is not None else (None, "a source has a new file or did not answer")


def log_pull(settings: Settings, attempts: list[FetchAttempt]) -> int:
    """The pull's attempts, into the journal and the working copy's `ops.fetch_log`, as the ingest assets log."""
    con = duckdb.connect(str(settings.working_path), config=dict(CONNECTION_CONFIG))
    try:
        return log_attempts(settings.raw_dir, con, attempts)
    finally:
        con.close()
