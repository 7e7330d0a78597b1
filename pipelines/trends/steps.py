"""What a trends asset is: the tables it reads, the trends tables it writes with their contracts, and its build.

Each trends module declares its steps in a module-level `STEPS` list, beside the code that builds them and the
`TableContract` of each table; `all_steps()` collects them and `pipelines/defs/trends.py` makes one Dagster asset of
each, so adding a trends table touches its own module only. `run_step` is the whole write: every table swapped in
and checked against its contract (finite numbers where status is 'ok', estimates inside their CIs, n above the fit's
minimum), as plain results the asset turns into its materializations and its blocking checks. No Dagster here.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field

import duckdb
import polars as pl

from pipelines.layers import TRENDS
from pipelines.trends.checks import TableContract, table_problems
from pipelines.trends.reuse import fits_reused
from pipelines.trends.status import Status
from pipelines.warehouse import replace_table

PACKAGE = "pipelines.trends"


@dataclass(frozen=True)
class LogLine:
    """One line for the run's log, at a `logging` level (a moved headline is a warning, so it is seen)."""

    level: int
    text: str


def info(text: str) -> LogLine:
    return LogLine(logging.INFO, text)


def warning(text: str) -> LogLine:
    return LogLine(logging.WARNING, text)


def row_lines(frame: pl.DataFrame, template: str) -> tuple[LogLine, ...]:
    """One info line per row of `frame`, `template` filled from the row's columns (`{estimate:.3g}`): the figures a
    step reports in the run's log."""
    return tuple(info(template.format_map(row)) for row in frame.iter_rows(named=True))


@dataclass(frozen=True)
class TrendOutput:
    """What a step's `build` returns: a frame per table it writes, extra metadata per table, lines for the log."""

    tables: dict[str, pl.DataFrame]
    metadata: dict[str, dict[str, object]] = field(default_factory=dict)  # table -> its materialization's extras
    log: tuple[LogLine, ...] = ()


@dataclass(frozen=True)
class TrendTable:
    """One table a step writes: its contract (which names it) and what it holds, for its asset's description."""

    contract: TableContract
    description: str
    reads: tuple[str, ...] = ()  # "schema.table" this table depends on beyond its step's reads

    @property
    def name(self) -> str:
        return self.contract.table


@dataclass(frozen=True)
class TrendStep:
    """One trends asset: `build(con)` for `tables`, in order, from the tables of `reads` ("schema.table")."""

    name: str
    reads: tuple[str, ...]
    tables: tuple[TrendTable, ...]
    build: Callable[[duckdb.DuckDBPyConnection], TrendOutput]

    def table_reads(self, table: TrendTable) -> tuple[str, ...]:
        """What `table` depends on: the step's reads, then its own."""
        return (*self.reads, *(r for r in table.reads if r not in self.reads))


@dataclass(frozen=True)
class TableResult:
    """One written table: its row counts, its step's metadata, and its contract's verdict (`table_problems`)."""

    table: str
    rows: int
    ok_rows: int
    metadata: dict[str, object]
    problems: dict[str, object]  # `passed`, `description` and each rule's count of rows

    @property
    def passed(self) -> bool:
        return bool(self.problems["passed"])


@dataclass(frozen=True)
class StepResult:
    tables: tuple[TableResult, ...]
    log: tuple[LogLine, ...]


def all_steps() -> list[TrendStep]:
    """Every `STEPS` entry of the modules of `pipelines.trends`, in module order (imported by name: an import
    statement of the package would put its `__init__` into every trends asset's code version)."""
    package = importlib.import_module(PACKAGE)
    steps: list[TrendStep] = []
    for module in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        steps += getattr(importlib.import_module(f"{package.__name__}.{module.name}"), "STEPS", [])
    return steps


def contracts(steps: list[TrendStep] | None = None) -> dict[str, TableContract]:
    """The contract of every trends table, by table name: the one place tests and tools read them from."""
    return {table.name: table.contract for step in (all_steps() if steps is None else steps) for table in step.tables}


def check_name(table: str) -> str:
    """The blocking check of `trends.<table>`."""
    return f"{table}_are_consistent"


def ok_rows(frame: pl.DataFrame) -> int:
    """Rows with status 'ok' (every row, for a table without a status)."""
    return frame.filter(pl.col("status") == Status.OK).height if "status" in frame.columns else frame.height


def run_step(con: duckdb.DuckDBPyConnection, step: TrendStep, code_version: str | None = None) -> StepResult:
    """Build `step` and write its tables, each checked against its contract on the frame written. A failed contract
    does not stop the write: the asset's blocking check fails the step, which keeps the run from publishing. With
    the step's `code_version`, fit jobs whose code and inputs the file holds results of are reused (`reuse`)."""
    with fits_reused(con, step.name, code_version):
        output = step.build(con)
    names = [table.name for table in step.tables]
    if sorted(output.tables) != sorted(names):
        raise ValueError(f"trends step {step.name} built {sorted(output.tables)}, declares {names}")
    results = []
    for table in step.tables:
        frame = output.tables[table.name]
        rows = replace_table(con, TRENDS, table.name, frame, comment=table.description)
        extra = output.metadata.get(table.name, {})
        results.append(TableResult(table.name, rows, ok_rows(frame), extra, table_problems(frame, table.contract)))
    return StepResult(tuple(results), output.log)
