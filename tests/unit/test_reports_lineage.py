"""A page cites the sources its tables are built from, traced through the layers' own declarations, and no other."""

from __future__ import annotations

from pipelines.reports.lineage import sources_of, upstream
from pipelines.reports.registry import PAGES_BY_NAME
from pipelines.tidy.steps import all_steps as tidy_steps

MODEL_FILES = ["notable_models", "large_scale_models", "frontier_models", "all_models"]
PRICE_STUDY = ["inference_prices_aa", "inference_prices_epoch", "eval_tokens"]


def test_a_trends_table_traces_through_its_step_the_marts_and_tidy_to_its_raw_files() -> None:
    assert sources_of(["trends.test_time_scaling"]) == [*MODEL_FILES, "benchmark_data", "eval_tokens"]
    assert sources_of(["marts.hardware"]) == ["ml_hardware"]
    assert sources_of(["tidy.owid_series"]) == [
        "owid_training_computation", "owid_compute_growth", "owid_mmlu_vs_compute", "owid_large_scale_by_domain"
    ]  # fmt: skip


def test_a_side_table_stands_for_every_writer_it_has() -> None:
    assert upstream()["ops.model_snapshots"] == ("tidy.models",)
    assert len(sources_of(["marts.source_files"])) == 13  # the pulls of every source
    every_tidy_table = [f"tidy.{table}" for step in tidy_steps() for table in step.tables]
    assert sources_of(["marts.rejected_values"]) == sources_of(every_tidy_table)


def test_the_benchmarks_page_cites_neither_owid_nor_the_price_study() -> None:
    cited = sources_of(PAGES_BY_NAME["benchmarks"].tables)
    assert cited == [*MODEL_FILES, "benchmark_data"]
    assert not set(cited) & {*PRICE_STUDY, "owid_training_computation"}
    assert set(PRICE_STUDY) <= set(sources_of(PAGES_BY_NAME["per_dollar_vs_per_year"].tables))
