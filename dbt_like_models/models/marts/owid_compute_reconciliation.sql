-- One row per model in OWID's training-computation chart or among Epoch's notable models with compute: both
-- values, their ratio, and whether they agree within the tolerance (var owid_compute_tolerance, relative).
{%- set tolerance = var('owid_compute_tolerance', 0.01) %}
with owid as (
    select
        model_key,  -- written by the tidy layer (pipelines/tidy/keys.py); no name is normalised in SQL
        min(entity) as owid_entity,
        min(date) as owid_publication_date,
        min(domain) as owid_domain,
        max(value_flop) as owid_compute_flop
    from {{ ref('owid_series') }}
    where chart = 'owid_training_computation' and value_flop > 0
    group by 1
),
models as (
    select model_key, model_name, publication_date, training_compute_flop, in_notable_models
    from {{ ref('models') }}
),
in_owid as (
    select
        o.model_key,
        coalesce(m.model_name, o.owid_entity) as model_name,
        o.owid_entity,
        o.owid_domain,
        o.owid_publication_date,
        m.publication_date as models_publication_date,
        o.owid_compute_flop,
        m.training_compute_flop as models_compute_flop,
        m.model_key is not null as is_in_models,
        coalesce(m.in_notable_models, false) as is_notable
    from owid as o
    left join models as m using (model_key)
),
only_in_models as (
    select
        m.model_key,
        m.model_name,
        null as owid_entity,
        null as owid_domain,
        null::date as owid_publication_date,
        m.publication_date as models_publication_date,
        null::double as owid_compute_flop,
        m.training_compute_flop as models_compute_flop,
        true as is_in_models,
        true as is_notable
    from models as m
    where m.in_notable_models and m.training_compute_flop > 0
      and m.model_key not in (select model_key from owid)
),
both_sides as (
    select * from in_owid
    union all
    select * from only_in_models
)

select
    *,
    owid_compute_flop / models_compute_flop as owid_to_models_ratio,
    abs(log10(owid_compute_flop / models_compute_flop)) as abs_log10_difference,
    {{ tolerance }} as relative_tolerance,
    case
        when owid_compute_flop is null then 'only_in_models'
        when models_compute_flop is null then 'only_in_owid'
        when abs(owid_compute_flop / models_compute_flop - 1) <= {{ tolerance }} then 'agree'
        else 'differ'
    end as status
from both_sides
order by status, abs_log10_difference desc nulls last, model_key
