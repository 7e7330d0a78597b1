"""What the asset checks of `trends.*` verify, as plain functions on a table's frame.

For rows with status 'ok' (every row, for tables without a status): the listed estimates are present (and finite,
for numbers), every other number present is finite, each estimate lies within its own interval, and each count is
at least the minimum its fit requires. Rows with another status ('insufficient data: ...', 'unstable: ...') stay in
the table, visible, and are not checked.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

FLOATS = (pl.Float32, pl.Float64)


@dataclass(frozen=True)
class TableContract:
    table: str
    required: tuple[str, ...]  # present (and finite, for numbers) where the row is checked
    intervals: tuple[tuple[str, str, str], ...] = ()  # (estimate, low, high), checked where all three are present
    minimums: tuple[tuple[str, int], ...] = ()  # (count column, minimum)
    status_column: str | None = "status"
    expect_rows: bool = True  # at least one checked row


def _is_bad(column: str, dtype: pl.DataType) -> pl.Expr:
    missing = pl.col(column).is_null()
    return missing | ~pl.col(column).is_finite() if dtype in FLOATS else missing


def table_problems(frame: pl.DataFrame, contract: TableContract) -> dict[str, object]:
    """Counts of checked rows breaking each rule, with an example; `passed` is True when none does."""
    checked = frame
    if contract.status_column is not None:
        checked = frame.filter(pl.col(contract.status_column) == "ok")
    schema = checked.schema
    floats = [name for name, dtype in schema.items() if dtype in FLOATS]

    def rows_where(expressions: list[pl.Expr]) -> pl.DataFrame:
        if not expressions or checked.is_empty():
            return checked.clear()
        return checked.filter(pl.any_horizontal(expressions))

    missing = rows_where([_is_bad(c, schema[c]) for c in contract.required])
    non_finite = rows_where([pl.col(c).is_not_null() & ~pl.col(c).is_finite() for c in floats])
    outside = rows_where(
        [
            pl.col(e).is_not_null()
            & pl.col(lo).is_not_null()
            & pl.col(hi).is_not_null()
            & ((pl.col(e) < pl.col(lo)) | (pl.col(e) > pl.col(hi)))
            for e, lo, hi in contract.intervals
        ]
    )
    too_few = rows_where([pl.col(c) < minimum for c, minimum in contract.minimums])
    empty = contract.expect_rows and checked.is_empty()
    example = ""
    for bad in (missing, non_finite, outside, too_few):
        if bad.height:
            keys = [c for c in bad.columns if bad.schema[c] == pl.String][:3]
            example = str(bad.select(keys).head(3).rows())
            break
    return {
        "passed": not (missing.height or non_finite.height or outside.height or too_few.height or empty),
        "rows": frame.height,
        "checked_rows": checked.height,
        "missing_estimates": missing.height,
        "non_finite_numbers": non_finite.height,
        "ci_not_containing_estimate": outside.height,
        "n_below_minimum": too_few.height,
        "no_checked_rows": empty,
        "example": example,
    }
