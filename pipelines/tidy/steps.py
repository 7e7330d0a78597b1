"""What a tidy asset is: the raw tables it reads, the tidy tables it writes, and the function between them.

Each tidy module declares its steps in a module-level `STEPS` list; `all_steps()` collects them, and
`pipelines/defs/tidy.py` makes one Dagster asset of each, so adding a source's tidy table touches its own module only.
`run_step` is the whole write: every table swapped in, the step's rejected values replacing its sources' previous
ones in `ops.rejected_values`, each row labelled with the sha256 of the file it came from.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb
import polars as pl

from pipelines.layers import RAW, SIDE_TABLES, TIDY
from pipelines.raw.sources import SOURCES, SOURCES_BY_NAME
from pipelines.warehouse import first_row, read_table, replace_rejections, replace_table, table_exists

Snapshots = dict[str, str | None]  # source -> sha256 of the file its raw table holds


@dataclass(frozen=True)
class TidyOutput:
    """What a step's `build` returns: its tables (each with `snapshot_sha256`), side tables, rejected values."""

    tables: dict[str, pl.DataFrame]
    rejections: pl.DataFrame
    side_tables: dict[str, pl.DataFrame] = field(default_factory=dict)  # tidy tables with no asset of their own
    after: Callable[[duckdb.DuckDBPyConnection], int] | None = None  # more bookkeeping, in the same connection


@dataclass(frozen=True)
class TidyStep:
    """One tidy asset: `build(raw frames by source, snapshots)` for `tables`, from the raw tables of `sources`."""

    name: str
    sources: tuple[str, ...]
    tables: tuple[str, ...]
    build: Callable[[dict[str, pl.DataFrame], Snapshots], TidyOutput]
    description: str


def all_steps() -> list[TidyStep]:
    """Every `STEPS` entry of the modules of `pipelines.tidy`, in module order."""
    import pipelines.tidy as package

    steps: list[TidyStep] = []
    for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        steps += getattr(importlib.import_module(f"{package.__name__}.{info.name}"), "STEPS", [])
    return steps


def snapshots_of(con: duckdb.DuckDBPyConnection, names: tuple[str, ...]) -> Snapshots:
    """sha256 of the file currently loaded in each `raw.<name>` table that exists."""
    found: Snapshots = {}
    for name in names:
        if table_exists(con, "raw", name):
            row = first_row(con, f"select any_value(_sha256) from raw.{name}")
            found[name] = row[0] if row else None
    return found


def with_snapshot(frame: pl.DataFrame, snapshots: Snapshots, source_column: str = "source") -> pl.DataFrame:
    """`snapshot_sha256`: the file each row came from, found by its source column."""
    return frame.with_columns(
        pl.col(source_column).replace_strict(snapshots, default=None, return_dtype=pl.String).alias("snapshot_sha256")
    )


def with_sha(frame: pl.DataFrame, sha256: str | None) -> pl.DataFrame:
    """`snapshot_sha256` for a table from one file."""
    return frame.with_columns(pl.lit(sha256, dtype=pl.String).alias("snapshot_sha256"))


def run_step(con: duckdb.DuckDBPyConnection, step: TidyStep) -> tuple[dict[str, int], int]:
    """Build `step` from the raw tables present and write it: (rows per table, rejected values)."""
    raw = {name: read_table(con, "raw", name) for name in step.sources if table_exists(con, "raw", name)}
    missing = [name for name in step.sources if name not in raw and not SOURCES_BY_NAME[name].optional]
    if missing:
        raise ValueError(f"tidy step {step.name}: no raw table yet for {', '.join(missing)}; pull the source first")
    snapshots = snapshots_of(con, tuple(raw))
    output = step.build(raw, snapshots)
    counts = {
        table: replace_table(con, "tidy", table, output.tables[table], comment=f"tidy.{table}: {step.description}")
        for table in step.tables
    }
    for table, frame in output.side_tables.items():
        replace_table(con, "tidy", table, frame, comment=f"tidy.{table}: written with {step.name}, {step.description}")
    rejections = with_snapshot(output.rejections, snapshots)
    rejected = replace_rejections(con, step.sources, rejections, None)
    if output.after is not None:
        output.after(con)
    return counts, rejected


def side_table_writers(table: str) -> list[tuple[str, str]]:
    """(layer, table) of each asset that writes side table `table` (`pipelines.layers.SIDE_TABLES`, where
    `raw/*` is every source and `tidy/*` every tidy table); empty for a table that is an asset of its own."""
    every = {RAW: [source.name for source in SOURCES], TIDY: [t for step in all_steps() for t in step.tables]}
    writers: list[tuple[str, str]] = []
    for writer in SIDE_TABLES.get(table, ()):
        layer, name = writer.split("/")
        writers += [(layer, n) for n in (every[layer] if name == "*" else [name])]
    return writers
