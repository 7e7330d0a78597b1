"""The status of a trend row: one vocabulary for every `trends.*` table, and one helper from a fit to a row.

A row says what its numbers are worth in two columns: `status`, one value of `Status`, and `status_reason`, why
(null when the status is ok, or when there is nothing to add). Only 'ok' rows are checked by the table's contract,
drawn and quoted; the others stay in the table, visible, with their reason. SQL and dbt compare `status` with the
literal 'ok' (SQL has no enum); Python compares with `Status.OK`.

`estimate_row` turns a fit's estimate and interval into a row's columns and its status, by the checks a table declares
once (too few points, too short a span, an interval that is unbounded, includes zero or spans too many orders of
magnitude, an estimate outside its own interval): the first check that finds a problem sets the status, and its
reasons become `status_reason`. The wording of each reason is the table's own, given with its check.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np


class Status(StrEnum):
    """What a trend row's numbers are worth; the reason, if any, is in `status_reason`."""

    OK = "ok"
    """Identified: the numbers are checked by the table's contract and may be drawn and quoted."""
    INSUFFICIENT_DATA = "insufficient data"
    """Too few points (or a missing input) for the fit: the numbers are null; the reason says how many there were."""
    NOT_IDENTIFIED = "not identified"
    """The fit ran, but the data do not pin the figure down (an interval unbounded, including zero or spanning too
    many orders of magnitude, a trend too short, no variation): the numbers are stored, never summarised."""
    NO_CLEAR_TREND = "no clear trend"
    """A logistic fit whose gain per 10x is not clear of zero at the lower end of its interval: the multiplier it
    implies would be an artefact of the curve's bounds (trends.benchmark_scaling)."""
    UNSTABLE = "unstable"
    """An estimate outside its own bootstrap interval, or not finite: the fit jumps between optima."""
    NO_GROWTH = "no growth"
    """The fitted trend does not rise, so an extrapolation never reaches its target (trends.forecasts)."""


STATUSES: tuple[Status, ...] = tuple(Status)


class InsufficientData(ValueError):
    """Fewer usable points than a fit needs: reported as `Status.INSUFFICIENT_DATA` with this message, never as a
    number."""


def status_columns(status: Status | str, reason: str | None = None) -> dict[str, object]:
    """The `status` and `status_reason` of a row (an empty reason is stored as null)."""
    return {"status": status, "status_reason": reason or None}


def status_text(status: object, reason: object = None) -> str | None:
    """'insufficient data: 3 points ...': a status and its reason as one phrase, for a page or another row's reason
    (None without a status)."""
    if not status:
        return None
    return f"{status}: {reason}" if reason else str(status)


# -- from a fit to a row ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Estimate:
    """One figure of a fit: its value and interval, and what the checks may read besides (points, span, draws)."""

    value: float | None
    low: float | None
    high: float | None
    n: int | None = None
    span_days: int | None = None
    draws: np.ndarray | None = field(default=None, compare=False, repr=False)


Rule = Callable[[Estimate], str | None]  # why the estimate fails the rule, or None


@dataclass(frozen=True)
class Check:
    """A status and the rules that give it. With `every`, the reasons of all its rules that fail are joined;
    otherwise the first rule that fails gives the reason alone."""

    status: Status
    rules: tuple[Rule, ...]
    every: bool = True


def judge(estimate: Estimate, checks: Sequence[Check]) -> tuple[Status, str | None]:
    """The status of an estimate: the first check with a failing rule decides, with its reasons; else ok."""
    for check in checks:
        reasons = []
        for rule in check.rules:
            reason = rule(estimate)
            if reason:
                reasons.append(reason)
                if not check.every:
                    break
        if reasons:
            return check.status, "; ".join(reasons)
    return Status.OK, None


def judge_each(estimates: Mapping[str, Estimate], checks: Sequence[Check]) -> tuple[Status, str | None]:
    """The status of a row of several labelled figures: the first status other than ok (in the figures' order),
    with the reason of every figure that has it, each after its label."""
    judged = [(label, *judge(estimate, checks)) for label, estimate in estimates.items()]
    worst = next((status for _, status, _ in judged if status != Status.OK), Status.OK)
    reasons = [f"{label}: {reason}" for label, status, reason in judged if status == worst and reason]
    return worst, "; ".join(reasons) or None


