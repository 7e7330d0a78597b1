"""The pooled benchmark inversion on synthetic benchmarks with a planted shared slope, and the 'not identified'
rule of per-benchmark rows (TriviaQA printed ×1,400,000 with status ok before it)."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from pipelines.trends import benchmarks, pooled
from pipelines.trends.status import Estimate, Status, judge
from tests.unit.test_trends_benchmarks import flat_cost_trend, progress_versions, scaling_models


def planted_benchmarks(slope: float = 1.5, k: int = 5, n: int = 40, seed: int = 0):
    """k benchmarks, each with its own floor, ceiling and midpoint, all with the same slope (log-odds per 10x)."""
    rng = np.random.default_rng(seed)
    groups = []
    for _ in range(k):
        floor, ceiling, midpoint = rng.uniform(0, 0.2), rng.uniform(0.7, 1.0), rng.uniform(22, 25)
        x = rng.uniform(20, 27, n)
        y = floor + (ceiling - floor) / (1 + np.exp(-slope * (x - midpoint))) + rng.normal(0, 0.03, n)
        groups.append((x, np.clip(y, 0, 1)))
    return groups


def test_a_planted_shared_slope_across_five_benchmarks_is_recovered() -> None:
    fit = pooled.fit_shared_slope(planted_benchmarks())
    low, high = np.quantile(fit.draws, [0.05, 0.95])
    assert low <= 1.5 <= high
    assert fit.slope == pytest.approx(1.5, rel=0.1)
    assert fit.n_benchmarks == 5 and fit.n == 200
    # the pooled multiplier: ln 2 / slope OOM halves the error left below the ceiling
    assert 10 ** fit.halving(fit.slope) == pytest.approx(10 ** (math.log(2) / 1.5), rel=0.1)


def test_pooling_needs_several_benchmarks() -> None:
    with pytest.raises(pooled.InsufficientData):
        pooled.fit_shared_slope(planted_benchmarks(k=2))


def test_a_shared_trend_in_the_record_setting_error_is_recovered() -> None:
    rng = np.random.default_rng(2)
    groups = []
    for level in (-0.2, -0.5, -0.9, -0.3):
        years = np.sort(rng.uniform(2021, 2025, 12))
        groups.append((years, level - math.log10(2) / 1.5 * (years - 2021) + rng.normal(0, 0.03, years.size)))
    fit = pooled.fit_shared_trend(groups)
    years = math.log10(2) / -fit.slope
    assert years == pytest.approx(1.5, rel=0.05)
    low, high = np.quantile(math.log10(2) / -fit.draws, [0.05, 0.95])
    assert low <= 1.5 <= high


def test_a_flat_cloud_is_marked_not_identified() -> None:
    rng = np.random.default_rng(3)
    flat = scaling_models().with_columns(pl.Series("score", rng.uniform(0.3, 0.5, 60)))
    scaling = benchmarks.scaling_frame(flat, flat_cost_trend(), "s")
    progress = benchmarks.progress_frame(progress_versions(), "s")
    row = benchmarks.per_dollar_vs_per_year_frame(scaling, progress).row(0, named=True)
    assert row["status"] == Status.NOT_IDENTIFIED, row["status"]
    # each missing figure says why, in its source row's own words (status and reason)
    assert row["status_reason"].startswith("compute multiplier: no clear trend: the 90% CI of points per 10x reaches")
    assert row["compute_multiplier_to_halve_error"] is None


def test_an_interval_spanning_orders_of_magnitude_is_not_identified() -> None:
    checks = benchmarks.IDENTIFICATION
    unbounded = (Status.NOT_IDENTIFIED, "the 90% CI is unbounded on the upper side")
    assert judge(Estimate(1.4e6, 92.0, None), checks) == unbounded
    wide = (Status.NOT_IDENTIFIED, "the 90% CI spans 3.8 orders of magnitude (more than 3)")
    assert judge(Estimate(150.0, 22.0, 22.0 * 10**3.8), checks) == wide
    assert judge(Estimate(60.0, 17.0, 900.0), checks) == (Status.OK, None)
    row = {"compute_multiplier_to_halve_error": 1.4e6, "compute_multiplier_to_halve_error_ci_low": 92.0}
    assert benchmarks.identification(row) == (
        Status.NOT_IDENTIFIED,
        "compute multiplier to halve error: the 90% CI is unbounded on the upper side",
    )


def test_the_pooled_row_leads_the_per_dollar_table() -> None:
    best = pl.concat(
        [scaling_models(seed=s).with_columns(pl.lit(f"b{s}").alias("benchmark")) for s in range(4)], how="vertical"
    )
    versions = pl.concat(
        [progress_versions(seed=s).with_columns(pl.lit(f"b{s}").alias("benchmark")) for s in range(4)],
        how="vertical",
    )
    row = pooled.pooled_row(best, versions, flat_cost_trend(), "imputed")
    assert row["benchmark"] == "pooled" and row["status"] == Status.OK and row["status_reason"] is None, row
    # planted: slope 1.8 log-odds per 10x, so ×10^(ln 2 / 1.8) ≈ ×2.4 halves the reducible error; 1.5 years per year
    assert row["compute_multiplier_to_halve_error"] == pytest.approx(10 ** (math.log(2) / 1.8), rel=0.15)
    assert row["years_to_halve_error"] == pytest.approx(1.5, rel=0.2)
    for stem in benchmarks.IDENTIFIED:
        assert row[f"{stem}_ci_low"] <= row[stem] <= row[f"{stem}_ci_high"], stem
    scaling = benchmarks.scaling_frame(best, flat_cost_trend(), "s")
    progress = benchmarks.progress_frame(versions, "s")
    table = benchmarks.per_dollar_vs_per_year_frame(scaling, progress, row)
    assert table["benchmark"].to_list()[0] == "pooled" and table.height == 5
