"""Tidy model, hardware and OWID tables on real published rows: the fixture files of tests/fixtures/sources (which rows,
and why: tests/fixtures/make_fixtures.py). The real mirror's counts are asserted in tests/e2e/test_mirror_snapshots.py.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from conftest import implausible, source_file

from pipelines.raw.landing import read_benchmark_zip, read_csv_text
from pipelines.tidy.benchmarks import tidy_scores
from pipelines.tidy.hardware import tidy_hardware
from pipelines.tidy.models import tidy_models
from pipelines.tidy.owid import tidy_owid

MODEL_FILES = ("notable_models", "frontier_models", "large_scale_models")
# the fixture files' records: 44 notable, 14 frontier, 18 large-scale models, 36 hardware rows
ROWS = {"notable_models": 44, "frontier_models": 14, "large_scale_models": 18, "ml_hardware": 36}


@pytest.fixture(scope="module")
def model_tables(fixture_sources: Path):
    return tidy_models({n: read_csv_text(source_file(fixture_sources, n)) for n in MODEL_FILES})


def test_every_model_of_each_file_is_one_model_and_a_model_in_several_files_is_one_row(model_tables) -> None:
    models = model_tables.models
    assert models["model_key"].is_unique().all()
    assert models.filter(pl.col("in_notable_models")).height == ROWS["notable_models"]
    assert models.filter(pl.col("in_frontier_models")).height == ROWS["frontier_models"]
    assert models.filter(pl.col("in_large_scale_models")).height == ROWS["large_scale_models"]
    # the fixture keeps every frontier and large-scale model in the notable file too, as most are in the real ones
    assert models.height == 62 < sum(ROWS[n] for n in MODEL_FILES)
    gpt35 = models.filter(pl.col("model_name") == "GPT-3.5 (davinci-002)")  # a trailing newline in two files
    assert gpt35.select("in_notable_models", "in_frontier_models").rows() == [(True, True)]


def test_a_list_valued_dataset_size_is_rejected_counted_and_left_null(fixture_sources: Path, model_tables) -> None:
    rejected = model_tables.rejections.filter(pl.col("column_name") == "Training dataset size (total)")
    several = rejected.filter(pl.col("reason").str.starts_with("several values"))
    assert several["raw_value"].to_list() == ["2260275840,2290000001"]
    row = several.row(0, named=True)
    assert row["source"] == "notable_models" and row["row_number"] > 0
    # the value is null in tidy.tokens, not a made-up number: that model's notable row carries no dataset size
    notable_tokens = model_tables.tokens.filter(pl.col("source") == "notable_models")
    assert notable_tokens.height == 20 < ROWS["notable_models"]
    raw = read_csv_text(source_file(fixture_sources, "notable_models"))
    name = raw.filter(pl.col("_row_number") == row["row_number"])["Model"].str.strip_chars()[0]
    [key] = model_tables.models.filter(pl.col("model_name") == name)["model_key"].to_list()
    assert key not in notable_tokens["model_key"].to_list()


def test_a_model_named_infinity_is_kept(model_tables) -> None:
    infinity = model_tables.models.filter(pl.col("model_name") == "Infinity")
    assert infinity.height == 1
    assert infinity["model_key"][0] == "infinity"


def test_non_finite_numbers_are_rejected_not_kept(model_tables) -> None:
    for table, column in [(model_tables.compute, "training_compute_flop"), (model_tables.params, "parameters")]:
        assert table.height > 0
        assert table[column].is_finite().all() and (table[column] > 0).all()


def test_every_published_compute_value_of_the_notable_file_parses_to_a_physical_number(model_tables) -> None:
    compute = model_tables.compute.filter(pl.col("source") == "notable_models")["training_compute_flop"]
    assert compute.len() == 23  # the fixture's notable models with a compute value: every one parses
    assert compute.min() > 1 and compute.max() < 1e28


def test_hardware_rows_are_tidied_with_their_dates_and_fp32_performance(fixture_sources: Path) -> None:
    hardware, rejections = tidy_hardware(read_csv_text(source_file(fixture_sources, "ml_hardware")))
    assert hardware.height == ROWS["ml_hardware"]
    assert hardware["release_date"].null_count() == 3
    assert hardware.filter(pl.col("fp32_flops").is_not_null()).height == 28
    assert set(rejections.columns) >= {"source", "column_name", "row_number", "raw_value", "reason"}


def test_owid_split_name_is_repaired_and_its_trend_lines_are_dropped(fixture_sources: Path) -> None:
    raw = read_csv_text(source_file(fixture_sources, "owid_training_computation"))
    series, _ = tidy_owid(raw, "owid_training_computation")
    assert "GPT-3.5 (davinci-002)" in series["entity"].to_list()
    assert series["entity"].null_count() == 0
    assert series.height == 53  # 54 records, the malformed one two of them
    growth_raw = read_csv_text(source_file(fixture_sources, "owid_compute_growth"))
    assert growth_raw["Entity"].str.contains("x/year").sum() == 4  # the fixture keeps OWID's trend lines
    growth, _ = tidy_owid(growth_raw, "owid_compute_growth")
    assert not growth["entity"].str.contains("x/year").any()
    assert growth.height == 47


def test_no_published_value_is_rejected_as_implausible(fixture_sources: Path, model_tables) -> None:
    """On the fixture's real rows; tests/e2e/test_mirror_snapshots.py asks the same of every row of the mirror."""
    rejections = [model_tables.rejections]
    rejections.append(tidy_hardware(read_csv_text(source_file(fixture_sources, "ml_hardware")))[1])
    rejections.append(tidy_scores(read_benchmark_zip(source_file(fixture_sources, "benchmark_data"))).rejections)
    for name in ("owid_training_computation", "owid_compute_growth"):
        rejections.append(tidy_owid(read_csv_text(source_file(fixture_sources, name)), name)[1])
    every = pl.concat(rejections)
    assert implausible(every) == []
    # the files' real problems (a list in a number cell, a zero cost, an unattributed score) are still recorded
    assert every.height > 0 and "several values in one cell; expected one number" in every["reason"].to_list()
