"""What a page build function is given: a reader that lets it read only the tables its registry entry declares,
so the Dagster dependencies derived from that declaration cannot drift from what the page really reads.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import duckdb
import polars as pl

from pipelines.reports.page import NavEntry, Page
from pipelines.warehouse import query_frame, table_exists

# Schema-qualified table names in SQL: `marts.models`, `trends."fits"`.
TABLE_REFERENCE = re.compile(r'\b(raw|tidy|marts|trends|ops)\."?([a-z_][a-z0-9_]*)"?', re.IGNORECASE)


class UndeclaredTable(RuntimeError):
    """A page read a table missing from its registry entry: its asset would not wait for that table."""


@dataclass
class PageContext:
    """The warehouse as one page may read it, plus where and when it is built and the pages it links to."""

    con: duckdb.DuckDBPyConnection
    declared: frozenset[str]
    reports_dir: Path
    built_at: datetime
    nav: list[NavEntry] = field(default_factory=list)
    page_name: str = ""
    # The folder readers see (a run writes into a staging folder, `reports_dir`, published when the run succeeds):
    # where a page finds what the previous build left, e.g. the index's `previous_build.json`.
    published_dir: Path | None = None
    _frames: dict[str, pl.DataFrame | None] = field(default_factory=dict)

    def _check(self, tables: set[str]) -> None:
        undeclared = sorted(tables - self.declared)
        if undeclared:
            raise UndeclaredTable(
                f"{self.page_name} reads {', '.join(undeclared)}, which its PageSpec in pipelines/reports/registry.py "
                f"does not declare (declared: {', '.join(sorted(self.declared))}): add it, so the asset waits for it?"
            )

    @property
    def previous_dir(self) -> Path:
        """The folder holding the previous build's files: the published one, else the one being written."""
        return self.published_dir or self.reports_dir

    def has(self, table: str) -> bool:
        """Whether a declared table exists yet (pages show a note instead of a section while it does not)."""
        self._check({table})
        schema, name = table.split(".", 1)
        return table_exists(self.con, schema, name)

    def read(self, sql: str, params: list | None = None) -> pl.DataFrame:
        """A query over declared tables only."""
        self._check({f"{s}.{t}".lower() for s, t in TABLE_REFERENCE.findall(sql)})
        return query_frame(self.con, sql, params)

    def table(self, table: str, order_by: str = "") -> pl.DataFrame | None:
        """A whole declared table, or None while it does not exist; read once per page build."""
        key = f"{table} {order_by}"
        if key not in self._frames:
            exists = self.has(table)
            sql = f"select * from {table}" + (f" order by {order_by}" if order_by else "")
            self._frames[key] = self.read(sql) if exists else None
        return self._frames[key]

    def optional(self, page: Page, table: str, what: str = "", order_by: str = "") -> pl.DataFrame | None:
        """A whole declared table; while it does not exist, None, and the page says so where the section would be."""
        frame = self.table(table, order_by)
        if frame is None:
            page.missing(table, what)
        return frame

    def section(
        self, page: Page, title: str, table: str, *, ident: str | None = None, explain: str = "", order_by: str = ""
    ) -> pl.DataFrame | None:
        """A section over one table: its heading, then `explain` and the table's rows for the caller to show, or
        the note that the table is missing (None)."""
        page.heading(title, ident=ident)
        frame = self.optional(page, table, order_by=order_by)
        if frame is not None and explain:
            page.paragraph(explain)
        return frame

    def columns(self, table: str) -> set[str]:
        """The columns a declared table has now (empty while it does not exist): for columns added later."""
        self._check({table})
        schema, name = table.split(".", 1)
        rows = self.con.execute(
            "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
            [schema, name],
        ).fetchall()
        return {r[0] for r in rows}

    def benchmark_names(self, frame: pl.DataFrame) -> pl.DataFrame:
        """`frame` with each benchmark's display name from marts.benchmark_scores, when the trends table has none."""
        if "benchmark_name" in frame.columns or "benchmark" not in frame.columns:
            return frame
        names = self.read(
            "select benchmark, any_value(benchmark_name) as benchmark_name from marts.benchmark_scores group by 1"
        )
        return frame.join(names, on="benchmark", how="left")


Section = Callable[[PageContext, Page], None]


def compose(ctx: PageContext, title: str, intro: str, sections: list[Section]) -> Page:
    """A page as a list of sections, each adding its blocks in order: a new section is one more function."""
    page = Page(name=ctx.page_name, title=title, intro=intro)
    for section in sections:
        section(ctx, page)
    return page
