"""Tidy model, hardware and OWID tables on the real published files (read from the mirror directory)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from pipelines.raw.landing import read_csv_text
from pipelines.raw.sources import source
from pipelines.tidy.hardware import tidy_hardware
from pipelines.tidy.models import tidy_models
from pipelines.tidy.owid import tidy_owid


def mirror_file(root: Path, name: str) -> Path:
    url = source(name).url.split("?")[0]
    return root / url.split("://", 1)[1]


@pytest.fixture(scope="module")
def model_tables(shared_sources: Path):
    names = ("notable_models", "frontier_models", "large_scale_models")
    return tidy_models({n: read_csv_text(mirror_file(shared_sources, n)) for n in names})


def test_notable_models_count_matches_the_mirror_readme(model_tables) -> None:
    models = model_tables.models
    assert models["model_key"].is_unique().all()
    assert models.filter(pl.col("in_notable_models")).height == 1036
    assert models.filter(pl.col("in_frontier_models")).height == 137
    assert models.filter(pl.col("in_large_scale_models")).height == 473


def test_list_valued_dataset_size_is_rejected_and_counted(model_tables) -> None:
    rejected = model_tables.rejections.filter(pl.col("column_name") == "Training dataset size (total)")
    several = rejected.filter(pl.col("reason").str.starts_with("several values"))
    assert several.height >= 1
    assert "2260275840,2290000001" in several["raw_value"].to_list()
    row = several.filter(pl.col("raw_value") == "2260275840,2290000001").row(0, named=True)
    assert row["source"] == "notable_models" and row["row_number"] > 0
    # the value is null in tidy.tokens, not a made-up number: that model's notable row carries no dataset size
    notable_tokens = model_tables.tokens.filter(pl.col("source") == "notable_models")
    assert notable_tokens.height < 1036


def test_model_named_infinity_is_kept(model_tables) -> None:
    infinity = model_tables.models.filter(pl.col("model_name") == "Infinity")
    assert infinity.height == 1
    assert infinity["model_key"][0] == "infinity"


def test_non_finite_numbers_are_rejected_not_kept(model_tables) -> None:
    for table, column in [(model_tables.compute, "training_compute_flop"), (model_tables.params, "parameters")]:
        assert table[column].is_finite().all() and (table[column] > 0).all()


def test_compute_values_are_physical(model_tables) -> None:
    compute = model_tables.compute.filter(pl.col("source") == "notable_models")["training_compute_flop"]
    assert compute.len() == 529  # every published compute value of the notable file parses
    assert compute.min() > 1 and compute.max() < 1e28


def test_hardware(shared_sources: Path) -> None:
    hardware, rejections = tidy_hardware(read_csv_text(mirror_file(shared_sources, "ml_hardware")))
    assert hardware.height == 176
    assert hardware["release_date"].null_count() < 176
    assert hardware.filter(pl.col("fp32_flops").is_not_null()).height > 100
    assert set(rejections.columns) >= {"source", "column_name", "row_number", "raw_value", "reason"}


def test_owid_split_name_repaired_and_trend_lines_dropped(shared_sources: Path) -> None:
    raw = read_csv_text(mirror_file(shared_sources, "owid_training_computation"))
    series, _ = tidy_owid(raw, "owid_training_computation")
    assert "GPT-3.5 (davinci-002)" in series["entity"].to_list()
    assert series["entity"].null_count() == 0
    growth, _ = tidy_owid(read_csv_text(mirror_file(shared_sources, "owid_compute_growth")), "owid_compute_growth")
    assert not growth["entity"].str.contains("x/year").any()
    assert growth.height > 400


# reasons of the plausibility rules, the NaN/Infinity check, repeated headers and control characters (issue 18)
PLAUSIBILITY_REASONS = (
    "outside the plausible range",
    "before the earliest plausible date",
    "after the pull",
    "not a finite number",
    "repeated header row",
    "control character",
)


def test_no_published_value_of_the_mirror_is_rejected_as_implausible(shared_sources: Path, model_tables) -> None:
    from pipelines.raw.landing import read_benchmark_zip
    from pipelines.tidy.benchmarks import tidy_scores

    rejections = [model_tables.rejections, tidy_hardware(read_csv_text(mirror_file(shared_sources, "ml_hardware")))[1]]
    rejections.append(tidy_scores(read_benchmark_zip(mirror_file(shared_sources, "benchmark_data"))).rejections)
    for name in ("owid_training_computation", "owid_compute_growth"):
        rejections.append(tidy_owid(read_csv_text(mirror_file(shared_sources, name)), name)[1])
    every = pl.concat(rejections)
    implausible = every.filter(pl.any_horizontal(pl.col("reason").str.starts_with(r) for r in PLAUSIBILITY_REASONS))
    assert implausible.rows() == []
    assert every.height > 0  # the file's real problems (a list in a number cell, ...) are still recorded
