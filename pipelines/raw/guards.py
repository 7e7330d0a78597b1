"""Guards on a newly fetched file, evaluated before it replaces the last good copy in `raw.<source>`.

A pull that fails a guard is not loaded: the previous table (and everything built from it) stays, and the run
fails naming the source, the guard and the values. A file too large to be worth reading (past its source's bytes,
or many times the previous pull's rows) fails `size_within_limits` and is not checked further.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from pipelines.raw.aliases import canonical_columns, missing_columns
from pipelines.raw.parse import Rejections
from pipelines.raw.sources import Source

MAX_ROW_DROP = 0.20  # a pull may lose at most this share of the previous pull's rows
MAX_ROW_GROWTH = 5.0  # a pull may hold at most this many times the previous pull's rows
SIZE_GUARD = "size_within_limits"
MAX_UNPARSEABLE_RISE = 0.05  # a critical column may gain at most this share of unparseable values
MAX_UNPARSEABLE_FIRST = 0.50  # with no previous pull to compare with, at most this share may be unparseable


@dataclass(frozen=True)
class GuardResult:
    name: str
    passed: bool
    message: str
    metadata: dict[str, object] = field(default_factory=dict)


RAW_GUARDS: dict[str, str] = {
    "required_columns": "Every required column (or a known alias) is present.",
    "row_count_not_collapsed": f"Row count fell by at most {MAX_ROW_DROP:.0%} against the previous good pull.",
    SIZE_GUARD: (
        "The file (and a zip's members, unpacked) within its source's max_bytes (max_unpacked_bytes), counted as it "
        f"downloads, and at most {MAX_ROW_GROWTH:g} times the previous good pull's rows."
    ),
    "keys_unique": "No two rows share the source's key columns.",
    "critical_columns_parse": (
        f"No critical column (dates, compute, names, ...) has a share of unparseable values more than "
        f"{MAX_UNPARSEABLE_RISE:.0%} points above the previous good pull's."
    ),
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


def size_guard(source: Source, rows: int, previous_rows: int | None) -> GuardResult:
    """A flood of rows passes every other guard and would keep dbt busy for half an hour; the bytes were checked
    as the file was fetched (`pipelines.raw.fetch.TooLarge`), the rows are checked here."""
    meta = {"rows": rows, "previous_rows": previous_rows if previous_rows is not None else -1}
    if previous_rows and rows > MAX_ROW_GROWTH * previous_rows:
        limit = int(MAX_ROW_GROWTH * previous_rows)
        return GuardResult(
            SIZE_GUARD,
            False,
            f"{source.name}: {rows:,} rows against {previous_rows:,} in the previous good pull "
            f"({rows / previous_rows:.1f} times as many; at most {MAX_ROW_GROWTH:g} times, {limit:,} rows, allowed)",
            meta | {"limit_rows": limit},
        )
    return GuardResult(SIZE_GUARD, True, f"{rows} rows (previous {previous_rows}); bytes within limits", meta)


def rejected_by(failed: GuardResult) -> list[GuardResult]:
    """Every guard's result for a file that `failed` rejected on its own, in the order of `RAW_GUARDS`: a file past
    its size limits is not worth checking further (or was not even read), so the other guards are not evaluated."""
    skipped = f"not evaluated: the file failed {failed.name}"
    return [failed if name == failed.name else GuardResult(name, True, skipped) for name in RAW_GUARDS]


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


def unparseable(frame: pl.DataFrame, column: str, kind: str) -> tuple[float, list[str]]:
    """The share of a column's values that do not parse as `kind` (among the non-empty ones; for text, the share
    of empty cells), with up to three examples."""
    if column not in frame.columns or frame.height == 0:
        return 0.0, []
    if kind == "text":
        empty = frame[column].cast(pl.String).str.strip_chars().fill_null("") == ""
        return float(empty.mean() or 0.0), ["(empty)"] * min(3, int(empty.sum()))
    rejections = Rejections("guard")
    parse = rejections.date if kind == "date" else rejections.number
    parse(frame.with_row_index("_row_number", offset=1) if "_row_number" not in frame.columns else frame, column)
    bad = rejections.frame()
    filled = frame[column].cast(pl.String).str.strip_chars().fill_null("")
    present = int((filled != "").sum())
    return (bad.height / present if present else 0.0), bad["raw_value"].head(3).to_list()


def critical_columns_guard(source: Source, frame: pl.DataFrame, previous: pl.DataFrame | None) -> GuardResult:
    """A format change (dates written another way, numbers with units) fails here, before the file is swapped in."""
    renamed = frame.rename(canonical_columns(frame.columns))
    before = previous.rename(canonical_columns(previous.columns)) if previous is not None else None
    problems, meta = [], {}
    for column, kind in source.critical_columns:
        share, examples = unparseable(renamed, column, kind)
        base = unparseable(before, column, kind)[0] if before is not None else None
        meta[column] = round(share, 4)
        limit = MAX_UNPARSEABLE_FIRST if base is None else base + MAX_UNPARSEABLE_RISE
        if share > limit:
            was = "no previous pull" if base is None else f"{base:.1%} in the previous good pull"
            problems.append(f"column {column!r}: {share:.1%} of values do not parse as {kind} ({was}); e.g. {examples}")
    if problems:
        return GuardResult("critical_columns_parse", False, f"{source.name}: " + "; ".join(problems), meta)
    return GuardResult("critical_columns_parse", True, f"critical columns parse as before: {meta}", meta)


def raw_guards(
    source: Source, frame: pl.DataFrame, previous_rows: int | None, previous: pl.DataFrame | None = None
) -> list[GuardResult]:
    """Every guard of a new pull, in the order of `RAW_GUARDS`; `previous` is the raw table it would replace."""
    size = size_guard(source, frame.height, previous_rows)
    if not size.passed:
        return rejected_by(size)
    return [
        required_columns_guard(source, frame),
        row_count_guard(source, frame.height, previous_rows),
        size,
        unique_keys_guard(source, frame),
        critical_columns_guard(source, frame, previous),
    ]


def column_changes(frame: pl.DataFrame, previous_columns: list[str] | None) -> tuple[list[str], list[str]]:
    """(added, removed) published columns against the file the raw table held; none for a first pull."""
    if previous_columns is None:
        return [], []
    now, before = _data_columns(frame), [c for c in previous_columns if not c.startswith("_")]
    return [c for c in now if c not in before], [c for c in before if c not in now]
