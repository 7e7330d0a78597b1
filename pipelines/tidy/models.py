"""Epoch's model files (notable, frontier, large-scale, all) to tidy tables: models, compute, params, tokens, cost.

Each fact table keeps one row per model and source file, so a marts model can choose which file wins and show
where the files disagree.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl
import yaml

from pipelines.raw.aliases import canonical_columns
from pipelines.raw.parse import Rejections, split_list
from pipelines.settings import PROJECT_ROOT
from pipelines.tidy.keys import clean_name_expr, model_key_expr
from pipelines.tidy.plausibility import EPOCH_MODELS, FileRules, Rule, file_rules
from pipelines.tidy.steps import Snapshots, TidyOutput, TidyStep, with_snapshot
from pipelines.warehouse import first_row, transaction

# Which file's description of a model wins (the most curated and most recent first): one dbt seed, which the marts
# join and tidy.models reads, so the rule is written once.
SOURCE_PRIORITY_FILE = PROJECT_ROOT / "dbt_like_models" / "seeds" / "model_source_priority.csv"


def load_source_priority(path: Path = SOURCE_PRIORITY_FILE) -> tuple[str, ...]:
    """The Epoch model files, most curated first, from the `model_source_priority` seed."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = sorted(csv.DictReader(handle), key=lambda row: int(row["priority"]))
    return tuple(row["source"] for row in rows)


MODEL_SOURCE_PRIORITY = load_source_priority()

# The model fields every pull's snapshot keeps (ops.model_snapshots) and marts.model_history diffs: one dbt var, which
# model_history.sql reads too, with each field's DuckDB type.
DBT_PROJECT_FILE = PROJECT_ROOT / "dbt_like_models" / "dbt_project.yml"


def load_tracked_fields(path: Path = DBT_PROJECT_FILE) -> dict[str, str]:
    """Tracked field -> DuckDB type, in order, from the dbt var `tracked_model_fields`."""
    with path.open(encoding="utf-8") as handle:
        return dict(yaml.safe_load(handle)["vars"]["tracked_model_fields"])


TRACKED_MODEL_FIELDS = load_tracked_fields()
# the side table of tidy/models, written here only: the tracked fields of every model in every distinct file
SNAPSHOT_DDL = f"""
create table if not exists ops.model_snapshots (
    source varchar not null,
    sha256 varchar not null,
    fetched_at timestamptz not null,
    model_key varchar not null,
    model_name varchar,
    {", ".join(f"{field} {kind}" for field, kind in TRACKED_MODEL_FIELDS.items())}
)
"""

# output column -> (published canonical column, must be > 0)
COMPUTE_COLUMNS = {"training_compute_flop": ("Training compute (FLOP)", True)}
PARAMS_COLUMNS = {"parameters": ("Parameters", True)}
TOKENS_COLUMNS = {"training_dataset_size_datapoints": ("Training dataset size (total)", True)}
COST_COLUMNS = {
    "training_cost_usd_2023": ("Training compute cost (2023 USD)", True),
    "training_cost_cloud_usd_2023": ("Training compute cost (cloud)", True),
    "training_cost_upfront_usd_2023": ("Training compute cost (upfront)", True),
    "hardware_acquisition_cost_usd": ("Hardware acquisition cost", True),
}


# published text columns carried into the tidy tables: control characters are removed from them and recorded
TEXT_COLUMNS = (
    "Model",
    "Organization",
    "Country (of organization)",
    "Model accessibility",
    "Domain",
    "Confidence",
    "Training compute estimation method",
)


@dataclass(frozen=True)
class ModelTables:
    models: pl.DataFrame
    compute: pl.DataFrame
    params: pl.DataFrame
    tokens: pl.DataFrame
    cost: pl.DataFrame
    rejections: pl.DataFrame
    # one row per model and file (before the most curated file wins): the base of per-pull snapshots
    described: pl.DataFrame


def _prepared(name: str, raw: pl.DataFrame, rejections: Rejections) -> pl.DataFrame:
    """Canonical column names, text without control characters, a model key and the source name; repeated header
    rows are dropped (they would become a model named `Model`). Each repair is recorded in `rejections`."""
    frame = rejections.header_rows(raw)
    frame = frame.rename(canonical_columns(frame.columns))
    if "Model" not in frame.columns:
        raise ValueError(f"{name}: no 'Model' column (or alias); found {frame.columns[:10]}")
    frame = rejections.text(frame, TEXT_COLUMNS)
    return frame.with_columns(
        clean_name_expr("Model").alias("model_name"),
        model_key_expr("Model").alias("model_key"),
        pl.lit(name).alias("source"),
    )


