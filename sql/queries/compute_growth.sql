-- Growth per year of training compute, with its 90% bootstrap CI, as stored by the pipeline.
-- Run: duckdb -readonly data/warehouse.duckdb < sql/queries/compute_growth.sql
select
    metric,
    subset,
    window_kind,
    window_start,
    window_end,
    n,
    round(growth_per_year, 2) as growth_per_year,
    round(growth_ci_low, 2) as growth_ci_low,
    round(growth_ci_high, 2) as growth_ci_high,
    round(doubling_months, 1) as doubling_months,
    round(r2, 3) as r2
from trends.fits
where metric = 'training_compute' and window_kind in ('full', 'era')
order by subset <> 'notable', subset, window_kind <> 'full', window_start;
