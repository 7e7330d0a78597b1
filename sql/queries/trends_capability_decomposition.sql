-- trends.capability_decomposition: what one year of record-setting progress is worth. The yearly gain of the
-- index's record-setting versions (record_gain_per_year, over n_records of them) divided by its gain per 10x compute
-- (at a fixed date) is the compute multiplier one year of progress equals; against the actual compute growth of
-- frontier models (Epoch's flag, trends.fits) the share explained by compute, and the residual factor
-- per year (algorithms, data, post-training). 90% CIs from the same bootstrap draws. Compare the residual with
-- Ho, Denain et al. 2025 (about 5.8x a year) and the share with the primer's ~65% from scale.
-- Run: duckdb -readonly data/warehouse.duckdb < sql/queries/trends_capability_decomposition.sql
select
    "index",
    years_of_progress,
    round(compute_equivalent_multiplier_per_year, 1) as compute_x_per_year,
    round(ci_low, 1) as ci_low,
    round(ci_high, 1) as ci_high,
    round(frontier_compute_growth_per_year, 2) as frontier_compute_growth_per_year,
    round(share_explained_by_compute, 2) as share_explained_by_compute,
    round(share_ci_low, 2) as share_ci_low,
    round(share_ci_high, 2) as share_ci_high,
    round(residual_multiplier_per_year, 1) as residual_x_per_year,
    round(residual_ci_low, 1) as residual_ci_low,
    round(residual_ci_high, 1) as residual_ci_high,
    n_records,
    n_compute,
    status,
    status_reason
from trends.capability_decomposition
order by "index";
