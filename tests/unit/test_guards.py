"""Guards on a new pull: each one passes on the real file and fails, with the values named, on a broken one."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from pipelines.raw.guards import RAW_GUARDS, raw_guards, row_count_guard, size_guard, unique_keys_guard
from pipelines.raw.landing import read_source_file
from pipelines.raw.sources import SOURCES, source


def load(root: Path, name: str) -> pl.DataFrame:
    src = source(name)
    return read_source_file(src, root / src.url.split("://")[1].split("?")[0], "sha", datetime.now(UTC))


def test_every_real_file_passes_every_guard(shared_sources: Path) -> None:
    for src in SOURCES:
        path = shared_sources / src.url.split("://")[1].split("?")[0]
        if not path.exists():
            continue
        frame = read_source_file(src, path, "sha", datetime.now(UTC))
        failed = [g.message for g in raw_guards(src, frame, frame.height) if not g.passed]
        assert failed == [], src.name


def test_row_count_drop_over_a_fifth_fails_and_names_the_numbers() -> None:
    notable = source("notable_models")
    assert row_count_guard(notable, 829, 1036).passed  # a 20% drop is allowed
    failed = row_count_guard(notable, 518, 1036)
    assert not failed.passed
    assert "518 rows against 1036" in failed.message and "50%" in failed.message
    assert row_count_guard(notable, 10, None).passed


def test_duplicated_keys_fail_even_when_case_and_spaces_differ(shared_sources: Path) -> None:
    frame = load(shared_sources, "ml_hardware")
    copy = frame.head(1).with_columns(pl.col("Hardware name").str.to_uppercase() + "  ")
    failed = unique_keys_guard(source("ml_hardware"), pl.concat([frame, copy]))
    assert not failed.passed
    assert "2 rows share a key" in failed.message


def test_missing_required_column_is_named(shared_sources: Path) -> None:
    frame = load(shared_sources, "notable_models").rename({"Parameters": "Params"})
    failed = [g for g in raw_guards(source("notable_models"), frame, None) if not g.passed]
    assert [g.name for g in failed] == ["required_columns"]
    assert "'Parameters'" in failed[0].message


def test_dates_written_month_first_are_rejected_naming_the_column_share_and_examples(shared_sources: Path) -> None:
    """A format change passes the column, row and key guards; the critical-column guard catches it."""
    good = load(shared_sources, "notable_models")
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


def test_a_few_more_bad_values_are_tolerated_but_not_a_jump(shared_sources: Path) -> None:
    good = load(shared_sources, "notable_models")
    compute = "Training compute (FLOP)"
    bad_rows = good.with_columns(
        pl.when(pl.col("_row_number") <= 20).then(pl.lit("about 1e24")).otherwise(pl.col(compute)).alias(compute)
    )
    guard = next(
        g for g in raw_guards(source("notable_models"), bad_rows, good.height, good) if g.name.startswith("crit")
    )
    assert guard.passed, guard.message  # 20 of ~1000 values: under the 5-point rise
    everything_bad = good.with_columns((pl.col(compute) + " FLOP").alias(compute))
    guard = next(
        g for g in raw_guards(source("notable_models"), everything_bad, good.height, good) if g.name.startswith("crit")
    )
    assert not guard.passed and "'Training compute (FLOP)'" in guard.message


def test_added_and_removed_columns_are_listed(shared_sources: Path) -> None:
    from pipelines.raw.guards import column_changes

    good = load(shared_sources, "ml_hardware")
    changed = good.drop("TDP (W)").with_columns(pl.lit("x").alias("New column"))
    assert column_changes(changed, good.columns) == (["New column"], ["TDP (W)"])
    assert column_changes(changed, None) == ([], [])


def test_six_times_the_previous_rows_fail_the_size_guard_naming_both_counts_and_nothing_else_is_checked(
    shared_sources: Path,
) -> None:
    good = load(shared_sources, "notable_models")
    flooded = pl.concat([good.with_columns(pl.col("Model") + f" (copy {i})") for i in range(6)])
    guards = raw_guards(source("notable_models"), flooded, good.height, good)

    assert [g.name for g in guards] == list(RAW_GUARDS)
    [failed] = [g for g in guards if not g.passed]
    assert failed.name == "size_within_limits"
    assert failed.message == (
        "notable_models: 6,216 rows against 1,036 in the previous good pull (6.0 times as many; at most 5 times, "
        "5,180 rows, allowed)"
    )
    assert failed.metadata == {"rows": 6216, "previous_rows": 1036, "limit_rows": 5180}
    assert all(g.message == "not evaluated: the file failed size_within_limits" for g in guards if g.passed)


def test_up_to_five_times_the_previous_rows_pass_and_a_first_pull_has_nothing_to_compare() -> None:
    notable = source("notable_models")
    assert size_guard(notable, 5180, 1036).passed
    assert not size_guard(notable, 5181, 1036).passed
    assert size_guard(notable, 2_000_000, None).passed  # its bytes are what bound a first pull (max_bytes)
