"""What the asset checks of `trends.*` verify, as plain functions on a table's frame.

For rows with status 'ok' (every row, for tables without a status): the listed estimates are present (and finite,
for numbers), every other number present is finite, each estimate lies within its own interval, and each count is
at least the minimum its fit requires. Rows with another status ('insufficient data', 'unstable', ..., the why in
`status_reason`) stay in the table, visible, and are not checked. Every status is one of `Status` (a contract may
narrow them further). A contract may also fix the table's columns and their types and the numbers that must be
positive where the row is checked.

A failed check says what failed: each broken rule, how many rows break it, and one of them (its key columns and the
offending values), so that a failure in a run's log can be acted on without opening the warehouse.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import polars as pl

from pipelines.trends.status import STATUSES, Status

FLOATS = (pl.Float32, pl.Float64)
RULES = {
    "missing_estimates": "an estimate missing or not finite",
    "non_finite_numbers": "a number that is not finite",
    "ci_not_containing_estimate": "an estimate outside its CI",
    "n_below_minimum": "n below the fit's minimum",
    "non_positive": "a number that must be positive at or below zero",
}


@dataclass(frozen=True)
class TableContract:
    table: str
    required: tuple[str, ...]  # present (and finite, for numbers) where the row is checked
    intervals: tuple[tuple[str, str, str], ...] = ()  # (estimate, low, high), checked where all three are present
    minimums: tuple[tuple[str, int], ...] = ()  # (count column, minimum)
    status_column: str | None = "status"
    expect_rows: bool = True  # at least one checked row
    keys: tuple[str, ...] = ()  # the columns naming a row in a failure's example (default: its first text columns)
    columns: tuple[tuple[str, pl.DataType], ...] = ()  # exactly these columns with these types (empty: not checked)
    statuses: tuple[Status, ...] = STATUSES  # the only statuses allowed, on every row
    positive: tuple[str, ...] = ()  # numbers above zero where the row is checked


def ci_triples(*stems: str) -> tuple[tuple[str, str, str], ...]:
    """`(stem, stem_ci_low, stem_ci_high)` for each stem: the intervals of a contract, named the usual way."""
    return tuple((s, f"{s}_ci_low", f"{s}_ci_high") for s in stems)


ROUNDING = 1e-9  # relative slack of the interval rule; squared, an absolute one for intervals at zero


def _is_bad(column: str, dtype: pl.DataType) -> pl.Expr:
    missing = pl.col(column).is_null()
    return missing | ~pl.col(column).is_finite() if dtype in FLOATS else missing


def _bad_value(value: object) -> bool:
    return value is None or (isinstance(value, float) and not math.isfinite(value))


def _offending(rule: str, row: dict[str, object], contract: TableContract, floats: list[str]) -> list[str]:
    """The values of `row` that break `rule`, as `column=value` texts."""
    if rule == "missing_estimates":
        return [f"{c}={row[c]!r}" for c in contract.required if _bad_value(row[c])]
    if rule == "non_finite_numbers":
        return [f"{c}={row[c]!r}" for c in floats if row[c] is not None and not math.isfinite(row[c])]
    if rule == "ci_not_containing_estimate":
        return [
            f"{e}={row[e]!r} outside [{row[lo]!r}, {row[hi]!r}]"
            for e, lo, hi in contract.intervals
            if None not in (row[e], row[lo], row[hi]) and not row[lo] <= row[e] <= row[hi]
        ]
    if rule == "non_positive":
        return [f"{c}={row[c]!r} <= 0" for c in contract.positive if row[c] is not None and row[c] <= 0]
    return [f"{c}={row[c]!r} < {minimum}" for c, minimum in contract.minimums if row[c] < minimum]


def _outside(estimate: str, low: str, high: str, floating: bool) -> pl.Expr:
    """An estimate outside its interval by more than rounding: a bootstrap whose resamples all agree gives an
    interval of zero width that the estimate, summed in another order, can miss in the 16th digit."""
    e, lo, hi = pl.col(estimate), pl.col(low), pl.col(high)
    if floating:
        slack = pl.max_horizontal(e.abs(), lo.abs(), hi.abs()) * ROUNDING + ROUNDING**2
        lo, hi = lo - slack, hi + slack
    return e.is_not_null() & lo.is_not_null() & hi.is_not_null() & ((e < lo) | (e > hi))


def _key_columns(frame: pl.DataFrame, contract: TableContract) -> list[str]:
    if contract.keys:
        return [c for c in contract.keys if c in frame.columns]
    status = (contract.status_column, "status_reason")
    texts = [c for c in frame.columns if frame.schema[c] == pl.String and c not in status]
    return texts[:3]


def _example(bad: pl.DataFrame, rule: str, contract: TableContract, floats: list[str]) -> str:
    """The first offending row: its key columns, then the values that break the rule."""
    row = bad.row(0, named=True)
    keys = ", ".join(f"{c}={row[c]!r}" for c in _key_columns(bad, contract))
    return f"({keys}): {'; '.join(_offending(rule, row, contract, floats))}"


def _column_problems(frame: pl.DataFrame, contract: TableContract) -> list[str]:
    """How the frame's columns differ from the contract's: missing, unexpected, or of another type."""
    if not contract.columns:
        return []
    expected = dict(contract.columns)
    problems = [f"missing {c}" for c in expected if c not in frame.columns]
    problems += [f"unexpected {c}" for c in frame.columns if c not in expected]
    problems += [
        f"{c} is {frame.schema[c]}, not {dtype}"
        for c, dtype in expected.items()
        if c in frame.columns and frame.schema[c] != dtype
    ]
    return problems


def _unknown_statuses(frame: pl.DataFrame, contract: TableContract) -> pl.Series:
    """The statuses of rows (all of them, checked or not) outside the contract's vocabulary."""
    column = contract.status_column
    if not contract.statuses or column is None or column not in frame.columns:
        return pl.Series(column or "status", [], dtype=pl.String)
    statuses = frame[column]
    return statuses.filter(statuses.is_null() | ~statuses.is_in(contract.statuses))


