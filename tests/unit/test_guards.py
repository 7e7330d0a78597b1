"""Guards on a new pull: each one passes on the real file and fails, with the values named, on a broken one."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from pipelines.guards import raw_guards, row_count_guard, unique_keys_guard
from pipelines.raw import read_source_file
from pipelines.sources import SOURCES, source


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
