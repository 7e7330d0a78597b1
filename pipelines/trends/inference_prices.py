"""Per dollar at inference (issue 19): how fast the cheapest model reaching a fixed score gets cheaper to use.

The method is Epoch AI's, from "LLM inference prices have fallen rapidly but unequally across tasks" (notebook
`llm_price_trends.ipynb` of epoch-research/llm-benchmark-efficiency), reproduced step by step so that its 21 published
trends come out with the same points, factors and intervals:

1. Thresholds. Per benchmark, each model that held the top score on the day it was released (the running best by
   release date; on a tie the earlier model keeps the lead) sets one threshold: its own score. On multiple-choice
   benchmarks (MMLU, GPQA Diamond) a threshold under 30% is skipped: near the 25% of guessing, a score says little.
2. The cheapest path. Models scoring at least the threshold (and under 100, on percent scales), in release order; a
   model is kept when it is cheaper than every model kept so far. A kept model followed by a kept model released the
   same day is dropped (the later one is cheaper): one point per day.
3. The fit. OLS of log10 price on the date in days; the factor per year is 10^(-slope·365) and its 90% interval comes
   from the t distribution with n - 2 degrees of freedom. Fewer than 4 points make no trend: such a threshold is
   absent from the table, as it is from the study.

Reasoning models (o1, o1-mini, o1-preview, o3-mini, DeepSeek-R1) are left out of the study's data, as Epoch did: they
spend many more tokens per answer, so their price per token understates what an answer costs.

Each trend is 'ok' or 'not identified', with the reason in `status_reason`, when it spans less than a year or its
interval spans more than two orders of magnitude (ci_high / ci_low > 100): such a factor is a guess, not a measurement.
Both stay in the table.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import numpy as np
import polars as pl

from pipelines.trends.checks import TableContract
from pipelines.trends.fits import CI_LEVEL
from pipelines.trends.status import Check, Estimate, Status, estimate_row, shorter_than, spans_more_than
from pipelines.trends.steps import LogLine, TrendOutput, TrendStep, TrendTable, info
from pipelines.warehouse import query_frame, read_table

STUDY = "epoch_price_study"
HUB = "benchmark_hub"

# Epoch's labels, in the study's order (the table keeps it)
STUDY_BENCHMARKS = ("MMLU", "GPQA Diamond", "MATH-500", "MATH 5", "HumanEval", "LMSys Chatbot Arena ELO")
MULTIPLE_CHOICE = frozenset({"MMLU", "GPQA Diamond"})
MIN_MULTIPLE_CHOICE_THRESHOLD = 30.0  # percent; guessing scores 25% on four options
REASONING_MODELS = frozenset({"DeepSeek-R1", "o1", "o1-mini", "o1-preview", "o3-mini"})
STUDY_NAMES = {"GPT-3 175B (davinci)": "GPT-3"}  # the study's label for GPT-3's rows
PERCENT_CEILING = 100.0  # percent scores count below it, as in the study; Elo has no ceiling

MIN_TREND_POINTS = 4
MIN_SPAN_DAYS = 365
MAX_CI_RATIO = 100.0  # ci_high / ci_low: two orders of magnitude
DAYS_PER_YEAR = 365  # the study's annualisation

# what the method reads: marts.inference_scores, and the hub's scores with a cost per run from marts.benchmark_scores
STUDY_COLUMNS: dict[str, pl.DataType] = {
    "source": pl.String(),
    "dataset": pl.String(),
    "model_name": pl.String(),
    "model_key": pl.String(),
    "release_date": pl.Date(),
    "usd_per_1m_tokens": pl.Float64(),
    "benchmark": pl.String(),
    "score": pl.Float64(),
    "unit": pl.String(),
}
HUB_COLUMNS: dict[str, pl.DataType] = {
    "benchmark_name": pl.String(),
    "model_version": pl.String(),
    "release_date": pl.Date(),
    "trend_score": pl.Float64(),
    "cost_per_run_usd": pl.Float64(),
}

STUDY_QUERY = f"select {', '.join(STUDY_COLUMNS)} from marts.inference_scores"
HUB_QUERY = f"""
select {", ".join(HUB_COLUMNS)}
from marts.benchmark_scores
where unit = 'fraction' and trend_score is not null and cost_per_run_usd > 0 and release_date is not null
order by member, row_number
"""

ENTRY_SCHEMA: dict[str, pl.DataType] = {
    "dataset": pl.String(),
    "benchmark": pl.String(),
    "model_name": pl.String(),
    "release_date": pl.Date(),
    "price": pl.Float64(),
    "score": pl.Float64(),
    "unit": pl.String(),
    "price_unit": pl.String(),
    "multiple_choice": pl.Boolean(),
}

# a threshold: the key of its cheapest path and of its trend, the first columns of both tables
THRESHOLD_SCHEMA: dict[str, pl.DataType] = {
    "dataset": pl.String(),
    "benchmark": pl.String(),
    "threshold_model": pl.String(),
    "threshold_score": pl.Float64(),
    "unit": pl.String(),
    "price_unit": pl.String(),
}
THRESHOLD_KEY = tuple(THRESHOLD_SCHEMA)

TRENDS_SCHEMA: dict[str, pl.DataType] = {
    **THRESHOLD_SCHEMA,
    "n": pl.Int64(),
    "start_date": pl.Date(),
    "end_date": pl.Date(),
    "span_days": pl.Int64(),
    "factor_per_year": pl.Float64(),
    "ci_low": pl.Float64(),
    "ci_high": pl.Float64(),
    "r_squared": pl.Float64(),
    "models": pl.String(),
    "status": pl.String(),
    "status_reason": pl.String(),
}

# `trends.inference_price_points`: the cheapest path of every threshold with a trend, in the trends' order; the
# trends are fitted from it, and the pages draw it
POINTS_SCHEMA: dict[str, pl.DataType] = {
    **THRESHOLD_SCHEMA,
    "model_name": pl.String(),
    "release_date": pl.Date(),
    "price": pl.Float64(),
    "score": pl.Float64(),
}

STATUSES = (Status.OK, Status.NOT_IDENTIFIED)
# a trend under a year long, or whose interval spans more than two orders of magnitude, does not measure a rate
TOO_SHORT = "spans {days} days, less than {minimum}"
TOO_WIDE = "its 90% interval ({low:.3g}x to {high:.3g}x per year) spans {span:.1f} orders of magnitude, more than two"
IDENTIFICATION = (
    Check(
        Status.NOT_IDENTIFIED,
        (shorter_than(MIN_SPAN_DAYS, TOO_SHORT), spans_more_than(math.log10(MAX_CI_RATIO), TOO_WIDE)),
    ),
)


def load_study_scores(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return query_frame(con, STUDY_QUERY).cast(STUDY_COLUMNS)


def load_hub_costs(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return query_frame(con, HUB_QUERY).cast(HUB_COLUMNS)


# -- entries: one row per model and benchmark, with a price, a score and a release date ----------------------------


def study_entries(scores: pl.DataFrame) -> pl.DataFrame:
    """`marts.inference_scores` rows as entries: the study's six benchmarks, priced and scored models only, reasoning
    models out, GPT-3 under the study's label."""
    rows = scores.filter(
        pl.col("benchmark").is_in(STUDY_BENCHMARKS)
        & (pl.col("usd_per_1m_tokens") > 0)  # a log price needs a positive price
        & pl.col("score").is_not_null()
        & pl.col("release_date").is_not_null()
        & ~pl.col("model_name").is_in(REASONING_MODELS)
    )
    return rows.select(
        pl.lit(STUDY).alias("dataset"),
        "benchmark",
        pl.col("model_name").replace(STUDY_NAMES),
        "release_date",
        pl.col("usd_per_1m_tokens").alias("price"),
        "score",
        "unit",
        pl.lit("USD per 1M tokens").alias("price_unit"),
        pl.col("benchmark").is_in(MULTIPLE_CHOICE).alias("multiple_choice"),
    ).cast(ENTRY_SCHEMA)


