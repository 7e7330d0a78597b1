-- trends.fits: growth per year of every metric and subset since 2010 (hardware: over all release dates), with the
-- 90% bootstrap CI, doubling time in months (negative: halving), n and R². One row per (metric, subset, window);
-- window_kind is 'full', 'era' (pre-2010, 2010 onward, large-scale era from 2015-09-01) or 'rolling' (4-year
-- windows every 6 months). A fit with too few points has status 'insufficient data' (how few in status_reason) and
-- null numbers.
-- Run: duckdb -readonly data/warehouse.duckdb < sql/queries/trends_fits.sql
select
    metric,
    subset,
    window_start,
    window_end,
    n,
    round(growth_per_year, 2) as growth_per_year,
    round(growth_ci_low, 2) as growth_ci_low,
    round(growth_ci_high, 2) as growth_ci_high,
    round(doubling_months, 1) as doubling_months,
    round(r2, 2) as r2
from trends.fits
where window_kind = 'full' and status = 'ok' and not starts_with(subset, 'domain:')
order by metric, subset;
