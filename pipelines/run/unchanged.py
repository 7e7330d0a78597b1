"""The refresh where no source changed, pulled without starting Dagster.

Most scheduled refreshes find every source unchanged. Dagster's answer to "what is stale" needs its import, the
definitions, dbt's manifest and an ingest run: seconds, for nothing. So a refresh that builds everything cleanly
leaves a *stamp* beside the published warehouse: the fingerprint of the code that built it and the Dagster home that
recorded the build. The next refresh first asks each source with the same fetcher and validators the ingest assets
use (a conditional GET, `If-None-Match` / `If-Modified-Since`); when every source answers with the file the warehouse
already holds, the code is the stamped code and every screenshot is current, the pull is logged (journal and
`ops.fetch_log`, as the ingest assets log it) and published, and Dagster is never imported.

When every source answers with its held file but the code changed since the stamped build (a chart module edited,
say), recorded in the same Dagster home, the pull is logged the same way and Dagster only rebuilds what the code
change made stale: a pull run would fetch the same files again for nothing. Anything else (a new file, a failed
pull, no stamp, another Dagster home) takes the full path: a Dagster pull run, then the rebuild. Every other
publication (a run from the UI, a failed source) removes the stamp, so a shortcut is only ever taken from a state
the full path built and found complete.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
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


def read_stamp(settings: Settings) -> dict[str, object] | str:
    """The stamp beside the published warehouse, or the reason there is none to trust."""
    path = settings.stamp_path
    if not settings.warehouse_path.exists() or not path.exists():
        return "no complete build is stamped"
    try:
        stamped = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return f"the stamp {path} is unreadable"
    return stamped if isinstance(stamped, dict) else f"the stamp {path} is unreadable"


CODE_CHANGED = "the code changed since the last complete build"


def stamp_holds(settings: Settings) -> str | None:
    """None when the published warehouse carries a stamp of this code and Dagster home; else the reason not:
    `CODE_CHANGED` when the stamped build was recorded in this Dagster home and only the code differs (Dagster's
    records then know every held file, and its code versions tell what the edit made stale)."""
    stamped = read_stamp(settings)
    if isinstance(stamped, str):
        return stamped
    now = current_stamp(settings)
    if stamped == now:
        return None
    if {**stamped, "code": now["code"]} == now:
        return CODE_CHANGED
    return "the code or the Dagster home changed since the last complete build"


def holds_same_file(outcome: str, sha256: str | None, held: str | None) -> bool:
    """The pull changes nothing: the held file again, or an optional source still absent (its table, if any,
    stays as the ingest asset would leave it)."""
    return outcome == "missing_optional" or (outcome in UNCHANGED_OUTCOMES and sha256 == held)


@dataclass
class QuickPull:
    """A pull made without Dagster: the attempts of the sources that answered with the file the warehouse holds
    (logged as the raw assets log theirs), the sources that have something new (Dagster pulls and loads those), and
    why Dagster has anything to do ("" for nothing)."""

    attempts: list[FetchAttempt]
    new: list[str] = field(default_factory=list)
    reason: str = ""


def ask_sources(
    settings: Settings, previous: dict[str, PreviousFetch | None], held: dict[str, str | None]
) -> QuickPull | None:
    """Pull every source with its validators; None when one fails or was never pulled (the full path then pulls
    everything with Dagster and records the failure against its source)."""
    fetcher = fetcher_for(settings)
    pulled = QuickPull([])
    for source in SOURCES:
        if previous[source.name] is None and not source.optional:
            return None
        try:
            result = fetcher.fetch(source, previous[source.name])
            if not holds_same_file(result.outcome, result.sha256, held[source.name]):
                pulled.new.append(source.name)  # its raw asset fetches it again, guards it and loads it
                continue
            metadata = fetcher.fetch_metadata(source)
        except FetchError:
            return None
        pulled.attempts += result.attempts + (metadata.attempts if metadata else [])
    return pulled


def unchanged_pull(settings: Settings) -> tuple[QuickPull | None, str]:
    """The pull without Dagster, when the last complete build was stamped in this Dagster home (with this code, or
    other code): what every source answered, with why Dagster must run (new files, the code changed, a screenshot
    is behind; "" for nothing); or None and the reason the full path is needed."""
    reason = stamp_holds(settings)
    if reason and reason != CODE_CHANGED:
        return None, reason
    if not reason and find_chromium() and screenshots_stale(settings.reports_dir):  # `pipelines.run.freshness`'s rule
        reason = "a page is newer than its screenshot"
    con = duckdb.connect(str(settings.warehouse_path), read_only=True, config=dict(CONNECTION_CONFIG))
    try:
        previous = {s.name: last_good_fetch(con, s.name) for s in SOURCES}
        held = held_files(con)
    finally:
        con.close()
    pulled = ask_sources(settings, previous, held)
    if pulled is None:
        return None, "a source did not answer or was never pulled"
    if pulled.new:
        reason = "; ".join([f"new files from {', '.join(pulled.new)}", *([reason] if reason else [])])
    pulled.reason = reason or ""
    return pulled, pulled.reason


def log_pull(settings: Settings, attempts: list[FetchAttempt]) -> int:
    """The pull's attempts, into the journal and the working copy's `ops.fetch_log`, as the ingest assets log."""
    con = duckdb.connect(str(settings.working_path), config=dict(CONNECTION_CONFIG))
    try:
        return log_attempts(settings.raw_dir, con, attempts)
    finally:
        con.close()
