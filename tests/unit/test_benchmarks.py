"""The benchmark zip to tidy scores: the fixture zip of real rows (eleven members and ECI, a few dozen rows each; see
tests/fixtures/make_fixtures.py), plus small synthetic zips. The real zip's counts: tests/e2e/test_mirror_snapshots.py.
"""

from __future__ import annotations

import logging
import zipfile
from pathlib import Path

import polars as pl
import pytest
import yaml
from conftest import source_file

from pipelines.raw.landing import read_benchmark_zip
from pipelines.raw.parse import REJECTED_SCHEMA
from pipelines.tidy.benchmarks import (
    BENCHMARKS_FILE,
    ScoreTables,
    load_benchmarks,
    split_setting_expr,
    tidy_scores,
)

ECI = "epoch_capabilities_index.csv"
ECI_HEADER = "Model version,ECI Score,Release date,Organization,Model name\n"


@pytest.fixture(scope="module")
def fixture_raw(fixture_sources: Path) -> pl.DataFrame:
    return read_benchmark_zip(source_file(fixture_sources, "benchmark_data"))


@pytest.fixture(scope="module")
def fixture_tables(fixture_raw: pl.DataFrame) -> ScoreTables:
    return tidy_scores(fixture_raw)


def _zip(tmp_path: Path, members: dict[str, str | bytes], name: str = "benchmark_data.zip") -> Path:
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as archive:
        for member, text in members.items():
            archive.writestr(member, text.encode("utf-8") if isinstance(text, str) else text)
    return path


# --- the fixture zip: real rows -----------------------------------------------------------------------------------


def test_every_member_of_the_zip_is_described_and_read_as_text_with_row_numbers(fixture_raw: pl.DataFrame) -> None:
    members = fixture_raw["_member"].unique().to_list()
    assert len(members) == 12
    assert set(members) <= set(load_benchmarks()), "every member of the zip should be in pipelines/tidy/benchmarks.yaml"
    assert fixture_raw.columns[:3] == ["_member", "_row_number", "Model version"]
    assert fixture_raw["_row_number"].dtype == pl.Int64
    assert all(dtype == pl.String for name, dtype in fixture_raw.schema.items() if name != "_row_number")
    assert fixture_raw.height == 281
    gpqa = fixture_raw.filter(pl.col("_member") == "gpqa_diamond.csv")
    assert gpqa["_row_number"].to_list() == list(range(1, 32))


def test_scores_carry_their_benchmark_unit_and_fraction(fixture_tables: ScoreTables) -> None:
    scores = fixture_tables.scores
    assert scores.height == 256
    assert scores["benchmark"].n_unique() == 12
    assert scores["score"].null_count() == 0
    assert scores.columns == [
        "benchmark", "benchmark_name", "model_version", "base_version", "setting", "setting_kind", "effort_rank",
        "budget_tokens", "thinking", "model_name", "model_key", "score", "unit", "trend_score", "trend_unit",
        "stderr", "cost_per_run_usd", "release_date", "organization", "file_training_compute_flop", "member",
        "row_number", "source",
    ]  # fmt: skip
    # the file's own compute estimate travels with the score, for models Epoch's model files lack
    assert scores["file_training_compute_flop"].drop_nulls().len() == 82
    assert scores["file_training_compute_flop"].drop_nulls().min() > 0
    assert scores.schema["release_date"] == pl.Date
    assert set(scores["source"]) == {"benchmark_data"}

    gpqa = scores.filter(pl.col("benchmark") == "gpqa_diamond")
    assert gpqa.height == 31
    assert gpqa["benchmark_name"][0] == "GPQA Diamond"
    assert gpqa["trend_score"].is_between(0, 1).all()
    assert gpqa["stderr"].null_count() == 0

    fractions = scores.filter(pl.col("unit") == "fraction")
    assert fractions["trend_score"].is_between(0, 1).all()
    assert set(fractions["trend_unit"]) == {"fraction"}
    # the trends' scale: ECI points as published, METR's minutes as log2 minutes, no trend of Elo ratings
    eci, metr = (scores.filter(pl.col("benchmark") == b) for b in ("eci", "metr_time_horizons"))
    assert eci.height == 84 and (eci["trend_score"] == eci["score"]).all()
    assert set(eci["trend_unit"]) == {"index points"}
    assert metr.height == 12 and set(metr["trend_unit"]) == {"log2 minutes"}
    assert metr["trend_score"].to_list() == pytest.approx(metr["score"].log(2).to_list())
    arena = scores.filter(pl.col("unit") == "elo")
    assert arena["trend_score"].null_count() == arena["trend_unit"].null_count() == arena.height == 12
    units = dict(scores.group_by("benchmark").agg(pl.col("unit").first()).iter_rows())
    assert units["eci"] == "index"
    assert units["webdev_arena"] == "elo"
    assert units["metr_time_horizons"] == "minutes"
    assert units["aider_polyglot"] == "fraction"
    # 0-100 files are divided by 100; geobench points by the 5000 a round is worth.
    aider = scores.filter(pl.col("benchmark") == "aider_polyglot")
    assert aider["score"].max() == pytest.approx(0.88)
    assert scores.filter(pl.col("benchmark") == "geobench")["score"].max() == pytest.approx(4333 / 5000)


