"""The DuckDB warehouse: connections, schemas, the `ops` bookkeeping tables and atomic table replacement."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

import duckdb
import polars as pl

from pipelines.layers import MARTS, OPS, RAW, TIDY, TRENDS
from pipelines.settings import DUCKDB_STORAGE_VERSION

SCHEMAS = (RAW, TIDY, MARTS, TRENDS, OPS)  # reports are files, not tables
CONNECTION_CONFIG = {"storage_compatibility_version": DUCKDB_STORAGE_VERSION}

OPS_DDL = """
create table if not exists ops.fetch_log (
    source varchar not null,
    url varchar not null,
    requested_url varchar not null,
    attempt integer not null,
    status integer,
    outcome varchar not null,
    error varchar,
    bytes bigint,
    sha256 varchar,
    etag varchar,
    last_modified varchar,
    content_type varchar,
    path varchar,
    fetched_at timestamptz not null
);
create table if not exists ops.source_versions (
    source varchar not null,
    sha256 varchar not null,
    url varchar not null,
    path varchar,
    bytes bigint,
    rows bigint,
    last_modified varchar,
    fetched_at timestamptz not null,
    status varchar not null,
    reason varchar,
    added_columns varchar[],
    removed_columns varchar[]
);
-- warehouses built before columns were tracked gain them in place
alter table ops.source_versions add column if not exists added_columns varchar[];
alter table ops.source_versions add column if not exists removed_columns varchar[];
-- the Dagster runs whose work this file holds, written when it is published (`pipelines.run.publish`)
create table if not exists ops.published_runs (
    run_id varchar not null,
    command varchar,
    published_at timestamptz not null
);
create table if not exists ops.rejected_values (
    source varchar not null,
    column_name varchar not null,
    row_number bigint,
    raw_value varchar,
    reason varchar not null,
    snapshot_sha256 varchar
);
-- the result of every fit job of the build this file holds, so that the next build reuses the jobs whose code and
-- inputs are unchanged (`pipelines.trends.reuse`)
create table if not exists ops.fit_results (
    step varchar not null,
    job varchar not null,
    key varchar not null,
    result blob not null,
    built_at timestamptz not null
);
create table if not exists ops.reused (
    asset varchar not null,
    kind varchar not null,
    name varchar not null,
    reused bigint not null,
    computed bigint not null,
    recorded_at timestamptz not null
);
"""


@contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """One transaction: everything inside lands together or not at all."""
    con.begin()
    try:
        yield con
    except BaseException:
        con.rollback()
        raise
    con.commit()


# what each bookkeeping table holds, written once as its comment (`sql/queries/tables.sql`), like every other table's
OPS_COMMENTS = {
    "fetch_log": "Every download attempt of every source, retries and metadata requests too (raw assets).",
    "source_versions": "Every distinct file pulled of every source, loaded or rejected by the guards (raw assets).",
    "rejected_values": "Every value the tidy layer set to null (unparseable or implausible), with its reason.",
    "model_snapshots": "The tracked fields of every model in every distinct pull of each Epoch model file (tidy).",
    "published_runs": "The Dagster runs whose work this warehouse file holds, written when it was published.",
    "fit_results": "The result of every fit job of the trends steps (key: sha256 of code and inputs), for reuse.",
    "reused": "Per asset of the last build and per job (fit, chart export, screenshot): how many reused, computed.",
}


def ensure_schemas(con: duckdb.DuckDBPyConnection) -> None:
    for schema in SCHEMAS:
        con.execute(f"create schema if not exists {schema}")
    con.execute(OPS_DDL)
    uncommented = con.execute(
        "select table_name from duckdb_tables() where schema_name = 'ops' and comment is null"
    ).fetchall()
    for (table,) in uncommented:
        if table in OPS_COMMENTS:
            con.execute(f"comment on table ops.{table} is '{OPS_COMMENTS[table]}'")


def record_reuse(con: duckdb.DuckDBPyConnection, asset: str, kind: str, counts: dict[str, tuple[int, int]]) -> None:
    """`ops.reused` for `asset`'s latest build: per job (a fit's function, a chart, a page), how many results were
    reused from the build before and how many computed."""
    con.execute("delete from ops.reused where asset = ? and kind = ?", [asset, kind])
    rows = [[asset, kind, name, reused, computed] for name, (reused, computed) in sorted(counts.items())]
    if rows:  # DuckDB refuses an empty executemany
        con.executemany("insert into ops.reused values (?, ?, ?, ?, ?, now())", rows)


def replace_table(
    con: duckdb.DuckDBPyConnection,
    schema: str,
    table: str,
    frame: pl.DataFrame,
    also: Sequence[tuple[str, list]] = (),
    comment: str | None = None,
) -> int:
    """Swap `schema.table` for `frame` in one transaction, so readers see the old table or the new one.

    `also` holds further (sql, params) statements that must land in the same transaction (bookkeeping rows);
    `comment` is what the table holds, for people who list the tables (`sql/queries/tables.sql`).
    """
    if schema not in SCHEMAS:
        raise ValueError(f"unknown schema {schema!r}; expected one of {SCHEMAS}")
    if not table.replace("_", "").isalnum():
        raise ValueError(f"table name {table!r} must be letters, digits and underscores")
    with transaction(con):
        con.register("_incoming", frame)
        try:
            con.execute(f'create or replace table {schema}."{table}" as select * from _incoming')
        finally:
            con.unregister("_incoming")
        if comment:
            quoted = comment.replace("'", "''")
            con.execute(f"comment on table {schema}.\"{table}\" is '{quoted}'")
        for sql, params in also:
            con.execute(sql, params)
    return frame.height


def append_rows(con: duckdb.DuckDBPyConnection, table: str, rows: Iterable[dict]) -> int:
    """Append dict rows to an `ops` table, matching columns by name."""
    frame = pl.DataFrame(list(rows))
    if frame.height == 0:
        return 0
    columns = ", ".join(f'"{c}"' for c in frame.columns)
    with transaction(con):
        con.register("_incoming", frame)
        try:
            con.execute(f"insert into ops.{table} ({columns}) select {columns} from _incoming")
        finally:
            con.unregister("_incoming")
    return frame.height


def replace_rejections(
    con: duckdb.DuckDBPyConnection, sources: Iterable[str], rejections: pl.DataFrame, snapshot_sha256: str | None
) -> int:
    """Replace the rejected values of `sources` with this build's, in one transaction.

    `snapshot_sha256` labels every row unless `rejections` already carries a per-row `snapshot_sha256`.
    """
    frame = rejections
    if "snapshot_sha256" not in frame.columns:
        frame = frame.with_columns(pl.lit(snapshot_sha256, dtype=pl.String).alias("snapshot_sha256"))
    with transaction(con):
        for name in sources:
            con.execute("delete from ops.rejected_values where source = ?", [name])
        if frame.height:
            con.register("_incoming", frame)
            try:
                con.execute("insert into ops.rejected_values by name select * from _incoming")
            finally:
                con.unregister("_incoming")
    return frame.height


def query_frame(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> pl.DataFrame:
    """A query's result as a Polars frame (DuckDB 2 returns frames from relations, not from `execute`)."""
    return con.sql(sql, params=params).pl()


def first_row(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> tuple | None:
    """The first row of a query, with the result fully consumed (DuckDB 2 refuses new work on a half-read result)."""
    rows = con.execute(sql, params or []).fetchall()
    return rows[0] if rows else None


def read_table(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> pl.DataFrame:
    return query_frame(con, f'select * from {schema}."{table}"')


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    found = first_row(
        con, "select count(*) from information_schema.tables where table_schema = ? and table_name = ?", [schema, table]
    )
    return bool(found and found[0])
