"""Inputs per year on a synthetic model table: subsets, windows, the headline row, levels and breakpoints."""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import numpy as np
import polars as pl
import pytest

from pipelines.trends import inputs
from pipelines.trends.fits import FITS_SCHEMA
from pipelines.trends.status import Status


def synthetic_models(n: int = 600, seed: int = 0) -> pl.DataFrame:
    """Models 1980-2025: compute grows 1.5x/yr until 2010, then 4x/yr; parameters 2x/yr; cost 2.5x/yr."""
    rng = np.random.default_rng(seed)
    years = np.sort(rng.uniform(1980, 2025.5, n))
    dates = [date(1980, 1, 1) + timedelta(days=int((y - 1980) * 365.25)) for y in years]
    compute = 20 + np.where(years < 2010, np.log10(1.5) * (years - 2010), np.log10(4) * (years - 2010))
    compute += rng.normal(0, 0.5, n)
    params = 9 + np.log10(2) * (years - 2015) + rng.normal(0, 0.4, n)
    tokens = params + np.log10(20) + rng.normal(0, 0.3, n)
    cost = 5 + np.log10(2.5) * (years - 2015) + rng.normal(0, 0.4, n)
    domains = [["Language"] if i % 3 else ["Vision", "Language"] for i in range(n)]
    domains[:15] = [["Games"]] * 15  # too few for a domain of its own
    has_cost = (years > 2012) & (rng.uniform(size=n) < 0.5)
    frame = pl.DataFrame(
        {
            "model_key": [f"m{i}" for i in range(n)],
            "model_name": [f"Model {i}" for i in range(n)],
            "organization": ["Lab"] * n,
            "publication_date": dates,
            "domains": domains,
            "in_notable_models": rng.uniform(size=n) < 0.9,
            "is_frontier_epoch": rng.uniform(size=n) < 0.3,
            "is_frontier_top10": rng.uniform(size=n) < 0.3,
            "training_compute_flop": 10**compute,
            "parameters": 10**params,
            "training_dataset_size_datapoints": 10**tokens,
            "training_cost_usd_2023": np.where(has_cost, 10**cost, np.nan),
        }
    ).with_columns(
        pl.col("training_cost_usd_2023").fill_nan(None),
        (pl.col("training_dataset_size_datapoints") / pl.col("parameters")).alias("tokens_per_parameter"),
    )
    return frame.with_columns(
        (pl.col("training_cost_usd_2023") / pl.col("training_compute_flop")).alias("cost_usd_per_flop")
    )


@pytest.fixture(scope="module")
def models() -> pl.DataFrame:
    return synthetic_models()


@pytest.fixture(scope="module")
def fits(models: pl.DataFrame) -> pl.DataFrame:
    rows = inputs.input_fit_rows(models, "sha")
    return inputs.order_fits(rows, [m.name for m in inputs.MODEL_METRICS])


def test_a_model_file_loaded_ten_times_gives_the_same_fits(models: pl.DataFrame, fits: pl.DataFrame) -> None:
    """Every model row repeated 10x (a file loaded ten times): each model still counts once, the gap is reported."""
    con = duckdb.connect()
    con.register("repeated", pl.concat([models] * 10))
    con.execute("create schema marts")
    con.execute("create table marts.models as select * from repeated")
    loaded = inputs.load_models(con)
    assert loaded.height == models.height and inputs.repeated_models(con) == 9 * models.height
    again = inputs.order_fits(inputs.input_fit_rows(loaded, "sha"), [m.name for m in inputs.MODEL_METRICS])
    assert again.equals(fits)


def test_domains_with_too_few_models_get_no_subset(models: pl.DataFrame) -> None:
    compute = inputs.METRICS_BY_NAME["training_compute"]
    assert inputs.domain_subsets(models, compute) == ["domain:Language", "domain:Vision"]
    assert inputs.metric_subsets(models, compute)[:3] == ["notable", "frontier_epoch", "frontier_top10"]
    # tokens are measured for language models only, so only the language domain applies
    assert inputs.domain_subsets(models, inputs.METRICS_BY_NAME["training_tokens"]) == ["domain:Language"]


def test_a_model_counts_in_each_of_its_domains(models: pl.DataFrame) -> None:
    compute = inputs.METRICS_BY_NAME["training_compute"]
    vision = inputs.metric_points(models, compute, "domain:Vision")["model_key"].to_list()
    language = set(inputs.metric_points(models, compute, "domain:Language")["model_key"].to_list())
    assert vision and set(vision) <= language  # every vision model here also lists Language
    with pytest.raises(ValueError, match="unknown subset"):
        inputs.subset_filter("everything")