def test_rows_repeating_a_benchmark_and_version_are_all_kept(fixture_tables: ScoreTables) -> None:
    """External files publish one row per scaffold, agent or shots: 16 rows repeat a (benchmark, version)."""
    scores = fixture_tables.scores
    assert scores.height - scores.select("benchmark", "model_version").unique().height == 16
    terminal = scores.filter(pl.col("benchmark") == "terminal_bench")
    assert terminal.height == 23
    assert terminal["model_version"].n_unique() == 12


def test_a_score_without_a_model_version_is_the_only_rejection(fixture_tables: ScoreTables) -> None:
    """No cell fails to parse; the 11 rejections are scored rows with an empty `Model version`."""
    rejections = fixture_tables.rejections
    assert rejections.schema == REJECTED_SCHEMA
    assert rejections.height == 11
    assert set(rejections["reason"]) == {"empty Model version; the score cannot be attributed to a model"}
    bool_q = rejections.filter(pl.col("column_name") == "bool_q_external.csv:Model version")
    assert bool_q.height == 5


def test_eci_names_the_versions_and_those_it_leaves_unnamed_are_listed(fixture_tables: ScoreTables) -> None:
    """Every version is listed in ECI, but ECI leaves `Model name` empty for 5 versions, all 5 scored."""
    scores = fixture_tables.scores
    assert scores.filter(pl.col("benchmark") == "eci")["model_name"].null_count() == 0
    assert fixture_tables.unmatched.columns == ["member", "model_version"]
    assert fixture_tables.unmatched.height == 6
    assert fixture_tables.unmatched["model_version"].n_unique() == 5
    assert scores["model_name"].null_count() == 7
    named = scores.filter(pl.col("model_name").is_not_null())
    assert named["model_key"].null_count() == 0
    o3 = scores.filter(pl.col("model_version") == "o3-2025-04-16_high")
    assert o3.height == 5
    assert set(o3["model_name"]) == {"o3"}
    assert set(o3["model_key"]) == {"o3"}


def test_a_version_without_a_setting_suffix_keeps_its_whole_name(fixture_tables: ScoreTables) -> None:
    scores = fixture_tables.scores
    assert scores["setting"].null_count() == 143
    qwen = scores.filter(pl.col("model_version") == "Qwen-1_8B")
    assert qwen.height == 2
    assert set(qwen["base_version"]) == {"Qwen-1_8B"}
    assert qwen["setting"].null_count() == qwen.height