def _vocabulary_failures(frame: pl.DataFrame, contract: TableContract) -> tuple[dict[str, int], list[str]]:
    """Counts and failure texts of the table-wide rules: its columns and its status vocabulary."""
    columns = _column_problems(frame, contract)
    unknown = _unknown_statuses(frame, contract)
    failures = [f"wrong_columns: {'; '.join(columns)}"] if columns else []
    if unknown.len():
        failures.append(
            f"unknown_status: {unknown.len()} of {frame.height} rows with a status outside "
            f"{[str(s) for s in contract.statuses]}, e.g. {unknown[0]!r}"
        )
    return {"wrong_columns": len(columns), "unknown_status": unknown.len()}, failures


def table_problems(frame: pl.DataFrame, contract: TableContract) -> dict[str, object]:
    """Counts of checked rows breaking each rule, with an example; `passed` is True when none does, and
    `description` says which rules failed, on how many rows, with one offending row each."""
    checked = frame
    if contract.status_column is not None:
        checked = frame.filter(pl.col(contract.status_column) == Status.OK)
    schema = checked.schema
    floats = [name for name, dtype in schema.items() if dtype in FLOATS]

    def rows_where(expressions: list[pl.Expr]) -> pl.DataFrame:
        if not expressions or checked.is_empty():
            return checked.clear()
        return checked.filter(pl.any_horizontal(expressions))

    bad = {
        "missing_estimates": rows_where([_is_bad(c, schema[c]) for c in contract.required]),
        "non_finite_numbers": rows_where([pl.col(c).is_not_null() & ~pl.col(c).is_finite() for c in floats]),
        "ci_not_containing_estimate": rows_where(
            [_outside(e, lo, hi, e in floats) for e, lo, hi in contract.intervals]
        ),
        "n_below_minimum": rows_where([pl.col(c) < minimum for c, minimum in contract.minimums]),
        "non_positive": rows_where([pl.col(c) <= 0 for c in contract.positive]),
    }
    empty = contract.expect_rows and checked.is_empty()
    examples = {rule: _example(rows, rule, contract, floats) for rule, rows in bad.items() if rows.height}
    failures = [
        f"{rule}: {bad[rule].height} of {checked.height} checked rows with {RULES[rule]}, e.g. {example}"
        for rule, example in examples.items()
    ]
    table_counts, table_failures = _vocabulary_failures(frame, contract)
    failures += table_failures
    if empty:
        statuses = frame[contract.status_column].value_counts(sort=True) if contract.status_column else None
        seen = "" if statuses is None or statuses.is_empty() else f"; most common status: {statuses.row(0)[0]!r}"
        failures.append(f"no_checked_rows: none of {frame.height} rows has status '{Status.OK}'{seen}")
    passed = not failures
    return {
        "passed": passed,
        "rows": frame.height,
        "checked_rows": checked.height,
        **{rule: rows.height for rule, rows in bad.items()},
        "no_checked_rows": empty,
        **table_counts,
        "example": next(iter(examples.values()), ""),
        "description": (
            f"trends.{contract.table}: {checked.height} checked rows of {frame.height}, every rule holds"
            if passed
            else f"trends.{contract.table} failed {len(failures)} rule(s). " + " | ".join(failures)
        ),
    }
