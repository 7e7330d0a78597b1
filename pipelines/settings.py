"""Paths and switches from `SCALING_*` environment variables, resolved against the project root."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# DuckDB 2.x writes a storage format the 1.5.x command-line client cannot open; pin the older format so
# users of `duckdb-cli` from PyPI can read the warehouse file.
DUCKDB_STORAGE_VERSION = "v1.5.0"


def _path(value: str | None, default: Path) -> Path:
    if not value:
        return default
    path = Path(value).expanduser()
    return path if path.is_absolute() else (Path.cwd() / path).resolve()


@dataclass(frozen=True)
class Settings:
    """Where the pipeline reads and writes; built from the environment by `load_settings`."""

    data_dir: Path
    warehouse_path: Path
    reports_dir: Path
    sources_mirror: str | None

    @property
    def raw_dir(self) -> Path:
        return self.data_dir / "raw"


def load_settings() -> Settings:
    """Read `SCALING_DATA_DIR`, `SCALING_WAREHOUSE`, `SCALING_REPORTS_DIR` and `SCALING_SOURCES_MIRROR`."""
    data_dir = _path(os.environ.get("SCALING_DATA_DIR"), PROJECT_ROOT / "data")
    warehouse = _path(os.environ.get("SCALING_WAREHOUSE"), data_dir / "warehouse.duckdb")
    reports = _path(os.environ.get("SCALING_REPORTS_DIR"), PROJECT_ROOT / "reports")
    mirror = os.environ.get("SCALING_SOURCES_MIRROR") or None
    if mirror and "://" not in mirror:
        mirror = str(_path(mirror, Path(mirror)))
    return Settings(data_dir=data_dir, warehouse_path=warehouse, reports_dir=reports, sources_mirror=mirror)
