"""Guards on a new pull: each one passes on real rows (the fixture files of tests/fixtures/sources) and fails, with
the values named, on a broken copy of them. The real mirror's files pass too: tests/e2e/test_mirror_snapshots.py."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
from conftest import source_file

from pipelines.raw.guards import (
    MAX_UNPARSEABLE_RISE,
    RAW_GUARDS,
    raw_guards,
    row_count_guard,
    size_guard,
    unique_keys_guard,
)
from pipelines.raw.landing import read_source_file
from pipelines.raw.sources import SOURCES, source

NOTABLE_ROWS = 44  # the fixture's notable_ai_models.csv


def load(root: Path, name: str) -> pl.DataFrame:
    return read_source_file(source(name), source_file(root, name), "sha", datetime.now(UTC))


def test_every_fixture_file_passes_every_guard(fixture_sources: Path) -> None:
    files = {source_file(fixture_sources, src.name): src for src in SOURCES}
    fixtures = {path for path in fixture_sources.rglob("*") if path.is_file()}
    assert fixtures and fixtures <= set(files)  # each the file of a source (a new source may have none yet)
    for path in sorted(fixtures):
        src = files[path]
        frame = load(fixture_sources, src.name)
        assert frame.height > 5, src.name
        failed = [g.message for g in raw_guards(src, frame, frame.height, frame) if not g.passed]
        assert failed == [], src.name


def test_row_count_drop_over_a_fifth_fails_and_names_the_numbers() -> None:
    notable = source("notable_models")
    assert row_count_guard(notable, 800, 1000).passed  # a 20% drop is allowed, a row more is not
    assert not row_count_guard(notable, 799, 1000).passed
    failed = row_count_guard(notable, 500, 1000)
    assert not failed.passed
    assert "500 rows against 1000" in failed.message and "50%" in failed.message
    assert row_count_guard(notable, 10, None).passed


def test_duplicated_keys_fail_even_when_case_and_spaces_differ(fixture_sources: Path) -> None:
    frame = load(fixture_sources, "ml_hardware")
    copy = frame.head(1).with_columns(pl.col("Hardware name").str.to_uppercase() + "  ")
    failed = unique_keys_guard(source("ml_hardware"), pl.concat([frame, copy]))
    assert not failed.passed
    assert "2 rows share a key" in failed.message


def test_a_missing_required_column_fails_naming_it(fixture_sources: Path) -> None:
    frame = load(fixture_sources, "notable_models").rename({"Parameters": "Params"})
    failed = [g for g in raw_guards(source("notable_models"), frame, None) if not g.passed]
    assert [g.name for g in failed] == ["required_columns"]
    assert "'Parameters'" in failed[0].message


def test_dates_written_month_first_are_rejected_naming_the_column_share_and_examples(fixture_sources: Path) -> None:
    """A format change passes the column, row and key guards; the critical-column guard catches it."""
    good = load(fixture_sources, "notable_models")
    month_first = good.with_columns(
        pl.col("Publication date").str.to_date("%Y-%m-%d", strict=False).dt.strftime("%m/%d/%Y")
    )
    guards = {g.name: g for g in raw_guards(source("notable_models"), month_first, good.height, good)}
    assert [n for n, g in guards.items() if not g.passed] == ["critical_columns_parse"]
    message = guards["critical_columns_parse"].message
    assert "'Publication date'" in message and "as date" in message and "0.0% in the previous good pull" in message
    share = guards["critical_columns_parse"].metadata["Publication date"]
    assert share > 0.95
    example = month_first["Publication date"].drop_nulls()[0]
    assert example in message  # three example values are quoted


def test_a_few_more_bad_values_are_tolerated_but_not_a_jump(fixture_sources: Path) -> None:
    good = load(fixture_sources, "notable_models")
    compute = "Training compute (FLOP)"
    filled = good.filter(pl.col(compute).str.strip_chars() != "")["_row_number"]
    assert filled.len() == 23  # of the fixture's 44 models
    tolerated = int(MAX_UNPARSEABLE_RISE * filled.len())  # 1 of 23 values: 4.3%, under the 5-point rise; 2 are not

    def passes_with(rows: int) -> bool:
        """Whether the compute guard passes when the first `rows` published values are written with a unit."""
        bad = pl.col("_row_number").is_in(filled.head(rows).to_list())
        broken = good.with_columns(pl.when(bad).then(pl.lit("about 1e24")).otherwise(pl.col(compute)).alias(compute))
        guards = raw_guards(source("notable_models"), broken, good.height, good)
        return next(g for g in guards if g.name == "critical_columns_parse").passed

    assert tolerated == 1 and passes_with(tolerated) and not passes_with(tolerated + 1)
    everything_bad = good.with_columns((pl.col(compute) + " FLOP").alias(compute))
    guard = next(
        g for g in raw_guards(source("notable_models"), everything_bad, good.height, good) if g.name.startswith("crit")
    )
    assert not guard.passed and "'Training compute (FLOP)'" in guard.message


def test_added_and_removed_columns_are_listed_against_the_previous_file(fixture_sources: Path) -> None:
    from pipelines.raw.guards import column_changes

    good = load(fixture_sources, "ml_hardware")
    changed = good.drop("TDP (W)").with_columns(pl.lit("x").alias("New column"))
    assert column_changes(changed, good.columns) == (["New column"], ["TDP (W)"])
    assert column_changes(changed, None) == ([], [])


def test_six_times_the_previous_rows_fail_the_size_guard_naming_both_counts_and_nothing_else_is_checked(
    fixture_sources: Path,
) -> None:
    good = load(fixture_sources, "notable_models")
    flooded = pl.concat([good.with_columns(pl.col("Model") + f" (copy {i})") for i in range(6)])
    guards = raw_guards(source("notable_models"), flooded, good.height, good)

    assert [g.name for g in guards] == list(RAW_GUARDS)
    [failed] = [g for g in guards if not g.passed]
    assert failed.name == "size_within_limits"
    assert good.height == NOTABLE_ROWS
    assert failed.message == (
        "notable_models: 264 rows against 44 in the previous good pull (6.0 times as many; at most 5 times, "
        "220 rows, allowed)"
    )
    assert failed.metadata == {"rows": 264, "previous_rows": 44, "limit_rows": 220}
    assert all(g.message == "not evaluated: the file failed size_within_limits" for g in guards if g.passed)


def test_up_to_five_times_the_previous_rows_pass_and_a_first_pull_has_nothing_to_compare() -> None:
    notable = source("notable_models")
    assert size_guard(notable, 5000, 1000).passed
    assert not size_guard(notable, 5001, 1000).passed
    assert size_guard(notable, 2_000_000, None).passed  # its bytes are what bound a first pull (max_bytes)
