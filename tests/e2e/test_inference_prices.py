"""Epoch's 21 published inference-price trends, reproduced from the study's own two price files.

The figures below are the study's (epoch-research/llm-benchmark-efficiency, results/default/
lowest_price_models_above_previous_frontier/lowest_price_models_results.csv, "LLM inference prices have fallen
rapidly but unequally across tasks", March 2025): per benchmark and threshold model, the number of cheapest models
fitted, the factor by which price per token falls per year and its 90% interval.
"""

from __future__ import annotations

from pathlib import Path
from statistics import median

import polars as pl
import pytest

from pipelines.trends import inference_prices as ip
from pipelines.trends.status import Status

pytestmark = pytest.mark.e2e

STUDY_DIR = (
    "raw.githubusercontent.com/epoch-research/llm-benchmark-efficiency/34b923314338360d1b1bbed6ec30d9299e54fdae/data"
)
PRICE_FILES = {
    "inference_prices_aa": "aa_data_with_math5.csv",
    "inference_prices_epoch": "epoch_ai_price_data_not_in_aa_with_benchmarks.csv",
}

# benchmark, threshold model, n, factor per year, 90% CI low, 90% CI high
PUBLISHED = [
    ("MMLU", "GPT-3", 9, 11.772873, 8.287355, 16.724340),
    ("MMLU", "GPT-3.5", 7, 15.830915, 8.054665, 31.114624),
    ("MMLU", "GPT-3.5 Turbo", 6, 9.347249, 4.800971, 18.198625),
    ("MMLU", "GPT-4-0314", 5, 15.856762, 4.085681, 61.540992),
    ("MMLU", "GPT-4 Turbo", 5, 35.791222, 5.026996, 254.826472),
    ("GPQA Diamond", "GPT-4-0314", 6, 42.018999, 4.398155, 401.440166),
    ("GPQA Diamond", "GPT-4 Turbo", 6, 46.246022, 3.786437, 564.830414),
    ("GPQA Diamond", "GPT-4o-2024-05", 4, 851.162204, 6.176786, 117290.310819),
    ("GPQA Diamond", "Claude-3.5-Sonnet-2024-06", 4, 251.157113, 41.561323, 1517.754735),
    ("MATH-500", "GPT-3.5-Turbo-2023-06", 6, 18.029823, 11.243955, 28.911050),
    ("MATH-500", "GPT-4 Turbo", 6, 172.261820, 13.730107, 2161.245727),
    ("MATH-500", "GPT-4o-2024-05", 4, 689.079902, 0.119700, 3966834.710452),
    ("MATH 5", "GPT-4-0613", 5, 72.635493, 6.039079, 873.629037),
    ("MATH 5", "GPT-4 Turbo", 6, 159.552579, 12.339533, 2063.046041),
    ("MATH 5", "GPT-4o-2024-05", 4, 689.079902, 0.119700, 3966834.710452),
    ("HumanEval", "GPT-4-0314", 7, 36.822472, 14.341226, 94.545226),
    ("HumanEval", "GPT-3.5-Turbo-2023-06", 6, 9.240250, 4.832724, 17.667516),
    ("LMSys Chatbot Arena ELO", "GPT-3.5 Turbo", 7, 9.605140, 5.258629, 17.544252),
    ("LMSys Chatbot Arena ELO", "GPT-4-0314", 6, 75.318618, 7.555868, 750.793138),
    ("LMSys Chatbot Arena ELO", "GPT-4 Turbo", 5, 245.514054, 4.233636, 14237.679798),
    ("LMSys Chatbot Arena ELO", "GPT-4o-2024-05", 5, 176.960471, 39.134651, 800.186223),
]


