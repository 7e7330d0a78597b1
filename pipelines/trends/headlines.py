"""Headline moves: the index's headline growth rates against the previously published build, and the input rows
that moved them.

The headlines are the rows of the index's "Growth per year" table: the `trends.fits` series of `FIT_HEADLINES`
(full window since 2010, the first subset that has one) and the per-year rate of each capability index in
`trends.capability_trends` along its record-setting versions (ECI, METR's time horizon). A headline counts as moved
when, against the previous build,

- its estimate shifts by more than the width of the previous build's 90% CI, compared in the space the interval
  lives in: the slope (log10 of the growth factor, OOM per year) for growth fits, whose bootstrap interval is a
  percentile interval of slopes mapped through 10**x, and the index's own units per year for ECI and METR; the
  previous interval is the one readers were shown, so a move beyond its whole width is beyond the published
  uncertainty (the new interval may have widened because of the very rows that moved it);
- its window end moves by more than a year (a date typo in 2099 stretches the window and flattens the trend);
- it gains or loses a number (status 'ok' on one side only; a previous build's status may still carry its reason
  after a colon, from before `status_reason`, and counts the same).

Where the previous build comes from: each run writes into a copy of the published warehouse, so the
`trends.headline_changes` and `trends.headline_inputs` this build is about to replace still hold the published
build's headlines and their input rows. They are read first, compared, then replaced; a first build has nothing to
compare with and reports no move. Nothing here imports Dagster: `STEPS` declares the step that writes both tables
(`pipelines.trends.steps.run_step`), and the command line prints `moved_headline_lines`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import polars as pl

from pipelines.trends import benchmarks, capabilities, efficiency, inputs
from pipelines.trends.checks import TableContract
from pipelines.trends.fits import MIN_POINTS
from pipelines.trends.status import Status, status_columns, status_text
from pipelines.trends.steps import TrendOutput, TrendStep, TrendTable, warning
from pipelines.warehouse import read_table, table_exists

FITS_SOURCE = "trends.fits"
CAPABILITY_SOURCE = "trends.capability_trends"
MIN_HEADLINE_POINTS = min(MIN_POINTS, capabilities.MIN_CAPABILITY_POINTS)
WINDOW_END_SLACK_DAYS = 365  # a window end moving further than a year is news
LINE_ROWS = 5  # input rows named in one command-line line


@dataclass(frozen=True)
class HeadlineRow:
    """One headline growth rate from `trends.fits`: a metric and the subsets to try, first found wins."""

    metric: str
    label: str
    subsets: tuple[str, ...]

    @property
    def ident(self) -> str:
        return f"{self.metric}/{self.subsets[0]}"


FRONTIER = ("frontier_epoch", "frontier_top10")
FIT_HEADLINES = (
    HeadlineRow("training_compute", "Training compute (FLOP)", ("notable",)),
    HeadlineRow("training_compute", "Training compute (FLOP), frontier models", FRONTIER),
    HeadlineRow("training_cost", "Training cost (2023 USD), frontier models", FRONTIER),
    HeadlineRow("training_cost", "Training cost (2023 USD)", ("notable",)),
    HeadlineRow("parameters", "Parameters", ("notable",)),
    HeadlineRow("training_tokens", "Training tokens, language models", ("domain:Language", "notable")),
    HeadlineRow("hardware_fp32_flops_per_usd", "Hardware FP32 FLOP/s per dollar", ("all_hardware",)),
    HeadlineRow("hardware_fp16_flops_per_usd", "Hardware 16-bit FLOP/s per dollar", ("all_hardware",)),
    HeadlineRow("cost_per_flop", "Training cost per FLOP (2023 USD)", ("notable",)),
)
CAPABILITY_SUBSET = capabilities.RECORD_SETTING
NO_FIT = "no fit in "  # a headline whose table has no row for it: insufficient data, and where it looked

HEADLINE_SCHEMA: dict[str, pl.DataType] = {
    "headline": pl.String(),
    "label": pl.String(),
    "source": pl.String(),
    "metric": pl.String(),
    "subset": pl.String(),
    "window_start": pl.Date(),
    "window_end": pl.Date(),
    "n": pl.Int64(),
    "estimate": pl.Float64(),
    "ci_low": pl.Float64(),
    "ci_high": pl.Float64(),
    "unit": pl.String(),
    "scale_estimate": pl.Float64(),
    "scale_ci_low": pl.Float64(),
    "scale_ci_high": pl.Float64(),
    "scale_unit": pl.String(),
    "status": pl.String(),
    "status_reason": pl.String(),
}
PREVIOUS = ("subset", "window_end", "n", "estimate", "ci_low", "ci_high", "scale_estimate", "scale_ci_low")
PREVIOUS += ("scale_ci_high", "status")
CHANGE_SCHEMA: dict[str, pl.DataType] = {
    **HEADLINE_SCHEMA,
    **{f"previous_{c}": HEADLINE_SCHEMA[c] for c in PREVIOUS},
    "shift": pl.Float64(),
    "previous_ci_width": pl.Float64(),
    "window_end_shift_days": pl.Int64(),
    "moved": pl.Boolean(),
    "reasons": pl.String(),
    "rows_added": pl.Int64(),
    "rows_removed": pl.Int64(),
    "rows_changed": pl.Int64(),
    "input_changes": pl.List(pl.String()),
}
INPUT_SCHEMA: dict[str, pl.DataType] = {
    "headline": pl.String(),
    "key": pl.String(),
    "name": pl.String(),
    "date": pl.Date(),
    "value": pl.Float64(),
    "unit": pl.String(),
}
POINT_COLUMNS = ("key", "name", "date", "value", "unit")


# -- this build's headlines ---------------------------------------------------------------------------------------


def _headline(ident: str, label: str, source: str, metric: str, **values: object) -> dict[str, object]:
    row: dict[str, object] = dict.fromkeys(HEADLINE_SCHEMA)
    row.update(headline=ident, label=label, source=source, metric=metric, **values)
    return row


def _matching(frame: pl.DataFrame | None, **equal: str) -> pl.DataFrame:
    """The rows of `frame` whose columns hold the given values (none while the table is missing)."""
    if frame is None:
        return pl.DataFrame()
    return frame.filter(*[pl.col(column) == value for column, value in equal.items()])


def fit_headline(fits: pl.DataFrame | None, headline: HeadlineRow) -> dict[str, object]:
    """The headline's full-window `trends.fits` row in the first subset that has one (the index's rule; the index
    falls back to an era only for a series with no point since 2010, which has no headline to track)."""
    row = _headline(headline.ident, headline.label, FITS_SOURCE, headline.metric)
    for subset in headline.subsets:
        found = _matching(fits, metric=headline.metric, subset=subset, window_kind="full")
        if found.height:
            r = found.row(0, named=True)
            row.update(subset=subset, window_start=r["window_start"], window_end=r["window_end"], n=r["n"])
            row.update(estimate=r["growth_per_year"], ci_low=r["growth_ci_low"], ci_high=r["growth_ci_high"])
            row.update(scale_estimate=r["slope_oom_per_year"], scale_ci_low=r["slope_ci_low"])
            row.update(scale_ci_high=r["slope_ci_high"], unit="x/yr", scale_unit="OOM/yr")
            return row | status_columns(r["status"], r["status_reason"])
    return (
        row | {"subset": headline.subsets[0], "n": 0} | status_columns(Status.INSUFFICIENT_DATA, NO_FIT + FITS_SOURCE)
    )


def capability_headline(trends: pl.DataFrame | None, index: capabilities.CapabilityIndex) -> dict[str, object]:
    """The index's record-setting per-year row of `trends.capability_trends` (the index's ECI and METR rows)."""
    row = _headline(
        f"{index.name}/{CAPABILITY_SUBSET}", index.label, CAPABILITY_SOURCE, index.name, subset=CAPABILITY_SUBSET
    )
    found = _matching(trends, index=index.name, measure="per_year", subset=CAPABILITY_SUBSET)
    if not found.height:
        return row | {"n": 0} | status_columns(Status.INSUFFICIENT_DATA, NO_FIT + CAPABILITY_SOURCE)
    r = found.row(0, named=True)
    unit = f"{r['unit']}/yr"
    row.update(window_start=r["window_start"], window_end=r["window_end"], n=r["n"])
    row.update(status_columns(r["status"], r["status_reason"]))
    row.update(estimate=r["estimate"], ci_low=r["ci_low"], ci_high=r["ci_high"], unit=unit, scale_unit=unit)
    row.update(scale_estimate=r["estimate"], scale_ci_low=r["ci_low"], scale_ci_high=r["ci_high"])
    return row


def current_headlines(fits: pl.DataFrame | None, trends: pl.DataFrame | None) -> pl.DataFrame:
    """One row per headline, in the index's order: what this build shows."""
    rows = [fit_headline(fits, h) for h in FIT_HEADLINES]
    rows += [capability_headline(trends, index) for index in capabilities.INDICES]
    numbers = [c for c, t in HEADLINE_SCHEMA.items() if t == pl.Float64()]
    return pl.DataFrame(rows, schema=HEADLINE_SCHEMA).with_columns(
        pl.when(pl.col(c).is_finite()).then(pl.col(c)).alias(c) for c in numbers
    )


