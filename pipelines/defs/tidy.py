"""Tidy: Polars turns the raw text tables into typed fact tables; every value that fails to cast is counted."""

import duckdb
import polars as pl
from dagster import (
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetKey,
    AssetSpec,
    MaterializeResult,
    asset,
    asset_check,
    multi_asset,
)
from dagster_duckdb import DuckDBResource

from pipelines.defs.resources import warehouse_connection
from pipelines.raw.sources import SOURCES
from pipelines.tidy.benchmarks import tidy_scores
from pipelines.tidy.hardware import tidy_hardware
from pipelines.tidy.inference import PRICE_SOURCES, TOKENS_SOURCE, tidy_eval_tokens, tidy_prices
from pipelines.tidy.models import MODEL_SOURCE_PRIORITY, record_model_snapshots, tidy_models
from pipelines.tidy.owid import tidy_owid
from pipelines.warehouse import first_row, read_table, replace_rejections, replace_table, table_exists

MODEL_TABLES = ("models", "compute", "params", "tokens", "cost")
OWID_SOURCES = tuple(s.name for s in SOURCES if s.name.startswith("owid_"))


def raw_key(name: str) -> AssetKey:
    return AssetKey(["raw", name])


def _snapshots(con: duckdb.DuckDBPyConnection, names: tuple[str, ...]) -> dict[str, str]:
    """sha256 of the file currently loaded in each `raw.<name>` table."""
    found = {}
    for name in names:
        if table_exists(con, "raw", name):
            row = first_row(con, f"select any_value(_sha256) from raw.{name}")
            found[name] = row[0] if row else None
    return found


def _with_snapshot(frame: pl.DataFrame, snapshots: dict[str, str], source_column: str = "source") -> pl.DataFrame:
    return frame.with_columns(
        pl.col(source_column).replace_strict(snapshots, default=None, return_dtype=pl.String).alias("snapshot_sha256")
    )


@multi_asset(
    specs=[
        AssetSpec(
            ["tidy", table],
            deps=[raw_key(name) for name in MODEL_SOURCE_PRIORITY],
            group_name="tidy",
            kinds={"polars", "duckdb"},
            description=f"tidy.{table}: from Epoch's model files (notable, frontier, large-scale, all).",
        )
        for table in MODEL_TABLES
    ],
    name="tidy_model_tables",
)
def tidy_model_tables(context: AssetExecutionContext, warehouse: DuckDBResource):
    """tidy.models and its fact tables, built together because they share one parse of each file."""
    with warehouse_connection(warehouse) as con:
        raw = {name: read_table(con, "raw", name) for name in MODEL_SOURCE_PRIORITY if table_exists(con, "raw", name)}
        snapshots = _snapshots(con, tuple(raw))
        tables = tidy_models(raw)
        models = _with_snapshot(tables.models, snapshots, source_column="described_by")
        counts = {"models": replace_table(con, "tidy", "models", models)}
        for table in MODEL_TABLES[1:]:
            counts[table] = replace_table(con, "tidy", table, _with_snapshot(getattr(tables, table), snapshots))
        rejected = replace_rejections(con, MODEL_SOURCE_PRIORITY, _with_snapshot(tables.rejections, snapshots), None)
        record_model_snapshots(con, raw, tables)
    context.log.info(f"tidy model tables: {counts}; {rejected} values rejected")
    for table in MODEL_TABLES:
        yield MaterializeResult(
            asset_key=AssetKey(["tidy", table]),
            metadata={"rows": counts[table], "rejected_values_all_model_tables": rejected},
        )


@asset(key=["tidy", "hardware"], deps=[raw_key("ml_hardware")], group_name="tidy", kinds={"polars", "duckdb"})
def tidy_hardware_table(context: AssetExecutionContext, warehouse: DuckDBResource) -> MaterializeResult:
    """tidy.hardware: one row per accelerator, FLOP/s by precision, release price (USD), TDP (W)."""
    with warehouse_connection(warehouse) as con:
        raw = read_table(con, "raw", "ml_hardware")
        hardware, rejections = tidy_hardware(raw)
        sha = _snapshots(con, ("ml_hardware",)).get("ml_hardware")
        rows = replace_table(con, "tidy", "hardware", hardware.with_columns(pl.lit(sha).alias("snapshot_sha256")))
        rejected = replace_rejections(con, ["ml_hardware"], rejections, sha)
    return MaterializeResult(metadata={"rows": rows, "rejected_values": rejected})


@asset(key=["tidy", "scores"], deps=[raw_key("benchmark_data")], group_name="tidy", kinds={"polars", "duckdb"})
def tidy_scores_table(context: AssetExecutionContext, warehouse: DuckDBResource) -> MaterializeResult:
    """tidy.scores: every benchmark row with its unit, setting split off, model version mapped to a model name."""
    with warehouse_connection(warehouse) as con:
        raw = read_table(con, "raw", "benchmark_data")
        tables = tidy_scores(raw)
        sha = _snapshots(con, ("benchmark_data",)).get("benchmark_data")
        rows = replace_table(con, "tidy", "scores", tables.scores.with_columns(pl.lit(sha).alias("snapshot_sha256")))
        replace_table(con, "tidy", "unmatched_model_versions", tables.unmatched)
        rejected = replace_rejections(con, ["benchmark_data"], tables.rejections, sha)
    return MaterializeResult(
        metadata={"rows": rows, "rejected_values": rejected, "unmatched_versions": tables.unmatched.height}
    )


