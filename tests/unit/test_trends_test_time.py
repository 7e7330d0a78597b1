"""trends.test_time_scaling on small planted ladders with known answers: what more test-time compute buys within one
model (issue 19), by both methods, with honest statuses where the data cannot say."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from pipelines.trends import test_time as tt
from pipelines.trends.checks import table_problems
from pipelines.trends.status import Status

EFFORT = {"minimal": 0, "low": 1, "medium": 2, "high": 3, "xhigh": 4}
SCORE_COLUMNS: dict[str, pl.DataType] = {
    "benchmark": pl.String(),
    "unit": pl.String(),
    "model_version": pl.String(),
    "base_version": pl.String(),
    "setting": pl.String(),
    "setting_kind": pl.String(),
    "effort_rank": pl.Int64(),
    "budget_tokens": pl.Int64(),
    "thinking": pl.Boolean(),
    "cost_per_run_usd": pl.Float64(),
    "score": pl.Float64(),
    "trend_score": pl.Float64(),
}
NO_TOKENS = pl.DataFrame(
    schema={"model_version": pl.String, "benchmark": pl.String, "output_tokens_per_sample": pl.Float64}
)


def score(model: str, setting: str | None, points: float, benchmark: str = "gpqa_diamond", **extra) -> dict:
    """One marts.benchmark_scores row of `model` at `setting`, scoring `points` percentage points."""
    kind = "effort" if setting in EFFORT else "budget" if setting and setting.endswith("K") else None
    return {
        "benchmark": benchmark,
        "unit": "fraction",
        "model_version": f"{model}_{setting}" if setting else model,
        "base_version": model,
        "setting": setting,
        "setting_kind": kind,
        "effort_rank": EFFORT.get(setting),
        "budget_tokens": int(setting[:-1]) * 1000 if kind == "budget" else None,
        "score": points / 100,
        "trend_score": points / 100,
        **extra,
    }


def frame(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=SCORE_COLUMNS)


def ladder(
    gains: dict[str, float], models: int = 4, benchmark: str = "gpqa_diamond", noise: float = 0.0, seed: int = 0
) -> list[dict]:
    """Each model at every setting of `gains` (points above its own level), its level 30 + 7·i, plus noise."""
    rng = np.random.default_rng(seed)
    return [
        score(f"{benchmark}-model-{i}", setting, 30 + 7 * i + gain + rng.normal(0, noise), benchmark)
        for i in range(models)
        for setting, gain in gains.items()
    ]


def rows_of(table: pl.DataFrame, measure: str, benchmark: str = tt.POOLED) -> dict[str, dict]:
    """The rows of one measure and benchmark, by method."""
    chosen = table.filter((pl.col("measure") == measure) & (pl.col("benchmark") == benchmark))
    return {row["method"]: row for row in chosen.iter_rows(named=True)}


def assert_planted(rows: dict[str, dict], value: float, *, pairs: int, tolerance: float = 0.5) -> None:
    """Both methods ok, near `value`, with a tight CI that holds it, on `pairs` pairs."""
    assert set(rows) == set(tt.METHODS)
    for row in rows.values():
        assert row["status"] == Status.OK and row["status_reason"] is None, row
        assert row["estimate"] == pytest.approx(value, abs=tolerance)
        assert row["ci_low"] <= row["estimate"] <= row["ci_high"]
        assert row["ci_high"] - row["ci_low"] < 4 * tolerance
        assert row["n_pairs"] == pairs


def test_a_planted_effort_ladder_of_five_points_per_step_gives_five_with_a_tight_ci_by_both_methods() -> None:
    table = tt.test_time_frame(frame(ladder({"low": 0, "medium": 5, "high": 10}, noise=0.3)), NO_TOKENS)
    pooled = rows_of(table, "per_effort_step")
    assert_planted(pooled, 5.0, pairs=4)
    assert {row["n_points"] for row in pooled.values()} == {12}
    assert pooled["median over pairs"]["unit"].startswith("percentage points per effort step")
    assert_planted(rows_of(table, "per_effort_step", "gpqa_diamond"), 5.0, pairs=4)
    # a straight ladder: the last step gains what the first did
    assert_planted(rows_of(table, "diminishing_returns"), 0.0, pairs=4, tolerance=1.0)


def test_a_flat_ladder_is_not_identified_and_says_why_instead_of_reporting_zero() -> None:
    table = tt.test_time_frame(frame(ladder({"low": 0, "medium": 0, "high": 0})), NO_TOKENS)
    for row in rows_of(table, "per_effort_step").values():
        assert row["status"] == Status.NOT_IDENTIFIED
        assert "no within-pair variation in the score" in row["status_reason"]
        assert row["estimate"] is None and row["n_pairs"] == 4


def test_a_budget_ladder_of_three_points_per_doubling_is_recovered() -> None:
    table = tt.test_time_frame(frame(ladder({"16K": 0, "32K": 3, "64K": 6}, models=5, noise=0.2)), NO_TOKENS)
    assert_planted(rows_of(table, "per_budget_doubling"), 3.0, pairs=5)
    assert rows_of(table, "per_effort_step")["median over pairs"]["status"] == Status.INSUFFICIENT_DATA


def test_switching_thinking_on_gains_the_planted_ten_points() -> None:
    rows = []
    for i in range(4):
        rows += [
            score(f"m{i}", None, 40 + 5 * i, thinking=False),
            score(f"m{i}", "thinking", 50 + 5 * i + 0.1 * i, thinking=True),
        ]
    assert_planted(rows_of(tt.test_time_frame(frame(rows), NO_TOKENS), "thinking_on_vs_off"), 10.0, pairs=4)


def test_ten_times_the_cost_per_run_buys_the_planted_eight_points_within_each_model() -> None:
    rows = []
    for i, base_cost in enumerate((0.01, 0.3, 2.0)):  # models far apart in cost: only within-model change counts
        rows += [
            score(f"m{i}", "low", 60 - 10 * i, "weirdml", cost_per_run_usd=base_cost),
            score(f"m{i}", "high", 68 - 10 * i, "weirdml", cost_per_run_usd=10 * base_cost),
        ]
    rows.append(score("m9", "low", 50, "weirdml", cost_per_run_usd=0.0))  # a zero cost is no point, never log 0
    table = tt.test_time_frame(frame(rows), NO_TOKENS)
    assert_planted(rows_of(table, "per_10x_cost_per_run"), 8.0, pairs=3, tolerance=1e-6)
    assert_planted(rows_of(table, "per_10x_cost_per_run", "weirdml"), 8.0, pairs=3, tolerance=1e-6)


def test_a_cost_that_does_not_vary_within_any_model_is_not_identified() -> None:
    rows = [
        score(f"m{i}", s, 50 + i + g, "aider_polyglot", cost_per_run_usd=0.06)
        for i in range(4)
        for s, g in (("medium", 0), ("high", 4))
    ]
    row = rows_of(tt.test_time_frame(frame(rows), NO_TOKENS), "per_10x_cost_per_run")["median over pairs"]
    assert row["status"] == Status.NOT_IDENTIFIED
    assert row["status_reason"].startswith("no within-pair variation in cost per run")


def test_output_tokens_from_the_eval_logs_are_joined_by_model_version_and_benchmark() -> None:
    rows = ladder({"medium": 0, "high": 6}, models=3, benchmark="otis_mock_aime")
    tokens = pl.DataFrame(
        {
            "model_version": [r["model_version"] for r in rows],
            "benchmark": "otis_mock_aime",
            "output_tokens_per_sample": [1_000.0 if r["setting"] == "medium" else 10_000.0 for r in rows],
        }
    )
    table = tt.test_time_frame(frame(rows), tokens)
    assert_planted(rows_of(table, "per_10x_output_tokens"), 6.0, pairs=3, tolerance=1e-6)
    assert (
        rows_of(tt.test_time_frame(frame(rows), NO_TOKENS), "per_10x_output_tokens")["median over pairs"]["n_pairs"]
        == 0
    )


def test_a_concave_ladder_shows_diminishing_returns_as_last_step_minus_first() -> None:
    rows = ladder({"low": 0, "medium": 8, "high": 12, "xhigh": 14}, models=4, noise=0.1)
    assert_planted(rows_of(tt.test_time_frame(frame(rows), NO_TOKENS), "diminishing_returns"), -6.0, pairs=4)


def test_the_eci_row_is_not_identified_and_the_eci_never_enters_a_pooled_figure() -> None:
    eci = [
        {**r, "benchmark": "eci", "unit": "index", "score": 140.0, "trend_score": 140.0}
        for r in ladder({"low": 0, "medium": 5, "high": 10}, models=6, benchmark="eci")
    ]
    planted = ladder({"low": 0, "medium": 5, "high": 10}, noise=0.3)
    table = tt.test_time_frame(frame(planted + eci), NO_TOKENS)
    (row,) = rows_of(table, "per_effort_step", "eci").values()
    assert row["status"] == Status.NOT_IDENTIFIED and row["estimate"] is None
    assert row["status_reason"].startswith("the ECI gives one value per model for all its settings: 6 models")
    pooled = rows_of(table, "per_effort_step")
    assert_planted(pooled, 5.0, pairs=4)
    assert "left out, not a percentage score: eci (index)" in pooled["median over pairs"]["note"]


def test_too_few_pairs_is_insufficient_data_pooled_and_per_benchmark() -> None:
    table = tt.test_time_frame(frame(ladder({"low": 0, "high": 10}, models=2)), NO_TOKENS)
    for benchmark in (tt.POOLED, "gpqa_diamond"):
        for row in rows_of(table, "per_effort_step", benchmark).values():
            assert row["status"] == Status.INSUFFICIENT_DATA and row["estimate"] is None
            assert row["status_reason"] == (
                "2 model-benchmark pairs with two or more effort levels and a percentage score; a figure needs 3"
            )


def test_the_bootstrap_is_reproducible_and_seeded() -> None:
    scores = frame(ladder({"low": 0, "medium": 5, "high": 10}, models=6, noise=2.0))
    assert tt.test_time_frame(scores, NO_TOKENS).equals(tt.test_time_frame(scores, NO_TOKENS))
    stats = tt.pair_stats(scores, tt.MEASURES[0])
    same, other = tt.bootstrap_figure(stats), tt.bootstrap_figure(stats, seed=tt.SEED + 1)
    assert np.array_equal(same.draws[1], tt.bootstrap_figure(stats).draws[1])
    assert not np.array_equal(same.draws[1], other.draws[1])


def test_the_table_passes_its_contract() -> None:
    scores = frame(ladder({"low": 0, "medium": 5, "high": 10}, noise=0.3) + ladder({"16K": 0, "32K": 3}, models=2))
    table = tt.test_time_frame(scores, NO_TOKENS)
    problems = table_problems(table, tt.CONTRACT)
    assert problems["passed"], problems["description"]
    assert problems["checked_rows"] == 8  # effort and diminishing returns, pooled and on gpqa_diamond, two methods


def test_reasoning_none_against_the_lowest_effort_level_is_the_thinking_switch_without_the_effort_gain() -> None:
    rows = ladder({"low": 10, "medium": 15, "high": 20}, models=3, benchmark="frontiermath")
    rows += [score(f"frontiermath-model-{i}", "none", 30 + 7 * i, "frontiermath", thinking=False) for i in range(3)]
    table = tt.test_time_frame(frame(rows), NO_TOKENS)
    assert_planted(rows_of(table, "thinking_on_vs_off"), 10.0, pairs=3, tolerance=1e-6)
    assert_planted(rows_of(table, "per_effort_step"), 5.0, pairs=3, tolerance=1e-6)


def test_the_asset_reads_both_marts_writes_the_table_and_passes_its_blocking_check(tmp_path) -> None:
    import duckdb
    from dagster import materialize
    from dagster_duckdb import DuckDBResource

    from pipelines.defs.trends import trend_asset

    path = tmp_path / "w.duckdb"
    rows = ladder({"medium": 0, "high": 6}, models=3, benchmark="otis_mock_aime")
    scores = frame(rows).with_columns(pl.col("effort_rank").cast(pl.Int32))  # noqa: F841 (read by the query below)
    tokens = pl.DataFrame(  # noqa: F841 (read by the query below)
        {
            "model_version": [r["model_version"] for r in rows] + ["unmapped_high"],
            "task": "OTIS Mock AIME",
            "benchmark": ["otis_mock_aime"] * len(rows) + [None],
            "output_tokens_per_sample": [1_000.0 if r["setting"] == "medium" else 10_000.0 for r in rows] + [5.0],
        }
    )
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.benchmark_scores as select * from scores")
        con.execute("create table marts.eval_tokens as select * from tokens")
    result = materialize(
        [trend_asset(step) for step in tt.STEPS], resources={"warehouse": DuckDBResource(database=str(path))}
    )
    (evaluation,) = result.get_asset_check_evaluations()
    assert evaluation.passed, evaluation.description
    with duckdb.connect(str(path), read_only=True) as con:
        stored = con.sql(
            "select measure, method, round(estimate, 6), n_pairs, status from trends.test_time_scaling "
            "where benchmark = 'pooled' and measure in ('per_effort_step', 'per_10x_output_tokens') order by 1, 2"
        ).fetchall()
    assert stored == [
        ("per_10x_output_tokens", "median over pairs", 6.0, 3, "ok"),
        ("per_10x_output_tokens", "pooled within-pair slope", 6.0, 3, "ok"),
        ("per_effort_step", "median over pairs", 6.0, 3, "ok"),
        ("per_effort_step", "pooled within-pair slope", 6.0, 3, "ok"),
    ]