# -- the rows each headline was fitted on -------------------------------------------------------------------------


@dataclass(frozen=True)
class HeadlineData:
    """What the headline fits read: models, hardware and the capability indices' scores."""

    models: pl.DataFrame
    hardware: pl.DataFrame
    index_scores: pl.DataFrame


def load_data(con: duckdb.DuckDBPyConnection) -> HeadlineData:
    return HeadlineData(inputs.load_models(con), efficiency.load_hardware(con), capabilities.load_index_scores(con))


def _capability_points(data: HeadlineData, name: str) -> pl.DataFrame:
    """The record-setting versions the per-year line goes through; METR's in minutes, as published."""
    index = next(i for i in capabilities.INDICES if i.name == name)
    versions = benchmarks.best_by_version(capabilities.index_scores(data.index_scores, index), data.models)
    points = capabilities.year_points(versions, CAPABILITY_SUBSET)
    minutes = index.unit == "doublings"
    return points.select(
        pl.col("base_version").alias("key"),
        pl.coalesce("model_name", "base_version").alias("name"),
        "date",
        (2 ** pl.col("score") if minutes else pl.col("score")).alias("value"),
        pl.lit("minutes" if minutes else index.unit).alias("unit"),
    )


def series_points(data: HeadlineData, source: str, metric: str, subset: str) -> pl.DataFrame:
    """(key, name, date, value, unit) of every point of a headline's series, before its window is applied."""
    if source == CAPABILITY_SOURCE:
        return _capability_points(data, metric)
    if metric in efficiency.HARDWARE_BY_NAME:
        hardware = efficiency.HARDWARE_BY_NAME[metric]
        points = efficiency.hardware_points(data.hardware, hardware)
        key, name, unit = "hardware_name", "hardware_name", hardware.unit
    else:
        model_metric = inputs.METRICS_BY_NAME[metric]
        points = inputs.metric_points(data.models, model_metric, subset)
        key, name, unit = "model_key", "model_name", model_metric.unit
    return points.select(
        pl.col(key).cast(pl.String).alias("key"),
        pl.col(name).alias("name"),
        pl.col("publication_date").alias("date"),
        "value",
        pl.lit(unit).alias("unit"),
    )


