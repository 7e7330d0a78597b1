"""Per dollar at inference (issue 19): what more test-time compute buys within one model.

A *pair* is one model (base version) on one benchmark; its *points* are the model's settings there (reasoning effort,
thinking budget, thinking on or off), each the mean score of its rows in percentage points (trend_score × 100).
Every figure compares a model only with itself, so model quality, date and scaffold drop out:

- `per_effort_step`: points per step of reasoning effort (minimal < low < medium < high < xhigh);
- `per_budget_doubling`: points per doubling of the thinking budget (`_16K` -> 16,000 tokens);
- `thinking_on_vs_off`: points gained by switching thinking on (an explicit off, GPT-5.1's `none`, against a
  `thinking` setting or the model's lowest effort level);
- `per_10x_cost_per_run`: points per 10x the published inference cost of a run (model fixed effects);
- `per_10x_output_tokens`: points per 10x output tokens per sample (marts.eval_tokens joined by model version and
  benchmark);
- `diminishing_returns`: in pairs with three or more effort levels, the last step's gain minus the first's.

Two methods, both within pairs: the median over pairs of each pair's own OLS slope (robust to one odd model), and
the pooled within-pair slope (one slope with a level per pair: Σ centred x·y / Σ centred x²). The 90% CI of both
comes from the same bootstrap over pairs (seeded, so a rebuild gives the same numbers). Only percentage benchmarks
enter; the ECI gives one value per model for all its settings, so its effort figure is not identified and is said
so, never fitted as zeros.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import duckdb
import numpy as np
import polars as pl

from pipelines.trends.checks import TableContract
from pipelines.trends.fits import BOOTSTRAP_RESAMPLES, BOOTSTRAP_SEED, CI_LEVEL, percentile_ci
from pipelines.trends.status import (
    Check,
    Estimate,
    Status,
    degenerate,
    estimate_row,
    status_columns,
    unbounded,
    wider_than,
)
from pipelines.trends.steps import TrendOutput, TrendStep, TrendTable, row_lines
from pipelines.warehouse import query_frame

MIN_PAIRS = 3  # fewer model-benchmark pairs than this: 'insufficient data'
MAX_CI_WIDTH_POINTS = 100.0  # a CI wider than the whole score scale identifies nothing
SEED = BOOTSTRAP_SEED + 19  # one seed for every figure: the same data give the same numbers
ECI = "eci"
POOLED = "pooled"
METHODS = ("median over pairs", "pooled within-pair slope")
STATUSES = (Status.OK, Status.NOT_IDENTIFIED, Status.INSUFFICIENT_DATA)  # the reason is in status_reason
PAIR = ["benchmark", "base_version"]

SCHEMA: dict[str, pl.DataType] = {
    "measure": pl.String(),
    "benchmark": pl.String(),
    "method": pl.String(),
    "estimate": pl.Float64(),
    "ci_low": pl.Float64(),
    "ci_high": pl.Float64(),
    "n_pairs": pl.Int64(),
    "n_points": pl.Int64(),
    "unit": pl.String(),
    "status": pl.String(),
    "status_reason": pl.String(),
    "note": pl.String(),
}


# thinking on or off: the `thinking` column (a `_thinking` setting on, GPT-5.1's `_none` off), and on at the lowest
# effort level a model publishes (an effort level is reasoning switched on), so `_none` against `_low` is the switch
# itself, not the switch plus more effort
LOWEST_EFFORT = pl.col("effort_rank") == pl.col("effort_rank").min().over(PAIR)
THINKING = (
    pl.when(pl.col("thinking").is_not_null()).then(pl.col("thinking").cast(pl.Float64)).when(LOWEST_EFFORT).then(1.0)
)


@dataclass(frozen=True)
class Measure:
    """One figure: its regressor `x` (an expression on the score rows) and what one unit of it is."""

    name: str
    unit: str
    regressor: str  # in words, for reasons
    pair_needs: str  # what makes a model-benchmark pair, in words
    x: pl.Expr
    steps: bool = False  # first against last step (diminishing returns) instead of a slope


MEASURES = (
    Measure(
        "per_effort_step",
        "percentage points per effort step (minimal < low < medium < high < xhigh)",
        "effort level",
        "two or more effort levels",
        pl.col("effort_rank").cast(pl.Float64),
    ),
    Measure(
        "per_budget_doubling",
        "percentage points per doubling of the thinking budget (tokens)",
        "thinking budget",
        "two or more thinking budgets",
        pl.when(pl.col("budget_tokens") > 0).then(pl.col("budget_tokens").cast(pl.Float64).log(2)),
    ),
    Measure(
        "thinking_on_vs_off",
        "percentage points, thinking on (a `thinking` setting, else the model's lowest effort level) minus thinking "
        "off (an explicit `none`)",
        "thinking mode",
        "thinking both on and off",
        THINKING,
    ),
    Measure(
        "per_10x_cost_per_run",
        "percentage points per 10x inference cost per run (USD, as the benchmark publishes it)",
        "cost per run",
        "two or more costs per run",
        pl.when(pl.col("cost_per_run_usd") > 0).then(pl.col("cost_per_run_usd").log10()),
    ),
    Measure(
        "per_10x_output_tokens",
        "percentage points per 10x output tokens per sample",
        "output tokens per sample",
        "two or more counts of output tokens per sample",
        pl.when(pl.col("output_tokens_per_sample") > 0).then(pl.col("output_tokens_per_sample").log10()),
    ),
    Measure(
        "diminishing_returns",
        "percentage points per effort step: the last step's gain minus the first step's (negative: diminishing)",
        "effort level",
        "three or more effort levels",
        pl.col("effort_rank").cast(pl.Float64),
        steps=True,
    ),
)

SCORES_QUERY = """
select benchmark, unit, model_version, base_version, setting, setting_kind, effort_rank, budget_tokens, thinking,
       cost_per_run_usd, score, trend_score