def hub_entries(costs: pl.DataFrame) -> pl.DataFrame:
    """Benchmarking Hub scores with a published cost per run as entries: a model is a model version with its setting
    (`o3-2025-04-16_high` and `o3-2025-04-16_low` are two), the price is the cost of one run, the score in percent.

    These benchmarks (WeirdML, Aider Polyglot, SWE-bench bash only, TheAgentCompany) are not multiple choice, so no
    threshold is skipped for being near chance; reasoning models stay in, since a cost per run already counts every
    token they spend."""
    rows = costs.filter(
        pl.col("trend_score").is_not_null() & (pl.col("cost_per_run_usd") > 0) & pl.col("release_date").is_not_null()
    )
    return rows.select(
        pl.lit(HUB).alias("dataset"),
        pl.col("benchmark_name").alias("benchmark"),
        pl.col("model_version").alias("model_name"),
        "release_date",
        pl.col("cost_per_run_usd").alias("price"),
        (pl.col("trend_score") * 100).round(9).alias("score"),  # 0.141 -> 14.1, not 14.099999999999998
        pl.lit("percent").alias("unit"),
        pl.lit("USD per run").alias("price_unit"),
        pl.lit(False).alias("multiple_choice"),
    ).cast(ENTRY_SCHEMA)


def _in_release_order(entries: pl.DataFrame) -> pl.DataFrame:
    """Release date, then name: a deterministic order for models released the same day (the same-day rule makes the
    path itself independent of it)."""
    return entries.sort("release_date", "model_name", maintain_order=True)


