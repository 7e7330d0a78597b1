"""Compute to reach a score: the improving models, informative thresholds, and the halving time of the compute."""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest

from pipelines.trends import thresholds
from pipelines.trends.status import Status


def to_date(year: float) -> date:
    return date(2000, 1, 1) + timedelta(days=int((year - 2000) * 365.25))


def synthetic(seed: int = 0) -> tuple[pl.DataFrame, pl.DataFrame]:
    """80 models 2020-2025: the compute a model needs for a given score halves every 8 months (Ho et al. 2024's
    algorithmic progress), so later models reach 0.6 with far less compute."""
    rng = np.random.default_rng(seed)
    n = 80
    years = rng.uniform(2020, 2025, n)
    log_compute = rng.uniform(22, 26, n)
    effective = log_compute + math.log10(2) * 12 / 8 * (years - 2020)  # algorithmic gains add effective compute
    score = 1 / (1 + np.exp(-1.5 * (effective - 25)))
    keys = [f"m{i}" for i in range(n)]
    scores = pl.DataFrame(
        {
            "benchmark": "bench",
            "benchmark_name": "Bench",
            "model_version": keys,
            "base_version": keys,
            "model_key": keys,
            "model_name": keys,
            "trend_score": score,
            "release_date": [None] * n,
            "snapshot_sha256": "s",
        },
        schema_overrides={"release_date": pl.Date},
    )
    models = pl.DataFrame(
        {
            "model_key": keys,
            "model_name": [f"Model {i}" for i in range(n)],
            "publication_date": [to_date(y) for y in years],
            "training_compute_flop": 10**log_compute,
        }
    )
    return scores, models


def test_improving_points_only_lower_the_least_compute() -> None:
    reached = pl.DataFrame(
        {
            "date": [date(2022, 1, 1), date(2022, 6, 1), date(2023, 1, 1), date(2023, 6, 1)],
            "training_compute_flop": [1e24, 3e24, 2e23, 2e23],
        }
    )
    assert thresholds.improving_points(reached)["training_compute_flop"].to_list() == [1e24, 2e23]


def test_thresholds_every_model_reaches_are_left_out() -> None:
    scores, models = synthetic()
    informative = thresholds.informative_thresholds(scores, models)["bench"]
    below = scores["trend_score"]
    for threshold in informative:
        assert (below < threshold).mean() >= thresholds.MIN_SHARE_BELOW
    points = thresholds.threshold_points_frame(scores, models)
    assert set(points["threshold"].unique().to_list()) <= set(informative)
    # every point of a threshold is a new minimum of compute, in date order
    for _, group in points.group_by("benchmark", "threshold"):
        ordered = group.sort("date")["least_compute_flop"].to_list()
        assert ordered == sorted(ordered, reverse=True)


def test_halving_time_of_the_compute_needed_is_recovered() -> None:
    scores, models = synthetic()
    points = thresholds.threshold_points_frame(scores, models)
    table = thresholds.thresholds_frame(points, "s")
    ok = table.filter(pl.col("status") == "ok")
    assert ok.height >= 1
    # the improving models are the luckiest draws, so their slope is steeper than the population's 8 months
    median_halving = ok["halving_time_months"].median()
    assert 3 < median_halving < 14
    for row in ok.iter_rows(named=True):
        assert row["halving_time_months_ci_low"] <= row["halving_time_months"] <= row["halving_time_months_ci_high"]
        assert row["reduction_per_year"] == pytest.approx(2 ** (12 / row["halving_time_months"]), rel=1e-6)
        assert row["n_improving_points"] >= thresholds.MIN_IMPROVING_POINTS


def test_fewer_than_five_improvements_is_insufficient_data() -> None:
    points = pl.DataFrame(
        {
            "benchmark": "b",
            "benchmark_name": "B",
            "threshold": 0.5,
            "date": [date(2022, 1, 1), date(2023, 1, 1), date(2024, 1, 1)],
            "least_compute_flop": [1e24, 1e23, 1e22],
            "model_name": ["a", "b", "c"],
            "model_key": ["a", "b", "c"],
            "score": [0.5, 0.6, 0.5],
        }
    )
    row = thresholds.thresholds_frame(points, "s").row(0, named=True)
    assert row["status"] == Status.INSUFFICIENT_DATA and row["halving_time_months"] is None
    assert row["status_reason"] == "3 points with a date and a value; a fit needs at least 5 (improvements)"
    assert row["n_improving_points"] == 3 and row["last_least_compute_flop"] == 1e22
