-- trends.inference_price_trends: how fast the cheapest model reaching a fixed score got cheaper (issue 19), by Epoch
-- AI's method ("LLM inference prices have fallen rapidly but unequally across tasks", 2025). A threshold is the score
-- of a model that led its benchmark on its release day; the trend fits the models that were the cheapest yet at or
-- above it (OLS of log10 price on date). factor_per_year = how many times cheaper per year, 90% t interval.
-- dataset 'epoch_price_study': the study's USD per 1M tokens (reasoning models left out, as Epoch did);
-- 'benchmark_hub': the Benchmarking Hub's cost per run, a model version with its setting counting as one model.
-- Rows 'not identified' (spanning less than a year, or an interval wider than two orders of magnitude) say why in
-- `status_reason` and belong in no summary; a threshold with fewer than 4 cheapest models has no row.
-- Run: duckdb -readonly data/warehouse.duckdb < sql/queries/trends_inference_price_trends.sql
select
    dataset,
    benchmark,
    threshold_model,
    threshold_score,
    n,
    start_date,
    end_date,
    round(factor_per_year, 1) as factor_per_year,
    round(ci_low, 1) as ci_low,
    round(ci_high, 1) as ci_high,
    round(r_squared, 2) as r_squared,
    price_unit,
    status,
    status_reason
from trends.inference_price_trends
order by dataset = 'benchmark_hub', status <> 'ok', benchmark, threshold_score;