@asset(
    key=["tidy", "owid_series"],
    deps=[raw_key(name) for name in OWID_SOURCES],
    group_name="tidy",
    kinds={"polars", "duckdb"},
)
def tidy_owid_series(context: AssetExecutionContext, warehouse: DuckDBResource) -> MaterializeResult:
    """tidy.owid_series: every OWID chart in long form (entity, date, variable, value, unit), trend lines dropped."""
    with warehouse_connection(warehouse) as con:
        series, rejected = [], []
        snapshots = _snapshots(con, OWID_SOURCES)
        for name in OWID_SOURCES:
            frame, rejections = tidy_owid(read_table(con, "raw", name), name)
            series.append(frame.with_columns(pl.lit(snapshots.get(name)).alias("snapshot_sha256")))
            rejected.append(rejections)
        rows = replace_table(con, "tidy", "owid_series", pl.concat(series, how="vertical_relaxed"))
        n_rejected = replace_rejections(con, OWID_SOURCES, pl.concat(rejected), None)
    return MaterializeResult(metadata={"rows": rows, "rejected_values": n_rejected})


@multi_asset(
    specs=[
        AssetSpec(
            ["tidy", table],
            deps=[raw_key(name) for name in PRICE_SOURCES],
            group_name="tidy",
            kinds={"polars", "duckdb"},
            description=f"tidy.{table}: from both price files of Epoch's inference-price study.",
        )
        for table in ("inference_prices", "inference_scores")
    ],
    name="tidy_inference_price_tables",
)
def tidy_inference_price_tables(context: AssetExecutionContext, warehouse: DuckDBResource):
    """tidy.inference_prices (USD per 1M tokens per model and price record) and tidy.inference_scores (the same
    rows' scores in long form), built together because they share one parse of each price file."""
    with warehouse_connection(warehouse) as con:
        snapshots = _snapshots(con, PRICE_SOURCES)
        tables = [tidy_prices(read_table(con, "raw", name), name) for name in PRICE_SOURCES]
        counts = {
            table: replace_table(
                con, "tidy", table, _with_snapshot(pl.concat([getattr(t, part) for t in tables]), snapshots)
            )
            for table, part in (("inference_prices", "prices"), ("inference_scores", "scores"))
        }
        rejections = pl.concat([t.rejections for t in tables], how="vertical")
        rejected = replace_rejections(con, PRICE_SOURCES, _with_snapshot(rejections, snapshots), None)
    context.log.info(f"tidy inference price tables: {counts}; {rejected} values rejected")
    for table, rows in counts.items():
        yield MaterializeResult(asset_key=AssetKey(["tidy", table]), metadata={"rows": rows, "rejected": rejected})


@asset(key=["tidy", "eval_tokens"], deps=[raw_key(TOKENS_SOURCE)], group_name="tidy", kinds={"polars", "duckdb"})
def tidy_eval_tokens_table(context: AssetExecutionContext, warehouse: DuckDBResource) -> MaterializeResult:
    """tidy.eval_tokens: tokens per model version and task of Epoch's evaluation runs, setting split off, task
    mapped to the hub's benchmark id."""
    with warehouse_connection(warehouse) as con:
        tokens, rejections = tidy_eval_tokens(read_table(con, "raw", TOKENS_SOURCE))
        sha = _snapshots(con, (TOKENS_SOURCE,)).get(TOKENS_SOURCE)
        rows = replace_table(con, "tidy", "eval_tokens", tokens.with_columns(pl.lit(sha).alias("snapshot_sha256")))
        rejected = replace_rejections(con, [TOKENS_SOURCE], rejections, sha)
    return MaterializeResult(metadata={"rows": rows, "rejected_values": rejected})


TIDY_ASSETS = [
    tidy_model_tables,
    tidy_hardware_table,
    tidy_scores_table,
    tidy_owid_series,
    tidy_inference_price_tables,
    tidy_eval_tokens_table,
]


NAMED_FLOOR = 0.85  # share of score rows whose model version ECI names (0.92 in the 2026-01 snapshot)
MATCHED_FLOOR = 0.60  # share of score rows whose model name is in an Epoch model file (0.74 in 2026-01)


@asset_check(
    asset=tidy_scores_table,
    name="model_names_matched",
    blocking=True,
    description=f"At least {NAMED_FLOOR:.0%} of score rows are named by ECI and {MATCHED_FLOOR:.0%} match an "
    "Epoch model: below that the name mapping broke and per-dollar fits would silently shrink.",
)
def scores_model_names_matched(warehouse: DuckDBResource) -> AssetCheckResult:
    with warehouse_connection(warehouse) as con:
        rows, named, matched = first_row(
            con,
            """
            select count(*), count(model_name),
                   count(*) filter (where model_key in (select model_key from tidy.models))
            from tidy.scores
            """,
        )
        unnamed = first_row(
            con, "select benchmark, model_version from tidy.scores where model_name is null order by all"
        )
        unmatched = first_row(
            con,
            """select benchmark, model_version, model_name from tidy.scores
               where model_name is not null and model_key not in (select model_key from tidy.models)
               order by all""",
        )
    named_share = named / rows if rows else 0.0
    matched_share = matched / rows if rows else 0.0
    passed = named_share >= NAMED_FLOOR and matched_share >= MATCHED_FLOOR
    examples = [f"e.g. {rows - named} unnamed, such as {unnamed}"] if unnamed else []
    examples += [f"{named - matched} unmatched, such as {unmatched}"] if unmatched else []
    return AssetCheckResult(
        passed=passed,
        severity=AssetCheckSeverity.ERROR,
        description=(
            f"benchmark_data: {named_share:.1%} of {rows} score rows named by ECI (floor {NAMED_FLOOR:.0%}), "
            f"{matched_share:.1%} matched to Epoch models (floor {MATCHED_FLOOR:.0%}); " + "; ".join(examples)
        ).rstrip("; "),
        metadata={"rows": rows, "named_share": named_share, "matched_share": matched_share},
    )


TIDY_CHECKS = [scores_model_names_matched]
