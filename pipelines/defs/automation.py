"""Jobs, the daily schedule and the sensors that keep the warehouse fresh without rebuilding what did not change."""

import hashlib

import duckdb
import requests
from dagster import (
    AssetKey,
    AssetSelection,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    RunRequest,
    ScheduleDefinition,
    SensorEvaluationContext,
    SensorResult,
    SkipReason,
    define_asset_job,
    sensor,
)

from pipelines.defs.ingest import last_good_fetch
from pipelines.fetch import USER_AGENT, mirrored_url
from pipelines.freshness import last_loads, stale_keys
from pipelines.settings import load_settings
from pipelines.sources import SOURCES
from pipelines.warehouse import CONNECTION_CONFIG

REFRESH_JOB_NAME = "refresh_everything"
INGEST_JOB_NAME = "ingest_sources"
REBUILD_JOB_NAME = "rebuild_downstream"

INGEST = AssetSelection.groups("ingest")

refresh_everything = define_asset_job(
    REFRESH_JOB_NAME,
    selection=AssetSelection.all(),
    description="Fetch every source and rebuild every table and report, changed or not.",
)
ingest_sources = define_asset_job(
    INGEST_JOB_NAME,
    selection=INGEST,
    description="Fetch every source (conditional GET) and load the files that changed and pass their guards.",
)
rebuild_downstream = define_asset_job(
    REBUILD_JOB_NAME,
    selection=AssetSelection.all() - INGEST,
    description="Rebuild tidy tables, marts, trends and reports (the sensor selects only the stale ones).",
)

daily_refresh = ScheduleDefinition(
    name="daily_refresh",
    job=ingest_sources,
    cron_schedule="0 6 * * *",
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.STOPPED,
    description="Pull every source daily at 06:00 UTC; `rebuild_stale` then rebuilds what changed. Off by default.",
)


def _source_changed(session: requests.Session, url: str, etag: str | None, last_modified: str | None) -> bool:
    """A conditional GET whose body is never read: 304 means unchanged, anything else is worth a pull."""
    headers = {"If-None-Match": etag} if etag else {}
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    if not headers:
        return True
    with session.get(url, headers=headers, stream=True, timeout=(10, 30)) as response:
        return response.status_code != 304


@sensor(
    name="source_changes",
    job=ingest_sources,
    minimum_interval_seconds=3600,
    default_status=DefaultSensorStatus.STOPPED,
    description="Hourly conditional GET of every source; pulls the ones that answer with something new.",
)
def source_changes(context: SensorEvaluationContext):
    settings = load_settings()
    if not settings.warehouse_path.exists():
        return RunRequest(run_key=None)
    try:
        con = duckdb.connect(str(settings.warehouse_path), read_only=True, config=dict(CONNECTION_CONFIG))
    except duckdb.Error as exc:
        return SkipReason(f"warehouse busy or unreadable: {exc}")
    try:
        previous = {source.name: last_good_fetch(con, source.name) for source in SOURCES if not source.optional}
    finally:
        con.close()
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    changed = []
    for source in SOURCES:
        known = previous.get(source.name)
        if known is None:
            continue
        url = mirrored_url(source.url, settings.sources_mirror)
        if url.startswith("file://"):  # a mirror directory: the daily pull compares hashes, nothing cheaper to ask
            continue
        try:
            if _source_changed(session, url, known.etag, known.last_modified):
                changed.append(source.name)
        except requests.RequestException as exc:
            context.log.warning(f"{source.name}: check failed ({exc}); the daily pull will retry")
    if not changed:
        return SkipReason("every source answered 304 Not Modified")
    return RunRequest(
        run_key=None,
        asset_selection=[AssetKey(["raw", name]) for name in changed],
        tags={"scaling/changed": ",".join(changed)},
    )


@sensor(
    name="rebuild_stale",
    job=rebuild_downstream,
    minimum_interval_seconds=120,
    default_status=DefaultSensorStatus.STOPPED,
    description="After sources load new files, rebuild exactly the downstream assets built from them.",
)
def rebuild_stale(context: SensorEvaluationContext):
    settings = load_settings()
    if not settings.warehouse_path.exists():
        return SkipReason("no warehouse yet: run the ingest first")
    try:
        con = duckdb.connect(str(settings.warehouse_path), read_only=True, config=dict(CONNECTION_CONFIG))
    except duckdb.Error as exc:
        return SkipReason(f"warehouse busy: {exc}")
    try:
        graph = context.repository_def.asset_graph
        stale = stale_keys(context.instance, graph, con, record_code=False)
        loads = sorted(f"{name}@{at.isoformat()}" for name, at in last_loads(con).items())
    finally:
        con.close()
    if not stale:
        return SkipReason("every downstream asset is newer than the sources and code it is built from")
    # one request per set of stale assets and source loads: a later load of the same sources asks again
    run_key = hashlib.sha256(",".join([*(k.to_user_string() for k in stale), *loads]).encode()).hexdigest()[:16]
    return SensorResult(run_requests=[RunRequest(run_key=run_key, asset_selection=stale)])


JOBS = [refresh_everything, ingest_sources, rebuild_downstream]
SCHEDULES = [daily_refresh]
SENSORS = [source_changes, rebuild_stale]
