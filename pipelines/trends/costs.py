"""Imputed training cost: compute × the fitted cost-per-FLOP trend at the publication date, always flagged.

Epoch publishes a training cost (2023 USD) for a few hundred models, and for only ~10-18 of the models scored on any
one benchmark; compute is known for several times more. The imputation fits log10(cost per FLOP) on date (notable
models since 2010, the `cost_per_flop / notable / full` row of `trends.fits`) and prices each model's compute at the
trend's value on its publication date. Its interval is a 90% prediction interval: the trend's bootstrap draws plus
the scatter of models around it (residual sd, in OOM), which dominates: a model's cost per FLOP is known to within
about ×10 either way, not better.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import numpy as np
import polars as pl

from pipelines.trends.checks import TableContract
from pipelines.trends.fits import BOOTSTRAP_SEED, CI_LEVEL, DEEP_LEARNING_START, LogLinearFit, decimal_year, fit_window
from pipelines.trends.inputs import METRICS_BY_NAME, load_models, metric_points
from pipelines.trends.status import InsufficientData
from pipelines.trends.steps import TrendOutput, TrendStep, TrendTable, info

COST_TREND_SUBSET = "notable"


@dataclass(frozen=True)
class CostTrend:
    """The fitted log10(USD per FLOP) on decimal year, and the window it was fitted on."""

    fit: LogLinearFit
    window_start: date
    window_end: date

    @property
    def basis(self) -> str:
        return (
            f"trends.fits cost_per_flop / {COST_TREND_SUBSET} / full {self.window_start}..{self.window_end}: "
            f"×{self.fit.growth_per_year:.3f} per year, residual sd {self.fit.residual_sd:.2f} OOM, n={self.fit.n}"
        )

    def log10_usd_per_flop(self, years: np.ndarray) -> np.ndarray:
        return self.fit.predict(years)

    def log10_usd_per_flop_draws(self, years: np.ndarray) -> np.ndarray:
        """(resamples, len(years)): the trend under each bootstrap resample, without the scatter of models."""
        return self.fit.predict_draws(years)


def fit_cost_trend(models: pl.DataFrame) -> CostTrend:
    """The cost-per-FLOP trend of notable models since 2010 (raises InsufficientData)."""
    points = metric_points(models, METRICS_BY_NAME["cost_per_flop"], COST_TREND_SUBSET)
    end = points["publication_date"].max()
    fit = fit_window(points, DEEP_LEARNING_START, end)
    return CostTrend(fit=fit, window_start=DEEP_LEARNING_START, window_end=end)


def cost_trend_or_none(models: pl.DataFrame) -> CostTrend | None:
    """The cost-per-FLOP trend, or None where too few models have a cost: the tables priced with it then say so."""
    try:
        return fit_cost_trend(models)
    except InsufficientData:
        return None


MODEL_COSTS_SCHEMA: dict[str, pl.DataType] = {
    "model_key": pl.String(),
    "model_name": pl.String(),
    "publication_date": pl.Date(),
    "training_compute_flop": pl.Float64(),
    "observed_cost_usd_2023": pl.Float64(),
    "imputed_cost_usd_2023": pl.Float64(),
    "imputed_cost_low_usd_2023": pl.Float64(),
    "imputed_cost_high_usd_2023": pl.Float64(),
    "cost_usd_2023": pl.Float64(),
    "is_imputed": pl.Boolean(),
    "imputation_basis": pl.String(),
    "pi_level": pl.Float64(),
}


def model_costs_frame(models: pl.DataFrame, trend: CostTrend) -> pl.DataFrame:
    """One row per model with compute published in the trend's window (2010 onward): observed cost (Epoch's, when
    published), imputed cost with its 90% prediction interval (for every model, so the two can be compared), and
    `cost_usd_2023` = observed if published, else imputed, with `is_imputed` saying which."""
    # before the trend's window the imputation would extrapolate decades back: those models are left out
    rows = models.filter(
        (pl.col("training_compute_flop") > 0) & (pl.col("publication_date") >= trend.window_start)
    ).select(
        "model_key",
        "model_name",
        "publication_date",
        "training_compute_flop",
        pl.col("training_cost_usd_2023").alias("observed_cost_usd_2023"),
        decimal_year(pl.col("publication_date")).alias("_year"),
    )
    years = rows["_year"].to_numpy()
    log_compute = np.log10(rows["training_compute_flop"].to_numpy())
    point = log_compute + trend.log10_usd_per_flop(years)
    rng = np.random.default_rng(BOOTSTRAP_SEED + 2)
    draws = trend.log10_usd_per_flop_draws(years)
    draws = draws + rng.normal(0.0, trend.fit.residual_sd, size=draws.shape)
    tail = (1 - CI_LEVEL) / 2
    low, high = np.quantile(draws, [tail, 1 - tail], axis=0) if years.size else (np.array([]), np.array([]))
    return (
        rows.with_columns(
            pl.Series("imputed_cost_usd_2023", 10**point),
            pl.Series("imputed_cost_low_usd_2023", 10 ** (log_compute + low)),
            pl.Series("imputed_cost_high_usd_2023", 10 ** (log_compute + high)),
        )
        .with_columns(
            pl.coalesce("observed_cost_usd_2023", "imputed_cost_usd_2023").alias("cost_usd_2023"),
            pl.col("observed_cost_usd_2023").is_null().alias("is_imputed"),
            pl.lit(trend.basis).alias("imputation_basis"),
            pl.lit(CI_LEVEL).alias("pi_level"),
        )
        .select(list(MODEL_COSTS_SCHEMA))
        .cast(MODEL_COSTS_SCHEMA)
        .sort("publication_date", "model_key")
    )


# -- the step: trends.model_costs, checked against its contract -----------------------------------------------------

MODEL_COSTS_CONTRACT = TableContract(
    "model_costs",
    keys=("model_key", "model_name"),
    required=("imputed_cost_usd_2023", "imputed_cost_low_usd_2023", "imputed_cost_high_usd_2023", "cost_usd_2023"),
    intervals=(("imputed_cost_usd_2023", "imputed_cost_low_usd_2023", "imputed_cost_high_usd_2023"),),
    status_column=None,
)


def build_model_costs(con: duckdb.DuckDBPyConnection) -> TrendOutput:
    """trends.model_costs from marts.models; how many costs are imputed, and on what basis, go with it."""
    models = load_models(con)
    trend = fit_cost_trend(models)
    frame = model_costs_frame(models, trend)
    metadata = {"imputed": int(frame["is_imputed"].sum()), "basis": trend.basis}
    table = MODEL_COSTS_CONTRACT.table
    return TrendOutput({table: frame}, {table: metadata}, (info(f"imputation basis: {trend.basis}"),))


STEPS = [
    TrendStep(
        "model_costs",
        reads=("marts.models",),
        tables=(
            TrendTable(
                MODEL_COSTS_CONTRACT,
                "observed training cost and cost imputed from compute × the cost-per-FLOP trend.",
            ),
        ),
        build=build_model_costs,
    )
]
