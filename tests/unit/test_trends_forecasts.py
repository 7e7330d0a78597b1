"""Forecasts: the extrapolated date is where the fitted frontier line crosses the target, with a wider PI."""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest

from pipelines.trends import forecasts
from pipelines.trends.fits import decimal_year_of
from pipelines.trends.status import Status


def to_date(year: float) -> date:
    return date(2000, 1, 1) + timedelta(days=int((year - 2000) * 365.25))


def frontier(n: int = 120, seed: int = 0) -> pl.DataFrame:
    """Top-10 runs 2016-2025: compute 1e25 FLOP in 2024.0 growing 4x/yr, cost $1e8 in 2024.0 growing 2.5x/yr."""
    rng = np.random.default_rng(seed)
    years = rng.uniform(2016, 2025.5, n)
    compute = 25 + math.log10(4) * (years - 2024) + rng.normal(0, 0.3, n)
    cost = 8 + math.log10(2.5) * (years - 2024) + rng.normal(0, 0.3, n)
    return pl.DataFrame(
        {
            "model_key": [f"m{i}" for i in range(n)],
            "model_name": [f"M{i}" for i in range(n)],
            "publication_date": [to_date(y) for y in years],
            "domains": [["Language"]] * n,
            "is_frontier_top10": True,
            "training_compute_flop": 10**compute,
            "training_cost_usd_2023": 10**cost,
        }
    )


@pytest.fixture(scope="module")
def table() -> pl.DataFrame:
    return forecasts.forecasts_frame(frontier())


def test_there_are_four_extrapolations_each_labelled_as_one(table: pl.DataFrame) -> None:
    assert table["target_label"].to_list() == ["$1B", "$10B", "1e27 FLOP", "1e28 FLOP"]
    assert (table["note"].str.starts_with("extrapolation")).all()
    assert (table["status"] == Status.OK).all() and table["status_reason"].is_null().all()
    assert (table["basis_subset"] == "frontier_top10").all()


def test_predicted_dates_match_the_trend_and_sit_inside_their_intervals(table: pl.DataFrame) -> None:
    expected = {
        "$1B": 2024 + 1 / math.log10(2.5),
        "$10B": 2024 + 2 / math.log10(2.5),
        "1e27 FLOP": 2024 + 2 / math.log10(4),
        "1e28 FLOP": 2024 + 3 / math.log10(4),
    }
    for row in table.iter_rows(named=True):
        assert decimal_year_of(row["predicted_date"]) == pytest.approx(expected[row["target_label"]], abs=0.35)
        assert row["pi_low_date"] < row["predicted_date"] < row["pi_high_date"]
        # the 0.3 OOM scatter alone spreads the date by ±0.49/slope years at 90%
        assert (row["pi_high_date"] - row["pi_low_date"]).days > 200


def test_a_target_already_passed_says_so() -> None:
    models = frontier().with_columns(
        pl.when(pl.col("model_key") == "m0")
        .then(2e27)
        .otherwise(pl.col("training_compute_flop"))
        .alias("training_compute_flop")
    )
    row = forecasts.forecasts_frame(models).filter(pl.col("target_label") == "1e27 FLOP").row(0, named=True)
    assert row["largest_so_far"] == 2e27 and row["largest_so_far_model"] == "M0"
    assert "already reached" in row["note"] and row["note"].startswith("extrapolation")


def test_too_few_frontier_models_is_insufficient_data() -> None:
    row = forecasts.forecasts_frame(frontier(n=6)).row(0, named=True)
    assert row["status"] == Status.INSUFFICIENT_DATA and row["predicted_date"] is None
    assert row["status_reason"] == "6 points with a date and a value; a fit needs at least 10"


def test_a_falling_trend_reaches_no_target_and_says_it_does_not_grow() -> None:
    falling = frontier().with_columns((1e50 / pl.col("training_compute_flop")).alias("training_compute_flop"))
    row = forecasts.forecasts_frame(falling).filter(pl.col("target_label") == "1e27 FLOP").row(0, named=True)
    assert (row["status"], row["status_reason"]) == (Status.NO_GROWTH, "the fitted trend does not rise")
    assert row["predicted_date"] is None and row["growth_per_year"] < 1
