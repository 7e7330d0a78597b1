"""Jobs, the daily schedule and the sensors that keep the warehouse fresh without rebuilding what did not change."""

import hashlib

import duckdb
from dagster import (
    AssetKey,
    AssetSelection,
    AutomationConditionSensorDefinition,
    DagsterRunStatus,
    DefaultScheduleStatus,
    DefaultSensorStatus,
    RunRequest,
    RunsFilter,
    ScheduleDefinition,
    SensorEvaluationContext,
    SkipReason,
    define_asset_job,
    sensor,
)

from pipelines.layers import RAW
from pipelines.raw.fetch import FetchError
from pipelines.raw.landing import fetcher_for, held_files, last_good_fetch
from pipelines.raw.sources import SOURCES
from pipelines.run.freshness import (
    SCREENSHOTS_KEY,
    downstream_keys,
    restore_raw_versions,
    screenshots_behind,
    unpublished,
    with_descendants,
)
from pipelines.run.publish import published_runs
from pipelines.settings import load_settings
from pipelines.warehouse import CONNECTION_CONFIG

REFRESH_JOB_NAME = "refresh_everything"
PULL_JOB_NAME = "pull_sources"
REBUILD_JOB_NAME = "rebuild_downstream"

# A run the daemon stops when it hangs (run monitoring is on in pipelines/run/dagster.yaml); a full build takes a minute
RUN_DEADLINE = {"dagster/max_runtime": "3600"}
RAW_LAYER = AssetSelection.groups(RAW)
DOWNSTREAM = AssetSelection.all() - RAW_LAYER

refresh_everything = define_asset_job(
    REFRESH_JOB_NAME,
    tags=RUN_DEADLINE,
    selection=AssetSelection.all(),
    description="Fetch every source and rebuild every table and report, changed or not.",
)
pull_sources = define_asset_job(
    PULL_JOB_NAME,
    tags=RUN_DEADLINE,
    selection=RAW_LAYER,
    description="Fetch every source (conditional GET) and load the files that changed and pass their guards.",
)
rebuild_downstream = define_asset_job(
    REBUILD_JOB_NAME,
    tags=RUN_DEADLINE,
    selection=DOWNSTREAM,
    description="Rebuild tidy tables, marts, trends and reports (a refresh selects the stale ones and their children).",
)

daily_refresh = ScheduleDefinition(
    name="daily_refresh",
    job=pull_sources,
    cron_schedule="0 6 * * *",
    execution_timezone="UTC",
    default_status=DefaultScheduleStatus.STOPPED,
    description="Pull every source daily at 06:00 UTC; `rebuild_stale` then rebuilds what changed. Off by default.",
)


@sensor(
    name="source_changes",
    job=pull_sources,
    minimum_interval_seconds=3600,
    default_status=DefaultSensorStatus.STOPPED,
    description="Hourly conditional GET of every source; pulls the ones that answer with something new.",
)
def source_changes(context: SensorEvaluationContext):
    """Ask each source with the pull's own fetcher (mirror, retries, deadline) whether it changed since the last
    good pull; request a pull of the ones that did."""
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
    fetcher = fetcher_for(settings)
    changed = []
    for source in SOURCES:
        known = previous.get(source.name)
        if known is None:
            continue
        try:
            if fetcher.changed(source, known):
                changed.append(source.name)
        except FetchError as exc:
            context.log.warning(f"{source.name}: check failed ({exc}); the daily pull will retry")
    if not changed:
        return SkipReason("every source answered 304 Not Modified")
    return RunRequest(
        run_key=None,
        asset_selection=[AssetKey(["raw", name]) for name in changed],
        tags={"scaling/changed": ",".join(changed)},
    )


# Dagster's declarative automation: each downstream asset carries `rebuild_when_stale()` (pipelines.defs.versions)
rebuild_stale = AutomationConditionSensorDefinition(
    "rebuild_stale",
    target=DOWNSTREAM,
    minimum_interval_seconds=120,
    default_status=DefaultSensorStatus.STOPPED,
    description="Rebuilds what a new source file or new code made stale, and everything built from it.",
)


@sensor(
    name="retake_screenshots",
    job=rebuild_downstream,
    minimum_interval_seconds=600,
    default_status=DefaultSensorStatus.STOPPED,
    description="Retakes the screenshots when a published page has none or is newer than its own (e.g. after "
    "Chromium was installed): files Dagster's staleness cannot see.",
)
def retake_screenshots(context: SensorEvaluationContext):
    reports_dir = load_settings().reports_dir
    if not screenshots_behind(reports_dir):
        return SkipReason("every published page has an up-to-date screenshot (or Chromium is missing)")
    # one request per state of the pages: a failed retake is not asked again until a page changes
    state = sorted(f"{p.name}@{p.stat().st_mtime_ns}" for p in reports_dir.glob("*.html"))
    run_key = hashlib.sha256(",".join(state).encode()).hexdigest()[:16]
    return RunRequest(run_key=run_key, asset_selection=[SCREENSHOTS_KEY])


IN_FLIGHT = [DagsterRunStatus.QUEUED, DagsterRunStatus.NOT_STARTED, DagsterRunStatus.STARTING, DagsterRunStatus.STARTED]


@sensor(
    name="repair_unpublished",
    job=rebuild_downstream,
    minimum_interval_seconds=300,
    default_status=DefaultSensorStatus.STOPPED,
    description="Rebuilds what a run that never published (terminated, killed, failed) left recorded as built: "
    "Dagster counts that work done, the published warehouse never received it.",
)
def repair_unpublished(context: SensorEvaluationContext):
    """The UI's counterpart of what `python -m pipelines refresh` does first (`pipelines.run.freshness`)."""
    settings = load_settings()
    if context.instance.get_runs_count(RunsFilter(statuses=IN_FLIGHT)):
        return SkipReason("a run is in flight: its work is not published yet")
    if not settings.warehouse_path.exists():
        return SkipReason("no published warehouse yet")
    try:
        con = duckdb.connect(str(settings.warehouse_path), read_only=True, config=dict(CONNECTION_CONFIG))
    except duckdb.Error as exc:
        return SkipReason(f"warehouse busy or unreadable: {exc}")
    try:
        published, held = published_runs(con), held_files(con)
    finally:
        con.close()
    graph = context.repository_def.asset_graph
    restore_raw_versions(context.instance, graph, held)
    keys = with_descendants(graph, unpublished(context.instance, downstream_keys(graph), published))
    if not keys:
        return SkipReason("every asset's latest record comes from a published run")
    chosen = sorted(keys, key=lambda k: k.to_user_string())
    state = [k.to_user_string() for k in chosen] + sorted(published)
    run_key = hashlib.sha256(",".join(state).encode())
    return RunRequest(run_key=run_key.hexdigest()[:16], asset_selection=chosen)


JOBS = [refresh_everything, pull_sources, rebuild_downstream]
SCHEDULES = [daily_refresh]
SENSORS = [source_changes, rebuild_stale, retake_screenshots, repair_unpublished]
