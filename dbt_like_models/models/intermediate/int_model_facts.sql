-- One value per model and fact: the most curated source file that publishes the fact wins
-- (notable > frontier > large-scale > all), and the winning file is named next to the value.
{%- set facts = [
    ('compute', 'training_compute_flop', 'compute_source', ['confidence as compute_confidence']),
    ('params', 'parameters', 'parameters_source', []),
    ('tokens', 'training_dataset_size_datapoints', 'tokens_source', []),
    ('cost', 'training_cost_usd_2023', 'cost_source', []),
] %}
with
{%- for table, value, source_column, extra in facts %}
{{ table }} as (
    select
        model_key,
        arg_min({{ value }}, {{ source_priority('source') }}) as {{ value }},
        {%- for column in extra %}
        arg_min({{ column.split(' as ')[0] }}, {{ source_priority('source') }}) as {{ column.split(' as ')[1] }},
        {%- endfor %}
        arg_min(source, {{ source_priority('source') }}) as {{ source_column }}
    from {{ source('tidy', table) }}
    where {{ value }} is not null
    group by model_key
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
