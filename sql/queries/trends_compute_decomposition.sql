-- trends.compute_decomposition: does compute growth ≈ spending growth × FLOP-per-dollar growth? Per subset and
-- window, with FLOP per dollar from the models' training cost per FLOP or from hardware price-performance. The
-- residual factor is compute growth / implied growth: 1 means the identity holds on these data.
-- Run: duckdb -readonly data/warehouse.duckdb < sql/queries/trends_compute_decomposition.sql
select
    subset,
    window_start,
    flop_per_usd_basis,
    round(compute_growth_per_year, 2) as compute,
    round(spending_growth_per_year, 2) as spending,
    round(flop_per_usd_growth_per_year, 2) as flop_per_usd,
    round(implied_compute_growth_per_year, 2) as implied,
    round(residual_factor_per_year, 2) as residual,
    round(residual_factor_ci_low, 2) as residual_ci_low,
    round(residual_factor_ci_high, 2) as residual_ci_high,
    status,
    status_reason
from trends.compute_decomposition
where window_kind in ('full', 'era')
order by subset, window_start, flop_per_usd_basis;