def _facts(
    frame: pl.DataFrame,
    columns: dict[str, tuple[str, bool]],
    rejections: Rejections,
    rules: FileRules,
    extra: list[str],
) -> pl.DataFrame:
    """One row per keyed model that has at least one of `columns`, values cast to Float64 and inside their
    plausible ranges (the others recorded and null)."""
    values = {
        out: rules.check(rejections, frame, published, out, rejections.number(frame, published, positive=positive))
        for out, (published, positive) in columns.items()
    }
    kept = [c for c in extra if c in frame.columns]
    facts = frame.select("model_key", "source", *kept).with_columns(
        *[series.alias(out) for out, series in values.items()]
    )
    facts = facts.rename({c: c.lower().replace(" ", "_") for c in kept})
    return facts.filter(pl.any_horizontal(pl.col(list(columns)).is_not_null()) & pl.col("model_key").is_not_null())


def _describe(frame: pl.DataFrame, rejections: Rejections, rules: FileRules) -> pl.DataFrame:
    """The descriptive columns of one file, typed; a publication date outside its plausible range is null."""
    frontier_flag = (
        frame["Frontier model"].str.strip_chars().str.to_lowercase().is_in(["true", "yes", "1"]).fill_null(False)
        if "Frontier model" in frame.columns
        else pl.Series([False] * frame.height)
    )
    domains = split_list(frame, "Domain")
    return pl.DataFrame(
        {
            "model_key": frame["model_key"],
            "model_name": frame["model_name"],
            "organization": frame["Organization"] if "Organization" in frame.columns else None,
            "organizations": split_list(frame, "Organization"),
            "publication_date": rules.check(
                rejections, frame, "Publication date", "publication_date", rejections.date(frame, "Publication date")
            ),
            "domains": domains,
            "domain": domains.list.first(),
            "country": frame["Country (of organization)"] if "Country (of organization)" in frame.columns else None,
            "accessibility": frame["Model accessibility"] if "Model accessibility" in frame.columns else None,
            "is_frontier_epoch": frontier_flag,
            "source": frame["source"],
            "source_row_number": frame["_row_number"],
        }
    )


def _tidy_file(name: str, raw: pl.DataFrame, ranges: dict[tuple[str, str], Rule] | None) -> dict[str, pl.DataFrame]:
    """The tidy frames of one Epoch model file: described models, facts and what was rejected on the way."""
    rejections = Rejections(name)
    rules = file_rules(EPOCH_MODELS, raw, ranges)
    frame = _prepared(name, raw, rejections)
    unnamed = frame["model_key"].is_null() | (frame["model_key"] == "")
    rejections.add(frame.with_columns(pl.col("Model").fill_null("")), "Model", unnamed, "empty model name")
    duplicated = frame["model_key"].is_duplicated() & ~unnamed
    rejections.add(frame, "Model", duplicated, "model name appears twice in one file; kept the first row")
    frame = frame.filter(~unnamed).unique(subset="model_key", keep="first", maintain_order=True)
    confidence = ["Confidence", "Training compute estimation method"]
    return {
        "described": _describe(frame, rejections, rules),
        "compute": _facts(frame, COMPUTE_COLUMNS, rejections, rules, confidence),
        "params": _facts(frame, PARAMS_COLUMNS, rejections, rules, []),
        "tokens": _facts(frame, TOKENS_COLUMNS, rejections, rules, []),
        "cost": _facts(frame, COST_COLUMNS, rejections, rules, []),
        "rejections": rejections.frame(),
    }


