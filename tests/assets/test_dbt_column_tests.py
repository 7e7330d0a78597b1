"""The model-level dbt tests (`dbt_like_models/tests/generic/*_columns.sql`: one test per model and kind instead of one
per column) fail on a single bad value in any of their columns, and each row they fail on names the column and the
row's key (and the value, and the range it is outside): the rows dbt's "Got N results" counts.

The price-study marts are built once from small files (`publish_price_study`); each test copies that data directory,
sets bad values in the published marts, runs only the checks through the real definitions (on a working copy, as
every run), then runs the SQL dbt compiled for a check against the published file to read the rows it failed on.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest
from dagster import AssetCheckKey, AssetKey, DagsterInstance

from pipelines.definitions import build_definitions
from pipelines.settings import Settings
from pipelines.warehouse import CONNECTION_CONFIG
from tests.assets.test_marts_dbt import STUDY_MARTS, publish_price_study, query, run_marts, settings_in


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory whose published warehouse holds the price-study marts, every check passing."""
    base = tmp_path_factory.mktemp("price_study")
    settings = settings_in(base)
    publish_price_study(settings)
    assert run_marts(settings, *STUDY_MARTS).success
    return settings.data_dir


def with_values(built: Path, tmp_path: Path, *updates: str) -> Settings:
    """A copy of `built` whose published marts have had `updates` run on them."""
    settings = settings_in(tmp_path)
    shutil.copytree(built, settings.data_dir)
    with duckdb.connect(str(settings.warehouse_path), config=dict(CONNECTION_CONFIG)) as con:
        for update in updates:
            con.execute(update)
    return settings


def run_check_descriptions(settings: Settings, *checks: tuple[str, str]) -> dict[str, tuple[bool, str | None]]:
    """(passed, description) of each of `checks`, (mart, check name) pairs, run alone: dbt runs only those tests."""
    job = build_definitions(settings).resolve_implicit_global_asset_job_def()
    keys = {AssetCheckKey(AssetKey(["marts", mart]), name) for mart, name in checks}
    with DagsterInstance.ephemeral() as instance:
        subset = job.get_subset(asset_selection=set(), asset_check_selection=keys)
        result = subset.execute_in_process(instance=instance, raise_on_error=False)
    return {e.check_name: (e.passed, e.description) for e in result.get_asset_check_evaluations()}


def run_checks(settings: Settings, *checks: tuple[str, str]) -> dict[str, tuple[bool, str | None]]:
    """`run_check_descriptions` with dbt's own message only (the failing rows the description adds left off)."""
    found = run_check_descriptions(settings, *checks)
    return {name: (passed, (text or "").split("; rows: ")[0] or text) for name, (passed, text) in found.items()}


def failing_rows(settings: Settings, check: str) -> list[tuple]:
    """The rows a dbt test fails on: the SQL dbt compiled for it in the latest run, on the published warehouse."""
    [compiled] = (settings.data_dir / "dbt" / "compiled").rglob(f"{check}.sql")
    return query(settings.warehouse_path, f"select * from ({compiled.read_text(encoding='utf-8')}) order by all")


def failed(count: int, check: str) -> tuple[bool, str]:
    return False, f"test {check}: Got {count} result{'s' if count > 1 else ''}, configured to fail if != 0"


def test_a_null_in_any_column_fails_the_models_not_null_test_naming_the_column_and_the_row(
    built: Path, tmp_path: Path
) -> None:
    settings = with_values(
        built,
        tmp_path,
        "update marts.inference_scores set score = null where inference_score_id = 'inference_prices_aa:1:MMLU'",
        "update marts.inference_scores set model_key = null where inference_score_id like 'inference_prices_aa:3:M%'",
    )
    checks = run_check_descriptions(settings, ("inference_scores", "not_null_inference_scores"))
    passed, description = checks["not_null_inference_scores"]
    assert not passed and description == (
        "test not_null_inference_scores: Got 3 results, configured to fail if != 0; rows: "
        "model_key, inference_prices_aa:3:MATH 5; model_key, inference_prices_aa:3:MATH-500; "
        "score, inference_prices_aa:1:MMLU"
    )  # the check says which column and row, not only how many
    assert failing_rows(settings, "not_null_inference_scores") == [
        ("model_key", "inference_prices_aa:3:MATH 5"),
        ("model_key", "inference_prices_aa:3:MATH-500"),
        ("score", "inference_prices_aa:1:MMLU"),
    ]


