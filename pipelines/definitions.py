"""The Dagster code location: every asset, check, job and schedule, wired to the `SCALING_*` settings.

`dagster dev`, every run launched from the UI and every sensor evaluation load it, so it loads only what the
definitions need: the marts from their cached dbt specs (`pipelines.defs.dbt_specs`), the pages' declarations
without their code; dbt, Altair and SciPy are imported by the steps that use them.
"""

from __future__ import annotations

import gc
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.settings import PROJECT_ROOT, Settings, load_settings

if TYPE_CHECKING:
    from dagster import Definitions


def build_definitions(settings: Settings | None = None, code_root: Path = PROJECT_ROOT) -> Definitions:
    """All definitions for `settings` (default: from the environment).

    Runs execute in one process, one step at a time: DuckDB allows a single writing process per file. Code
    versions are read from the modules under `code_root` (a tests' edited copy of the project, say).
    """
    from dagster import Definitions, in_process_executor

    from pipelines.defs.automation import JOBS, SCHEDULES, SENSORS
    from pipelines.defs.marts import dbt_marts, dbt_resource
    from pipelines.defs.raw import RAW_ASSETS
    from pipelines.defs.reports import REPORT_ASSETS
    from pipelines.defs.resources import BackgroundPagesResource, PathsResource, warehouse_resource
    from pipelines.defs.tidy import TIDY_ASSETS, TIDY_CHECKS
    from pipelines.defs.trends import TREND_ASSETS
    from pipelines.defs.versions import with_code_versions

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


def load() -> Definitions:
    """The definitions from the environment, built with Python's cyclic garbage collector paused, then frozen. The
    load makes some 150,000 objects that live as long as the process: each full collection during the load scanned
    them all (a quarter of its time), and the interpreter's exit scanned them once more (0.3 s). Frozen, they stay
    out of every later collection, a run's included; the collector runs as before on everything made after."""
    gc.disable()
    try:
        definitions = build_definitions()
    finally:
        gc.enable()
    gc.freeze()
    return definitions


defs = load()
