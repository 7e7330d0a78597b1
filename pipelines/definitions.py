"""The Dagster code location: every asset, check, job and schedule, wired to the `SCALING_*` settings."""

from __future__ import annotations

from pathlib import Path

from dagster import Definitions, in_process_executor

from pipelines.defs.automation import JOBS, SCHEDULES, SENSORS
from pipelines.defs.marts import dbt_marts, dbt_resource
from pipelines.defs.raw import RAW_ASSETS
from pipelines.defs.reports import REPORT_ASSETS
from pipelines.defs.resources import BackgroundPagesResource, PathsResource, warehouse_resource
from pipelines.defs.tidy import TIDY_ASSETS, TIDY_CHECKS
from pipelines.defs.trends import TREND_ASSETS
from pipelines.defs.versions import with_code_versions
from pipelines.settings import PROJECT_ROOT, Settings, load_settings


def build_definitions(settings: Settings | None = None, code_root: Path = PROJECT_ROOT) -> Definitions:
    """All definitions for `settings` (default: from the environment).

    Runs execute in one process, one step at a time: DuckDB allows a single writing process per file. Code
    versions are read from the modules under `code_root` (a tests' edited copy of the project, say).
    """
    settings = settings or load_settings()
    assets = [*RAW_ASSETS, *TIDY_ASSETS, dbt_marts, *TREND_ASSETS, *REPORT_ASSETS]
    return Definitions(
        assets=with_code_versions(assets, code_root),
        asset_checks=TIDY_CHECKS,
        jobs=JOBS,
        schedules=SCHEDULES,
        sensors=SENSORS,
        resources={
            "warehouse": warehouse_resource(settings),
            "paths": PathsResource.from_settings(settings),
            "dbt": dbt_resource(),
            "background": BackgroundPagesResource(),
        },
        executor=in_process_executor,
    )


defs = build_definitions()
