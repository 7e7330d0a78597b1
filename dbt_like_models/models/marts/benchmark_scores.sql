-- One row per published score, with the model's compute (the benchmark file's own estimate, else marts.models),
-- its observed and imputed training cost (trends.model_costs), both frontier flags, the version's setting classified
-- (effort level, token budget, thinking switch) and the inference cost of the run where the file publishes one.
with scores as (
    select * from {{ source('tidy', 'scores') }}
),
models as (
    select model_key, publication_date, training_compute_flop, is_frontier_epoch, is_frontier_top10
    from {{ ref('models') }}
),
costs as (
    select
        model_key,
        observed_cost_usd_2023,
        imputed_cost_usd_2023,
        imputed_cost_low_usd_2023,
        imputed_cost_high_usd_2023,
        cost_usd_2023,
        is_imputed
    from {{ source('trends', 'model_costs') }}
)

select
    s.member || ':' || s.row_number as score_id,
    s.benchmark,
    s.benchmark_name,
    s.model_version,
    s.base_version,
    s.setting,
    s.setting_kind,
    s.effort_rank,
    s.budget_tokens,
    s.thinking,
    s.model_name,
    s.model_key,
    m.model_key is not null as is_matched_model,
    s.score,
    s.unit,
    s.trend_score,
    s.trend_unit,
    s.stderr,
    s.cost_per_run_usd,
    s.release_date,
    m.publication_date,
    s.organization,
    s.file_training_compute_flop,
    m.training_compute_flop as model_training_compute_flop,
    coalesce(s.file_training_compute_flop, m.training_compute_flop) as training_compute_flop,
    case
        when s.file_training_compute_flop is not null then 'benchmark_file'
        when m.training_compute_flop is not null then 'models'
    end as compute_source,
    c.observed_cost_usd_2023,
    c.imputed_cost_usd_2023,
    c.imputed_cost_low_usd_2023,
    c.imputed_cost_high_usd_2023,
    c.cost_usd_2023,
    c.is_imputed as is_cost_imputed,
    coalesce(m.is_frontier_epoch, false) as is_frontier_epoch,
    coalesce(m.is_frontier_top10, false) as is_frontier_top10,
    s.member,
    s.row_number,
    s.snapshot_sha256
from scores as s
left join models as m using (model_key)
left join costs as c using (model_key)
-- the benchmark file's own order, which the trends' first-of-group picks rely on
order by s.member, s.row_number
