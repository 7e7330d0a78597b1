"""Ingest: one asset per row of the source table. Fetch (through the mirror when set), guard, load `raw.<source>`.

A new file replaces the last good copy only when every guard passes; otherwise the previous table stays, the pull is
recorded as rejected in `ops.source_versions`, and the asset's blocking checks fail with the values that broke them.
A file past its source's size limits is rejected the same way before it is read (check `size_within_limits`).
"""

from dataclasses import dataclass

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

from pipelines import journal, landed
from pipelines.defs.resources import PathsResource, warehouse_connection
from pipelines.fetch import FetchError, FetchResult, TooLarge
from pipelines.guards import RAW_GUARDS, SIZE_GUARD, GuardResult, column_changes, raw_guards, rejected_by
from pipelines.landed import held_file, last_good_fetch
from pipelines.raw import read_source_file
from pipelines.sources import SOURCES, Source
from pipelines.warehouse import first_row, read_table, replace_table

VERSION_COLUMNS = (
    "source", "sha256", "url", "path", "bytes", "rows", "last_modified", "fetched_at", "status", "reason",
    "added_columns", "removed_columns",
)  # fmt: skip
UNKNOWN_SHA256 = "unknown"  # a download stopped at its size limit: the whole file, and so its sha256, never came


@dataclass(frozen=True)
class Landing:
    """What one pull did: the fetch, the guards, and the file the raw table holds afterwards."""

    fetch: FetchResult
    guards: list[GuardResult]
    loaded: bool
    held_sha256: str | None
    held_rows: int | None


def earlier_rejection(con: duckdb.DuckDBPyConnection, source: str, sha256: str | None) -> tuple | None:
    """(when, reason) if this very file was rejected before: it stays rejected until the source publishes another."""
    return first_row(
        con,
        """select fetched_at, reason from ops.source_versions where source = ? and sha256 = ? and status = 'rejected'
           order by fetched_at limit 1""",
        [source, sha256],
    )


def _passing(message: str) -> list[GuardResult]:
    return [GuardResult(name, True, message) for name in RAW_GUARDS]


def log_attempts(paths: PathsResource, warehouse: DuckDBResource, attempts: list) -> None:
    with warehouse_connection(warehouse) as con:
        landed.log_attempts(paths.raw_dir, con, attempts)


def fetch_logged(source: Source, paths: PathsResource, warehouse: DuckDBResource, previous) -> FetchResult:
    """Fetch a source and its metadata, logging every attempt; a failed fetch becomes a `Failure` naming it."""
    fetcher = landed.fetcher_for(paths.settings)
    try:
        result = fetcher.fetch(source, previous)
    except FetchError as exc:
        log_attempts(paths, warehouse, exc.attempts)
        if isinstance(exc, TooLarge):  # a file, rejected as one by `land_source`
            raise
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
    log_attempts(paths, warehouse, attempts)
    return result


def version_row(source: Source, result: FetchResult, frame, guards: list[GuardResult], columns) -> dict:
    """The `ops.source_versions` row of a new file: loaded or rejected, with the reason and the column changes;
    without `frame` for a file rejected unread."""
    passed = all(g.passed for g in guards)
    added, removed = column_changes(frame, columns) if frame is not None else ([], [])
    return {
        "source": source.name,
        "sha256": result.sha256 or UNKNOWN_SHA256,
        "url": source.url,
        "path": str(result.path) if result.path is not None else None,
        "bytes": result.bytes,
        "rows": frame.height if frame is not None else None,
        "last_modified": result.last_modified,
        "fetched_at": result.fetched_at,
        "status": "loaded" if passed else "rejected",
        "reason": None if passed else "; ".join(g.message for g in guards if not g.passed),
        "added_columns": added,
        "removed_columns": removed,
    }


def record_version(con: duckdb.DuckDBPyConnection, row: dict, frame=None) -> None:
    """Insert the version row; with `frame`, swap it into `raw.<source>` in the same transaction."""
    placeholders = ", ".join("?" * len(VERSION_COLUMNS))
    insert = (
        f"insert into ops.source_versions ({', '.join(VERSION_COLUMNS)}) values ({placeholders})",
        [row[c] for c in VERSION_COLUMNS],
    )
    if frame is None:
        con.execute(*insert)
    else:
        replace_table(con, "raw", row["source"], frame, also=[insert])


def rejected_again(guards: list[GuardResult], rejected: tuple) -> list[GuardResult]:
    """The failed guards of a file rejected before, saying when: one `ops.source_versions` row says it already."""
    note = f" (the same file was rejected at {rejected[0]:%Y-%m-%d %H:%M} UTC; waiting for a new release)"
    return [g if g.passed else GuardResult(g.name, False, g.message + note, g.metadata) for g in guards]


def reject_too_large(
    source: Source, paths: PathsResource, warehouse: DuckDBResource, exc: TooLarge, held: tuple
) -> Landing:
    """A file past its source's size limits, rejected unread as a failed guard rejects a file: `size_within_limits`
    fails naming the sizes, the pull is recorded in `ops.source_versions` (once per distinct file), the table stays."""
    result = exc.result
    guards = rejected_by(GuardResult(SIZE_GUARD, False, str(exc), {"bytes": exc.size, "limit_bytes": exc.limit}))
    with warehouse_connection(warehouse) as con:  # one connection: nothing slow between the lookup and the insert
        rejected = earlier_rejection(con, source.name, result.sha256) if result.sha256 else None
        if rejected:
            return Landing(result, rejected_again(guards, rejected), False, *held)
        row = version_row(source, result, None, guards, None)
        journal.append(paths.raw_dir, "source_versions", [row])
        record_version(con, row)
    return Landing(result, guards, False, *held)


def land_source(source: Source, paths: PathsResource, warehouse: DuckDBResource) -> Landing:
    """Fetch one source, log every attempt, guard the file and swap it into `raw.<source>` when it passes."""
    with warehouse_connection(warehouse) as con:
        previous = last_good_fetch(con, source.name)
        held_sha, held_rows = held_file(con, source.name)
    try:
        result = fetch_logged(source, paths, warehouse, previous)
    except TooLarge as exc:
        return reject_too_large(source, paths, warehouse, exc, (held_sha, held_rows))
    if result.outcome == "missing_optional" or result.path is None:
        return Landing(result, _passing("optional source not available"), False, held_sha, held_rows)
    if result.sha256 == held_sha:
        return Landing(result, _passing("same file as the one loaded"), False, held_sha, held_rows)
    with warehouse_connection(warehouse) as con:
        rejected = earlier_rejection(con, source.name, result.sha256)
        held = read_table(con, "raw", source.name) if held_sha else None
    try:
        frame = read_source_file(source, result.path, result.sha256 or "", result.fetched_at)
    except Exception as exc:  # a file the fetcher accepted but the reader cannot parse
        raise Failure(description=f"source {source.name}: cannot read {result.path} from {source.url}: {exc}") from exc
    guards = raw_guards(source, frame, held_rows, held)
    if rejected and not all(g.passed for g in guards):  # the same rejected file again
        return Landing(result, rejected_again(guards, rejected), False, held_sha, held_rows)
    row = version_row(source, result, frame, guards, None if held is None else held.columns)
    journal.append(paths.raw_dir, "source_versions", [row])
    loaded = row["status"] == "loaded"
    with warehouse_connection(warehouse) as con:
        record_version(con, row, frame if loaded else None)
    return Landing(result, guards, loaded, *((result.sha256, frame.height) if loaded else (held_sha, held_rows)))


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
