"""A failed blocking check says what failed: the rule, how many rows, and one example row."""

from __future__ import annotations

from pathlib import Path

import duckdb
from dagster_duckdb import DuckDBResource

from pipelines.defs.tidy import scores_model_names_matched


def scores_warehouse(path: Path, named: int, matched: int, rows: int = 10) -> DuckDBResource:
    """`tidy.scores` with `named` rows carrying a model name, `matched` of them naming a model of `tidy.models`."""
    con = duckdb.connect(str(path))
    con.execute("create schema tidy")
    con.execute("create table tidy.models (model_key varchar)")
    con.execute("insert into tidy.models values ('gpt-4')")
    con.execute(
        "create table tidy.scores (benchmark varchar, model_version varchar, model_name varchar, model_key varchar)"
    )
    for i in range(rows):
        name = None if i >= named else ("GPT-4" if i < matched else f"Unknown model {i}")
        key = None if name is None else ("gpt-4" if i < matched else f"unknown-{i}")
        con.execute("insert into tidy.scores values ('gpqa_diamond', ?, ?, ?)", [f"version-{i}", name, key])
    con.close()
    return DuckDBResource(database=str(path))


def test_the_name_check_passes_quietly_when_names_match(tmp_path: Path) -> None:
    result = scores_model_names_matched(warehouse=scores_warehouse(tmp_path / "w.duckdb", named=10, matched=10))
    assert result.passed
    assert result.description == (
        "benchmark_data: 100.0% of 10 score rows named by ECI (floor 85%), 100.0% matched to Epoch models (floor 60%)"
    )


def test_the_name_check_names_the_shares_the_counts_and_an_example_row(tmp_path: Path) -> None:
    result = scores_model_names_matched(warehouse=scores_warehouse(tmp_path / "w.duckdb", named=8, matched=3))
    assert not result.passed
    text = result.description or ""
    assert "80.0% of 10 score rows named by ECI (floor 85%)" in text
    assert "30.0% matched to Epoch models (floor 60%)" in text
    assert "2 unnamed, such as ('gpqa_diamond', 'version-8')" in text
    assert "5 unmatched, such as ('gpqa_diamond', 'version-3', 'Unknown model 3')" in text
