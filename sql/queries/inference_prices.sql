-- How fast did the price of reaching a score fall? Per benchmark of Epoch AI's inference-price study and a score
-- threshold (edit `thresholds`: percent, or Elo for the arena), the price records that were the cheapest way yet to
-- reach the threshold when they appeared, in USD per 1M tokens (blended), and how many times cheaper each is than
-- the first. Data: Epoch AI, "LLM inference prices have fallen rapidly but unequally across tasks" (2025), CC BY 4.0.
-- Run: duckdb -readonly data/warehouse.duckdb < sql/queries/inference_prices.sql
with thresholds (benchmark, threshold) as (
    values
        ('MMLU', 80.0),
        ('GPQA Diamond', 50.0),
        ('HumanEval', 85.0),
        ('MATH-500', 70.0),
        ('MATH 5', 40.0),
        ('LMSys Chatbot Arena ELO', 1250.0)
),
reached as (
    select t.benchmark, t.threshold, s.release_date, s.model_name, s.source, s.score, s.usd_per_1m_tokens
    from marts.inference_scores as s
    join thresholds as t using (benchmark)
    where s.score >= t.threshold and s.usd_per_1m_tokens is not null and s.release_date is not null
),
running as (
    select
        *,
        min(usd_per_1m_tokens) over (
            partition by benchmark order by release_date, usd_per_1m_tokens
            rows between unbounded preceding and 1 preceding
        ) as cheapest_before
    from reached
),
records as (
    select * from running where cheapest_before is null or usd_per_1m_tokens < cheapest_before
)
select
    benchmark,
    threshold,
    release_date,
    model_name,
    source,
    score,
    usd_per_1m_tokens,
    round(first_value(usd_per_1m_tokens) over (partition by benchmark order by release_date) / usd_per_1m_tokens, 1)
        as times_cheaper_than_first
from records
order by benchmark, release_date;