from marts.benchmark_scores
where base_version is not null
"""

TOKENS_QUERY = """
select model_version, benchmark, output_tokens_per_sample
from marts.eval_tokens
where benchmark is not null and output_tokens_per_sample > 0
"""


def load_scores(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return query_frame(con, SCORES_QUERY)


def load_tokens(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    return query_frame(con, TOKENS_QUERY)


def with_tokens(scores: pl.DataFrame, tokens: pl.DataFrame) -> pl.DataFrame:
    """The score rows with the output tokens per sample of the same model version on the same benchmark (mean over
    tasks mapping to it), null where the eval logs have none."""
    per_version = tokens.group_by("model_version", "benchmark").agg(pl.col("output_tokens_per_sample").mean())
    return scores.join(per_version, on=["model_version", "benchmark"], how="left")


# -- pairs and their within-pair statistics ----------------------------------------------------------------------


def setting_points(rows: pl.DataFrame, measure: Measure) -> pl.DataFrame:
    """One point per pair and setting: mean x and mean score in percentage points; rows without a fraction score or
    without the regressor are left out (never read as zero)."""
    return (
        rows.with_columns(
            measure.x.alias("x"),
            (pl.col("trend_score") * 100).alias("y"),
            pl.col("setting").str.to_lowercase().fill_null("default").alias("setting_key"),
        )
        .filter(pl.col("x").is_not_null() & pl.col("x").is_finite() & pl.col("y").is_not_null())
        .group_by([*PAIR, "setting_key"], maintain_order=True)
        .agg(pl.col("x").mean(), pl.col("y").mean())
    )


def slope_stats(points: pl.DataFrame) -> pl.DataFrame:
    """Per pair with two or more settings: its points, centred sums (sxy, sxx, syy) and own slope (null when its
    regressor does not vary)."""
    xc = pl.col("x") - pl.col("x").mean().over(PAIR)
    yc = pl.col("y") - pl.col("y").mean().over(PAIR)
    return (
        points.with_columns(xc.alias("xc"), yc.alias("yc"))
        .group_by(PAIR, maintain_order=True)
        .agg(
            pl.len().alias("n_points"),
            (pl.col("xc") * pl.col("yc")).sum().alias("num_0"),
            (pl.col("xc") ** 2).sum().alias("den_0"),
            (pl.col("yc") ** 2).sum().alias("syy"),
        )
        .filter(pl.col("n_points") >= 2)
        .with_columns(pl.when(pl.col("den_0") > 0).then(pl.col("num_0") / pl.col("den_0")).alias("value"))
    )


def step_stats(points: pl.DataFrame) -> pl.DataFrame:
    """Per pair with three or more levels: the first and the last step (Δy over Δx between adjacent levels) and the
    pair's own figure, last-step gain minus first-step gain, each per unit of the regressor."""
    steps = (
        points.sort([*PAIR, "x"])
        .with_columns(pl.col("y").diff().over(PAIR).alias("dy"), pl.col("x").diff().over(PAIR).alias("dx"))
        .filter(pl.col("dx") > 0)
    )
    stats = (
        steps.group_by(PAIR, maintain_order=True)
        .agg(
            (pl.len() + 1).alias("n_points"),
            pl.col("dy").first().alias("num_0"),
            pl.col("dx").first().alias("den_0"),
            pl.col("dy").last().alias("num_1"),
            pl.col("dx").last().alias("den_1"),
            pl.col("dy").pow(2).sum().alias("syy"),
        )
        .filter(pl.col("n_points") >= 3)
    )
    return stats.with_columns((pl.col("num_1") / pl.col("den_1") - pl.col("num_0") / pl.col("den_0")).alias("value"))