def headline_inputs(current: pl.DataFrame, data: HeadlineData) -> pl.DataFrame:
    """The input rows of each headline fit: its series' points dated within its window (the fit's n of them)."""
    parts = []
    for h in current.filter(pl.col("window_end").is_not_null()).iter_rows(named=True):
        points = series_points(data, h["source"], h["metric"], h["subset"])
        parts.append(
            points.filter(pl.col("date").is_between(h["window_start"], h["window_end"]) & (pl.col("value") > 0))
            .select(pl.lit(h["headline"]).alias("headline"), *POINT_COLUMNS)
            .sort("date", "key")
        )
    return pl.concat([pl.DataFrame(schema=INPUT_SCHEMA), *parts], how="vertical_relaxed").cast(INPUT_SCHEMA)


# -- against the previous build -----------------------------------------------------------------------------------


def number(value: float | None) -> str:
    """3 significant digits, exponents without '+': 4.35, 1e25, 2.3e-18."""
    return "–" if value is None else f"{value:.3g}".replace("e+", "e")


def rate_text(value: float | None, low: float | None, high: float | None, unit: str | None) -> str:
    """'4.35x/yr [4.05, 4.68]', '+12.3 points/yr [10.1, 14.5]', or '–' without a number."""
    if value is None:
        return "–"
    sign = "" if unit == "x/yr" else "+" if value >= 0 else ""
    interval = f" [{number(low)}, {number(high)}]" if low is not None and high is not None else ""
    return f"{sign}{number(value)}{'' if unit == 'x/yr' else ' '}{unit}{interval}"


