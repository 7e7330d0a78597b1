"""Epoch AI Benchmarking Hub zip to one tidy table of scores, one row per published benchmark result.

Each member of `benchmark_data.zip` is one benchmark with its own score column and scale; `benchmarks.yaml`
(beside this module) is the one table saying which column holds the score and which unit it is in, so adding a
benchmark is a yaml edit.
Model versions carry a setting suffix (`o3-2025-04-16_high`); ECI (`epoch_capabilities_index.csv`) maps versions to
the model names used by Epoch's model files.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import polars as pl
import yaml

from pipelines.raw.landing import VERSION_COLUMN
from pipelines.raw.parse import NULL_MARKERS, REJECTED_SCHEMA, Rejections
from pipelines.tidy.keys import clean_name_expr, model_key_expr
from pipelines.tidy.plausibility import FileRules, Rule, file_rules
from pipelines.tidy.steps import Snapshots, TidyOutput, TidyStep, with_sha

logger = logging.getLogger(__name__)

BENCHMARKS_FILE = Path(__file__).resolve().parent / "benchmarks.yaml"
SOURCE = "benchmark_data"
NAME_COLUMN = "Model name"
RELEASE_DATE_COLUMN = "Release date"
ORGANIZATION_COLUMN = "Organization"
COMPUTE_COLUMN = "Training compute (FLOP)"  # the file's own estimate, for models Epoch's model files lack
FALLBACK_SCORE_COLUMN = "mean_score"

# A setting is what follows the last `_` of a version id when it is an effort level, a thinking switch or a token
# budget; other suffixes (`_8B`, `_7b`, `_5`, `res448`, `mistral`, `5-78B`) are part of the model's own name.
# The one table of setting words: (setting_kind, effort_rank, thinking). Effort levels rank from GPT-5's `minimal`
# to GPT-5.2's `xhigh`; `thinking` (DeepSeek, GLM) turns reasoning on and GPT-5.1's `none` turns it off. A token
# budget (`16K`, `16k`: thousands of thinking tokens) is matched by BUDGET_PATTERN instead.
SETTINGS: dict[str, tuple[str, int | None, bool | None]] = {
    "minimal": ("effort", 0, None),
    "low": ("effort", 1, None),
    "medium": ("effort", 2, None),
    "high": ("effort", 3, None),
    "xhigh": ("effort", 4, None),
    "none": ("thinking", None, False),
    "thinking": ("thinking", None, True),
}
SETTING_WORDS = tuple(SETTINGS)
BUDGET_PATTERN = r"^(\d+)[Kk]$"
SETTING_PATTERN = rf"_((?i:{'|'.join(SETTING_WORDS)})|\d+[Kk])$"

_REQUIRED_FIELDS = ("member", "benchmark", "name", "score_column", "scale", "unit", "higher_is_better")
_OPTIONAL_FIELDS = ("stderr_column", "cost_column", "description")
_BENCHMARK_ID = re.compile(r"^[a-z][a-z0-9_]*$")
_THOUSANDS = r"^-?\d{1,3}(,\d{3})+(\.\d*)?$"

# The scale trends fit each unit on: `trend_score` in `trend_unit`. Fractions and index points as published, METR's
# minutes as log2 minutes (one unit = one doubling of the horizon; a horizon of 0 has none); Elo ratings enter no
# trend, so an `elo` row has neither.
TREND_SCALES: dict[str, tuple[str, Callable[[pl.Expr], pl.Expr]]] = {
    "fraction": ("fraction", lambda score: score),
    "index": ("index points", lambda score: score),
    "minutes": ("log2 minutes", lambda score: pl.when(score > 0).then(score.log(2))),
}

SCORE_SCHEMA: dict[str, pl.DataType] = {
    "benchmark": pl.String(),
    "benchmark_name": pl.String(),
    "model_version": pl.String(),
    "base_version": pl.String(),
    "setting": pl.String(),
    "setting_kind": pl.String(),
    "effort_rank": pl.Int32(),
    "budget_tokens": pl.Int64(),
    "thinking": pl.Boolean(),
    "model_name": pl.String(),
    "model_key": pl.String(),
    "score": pl.Float64(),
    "unit": pl.String(),
    "trend_score": pl.Float64(),
    "trend_unit": pl.String(),
    "stderr": pl.Float64(),
    "cost_per_run_usd": pl.Float64(),
    "release_date": pl.Date(),
    "organization": pl.String(),
    "file_training_compute_flop": pl.Float64(),
    "member": pl.String(),
    "row_number": pl.Int64(),
    "source": pl.String(),
}
UNMATCHED_SCHEMA: dict[str, pl.DataType] = {"member": pl.String(), "model_version": pl.String()}


@dataclass(frozen=True)
class Benchmark:
    """One zip member as described in `pipelines/tidy/benchmarks.yaml`: where its score is and what unit it is in."""

    member: str
    benchmark: str
    name: str
    score_column: str
    stderr_column: str | None
    scale: float
    unit: str
    higher_is_better: bool
    description: str = ""
    # the column publishing the inference cost of one run of the benchmark in USD, where the file has one
    cost_column: str | None = None


@dataclass(frozen=True)
class ScoreTables:
    """What `tidy_scores` hands on: scores for the warehouse, rejections for ops, unnamed versions for review."""

    scores: pl.DataFrame
    rejections: pl.DataFrame
    unmatched: pl.DataFrame


def _entry_error(path: Path, index: int, entry: Any, field: str, problem: str) -> ValueError:
    label = entry.get("member") or entry.get("benchmark") if isinstance(entry, dict) else None
    return ValueError(f"{path}: benchmarks[{index}] ({label or 'unnamed'}): field {field!r} {problem}")


def _benchmark(path: Path, index: int, entry: Any) -> Benchmark:
    """One validated yaml entry; a typo or a wrong type should stop the pipeline, not silently drop a benchmark."""
    if not isinstance(entry, dict):
        raise ValueError(f"{path}: benchmarks[{index}] must be a mapping, got {type(entry).__name__}")
    for field in _REQUIRED_FIELDS:
        if entry.get(field) is None:
            raise _entry_error(path, index, entry, field, "is required")
    unknown = set(entry) - set(_REQUIRED_FIELDS) - set(_OPTIONAL_FIELDS)
    if unknown:
        raise _entry_error(path, index, entry, sorted(unknown)[0], f"is not a known field; known: {_REQUIRED_FIELDS}")
    for field in ("member", "benchmark", "name", "score_column", "unit"):
        if not isinstance(entry[field], str) or not entry[field].strip():
            raise _entry_error(path, index, entry, field, f"must be a non-empty string, got {entry[field]!r}")
    if not _BENCHMARK_ID.match(entry["benchmark"]):
        raise _entry_error(path, index, entry, "benchmark", f"must be snake_case, got {entry['benchmark']!r}")
    for field in ("stderr_column", "cost_column"):
        column = entry.get(field)
        if column is not None and (not isinstance(column, str) or not column.strip()):
            raise _entry_error(path, index, entry, field, f"must be a column name or null, got {column!r}")
    scale = entry["scale"]
    if isinstance(scale, bool) or not isinstance(scale, int | float) or not scale > 0:
        raise _entry_error(path, index, entry, "scale", f"must be a positive number, got {scale!r}")
    if not isinstance(entry["higher_is_better"], bool):
        raise _entry_error(
            path, index, entry, "higher_is_better", f"must be true or false, got {entry['higher_is_better']!r}"
        )
    description = entry.get("description") or ""
    if not isinstance(description, str):
        raise _entry_error(path, index, entry, "description", f"must be a string, got {description!r}")
    return Benchmark(
        member=entry["member"],
        benchmark=entry["benchmark"],
        name=entry["name"],
        score_column=entry["score_column"],
        stderr_column=entry.get("stderr_column"),
        scale=float(scale),
        unit=entry["unit"],
        higher_is_better=entry["higher_is_better"],
        description=description.strip(),
        cost_column=entry.get("cost_column"),
    )


def load_benchmarks(path: Path = BENCHMARKS_FILE) -> dict[str, Benchmark]:
    """The benchmark table keyed by zip member, validated (required fields, types, unique members and ids)."""
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    entries = document.get("benchmarks") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise ValueError(f"{path}: expected a top-level 'benchmarks:' list")
    benchmarks: dict[str, Benchmark] = {}
    ids: dict[str, str] = {}
    for index, entry in enumerate(entries):
        benchmark = _benchmark(path, index, entry)
        if benchmark.member in benchmarks:
            raise _entry_error(path, index, entry, "member", f"repeats {benchmark.member!r}")
        if benchmark.benchmark in ids:
            raise _entry_error(
                path, index, entry, "benchmark", f"repeats id {benchmark.benchmark!r} (also {ids[benchmark.benchmark]})"
            )
        benchmarks[benchmark.member] = benchmark
        ids[benchmark.benchmark] = benchmark.member
    return benchmarks


def split_setting_expr(column: str | pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """(base version, setting) of a version id: `o3-2025-04-16_high` -> (`o3-2025-04-16`, `high`); no setting -> null.

    Settings are effort levels and token budgets, so scores of one model at several settings can be grouped.
    """
    expr = pl.col(column) if isinstance(column, str) else column
    setting = expr.str.extract(SETTING_PATTERN, 1)
    base = pl.when(setting.is_not_null()).then(expr.str.replace(SETTING_PATTERN, "")).otherwise(expr)
    return base.alias("base_version"), setting.alias("setting")


def setting_columns_expr(column: str | pl.Expr) -> list[pl.Expr]:
    """setting_kind, effort_rank, budget_tokens and thinking of a split-off setting (see SETTINGS), so scores at
    several efforts or budgets of one model can be ordered; an unknown or null setting gives nulls."""
    expr = pl.col(column) if isinstance(column, str) else column
    word = expr.str.to_lowercase()
    budget = expr.str.extract(BUDGET_PATTERN, 1).cast(pl.Int64) * 1000

    def lookup(position: int, dtype: pl.DataType) -> pl.Expr:
        mapping = {w: entry[position] for w, entry in SETTINGS.items() if entry[position] is not None}
        return word.replace_strict(mapping, default=None, return_dtype=dtype)

    return [
        pl.when(budget.is_not_null()).then(pl.lit("budget")).otherwise(lookup(0, pl.String())).alias("setting_kind"),
        lookup(1, pl.Int32()).alias("effort_rank"),
        budget.alias("budget_tokens"),
        lookup(2, pl.Boolean()).alias("thinking"),
    ]


def _member_columns(frame: pl.DataFrame) -> pl.DataFrame:
    """One member's rows without the columns other members brought into the diagonal concat (all null here)."""
    return frame.select([c for c in frame.columns if c.startswith("_") or frame[c].null_count() < frame.height])


