"""Ingest: one asset per row of the source table. Fetch (through the mirror when set), guard, load `raw.<source>`.

A new file replaces the last good copy only when every guard passes; otherwise the previous table stays, the pull is
recorded as rejected in `ops.source_versions`, and the asset's blocking checks fail with the values that broke them.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetCheckSpec,
    AssetExecutionContext,
    AssetKey,
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
from pipelines.guards import RAW_GUARDS, GuardResult, raw_guards
from pipelines.raw import read_source_file
from pipelines.sources import SOURCES, Source
from pipelines.warehouse import append_rows, first_row, replace_table, table_exists

GOOD_OUTCOMES = ("downloaded", "unchanged", "not_modified")
INSERT_VERSION = """
insert into ops.source_versions (source, sha256, url, path, bytes, rows, last_modified, fetched_at, status, reason)
values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""


@dataclass(frozen=True)
class Landing:
    """What one pull did: the fetch, the guards, and the file the raw table holds afterwards."""

    fetch: FetchResult
    guards: list[GuardResult]
    loaded: bool
    held_sha256: str | None
    held_rows: int | None


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


def held_file(con: duckdb.DuckDBPyConnection, source: str) -> tuple[str | None, int | None]:
    """(sha256, rows) of the file `raw.<source>` holds now, or (None, None) before the first load."""
    if not table_exists(con, "raw", source):
        return None, None
    row = first_row(con, f"select any_value(_sha256), count(*) from raw.{source}")
    return (row[0], int(row[1])) if row else (None, None)


def _passing(message: str) -> list[GuardResult]:
    return [GuardResult(name, True, message) for name in RAW_GUARDS]


def land_source(source: Source, paths: PathsResource, warehouse: DuckDBResource) -> Landing:
    """Fetch one source, log every attempt, guard the file and swap it into `raw.<source>` when it passes."""
    fetcher = Fetcher(paths.raw_dir, paths.sources_mirror)
    with warehouse_connection(warehouse) as con:
        previous = last_good_fetch(con, source.name)
        held_sha, held_rows = held_file(con, source.name)
    try:
        result = fetcher.fetch(source, previous)
    except FetchError as exc:
        with warehouse_connection(warehouse) as con:
            append_rows(con, "fetch_log", (a.as_row() for a in exc.attempts))
        raise Failure(
            description=f"guard 'fetch' failed for source {source.name}: {exc}",
            metadata={"source": source.name, "url": source.url, "attempts": len(exc.attempts)},
        ) from exc
    attempts = list(result.attempts)
    if source.metadata_url:
        try:
            metadata = fetcher.fetch_metadata(source)
            attempts += metadata.attempts if metadata else []
        except FetchError as exc:  # metadata is documentation: a failure is logged, not fatal
            attempts += exc.attempts
    with warehouse_connection(warehouse) as con:
        append_rows(con, "fetch_log", (a.as_row() for a in attempts))
    if result.outcome == "missing_optional" or result.path is None:
        return Landing(result, _passing("optional source not available"), False, held_sha, held_rows)
    if result.sha256 == held_sha:
        return Landing(result, _passing("same file as the one loaded"), False, held_sha, held_rows)
    try:
        frame = read_source_file(source, result.path, result.sha256 or "", result.fetched_at)
    except Exception as exc:  # a file the fetcher accepted but the reader cannot parse
        raise Failure(description=f"source {source.name}: cannot read {result.path} from {source.url}: {exc}") from exc
    guards = raw_guards(source, frame, held_rows)
    passed = all(g.passed for g in guards)
    reason = None if passed else "; ".join(g.message for g in guards if not g.passed)
    version = [
        INSERT_VERSION,
        [
            source.name,
            result.sha256,
            source.url,
            str(result.path),
            result.bytes,
            frame.height,
            result.last_modified,
            datetime.now(UTC),
            "loaded" if passed else "rejected",
            reason,
        ],
    ]
    with warehouse_connection(warehouse) as con:
        if passed:
            replace_table(con, "raw", source.name, frame, also=[tuple(version)])
            return Landing(result, guards, True, result.sha256, frame.height)
        con.execute(*version)
    return Landing(result, guards, False, held_sha, held_rows)


def build_raw_asset(source: Source) -> AssetsDefinition:
    """The ingest asset of one source; its data version is the sha256 of the file `raw.<source>` holds."""
    key = AssetKey(["raw", source.name])

    @asset(
        key=key,
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
        check_specs=[
            AssetCheckSpec(name, asset=key, blocking=True, description=description)
            for name, description in RAW_GUARDS.items()
        ],
    )
    def _raw(context: AssetExecutionContext, paths: PathsResource, warehouse: DuckDBResource) -> MaterializeResult:
        landing = land_source(source, paths, warehouse)
        fetch = landing.fetch
        for guard in landing.guards:
            if not guard.passed:
                context.log.error(f"guard '{guard.name}' failed for source {source.name}: {guard.message}")
        if fetch.outcome == "missing_optional":
            context.log.warning(f"{source.name}: optional source not available at {source.url}; skipped")
        else:
            context.log.info(
                f"{source.name}: {fetch.outcome}, sha256 {fetch.sha256}; raw table holds {landing.held_rows} rows"
            )
        return MaterializeResult(
            metadata={
                "outcome": fetch.outcome,
                "loaded": landing.loaded,
                "fetched_sha256": fetch.sha256 or "",
                "held_sha256": landing.held_sha256 or "",
                "rows": landing.held_rows if landing.held_rows is not None else -1,
                "bytes": fetch.bytes or 0,
                "attempts": len(fetch.attempts),
            },
            data_version=DataVersion(landing.held_sha256 or "missing"),
            check_results=[
                AssetCheckResult(
                    check_name=guard.name,
                    passed=guard.passed,
                    severity=AssetCheckSeverity.ERROR,
                    description=guard.message,
                    metadata={"source": source.name, **guard.metadata},
                )
                for guard in landing.guards
            ],
        )

    return _raw


RAW_ASSETS: list[AssetsDefinition] = [build_raw_asset(source) for source in SOURCES]