# -- the method -----------------------------------------------------------------------------------------------------


def thresholds(entries: pl.DataFrame) -> pl.DataFrame:
    """The entries of one benchmark that held the top score on their release day, in release order: each one's score
    is a threshold. A tie with an earlier leader leaves the lead where it was."""
    ordered = _in_release_order(entries)
    day_best = ordered.filter(pl.col("score") == pl.col("score").max().over("release_date")).unique(
        "release_date", keep="first", maintain_order=True
    )
    earlier_best = pl.col("score").cum_max().shift(1)
    return day_best.filter(earlier_best.is_null() | (pl.col("score") > earlier_best))


def skipped_as_chance(threshold: dict[str, object]) -> bool:
    """A multiple-choice threshold under 30%: too near guessing to define a capability level."""
    return bool(threshold["multiple_choice"]) and float(threshold["score"]) < MIN_MULTIPLE_CHOICE_THRESHOLD


def cheapest_path(entries: pl.DataFrame, threshold: float) -> pl.DataFrame:
    """The entries of one benchmark that were the cheapest yet at or above `threshold` when released, one per day.

    With three or more cheapest-yet models on one day only the last (cheapest) stays; the study's loop, dropping rows
    while it indexes them, would keep two of three, but no day of its data has more than two."""
    ceiling = pl.when(pl.col("unit") == "percent").then(pl.lit(PERCENT_CEILING)).otherwise(pl.lit(math.inf))
    above = _in_release_order(entries).filter((pl.col("score") >= threshold) & (pl.col("score") < ceiling))
    cheapest_before = pl.col("price").cum_min().shift(1)
    kept = above.filter(cheapest_before.is_null() | (pl.col("price") < cheapest_before))
    return kept.filter(pl.col("release_date").ne_missing(pl.col("release_date").shift(-1)))


@dataclass(frozen=True)
class PriceTrend:
    """OLS of log10 price on date in days, annualised: the price falls `factor_per_year` times a year."""

    n: int
    slope_per_day: float
    factor_per_year: float
    ci_low: float
    ci_high: float
    r_squared: float


def fit_price_trend(days: Sequence[int] | np.ndarray, prices: Sequence[float] | np.ndarray) -> PriceTrend:
    """The factor by which price falls per year, with its 90% interval from the t distribution (n - 2 dof)."""
    from scipy import stats  # here, not at the top: scipy.stats takes 0.4 s to import, the definitions import this

    x = np.asarray(days, dtype=float)
    y = np.log10(np.asarray(prices, dtype=float))
    fit = stats.linregress(x, y)
    half_width = stats.t.ppf(0.5 + CI_LEVEL / 2, x.size - 2) * fit.stderr
    return PriceTrend(
        n=int(x.size),
        slope_per_day=float(fit.slope),
        factor_per_year=float(10 ** (-fit.slope * DAYS_PER_YEAR)),
        ci_low=float(10 ** (-(fit.slope + half_width) * DAYS_PER_YEAR)),
        ci_high=float(10 ** (-(fit.slope - half_width) * DAYS_PER_YEAR)),
        r_squared=float(fit.rvalue**2),
    )


def trend_row(path: pl.DataFrame) -> dict[str, object]:
    """One `trends.inference_price_trends` row: the fit of one threshold's cheapest path and its status."""
    days = path["release_date"].cast(pl.Int32).to_numpy()
    trend = fit_price_trend(days, path["price"].to_numpy())
    start, end = path["release_date"].min(), path["release_date"].max()
    span = (end - start).days
    figure = Estimate(trend.factor_per_year, trend.ci_low, trend.ci_high, n=trend.n, span_days=span)
    return {
        **path.select(THRESHOLD_KEY).row(0, named=True),
        "n": trend.n,
        "start_date": start,
        "end_date": end,
        "span_days": span,
        **estimate_row(figure, IDENTIFICATION, columns=("factor_per_year", "ci_low", "ci_high")),
        "r_squared": trend.r_squared,
        "models": "; ".join(path["model_name"]),
    }


def benchmark_paths(entries: pl.DataFrame) -> list[pl.DataFrame]:
    """The cheapest paths of one benchmark's entries, one per threshold not skipped as chance with enough points,
    each row labelled with its threshold."""
    paths = []
    for threshold in thresholds(entries).iter_rows(named=True):
        if skipped_as_chance(threshold):
            continue
        path = cheapest_path(entries, float(threshold["score"]))
        if path.height >= MIN_TREND_POINTS:
            labels = [
                pl.lit(threshold["model_name"]).alias("threshold_model"),
                pl.lit(threshold["score"]).alias("threshold_score"),
            ]
            paths.append(path.with_columns(*labels).select(list(POINTS_SCHEMA)).cast(POINTS_SCHEMA))
    return paths