def _member_rejection(rejections: Rejections, column_name: str, reason: str) -> None:
    """One rejection row for a whole member (no row number, no value)."""
    frame = pl.DataFrame(
        {"_row_number": [None], column_name: [None]}, schema={"_row_number": pl.Int64, column_name: pl.String}
    )
    rejections.add(frame, column_name, pl.Series([True]), reason)


def _published_number(
    checked: pl.DataFrame, label: str, body: pl.Series, rejections: Rejections, *, what: str, expected: str = ""
) -> tuple[pl.Series, pl.Series]:
    """(number, valid): `body` (the stripped text `checked[label]` without its `%` or `$`) as Float64, thousands
    separators allowed, and which cells hold a finite number. Empty cells and null markers are missing, not bad;
    unparsable and non-finite cells are recorded under `label`."""
    text = checked[label]
    missing = text.is_null() | text.is_in(NULL_MARKERS)
    body = pl.select(
        pl.when(body.str.contains(_THOUSANDS)).then(body.str.replace_all(",", "", literal=True)).otherwise(body)
    ).to_series()
    number = body.cast(pl.Float64, strict=False)
    unparsable = ~missing & number.is_null()
    rejections.add(checked, label, unparsable, f"{what} is not a number{expected}")
    non_finite = ~missing & ~unparsable & ~number.is_finite()
    rejections.add(checked, label, non_finite, f"{what} is not a finite number")
    return number, ~missing & ~unparsable & ~non_finite


