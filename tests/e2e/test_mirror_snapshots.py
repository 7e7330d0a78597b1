"""The real mirror's snapshots (../shared/sources, or SCALING_SOURCES_MIRROR): what each file holds, and what the
pipeline makes of them, file by file and in the session's build.

Every count of the real files the suite asserts is in the tables at the top of this module. Other end-to-end modules
derive theirs (from the served files, or from the session's build); unit tests read the small mirror of trimmed real
rows in tests/fixtures/sources, with counts of their own. A new snapshot of the mirror changes these tables and
nothing else in the suite (and `tests/fixtures/make_fixtures.py` may then be run again).
"""

from __future__ import annotations

import csv
import sys
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from conftest import count, implausible, published_records, source_file

from pipelines.raw.guards import raw_guards
from pipelines.raw.landing import read_benchmark_zip, read_csv_text, read_source_file
from pipelines.raw.sources import SOURCES, Source
from pipelines.tidy.benchmarks import load_benchmarks, tidy_scores
from pipelines.tidy.hardware import tidy_hardware
from pipelines.tidy.models import tidy_models
from pipelines.tidy.owid import tidy_owid

pytestmark = pytest.mark.e2e


@dataclass(frozen=True)
class Snapshot:
    """One published file as the mirror holds it: its size, the records a CSV parser reads past the header (for the
    zip, over all its members) and its columns (for the zip, its members)."""

    bytes: int
    records: int
    columns: int


# The mirror's files (see its README; its row counts are rounded or leave out rows that are not models, these are not)
SNAPSHOTS: dict[str, Snapshot] = {
    "notable_models": Snapshot(2_199_015, 1036, 47),
    "large_scale_models": Snapshot(1_002_101, 473, 34),
    "frontier_models": Snapshot(372_802, 137, 61),
    "ml_hardware": Snapshot(97_097, 176, 39),
    "benchmark_data": Snapshot(291_221, 3690, 45),  # 45 members, one a benchmark, and ECI
    "owid_training_computation": Snapshot(22_952, 519, 4),  # 518 models: one record is split over two lines
    "owid_compute_growth": Snapshot(16_867, 469, 4),  # OWID's trend lines included
    "owid_mmlu_vs_compute": Snapshot(1_543, 25, 7),
    "owid_large_scale_by_domain": Snapshot(1_643, 84, 4),
    "inference_prices_aa": Snapshot(2_784, 38, 12),
    "inference_prices_epoch": Snapshot(1_855, 35, 12),
    "eval_tokens": Snapshot(12_463, 185, 7),
}
ABSENT = ("all_models",)  # optional, and not mirrored: fetched, it answers 404
MODEL_FILES = ("notable_models", "frontier_models", "large_scale_models")
OWID_FILES = ("owid_training_computation", "owid_compute_growth", "owid_mmlu_vs_compute", "owid_large_scale_by_domain")

# What the tidy layer makes of the model, hardware and OWID files
TIDY_MODELS = {
    "models": 1376,  # one per model over the three model files
    "notable": 1036,
    "frontier": 137,
    "large_scale": 473,
    "notable compute values": 529,  # every published compute value of the notable file parses
    "notable dataset sizes": 661,
    "model rejections": 288,
    "hardware": 176,
    "hardware with fp32": 127,
    "owid_training_computation": 518,
    "owid_compute_growth": 465,  # trend lines dropped
    "owid_mmlu_vs_compute": 75,
    "owid_large_scale_by_domain": 84,
}

# What the tidy layer makes of the benchmark zip
TIDY_SCORES = {
    "zip rows": 3690,
    "members": 45,
    "gpqa_diamond rows": 145,
    "scores": 3034,
    "benchmarks": 45,
    "scores not in 0-1 (eci, metr, webdev arena)": 282 + 33 + 27,
    "rows repeating a (benchmark, version)": 659,  # one row per scaffold, agent or shots
    "terminal_bench scores": 67,
    "terminal_bench versions": 26,
    "rejections (empty Model version)": 414,
    "bool_q rejections": 70,
    "unmatched rows": 203,
    "unmatched versions": 93,  # ECI leaves `Model name` empty for 95 versions, 93 of them scored
    "scores without a model name": 233,
    "scores without a setting": 2525,
}


