"""Plausibility rules: the range a tidy value must lie in, from one table that the tidy layer and dbt's tests both read.

`dbt_like_models/seeds/plausible_ranges.csv` holds one row per (source, column): minimum, maximum, unit and why. The
tidy layer records a value outside its range in `ops.rejected_values` and sets it to null, so the rest of the file
publishes; dbt's `plausible_columns` tests (one per model) read the same seed (macro `plausible_ranges_relation`)
and stay as a safety net that fails only on a bug. `source` is a source name or a family: `epoch_models` (every
Epoch model file) and `owid` (every OWID chart); `column_name` is the tidy column (for OWID's long table, the
published variable).

Dates: `min_value` is an ISO date and `max_value` is `fetched_at + <n> year(s)` (or `day(s)`), counted from the
file's pull (the raw table's `_fetched_at`): a margin for release dates announced ahead and for clocks, while a
2099 typo for 2026 is caught. A frame without `_fetched_at` (a test fixture) counts from now.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import cache
from pathlib import Path
from types import MappingProxyType

import polars as pl

from pipelines.raw.parse import Rejections
from pipelines.settings import PROJECT_ROOT

RANGES_FILE = PROJECT_ROOT / "dbt_like_models" / "seeds" / "plausible_ranges.csv"
FIELDS = ("source", "column_name", "min_value", "max_value", "unit", "why")
DATE_UNIT = "date"
MARGIN = re.compile(r"^fetched_at \+ (\d+) (year|day)s?$")
# the seed's source of every Epoch model file and of every OWID chart
EPOCH_MODELS = "epoch_models"
OWID = "owid"


@dataclass(frozen=True)
class Rule:
    """One row of the seed: the plausible range of one column of one source."""

    source: str
    column_name: str
    min_value: str
    max_value: str
    unit: str
    why: str

    @property
    def is_date(self) -> bool:
        return self.unit == DATE_UNIT

    def numbers(self) -> tuple[float, float]:
        """(minimum, maximum) of a numeric rule."""
        return float(self.min_value), float(self.max_value)

    def dates(self, fetched_at: datetime) -> tuple[date, date]:
        """(earliest, latest) plausible date of a file pulled at `fetched_at`."""
        found = MARGIN.match(self.max_value)
        if found is None:
            raise ValueError(f"{self.source}.{self.column_name}: max_value {self.max_value!r} is not {MARGIN.pattern}")
        amount, unit = int(found.group(1)), found.group(2)
        pulled = fetched_at.astimezone(UTC).date() if fetched_at.tzinfo else fetched_at.date()
        if unit == "day":
            latest = pulled + timedelta(days=amount)
        elif (pulled.month, pulled.day) == (2, 29):
            latest = date(pulled.year + amount, 2, 28)
        else:
            latest = pulled.replace(year=pulled.year + amount)
        return date.fromisoformat(self.min_value), latest


def _validated(rule: Rule, where: str) -> Rule:
    """`rule` if its bounds read as the unit says; else a ValueError naming the file, line and field."""
    try:
        if rule.is_date:
            rule.dates(datetime.now(UTC))
        else:
            low, high = rule.numbers()
            if not (math.isfinite(low) and math.isfinite(high) and low < high):
                raise ValueError(f"min_value {rule.min_value} must be below max_value {rule.max_value}, both finite")
    except ValueError as exc:
        raise ValueError(f"{where}: {rule.source}.{rule.column_name}: {exc}") from exc
    if not rule.unit.strip() or not rule.why.strip():
        raise ValueError(f"{where}: {rule.source}.{rule.column_name}: unit and why are required")
    return rule


def load_ranges(path: Path = RANGES_FILE) -> dict[tuple[str, str], Rule]:
    """Every rule of the seed, keyed by (source, column_name), validated; a bad row stops the pipeline."""
    rules: dict[tuple[str, str], Rule] = {}
    with Path(path).open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != FIELDS:
            raise ValueError(f"{path}: columns must be {FIELDS}, found {reader.fieldnames}")
        for line, row in enumerate(reader, start=2):
            rule = _validated(Rule(**{field: (row[field] or "").strip() for field in FIELDS}), f"{path}:{line}")
            if (rule.source, rule.column_name) in rules:
                raise ValueError(f"{path}:{line}: {rule.source}.{rule.column_name} has a rule already")
            rules[(rule.source, rule.column_name)] = rule
    return rules


@cache
def seed_ranges() -> Mapping[tuple[str, str], Rule]:
    """The seed's rules (`load_ranges`), read once per process: every tidy asset and each of its files checks
    against them. Read-only, as it is shared."""
    return MappingProxyType(load_ranges())


def fetch_time(frame: pl.DataFrame) -> datetime:
    """When the file behind a raw frame was pulled (its `_fetched_at`, UTC); now when the frame does not say."""
    if "_fetched_at" in frame.columns and frame["_fetched_at"].drop_nulls().len():
        value = frame["_fetched_at"].drop_nulls().max()
        pulled = datetime.fromisoformat(value) if isinstance(value, str) else value
        if isinstance(pulled, datetime):
            return pulled if pulled.tzinfo else pulled.replace(tzinfo=UTC)
    return datetime.now(UTC)


@dataclass(frozen=True)
class FileRules:
    """The rules of one seed source, applied to one pulled file."""

    source: str
    fetched_at: datetime
    ranges: Mapping[tuple[str, str], Rule]

    def rule(self, name: str) -> Rule | None:
        return self.ranges.get((self.source, name))

    def check(
        self, rejections: Rejections, frame: pl.DataFrame, column: str, name: str, values: pl.Series
    ) -> pl.Series:
        """`values` (parsed from `frame[column]`) with those outside the rule of tidy column `name` recorded under
        `column`, with the raw text and what was expected, and set to null."""
        rule = self.rule(name)
        if rule is None or column not in frame.columns:
            return values
        if rule.is_date:
            earliest, latest = rule.dates(self.fetched_at)
            early, late = (values < earliest).fill_null(False), (values > latest).fill_null(False)
            pulled = self.fetched_at.astimezone(UTC).date()
            rejections.add(frame, column, early, f"before the earliest plausible date; expected {earliest} or later")
            reason = f"after the pull; expected {latest} or earlier ({rule.max_value}, fetched {pulled})"
            rejections.add(frame, column, late, reason)
            outside = early | late
        else:
            low, high = rule.numbers()
            outside = ((values < low) | (values > high)).fill_null(False)
            reason = f"outside the plausible range; expected {rule.min_value} to {rule.max_value} {rule.unit}"
            rejections.add(frame, column, outside, reason)
        return pl.select(pl.when(outside).then(None).otherwise(values)).to_series().alias(values.name)


def file_rules(source: str, frame: pl.DataFrame, ranges: Mapping[tuple[str, str], Rule] | None = None) -> FileRules:
    """The rules of seed source `source` for the file behind raw `frame`; `ranges` defaults to `seed_ranges()`."""
    return FileRules(source=source, fetched_at=fetch_time(frame), ranges=seed_ranges() if ranges is None else ranges)