def move_reasons(row: dict[str, object]) -> list[str]:
    """Why a headline counts as moved against the previous build (empty: it did not, or there is no previous)."""
    reasons = []
    was_ok, is_ok = row["previous_status"] == Status.OK, row["status"] == Status.OK
    if row["previous_status"] is not None and was_ok != is_ok:
        reasons.append(f"status {row['previous_status']!r} -> {status_text(row['status'], row['status_reason'])!r}")
    width, shift = row["previous_ci_width"], row["shift"]
    if was_ok and is_ok and width is not None and shift is not None and abs(shift) > width:
        reasons.append(
            f"estimate moved {number(shift)} {row['scale_unit']}, more than the previous 90% CI's width "
            f"({number(width)} {row['scale_unit']})"
        )
    days = row["window_end_shift_days"]
    if days is not None and abs(days) > WINDOW_END_SLACK_DAYS:
        reasons.append(f"window end moved {days / 365.25:+.1f} years")
    return reasons


def _comparison(frame: pl.DataFrame) -> pl.DataFrame:
    """The shift (new - previous estimate, in the interval's space), the previous CI's width, the window end's
    shift in days."""
    return frame.with_columns(
        (pl.col("scale_estimate") - pl.col("previous_scale_estimate")).alias("shift"),
        (pl.col("previous_scale_ci_high") - pl.col("previous_scale_ci_low")).alias("previous_ci_width"),
        (pl.col("window_end") - pl.col("previous_window_end")).dt.total_days().alias("window_end_shift_days"),
    )


def with_previous(current: pl.DataFrame, previous: pl.DataFrame | None) -> pl.DataFrame:
    """Each headline beside its previous build's numbers (null on a first build), with the comparison."""
    if previous is None:
        previous = pl.DataFrame(schema={c: HEADLINE_SCHEMA[c] for c in ("headline", *PREVIOUS)})
    earlier = previous.select("headline", *[pl.col(c).alias(f"previous_{c}") for c in PREVIOUS])
    return _comparison(current.join(earlier, on="headline", how="left", maintain_order="left"))


# -- the input rows that moved a headline -------------------------------------------------------------------------


def _days(column: str) -> pl.Expr:
    return pl.col(column).cast(pl.Int32)


