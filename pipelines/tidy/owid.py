"""Our World in Data grapher CSVs to `tidy.owid_series`: one row per entity, date and variable."""

from __future__ import annotations

import re

import polars as pl

from pipelines.raw.parse import Rejections
from pipelines.raw.sources import SOURCES
from pipelines.tidy.keys import clean_name_expr, model_key_expr
from pipelines.tidy.plausibility import OWID, Rule, file_rules
from pipelines.tidy.steps import Snapshots, TidyOutput, TidyStep, with_sha

KEY_COLUMNS = ("Entity", "Code", "Day", "Year", "Domain", "Organization")
# OWID draws its fitted trend lines as extra entities ("4.7x/year between 2010–2025", "7:4.7x/year ..."): not models.
TREND_LINE_ENTITY = r"^(\d+:)?\s*[\d.]+x/year\b"
UNIT_IN_NAME = re.compile(r"\(([^)]+)\)\s*$")


def repair_split_entities(raw: pl.DataFrame) -> pl.DataFrame:
    """Join a row whose name was broken by an unquoted newline: a name-only row followed by a row with no name."""
    values = [c for c in raw.columns if c not in ("Entity", "_row_number") and not c.startswith("_")]
    name_only = pl.col("Entity").is_not_null() & pl.all_horizontal(pl.col(values).is_null())
    orphan = pl.col("Entity").is_null() | (pl.col("Entity").str.strip_chars() == "")
    flagged = raw.with_columns(name_only.alias("_name_only"), orphan.alias("_orphan"))
    heads = flagged["_name_only"].to_list()
    orphans = flagged["_orphan"].to_list()
    entities = flagged["Entity"].to_list()
    drop = [False] * raw.height
    for i in range(raw.height - 1):
        if heads[i] and orphans[i + 1]:
            entities[i + 1] = entities[i]
            drop[i] = True
    return (
        flagged.with_columns(pl.Series("Entity", entities, dtype=pl.String))
        .filter(~pl.Series(drop))
        .drop("_name_only", "_orphan")
    )


def tidy_owid(
    raw: pl.DataFrame, source: str, ranges: dict[tuple[str, str], Rule] | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(series, rejections): every value column melted to rows with its unit, trend-line entities dropped.

    Repeated header rows are dropped, control characters removed from entity and domain names, and dates and values
    outside the `plausible_ranges` seed's `owid` rules set to null; each is recorded.
    """
    rejections = Rejections(source)
    rules = file_rules(OWID, raw, ranges)
    frame = repair_split_entities(rejections.text(rejections.header_rows(raw), ("Entity", "Domain")))
    frame = frame.filter(~pl.col("Entity").str.contains(TREND_LINE_ENTITY).fill_null(False))
    value_columns = [c for c in frame.columns if c not in KEY_COLUMNS and not c.startswith("_")]
    dates = (
        rules.check(rejections, frame, "Day", "date", rejections.date(frame, "Day")) if "Day" in frame.columns else None
    )
    years = frame["Year"].cast(pl.Int32, strict=False) if "Year" in frame.columns else None
    names = frame.select(clean_name_expr("Entity").alias("entity"), model_key_expr("Entity").alias("model_key"))
    parts = []
    for column in value_columns:
        unit_match = UNIT_IN_NAME.search(column)
        parts.append(
            pl.DataFrame(
                {
                    "chart": [source] * frame.height,
                    "entity": names["entity"],
                    "model_key": names["model_key"],  # the join key to marts.models (pipelines/tidy/keys.py)
                    "date": dates if dates is not None else pl.Series([None] * frame.height, dtype=pl.Date),
                    "year": years if years is not None else (dates.dt.year() if dates is not None else None),
                    "domain": frame["Domain"] if "Domain" in frame.columns else None,
                    "variable": [column] * frame.height,
                    "value": rules.check(rejections, frame, column, column, rejections.number(frame, column)),
                    "unit": [unit_match.group(1) if unit_match else None] * frame.height,
                    "row_number": frame["_row_number"],
                },
                schema_overrides={"domain": pl.String, "year": pl.Int32, "unit": pl.String},
            )
        )
    series = pl.concat(parts, how="vertical").filter(pl.col("value").is_not_null())
    return series, rejections.frame()


OWID_SOURCES = tuple(s.name for s in SOURCES if s.name.startswith("owid_"))  # a new `owid_*` source joins by name


def owid_step_output(raw: dict[str, pl.DataFrame], snapshots: Snapshots) -> TidyOutput:
    series, rejected = [], []
    for name in OWID_SOURCES:
        frame, rejections = tidy_owid(raw[name], name)
        series.append(with_sha(frame, snapshots.get(name)))
        rejected.append(rejections)
    return TidyOutput({"owid_series": pl.concat(series, how="vertical_relaxed")}, pl.concat(rejected))


STEPS = [
    TidyStep(
        "owid_series",
        OWID_SOURCES,
        ("owid_series",),
        owid_step_output,
        "every OWID chart in long form (entity, date, variable, value, unit), trend lines dropped.",
    )
]
