"""`build_definitions`: every asset, check, job, schedule and resource, wired to a `Settings`.

`pipelines/definitions.py` (the code location) builds them once from the environment; the command line
(`pipelines.run.cli`) builds them for its own settings without importing that module, so it builds them once, not
twice. Everything heavy is imported inside, when they are built.
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


def load(settings: Settings | None = None, *, freeze: bool = True) -> Definitions:
    """The definitions for `settings` (default: from the environment), built with Python's cyclic garbage collector
    paused: the load makes some 150,000 objects, and each full collection during it scanned them all (a quarter of
    its time). The code location's, which live as long as its process, are then frozen out of every later
    collection (the interpreter's exit scanned them once more, 0.3 s); a command's (`freeze=False`), built again for
    each run in a process that may run many (tests), are left to the collector, which frees them with their run."""
    gc.disable()
    try:
        definitions = build_definitions(settings)
    finally:
        gc.enable()
    if freeze:
        gc.freeze()
    return definitions