def input_diff(before: pl.DataFrame, now: pl.DataFrame) -> pl.DataFrame:
    """The rows of one fit added ('+'), removed ('-') or changed ('~': the same key, another date or value), those
    furthest in time from the previous rows' mean date first: a point's pull on a slope grows with that distance."""
    on = ["key", "date", "value"]
    added, removed = now.join(before, on=on, how="anti"), before.join(now, on=on, how="anti")
    both = added.join(removed, on="key", how="semi")["key"].unique().to_list()
    earlier = removed.filter(pl.col("key").is_in(both)).unique("key", keep="first", maintain_order=True)
    changed = added.filter(pl.col("key").is_in(both)).join(
        earlier.select("key", pl.col("date").alias("old_date"), pl.col("value").alias("old_value")), on="key"
    )
    parts = [
        added.filter(~pl.col("key").is_in(both)).with_columns(pl.lit("+").alias("kind")),
        removed.filter(~pl.col("key").is_in(both)).with_columns(pl.lit("-").alias("kind")),
        changed.with_columns(pl.lit("~").alias("kind")),
    ]
    diff = pl.concat(parts, how="diagonal_relaxed")
    centre = (before if before.height else now).select(_days("date").mean()).item()
    reach = pl.max_horizontal((_days("date") - centre).abs(), (_days("old_date") - centre).abs())
    return diff.with_columns(reach.alias("reach")).sort("reach", "name", descending=[True, False], nulls_last=True)


def change_text(row: dict[str, object]) -> str:
    """'+ Foo (2099-07-15, 1e25 FLOP)', '- Bar (...)', '~ Baz (2020-01-01, 1e20 -> 2021-01-01, 2e20 FLOP)'."""
    now = f"{row['date']}, {number(row['value'])}"
    if row["kind"] == "~":
        now = f"{row['old_date']}, {number(row['old_value'])} -> {now}"
    return f"{row['kind']} {row['name']} ({now} {row['unit']})".replace(" )", ")")


def _rows_of(frame: pl.DataFrame | None, headline: str) -> pl.DataFrame | None:
    return None if frame is None else frame.filter(pl.col("headline") == headline)


@dataclass(frozen=True)
class Previous:
    """The published build's headlines and their input rows (None: a first build, or tables of another layout)."""

    headlines: pl.DataFrame | None = None
    inputs: pl.DataFrame | None = None


def changes_frame(current: pl.DataFrame, previous: Previous, now: pl.DataFrame) -> pl.DataFrame:
    """`trends.headline_changes`: every headline beside the previous build's, whether it moved and why, how many
    input rows were added, removed or changed, and (for a moved one) those rows."""
    rows = []
    for row in with_previous(current, previous.headlines).iter_rows(named=True):
        reasons = move_reasons(row)
        before = _rows_of(previous.inputs, row["headline"])
        diff = None if before is None else input_diff(before, _rows_of(now, row["headline"]))
        counts = {k: None if diff is None else diff.filter(pl.col("kind") == s).height for k, s in _KINDS.items()}
        texts = [change_text(d) for d in diff.iter_rows(named=True)] if diff is not None and reasons else None
        row.update(counts, moved=bool(reasons), reasons="; ".join(reasons) or None, input_changes=texts)
        rows.append(row)
    return pl.DataFrame(rows, schema=CHANGE_SCHEMA)


_KINDS = {"rows_added": "+", "rows_removed": "-", "rows_changed": "~"}


def _table(con: duckdb.DuckDBPyConnection, table: str) -> pl.DataFrame | None:
    return read_table(con, "trends", table) if table_exists(con, "trends", table) else None


def _readable(con: duckdb.DuckDBPyConnection, table: str, schema: dict[str, pl.DataType]) -> pl.DataFrame | None:
    """`trends.<table>` when it exists with the columns this code needs, else None."""
    frame = _table(con, table)
    return frame.select(list(schema)) if frame is not None and set(schema) <= set(frame.columns) else None


def load_previous(con: duckdb.DuckDBPyConnection) -> Previous:
    """The tables this build is about to replace: in the working copy, the published build's."""
    headlines = _readable(con, "headline_changes", {c: HEADLINE_SCHEMA[c] for c in ("headline", *PREVIOUS)})
    return Previous(headlines, _readable(con, "headline_inputs", INPUT_SCHEMA))


