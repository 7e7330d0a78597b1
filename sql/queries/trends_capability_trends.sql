-- trends.capability_trends: the capability indices that do not saturate, each named by its benchmark id (`eci`,
-- `metr_time_horizons`, as in marts.benchmark_scores). ECI in points, METR's 50% time horizon in
-- doublings (log2 minutes; doubling_months = 12 / doublings per year). Measures: per_year (subset record_setting: the
-- record-setting versions; all: every dated version), per_10x_compute and per_10x_cost (across models, at a fixed release date),
-- the rate before and after a fitted break (break_date with its 90% CI) and rolling 2-year windows. Rows whose
-- status is not 'ok' ('insufficient data', 'not identified', 'unstable') say why in status_reason and carry no
-- headline number.
-- Run: duckdb -readonly data/warehouse.duckdb < sql/queries/trends_capability_trends.sql
select
    "index",
    measure,
    subset,
    cost_basis,
    window_start,
    window_end,
    n,
    round(estimate, 2) as estimate,
    round(ci_low, 2) as ci_low,
    round(ci_high, 2) as ci_high,
    unit,
    round(doubling_months, 1) as doubling_months,
    break_date,
    break_date_ci_low,
    break_date_ci_high,
    status,
    status_reason
from trends.capability_trends
where measure <> 'rolling_per_year' or status = 'ok'
order by "index", measure, subset, cost_basis, window_start;
