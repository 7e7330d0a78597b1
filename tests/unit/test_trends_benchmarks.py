"""Benchmarks: best score per model, the records over time, logistic scaling, and the per-dollar/per-year join."""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest

from pipelines.trends import benchmarks
from pipelines.trends.costs import CostTrend
from pipelines.trends.fits import fit_log_linear
from pipelines.trends.status import Status

SCORE_COLUMNS = {
    "benchmark": pl.String,
    "benchmark_name": pl.String,
    "model_version": pl.String,
    "base_version": pl.String,
    "model_key": pl.String,
    "model_name": pl.String,
    "trend_score": pl.Float64,
    "release_date": pl.Date,
    "snapshot_sha256": pl.String,
}


def to_date(year: float) -> date:
    return date(2000, 1, 1) + timedelta(days=int((year - 2000) * 365.25))


def scores_frame(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=SCORE_COLUMNS, orient="row")


def models_frame(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(
        rows,
        schema={
            "model_key": pl.String,
            "model_name": pl.String,
            "publication_date": pl.Date,
            "training_compute_flop": pl.Float64,
        },
        orient="row",
    )


NO_COSTS = pl.DataFrame(
    schema={
        "model_key": pl.String,
        "observed_cost_usd_2023": pl.Float64,
        "imputed_cost_usd_2023": pl.Float64,
        "cost_usd_2023": pl.Float64,
        "is_imputed": pl.Boolean,
    }
)


def test_best_score_per_model_takes_the_best_setting_and_version() -> None:
    # o3 at effort `_high` and `_low`, and two dated versions of Gemini: one model each, best score kept
    scores = scores_frame(
        [
            ("gpqa", "GPQA", "o3-2025-04-16_high", "o3-2025-04-16", "o3", "o3", 0.83, date(2025, 4, 16), "s"),
            ("gpqa", "GPQA", "o3-2025-04-16_low", "o3-2025-04-16", "o3", "o3", 0.76, date(2025, 4, 16), "s"),
            (
                "gpqa",
                "GPQA",
                "gemini-1.5-pro-001",
                "gemini-1.5-pro-001",
                "gemini 1.5 pro",
                "Gemini",
                0.46,
                date(2024, 5, 24),
                "s",
            ),
            (
                "gpqa",
                "GPQA",
                "gemini-1.5-pro-002",
                "gemini-1.5-pro-002",
                "gemini 1.5 pro",
                "Gemini",
                0.57,
                date(2024, 9, 24),
                "s",
            ),
        ]
    )
    models = models_frame(
        [("o3", "o3", date(2024, 12, 20), 1e25), ("gemini 1.5 pro", "Gemini", date(2024, 2, 15), 2e24)]
    )
    best = benchmarks.best_by_model(scores, models, NO_COSTS)
    assert dict(zip(best["model_key"], best["score"], strict=True)) == {"gemini 1.5 pro": 0.57, "o3": 0.83}
    assert best.filter(pl.col("model_key") == "o3")["n_results"].item() == 2
    # over time each version counts on its own release date, settings collapsed
    versions = benchmarks.best_by_version(scores, models)
    assert versions.height == 3
    assert versions.filter(pl.col("base_version") == "o3-2025-04-16")["score"].item() == 0.83
    assert versions["date"].to_list() == [date(2024, 5, 24), date(2024, 9, 24), date(2025, 4, 16)]


def test_a_version_without_its_own_date_takes_the_model_publication_date() -> None:
    scores = scores_frame([("mmlu", "MMLU", "llama-2-7b", "llama-2-7b", "llama 2-7b", "Llama 2-7B", 0.45, None, "s")])
    models = models_frame([("llama 2-7b", "Llama 2-7B", date(2023, 7, 18), 8.4e22)])
    assert benchmarks.best_by_version(scores, models)["date"].to_list() == [date(2023, 7, 18)]


def test_record_points_are_the_running_records() -> None:
    versions = pl.DataFrame(
        {
            "date": [date(2023, 1, 1), date(2023, 3, 1), date(2023, 3, 1), date(2023, 6, 1), date(2024, 1, 1)],
            "score": [0.40, 0.35, 0.55, 0.50, 0.70],
        }
    )
    assert benchmarks.record_points(versions)["score"].to_list() == [0.40, 0.55, 0.70]


def progress_versions(seed: int = 0) -> pl.DataFrame:
    """40 versions 2021-2025: the best score's error rate halves every 1.5 years from 0.6, the rest score below it."""
    rng = np.random.default_rng(seed)
    years = np.sort(rng.uniform(2021, 2025, 40))
    best = 1 - 0.6 * 0.5 ** ((years - 2021) / 1.5)
    scores = best - np.abs(rng.normal(0, 0.08, years.size)) * (rng.uniform(size=years.size) < 0.6)
    return pl.DataFrame(
        {
            "benchmark": "bench",
            "benchmark_name": "Bench",
            "base_version": [f"v{i}" for i in range(years.size)],
            "score": scores,
            "date": [to_date(y) for y in years],
            "model_name": [f"V{i}" for i in range(years.size)],
            "model_key": [f"m{i}" for i in range(years.size)],
        }
    )


def test_progress_recovers_the_halving_time_of_the_record_error() -> None:
    row = benchmarks.progress_row(progress_versions(), benchmark="bench", snapshot="s")
    assert row["status"] == "ok"
    assert row["n_record_points"] >= benchmarks.MIN_RECORD_POINTS
    assert row["years_to_halve_error"] == pytest.approx(1.5, rel=0.2)
    assert row["years_to_halve_error_ci_low"] <= row["years_to_halve_error"] <= row["years_to_halve_error_ci_high"]
    # the line through the records: 0.6 · ln 2 / 1.5 ≈ 0.28/yr at the start, ~0.11/yr by 2025: ~10-25 points/yr
    assert 8 < row["points_per_year"] < 25
    assert row["points_per_year"] == pytest.approx(100 * row["slope"])
    assert row["best_score"] == pytest.approx(progress_versions()["score"].max())


def test_progress_with_few_records_is_insufficient() -> None:
    versions = progress_versions().head(3)
    row = benchmarks.progress_row(versions, benchmark="bench", snapshot="s")
    assert row["status"] == Status.INSUFFICIENT_DATA and row["points_per_year"] is None
    assert row["status_reason"] == "2 points with a date and a value; a fit needs at least 5 (record-setting points)"


def scaling_models(n: int = 60, seed: int = 0) -> pl.DataFrame:
    """Scores follow a logistic in log10 compute (floor 0.25, ceiling 0.9, midpoint 1e23.5); a fifth publish a cost
    (compute × 1e-17.3 $/FLOP), the rest get the imputed cost."""
    rng = np.random.default_rng(seed)
    log_compute = rng.uniform(22, 25.5, n)
    score = 0.25 + 0.65 / (1 + np.exp(-1.8 * (log_compute - 23.5))) + rng.normal(0, 0.03, n)
    years = rng.uniform(2021, 2025, n)
    observed = np.where(np.arange(n) % 5 == 0, 10 ** (log_compute - 17.3), np.nan)
    return pl.DataFrame(
        {
            "benchmark": "bench",
            "benchmark_name": "Bench",
            "model_key": [f"m{i}" for i in range(n)],
            "score": np.clip(score, 0, 1),
            "n_results": 1,
            "model_name": [f"M{i}" for i in range(n)],
            "publication_date": [to_date(y) for y in years],
            "training_compute_flop": 10**log_compute,
            "observed_cost_usd_2023": observed,
            "imputed_cost_usd_2023": 10 ** (log_compute - 17.3),
            "year": years,
        }
    ).with_columns(
        pl.col("observed_cost_usd_2023").fill_nan(None),
        pl.coalesce(pl.col("observed_cost_usd_2023").fill_nan(None), "imputed_cost_usd_2023").alias("cost_usd_2023"),
        pl.col("observed_cost_usd_2023").fill_nan(None).is_null().alias("is_imputed"),
    )


def flat_cost_trend() -> CostTrend:
    """A cost-per-FLOP 'trend' at 10^-17.3 $/FLOP with a little uncertainty, as the imputation would fit it."""
    rng = np.random.default_rng(1)
    x = rng.uniform(2018, 2025, 200)
    fit = fit_log_linear(x, -17.3 + rng.normal(0, 0.2, x.size))
    return CostTrend(fit=fit, window_start=date(2010, 1, 1), window_end=date(2025, 1, 1))


def test_scaling_row_reads_the_curve_at_the_median() -> None:
    best = scaling_models()
    row = benchmarks.scaling_row(best, benchmark="bench", x="compute", cost_basis="n/a", trend=None, snapshot="s")
    assert row["status"] == "ok" and row["n_models"] == 60 and row["x_unit"] == "FLOP"
    assert math.log10(row["x_median"]) == pytest.approx(np.median(np.log10(best["training_compute_flop"])))
    assert row["midpoint"] == pytest.approx(23.5, abs=0.25)  # log10 FLOP, as the reports draw it
    for stem in ("points_per_10x_at_median", "multiplier_to_halve_error", "slope"):
        assert row[f"{stem}_ci_low"] <= row[stem] <= row[f"{stem}_ci_high"], stem
    # true curve at the median: gain = 0.65·1.8·s(1-s)·100 points per 10x
    s = 1 / (1 + math.exp(-1.8 * (math.log10(row["x_median"]) - 23.5)))
    assert row["points_per_10x_at_median"] == pytest.approx(100 * 0.65 * 1.8 * s * (1 - s), rel=0.25)
    assert row["multiplier_to_halve_error"] > 1


def test_the_observed_and_imputed_cost_bases_sit_side_by_side_and_agree_with_compute() -> None:
    best = scaling_models()
    trend = flat_cost_trend()
    observed = benchmarks.scaling_row(best, benchmark="b", x="cost", cost_basis="observed", trend=trend, snapshot="")
    imputed = benchmarks.scaling_row(best, benchmark="b", x="cost", cost_basis="imputed", trend=trend, snapshot="")
    assert observed["n_models"] == 12 and observed["n_imputed"] == 0
    assert imputed["n_models"] == 60 and imputed["n_imputed"] == 48
    assert imputed["x_unit"] == "2023 USD"
    # cost is compute shifted by a constant here, so the dollar multiplier matches the compute multiplier
    compute = benchmarks.scaling_row(best, benchmark="b", x="compute", cost_basis="n/a", trend=None, snapshot="")
    assert imputed["multiplier_to_halve_error"] == pytest.approx(compute["multiplier_to_halve_error"], rel=0.05)
    assert imputed["midpoint"] == pytest.approx(compute["midpoint"] - 17.3, abs=0.05)


def test_too_few_models_is_insufficient_not_a_curve() -> None:
    row = benchmarks.scaling_row(
        scaling_models().head(8), benchmark="b", x="compute", cost_basis="n/a", trend=None, snapshot=""
    )
    assert row["status"] == Status.INSUFFICIENT_DATA and row["slope"] is None
    assert row["status_reason"] == "8 points with a score and a value; a logistic fit needs at least 10"


def test_a_flat_cloud_is_not_reported_as_a_trend() -> None:
    rng = np.random.default_rng(3)
    best = scaling_models().with_columns(pl.Series("score", rng.uniform(0.3, 0.5, 60)))
    row = benchmarks.scaling_row(best, benchmark="b", x="compute", cost_basis="n/a", trend=None, snapshot="")
    assert row["status"] == Status.NO_CLEAR_TREND
    assert row["status_reason"] == "the 90% CI of points per 10x reaches 0.00"
    # a near-flat curve can need hundreds of orders of magnitude: infinite, not an overflow
    assert benchmarks._power_of_ten(400.0) == math.inf and benchmarks._power_of_ten(2.0) == 100


def test_per_dollar_vs_per_year_joins_the_three_halvings() -> None:
    best = scaling_models()
    scaling = benchmarks.scaling_frame(best, flat_cost_trend(), "s")
    progress = benchmarks.progress_frame(progress_versions(), "s")
    table = benchmarks.per_dollar_vs_per_year_frame(scaling, progress)
    row = table.row(0, named=True)
    assert table.height == 1 and row["benchmark"] == "bench" and row["status"] == "ok"
    assert row["cost_basis"] == "imputed" and row["n_models"] == 60 and row["n_imputed_cost"] == 48
    compute = scaling.filter(pl.col("x") == "compute").row(0, named=True)
    assert row["compute_multiplier_to_halve_error"] == compute["multiplier_to_halve_error"]
    assert row["compute_doublings_to_halve_error"] == pytest.approx(math.log2(compute["multiplier_to_halve_error"]))
    assert row["years_to_halve_error"] == pytest.approx(1.5, rel=0.2)


def test_a_benchmark_without_a_time_fit_is_insufficient_data_and_names_each_missing_figure() -> None:
    scaling = benchmarks.scaling_frame(scaling_models(), None, "s")
    progress = benchmarks.progress_frame(progress_versions().head(3), "s")
    row = benchmarks.per_dollar_vs_per_year_frame(scaling, progress).row(0, named=True)
    assert row["status"] == Status.INSUFFICIENT_DATA and row["note"] is None
    # each missing figure after its label, in its source row's words: status, then reason
    assert row["status_reason"] == (
        "dollar multiplier: insufficient data: no cost-per-FLOP trend to impute from; "
        "years: insufficient data: 2 points with a date and a value; a fit needs at least 5 (record-setting points)"
    )
    assert row["years_to_halve_error"] is None
