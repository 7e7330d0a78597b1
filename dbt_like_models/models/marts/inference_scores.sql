-- One row per price record and benchmark with a score in Epoch AI's inference-price study: the score as published
-- (percent 0-100, or LMSys Chatbot Arena Elo) beside the record's blended USD per 1M tokens.
-- depends_on: {{ ref('plausible_ranges') }} (the seed this mart's plausible_columns test reads)
with scores as (
    select * from {{ source('tidy', 'inference_scores') }}
),
models as (
    select model_key from {{ ref('models') }}
)
select
    s.source || ':' || s.row_number || ':' || s.benchmark as inference_score_id,
    s.source || ':' || s.row_number as price_id,
    s.source,
    s.dataset,
    s.model_name,
    s.model_key,
    m.model_key is not null as is_matched_model,
    s.release_date,
    s.usd_per_1m_tokens,
    s.benchmark,
    s.score,
    s.unit,
    s.row_number,
    s.snapshot_sha256
from scores as s
left join models as m using (model_key)
order by s.source, s.row_number, s.benchmark
