"""The data-quality page lists, per source, the columns each pull added and removed, when marts.source_files
records them, and still works on a warehouse from before those columns existed."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb

from pipelines.reports.context import PageContext
from pipelines.reports.data_quality import schema_changes_section
from pipelines.reports.page import Page

CREATE = """
create schema marts;
create table marts.source_files (source varchar, sha256 varchar, fetched_at timestamptz, status varchar,
                                  rows bigint{extra});
"""


def section(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> Page:
    ctx = PageContext(con, frozenset({"marts.source_files"}), tmp_path, datetime(2026, 1, 1, tzinfo=UTC))
    page = Page("data_quality", "t")
    schema_changes_section(ctx, page)
    return page


def table_of(page: Page) -> dict:
    return next(b.data for b in page.blocks if b.kind == "table")


def test_columns_added_and_removed_are_listed_per_pull(tmp_path: Path) -> None:
    con = duckdb.connect()
    con.execute(CREATE.format(extra=", added_columns varchar[], removed_columns varchar[]"))
    con.execute(
        "insert into marts.source_files values "
        "('notable_models', 'a1', '2026-01-01', 'loaded', 10, null, null),"
        "('notable_models', 'b2', '2026-02-01', 'loaded', 11, ['Epochs', 'Batch size'], ['Citations'])"
    )
    table = table_of(section(con, tmp_path))
    assert [h["text"] for h in table["head"]][4:6] == ["Added columns", "Removed columns"]
    second = [cell["text"] for cell in table["rows"][1]]
    assert second[4:6] == ["Epochs; Batch size", "Citations"]
    assert [cell["text"] for cell in table["rows"][0]][4:6] == ["", ""]


def test_before_the_columns_exist_the_pulls_are_listed_without_them(tmp_path: Path) -> None:
    con = duckdb.connect()
    con.execute(CREATE.format(extra=""))
    con.execute("insert into marts.source_files values ('ml_hardware', 'c3', '2026-01-01', 'loaded', 5)")
    page = section(con, tmp_path)
    table = table_of(page)
    assert "Added columns" not in [h["text"] for h in table["head"]]
    assert any("does not record column changes" in b.data.get("text", "") for b in page.blocks)
