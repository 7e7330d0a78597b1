"""Hardware price-performance trends, and the compute = spending × FLOP-per-dollar decomposition."""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest

from pipelines.trends import efficiency
from pipelines.trends.status import Status


def to_date(year: float) -> date:
    return date(2000, 1, 1) + timedelta(days=int((year - 2000) * 365.25))


def synthetic_hardware(n: int = 80, seed: int = 0) -> pl.DataFrame:
    """Chips 2008-2025 whose FP32 FLOP/s per dollar doubles every 2.5 years (Hobbhahn's GPU figure)."""
    rng = np.random.default_rng(seed)
    years = rng.uniform(2008, 2025, n)
    price = 10 ** rng.uniform(2.5, 4.5, n)
    fp32 = price * 10 ** (9 + math.log10(2) / 2.5 * (years - 2015) + rng.normal(0, 0.2, n))
    return (
        pl.DataFrame(
            {
                "hardware_name": [f"chip {i}" for i in range(n)],
                "manufacturer": ["Acme"] * n,
                "hardware_type": ["GPU"] * n,
                "release_date": [to_date(y) for y in years],
                "release_price_usd": np.where(np.arange(n) % 10 == 0, np.nan, price),
                "fp32_flops": fp32,
                "best_16bit_flops": fp32 * 8,
                "tdp_watts": 300.0,
                "snapshot_sha256": "hw-sha",
            }
        )
        .with_columns(pl.col("release_price_usd").fill_nan(None))
        .with_columns(  # as marts.hardware computes them
            (pl.col("fp32_flops") / pl.col("release_price_usd")).alias("fp32_flops_per_usd"),
            (pl.col("best_16bit_flops") / pl.col("release_price_usd")).alias("best_16bit_flops_per_usd"),
            (pl.col("fp32_flops") / pl.col("tdp_watts")).alias("fp32_flops_per_watt"),
        )
    )


def test_price_performance_doubling_time_is_recovered() -> None:
    rows = efficiency.hardware_fit_rows(synthetic_hardware())
    full = {r["metric"]: r for r in rows if r["window_kind"] == "full"}
    fp32 = full["hardware_fp32_flops_per_usd"]
    assert fp32["subset"] == "all_hardware" and fp32["snapshot"] == "hw-sha"
    assert fp32["doubling_months"] / 12 == pytest.approx(2.5, rel=0.15)
    assert fp32["n"] == 72  # chips without a price are left out
    assert full["hardware_fp32_flops_per_watt"]["n"] == 80
    assert {r["window_kind"] for r in rows} == {"full", "rolling"}


def decomposition_models(n: int = 400, seed: int = 1) -> pl.DataFrame:
    """Spending grows 2.5x/yr and FLOP per dollar 1.4x/yr, so compute grows 3.5x/yr, exactly, model by model."""
    rng = np.random.default_rng(seed)
    years = rng.uniform(2010, 2025, n)
    spend = 10 ** (6 + math.log10(2.5) * (years - 2018) + rng.normal(0, 0.5, n))
    flop_per_usd = 10 ** (17 + math.log10(1.4) * (years - 2018) + rng.normal(0, 0.2, n))
    return pl.DataFrame(
        {
            "model_key": [f"m{i}" for i in range(n)],
            "model_name": [f"M{i}" for i in range(n)],
            "publication_date": [to_date(y) for y in years],
            "domains": [["Language"]] * n,
            "in_notable_models": True,
            "is_frontier_epoch": False,
            "is_frontier_top10": False,
            "training_compute_flop": spend * flop_per_usd,
            "training_cost_usd_2023": spend,
            "cost_usd_per_flop": 1 / flop_per_usd,
        }
    )


def test_the_identity_holds_when_every_model_has_both_numbers() -> None:
    models = decomposition_models()
    frame = efficiency.decomposition_frame(models, synthetic_hardware(), "sha")
    row = frame.filter(
        (pl.col("subset") == "notable")
        & (pl.col("window_kind") == "full")
        & (pl.col("flop_per_usd_basis") == "training_cost_per_flop")
    ).row(0, named=True)
    assert row["status"] == "ok"
    assert row["compute_growth_per_year"] == pytest.approx(3.5, rel=0.1)
    assert row["spending_growth_per_year"] == pytest.approx(2.5, rel=0.1)
    assert row["flop_per_usd_growth_per_year"] == pytest.approx(1.4, rel=0.05)
    # same models on both sides: OLS is linear, so the residual is zero up to rounding
    assert row["residual_factor_per_year"] == pytest.approx(1.0, abs=1e-9)
    assert row["residual_ci_low"] < 0 < row["residual_ci_high"]


def test_hardware_basis_leaves_the_gap_as_a_residual() -> None:
    frame = efficiency.decomposition_frame(decomposition_models(), synthetic_hardware(), "sha")
    row = frame.filter(
        (pl.col("subset") == "notable")
        & (pl.col("window_kind") == "full")
        & (pl.col("flop_per_usd_basis") == "hardware_fp32")
    ).row(0, named=True)
    # hardware improves 2^(1/2.5) = 1.32x/yr against the models' 1.4x/yr: compute outgrows the identity by ~1.06x/yr
    assert row["flop_per_usd_growth_per_year"] == pytest.approx(1.32, rel=0.06)
    assert row["residual_factor_per_year"] == pytest.approx(1.4 / 1.32, rel=0.08)
    assert row["residual_factor_ci_low"] <= row["residual_factor_per_year"] <= row["residual_factor_ci_high"]


def test_missing_spending_is_insufficient_data_not_a_number() -> None:
    models = decomposition_models().with_columns(pl.lit(None, dtype=pl.Float64).alias("training_cost_usd_2023"))
    frame = efficiency.decomposition_frame(models, synthetic_hardware(), "sha")
    assert (frame["status"] == Status.INSUFFICIENT_DATA).all()
    assert frame["status_reason"].str.starts_with("spending: 0 points with a date and a value").all()
    assert frame["residual_oom_per_year"].is_null().all()
    assert frame["compute_growth_per_year"].is_not_null().any()
