-- trends.compute_to_threshold_points: each model that reached a score threshold with less training compute than
-- every model before it (the points behind trends.compute_to_threshold). Here: MMLU at 0.5.
-- Run: duckdb -readonly data/warehouse.duckdb < sql/queries/trends_compute_to_threshold_points.sql
select benchmark, threshold, date, least_compute_flop, model_name, round(score, 3) as score
from trends.compute_to_threshold_points
where benchmark = 'mmlu' and threshold = 0.5
order by date;