# --- setting split ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "base", "setting"),
    [
        ("o3-2025-04-16_high", "o3-2025-04-16", "high"),
        ("claude-3-7-sonnet-20250219_32K", "claude-3-7-sonnet-20250219", "32K"),
        ("gemini-2.5-flash_16k", "gemini-2.5-flash", "16k"),
        ("gpt-5-2025-08-07_minimal", "gpt-5-2025-08-07", "minimal"),
        ("gpt-5.2-2025-12-11_xhigh", "gpt-5.2-2025-12-11", "xhigh"),
        ("deepseek-v3.1_thinking", "deepseek-v3.1", "thinking"),
        ("Qwen-1_8B", "Qwen-1_8B", None),
        ("open_llama_7b", "open_llama_7b", None),
        ("phi-1_5", "phi-1_5", None),
        ("MiniCPM-V-2_6", "MiniCPM-V-2_6", None),
        ("VideoChat-Flash-Qwen2-7B_res448", "VideoChat-Flash-Qwen2-7B_res448", None),
        ("video_chat2_mistral", "video_chat2_mistral", None),
        ("InternVL2_5-78B", "InternVL2_5-78B", None),
        ("gpt-4o-2024-08-06", "gpt-4o-2024-08-06", None),
    ],
)
def test_a_version_splits_into_its_base_and_its_setting(version: str, base: str, setting: str | None) -> None:
    base_expr, setting_expr = split_setting_expr("v")
    row = pl.DataFrame({"v": [version]}).select(base_expr, setting_expr).row(0)
    assert row == (base, setting)


# --- synthetic zips -----------------------------------------------------------------------------------------------


def test_a_bom_before_the_header_is_stripped(tmp_path: Path) -> None:
    path = _zip(tmp_path, {"gpqa_diamond.csv": "\ufeffModel version,mean_score,stderr\no3-2025-04-16_high,0.8,0.02\n"})
    raw = read_benchmark_zip(path)
    assert "Model version" in raw.columns
    assert not any(c.startswith("\ufeff") for c in raw.columns)
    scores = tidy_scores(raw).scores
    assert scores.select("model_version", "score", "stderr").row(0) == ("o3-2025-04-16_high", 0.8, 0.02)


def test_percent_strings_are_read_as_percent(tmp_path: Path) -> None:
    path = _zip(
        tmp_path,
        {
            "gpqa_diamond.csv": "Model version,mean_score,Release date\na,77.0%,2025-01-02\nb,0.5,2025-01-03\n",
            "aider_polyglot_external.csv": "Model version,Percent correct\na,77.0%\nb,50\n",
            ECI: ECI_HEADER + "a,100,2025-01-02,Org,Model A\nb,,2025-01-03,Org,Model B\n",
        },
    )
    scores = tidy_scores(read_benchmark_zip(path)).scores
    gpqa = scores.filter(pl.col("benchmark") == "gpqa_diamond").sort("model_version")
    assert gpqa["score"].to_list() == pytest.approx([0.77, 0.5])
    assert gpqa["trend_score"].to_list() == pytest.approx([0.77, 0.5])
    assert gpqa["model_name"].to_list() == ["Model A", "Model B"]
    assert gpqa["model_key"].to_list() == ["model a", "model b"]
    assert str(gpqa["release_date"][0]) == "2025-01-02"
    aider = scores.filter(pl.col("benchmark") == "aider_polyglot").sort("model_version")
    assert aider["score"].to_list() == pytest.approx([0.77, 0.5])
    # ECI keeps its own unit; the version with an empty ECI score is missing, not rejected.
    eci = scores.filter(pl.col("benchmark") == "eci")
    assert eci.select("model_version", "score", "unit").rows() == [("a", 100.0, "index")]
    assert eci.select("trend_score", "trend_unit").rows() == [(100.0, "index points")]


def test_a_member_that_is_not_utf8_fails_naming_the_member(tmp_path: Path) -> None:
    path = _zip(tmp_path, {"gpqa_diamond.csv": "Model version,mean_score\na,0.5\n", "broken.csv": b"a,b\n\xff\xfe,1\n"})
    with pytest.raises(ValueError, match=r"broken\.csv") as error:
        read_benchmark_zip(path)
    assert "benchmark_data.zip" in str(error.value)


def test_a_member_without_a_model_version_column_fails_naming_it(tmp_path: Path) -> None:
    path = _zip(tmp_path, {"model_versions.csv": "id,name\n1,x\n"})
    with pytest.raises(ValueError, match=r"model_versions\.csv.*'Model version'"):
        read_benchmark_zip(path)


