-- One row per model version and task of Epoch AI's evaluation runs (inference-price study): the tokens the run
-- read and wrote, the version's setting (effort, token budget, thinking) and, where the Benchmarking Hub publishes
-- the version, the model it names.
-- depends_on: {{ ref('plausible_ranges') }} (the seed this mart's plausible_columns test reads)
with tokens as (
    select * from {{ source('tidy', 'eval_tokens') }}
),
hub as (
    select model_version, any_value(model_name) as model_name, any_value(model_key) as model_key
    from {{ source('tidy', 'scores') }}
    group by model_version
)
select
    t.model_version || ':' || t.task as eval_id,
    t.model_version,
    t.base_version,
    t.setting,
    t.setting_kind,
    t.effort_rank,
    t.budget_tokens,
    t.thinking,
    h.model_version is not null as is_hub_version,
    h.model_name,
    h.model_key,
    t.task,
    t.benchmark,
    t.epochs,
    t.total_samples,
    t.input_tokens,
    t.output_tokens,
    t.total_tokens,
    t.output_tokens_per_sample,
    t.row_number,
    t.snapshot_sha256
from tokens as t
left join hub as h using (model_version)
order by t.row_number
