"""Size limits: a file past its source's bytes (downloaded, or unpacked from a zip) or with many times the previous
pull's rows is rejected as a file, naming its size and the limit, in bounded memory, and the previous table stays."""

from __future__ import annotations

import dataclasses
import io
import json
import struct
import tracemalloc
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest
from conftest import warehouse_rows
from dagster_duckdb import DuckDBResource

from pipelines.defs.resources import PathsResource, warehouse_connection
from pipelines.raw import journal
from pipelines.raw.fetch import Fetcher, FetchError, TooLarge, build_session
from pipelines.raw.landing import Landing, read_source_file
from pipelines.raw.landing import land_source as land_with
from pipelines.raw.sources import MiB, source
from pipelines.settings import Settings

BENCHMARKS = "epoch.ai/data/benchmark_data.zip"
NOTABLE = "epoch.ai/data/notable_ai_models.csv"
FLOOD_BYTES = 116_000_000  # the review's flooded member: one row repeated to 116 MB of text


def flooded_zip(real: Path, flood_bytes: int, *, declared: int | None = None) -> bytes:
    """The (fixture) benchmark zip plus `flood.csv`, one real row repeated to `flood_bytes`; with `declared`, the
    member's local header and directory entry claim that size instead (a directory that lies)."""
    with zipfile.ZipFile(real) as archive:
        header, row = archive.read("gpqa_diamond.csv").decode("utf-8-sig").splitlines()[:2]
    buffer = io.BytesIO(real.read_bytes())
    rows = (row + "\n").encode() * (MiB // len(row))
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_DEFLATED) as archive, archive.open("flood.csv", "w") as member:
        member.write(f"{header}\n".encode())
        for _ in range(flood_bytes // len(rows)):
            member.write(rows)
    data = bytearray(buffer.getvalue())
    if declared is not None:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            local = archive.getinfo("flood.csv").header_offset
        central = data.rfind(b"PK\x01\x02")  # the last directory entry: the member appended last
        assert data[central + 46 : central + 55] == b"flood.csv"
        struct.pack_into("<I", data, local + 22, declared)  # uncompressed size, local header
        struct.pack_into("<I", data, central + 24, declared)  # uncompressed size, directory entry
    return bytes(data)


def peak_memory(work: Callable[[], object]) -> tuple[int, BaseException | None]:
    """The peak of Python's allocations while `work` runs, and what it raised."""
    tracemalloc.start()
    try:
        work()
        raised = None
    except BaseException as exc:
        raised = exc
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak, raised


def serve(http_mirror, tmp_path: Path, files: dict[str, bytes]) -> Path:
    """A mirror directory holding `files` (paths as in a mirror), served by `http_mirror`."""
    root = tmp_path / "served"
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    http_mirror.root = root
    return root


def fetcher(raw: Path, mirror: str) -> Fetcher:
    return Fetcher(raw, mirror, session=build_session(retries=1, backoff=0), connect_timeout=2.0, read_timeout=10.0)


def test_a_flooded_zip_is_rejected_from_its_directory_before_a_byte_is_unpacked(
    tmp_path, http_mirror, fixture_sources
) -> None:
    body = flooded_zip(fixture_sources / BENCHMARKS, FLOOD_BYTES)
    assert len(body) < MiB  # small to download: only unpacking would take the memory
    serve(http_mirror, tmp_path, {BENCHMARKS: body})

    peak, raised = peak_memory(lambda: fetcher(tmp_path / "raw", http_mirror.base_url).fetch(source("benchmark_data")))

    assert isinstance(raised, TooLarge), raised
    message = str(raised)
    assert "whose directory declares" in message and "(the largest member, 'flood.csv', 11" in message
    assert "over its max_unpacked_bytes limit of 33,554,432 bytes (32.0 MiB); not unpacked" in message
    with zipfile.ZipFile(io.BytesIO(body)) as archive:  # what its directory declares, every member together
        assert raised.size == sum(i.file_size for i in archive.infolist()) > FLOOD_BYTES * 0.99
    assert raised.limit == 32 * MiB
    [attempt] = raised.attempts
    assert (attempt.outcome, attempt.bytes, attempt.path) == ("failed", len(body), None)
    assert attempt.sha256 is not None and "max_unpacked_bytes" in attempt.error
    assert peak < 16 * MiB, peak
    assert not (tmp_path / "raw").exists()


def test_a_zip_whose_directory_understates_a_member_is_stopped_as_it_unpacks(
    tmp_path, http_mirror, fixture_sources
) -> None:
    body = flooded_zip(fixture_sources / BENCHMARKS, FLOOD_BYTES, declared=1000)
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        assert archive.getinfo("flood.csv").file_size == 1000  # what the directory says
    serve(http_mirror, tmp_path, {BENCHMARKS: body})

    peak, raised = peak_memory(lambda: fetcher(tmp_path / "raw", http_mirror.base_url).fetch(source("benchmark_data")))

    assert isinstance(raised, TooLarge), raised
    message = str(raised)
    assert "by member 'flood.csv' (its directory declares 1,000 bytes for it)" in message
    assert "over its max_unpacked_bytes limit of 33,554,432 bytes (32.0 MiB); unpacking stopped there" in message
    assert 32 * MiB < raised.size <= 32 * MiB + (1 << 16)
    assert f"members unpack to {raised.size:,} bytes" in message
    assert peak < 3 * 32 * MiB, peak  # the counted chunks of one member at most, never the 116 MB
    assert not (tmp_path / "raw").exists()


def test_a_zip_member_shorter_than_its_directory_says_is_corrupt(tmp_path, http_mirror, fixture_sources) -> None:
    serve(http_mirror, tmp_path, {BENCHMARKS: flooded_zip(fixture_sources / BENCHMARKS, 2 * MiB, declared=3 * MiB)})
    with pytest.raises(FetchError, match=r"member 'flood.csv' unpacks to [\d,]+ bytes .* directory declares 3,1"):
        fetcher(tmp_path / "raw", http_mirror.base_url).fetch(source("benchmark_data"))


@pytest.fixture
def warehouse_of(tmp_path, http_mirror) -> tuple[PathsResource, DuckDBResource]:
    """A data dir and warehouse fetching from `http_mirror`, as the ingest assets see them."""
    data = tmp_path / "data"
    data.mkdir()
    settings = Settings(data, data / "warehouse.duckdb", tmp_path / "reports", http_mirror.base_url, fetch_backoff_s=0)
    return PathsResource.from_settings(settings), DuckDBResource(database=str(settings.warehouse_path))


def query(warehouse: DuckDBResource, sql: str) -> list[tuple]:
    return warehouse_rows(Path(warehouse.database), sql)


def copies(path: Path, times: int) -> bytes:
    """The CSV with its rows `times` times, each copy's model names made unique (so only the count is wrong)."""
    frame = pl.read_csv(path, infer_schema=False)
    stacked = pl.concat(frame.with_columns(pl.col("Model") + f" (copy {i})") for i in range(times))
    return stacked.write_csv().encode()


def land_source(source_row, paths, warehouse) -> Landing:
    """One pull of `source_row` into the warehouse resource's database, as its raw asset lands it."""
    return land_with(source_row, paths.settings, lambda: warehouse_connection(warehouse))


def test_a_file_with_six_times_the_previous_rows_is_rejected_and_the_table_stays(
    tmp_path, http_mirror, fixture_sources, warehouse_of
) -> None:
    paths, warehouse = warehouse_of
    notable = source("notable_models")
    root = serve(http_mirror, tmp_path, {NOTABLE: (fixture_sources / NOTABLE).read_bytes()})
    assert land_source(notable, paths, warehouse).loaded
    (root / NOTABLE).write_bytes(copies(fixture_sources / NOTABLE, 6))

    landing = land_source(notable, paths, warehouse)

    [failed] = [g for g in landing.guards if not g.passed]
    assert failed.name == "size_within_limits" and not landing.loaded
    # the fixture file's 44 models, then six copies of them
    assert "264 rows against 44 in the previous good pull (6.0 times as many; at most 5 times" in failed.message
    assert query(warehouse, "select count(*) from raw.notable_models") == [(44,)]
    versions = query(warehouse, "select status, rows, reason from ops.source_versions order by fetched_at")
    assert [v[:2] for v in versions] == [("loaded", 44), ("rejected", 264)] and versions[1][2] == failed.message


def test_a_download_past_max_bytes_is_recorded_as_a_rejected_file_and_the_table_stays(
    tmp_path, http_mirror, fixture_sources, warehouse_of
) -> None:
    paths, warehouse = warehouse_of
    notable = dataclasses.replace(source("notable_models"), max_bytes=MiB // 4)  # the fixture file: 115,690 bytes
    root = serve(http_mirror, tmp_path, {NOTABLE: (fixture_sources / NOTABLE).read_bytes()})
    assert land_source(notable, paths, warehouse).loaded
    (root / NOTABLE).write_bytes(copies(fixture_sources / NOTABLE, 3))

    landing = land_source(notable, paths, warehouse)

    [failed] = [g for g in landing.guards if not g.passed]
    assert failed.name == "size_within_limits" and not landing.loaded and landing.held_rows == 44
    assert "over its max_bytes limit of 262,144 bytes; not downloaded" in failed.message
    assert query(warehouse, "select count(*) from raw.notable_models") == [(44,)]
    versions = query(warehouse, "select status, sha256, bytes, reason from ops.source_versions order by fetched_at")
    assert [v[:3] for v in versions] == [("loaded", versions[0][1], 115_690), ("rejected", "unknown", 0)]
    assert versions[1][3] == failed.message
    journaled = [row for row in journal_rows(paths.raw_dir, "source_versions") if row["status"] == "rejected"]
    assert [row["reason"] for row in journaled] == [failed.message]
    assert query(warehouse, "select outcome, error like '%max_bytes limit%' from ops.fetch_log")[-1] == ("failed", True)


def journal_rows(raw_dir: Path, table: str) -> list[dict]:
    """The run's pending journal rows of `table` (committed when the run publishes)."""
    pending = journal.journal_path(raw_dir, table, pending=True)
    return [json.loads(line) for line in pending.read_text().splitlines()]


def test_the_same_flooded_zip_is_recorded_once_and_named_as_rejected_before(
    tmp_path, http_mirror, fixture_sources, warehouse_of
) -> None:
    paths, warehouse = warehouse_of
    serve(http_mirror, tmp_path, {BENCHMARKS: flooded_zip(fixture_sources / BENCHMARKS, 40 * MiB)})
    first = land_source(source("benchmark_data"), paths, warehouse)
    second = land_source(source("benchmark_data"), paths, warehouse)

    assert not first.loaded and not second.loaded
    [again] = [g for g in second.guards if not g.passed]
    assert "whose directory declares" in again.message and "(the same file was rejected at" in again.message
    rows = query(warehouse, "select status, sha256 from ops.source_versions")
    assert rows == [("rejected", first.fetch.sha256)] and len(first.fetch.sha256) == 64


def test_a_landed_file_past_its_limits_is_not_read(fixture_sources: Path, tmp_path: Path) -> None:
    small = dataclasses.replace(source("notable_models"), max_bytes=100_000)
    with pytest.raises(ValueError, match=r"holds 115,690 bytes, over its max_bytes limit of 100,000 bytes"):
        read_source_file(small, fixture_sources / NOTABLE, "sha", datetime.now(UTC))
    flooded = tmp_path / "flooded.zip"
    flooded.write_bytes(flooded_zip(fixture_sources / BENCHMARKS, 40 * MiB))
    with pytest.raises(ValueError, match=r"flooded\.zip is a zip archive whose directory declares"):
        read_source_file(source("benchmark_data"), flooded, "sha", datetime.now(UTC))
