"""What every page reads for its provenance (the source snapshots), how it prints numbers, and how it picks the
`trends.fits` row it shows."""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date, datetime

import polars as pl

from pipelines.raw.sources import SOURCES_BY_NAME
from pipelines.reports.builders import finite
from pipelines.reports.context import PageContext
from pipelines.reports.page import Snapshot
from pipelines.trends.status import Status, status_text

PROVENANCE_TABLE = "marts.source_files"  # every page reads it: the file each raw table holds


def load_snapshots(ctx: PageContext, sources: Iterable[str] | None = None) -> list[Snapshot]:
    """The file each raw table of `sources` (default: every source) holds now: its sha256, when it was fetched, its
    row count and the publisher's Last-Modified date. Cites what was loaded, not merely the latest download: a file
    the guards rejected is never in a raw table. None before the first build of the marts."""
    if not ctx.has(PROVENANCE_TABLE):
        return []
    held = ctx.read(
        f"select source, sha256, fetched_at, last_modified, rows from {PROVENANCE_TABLE} where is_held order by source"
    )
    if sources is not None:
        held = held.filter(pl.col("source").is_in(list(sources)))
    return [
        Snapshot(r["source"], url_of(r["source"]), r["sha256"] or "", r["fetched_at"], r["last_modified"], r["rows"])
        for r in held.iter_rows(named=True)
    ]


def url_of(source: str) -> str:
    return SOURCES_BY_NAME[source].url if source in SOURCES_BY_NAME else ""


# -- numbers in words ---------------------------------------------------------------------------------------------


def sig(value: float | None, digits: int = 2) -> str:
    """`value` to `digits` significant figures, with thousands separators below 10 million, else as 3.2e8."""
    if not finite(value):
        return "–"
    if value == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(value)))
    if abs(value) >= 1e7:
        return f"{value:.{digits - 1}e}".replace("e+0", "e").replace("e+", "e")
    places = digits - 1 - magnitude  # negative: round to tens, hundreds, ...
    rounded = round(value, places)
    return f"{rounded:,.{max(places, 0)}f}"


def factor(value: float | None) -> str:
    """A growth factor or multiplier: '4.4×', '12×', '×' prefix left to the caller's sentence."""
    if not finite(value):
        return "–"
    return f"{sig(value, 2)}×"


def usd(value: float | None) -> str:
    """Dollars with a k/M/B suffix: '$390M', '$3.9B'."""
    if not finite(value):
        return "–"
    for size, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"${sig(value / size)}{suffix}"
    return f"${sig(value)}"


def ci(low: float | None, high: float | None, fmt=sig) -> str:
    if not (finite(low) and finite(high)):
        return "–"
    return f"{fmt(low)}–{fmt(high)}"


def months(value: float | None) -> str:
    return "–" if not finite(value) else f"{abs(value):.1f}"


def years(value: float | None) -> str:
    return "–" if not finite(value) else f"{value:.1f}"


def as_date(value: object) -> str:
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d}"
    if isinstance(value, date):
        return value.isoformat()
    return "" if value is None else str(value)


def window_label(start: object, end: object) -> str:
    return f"{as_date(start)[:7]} to {as_date(end)[:7]}"


# -- picking trends.fits rows ------------------------------------------------------------------------------------


def fit_rows(
    fits: pl.DataFrame | None, metric: str | None = None, subset: str | None = None, kind: str | None = None
) -> pl.DataFrame:
    """The rows of `trends.fits` for a metric, subset and window kind (any of them left open when None)."""
    if fits is None or fits.is_empty():
        return pl.DataFrame()
    wanted = {"metric": metric, "subset": subset, "window_kind": kind}
    return fits.filter(*[pl.col(c) == v for c, v in wanted.items() if v is not None] or [pl.lit(True)])


def pick_fit(
    fits: pl.DataFrame | None,
    metric: str,
    subsets: tuple[str, ...],
    kinds: tuple[str, ...] = ("full", "era"),
    *,
    ok_only: bool = False,
) -> dict[str, object] | None:
    """The fit a page shows for a metric: the first subset that has one, in the first window kind that has one
    (by default the 'full' window, else the era reaching furthest forward, the longest of those). The one rule
    every page uses to pick a row of `trends.fits`."""
    for subset in subsets:
        for kind in kinds:
            rows = fit_rows(fits, metric, subset, kind)
            if ok_only and rows.height:
                rows = rows.filter(pl.col("status") == Status.OK)
            if rows.height:
                order = [c for c in ("window_end", "window_start") if c in rows.columns]
                ranked = rows.sort(order, descending=[True, False][: len(order)]) if order else rows
                return ranked.row(0, named=True)
    return None


def growth_text(fit: dict[str, object]) -> str:
    """'4.4× per year (90% CI 4.1–4.7×, n = 467)', or the fit's status when it is not 'ok'."""
    if fit.get("status") != Status.OK:
        return str(status_text(fit.get("status"), fit.get("status_reason")))
    return (
        f"{factor(fit['growth_per_year'])} per year (90% CI {ci(fit['growth_ci_low'], fit['growth_ci_high'], factor)}, "
        f"n = {fit['n']:,})"
    )
