"""Paths and switches from `SCALING_*` environment variables, resolved against the project root.

A run never writes the published warehouse or the published reports: it builds into a working copy beside them
(`working_path`, `reports_staging_dir`) and swaps those in when it succeeds (see `pipelines.run.publish`).
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# DuckDB 2.x writes a storage format the 1.5.x command-line client cannot open; pin the older format so
# users of `duckdb-cli` from PyPI can read the warehouse file.
DUCKDB_STORAGE_VERSION = "v1.5.0"

DEFAULT_FETCH_DEADLINE_S = 180.0
DEFAULT_FETCH_BACKOFF_S = 0.5
DEFAULT_STEP_DEADLINE_S = 900.0  # the slowest step of a full build takes seconds; a flood of rows, far longer


class SettingsError(ValueError):
    """A `SCALING_*` setting that cannot work, named with what was expected."""


def _path(value: str | None, default: Path) -> Path:
    if not value:
        return default
    path = Path(value).expanduser()
    return path if path.is_absolute() else (Path.cwd() / path).resolve()


@dataclass(frozen=True)
class SecondsSetting:
    """A `SCALING_*` setting in seconds: the `Settings` field it fills and the values that can work."""

    variable: str
    field: str
    default: float
    positive: bool  # above 0; otherwise 0 or more
    meaning: str

    @property
    def expected(self) -> str:
        bound = "above 0" if self.positive else "0 or more"
        return f"a number of seconds {bound} ({self.meaning}; default {self.default:g})"

    def check(self, value: float, text: str | None = None) -> float:
        """`value`, or a `SettingsError` naming the variable, the value and what is expected: a deadline of 0 or a
        negative wait would fail every source or every run later, far from the setting that caused it."""
        shown = text if text is not None else f"{value:g}"
        if not math.isfinite(value) or value < 0 or (self.positive and value == 0):
            raise SettingsError(f"{self.variable}={shown!r} cannot work: expected {self.expected}")
        return value

    def read(self) -> float:
        """The value from the environment; unset or empty gives the default."""
        text = os.environ.get(self.variable)
        if not text:
            return self.default
        try:
            value = float(text)
        except ValueError:
            raise SettingsError(f"{self.variable}={text!r} is not a number: expected {self.expected}") from None
        return self.check(value, text)


SECONDS_SETTINGS = (
    SecondsSetting(
        "SCALING_FETCH_DEADLINE", "fetch_deadline_s", DEFAULT_FETCH_DEADLINE_S, True,
        "seconds one source's download may take, retries included",
    ),
    SecondsSetting(
        "SCALING_FETCH_BACKOFF", "fetch_backoff_s", DEFAULT_FETCH_BACKOFF_S, False,
        "seconds of the first retry's backoff; 0 retries at once",
    ),
    SecondsSetting(
        "SCALING_LOCK_WAIT", "lock_wait_s", 0.0, False, "seconds a second writer waits for the lock; 0 fails at once"
    ),
    SecondsSetting(
        "SCALING_STEP_DEADLINE", "step_deadline_s", DEFAULT_STEP_DEADLINE_S, True,
        "seconds one build step may run before the command stops the run",
    ),
)  # fmt: skip
MIRROR_SCHEMES = ("http", "https", "file")


def _mirror() -> str | None:
    """`SCALING_SOURCES_MIRROR` as a directory (resolved) or a base URL; another scheme cannot be fetched from."""
    mirror = os.environ.get("SCALING_SOURCES_MIRROR") or None
    if mirror and "://" not in mirror:
        return str(_path(mirror, Path(mirror)))
    if mirror and urlsplit(mirror).scheme.lower() not in MIRROR_SCHEMES:
        raise SettingsError(
            f"SCALING_SOURCES_MIRROR={mirror!r} cannot work: expected a directory or an http(s) base URL "
            "holding copies of the sources laid out as <host>/<path>"
        )
    return mirror


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
    step_deadline_s: float = DEFAULT_STEP_DEADLINE_S

    def __post_init__(self) -> None:
        """Settings made in code (a Dagster resource's config) are held to the rules of the environment's."""
        for setting in SECONDS_SETTINGS:
            setting.check(getattr(self, setting.field))

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
        """Beside the published warehouse after a build that completed cleanly (see `pipelines.run.unchanged`)."""
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
    seconds = {setting.field: setting.read() for setting in SECONDS_SETTINGS}
    return Settings(
        data_dir=data_dir, warehouse_path=warehouse, reports_dir=reports, sources_mirror=_mirror(), **seconds
    )
