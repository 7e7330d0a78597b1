-- One row per published score, with the model's compute (the benchmark file's own estimate, else marts.models),
-- both frontier flags, the version's setting classified
-- (effort level, token budget, thinking switch) and the inference cost of the run where the file publishes one.
with scores as (
    select * from {{ source('tidy', 'scores') }}
),
models as (
    select model_key, publication_date, training_compute_flop, is_frontier_epoch, is_frontier_top10
    from {{ ref('models') }}
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
    coalesce(m.is_frontier_epoch, false) as is_frontier_epoch,
    coalesce(m.is_frontier_top10, false) as is_frontier_top10,
    s.member,
    s.row_number,
    s.snapshot_sha256
from scores as s
left join models as m using (model_key)
-- the benchmark file's own order, which the trends' first-of-group picks rely on
order by s.member, s.row_number