def test_a_value_outside_its_seed_range_fails_the_models_plausible_test_naming_column_row_and_range(
    built: Path, tmp_path: Path
) -> None:
    settings = with_values(
        built,
        tmp_path,
        "update marts.inference_scores set score = 99999 where inference_score_id like 'inference_prices_aa:2:LMSys%'",
        "update marts.inference_scores set score = 100.5 where inference_score_id = 'inference_prices_aa:1:MMLU'",
        "update marts.inference_prices set release_date = '2099-01-01' where price_id = 'inference_prices_aa:3'",
        "update marts.eval_tokens set epochs = 0 where row_number = 2",
    )
    checks = run_checks(
        settings,
        ("inference_scores", "plausible_inference_scores"),
        ("inference_prices", "plausible_inference_prices"),
        ("eval_tokens", "plausible_eval_tokens"),
    )
    assert checks == {
        "plausible_inference_scores": failed(2, "plausible_inference_scores"),
        "plausible_inference_prices": failed(1, "plausible_inference_prices"),
        "plausible_eval_tokens": failed(1, "plausible_eval_tokens"),
    }
    # each score against its own unit's rule: 99999 is no percent score, yet only the Elo rule flags it
    assert failing_rows(settings, "plausible_inference_scores") == [
        ("score", "inference_prices_aa:1:MMLU", "100.5", "outside 0.0 to 100.0 percent"),
        ("score", "inference_prices_aa:2:LMSys Chatbot Arena ELO", "99999.0", "outside 100.0 to 3000.0 Elo"),
    ]
    [(column, key, value, problem)] = failing_rows(settings, "plausible_inference_prices")
    assert (column, key, value) == ("release_date", "inference_prices_aa:3", "2099-01-01")
    assert problem.startswith("outside 2000-01-01 to ")
    assert failing_rows(settings, "plausible_eval_tokens") == [
        ("epochs", "gpt-4-0613:GPQA Diamond", "0", "outside 1.0 to 1000.0 epochs"),
    ]


def test_a_column_whose_rule_is_missing_from_the_seed_fails_the_plausible_test(built: Path, tmp_path: Path) -> None:
    settings = with_values(
        built, tmp_path, "delete from marts.plausible_ranges where source = 'eval_tokens' and column_name = 'epochs'"
    )
    checks = run_checks(settings, ("eval_tokens", "plausible_eval_tokens"))
    assert checks == {"plausible_eval_tokens": failed(1, "plausible_eval_tokens")}
    assert failing_rows(settings, "plausible_eval_tokens") == [
        ("epochs", None, None, "plausible_ranges has no single numeric rule for eval_tokens.epochs"),
    ]


def test_a_value_not_accepted_fails_the_models_accepted_values_test_naming_column_row_and_value(
    built: Path, tmp_path: Path
) -> None:
    settings = with_values(
        built,
        tmp_path,
        "update marts.inference_scores set unit = 'kelvin' where inference_score_id = 'inference_prices_aa:1:MMLU'",
        "update marts.eval_tokens set effort_rank = 7 where row_number = 1",  # a number, compared unquoted
    )
    checks = run_checks(
        settings,
        ("inference_scores", "accepted_values_inference_scores"),
        ("eval_tokens", "accepted_values_eval_tokens"),
    )
    assert checks == {
        "accepted_values_inference_scores": failed(1, "accepted_values_inference_scores"),
        "accepted_values_eval_tokens": failed(1, "accepted_values_eval_tokens"),
    }
    assert failing_rows(settings, "accepted_values_inference_scores") == [
        ("unit", "inference_prices_aa:1:MMLU", "kelvin"),
    ]
    assert failing_rows(settings, "accepted_values_eval_tokens") == [
        ("effort_rank", "o1-mini-2024-09-12_high:MATH level 5", "7"),
    ]
