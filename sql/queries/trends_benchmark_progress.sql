-- trends.benchmark_progress: the record (running best) score of each benchmark over time: percentage points per
-- year along the record-setting versions (n_record_points of them), and the years it took to halve their error
-- rate, with 90% CIs.
-- Run: duckdb -readonly data/warehouse.duckdb < sql/queries/trends_benchmark_progress.sql
select
    benchmark_name,
    n_models,
    n_record_points,
    first_date,
    last_date,
    round(best_score, 3) as best_score,
    round(points_per_year, 1) as points_per_year,
    round(points_per_year_ci_low, 1) as points_ci_low,
    round(points_per_year_ci_high, 1) as points_ci_high,
    round(years_to_halve_error, 2) as years_to_halve_error,
    round(years_to_halve_error_ci_low, 2) as years_ci_low,
    round(years_to_halve_error_ci_high, 2) as years_ci_high
from trends.benchmark_progress
where status = 'ok'
order by years_to_halve_error;