def estimate_row(
    fit: Estimate | InsufficientData,
    checks: Sequence[Check] = (),
    *,
    columns: tuple[str, str, str] = ("estimate", "ci_low", "ci_high"),
    scale: Callable[[float], float | None] | None = None,
) -> dict[str, object]:
    """The columns one figure gives its row: its estimate and interval under `columns` (each through `scale`, e.g.
    10**x, when given) and its status by `checks`. A fit that raised InsufficientData gives its status only."""
    if isinstance(fit, InsufficientData):
        return status_columns(Status.INSUFFICIENT_DATA, str(fit))
    values = (fit.value, fit.low, fit.high)
    if scale is not None:
        values = tuple(None if v is None else scale(v) for v in values)
    return dict(zip(columns, values, strict=True)) | status_columns(*judge(fit, checks))


# -- the rules, each worded by the table that uses it -------------------------------------------------------------
# Each `text` is a format string; the fields it may use are named in each rule's docstring.


def _finite(*values: float | None) -> bool:
    return all(v is not None and math.isfinite(v) for v in values)


def fewer_than(minimum: int, text: str) -> Rule:
    """Fewer points than `minimum` (fields: n, minimum)."""
    return lambda e: text.format(n=e.n, minimum=minimum) if e.n is not None and e.n < minimum else None


def shorter_than(days: int, text: str) -> Rule:
    """A trend spanning fewer than `days` days (fields: days, minimum)."""
    return lambda e: None if e.span_days is None or e.span_days >= days else text.format(days=e.span_days, minimum=days)


def not_finite(text: str) -> Rule:
    """The estimate or a bound missing or not finite."""
    return lambda e: None if _finite(e.value, e.low, e.high) else text


def unbounded(text: str, *, positive: bool = False) -> Rule:
    """A bound missing or not finite, or with `positive` (a ratio, or OOM that must be above zero) a lower bound at
    or below zero (fields: side, 'lower' or 'upper', low, high)."""

    def rule(e: Estimate) -> str | None:
        lower_open = e.low is None or not math.isfinite(e.low) or (positive and e.low <= 0)
        if lower_open or e.high is None or not math.isfinite(e.high):
            return text.format(side="lower" if lower_open else "upper", low=e.low, high=e.high)
        return None

    return rule


def _orders(low: float, high: float, log_space: bool) -> float:
    """How many orders of magnitude [low, high] spans: high - low in OOM, else log10(high / low)."""
    if log_space:
        return high - low
    return math.log10(high / low) if low > 0 else math.inf


def spans_more_than(orders: float, text: str, *, log_space: bool = False) -> Rule:
    """An interval wider than `orders` orders of magnitude: log10(high / low) of a ratio (a lower bound at or below
    zero spans infinitely many), or high - low of a figure already in OOM with `log_space`; a span that is not a
    finite number counts as too wide (fields: span, low, high)."""

    def rule(e: Estimate) -> str | None:
        span = _orders(e.low, e.high, log_space)
        return text.format(span=span, low=e.low, high=e.high) if not math.isfinite(span) or span > orders else None

    return rule


def wider_than(width: float, text: str) -> Rule:
    """An interval wider than `width` in the figure's own units (fields: low, high)."""
    return lambda e: text.format(low=e.low, high=e.high) if e.high - e.low > width else None


def includes_zero(text: str) -> Rule:
    """An interval that includes zero: no direction is identified (fields: low, high)."""
    return lambda e: text.format(low=e.low, high=e.high) if e.low <= 0 <= e.high else None


def below(minimum: float, text: str) -> Rule:
    """A lower bound under `minimum` (fields: low)."""
    return lambda e: text.format(low=e.low) if e.low < minimum else None


def outside(text: str) -> Rule:
    """An estimate outside its own interval."""
    return lambda e: None if e.low <= e.value <= e.high else text


def degenerate(share: float, text: str) -> Rule:
    """A bootstrap in which fewer than `share` of the resamples give a finite figure, or whose estimate is not
    finite (fields: failed, resamples)."""

    def rule(e: Estimate) -> str | None:
        finite = np.isfinite(e.draws)
        if not _finite(e.value) or finite.mean() < share:
            return text.format(failed=int((~finite).sum()), resamples=e.draws.size)
        return None

    return rule


def when(condition: bool, text: str) -> Rule:
    """A rule about the fit rather than this estimate (e.g. where a break date lies): `text` when `condition`."""
    return lambda _: text if condition else None
