"""Casting published text to numbers and dates, counting every value that fails instead of dropping it."""

from __future__ import annotations

import re
from collections.abc import Iterable

import polars as pl

REJECTED_SCHEMA: dict[str, pl.DataType] = {
    "source": pl.String(),
    "column_name": pl.String(),
    "row_number": pl.Int64(),
    "raw_value": pl.String(),
    "reason": pl.String(),
}

# Placeholders for "no value": null, not rejected. Epoch's and OWID's files write an empty cell; `NaN` is not among
# these: where a published file has it (Epoch's computed `FLOP/$`), it is the result of a division by zero, so a
# `NaN` or `Infinity` in a numeric column is recorded as a rejection.
NULL_MARKERS = ("", "NA", "N/A", "None", "null", "-")
# Control characters (U+0000-U+001F, U+007F) other than the whitespace that names legitimately carry (tab, newline and
# the carriage return of a CRLF file, all collapsed by `keys.clean_name_expr`): they break exports and key joins.
CONTROL_CHARACTERS = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
HEADER_ROW = "(whole row)"  # the column name a repeated header row is recorded under
_CONTROL = re.compile(CONTROL_CHARACTERS)


def empty_rejections() -> pl.DataFrame:
    return pl.DataFrame(schema=REJECTED_SCHEMA)


def escape_control(text: str | None) -> str | None:
    """`text` with each control character written as `\\xNN`, so a recorded raw value can be shown and exported."""
    return None if text is None else _CONTROL.sub(lambda found: f"\\x{ord(found.group()):02x}", text)


class Rejections:
    """Collects the values of one source that could not be cast or are implausible, for `ops.rejected_values`."""

    def __init__(self, source: str) -> None:
        self.source = source
        self._frames: list[pl.DataFrame] = []

    def add(self, frame: pl.DataFrame, column: str, bad: pl.Series, reason: str, *, label: str | None = None) -> None:
        """Record the rows of `frame` where `bad` holds, under `label` (default `column`); `frame` must carry
        `_row_number`. Control characters in the raw value are written as `\\xNN`."""
        rows = frame.filter(bad.fill_null(False))
        if rows.height == 0:
            return
        raw = [escape_control(value) for value in rows[column].cast(pl.String).to_list()]
        self._frames.append(
            rows.select(
                pl.lit(self.source).alias("source"),
                pl.lit(label or column).alias("column_name"),
                pl.col("_row_number").cast(pl.Int64).alias("row_number"),
                pl.Series("raw_value", raw, dtype=pl.String),
                pl.lit(reason).alias("reason"),
            )
        )

    def number(self, frame: pl.DataFrame, column: str, *, positive: bool = False) -> pl.Series:
        """`column` as Float64; unparsable, non-finite (`NaN`, `Infinity`, `1e400`) and, with `positive`,
        non-positive values are recorded and become null. Empty cells and `NULL_MARKERS` are missing, not bad."""
        if column not in frame.columns:
            return pl.Series(column, [None] * frame.height, dtype=pl.Float64)
        text = frame[column].cast(pl.String).str.strip_chars()
        is_marker = text.is_null() | text.is_in(NULL_MARKERS)
        has_list = text.str.contains(",", literal=True).fill_null(False) & ~is_marker
        parsed = text.str.replace_all(",", "", literal=True).cast(pl.Float64, strict=False)
        non_finite = ~has_list & parsed.is_not_null() & ~parsed.is_finite()
        self.add(frame, column, has_list, "several values in one cell; expected one number")
        self.add(frame, column, non_finite, "not a finite number (NaN or Infinity); expected a finite number")
        unparsable = ~is_marker & ~has_list & parsed.is_null()
        self.add(frame, column, unparsable, "not a number")
        valid = ~is_marker & ~has_list & ~non_finite & parsed.is_not_null()
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

    def text(self, frame: pl.DataFrame, columns: Iterable[str], *, prefix: str = "") -> pl.DataFrame:
        """`frame` with control characters removed from the text `columns` it has, each cleaned cell recorded
        (under `prefix + column`): the rest of the value is what the publisher meant, so the row is kept."""
        present = [c for c in columns if c in frame.columns]
        for column in present:
            dirty = frame[column].cast(pl.String).str.contains(CONTROL_CHARACTERS).fill_null(False)
            reason = "control character in text; expected printable text (the characters were removed)"
            self.add(frame, column, dirty, reason, label=prefix + column)
        return frame.with_columns(pl.col(c).cast(pl.String).str.replace_all(CONTROL_CHARACTERS, "") for c in present)

    def header_rows(self, frame: pl.DataFrame, *, prefix: str = "") -> pl.DataFrame:
        """`frame` without the rows that repeat its header (at least half the published cells hold their own column
        name, as when two files are concatenated), each recorded once under `prefix + HEADER_ROW`."""
        columns = [c for c in frame.columns if not c.startswith("_")]
        if not columns or frame.height == 0:
            return frame
        own_name = [(pl.col(c).cast(pl.String).str.strip_chars() == c.strip()).fill_null(False) for c in columns]
        header = frame.select((pl.sum_horizontal(own_name) * 2 >= len(columns)).alias("header")).to_series()
        if not header.any():
            return frame
        line = pl.concat_str(columns, separator=",", ignore_nulls=True).str.slice(0, 200).alias(HEADER_ROW)
        reason = "repeated header row (its cells are the column names); expected a data row, the row was dropped"
        self.add(frame.select("_row_number", line), HEADER_ROW, header, reason, label=prefix + HEADER_ROW)
        return frame.filter(~header)

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
