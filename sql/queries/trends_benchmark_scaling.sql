-- trends.benchmark_scaling: per benchmark, a logistic fit of the best score per model against log10 compute or
-- log10 cost ('observed' cost only, or 'imputed': observed else imputed), read at the data's median: points gained
-- per 10x and the multiplier of compute (or dollars) that halves the error rate 1 - score (Ord's inversion).
-- A null upper CI bound means unbounded (some resamples never halve the error); see the note column.
-- Run: duckdb -readonly data/warehouse.duckdb < sql/queries/trends_benchmark_scaling.sql
select
    benchmark_name,
    x,
    cost_basis,
    n_models,
    round(points_per_10x_at_median, 1) as points_per_10x,
    round(points_per_10x_at_median_ci_low, 1) as points_ci_low,
    round(points_per_10x_at_median_ci_high, 1) as points_ci_high,
    round(multiplier_to_halve_error, 1) as multiplier_to_halve_error,
    round(multiplier_to_halve_error_ci_low, 1) as multiplier_ci_low,
    round(multiplier_to_halve_error_ci_high, 1) as multiplier_ci_high,
    status
from trends.benchmark_scaling
where status = 'ok'
order by benchmark_name, x, cost_basis;
