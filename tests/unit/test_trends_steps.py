"""Trends steps: a step declared in any module of `pipelines.trends` becomes an asset with its keys, its reads as
deps and its blocking contract check, and `run_step` writes its table and judges it by its contract."""

from __future__ import annotations

import logging
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import duckdb
import polars as pl
import pytest

import pipelines.trends
from pipelines.trends.steps import TrendOutput, all_steps, contracts, run_step
from pipelines.warehouse import ensure_schemas, read_table

PLANTED = "planted_trend_module"  # a module of pipelines.trends that exists only during a test

# A new trends module as a developer would write it: a contract, a build from a mart, and `STEPS`.
MODULE = '''
import polars as pl

from pipelines.trends.checks import TableContract
from pipelines.trends.steps import TrendOutput, TrendStep, TrendTable, info
from pipelines.warehouse import read_table

WIDGETS_CONTRACT = TableContract(
    "widget_growth",
    keys=("widget",),
    required=("estimate",),
    intervals=(("estimate", "ci_low", "ci_high"),),
    minimums=(("n", 3),),
)


def build_widgets(con) -> TrendOutput:
    """trends.widget_growth from marts.widgets, as stored."""
    frame = read_table(con, "marts", "widgets")
    return TrendOutput(
        {"widget_growth": frame}, {"widget_growth": {"widgets": frame.height}}, (info(f"{frame.height} widgets"),)
    )


STEPS = [
    TrendStep(
        "widget_growth",
        reads=("marts.widgets", "trends.fits"),
        tables=(TrendTable(WIDGETS_CONTRACT, "how fast widgets grow."),),
        build=build_widgets,
    )
]
'''


@pytest.fixture
def planted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """`pipelines.trends.planted_trend_module`, found where the package's own modules are."""
    (tmp_path / f"{PLANTED}.py").write_text(textwrap.dedent(MODULE), encoding="utf-8")
    monkeypatch.setattr(pipelines.trends, "__path__", [*pipelines.trends.__path__, str(tmp_path)])
    yield
    sys.modules.pop(f"pipelines.trends.{PLANTED}", None)


def widgets(estimates: list[float]) -> pl.DataFrame:
    n = len(estimates)
    return pl.DataFrame(
        {
            "widget": [f"w{i}" for i in range(n)],
            "estimate": estimates,
            "ci_low": [1.0] * n,
            "ci_high": [3.0] * n,
            "n": [5] * n,
            "status": ["ok"] * n,
            "status_reason": pl.Series([None] * n, dtype=pl.String),
        }
    )


@pytest.fixture
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    connection = duckdb.connect()
    ensure_schemas(connection)
    yield connection
    connection.close()


def planted_step():
    return next(step for step in all_steps() if step.name == "widget_growth")


def test_a_step_declared_in_a_new_module_is_an_asset_with_its_deps_and_its_blocking_check(planted) -> None:
    from dagster import AssetKey

    from pipelines.defs.trends import trend_asset

    assert contracts()["widget_growth"].minimums == (("n", 3),)
    assert len(contracts()) == 19  # the 18 tables of the real modules, and this one
    (asset,) = [trend_asset(step) for step in all_steps() if step.name == "widget_growth"]
    (spec,) = asset.specs
    assert spec.key == AssetKey(["trends", "widget_growth"])
    assert {d.asset_key for d in spec.deps} == {AssetKey(["marts", "widgets"]), AssetKey(["trends", "fits"])}
    assert spec.group_name == "trends" and spec.description == "trends.widget_growth: how fast widgets grow."
    (check,) = asset.check_specs
    assert check.name == "widget_growth_are_consistent" and check.blocking
    assert check.asset_key == spec.key


def test_run_step_writes_the_table_and_fails_its_contract_on_a_planted_bad_row(planted, con) -> None:
    step = planted_step()
    good = widgets([2.0, 2.5])  # noqa: F841 (read by DuckDB)
    con.execute("create or replace table marts.widgets as select * from good")
    result = run_step(con, step)
    (table,) = result.tables
    assert table.passed and (table.rows, table.ok_rows) == (2, 2) and table.metadata == {"widgets": 2}
    assert [(line.level, line.text) for line in result.log] == [(logging.INFO, "2 widgets")]

    bad = widgets([2.0, 9.0])  # noqa: F841 (w1's estimate lies outside its own interval)
    con.execute("create or replace table marts.widgets as select * from bad")
    (table,) = run_step(con, step).tables
    assert read_table(con, "trends", "widget_growth")["estimate"].to_list() == [2.0, 9.0]  # written all the same
    assert not table.passed and table.problems["ci_not_containing_estimate"] == 1
    assert "e.g. (widget='w1'): estimate=9.0 outside [1.0, 3.0]" in str(table.problems["description"])


def test_a_step_building_other_tables_than_it_declares_writes_nothing(planted, con) -> None:
    from dataclasses import replace

    step = replace(planted_step(), build=lambda con: TrendOutput({"gadgets": widgets([2.0])}))
    with pytest.raises(ValueError, match=r"built \['gadgets'\], declares \['widget_growth'\]"):
        run_step(con, step)
    assert con.sql("select count(*) from information_schema.tables where table_schema = 'trends'").fetchall() == [(0,)]


def test_the_asset_reports_rows_metadata_log_lines_and_a_failed_check_that_fails_its_step(planted, tmp_path) -> None:
    from dagster import DagsterEventType, DagsterInstance, materialize
    from dagster_duckdb import DuckDBResource

    from pipelines.defs.trends import trend_asset

    path = tmp_path / "w.duckdb"
    bad = widgets([2.0, 9.0])  # noqa: F841 (read by DuckDB)
    with duckdb.connect(str(path)) as setup:
        ensure_schemas(setup)
        setup.execute("create table marts.widgets as select * from bad")
    with DagsterInstance.ephemeral() as instance:
        result = materialize(
            [trend_asset(planted_step())],
            resources={"warehouse": DuckDBResource(database=str(path))},
            instance=instance,
            raise_on_error=False,
        )
        logs = [e.user_message for e in instance.all_logs(result.run_id) if e.level == logging.INFO]
    failed = [e.step_key for e in result.all_events if e.event_type == DagsterEventType.STEP_FAILURE]
    assert failed == ["trends__widget_growth"]
    (evaluation,) = result.get_asset_check_evaluations()
    assert evaluation.check_name == "widget_growth_are_consistent" and not evaluation.passed
    assert "ci_not_containing_estimate: 1 of 2 checked rows" in (evaluation.description or "")
    (materialization,) = result.asset_materializations_for_node("trends__widget_growth")
    assert {k: v.value for k, v in materialization.metadata.items()} == {"rows": 2, "ok_rows": 2, "widgets": 2}
    assert "2 widgets" in logs
