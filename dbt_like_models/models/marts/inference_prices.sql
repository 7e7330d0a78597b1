-- One row per price record of Epoch AI's inference-price study ("LLM inference prices have fallen rapidly but
-- unequally across tasks", March 2025): a model's blended USD per 1M tokens at a date, from Artificial Analysis
-- (inference_prices_aa) or Epoch's own records (inference_prices_epoch).
-- depends_on: {{ ref('plausible_ranges') }} (the seed this mart's plausible_columns test reads)
with prices as (
    select * from {{ source('tidy', 'inference_prices') }}
),
models as (
    select model_key from {{ ref('models') }}
)
select
    p.source || ':' || p.row_number as price_id,
    p.source,
    p.dataset,
    p.model_name,
    p.model_key,
    m.model_key is not null as is_matched_model,
    p.release_date,
    p.usd_per_1m_tokens,
    p.row_number,
    p.snapshot_sha256
from prices as p
left join models as m using (model_key)
order by p.source, p.row_number
