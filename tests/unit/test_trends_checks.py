"""The rules behind the trends asset checks: each passes on a good table and fails on the fault it guards."""

from __future__ import annotations

import math
from datetime import date

import polars as pl

from pipelines.trends.checks import TableContract, table_problems

CONTRACT = TableContract("t", required=("estimate",), intervals=(("estimate", "low", "high"),), minimums=(("n", 10),))


def table(**changes: list) -> pl.DataFrame:
    data = {
        "name": ["a", "b", "c"],
        "n": [20, 30, 3],
        "estimate": [1.0, 2.0, None],
        "low": [0.5, 1.5, None],
        "high": [1.5, 2.5, None],
        "status": ["ok", "ok", "insufficient data: 3 points"],
    }
    data.update(changes)
    return pl.DataFrame(data)


def test_a_good_table_passes_and_rows_not_ok_are_not_checked() -> None:
    problems = table_problems(table(), CONTRACT)
    assert problems["passed"] and problems["checked_rows"] == 2 and problems["rows"] == 3


def test_a_non_finite_number_fails() -> None:
    problems = table_problems(table(high=[1.5, math.inf, None]), CONTRACT)
    assert not problems["passed"] and problems["non_finite_numbers"] == 1
    assert "b" in problems["example"]


def test_a_missing_estimate_fails() -> None:
    problems = table_problems(table(estimate=[1.0, None, None]), CONTRACT)
    assert not problems["passed"] and problems["missing_estimates"] == 1


def test_an_estimate_outside_its_ci_fails() -> None:
    problems = table_problems(table(low=[1.2, 1.5, None]), CONTRACT)
    assert not problems["passed"] and problems["ci_not_containing_estimate"] == 1


def test_a_fit_on_too_few_points_fails() -> None:
    problems = table_problems(table(n=[20, 5, 3]), CONTRACT)
    assert not problems["passed"] and problems["n_below_minimum"] == 1


def test_a_table_with_no_ok_row_fails() -> None:
    problems = table_problems(table(status=["insufficient data"] * 3), CONTRACT)
    assert not problems["passed"] and problems["no_checked_rows"]


def test_date_intervals_and_tables_without_status() -> None:
    contract = TableContract("d", required=("when",), intervals=(("when", "early", "late"),), status_column=None)
    good = pl.DataFrame({"when": [date(2027, 1, 1)], "early": [date(2026, 1, 1)], "late": [date(2028, 1, 1)]})
    assert table_problems(good, contract)["passed"]
    bad = good.with_columns(pl.lit(date(2029, 1, 1)).alias("when"))
    assert not table_problems(bad, contract)["passed"]