def _values(
    frame: pl.DataFrame,
    column: str,
    label: str,
    benchmark: Benchmark,
    rejections: Rejections,
    *,
    what: str,
    fraction: tuple[float, float] = (0.0, 1.0),
) -> pl.Series:
    """`column` as Float64 in the benchmark's unit; bad cells are recorded under `label` and become null.

    Empty cells and null markers are missing, not bad. `77.0%` is always percent; other numbers are divided by the
    yaml scale. Fractions must land in `fraction` (the seed's [0, 1]): anything else means the scale is wrong or the
    cell is.
    """
    checked = frame.select("_row_number", pl.col(column).str.strip_chars().alias(label))
    text = checked[label]
    percent = text.str.ends_with("%").fill_null(False)
    body = text.str.strip_suffix("%").str.strip_chars()
    number, valid = _published_number(checked, label, body, rejections, what=what)
    if benchmark.unit != "fraction":
        wrong_percent = valid & percent
        rejections.add(checked, label, wrong_percent, f"{what} is a percent but the unit is {benchmark.unit}")
        valid = valid & ~wrong_percent
    value = pl.select(pl.when(percent).then(number / 100).otherwise(number / benchmark.scale)).to_series()
    if what == "standard error":
        negative = valid & (value < 0)
        rejections.add(checked, label, negative, "standard error is negative")
        valid = valid & ~negative
    elif benchmark.unit == "fraction":
        low, high = fraction
        outside = valid & ((value < low) | (value > high))
        reason = (
            f"score outside [{low:g}, {high:g}] after dividing by {benchmark.scale:g}; expected a fraction, "
            "check pipelines/tidy/benchmarks.yaml"
        )
        rejections.add(checked, label, outside, reason)
        valid = valid & ~outside
    return pl.select(pl.when(valid).then(value).otherwise(None)).to_series().alias(column)