def study_scores(path: Path, source: str) -> pl.DataFrame:
    """One price file in the shape of marts.inference_scores: one row per model record and published score."""
    wide = pl.read_csv(path, infer_schema_length=0)
    long = wide.unpivot(
        index=["Model Name", "Release Date", "USD per 1M Tokens"],
        on=list(ip.STUDY_BENCHMARKS),
        variable_name="benchmark",
        value_name="score",
    )
    unit = pl.when(pl.col("benchmark") == "LMSys Chatbot Arena ELO").then(pl.lit("elo")).otherwise(pl.lit("percent"))
    return (
        long.filter(pl.col("score").is_not_null())
        .select(
            pl.lit(source).alias("source"),
            pl.lit(ip.STUDY).alias("dataset"),
            pl.col("Model Name").str.strip_chars().alias("model_name"),
            pl.col("Model Name").str.strip_chars().str.to_lowercase().alias("model_key"),
            pl.col("Release Date").str.strip_chars().str.to_date("%Y-%m-%d").alias("release_date"),
            pl.col("USD per 1M Tokens").cast(pl.Float64).alias("usd_per_1m_tokens"),
            "benchmark",
            pl.col("score").cast(pl.Float64),
            unit.alias("unit"),
        )
        .cast(ip.STUDY_COLUMNS)
    )


@pytest.fixture(scope="module")
def study_trends(shared_sources: Path) -> pl.DataFrame:
    folder = shared_sources / STUDY_DIR
    scores = pl.concat([study_scores(folder / name, source) for source, name in PRICE_FILES.items()])
    return ip.inference_price_trends(scores, pl.DataFrame(schema=ip.HUB_COLUMNS))


def test_the_same_21_trends_as_published_with_the_same_points(study_trends: pl.DataFrame) -> None:
    ours = {(r["benchmark"], r["threshold_model"]): r["n"] for r in study_trends.iter_rows(named=True)}
    assert ours == {(benchmark, model): n for benchmark, model, n, *_ in PUBLISHED}
    assert set(study_trends["dataset"]) == {ip.STUDY}


def test_each_factor_and_both_ends_of_its_interval_are_within_1_percent_of_the_study(
    study_trends: pl.DataFrame,
) -> None:
    rows = {(r["benchmark"], r["threshold_model"]): r for r in study_trends.iter_rows(named=True)}
    for benchmark, model, _, factor, low, high in PUBLISHED:
        row = rows[(benchmark, model)]
        got = (row["factor_per_year"], row["ci_low"], row["ci_high"])
        assert got == pytest.approx((factor, low, high), rel=0.01), (benchmark, model)


def test_the_headline_figures_min_median_max_and_the_span_medians(study_trends: pl.DataFrame) -> None:
    factors = study_trends["factor_per_year"]
    assert (factors.min(), factors.median(), factors.max()) == pytest.approx((9.24, 46.25, 851.16), rel=1e-3)
    gpqa = study_trends.filter((pl.col("benchmark") == "GPQA Diamond") & (pl.col("threshold_model") == "GPT-4-0314"))
    assert gpqa.select("threshold_score", "factor_per_year", "ci_low", "ci_high").row(0) == pytest.approx(
        (33.0, 42.0, 4.4, 401.4), rel=2e-3
    )
    long = study_trends.filter(pl.col("span_days") >= 365)["factor_per_year"].to_list()
    short = study_trends.filter(pl.col("span_days") < 365)["factor_per_year"].to_list()
    assert (len(long), len(short)) == (15, 6)
    assert median(long) == pytest.approx(35.8, rel=1e-3) and median(short) == pytest.approx(470, rel=1e-3)


def test_eleven_trends_are_identified_and_every_other_one_says_why(study_trends: pl.DataFrame) -> None:
    ok = study_trends.filter(pl.col("status") == Status.OK)
    assert ok.height == 11 and ok["status_reason"].is_null().all()
    assert ok.filter(pl.col("benchmark") == "GPQA Diamond")["threshold_model"].to_list() == ["GPT-4-0314"]
    others = study_trends.filter(pl.col("status") != Status.OK)
    assert set(others["status"]) == {Status.NOT_IDENTIFIED} and (others["status_reason"].str.len_chars() > 0).all()
    too_short = others.filter(pl.col("span_days") < 365)
    assert too_short["status_reason"].str.starts_with("spans ").all()
    wide = others.filter(pl.col("span_days") >= 365)
    assert wide["status_reason"].str.ends_with("orders of magnitude, more than two").all()
