"""Casting published text to numbers and dates, counting every value that fails instead of dropping it."""

from __future__ import annotations

import polars as pl

REJECTED_SCHEMA: dict[str, pl.DataType] = {
    "source": pl.String(),
    "column_name": pl.String(),
    "row_number": pl.Int64(),
    "raw_value": pl.String(),
    "reason": pl.String(),
}

# Placeholders the sources use for "no value": null, not rejected.
NULL_MARKERS = ("", "NaN", "nan", "NA", "N/A", "None", "null", "-")
NON_FINITE = ("Infinity", "-Infinity", "inf", "-inf", "Inf")


def empty_rejections() -> pl.DataFrame:
    return pl.DataFrame(schema=REJECTED_SCHEMA)


class Rejections:
    """Collects the values of one source that could not be cast, for `ops.rejected_values`."""

    def __init__(self, source: str) -> None:
        self.source = source
        self._frames: list[pl.DataFrame] = []

    def add(self, frame: pl.DataFrame, column: str, bad: pl.Series, reason: str) -> None:
        """Record the rows of `frame` where `bad` holds; `frame` must carry `_row_number`."""
        rows = frame.filter(bad)
        if rows.height == 0:
            return
        self._frames.append(
            rows.select(
                pl.lit(self.source).alias("source"),
                pl.lit(column).alias("column_name"),
                pl.col("_row_number").cast(pl.Int64).alias("row_number"),
                pl.col(column).cast(pl.String).alias("raw_value"),
                pl.lit(reason).alias("reason"),
            )
        )

    def number(self, frame: pl.DataFrame, column: str, *, positive: bool = False) -> pl.Series:
        """`column` as Float64; unparsable, non-finite (and, with `positive`, non-positive) values become null."""
        if column not in frame.columns:
            return pl.Series(column, [None] * frame.height, dtype=pl.Float64)
        text = frame[column].cast(pl.String).str.strip_chars()
        is_marker = text.is_null() | text.is_in(NULL_MARKERS)
        non_finite = text.is_in(NON_FINITE)
        parsed = text.str.replace_all(",", "", literal=True).cast(pl.Float64, strict=False)
        has_list = text.str.contains(",", literal=True).fill_null(False)
        self.add(frame, column, has_list & ~is_marker, "several values in one cell; expected one number")
        self.add(frame, column, non_finite, "non-finite number; expected a finite number")
        unparsable = ~is_marker & ~non_finite & ~has_list & parsed.is_null()
        self.add(frame, column, unparsable, "not a number")
        valid = ~is_marker & ~non_finite & ~has_list & parsed.is_not_null()
        if positive:
            not_positive = valid & (parsed <= 0)
            self.add(frame, column, not_positive, "not a positive number")
            valid = valid & ~not_positive
        return pl.select(pl.when(valid).then(parsed).otherwise(None)).to_series().alias(column)

    def date(self, frame: pl.DataFrame, column: str) -> pl.Series:
        """`column` as Date from ISO `YYYY-MM-DD` (a time part is ignored); anything else becomes null."""
        if column not in frame.columns:
            return pl.Series(column, [None] * frame.height, dtype=pl.Date)
        text = frame[column].cast(pl.String).str.strip_chars()
        is_marker = text.is_null() | text.is_in(NULL_MARKERS)
        parsed = text.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)
        self.add(frame, column, ~is_marker & parsed.is_null(), "not a date; expected YYYY-MM-DD")
        return parsed.alias(column)

    def frame(self) -> pl.DataFrame:
        """Every rejection recorded so far, in the `ops.rejected_values` layout."""
        if not self._frames:
            return empty_rejections()
        return pl.concat(self._frames, how="vertical")


def split_list(frame: pl.DataFrame, column: str) -> pl.Series:
    """A comma list cell (`Organization`, `Domain`, ...) as a list of names; null stays null.

    Items are separated by a bare comma; one published organization name contains ", " itself, so a comma
    followed by a space does not split.
    """
    if column not in frame.columns:
        return pl.Series(column, [None] * frame.height, dtype=pl.List(pl.String))
    keep = "\x00"
    return (
        frame[column]
        .str.replace_all(", ", keep, literal=True)
        .str.split(",")
        .list.eval(pl.element().str.replace_all(keep, ", ", literal=True).str.strip_chars())
        .list.eval(pl.element().filter(pl.element() != ""))
        .alias(column)
    )
