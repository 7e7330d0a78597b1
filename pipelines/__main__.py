"""Command line for people without the UI: `python -m pipelines refresh`."""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from pipelines.settings import load_settings


def dagster_instance():
    """Dagster's default local storage, under DAGSTER_HOME (default `<data dir>/dagster`), so the UI sees the runs."""
    from dagster import DagsterInstance

    if not os.environ.get("DAGSTER_HOME"):
        home = load_settings().data_dir / "dagster"
        home.mkdir(parents=True, exist_ok=True)
        os.environ["DAGSTER_HOME"] = str(home)
    Path(os.environ["DAGSTER_HOME"]).mkdir(parents=True, exist_ok=True)
    return DagsterInstance.get()


def refresh() -> int:
    """Materialize every asset (and run every check) in-process; non-zero exit when anything failed."""
    from pipelines.definitions import build_definitions
    from pipelines.defs.automation import REFRESH_JOB_NAME

    settings = load_settings()
    started = time.monotonic()
    defs = build_definitions(settings)
    job = defs.resolve_job_def(REFRESH_JOB_NAME)
    with dagster_instance() as instance:
        result = job.execute_in_process(instance=instance, raise_on_error=False)
    elapsed = time.monotonic() - started
    failed = [event.step_key for event in result.all_events if event.is_step_failure]
    print(f"warehouse: {settings.warehouse_path}")
    print(f"reports:   {settings.reports_dir}")
    if not result.success:
        print(f"refresh FAILED after {elapsed:.0f} s; failed steps: {', '.join(failed) or 'see the run log above'}")
        return 1
    print(f"refresh succeeded in {elapsed:.0f} s")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("refresh", help="fetch every source and rebuild every table and report")
    args = parser.parse_args(argv)
    if args.command == "refresh":
        return refresh()
    return 2


if __name__ == "__main__":
    sys.exit(main())