def test_tokens_are_fitted_on_language_models_only(models: pl.DataFrame) -> None:
    tokens = inputs.metric_points(models, inputs.METRICS_BY_NAME["training_tokens"], "notable")
    games = models.filter(pl.col("domains").list.contains("Games"))["model_key"]
    assert not tokens["model_key"].is_in(games.implode()).any()


def test_headline_row_is_first_and_unique(fits: pl.DataFrame) -> None:
    first = fits.row(0, named=True)
    assert (first["metric"], first["subset"], first["window_kind"]) == inputs.HEADLINE
    assert first["window_start"] == date(2010, 1, 1)
    headline = fits.filter(
        (pl.col("metric") == "training_compute") & (pl.col("subset") == "notable") & (pl.col("window_kind") == "full")
    )
    assert headline.height == 1
    assert list(fits.columns) == list(FITS_SCHEMA)


def test_window_kinds_recover_the_era_growth_rates(fits: pl.DataFrame, models: pl.DataFrame) -> None:
    compute = fits.filter((pl.col("metric") == "training_compute") & (pl.col("subset") == "notable"))
    full = compute.filter(pl.col("window_kind") == "full").row(0, named=True)
    assert full["growth_per_year"] == pytest.approx(4, rel=0.1)
    assert full["growth_ci_low"] < full["growth_per_year"] < full["growth_ci_high"]
    notable_last = models.filter(pl.col("in_notable_models"))["publication_date"].max()
    assert full["window_end"] == notable_last
    eras = compute.filter(pl.col("window_kind") == "era").sort("window_start")
    assert eras["window_start"].to_list()[1:] == [date(2010, 1, 1), date(2015, 9, 1)]
    pre = eras.row(0, named=True)
    assert pre["window_end"] == date(2009, 12, 31) and pre["growth_per_year"] == pytest.approx(1.5, rel=0.1)
    rolling = compute.filter(pl.col("window_kind") == "rolling")
    assert rolling.height > 40
    late = rolling.filter(pl.col("window_start") >= date(2015, 1, 1))
    assert (late["growth_per_year"] > 2.5).all()


def test_short_windows_say_insufficient_data_instead_of_a_number(fits: pl.DataFrame) -> None:
    short = fits.filter(pl.col("status") != Status.OK)
    assert short.height > 0
    assert (short["status"] == Status.INSUFFICIENT_DATA).all()
    assert short["status_reason"].str.ends_with("a fit needs at least 10").all()
    assert short["growth_per_year"].is_null().all()
    assert (short["n"] < 10).all()


def test_levels_are_yearly_medians(models: pl.DataFrame) -> None:
    levels = inputs.levels_frame(models, "sha")
    tpp = levels.filter((pl.col("metric") == "tokens_per_parameter") & (pl.col("subset") == "notable"))
    recent = tpp.filter(pl.col("year") >= 2015)
    # tokens per parameter is 20 with 0.3 OOM noise in the synthetic data
    assert recent["median"].median() == pytest.approx(20, rel=0.3)
    assert (tpp["p25"] <= tpp["median"]).all() and (tpp["median"] <= tpp["p75"]).all()


def test_breakpoints_find_the_2010_break(models: pl.DataFrame) -> None:
    frame = inputs.breakpoints_frame(models, "sha")
    assert frame.height == 2 * len(inputs.BREAKPOINT_SERIES)
    row = frame.filter(
        (pl.col("metric") == "training_compute") & (pl.col("subset") == "notable") & (pl.col("kind") == "continuous")
    ).row(0, named=True)
    assert row["status"] == Status.OK and row["status_reason"] is None
    assert date(2007, 1, 1) <= row["break_date"] <= date(2013, 1, 1)
    assert row["break_date_ci_low"] <= row["break_date"] <= row["break_date_ci_high"]
    assert row["growth_before_per_year"] == pytest.approx(1.5, rel=0.2)
    assert row["growth_after_per_year"] == pytest.approx(4, rel=0.15)
    assert row["jump_oom"] is None


def test_breakpoint_row_on_too_few_points_names_the_gap(models: pl.DataFrame) -> None:
    few = inputs.metric_points(models, inputs.METRICS_BY_NAME["training_compute"], "notable").head(12)
    row = inputs.breakpoint_row(few, metric="training_compute", subset="notable", continuous=True, snapshot="")
    assert row["status"] == Status.INSUFFICIENT_DATA and row["break_date"] is None
    assert row["status_reason"] == "12 points; a breakpoint fit needs at least 10 on each side"
