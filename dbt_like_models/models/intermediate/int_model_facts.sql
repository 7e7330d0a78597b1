-- One value per model and fact: the most curated source file that publishes the fact wins (the order is the
-- model_source_priority seed), and the winning file is named next to the value.
{%- set facts = [
    ('compute', 'training_compute_flop', 'compute_source', ['confidence as compute_confidence']),
    ('params', 'parameters', 'parameters_source', []),
    ('tokens', 'training_dataset_size_datapoints', 'tokens_source', []),
    ('cost', 'training_cost_usd_2023', 'cost_source', []),
] %}
with
priority as (
    select source, priority from {{ ref('model_source_priority') }}
),
{%- for table, value, source_column, extra in facts %}
{{ table }} as (
    select
        f.model_key,
        arg_min(f.{{ value }}, coalesce(p.priority, 9)) as {{ value }},
        {%- for column in extra %}
        arg_min(f.{{ column.split(' as ')[0] }}, coalesce(p.priority, 9)) as {{ column.split(' as ')[1] }},
        {%- endfor %}
        arg_min(f.source, coalesce(p.priority, 9)) as {{ source_column }}
    from {{ source('tidy', table) }} as f
    left join priority as p using (source)
    where f.{{ value }} is not null
    group by f.model_key
){{ "," if not loop.last }}
{%- endfor %}

select
    m.model_key,
    compute.training_compute_flop,
    compute.compute_confidence,
    compute.compute_source,
    params.parameters,
    params.parameters_source,
    tokens.training_dataset_size_datapoints,
    tokens.tokens_source,
    cost.training_cost_usd_2023,
    cost.cost_source
from {{ source('tidy', 'models') }} as m
left join compute using (model_key)
left join params using (model_key)
left join tokens using (model_key)
left join cost using (model_key)