def headline_tables(con: duckdb.DuckDBPyConnection) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(`trends.headline_changes`, `trends.headline_inputs`) of this build, the previous build read before either
    is written; needs `trends.fits` and `trends.capability_trends` (a missing one: its headlines have no fit)."""
    previous = load_previous(con)
    current = current_headlines(_table(con, "fits"), _table(con, "capability_trends"))
    now = headline_inputs(current, load_data(con))
    return changes_frame(current, previous, now), now


# -- in words -----------------------------------------------------------------------------------------------------


def _month(day: date | None) -> str:
    return "–" if day is None else f"{day:%Y-%m}"


def moved_line(row: dict[str, object]) -> str:
    """One plain line for a moved headline: before -> after, window end, why, and the rows that moved it."""
    before = rate_text(row["previous_estimate"], row["previous_ci_low"], row["previous_ci_high"], row["unit"])
    after = rate_text(row["estimate"], row["ci_low"], row["ci_high"], row["unit"])
    changes = row["input_changes"]
    if changes is None:
        rows = "rows: not recorded by the previous build"
    elif not changes:
        rows = "rows: no input row changed (the fit itself did)"
    else:
        more = f" and {len(changes) - LINE_ROWS} more" if len(changes) > LINE_ROWS else ""
        rows = "rows: " + "; ".join(changes[:LINE_ROWS]) + more
    return (
        f"headline moved: {row['label']}, {row['subset']}: {before} -> {after}, window end "
        f"{_month(row['previous_window_end'])} -> {_month(row['window_end'])} ({row['reasons']}); {rows}"
    )


def moved_lines(changes: pl.DataFrame) -> list[str]:
    return [moved_line(row) for row in changes.filter(pl.col("moved")).iter_rows(named=True)]


def moved_headline_lines(con: duckdb.DuckDBPyConnection) -> list[str]:
    """One line per headline that moved in the last build of `trends.headline_changes`; none on a first build,
    when nothing moved, or while the table does not exist."""
    changes = _readable(con, "headline_changes", CHANGE_SCHEMA)
    return [] if changes is None else moved_lines(changes)


# -- the step: trends.headline_changes and trends.headline_inputs together, each checked against its contract -------

CHANGES_CONTRACT = TableContract(
    "headline_changes",
    keys=("headline", "subset"),
    required=("estimate", "ci_low", "ci_high", "scale_estimate", "window_end", "moved"),
    intervals=(
        ("estimate", "ci_low", "ci_high"),
        ("scale_estimate", "scale_ci_low", "scale_ci_high"),
        ("previous_estimate", "previous_ci_low", "previous_ci_high"),
    ),
    minimums=(("n", MIN_HEADLINE_POINTS),),
)
INPUTS_CONTRACT = TableContract(
    "headline_inputs",
    keys=("headline", "key", "name"),
    required=("headline", "key", "date", "value"),
    status_column=None,
)
HEADLINE_READS = ("trends.fits", "trends.capability_trends", "marts.models", "marts.hardware", "marts.benchmark_scores")


def build_headline_tables(con: duckdb.DuckDBPyConnection) -> TrendOutput:
    """trends.headline_changes and trends.headline_inputs, built together: the previous build's copies of both
    (still in the working copy of the published warehouse) are read before either is replaced. A moved headline is
    logged as a warning, so it is seen, not only stored."""
    changes, rows = headline_tables(con)
    tables = {CHANGES_CONTRACT.table: changes, INPUTS_CONTRACT.table: rows}
    metadata: dict[str, dict[str, object]] = {CHANGES_CONTRACT.table: {"moved": int(changes["moved"].sum())}}
    return TrendOutput(tables, metadata, tuple(warning(line) for line in moved_lines(changes)))


STEPS = [
    TrendStep(
        "headline_tables",
        reads=HEADLINE_READS,
        tables=(
            TrendTable(
                CHANGES_CONTRACT,
                "each headline growth rate against the previously published build; moved (by more than the previous "
                "90% CI's width, or its window end by over a year) or not, why, and the rows that moved it.",
            ),
            TrendTable(
                INPUTS_CONTRACT,
                "the rows each headline was fitted on (name, date, value), for the next build's comparison.",
            ),
        ),
        build=build_headline_tables,
    )
]
