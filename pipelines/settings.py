"""Paths and switches from `SCALING_*` environment variables, resolved against the project root.

A run never writes the published warehouse or the published reports: it builds into a working copy beside them
(`working_path`, `reports_staging_dir`) and swaps those in when it succeeds (see `pipelines.publish`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# DuckDB 2.x writes a storage format the 1.5.x command-line client cannot open; pin the older format so
# users of `duckdb-cli` from PyPI can read the warehouse file.
DUCKDB_STORAGE_VERSION = "v1.5.0"

DEFAULT_FETCH_DEADLINE_S = 180.0
DEFAULT_FETCH_BACKOFF_S = 0.5


class SettingsError(ValueError):
    """A `SCALING_*` setting that cannot work, named with what was expected."""


def _path(value: str | None, default: Path) -> Path:
    if not value:
        return default
    path = Path(value).expanduser()
    return path if path.is_absolute() else (Path.cwd() / path).resolve()


def _seconds(name: str, default: float) -> float:
    value = os.environ.get(name)
    if not value:
        return default
    try:
        seconds = float(value)
    except ValueError:
        raise SettingsError(f"{name}={value!r} is not a number of seconds") from None
    if seconds < 0:
        raise SettingsError(f"{name}={value!r} must be zero or more seconds")
    return seconds


@dataclass(frozen=True)
class Settings:
    """Where the pipeline reads and writes; built from the environment by `load_settings`."""

    data_dir: Path
    warehouse_path: Path
    reports_dir: Path
    sources_mirror: str | None
    fetch_deadline_s: float = DEFAULT_FETCH_DEADLINE_S
    fetch_backoff_s: float = DEFAULT_FETCH_BACKOFF_S
    lock_wait_s: float = 0.0

    @property
    def raw_dir(self) -> Path:
        return self.data_dir / "raw"

    @property
    def working_path(self) -> Path:
        """The file a run builds into; renamed over `warehouse_path` when the run succeeds (same directory)."""
        return self.warehouse_path.with_name(self.warehouse_path.name + ".building")

    @property
    def lock_path(self) -> Path:
        """The writer lock every entry point (CLI, UI runs, schedules, sensors) takes before building."""
        return self.warehouse_path.with_name(self.warehouse_path.name + ".lock")

    @property
    def stamp_path(self) -> Path:
        """Beside the published warehouse after a build that completed cleanly (see `pipelines.unchanged`)."""
        return self.warehouse_path.with_name(self.warehouse_path.name + ".complete.json")

    @property
    def reports_staging_dir(self) -> Path:
        """Where a run writes pages; their files are moved into `reports_dir` when the run publishes."""
        return self.reports_dir / ".building"


def check_warehouse_path(settings: Settings) -> None:
    """Fail early, naming the setting, when the warehouse path cannot be a DuckDB file."""
    path = settings.warehouse_path
    if path.is_dir():
        raise SettingsError(
            f"SCALING_WAREHOUSE {path} is a directory; set it to a file path such as "
            f"{settings.data_dir / 'warehouse.duckdb'}"
        )
    parent = path.parent
    if not parent.exists() and parent != settings.data_dir:
        raise SettingsError(
            f"the directory of SCALING_WAREHOUSE ({parent}) does not exist; create it, fix the path, or leave "
            f"SCALING_WAREHOUSE unset to use {settings.data_dir / 'warehouse.duckdb'}"
        )


def load_settings() -> Settings:
    """Read `SCALING_DATA_DIR`, `SCALING_WAREHOUSE`, `SCALING_REPORTS_DIR`, `SCALING_SOURCES_MIRROR`,
    `SCALING_FETCH_DEADLINE` (seconds one source's download may take), `SCALING_FETCH_BACKOFF` (seconds) and
    `SCALING_LOCK_WAIT` (seconds a second writer waits for the first before failing; default 0: fail at once)."""
    data_dir = _path(os.environ.get("SCALING_DATA_DIR"), PROJECT_ROOT / "data")
    warehouse = _path(os.environ.get("SCALING_WAREHOUSE"), data_dir / "warehouse.duckdb")
    reports = _path(os.environ.get("SCALING_REPORTS_DIR"), PROJECT_ROOT / "reports")
    mirror = os.environ.get("SCALING_SOURCES_MIRROR") or None
    if mirror and "://" not in mirror:
        mirror = str(_path(mirror, Path(mirror)))
    return Settings(
        data_dir=data_dir,
        warehouse_path=warehouse,
        reports_dir=reports,
        sources_mirror=mirror,
        fetch_deadline_s=_seconds("SCALING_FETCH_DEADLINE", DEFAULT_FETCH_DEADLINE_S),
        fetch_backoff_s=_seconds("SCALING_FETCH_BACKOFF", DEFAULT_FETCH_BACKOFF_S),
        lock_wait_s=_seconds("SCALING_LOCK_WAIT", 0.0),
    )
