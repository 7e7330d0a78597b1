"""Trends: growth-per-year fits computed from the marts and stored in `trends.*` for reports and SQL users."""

from datetime import date

import polars as pl
from dagster import AssetCheckResult, AssetCheckSeverity, AssetExecutionContext, MaterializeResult, asset, asset_check
from dagster_duckdb import DuckDBResource

from pipelines.defs.resources import warehouse_connection
from pipelines.fits import fits_frame, trend_row
from pipelines.warehouse import first_row, query_frame, replace_table

ERA_START = date(2010, 1, 1)


@asset(key=["trends", "fits"], deps=[["marts", "models"]], group_name="trends", kinds={"python", "duckdb"})
def trends_fits(context: AssetExecutionContext, warehouse: DuckDBResource) -> MaterializeResult:
    """trends.fits: log-linear growth of training compute of notable models since 2010, with a 90% bootstrap CI."""
    with warehouse_connection(warehouse) as con:
        points = query_frame(
            con,
            """
            select publication_date, training_compute_flop as value
            from marts.models
            where in_notable_models and training_compute_flop is not null and publication_date is not null
            """,
        )
        snapshot = first_row(
            con, "select any_value(snapshot_sha256) from tidy.models where described_by = 'notable_models'"
        )[0]
        window_end = points["publication_date"].max()
        row = trend_row(
            points,
            metric="training_compute",
            subset="notable",
            window_start=ERA_START,
            window_end=window_end,
            window_kind="full",
            snapshot=snapshot or "",
        )
        rows = replace_table(con, "trends", "fits", fits_frame([row]))
    context.log.info(
        f"training compute, notable since 2010: {row['growth_per_year']:.2f}x/year "
        f"(90% CI {row['growth_ci_low']:.2f}-{row['growth_ci_high']:.2f}), n={row['n']}"
    )
    return MaterializeResult(
        metadata={
            "rows": rows,
            "growth_per_year": row["growth_per_year"],
            "growth_ci_low": row["growth_ci_low"],
            "growth_ci_high": row["growth_ci_high"],
            "n": row["n"],
        }
    )


@asset_check(asset=trends_fits, blocking=True, description="Every fitted row is finite and its CI holds the estimate.")
def fits_are_consistent(warehouse: DuckDBResource) -> AssetCheckResult:
    with warehouse_connection(warehouse) as con:
        fits = query_frame(con, "select * from trends.fits where status = 'ok'")
    numbers = ["slope_oom_per_year", "growth_per_year", "growth_ci_low", "growth_ci_high", "r2"]
    not_finite = fits.filter(~pl.all_horizontal([pl.col(c).is_finite() for c in numbers]))
    outside = fits.filter(
        (pl.col("growth_ci_low") > pl.col("growth_per_year")) | (pl.col("growth_ci_high") < pl.col("growth_per_year"))
    )
    bad = not_finite.height + outside.height
    return AssetCheckResult(
        passed=bad == 0 and fits.height > 0,
        severity=AssetCheckSeverity.ERROR,
        metadata={
            "fitted_rows": fits.height,
            "non_finite_rows": not_finite.height,
            "ci_not_containing_estimate": outside.height,
            "example": str(outside.head(3).select("metric", "subset").rows()) if outside.height else "",
        },
    )


TREND_ASSETS = [trends_fits]
TREND_CHECKS = [fits_are_consistent]
