"""The rules behind the trends asset checks: each passes on a good table and fails on the fault it guards."""

from __future__ import annotations

import math
from datetime import date

import polars as pl

from pipelines.defs.trends import check_result as asset_check_result
from pipelines.trends.checks import TableContract, table_problems
from pipelines.trends.status import Status
from pipelines.trends.steps import TableResult, ok_rows

CONTRACT = TableContract("t", required=("estimate",), intervals=(("estimate", "low", "high"),), minimums=(("n", 10),))


def check_result(frame: pl.DataFrame, contract: TableContract):
    """The asset check of `frame` as a trends asset reports it, from `run_step`'s verdict."""
    problems = table_problems(frame, contract)
    return asset_check_result(TableResult(contract.table, frame.height, ok_rows(frame), {}, problems))


def table(**changes: list) -> pl.DataFrame:
    data = {
        "name": ["a", "b", "c"],
        "n": [20, 30, 3],
        "estimate": [1.0, 2.0, None],
        "low": [0.5, 1.5, None],
        "high": [1.5, 2.5, None],
        "status": ["ok", "ok", "insufficient data"],
        "status_reason": [None, None, "3 points"],
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


def test_an_estimate_missing_a_zero_width_ci_by_rounding_passes_and_by_more_fails() -> None:
    # every resample drew the same points: a CI of zero width the estimate misses in the 16th digit (seen on x10 data)
    rounding = table(estimate=[-1.6e-25, 0.10831206893074294, None], low=[0.0, 0.10831206893074297, None])
    rounding = rounding.with_columns(high=pl.Series([0.0, 0.10831206893074304, None]))
    assert table_problems(rounding, CONTRACT)["passed"]
    beyond = rounding.with_columns(estimate=pl.Series([-1e-6, 0.1083, None]))
    assert table_problems(beyond, CONTRACT)["ci_not_containing_estimate"] == 2


def test_a_fit_on_too_few_points_fails() -> None:
    problems = table_problems(table(n=[20, 5, 3]), CONTRACT)
    assert not problems["passed"] and problems["n_below_minimum"] == 1


def test_a_table_with_no_ok_row_fails() -> None:
    problems = table_problems(table(status=["insufficient data"] * 3), CONTRACT)
    assert not problems["passed"] and problems["no_checked_rows"]


def test_date_intervals_are_checked_and_a_table_without_a_status_checks_every_row() -> None:
    contract = TableContract("d", required=("when",), intervals=(("when", "early", "late"),), status_column=None)
    good = pl.DataFrame({"when": [date(2027, 1, 1)], "early": [date(2026, 1, 1)], "late": [date(2028, 1, 1)]})
    assert table_problems(good, contract)["passed"]
    bad = good.with_columns(pl.lit(date(2029, 1, 1)).alias("when"))
    assert not table_problems(bad, contract)["passed"]


def test_a_failure_names_the_rule_the_count_and_an_offending_row() -> None:
    planted = table(estimate=[1.0, 3.0, None], n=[20, 5, 3])  # row b: outside its CI and on too few points
    result = check_result(planted, CONTRACT)
    assert not result.passed
    description = result.description or ""
    assert description.startswith("trends.t failed 2 rule(s).")
    assert "ci_not_containing_estimate: 1 of 2 checked rows with an estimate outside its CI" in description
    assert "e.g. (name='b'): estimate=3.0 outside [1.5, 2.5]" in description
    assert (
        "n_below_minimum: 1 of 2 checked rows with n below the fit's minimum, e.g. (name='b'): n=5 < 10" in description
    )
    assert result.metadata["ci_not_containing_estimate"].value == 1


def test_a_missing_or_infinite_number_is_named_with_its_column_and_value() -> None:
    contract = TableContract("t", required=("estimate",), keys=("name", "n"))
    description = check_result(table(estimate=[1.0, None, None], high=[math.inf, 2.5, None]), contract).description
    assert "missing_estimates: 1 of 2 checked rows" in description and "(name='b', n=30): estimate=None" in description
    assert "non_finite_numbers: 1 of 2 checked rows" in description and "(name='a', n=20): high=inf" in description


def test_a_table_without_ok_rows_says_what_its_rows_are() -> None:
    result = check_result(table(status=["insufficient data"] * 3), CONTRACT)
    assert not result.passed
    description = result.description or ""
    assert "no_checked_rows: none of 3 rows has status 'ok'; most common status: 'insufficient data'" in description


def test_a_status_outside_the_vocabulary_fails_even_on_a_row_that_is_not_checked() -> None:
    result = check_result(table(status=["ok", "ok", "insufficient data: 3 points"]), CONTRACT)
    assert not result.passed and result.metadata["unknown_status"].value == 1
    assert "unknown_status: 1 of 3 rows with a status outside ['ok', 'insufficient data', 'not identified'" in (
        result.description
    )
    assert "e.g. 'insufficient data: 3 points'" in result.description


def test_a_contract_may_narrow_the_vocabulary() -> None:
    narrow = TableContract("t", required=("estimate",), statuses=(Status.OK, Status.NOT_IDENTIFIED))
    problems = table_problems(table(), narrow)
    assert not problems["passed"] and problems["unknown_status"] == 1


def test_a_passing_check_says_how_many_rows_it_checked() -> None:
    result = check_result(table(), CONTRACT)
    assert result.passed and result.description == "trends.t: 2 checked rows of 3, every rule holds"


def test_a_table_breaking_its_contract_fails_its_step_and_skips_what_reads_it(tmp_path, monkeypatch) -> None:
    """The check runs in the asset's own step: a failure fails that step (blocking), naming the broken rule."""
    from dagster import AssetKey, DagsterEventType, asset, materialize
    from dagster_duckdb import DuckDBResource

    from pipelines.defs.trends import trend_asset
    from pipelines.trends import forecasts

    broken = pl.DataFrame(
        {
            "target_label": ["1e27 FLOP run"],
            "predicted_date": [date(2030, 1, 1)],
            "pi_low_date": [date(2031, 1, 1)],  # the prediction lies outside its own interval
            "pi_high_date": [date(2032, 1, 1)],
            "growth_per_year": [4.0],
            "n": [50],
            "status": ["ok"],
        }
    )
    monkeypatch.setattr(forecasts, "load_models", lambda con: pl.DataFrame())
    monkeypatch.setattr(forecasts, "forecasts_frame", lambda models: broken)

    @asset(deps=[AssetKey(["trends", "forecasts"])])
    def reader() -> None:
        raise AssertionError("a failed blocking check must skip what reads the table")

    result = materialize(
        [trend_asset(forecasts.STEPS[0]), reader],
        resources={"warehouse": DuckDBResource(database=str(tmp_path / "w.duckdb"))},
        raise_on_error=False,
    )
    failed = [e.step_key for e in result.all_events if e.event_type == DagsterEventType.STEP_FAILURE]
    assert failed == ["trends__forecasts"]
    (evaluation,) = result.get_asset_check_evaluations()
    assert evaluation.check_name == "forecasts_are_consistent" and not evaluation.passed
    assert "ci_not_containing_estimate: 1 of 1 checked rows" in (evaluation.description or "")
    assert not result.asset_materializations_for_node("reader")
