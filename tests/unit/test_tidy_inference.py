"""Epoch's inference-price study to tidy tables, on small files written here: prices, long-form scores, tokens."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from pipelines.raw.landing import read_csv_text
from pipelines.raw.parse import REJECTED_SCHEMA
from pipelines.tidy.benchmarks import setting_columns_expr
from pipelines.tidy.inference import DATASET, SCORE_COLUMNS, task_benchmarks, tidy_eval_tokens, tidy_prices

PRICE_HEADER = (
    "Model Name,Release Date,USD per 1M Tokens,MMLU,GPQA Diamond,HumanEval,MATH-500,LMSys Chatbot Arena ELO,"
    "MATH 5,Tokens per Second,Prefill Latency (s),Prompt Length (tk)"
)
TOKEN_HEADER = "Model,Task,epochs,total_samples,input_tokens,output_tokens,total_tokens"


def write(tmp_path: Path, name: str, lines: list[str]) -> pl.DataFrame:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return read_csv_text(path)


def test_a_price_file_with_empty_cells_gives_one_price_per_model_and_one_score_per_filled_cell(
    tmp_path: Path,
) -> None:
    raw = write(
        tmp_path,
        "aa.csv",
        [
            PRICE_HEADER,
            "Claude-3-Haiku,2024-03-04,0.5,71,33,77,39,1179,13,122.7,0.467,1000",
            "Claude-3.5-Haiku ,2024-10-22,1.6,81,,87,,1236,,64.2,0.768,1000",
            "Claude Instant,2024-08-12,1.2,,,,,,,,,",
        ],
    )
    tables = tidy_prices(raw, "inference_prices_aa")
    assert tables.rejections.height == 0
    assert tables.prices.rows() == [
        ("inference_prices_aa", DATASET, "Claude-3-Haiku", "claude-3-haiku", date(2024, 3, 4), 0.5, 1),
        ("inference_prices_aa", DATASET, "Claude-3.5-Haiku", "claude-3.5-haiku", date(2024, 10, 22), 1.6, 2),
        ("inference_prices_aa", DATASET, "Claude Instant", "claude instant", date(2024, 8, 12), 1.2, 3),
    ]
    scores = tables.scores
    assert scores.columns == [
        "source", "dataset", "model_name", "model_key", "release_date", "usd_per_1m_tokens", "benchmark", "score",
        "unit", "row_number",
    ]  # fmt: skip
    # six scores for the first model, three for the second, none for the third; tokens per second is no score
    assert scores.group_by("model_name").len().sort("model_name").rows() == [
        ("Claude-3-Haiku", 6),
        ("Claude-3.5-Haiku", 3),
    ]
    second = scores.filter(pl.col("row_number") == 2).sort("benchmark")
    assert second.select("benchmark", "score", "unit").rows() == [
        ("HumanEval", 87.0, "percent"),
        ("LMSys Chatbot Arena ELO", 1236.0, "elo"),
        ("MMLU", 81.0, "percent"),
    ]
    assert set(second["usd_per_1m_tokens"]) == {1.6}
    assert set(scores["benchmark"]) == set(SCORE_COLUMNS)


def test_prices_keep_each_record_of_a_model_priced_twice(tmp_path: Path) -> None:
    raw = write(
        tmp_path,
        "epoch.csv",
        [
            PRICE_HEADER,
            "o1-mini,2024-09-12,5.25,,59.5,97,94,1308,84.3,,,",
            "o1-mini,2025-01-31,1.925,,59.5,97,94,1308,84.3,,,",
        ],
    )
    tables = tidy_prices(raw, "inference_prices_epoch")
    assert tables.prices.select("release_date", "usd_per_1m_tokens").rows() == [
        (date(2024, 9, 12), 5.25),
        (date(2025, 1, 31), 1.925),
    ]
    assert tables.scores.height == 10


def test_bad_and_implausible_price_cells_are_recorded_and_the_rest_publishes(tmp_path: Path) -> None:
    raw = write(
        tmp_path,
        "aa.csv",
        [
            PRICE_HEADER,
            "A,2024-03-04,abc,71,,,,,,,,",  # row 1: the price is not a number, the score stays
            "B,2024-03-04,2,140,,,,,,,,",  # row 2: 140 percent
            "C,2024-03-04,2,,,,,99999,,,,",  # row 3: an Elo far outside the arena's range
            ",2024-03-04,3,50,,,,,,,,",  # row 4: a price and a score without a model
            "D,2099-01-01,1e9,60,,,,,,,,",  # row 5: a date long after the pull and a billion dollars
        ],
    )
    tables = tidy_prices(raw, "inference_prices_aa")
    assert tables.rejections.schema == REJECTED_SCHEMA
    rejected = tables.rejections.sort("row_number", "column_name").select("column_name", "row_number", "raw_value")
    assert rejected.rows() == [
        ("USD per 1M Tokens", 1, "abc"),
        ("MMLU", 2, "140"),
        ("LMSys Chatbot Arena ELO", 3, "99999"),
        ("Model Name", 4, None),
        ("Release Date", 5, "2099-01-01"),
        ("USD per 1M Tokens", 5, "1e9"),
    ]
    assert set(tables.rejections["source"]) == {"inference_prices_aa"}
    assert tables.prices["model_name"].to_list() == ["A", "B", "C", "D"]
    assert tables.prices["usd_per_1m_tokens"].to_list() == [None, 2.0, 2.0, None]
    assert tables.scores.select("model_name", "benchmark", "score").rows() == [("A", "MMLU", 71.0), ("D", "MMLU", 60.0)]


def test_an_eval_token_row_with_an_effort_suffix_is_split_and_mapped_to_the_hub_benchmark(tmp_path: Path) -> None:
    raw = write(
        tmp_path,
        "eval.csv",
        [
            TOKEN_HEADER,
            "o1-mini-2024-09-12_high,MATH level 5,4,5296,988900,9914854,10903754",
            "claude-3-7-sonnet-20250219_16K,GPQA Diamond,1,198,51410,1258852,1310262",
            "gpt-4-0613,Some new task,8,800,1000,2000,3000",
        ],
    )
    tokens, rejections = tidy_eval_tokens(raw)
    assert rejections.height == 0
    assert tokens.columns == [
        "model_version", "base_version", "setting", "setting_kind", "effort_rank", "budget_tokens", "thinking",
        "task", "benchmark", "epochs", "total_samples", "input_tokens", "output_tokens", "total_tokens",
        "output_tokens_per_sample", "row_number",
    ]  # fmt: skip
    first = tokens.row(0, named=True)
    assert first["model_version"] == "o1-mini-2024-09-12_high"
    assert (first["base_version"], first["setting"], first["setting_kind"], first["effort_rank"]) == (
        "o1-mini-2024-09-12",
        "high",
        "effort",
        3,
    )
    assert (first["task"], first["benchmark"]) == ("MATH level 5", "math_level_5")
    assert first["output_tokens"] == 9914854 and tokens.schema["output_tokens"] == pl.Int64
    assert first["output_tokens_per_sample"] == pytest.approx(9914854 / 5296)
    second = tokens.row(1, named=True)
    assert (second["setting_kind"], second["budget_tokens"], second["benchmark"]) == ("budget", 16000, "gpqa_diamond")
    third = tokens.row(2, named=True)
    assert (third["setting"], third["setting_kind"], third["benchmark"]) == (None, None, None)


def test_a_token_count_that_is_not_a_whole_positive_number_is_recorded(tmp_path: Path) -> None:
    raw = write(tmp_path, "eval.csv", [TOKEN_HEADER, "m,GPQA Diamond,1,198,10.5,0,x", ",GPQA Diamond,1,198,1,2,3"])
    tokens, rejections = tidy_eval_tokens(raw)
    assert rejections.sort("column_name").select("column_name", "row_number", "raw_value").rows() == [
        ("Model", 2, None),
        ("input_tokens", 1, "10.5"),
        ("output_tokens", 1, "0"),
        ("total_tokens", 1, "x"),
    ]
    assert tokens.select("model_version", "input_tokens", "output_tokens", "total_tokens").rows() == [
        ("m", None, None, None)
    ]


def test_tasks_map_to_hub_ids_by_display_name_whatever_the_case() -> None:
    tasks = task_benchmarks()
    assert tasks["gpqa diamond"] == "gpqa_diamond"
    assert tasks["math level 5"] == "math_level_5"
    assert tasks["otis mock aime 2024-2025"] == "otis_mock_aime"


@pytest.mark.parametrize(
    ("setting", "kind", "rank", "budget", "thinking"),
    [
        ("minimal", "effort", 0, None, None),
        ("low", "effort", 1, None, None),
        ("medium", "effort", 2, None, None),
        ("High", "effort", 3, None, None),
        ("xhigh", "effort", 4, None, None),
        ("16K", "budget", None, 16000, None),
        ("16k", "budget", None, 16000, None),
        ("128K", "budget", None, 128000, None),
        ("thinking", "thinking", None, None, True),
        ("none", "thinking", None, None, False),
        (None, None, None, None, None),
    ],
)
def test_settings_are_classified_as_effort_budget_or_thinking(
    setting: str | None, kind: str | None, rank: int | None, budget: int | None, thinking: bool | None
) -> None:
    frame = pl.DataFrame({"setting": [setting]}, schema={"setting": pl.String})
    row = frame.select(setting_columns_expr("setting")).row(0)
    assert row == (kind, rank, budget, thinking)