def price_points_frame(entries: pl.DataFrame) -> pl.DataFrame:
    """`trends.inference_price_points`: every threshold's cheapest path, by dataset (the study first), benchmark (the
    study's order, then by name) and threshold date."""
    study_rank = {name: i for i, name in enumerate(STUDY_BENCHMARKS)}
    groups = entries.select("dataset", "benchmark").unique()
    order = sorted(groups.iter_rows(), key=lambda g: (g[0] != STUDY, study_rank.get(g[1], len(study_rank)), g[1]))
    paths = []
    for dataset, benchmark in order:
        paths += benchmark_paths(entries.filter((pl.col("dataset") == dataset) & (pl.col("benchmark") == benchmark)))
    return pl.concat(paths) if paths else pl.DataFrame(schema=POINTS_SCHEMA)


def trends_from_points(points: pl.DataFrame) -> pl.DataFrame:
    """`trends.inference_price_trends`: one fit per path of `trends.inference_price_points`, in its order."""
    paths = points.partition_by(list(THRESHOLD_KEY), maintain_order=True)
    return pl.DataFrame([trend_row(path) for path in paths], schema=TRENDS_SCHEMA)


def inference_price_points(study_scores: pl.DataFrame, hub_costs: pl.DataFrame) -> pl.DataFrame:
    """The cheapest paths of the study's price per token and the hub's cost per run."""
    return price_points_frame(pl.concat([study_entries(study_scores), hub_entries(hub_costs)]))


def inference_price_trends(study_scores: pl.DataFrame, hub_costs: pl.DataFrame) -> pl.DataFrame:
    """`trends.inference_price_trends`: the study's price per token trends and the hub's cost per run trends."""
    return trends_from_points(inference_price_points(study_scores, hub_costs))


# -- the steps: trends.inference_price_points, then trends.inference_price_trends fitted on them, each checked
# against its contract ---------------------------------------------------------------------------------------------

POINTS_CONTRACT = TableContract(
    "inference_price_points",
    keys=("dataset", "benchmark", "threshold_model", "model_name", "release_date"),
    required=("price", "release_date", "threshold_score"),
    status_column=None,
    columns=tuple(POINTS_SCHEMA.items()),
    positive=("price",),
)
TRENDS_CONTRACT = TableContract(
    "inference_price_trends",
    keys=("dataset", "benchmark", "threshold_model"),
    required=("factor_per_year", "ci_low", "ci_high", "r_squared", "start_date", "end_date"),
    intervals=(("factor_per_year", "ci_low", "ci_high"),),
    minimums=(("n", MIN_TREND_POINTS), ("span_days", MIN_SPAN_DAYS)),
    columns=tuple(TRENDS_SCHEMA.items()),
    statuses=STATUSES,
    positive=("factor_per_year", "ci_low", "ci_high"),
)


def build_points(con: duckdb.DuckDBPyConnection) -> TrendOutput:
    """trends.inference_price_points from the study's prices (marts.inference_scores) and the hub's costs per run."""
    frame = inference_price_points(load_study_scores(con), load_hub_costs(con))
    return TrendOutput({POINTS_CONTRACT.table: frame})


def build_trends(con: duckdb.DuckDBPyConnection) -> TrendOutput:
    """trends.inference_price_trends from trends.inference_price_points; each dataset's range of factors is logged."""
    frame = trends_from_points(read_table(con, "trends", POINTS_CONTRACT.table))
    ok = frame.filter(pl.col("status") == Status.OK)
    log: list[LogLine] = []
    for dataset in (STUDY, HUB):
        factors = frame.filter(pl.col("dataset") == dataset)["factor_per_year"]
        identified = ok.filter(pl.col("dataset") == dataset).height
        if factors.len():
            log.append(
                info(
                    f"{dataset}: {factors.len()} trends ({identified} identified), price falling "
                    f"x{factors.min():.3g} to x{factors.max():.3g} per year, median x{factors.median():.3g}"
                )
            )
    table = TRENDS_CONTRACT.table
    return TrendOutput({table: frame}, {table: {"trends": frame.height}}, tuple(log))


STEPS = [
    TrendStep(
        "inference_price_points",
        reads=("marts.inference_scores", "marts.benchmark_scores"),
        tables=(
            TrendTable(
                POINTS_CONTRACT,
                "each threshold's cheapest models over time (Epoch's rule: cheaper than every model kept before, at "
                "or above a score that once led), the study's per 1M tokens and the hub's per run.",
            ),
        ),
        build=build_points,
    ),
    TrendStep(
        "inference_price_trends",
        reads=("trends.inference_price_points",),
        tables=(
            TrendTable(
                TRENDS_CONTRACT,
                "how fast the cheapest model at a fixed score got cheaper per year, fitted on "
                "trends.inference_price_points (Epoch's method); 'not identified' rows say why.",
            ),
        ),
        build=build_trends,
    ),
]
