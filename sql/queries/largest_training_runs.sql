-- The ten largest training runs by compute, with parameters, data, cost and both frontier flags.
-- Run: duckdb -readonly data/warehouse.duckdb < sql/queries/largest_training_runs.sql
select
    model_name,
    organization,
    publication_date,
    training_compute_flop,
    parameters,
    training_dataset_size_datapoints,
    training_cost_usd_2023,
    is_frontier_epoch,
    is_frontier_top10,
    n_benchmarks
from marts.models
where training_compute_flop is not null
order by training_compute_flop desc
limit 10;