def at_least(n: int) -> range:
    return range(n, sys.maxsize)


# What the session's build holds: exact counts, or a range where the count rests on a rule or a fit
WAREHOUSE: dict[str, int | range] = {
    **{f"select count(*) from raw.{name}": s.records for name, s in SNAPSHOTS.items()},
    "select count(*) from tidy.models where in_notable_models": 1036,
    "select count(*) from tidy.scores": 3034,
    "select count(distinct benchmark) from tidy.scores": 45,
    "select count(*) from tidy.hardware": 176,
    "select count(*) from tidy.owid_series": 518 + 465 + 75 + 84,
    "select count(*) from ops.rejected_values where source = 'benchmark_data'": 414,
    "select count(*) from marts.models": 1376,
    "select count(*) from marts.models where is_frontier_epoch": 137,
    "select count(*) from marts.models where is_frontier_top10": range(51, 400),
    "select count(*) from marts.models where n_benchmarks > 0": at_least(101),
    # the benchmark file publishes compute for every row whose model has one; the rule is the fallback
    "select count(*) from marts.benchmark_scores where compute_source = 'benchmark_file'": at_least(1001),
    "select n from trends.fits where metric = 'training_compute' and subset = 'notable' and window_kind = 'full'": (
        at_least(401)
    ),
    "select count(*) from trends.fits where status = 'ok'": at_least(801),
}
# OWID republishes Epoch's notable-model compute: nearly every model agrees within 1%
RECONCILIATION = {"agree": 516, "differ": 1, "only_in_owid": 1, "only_in_models": 12}


def test_every_file_of_the_mirror_has_the_size_records_and_columns_of_its_snapshot(shared_sources: Path) -> None:
    assert set(SNAPSHOTS) | set(ABSENT) <= {s.name for s in SOURCES}
    found = {}
    for name in SNAPSHOTS:
        path = source_file(shared_sources, name)
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as archive:
                columns = len(archive.namelist())
        else:
            with path.open(newline="", encoding="utf-8") as handle:
                columns = len(next(csv.reader(handle)))
        found[name] = Snapshot(path.stat().st_size, published_records(path), columns)
    assert found == SNAPSHOTS
    assert not any(source_file(shared_sources, name).exists() for name in ABSENT)


def test_every_member_of_the_benchmark_zip_is_described_in_benchmarks_yaml(shared_sources: Path) -> None:
    with zipfile.ZipFile(source_file(shared_sources, "benchmark_data")) as archive:
        members = archive.namelist()
    assert len(members) == SNAPSHOTS["benchmark_data"].columns
    assert set(members) == set(load_benchmarks())


def mirrored(shared_sources: Path) -> list[tuple[Source, Path]]:
    """Every source with a file in the mirror (one added since the snapshot too), and that file."""
    found = [(src, source_file(shared_sources, src.name)) for src in SOURCES]
    return [(src, path) for src, path in found if path.is_file()]


def test_every_file_is_several_times_under_its_limits(shared_sources: Path) -> None:
    assert len(mirrored(shared_sources)) >= len(SNAPSHOTS)
    for src, path in mirrored(shared_sources):
        assert path.stat().st_size * 4 < src.max_bytes, src.name
        if src.format == "zip":
            with zipfile.ZipFile(path) as archive:
                assert sum(i.file_size for i in archive.infolist()) * 4 < src.max_unpacked_bytes, src.name


def test_every_file_passes_every_guard(shared_sources: Path) -> None:
    assert len(mirrored(shared_sources)) >= len(SNAPSHOTS)
    for src, path in mirrored(shared_sources):
        frame = read_source_file(src, path, "sha", datetime.now(UTC))
        failed = [g.message for g in raw_guards(src, frame, frame.height, frame) if not g.passed]
        assert failed == [], src.name


@pytest.fixture(scope="module")
def model_tables(shared_sources: Path):
    return tidy_models({name: read_csv_text(source_file(shared_sources, name)) for name in MODEL_FILES})


