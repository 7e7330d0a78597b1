-- trends.forecasts: EXTRAPOLATIONS of the frontier trend (top-10-at-release models, from 2015-09-01): the date the
-- fitted line reaches $1B and $10B of training cost and 1e27 and 1e28 FLOP, with a 90% prediction interval that
-- includes the scatter of frontier models around the line. Not predictions about budgets or physical limits.
-- Run: duckdb -readonly data/warehouse.duckdb < sql/queries/trends_forecasts.sql
select
    target_label,
    predicted_date,
    pi_low_date,
    pi_high_date,
    round(growth_per_year, 2) as growth_per_year,
    n,
    largest_so_far,
    largest_so_far_model,
    basis,
    note
from trends.forecasts
order by target_metric desc, target_value;