def test_a_file_that_is_not_a_zip_fails_saying_so(tmp_path: Path) -> None:
    path = tmp_path / "benchmark_data.zip"
    path.write_text("<html>404</html>")
    with pytest.raises(ValueError, match="not a readable zip"):
        read_benchmark_zip(path)


def test_bad_cells_are_rejected_with_their_row_numbers(tmp_path: Path) -> None:
    path = _zip(
        tmp_path,
        {
            "gpqa_diamond.csv": (
                "Model version,mean_score,stderr,Release date\n"
                "a,0.5,0.01,2025-01-01\n"
                "b,abc,0.01,2025-01-01\n"  # row 2: bad score
                "c,,0.01,2025-01-01\n"  # row 3: missing score, not a rejection
                "d,1.5,0.01,2025-01-01\n"  # row 4: outside [0, 1]
                "e,0.4,x,Jan 2025\n"  # row 5: bad stderr and date, score kept
                ",0.3,,\n"  # row 6: score without a model version
            ),
        },
    )
    tables = tidy_scores(read_benchmark_zip(path))
    assert tables.scores["model_version"].to_list() == ["a", "e"]
    assert tables.scores.filter(pl.col("model_version") == "e").select("stderr", "release_date").row(0) == (
        None,
        None,
    )
    rejected = tables.rejections.sort("row_number").select("column_name", "row_number", "raw_value").rows()
    assert rejected == [
        ("gpqa_diamond.csv:mean_score", 2, "abc"),
        ("gpqa_diamond.csv:mean_score", 4, "1.5"),
        ("gpqa_diamond.csv:stderr", 5, "x"),
        ("gpqa_diamond.csv:Release date", 5, "Jan 2025"),
        ("gpqa_diamond.csv:Model version", 6, None),
    ]
    assert set(tables.rejections["source"]) == {"benchmark_data"}
    # No ECI member: every scored version is unmatched.
    assert tables.unmatched.rows() == [("gpqa_diamond.csv", "a"), ("gpqa_diamond.csv", "e")]