def pair_stats(rows: pl.DataFrame, measure: Measure) -> pl.DataFrame:
    points = setting_points(rows, measure)
    return step_stats(points) if measure.steps else slope_stats(points)


@dataclass(frozen=True)
class Figure:
    """A figure by both methods, with the bootstrap draws of each (same resamples of pairs)."""

    estimates: tuple[float, float]
    draws: tuple[np.ndarray, np.ndarray]


def pooled_value(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """The pooled within-pair figure from summed parts (last axis: pairs): one slope, or the last step's pooled
    slope minus the first's."""
    slopes = num.sum(-1) / den.sum(-1)
    return slopes[0] if slopes.shape[0] == 1 else slopes[1] - slopes[0]


def bootstrap_figure(stats: pl.DataFrame, *, resamples: int = BOOTSTRAP_RESAMPLES, seed: int = SEED) -> Figure:
    """Median over pairs and pooled within-pair figure, and their draws over pairs resampled with replacement."""
    parts = sorted(c.removeprefix("num_") for c in stats.columns if c.startswith("num_"))
    num = np.stack([stats[f"num_{p}"].to_numpy().astype(float) for p in parts])  # (parts, pairs)
    den = np.stack([stats[f"den_{p}"].to_numpy().astype(float) for p in parts])
    value = stats["value"].to_numpy().astype(float)
    index = np.random.default_rng(seed).integers(0, value.size, size=(resamples, value.size))
    with np.errstate(invalid="ignore", divide="ignore"):
        pooled_draws = pooled_value(num[:, index], den[:, index])
        pooled = float(pooled_value(num, den))
    return Figure((float(np.median(value)), pooled), (np.median(value[index], axis=1), pooled_draws))


# -- rows ----------------------------------------------------------------------------------------------------------


def _row(measure: str, benchmark: str, method: str, unit: str, **values: object) -> dict[str, object]:
    row: dict[str, object] = dict.fromkeys(SCHEMA)
    row.update(measure=measure, benchmark=benchmark, method=method, unit=unit, note="")
    row.update(values)
    return row


def data_problem(measure: Measure, stats: pl.DataFrame) -> tuple[Status, str] | None:
    """(status, reason) when the pairs cannot give a figure: none varies in the regressor, too few pairs, or no
    pair varies in its score (a flat ladder: a slope of exactly zero would be an artefact of identical values)."""
    usable = stats.filter(pl.col("value").is_not_null())
    if stats.height and usable.is_empty():
        return Status.NOT_IDENTIFIED, (
            f"no within-pair variation in {measure.regressor}: each of the {stats.height} models with several "
            "settings has the same value at all of them"
        )
    if usable.height < MIN_PAIRS:
        return Status.INSUFFICIENT_DATA, (
            f"{usable.height} model-benchmark pairs with {measure.pair_needs} and a percentage score; a figure needs "
            f"{MIN_PAIRS}"
        )
    if float(usable["syy"].sum()) == 0:
        return Status.NOT_IDENTIFIED, (
            f"no within-pair variation in the score: each of the {usable.height} models scores the same whatever its "
            f"{measure.regressor}, so no gain (or loss) is observed"
        )
    return None


def draws_ci(draws: np.ndarray) -> tuple[float, float]:
    """The 90% CI of the finite draws (NaN without any)."""
    finite = np.isfinite(draws)
    return percentile_ci(draws[finite]) if finite.any() else (math.nan, math.nan)


# not identified: a degenerate bootstrap, an unbounded CI, or one wider than the score scale (the first that applies)
DEGENERATE = "the bootstrap degenerates: {failed} of {resamples} resamples give no figure"
TOO_WIDE = (
    f"the {CI_LEVEL:.0%} CI ({{low:.3g}} to {{high:.3g}}) is wider than the {MAX_CI_WIDTH_POINTS:.0f}-point score scale"
)
IDENTIFICATION = (
    Check(
        Status.NOT_IDENTIFIED,
        (
            degenerate(CI_LEVEL, DEGENERATE),
            unbounded(f"the {CI_LEVEL:.0%} CI is unbounded"),
            wider_than(MAX_CI_WIDTH_POINTS, TOO_WIDE),
        ),
        every=False,
    ),
)


METHOD_NOTES = {
    False: (
        "median over pairs of each pair's own OLS slope",
        "one slope with a level per pair (sum of centred x·y over sum of centred x², all pairs)",
    ),
    True: (
        "median over pairs of (last step's gain - first step's gain), each per effort step",
        "pooled slope of the last steps minus pooled slope of the first steps (same pairs)",
    ),
}


def figure_rows(measure: Measure, benchmark: str, stats: pl.DataFrame, context: str) -> list[dict[str, object]]:
    """The rows of one measure on one benchmark (or pooled), one per method."""
    usable = stats.filter(pl.col("value").is_not_null())
    counts = dict(n_pairs=usable.height, n_points=int(usable["n_points"].sum()) if usable.height else 0)
    rows = [_row(measure.name, benchmark, m, measure.unit, **counts) for m in METHODS]
    problem = data_problem(measure, stats)
    if problem:
        for row in rows:
            row.update(status_columns(*problem), note=context)
        return rows
    figure = bootstrap_figure(usable)
    bootstrap = f"{CI_LEVEL:.0%} CI: percentile bootstrap over pairs, {BOOTSTRAP_RESAMPLES} resamples, seed {SEED}"
    for row, estimate, draws, how in zip(
        rows, figure.estimates, figure.draws, METHOD_NOTES[measure.steps], strict=True
    ):
        low, high = draws_ci(draws)
        row.update(estimate_row(Estimate(estimate, low, high, draws=draws), IDENTIFICATION))
        zero = (
            "; the CI includes 0 (no effect is detectable)" if row["status"] == Status.OK and low <= 0 <= high else ""
        )
        row["note"] = f"{how}; {context}; {bootstrap}{zero}"
    return rows


def left_out(rows: pl.DataFrame, measure: Measure) -> str:
    """The benchmarks with several settings of the regressor whose scores are not percentages (ECI, Elo, minutes),
    named with their unit: they cannot be pooled in percentage points."""
    other = rows.filter(pl.col("unit") != "fraction")
    multi = (
        other.filter(measure.x.is_not_null())
        .group_by(PAIR)
        .agg(pl.col("setting").n_unique().alias("settings"), pl.col("unit").first())
        .filter(pl.col("settings") >= 2)
        .unique("benchmark")
        .sort("benchmark")
    )
    names = ", ".join(f"{b} ({u})" for b, u in multi.select("benchmark", "unit").iter_rows())
    return f"; left out, not a percentage score: {names}" if names else ""


def measure_rows(measure: Measure, rows: pl.DataFrame) -> list[dict[str, object]]:
    """One measure pooled over every percentage benchmark, then per benchmark with a pair of models (rows below
    MIN_PAIRS pairs say so)."""
    percent = rows.filter(pl.col("unit") == "fraction")
    stats = pair_stats(percent, measure)
    names = stats["benchmark"].unique().sort().to_list()
    pooled_context = (
        f"pooled over {len(names)} benchmark(s) ({', '.join(names) or 'none'}); a pair is one model (base version) "
        f"on one benchmark, a point the mean score of one setting; at least {MIN_PAIRS} pairs{left_out(rows, measure)}"
    )
    out = figure_rows(measure, POOLED, stats, pooled_context)
    for name in names:
        context = f"{name} alone; at least {MIN_PAIRS} pairs"
        out += figure_rows(measure, name, stats.filter(pl.col("benchmark") == name), context)
    return out


def eci_row(rows: pl.DataFrame) -> dict[str, object]:
    """The ECI's effort figure, not identified: the index is one estimate per model (Epoch's IRT fit), repeated for
    each of its settings, so its identical values would fit as a zero gain that was never measured."""
    eci = rows.filter(pl.col("benchmark") == ECI).drop_nulls(["effort_rank", "score"])
    models = (
        eci.group_by("base_version")
        .agg(pl.col("effort_rank").n_unique().alias("levels"), pl.col("score").n_unique().alias("values"), pl.len())
        .filter(pl.col("levels") >= 2)
    )
    varying = models.filter(pl.col("values") > 1).height
    reason = (
        f"the ECI gives one value per model for all its settings: {models.height} models have two or more effort "
        f"levels and {varying} of them a value that differs between levels; a gain per effort step is not observed, "
        "so none is reported (fitting the repeated values would report a zero gain that was never measured)"
    )
    count = int(models["len"].sum()) if models.height else 0
    return _row(
        "per_effort_step",
        ECI,
        "not fitted",
        "ECI points per effort step",
        n_pairs=models.height,
        n_points=count,
        **status_columns(Status.NOT_IDENTIFIED, reason),
        note="Epoch Capabilities Index; excluded from every pooled figure",
    )


def test_time_frame(scores: pl.DataFrame, tokens: pl.DataFrame) -> pl.DataFrame:
    """trends.test_time_scaling: every measure pooled and per benchmark, by both methods, and the ECI's row."""
    rows = with_tokens(scores, tokens)
    out = [row for measure in MEASURES for row in measure_rows(measure, rows)]
    out.append(eci_row(rows))
    order = {m.name: i for i, m in enumerate(MEASURES)}
    return pl.DataFrame(out, schema=SCHEMA).sort(
        pl.col("measure").replace_strict(order, default=len(order)),
        pl.col("benchmark") != POOLED,
        "benchmark",
        pl.col("method").replace_strict({m: i for i, m in enumerate(METHODS)}, default=len(METHODS)),
    )


# -- the step: trends.test_time_scaling, checked against its contract -----------------------------------------------

CONTRACT = TableContract(
    "test_time_scaling",
    keys=("measure", "benchmark", "method"),
    required=("estimate", "ci_low", "ci_high", "unit", "note"),
    intervals=(("estimate", "ci_low", "ci_high"),),
    minimums=(("n_pairs", MIN_PAIRS),),
    columns=tuple(SCHEMA.items()),
    statuses=STATUSES,
)


def build_test_time(con: duckdb.DuckDBPyConnection) -> TrendOutput:
    """trends.test_time_scaling from the scores and the eval runs' output tokens; each pooled figure is logged."""
    frame = test_time_frame(load_scores(con), load_tokens(con))
    pooled_ok = frame.filter((pl.col("benchmark") == POOLED) & (pl.col("status") == Status.OK))
    log = row_lines(
        pooled_ok, "{measure} ({method}): {estimate:.3g} (90% CI {ci_low:.3g} to {ci_high:.3g}) {unit}, {n_pairs} pairs"
    )
    return TrendOutput({CONTRACT.table: frame}, log=log)


STEPS = [
    TrendStep(
        "test_time_scaling",
        reads=("marts.benchmark_scores", "marts.eval_tokens"),
        tables=(
            TrendTable(
                CONTRACT,
                "what more test-time compute buys within one model (points per effort step, per budget doubling, "
                "thinking on, per 10x cost per run and output tokens), pooled and per benchmark; rows that cannot "
                "give a figure say why.",
            ),
        ),
        build=build_test_time,
    )
]
