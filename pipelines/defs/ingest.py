"""Ingest: one asset per row of the source table. Fetch (through the mirror when set), land, load `raw.<source>`."""

from pathlib import Path

import duckdb
from dagster import (
    AssetExecutionContext,
    AssetsDefinition,
    DataVersion,
    Failure,
    MaterializeResult,
    MetadataValue,
    asset,
)
from dagster_duckdb import DuckDBResource

from pipelines.defs.resources import PathsResource, warehouse_connection
from pipelines.fetch import Fetcher, FetchError, FetchResult, PreviousFetch
from pipelines.raw import read_source_file
from pipelines.sources import SOURCES, Source
from pipelines.warehouse import append_rows, first_row, replace_table, table_exists

GOOD_OUTCOMES = ("downloaded", "unchanged", "not_modified")


def last_good_fetch(con: duckdb.DuckDBPyConnection, source: str) -> PreviousFetch | None:
    """The newest fetch of `source` that landed a valid file still on disk: the base of a conditional GET."""
    row = first_row(
        con,
        """
        select sha256, etag, last_modified, path from ops.fetch_log
        where source = ? and list_contains(?, outcome) and sha256 is not null
          and requested_url not like '%metadata.json%'
        order by fetched_at desc, attempt desc limit 1
        """,
        [source, list(GOOD_OUTCOMES)],
    )
    if row is None or row[3] is None or not Path(row[3]).exists():
        return None
    return PreviousFetch(sha256=row[0], etag=row[1], last_modified=row[2], path=Path(row[3]))


def _log_attempts(con: duckdb.DuckDBPyConnection, attempts: list) -> None:
    append_rows(con, "fetch_log", (attempt.as_row() for attempt in attempts))


def land_source(source: Source, paths: PathsResource, warehouse: DuckDBResource) -> tuple[FetchResult, int | None]:
    """Fetch one source, log every attempt, and load it into `raw.<source>` (one transaction).

    Returns the fetch result and the raw row count (None when an optional source is missing).
    """
    fetcher = Fetcher(paths.raw_dir, paths.sources_mirror)
    with warehouse_connection(warehouse) as con:
        previous = last_good_fetch(con, source.name)
    try:
        result = fetcher.fetch(source, previous)
    except FetchError as exc:
        with warehouse_connection(warehouse) as con:
            _log_attempts(con, exc.attempts)
        raise Failure(description=str(exc), metadata={"url": source.url}) from exc
    attempts = list(result.attempts)
    if source.metadata_url:
        try:
            metadata = fetcher.fetch_metadata(source)
            attempts += metadata.attempts if metadata else []
        except FetchError as exc:  # metadata is documentation: a failure is logged, not fatal
            attempts += exc.attempts
    with warehouse_connection(warehouse) as con:
        _log_attempts(con, attempts)
        if result.outcome == "missing_optional" or result.path is None:
            return result, None
        if result.outcome != "downloaded" and table_exists(con, "raw", source.name):
            loaded = first_row(con, f"select count(*), any_value(_sha256) from raw.{source.name}")
            if loaded and loaded[1] == result.sha256:
                return result, int(loaded[0])
        frame = read_source_file(source, result.path, result.sha256 or "", result.fetched_at)
        rows = replace_table(con, "raw", source.name, frame)
    return result, rows


def build_raw_asset(source: Source) -> AssetsDefinition:
    """The ingest asset of one source; its data version is the sha256 of the landed file."""

    @asset(
        name=source.name,
        key_prefix="raw",
        group_name="ingest",
        description=f"{source.description} Landed unchanged from {source.url}, loaded as text with provenance.",
        metadata={
            "url": MetadataValue.url(source.url),
            "publisher": source.publisher,
            "licence": source.licence,
            "citation": source.citation,
            "optional": source.optional,
        },
        kinds={"python", "duckdb"},
    )
    def _raw(context: AssetExecutionContext, paths: PathsResource, warehouse: DuckDBResource) -> MaterializeResult:
        result, rows = land_source(source, paths, warehouse)
        if rows is None:
            context.log.warning(f"{source.name}: optional source not available at {source.url}; skipped")
            return MaterializeResult(metadata={"outcome": result.outcome, "url": source.url})
        context.log.info(f"{source.name}: {result.outcome}, {rows} rows, sha256 {result.sha256}")
        return MaterializeResult(
            metadata={
                "outcome": result.outcome,
                "rows": rows,
                "sha256": result.sha256 or "",
                "bytes": result.bytes or 0,
                "path": str(result.path),
                "attempts": len(result.attempts),
            },
            data_version=DataVersion(result.sha256 or ""),
        )

    return _raw


RAW_ASSETS: list[AssetsDefinition] = [build_raw_asset(source) for source in SOURCES]
