"""Epoch AI's inference-price study (llm-benchmark-efficiency) to tidy tables: prices, scores and evaluation tokens.

The study ("LLM inference prices have fallen rapidly but unequally across tasks", March 2025) publishes two price
files with one row per model and price record (Artificial Analysis' blended USD per 1M tokens, and Epoch's own
records for models Artificial Analysis lacks), each with scores on six benchmarks as wide columns, and one file of
the tokens Epoch's evaluation runs used per model version and task. Prices and scores keep the published numbers
(percent 0-100, Elo); the token file's model versions are split like the Benchmarking Hub's, and its tasks are
mapped to the hub's benchmark ids through `pipelines/tidy/benchmarks.yaml`.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from pipelines.raw.parse import REJECTED_SCHEMA, Rejections
from pipelines.tidy.benchmarks import Benchmark, load_benchmarks, setting_columns_expr, split_setting_expr
from pipelines.tidy.keys import clean_name_expr, model_key, model_key_expr
from pipelines.tidy.plausibility import FileRules, Rule, file_rules
from pipelines.tidy.steps import Snapshots, TidyOutput, TidyStep, with_sha, with_snapshot

DATASET = "epoch_price_study"  # the `dataset` of every row, and the plausible_ranges rules of both price files
PRICE_SOURCES = ("inference_prices_aa", "inference_prices_epoch")
TOKENS_SOURCE = "eval_tokens"
NAME, DATE, PRICE = "Model Name", "Release Date", "USD per 1M Tokens"
VERSION, TASK = "Model", "Task"

# The one table of the price files' score columns: the published column is the benchmark label, with its unit and
# the plausible_ranges rule that bounds it. Other columns (tokens per second, latency) are not scores.
SCORE_COLUMNS: dict[str, str] = {
    "MMLU": "percent",
    "GPQA Diamond": "percent",
    "HumanEval": "percent",
    "MATH-500": "percent",
    "LMSys Chatbot Arena ELO": "elo",
    "MATH 5": "percent",
}
# the token file's counts, published under their tidy names; all whole numbers
TOKEN_COUNTS = ("epochs", "total_samples", "input_tokens", "output_tokens", "total_tokens")

PRICE_SCHEMA: dict[str, pl.DataType] = {
    "source": pl.String(),
    "dataset": pl.String(),
    "model_name": pl.String(),
    "model_key": pl.String(),
    "release_date": pl.Date(),
    "usd_per_1m_tokens": pl.Float64(),
    "row_number": pl.Int64(),
}
INFERENCE_SCORE_SCHEMA: dict[str, pl.DataType] = {
    **{name: dtype for name, dtype in PRICE_SCHEMA.items() if name != "row_number"},
    "benchmark": pl.String(),
    "score": pl.Float64(),
    "unit": pl.String(),
    "row_number": pl.Int64(),
}


@dataclass(frozen=True)
class PriceTables:
    """What `tidy_prices` hands on: one row per model and price record, the scores in long form, rejections."""

    prices: pl.DataFrame
    scores: pl.DataFrame
    rejections: pl.DataFrame


def _named(frame: pl.DataFrame, column: str, what: str, rejections: Rejections) -> pl.Series:
    """True for rows that name a model; a row with data but no name is recorded (it cannot be attributed)."""
    name = frame[column].cast(pl.String).str.strip_chars() if column in frame.columns else None
    if name is None:
        return pl.Series([False] * frame.height)
    unnamed = name.is_null() | (name == "")
    data = [pl.col(c).str.strip_chars().fill_null("") != "" for c in frame.columns if not c.startswith("_")]
    has_data = frame.select(pl.any_horizontal(data)).to_series()
    rejections.add(frame, column, unnamed & has_data, f"empty {column}; the {what} cannot be attributed to a model")
    return ~unnamed


def tidy_prices(raw: pl.DataFrame, source: str, ranges: dict[tuple[str, str], Rule] | None = None) -> PriceTables:
    """(prices, scores, rejections) of one price file of the study.

    Prices are USD per 1M tokens as published (a blend of input and output prices); scores keep their published
    scale (percent 0-100, or Elo). An empty score cell is no score (no row, no rejection); a bad or implausible
    price, date or score is recorded against the `plausible_ranges` seed's `epoch_price_study` rules and null.
    """
    rejections = Rejections(source)
    rules = file_rules(DATASET, raw, ranges)
    frame = rejections.text(rejections.header_rows(raw), (NAME,))
    named = _named(frame, NAME, "price", rejections)
    release = rules.check(rejections, frame, DATE, "release_date", rejections.date(frame, DATE))
    price = rules.check(rejections, frame, PRICE, "usd_per_1m_tokens", rejections.number(frame, PRICE, positive=True))
    rows = frame.select(
        pl.lit(source).alias("source"),
        pl.lit(DATASET).alias("dataset"),
        clean_name_expr(NAME).alias("model_name"),
        model_key_expr(NAME).alias("model_key"),
        pl.Series("release_date", release, dtype=pl.Date),
        pl.Series("usd_per_1m_tokens", price, dtype=pl.Float64),
        pl.col("_row_number").cast(pl.Int64).alias("row_number"),
    )
    parts = [pl.DataFrame(schema=INFERENCE_SCORE_SCHEMA)]
    for column, unit in SCORE_COLUMNS.items():
        if column not in frame.columns:
            continue
        score = rules.check(rejections, frame, column, f"score_{unit}", rejections.number(frame, column))
        long = rows.with_columns(pl.lit(column).alias("benchmark"), score.alias("score"), pl.lit(unit).alias("unit"))
        parts.append(long.filter(named & score.is_not_null()).select(list(INFERENCE_SCORE_SCHEMA)))
    return PriceTables(
        prices=rows.filter(named).cast(PRICE_SCHEMA),
        scores=pl.concat(parts, how="vertical").cast(INFERENCE_SCORE_SCHEMA),
        rejections=rejections.frame().cast(REJECTED_SCHEMA),
    )


def task_benchmarks(benchmarks: dict[str, Benchmark] | None = None) -> dict[str, str]:
    """Task name key -> the hub's benchmark id, by the display names of `pipelines/tidy/benchmarks.yaml`
    (`GPQA Diamond`, `MATH Level 5`), compared as model keys are (case and whitespace do not matter: the file
    writes `MATH level 5`)."""
    benchmarks = load_benchmarks() if benchmarks is None else benchmarks
    return {model_key(b.name): b.benchmark for b in benchmarks.values()}


def _count(frame: pl.DataFrame, column: str, rejections: Rejections, rules: FileRules) -> pl.Series:
    """A whole-number count (tokens, samples, epochs) as Int64; a fraction, a bad or implausible cell is recorded."""
    number = rules.check(rejections, frame, column, column, rejections.number(frame, column, positive=True))
    fractional = number.is_not_null() & (number != number.floor())
    rejections.add(frame, column, fractional, "not a whole number; expected a count")
    return pl.select(pl.when(fractional).then(None).otherwise(number)).to_series().cast(pl.Int64).alias(column)


def tidy_eval_tokens(
    raw: pl.DataFrame,
    benchmarks: dict[str, Benchmark] | None = None,
    ranges: dict[tuple[str, str], Rule] | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(tokens, rejections): one row per model version and task of the study's evaluation runs.

    `model_version` is the hub's id as published (`o1-mini-2024-09-12_high`), split into base version and setting
    by the hub's own rule; `benchmark` is the hub's id of the task, null for a task the hub does not run.
    `output_tokens_per_sample` divides output tokens by total_samples (which counts every epoch).
    """
    rejections = Rejections(TOKENS_SOURCE)
    rules = file_rules(TOKENS_SOURCE, raw, ranges)
    frame = rejections.text(rejections.header_rows(raw), (VERSION, TASK))
    named = _named(frame, VERSION, "token counts", rejections)
    counts = [_count(frame, column, rejections, rules) for column in TOKEN_COUNTS]
    version = pl.col(VERSION).str.strip_chars()
    base, setting = split_setting_expr(version)
    tokens = frame.select(
        version.alias("model_version"),
        base,
        setting,
        *setting_columns_expr(setting),
        clean_name_expr(TASK).alias("task"),
        model_key_expr(TASK).replace_strict(task_benchmarks(benchmarks), default=None).alias("benchmark"),
        *counts,
        pl.col("_row_number").cast(pl.Int64).alias("row_number"),
    ).with_columns((pl.col("output_tokens") / pl.col("total_samples")).alias("output_tokens_per_sample"))
    order = [c for c in tokens.columns if c != "row_number"] + ["row_number"]
    return tokens.filter(named).select(order), rejections.frame().cast(REJECTED_SCHEMA)