def tidy_models(raw: dict[str, pl.DataFrame], ranges: dict[tuple[str, str], Rule] | None = None) -> ModelTables:
    """Build every model table from the raw frames present (keys are source names; `all_models` is optional).

    `ranges` are the plausibility rules (default: the `plausible_ranges` seed, `seed_ranges`).
    """
    unknown = set(raw) - set(MODEL_SOURCE_PRIORITY)
    if unknown:
        raise ValueError(f"tidy_models got unknown sources {sorted(unknown)}; expected {MODEL_SOURCE_PRIORITY}")
    if not raw:
        raise ValueError(f"tidy_models got no model file; expected some of {MODEL_SOURCE_PRIORITY}")
    files = [_tidy_file(name, raw[name], ranges) for name in MODEL_SOURCE_PRIORITY if name in raw]
    stacked = {kind: pl.concat([part[kind] for part in files], how="diagonal_relaxed") for kind in files[0]}
    every = stacked["described"]
    membership = every.group_by("model_key").agg(
        *[(pl.col("source") == name).any().alias(f"in_{name}") for name in MODEL_SOURCE_PRIORITY],
        pl.col("is_frontier_epoch").any(),
    )
    priority = pl.col("source").replace_strict(
        {n: i for i, n in enumerate(MODEL_SOURCE_PRIORITY)}, return_dtype=pl.Int32
    )
    models = (
        every.drop("is_frontier_epoch")
        .with_columns(priority.alias("_priority"))
        .sort("_priority", "source_row_number")
        .unique(subset="model_key", keep="first", maintain_order=True)
        .drop("_priority")
        .rename({"source": "described_by"})
        .join(membership, on="model_key", how="left")
        .sort("publication_date", "model_key", nulls_last=True)
    )
    return ModelTables(
        models=models,
        compute=stacked["compute"],
        params=stacked["params"],
        tokens=stacked["tokens"],
        cost=stacked["cost"],
        rejections=stacked["rejections"],
        described=every,
    )


def model_snapshot(tables: ModelTables, source: str) -> pl.DataFrame:
    """The tracked fields of every model of one file, for `ops.model_snapshots` (revision history).

    Read from the tables `tidy_models` already built, so a pull is parsed once; one row per model of the file.
    """
    keys = ["source", "model_key"]
    described = tables.described.filter(pl.col("source") == source)
    own = [field for field in TRACKED_MODEL_FIELDS if field in described.columns]
    snapshot = described.select(*keys, "model_name", *own)
    for field in TRACKED_MODEL_FIELDS:
        if field not in own:
            table = next(t for t in (tables.compute, tables.params, tables.tokens, tables.cost) if field in t.columns)
            snapshot = snapshot.join(table.select(*keys, field), on=keys, how="left")
    return snapshot.select(*keys, "model_name", *TRACKED_MODEL_FIELDS)


def record_model_snapshots(con: duckdb.DuckDBPyConnection, raw: dict[str, pl.DataFrame], tables: ModelTables) -> int:
    """Keep the tracked fields of each model file version once, so `marts.model_history` can diff pulls.
    `ops.model_snapshots` is a side table of `tidy/models` (`pipelines.layers.SIDE_TABLES`); `rebuild` calls it
    too."""
    con.execute(SNAPSHOT_DDL)
    added = 0
    for name, frame in raw.items():
        sha, fetched_at = frame["_sha256"][0], frame["_fetched_at"][0]
        if first_row(con, "select 1 from ops.model_snapshots where source = ? and sha256 = ?", [name, sha]):
            continue
        snapshot = model_snapshot(tables, name).with_columns(
            pl.lit(sha).alias("sha256"), pl.lit(fetched_at).alias("fetched_at")
        )
        with transaction(con):
            con.register("_snapshot", snapshot)
            try:
                con.execute("insert into ops.model_snapshots by name select * from _snapshot")
            finally:
                con.unregister("_snapshot")
        added += snapshot.height
    return added


class SnapshotsOnReplay:
    """`rebuild` replays the model files in fetch order: each one's snapshot is recorded as its load recorded it,
    against the other model files as they stood then (`pipelines.raw.replay.replay`'s `on_load`)."""

    def __init__(self) -> None:
        self.raw: dict[str, pl.DataFrame] = {}

    def __call__(self, con: duckdb.DuckDBPyConnection, source: str, frame: pl.DataFrame) -> int:
        if source not in MODEL_SOURCE_PRIORITY:
            return 0
        self.raw[source] = frame
        return record_model_snapshots(con, {source: frame}, tidy_models(self.raw))


MODEL_TABLES = ("models", "compute", "params", "tokens", "cost")


def model_step_output(raw: dict[str, pl.DataFrame], snapshots: Snapshots) -> TidyOutput:
    """tidy.models and its fact tables, built together because they share one parse of each file; each file's
    tracked fields are kept in `ops.model_snapshots` once."""
    tables = tidy_models(raw)
    frames = {"models": with_snapshot(tables.models, snapshots, source_column="described_by")}
    frames |= {table: with_snapshot(getattr(tables, table), snapshots) for table in MODEL_TABLES[1:]}
    return TidyOutput(frames, tables.rejections, after=lambda con: record_model_snapshots(con, raw, tables))


STEPS = [
    TidyStep(
        "model_tables",
        MODEL_SOURCE_PRIORITY,
        MODEL_TABLES,
        model_step_output,
        "from Epoch's model files (notable, frontier, large-scale, all).",
    )
]