@pytest.fixture(scope="module")
def raw_scores(shared_sources: Path) -> pl.DataFrame:
    return read_benchmark_zip(source_file(shared_sources, "benchmark_data"))


def test_the_model_hardware_and_owid_files_tidy_to_their_known_counts(shared_sources: Path, model_tables) -> None:
    models, notable = model_tables.models, pl.col("source") == "notable_models"
    hardware, _ = tidy_hardware(read_csv_text(source_file(shared_sources, "ml_hardware")))
    found = {
        "models": models.height,
        "notable": models.filter(pl.col("in_notable_models")).height,
        "frontier": models.filter(pl.col("in_frontier_models")).height,
        "large_scale": models.filter(pl.col("in_large_scale_models")).height,
        "notable compute values": model_tables.compute.filter(notable).height,
        "notable dataset sizes": model_tables.tokens.filter(notable).height,
        "model rejections": model_tables.rejections.height,
        "hardware": hardware.height,
        "hardware with fp32": hardware.filter(pl.col("fp32_flops").is_not_null()).height,
    }
    for name in OWID_FILES:
        found[name] = tidy_owid(read_csv_text(source_file(shared_sources, name)), name)[0].height
    assert found == TIDY_MODELS


def test_the_benchmark_zip_tidies_to_its_known_scores_repeats_rejections_and_unnamed_versions(
    raw_scores: pl.DataFrame,
) -> None:
    tables = tidy_scores(raw_scores)
    scores, rejections = tables.scores, tables.rejections
    terminal = scores.filter(pl.col("benchmark") == "terminal_bench")
    found = {
        "zip rows": raw_scores.height,
        "members": raw_scores["_member"].n_unique(),
        "gpqa_diamond rows": raw_scores.filter(pl.col("_member") == "gpqa_diamond.csv").height,
        "scores": scores.height,
        "benchmarks": scores["benchmark"].n_unique(),
        "scores not in 0-1 (eci, metr, webdev arena)": scores.filter(pl.col("unit") != "fraction").height,
        "rows repeating a (benchmark, version)": scores.height - scores.select("benchmark", "model_version").n_unique(),
        "terminal_bench scores": terminal.height,
        "terminal_bench versions": terminal["model_version"].n_unique(),
        "rejections (empty Model version)": rejections.filter(pl.col("reason").str.starts_with("empty Model")).height,
        "bool_q rejections": rejections.filter(pl.col("column_name").str.starts_with("bool_q_external.csv")).height,
        "unmatched rows": tables.unmatched.height,
        "unmatched versions": tables.unmatched["model_version"].n_unique(),
        "scores without a model name": scores["model_name"].null_count(),
        "scores without a setting": scores["setting"].null_count(),
    }
    assert found == TIDY_SCORES
    assert rejections.height == TIDY_SCORES["rejections (empty Model version)"]  # no cell fails to parse


def test_no_published_value_of_the_mirror_is_rejected_as_implausible(
    shared_sources: Path, model_tables, raw_scores: pl.DataFrame
) -> None:
    rejections = [model_tables.rejections, tidy_scores(raw_scores).rejections]
    rejections.append(tidy_hardware(read_csv_text(source_file(shared_sources, "ml_hardware")))[1])  # none
    for name in OWID_FILES:
        rejections.append(tidy_owid(read_csv_text(source_file(shared_sources, name)), name)[1])
    every = pl.concat(rejections)
    assert implausible(every) == []
    assert every.height == TIDY_MODELS["model rejections"] + TIDY_SCORES["rejections (empty Model version)"]


def test_the_session_build_holds_the_counts_of_the_snapshot(con) -> None:
    def meets(n: int, expected: int | range) -> bool:
        return n in expected if isinstance(expected, range) else n == expected

    found = {sql: count(con, sql) for sql in WAREHOUSE}
    assert found == {sql: n if meets(n, WAREHOUSE[sql]) else WAREHOUSE[sql] for sql, n in found.items()}


def test_owid_and_epoch_compute_agree_for_all_but_a_known_few_models(con) -> None:
    statuses = dict(con.execute("select status, count(*) from marts.owid_compute_reconciliation group by 1").fetchall())
    assert statuses == RECONCILIATION
