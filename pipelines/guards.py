"""Guards on a newly fetched file, evaluated before it replaces the last good copy in `raw.<source>`.

A pull that fails a guard is not loaded: the previous table (and everything built from it) stays, and the run
fails naming the source, the guard and the values.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from pipelines.aliases import canonical_columns, missing_columns
from pipelines.sources import Source

MAX_ROW_DROP = 0.20  # a pull may lose at most this share of the previous pull's rows


@dataclass(frozen=True)
class GuardResult:
    name: str
    passed: bool
    message: str
    metadata: dict[str, object] = field(default_factory=dict)


RAW_GUARDS: dict[str, str] = {
    "required_columns": "Every required column (or a known alias) is present.",
    "row_count_not_collapsed": f"Row count fell by at most {MAX_ROW_DROP:.0%} against the previous good pull.",
    "keys_unique": "No two rows share the source's key columns.",
}


def _data_columns(frame: pl.DataFrame) -> list[str]:
    return [c for c in frame.columns if not c.startswith("_")]


def required_columns_guard(source: Source, frame: pl.DataFrame) -> GuardResult:
    if source.format == "zip":  # zip members are checked one by one when fetched
        return GuardResult("required_columns", True, "checked per zip member at fetch time")
    missing = missing_columns(_data_columns(frame), source.required_columns)
    if missing:
        return GuardResult(
            "required_columns",
            False,
            f"{source.name}: missing required column(s) {missing}; found {_data_columns(frame)[:15]}",
            {"missing": str(missing)},
        )
    return GuardResult("required_columns", True, "all required columns present")


def row_count_guard(source: Source, rows: int, previous_rows: int | None) -> GuardResult:
    meta = {"rows": rows, "previous_rows": previous_rows if previous_rows is not None else -1}
    if previous_rows is None or previous_rows == 0:
        return GuardResult("row_count_not_collapsed", True, "no previous pull to compare with", meta)
    drop = 1 - rows / previous_rows
    meta["drop_share"] = round(drop, 4)
    if drop > MAX_ROW_DROP:
        return GuardResult(
            "row_count_not_collapsed",
            False,
            f"{source.name}: {rows} rows against {previous_rows} in the previous good pull "
            f"(a {drop:.0%} drop; at most {MAX_ROW_DROP:.0%} allowed)",
            meta,
        )
    return GuardResult("row_count_not_collapsed", True, f"{rows} rows (previous {previous_rows})", meta)


def unique_keys_guard(source: Source, frame: pl.DataFrame) -> GuardResult:
    if not source.key_columns:
        return GuardResult("keys_unique", True, "no key columns declared for this source")
    renamed = frame.rename(canonical_columns(frame.columns))
    keys = [c for c in source.key_columns if c in renamed.columns]
    if not keys:
        return GuardResult("keys_unique", False, f"{source.name}: none of the key columns {source.key_columns}")
    normalised = renamed.select(
        [pl.col(c).str.replace_all(r"\s+", " ").str.strip_chars().str.to_lowercase().alias(c) for c in keys]
    ).filter(pl.any_horizontal(pl.col(keys).is_not_null()))
    duplicated = normalised.filter(normalised.is_duplicated())
    if duplicated.height:
        examples = duplicated.unique().head(5).rows()
        return GuardResult(
            "keys_unique",
            False,
            f"{source.name}: {duplicated.height} rows share a key {tuple(keys)}; e.g. {examples}",
            {"duplicated_rows": duplicated.height, "examples": str(examples)},
        )
    return GuardResult("keys_unique", True, f"keys {tuple(keys)} unique over {normalised.height} rows")


def raw_guards(source: Source, frame: pl.DataFrame, previous_rows: int | None) -> list[GuardResult]:
    """Every guard of a new pull, in the order of `RAW_GUARDS`."""
    return [
        required_columns_guard(source, frame),
        row_count_guard(source, frame.height, previous_rows),
        unique_keys_guard(source, frame),
    ]