def _cost(
    member: str, frame: pl.DataFrame, benchmark: Benchmark, rejections: Rejections, rules: FileRules
) -> pl.Series:
    """The inference cost of one run in USD from the benchmark's `cost_column` (`$1,234.5` reads 1234.5): the
    hub's own price of a score. Bad, non-finite and implausible cells are recorded under `<member>:<column>`."""
    column = benchmark.cost_column
    if column is None or column not in frame.columns:
        if column is not None:
            _member_rejection(
                rejections, f"{member}:{column}", "cost column missing or empty; check cost_column in benchmarks.yaml"
            )
        return pl.Series("cost_per_run_usd", [None] * frame.height, dtype=pl.Float64)
    label = f"{member}:{column}"
    checked = frame.select("_row_number", pl.col(column).str.strip_chars().alias(label))
    body = checked[label].str.strip_prefix("$").str.strip_chars()
    expected = "; expected USD such as 1.25 or $1,234.50"
    number, valid = _published_number(checked, label, body, rejections, what="cost", expected=expected)
    cost = pl.select(pl.when(valid).then(number).otherwise(None)).to_series()
    return rules.check(rejections, checked, label, "cost_per_run_usd", cost).alias("cost_per_run_usd")


def _fallback_benchmark(member: str, frame: pl.DataFrame, rejections: Rejections) -> Benchmark | None:
    """A member missing from the yaml: an Epoch-run `mean_score` file is usable as a fraction; others are skipped."""
    if FALLBACK_SCORE_COLUMN in frame.columns:
        stem = PurePosixPath(member).stem
        logger.warning(
            "benchmark_data: %s is not described in %s; reading %s as a fraction with id %r",
            member,
            BENCHMARKS_FILE.name,
            FALLBACK_SCORE_COLUMN,
            stem,
        )
        return Benchmark(
            member=member,
            benchmark=stem,
            name=stem,
            score_column=FALLBACK_SCORE_COLUMN,
            stderr_column="stderr" if "stderr" in frame.columns else None,
            scale=1.0,
            unit="fraction",
            higher_is_better=True,
            description="",
        )
    logger.warning("benchmark_data: skipping %s, not described in %s and has no mean_score", member, BENCHMARKS_FILE)
    _member_rejection(
        rejections, member, "benchmark file not described in benchmarks.yaml; expected a mean_score column"
    )
    return None


def _screened(member: str, frame: pl.DataFrame, rejections: Rejections) -> pl.DataFrame:
    """One member's rows without repeated header rows and with control characters removed from its names."""
    prefix = f"{member}:"
    frame = rejections.header_rows(frame, prefix=prefix)
    return rejections.text(frame, (VERSION_COLUMN, NAME_COLUMN, ORGANIZATION_COLUMN), prefix=prefix)


def _checked(
    member: str, frame: pl.DataFrame, column: str, name: str, rejections: Rejections, rules: FileRules
) -> pl.Series:
    """A date or number column of one member (by the rule `name` names), bad and implausible cells recorded under
    `<member>:<column>` and null; an absent column is all null."""
    if column not in frame.columns:
        dtype = pl.Date if name == "release_date" else pl.Float64
        return pl.Series(name, [None] * frame.height, dtype=dtype)
    label = f"{member}:{column}"
    labelled = frame.select("_row_number", pl.col(column).alias(label))
    parsed = (
        rejections.date(labelled, label)
        if name == "release_date"
        else rejections.number(labelled, label, positive=True)
    )
    return rules.check(rejections, labelled, label, name, parsed).alias(name)


