-- trends.model_costs: Epoch's observed training cost where published, else compute × the cost-per-FLOP trend at the
-- publication date (is_imputed), with the imputation's 90% prediction interval. Here: the models of the GPQA
-- Diamond scores, most recent first.
-- Run: duckdb -readonly data/warehouse.duckdb < sql/queries/trends_model_costs.sql
select
    c.model_name,
    c.publication_date,
    c.training_compute_flop,
    round(c.observed_cost_usd_2023) as observed_usd,
    round(c.imputed_cost_usd_2023) as imputed_usd,
    round(c.imputed_cost_low_usd_2023) as imputed_low_usd,
    round(c.imputed_cost_high_usd_2023) as imputed_high_usd,
    c.is_imputed
from trends.model_costs as c
where c.model_key in (select model_key from tidy.scores where benchmark = 'gpqa_diamond')
order by c.publication_date desc
limit 20;
