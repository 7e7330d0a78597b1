"""Imputed training cost: the cost-per-FLOP trend is recovered, and its prediction interval covers real costs."""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest

from pipelines.trends import costs


def to_date(year: float) -> date:
    return date(2000, 1, 1) + timedelta(days=int((year - 2000) * 365.25))


def costed_models(n: int = 500, seed: int = 0) -> pl.DataFrame:
    """Cost per FLOP falls 0.7x/yr (≈ Epoch's 1.4x/yr FLOP per dollar) with 0.5 OOM scatter; half the models
    since 2010 publish a cost, older ones none."""
    rng = np.random.default_rng(seed)
    years = rng.uniform(2000, 2025, n)
    compute = 10 ** rng.uniform(18, 26, n)
    usd_per_flop = 10 ** (-17 + math.log10(0.7) * (years - 2018) + rng.normal(0, 0.5, n))
    published = (years >= 2010) & (np.arange(n) % 2 == 0)
    cost = np.where(published, compute * usd_per_flop, np.nan)
    return pl.DataFrame(
        {
            "model_key": [f"m{i}" for i in range(n)],
            "model_name": [f"M{i}" for i in range(n)],
            "publication_date": [to_date(y) for y in years],
            "domains": [["Language"]] * n,
            "in_notable_models": True,
            "training_compute_flop": compute,
            "training_cost_usd_2023": cost,
            "cost_usd_per_flop": cost / compute,
        }
    ).with_columns(pl.col("training_cost_usd_2023", "cost_usd_per_flop").fill_nan(None))


@pytest.fixture(scope="module")
def frame() -> tuple[pl.DataFrame, costs.CostTrend]:
    models = costed_models()
    trend = costs.fit_cost_trend(models)
    return costs.model_costs_frame(models, trend), trend


def test_cost_per_flop_trend_is_recovered(frame) -> None:
    _, trend = frame
    assert trend.fit.growth_per_year == pytest.approx(0.7, rel=0.05)
    assert trend.fit.residual_sd == pytest.approx(0.5, rel=0.15)
    assert trend.window_start == date(2010, 1, 1)
    assert "cost_per_flop / notable / full" in trend.basis


def test_observed_costs_are_kept_and_the_rest_imputed_and_flagged(frame) -> None:
    table, _ = frame
    assert table["publication_date"].min() >= date(2010, 1, 1)  # no extrapolation decades back
    observed = table.filter(pl.col("observed_cost_usd_2023").is_not_null())
    assert not observed["is_imputed"].any()
    assert (observed["cost_usd_2023"] == observed["observed_cost_usd_2023"]).all()
    imputed = table.filter(pl.col("is_imputed"))
    assert (imputed["cost_usd_2023"] == imputed["imputed_cost_usd_2023"]).all()
    assert imputed.height > 100


def test_ninety_percent_prediction_interval_covers_about_ninety_percent_of_observed_costs(frame) -> None:
    table, _ = frame
    observed = table.filter(pl.col("observed_cost_usd_2023").is_not_null())
    inside = (observed["observed_cost_usd_2023"] >= observed["imputed_cost_low_usd_2023"]) & (
        observed["observed_cost_usd_2023"] <= observed["imputed_cost_high_usd_2023"]
    )
    assert 0.83 <= inside.mean() <= 0.97
    # 0.5 OOM of scatter: the interval spans about ±0.82 OOM
    width = (table["imputed_cost_high_usd_2023"] / table["imputed_cost_low_usd_2023"]).log10()
    assert width.median() == pytest.approx(1.65, rel=0.15)