def _versioned(member: str, frame: pl.DataFrame, score_column: str, rejections: Rejections) -> pl.DataFrame:
    """The rows with a model version, in `_version`; a score without one is recorded (it names no model)."""
    frame = frame.with_columns(pl.col(VERSION_COLUMN).str.strip_chars().alias("_version"))
    score_text = frame[score_column].str.strip_chars()
    has_score = score_text.is_not_null() & ~score_text.is_in(NULL_MARKERS)
    no_version = frame["_version"].is_null() | (frame["_version"] == "")
    rejections.add(
        frame.rename({"_version": f"{member}:{VERSION_COLUMN}"}),
        f"{member}:{VERSION_COLUMN}",
        no_version & has_score,
        "empty Model version; the score cannot be attributed to a model",
    )
    return frame.filter(~no_version)


def _member_scores(
    member: str, frame: pl.DataFrame, benchmark: Benchmark, rejections: Rejections, rules: FileRules
) -> pl.DataFrame:
    """The scored rows of one member; missing scores are dropped quietly, bad ones are recorded."""
    if benchmark.score_column not in frame.columns:
        logger.warning("benchmark_data: %s has no values in score column %r", member, benchmark.score_column)
        _member_rejection(
            rejections,
            f"{member}:{benchmark.score_column}",
            "score column missing or empty; check score_column in pipelines/tidy/benchmarks.yaml",
        )
        return pl.DataFrame(schema=SCORE_SCHEMA)
    frame = _versioned(member, frame, benchmark.score_column, rejections)
    label = f"{member}:{benchmark.score_column}"
    bounds = rules.rule("score")  # the seed's range of a score in unit fraction
    fraction = bounds.numbers() if bounds is not None else (0.0, 1.0)
    score = _values(frame, benchmark.score_column, label, benchmark, rejections, what="score", fraction=fraction)
    if benchmark.stderr_column and benchmark.stderr_column in frame.columns:
        stderr_label = f"{member}:{benchmark.stderr_column}"
        stderr = _values(frame, benchmark.stderr_column, stderr_label, benchmark, rejections, what="standard error")
    else:
        stderr = pl.Series([None] * frame.height, dtype=pl.Float64)
    release_date = _checked(member, frame, RELEASE_DATE_COLUMN, "release_date", rejections, rules)
    organization = (
        frame[ORGANIZATION_COLUMN].str.strip_chars()
        if ORGANIZATION_COLUMN in frame.columns
        else pl.Series([None] * frame.height, dtype=pl.String)
    )
    compute = _checked(member, frame, COMPUTE_COLUMN, "training_compute_flop", rejections, rules)
    cost = _cost(member, frame, benchmark, rejections, rules)
    base, setting = split_setting_expr("_version")
    return (
        frame.select(
            pl.lit(benchmark.benchmark).alias("benchmark"),
            pl.lit(benchmark.name).alias("benchmark_name"),
            pl.col("_version").alias("model_version"),
            base,
            setting,
            *setting_columns_expr(setting),
            pl.lit(None, dtype=pl.String).alias("model_name"),
            pl.lit(None, dtype=pl.String).alias("model_key"),
            pl.Series("score", score, dtype=pl.Float64),
            pl.lit(benchmark.unit).alias("unit"),
            pl.lit(None, dtype=pl.Float64).alias("trend_score"),
            pl.lit(None, dtype=pl.String).alias("trend_unit"),
            pl.Series("stderr", stderr, dtype=pl.Float64),
            pl.Series("cost_per_run_usd", cost, dtype=pl.Float64),
            pl.Series("release_date", release_date, dtype=pl.Date),
            pl.Series("organization", organization, dtype=pl.String),
            pl.Series("file_training_compute_flop", compute, dtype=pl.Float64),
            pl.lit(member).alias("member"),
            pl.col("_row_number").cast(pl.Int64).alias("row_number"),
            pl.lit(SOURCE).alias("source"),
        )
        .filter(pl.col("score").is_not_null())
        .with_columns(trend_score_exprs(benchmark.unit))
    )