def test_an_undescribed_member_is_read_with_a_warning_or_rejected_without_a_score_column(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = _zip(
        tmp_path,
        {
            "new_bench.csv": "Model version,mean_score,stderr\nx_high,0.25,0.01\n",
            "mystery_external.csv": "Model version,Points\nx,12\n",
            ECI: ECI_HEADER + "x,100,2025-01-02,Org,Model X\n",
        },
    )
    with caplog.at_level(logging.WARNING, logger="pipelines.tidy.benchmarks"):
        tables = tidy_scores(read_benchmark_zip(path))
    new = tables.scores.filter(pl.col("member") == "new_bench.csv")
    assert new.select("benchmark", "benchmark_name", "base_version", "setting", "model_name", "trend_score").row(0) == (
        "new_bench",
        "new_bench",
        "x",
        "high",
        "Model X",
        0.25,
    )
    assert "new_bench.csv" in caplog.text
    assert tables.scores.filter(pl.col("member") == "mystery_external.csv").height == 0
    mystery = tables.rejections.filter(pl.col("column_name") == "mystery_external.csv")
    assert mystery.height == 1
    assert mystery["reason"][0] == ("benchmark file not described in benchmarks.yaml; expected a mean_score column")


def test_cost_per_run_is_read_in_usd_with_dollar_signs_and_thousands_separators(tmp_path: Path) -> None:
    path = _zip(
        tmp_path,
        {
            "weirdml_external.csv": (
                "Model version,Accuracy,Cost per run\n"
                'a_high,0.5,"$1,234.5"\n'  # row 1: dollars with a thousands separator
                "b,0.4,0.0004\n"  # row 2: a plain number
                "c,0.3,\n"  # row 3: no cost published, not a rejection
                "d,0.2,about 3 dollars\n"  # row 4: not a number
                "e,0.1,-1\n"  # row 5: below the seed's 0 USD
                "f,0.1,$20000\n"  # row 6: above the seed's 1e4 USD
            ),
            "gpqa_diamond.csv": "Model version,mean_score\na,0.5\n",
        },
    )
    tables = tidy_scores(read_benchmark_zip(path))
    weirdml = tables.scores.filter(pl.col("benchmark") == "weirdml")
    assert weirdml.select("model_version", "score", "cost_per_run_usd").rows() == [
        ("a_high", 0.5, 1234.5),
        ("b", 0.4, 0.0004),
        ("c", 0.3, None),
        ("d", 0.2, None),
        ("e", 0.1, None),
        ("f", 0.1, None),
    ]
    assert weirdml.schema["cost_per_run_usd"] == pl.Float64
    # a benchmark without a cost_column has no cost
    assert tables.scores.filter(pl.col("benchmark") == "gpqa_diamond")["cost_per_run_usd"].to_list() == [None]
    rejected = tables.rejections.sort("row_number").select("column_name", "row_number", "raw_value").rows()
    assert rejected == [
        ("weirdml_external.csv:Cost per run", 4, "about 3 dollars"),
        ("weirdml_external.csv:Cost per run", 5, "-1"),
        ("weirdml_external.csv:Cost per run", 6, "$20000"),
    ]


def test_the_cost_columns_are_declared_for_the_four_files_that_publish_costs() -> None:
    costs = {b.member: b.cost_column for b in load_benchmarks().values() if b.cost_column}
    assert costs == {
        "weirdml_external.csv": "Cost per run",
        "aider_polyglot_external.csv": "Cost",
        "swe_bench_bash.csv": "Avg. Cost ($)",
        "the_agent_company_external.csv": "Average costs",
    }


def test_scores_carry_their_setting_classified(tmp_path: Path) -> None:
    rows = "".join(f"m_{s},0.5\n" for s in ("low", "32K", "thinking", "none")) + "plain,0.5\n"
    path = _zip(tmp_path, {"gpqa_diamond.csv": "Model version,mean_score\n" + rows})
    scores = tidy_scores(read_benchmark_zip(path)).scores
    classified = scores.select("setting", "setting_kind", "effort_rank", "budget_tokens", "thinking").rows()
    assert classified == [
        ("low", "effort", 1, None, None),
        ("32K", "budget", None, 32000, None),
        ("thinking", "thinking", None, None, True),
        ("none", "thinking", None, None, False),
        (None, None, None, None, None),
    ]


# --- the yaml -----------------------------------------------------------------------------------------------------


def test_the_yaml_describes_every_benchmark_with_its_unit() -> None:
    benchmarks = load_benchmarks()
    assert len(benchmarks) == 45
    assert benchmarks["gpqa_diamond.csv"].benchmark == "gpqa_diamond"
    assert benchmarks[ECI].unit == "index"
    assert all(b.higher_is_better for b in benchmarks.values())
    assert all(b.member == member for member, b in benchmarks.items())


def _write_yaml(tmp_path: Path, edit: dict[str, object]) -> Path:
    document = yaml.safe_load(BENCHMARKS_FILE.read_text(encoding="utf-8"))
    document["benchmarks"][1].update(edit)
    path = tmp_path / "benchmarks.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ({"score_column": None}, r"aider_polyglot_external\.csv.*'score_column' is required"),
        ({"scale": 0}, r"aider_polyglot_external\.csv.*'scale' must be a positive number"),
        ({"scale": "100"}, r"'scale' must be a positive number"),
        ({"higher_is_better": "yes"}, r"'higher_is_better' must be true or false"),
        ({"benchmark": "Aider Polyglot"}, r"'benchmark' must be snake_case"),
        ({"benchmark": "adversarial_nli"}, r"'benchmark' repeats id 'adversarial_nli'"),
        ({"member": "adversarial_nli_external.csv"}, r"'member' repeats"),
        ({"score_colum": "x"}, r"'score_colum' is not a known field"),
        ({"cost_column": ""}, r"'cost_column' must be a column name or null"),
        ({"cost_column": 3}, r"'cost_column' must be a column name or null"),
    ],
)
def test_a_bad_yaml_entry_is_refused_naming_its_member_and_field(
    tmp_path: Path, edit: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        load_benchmarks(_write_yaml(tmp_path, edit))
