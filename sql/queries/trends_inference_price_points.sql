-- trends.inference_price_points: the models each price trend was fitted on. For a benchmark and a threshold (a score
-- that once led: `threshold_model` at `threshold_score`), the models at or above it that were cheaper than every
-- model before them, in release order (Epoch's rule; the study's price per 1M tokens or the hub's cost per run).
-- Run: duckdb -readonly data/warehouse.duckdb < sql/queries/trends_inference_price_points.sql
select
    dataset,
    benchmark,
    threshold_model,
    threshold_score,
    release_date,
    model_name,
    price,
    price_unit,
    score
from trends.inference_price_points
where dataset = 'epoch_price_study' and benchmark = 'GPQA Diamond'
order by threshold_score, release_date;