def price_step_output(raw: dict[str, pl.DataFrame], snapshots: Snapshots) -> TidyOutput:
    """tidy.inference_prices (USD per 1M tokens per model and price record) and tidy.inference_scores (the same
    rows' scores in long form), built together because they share one parse of each price file."""
    tables = [tidy_prices(raw[name], name) for name in PRICE_SOURCES]
    frames = {
        table: with_snapshot(pl.concat([getattr(t, part) for t in tables]), snapshots)
        for table, part in (("inference_prices", "prices"), ("inference_scores", "scores"))
    }
    return TidyOutput(frames, pl.concat([t.rejections for t in tables], how="vertical"))


def tokens_step_output(raw: dict[str, pl.DataFrame], snapshots: Snapshots) -> TidyOutput:
    tokens, rejections = tidy_eval_tokens(raw[TOKENS_SOURCE])
    return TidyOutput({"eval_tokens": with_sha(tokens, snapshots.get(TOKENS_SOURCE))}, rejections)


STEPS = [
    TidyStep(
        "inference_price_tables",
        PRICE_SOURCES,
        ("inference_prices", "inference_scores"),
        price_step_output,
        "from both price files of Epoch's inference-price study.",
    ),
    TidyStep(
        "eval_tokens",
        (TOKENS_SOURCE,),
        ("eval_tokens",),
        tokens_step_output,
        "tokens per model version and task of Epoch's evaluation runs, setting split off, task mapped to the hub's "
        "benchmark id.",
    ),
]
