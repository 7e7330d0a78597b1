-- trends.per_dollar_vs_per_year: the headline table. Halving the error rate on a benchmark took ×N training compute,
-- ×M training dollars (imputed cost basis), or Y years of record-setting progress; 90% CIs (a null upper bound is
-- unbounded). compute_doublings_to_halve_error is log2 of the compute multiplier (Ord's "doubled 20 times").
-- The `pooled` row comes first: one logistic slope shared by every benchmark (its multipliers halve the error left
-- below each benchmark's ceiling). Rows 'not identified' (an interval unbounded or wider than three orders of
-- magnitude) are listed with their reason (status_reason) and belong in no summary.
-- Run: duckdb -readonly data/warehouse.duckdb < sql/queries/trends_per_dollar_vs_per_year.sql
select
    benchmark_name,
    n_models,
    round(compute_multiplier_to_halve_error, 1) as compute_x,
    round(compute_multiplier_to_halve_error_ci_low, 1) as compute_x_ci_low,
    round(compute_multiplier_to_halve_error_ci_high, 1) as compute_x_ci_high,
    round(dollar_multiplier_to_halve_error, 1) as dollars_x,
    round(dollar_multiplier_to_halve_error_ci_low, 1) as dollars_x_ci_low,
    round(dollar_multiplier_to_halve_error_ci_high, 1) as dollars_x_ci_high,
    round(years_to_halve_error, 2) as years,
    round(years_to_halve_error_ci_low, 2) as years_ci_low,
    round(years_to_halve_error_ci_high, 2) as years_ci_high,
    cost_basis,
    status,
    status_reason
from trends.per_dollar_vs_per_year
where status in ('ok', 'not identified')
order by benchmark <> 'pooled', status <> 'ok', n_models desc;
