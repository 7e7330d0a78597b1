-- trends.compute_to_threshold: how fast the least training compute that reached a score threshold fell, per
-- benchmark and threshold: halving time in months and reduction factor per year, 90% CIs, where at least 5
-- improving models exist (others: 'insufficient data').
-- Run: duckdb -readonly data/warehouse.duckdb < sql/queries/trends_compute_to_threshold.sql
select
    benchmark_name,
    threshold,
    n_improving_points,
    first_date,
    last_date,
    round(halving_time_months, 1) as halving_months,
    round(halving_time_months_ci_low, 1) as halving_ci_low,
    round(halving_time_months_ci_high, 1) as halving_ci_high,
    round(reduction_per_year, 2) as reduction_per_year
from trends.compute_to_threshold
where status = 'ok'
order by benchmark_name, threshold;
