"""The raw layer: a landed source file read as published (every column text) plus provenance columns."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import polars as pl

from pipelines.fetch import check_landed_size
from pipelines.sources import Source
from pipelines.tidy.benchmarks import read_benchmark_zip

PROVENANCE_COLUMNS = ("_source", "_sha256", "_fetched_at", "_row_number")


def read_csv_text(path: Path) -> pl.DataFrame:
    """A CSV with every column as text; the quoting dialect is given, never sniffed (see the mirror README)."""
    frame = pl.read_csv(path, infer_schema=False, quote_char='"', separator=",", encoding="utf8")
    frame = frame.rename({c: c.lstrip("\ufeff") for c in frame.columns if c.startswith("\ufeff")})
    return frame.with_row_index("_row_number", offset=1).with_columns(pl.col("_row_number").cast(pl.Int64))


def read_source_file(source: Source, path: Path, sha256: str, fetched_at: datetime) -> pl.DataFrame:
    """The raw table for one landed file: published columns as text, then `_source`, `_sha256`, `_fetched_at`.
    A file past its source's size limits is refused unread (`ValueError`): a rebuild may replay files landed before
    the limits were declared."""
    check_landed_size(source, path)
    frame = read_benchmark_zip(path) if source.format == "zip" else read_csv_text(path)
    return frame.with_columns(
        pl.lit(source.name).alias("_source"),
        pl.lit(sha256).alias("_sha256"),
        pl.lit(fetched_at).cast(pl.Datetime("us", "UTC")).alias("_fetched_at"),
    )
