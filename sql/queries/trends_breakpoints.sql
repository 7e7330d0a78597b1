-- trends.breakpoints: the single break date that best splits each series (grid search every quarter, at least 10
-- models on each side), 'continuous' (a hinge) or 'discontinuous' (two lines with a level jump), with the growth
-- before and after and 90% bootstrap CIs (the search is rerun on every resample). delta_bic < 0 favours a break.
-- Run: duckdb -readonly data/warehouse.duckdb < sql/queries/trends_breakpoints.sql
select
    metric,
    subset,
    kind,
    n,
    break_date,
    break_date_ci_low,
    break_date_ci_high,
    round(growth_before_per_year, 2) as growth_before,
    round(growth_after_per_year, 2) as growth_after,
    round(jump_oom, 2) as jump_oom,
    round(delta_bic_vs_single_line, 1) as delta_bic,
    status,
    status_reason
from trends.breakpoints
order by metric, subset, kind;