def trend_score_exprs(unit: str) -> list[pl.Expr]:
    """`trend_score` and `trend_unit` of rows in `unit` (TREND_SCALES): the one place a score's trend scale is set."""
    if unit not in TREND_SCALES:
        return [pl.lit(None, dtype=pl.Float64).alias("trend_score"), pl.lit(None, dtype=pl.String).alias("trend_unit")]
    trend_unit, to_scale = TREND_SCALES[unit]
    score = to_scale(pl.col("score"))
    return [
        score.cast(pl.Float64).alias("trend_score"),
        pl.when(score.is_not_null()).then(pl.lit(trend_unit)).alias("trend_unit"),
    ]


def _eci_names(raw: pl.DataFrame) -> pl.DataFrame:
    """Model version -> model name, from every member that publishes `Model name` (in practice ECI)."""
    if NAME_COLUMN not in raw.columns:
        return pl.DataFrame(schema={"_version": pl.String, "_name": pl.String})
    return (
        raw.select(
            pl.col(VERSION_COLUMN).str.strip_chars().alias("_version"),
            clean_name_expr(NAME_COLUMN).alias("_name"),
        )
        .filter(pl.col("_version").is_not_null() & (pl.col("_version") != ""))
        .filter(pl.col("_name").is_not_null() & (pl.col("_name") != ""))
        .unique(subset="_version", keep="first", maintain_order=True)
    )


def tidy_scores(
    raw: pl.DataFrame,
    benchmarks: dict[str, Benchmark] | None = None,
    ranges: dict[tuple[str, str], Rule] | None = None,
) -> ScoreTables:
    """Scores of every member of the raw zip table, in each benchmark's unit, named through ECI.

    Duplicate (benchmark, model_version) rows are kept: external files publish one row per scaffold, agent or
    number of shots, and which one wins is a marts decision. Dates, the file's compute and fractions outside the
    `plausible_ranges` seed's `benchmark_data` rules are recorded and null.
    """
    benchmarks = load_benchmarks() if benchmarks is None else benchmarks
    rejections = Rejections(SOURCE)
    rules = file_rules(SOURCE, raw, ranges)
    parts: list[pl.DataFrame] = []
    screened: list[pl.DataFrame] = []
    for member in raw["_member"].unique(maintain_order=True).to_list():
        frame = _screened(member, _member_columns(raw.filter(pl.col("_member") == member)), rejections)
        screened.append(frame)
        benchmark = benchmarks.get(member) or _fallback_benchmark(member, frame, rejections)
        if benchmark is not None:
            parts.append(_member_scores(member, frame, benchmark, rejections, rules))
    scores = pl.concat([pl.DataFrame(schema=SCORE_SCHEMA), *parts], how="vertical")

    names = dict(_eci_names(pl.concat(screened, how="diagonal_relaxed") if screened else raw).iter_rows())
    name_of = {"default": None, "return_dtype": pl.String}
    scores = scores.with_columns(
        pl.coalesce(
            pl.col("model_version").replace_strict(names, **name_of),
            pl.col("base_version").replace_strict(names, **name_of),
        ).alias("model_name")
    ).with_columns(model_key_expr("model_name").alias("model_key"))
    unmatched = (
        scores.filter(pl.col("model_name").is_null())
        .select("member", "model_version")
        .unique(maintain_order=True)
        .cast(UNMATCHED_SCHEMA)
    )
    if unmatched.height:
        logger.warning("benchmark_data: %d model versions have no model name in ECI", unmatched.height)
    rejected = rejections.frame().cast(REJECTED_SCHEMA)
    return ScoreTables(scores=scores, rejections=rejected, unmatched=unmatched)


def scores_step_output(raw: dict[str, pl.DataFrame], snapshots: Snapshots) -> TidyOutput:
    """tidy.scores, and the model versions ECI does not name (`tidy.unmatched_model_versions`, a side table)."""
    tables = tidy_scores(raw[SOURCE])
    scores = with_sha(tables.scores, snapshots.get(SOURCE))
    return TidyOutput({"scores": scores}, tables.rejections, side_tables={"unmatched_model_versions": tables.unmatched})


STEPS = [
    TidyStep(
        "scores",
        (SOURCE,),
        ("scores",),
        scores_step_output,
        "every benchmark row with its unit, setting split off, model version mapped to a model name.",
    )
]
