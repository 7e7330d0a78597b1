-- One value per model and fact: the most curated source file that publishes the fact wins
-- (notable > frontier > large-scale > all), and the winning file is named next to the value.
with compute as (
    select
        model_key,
        arg_min(training_compute_flop, {{ source_priority('source') }}) as training_compute_flop,
        arg_min(confidence, {{ source_priority('source') }}) as compute_confidence,
        arg_min(source, {{ source_priority('source') }}) as compute_source
    from {{ source('tidy', 'compute') }}
    where training_compute_flop is not null
    group by model_key
),
params as (
    select
        model_key,
        arg_min(parameters, {{ source_priority('source') }}) as parameters,
        arg_min(source, {{ source_priority('source') }}) as parameters_source
    from {{ source('tidy', 'params') }}
    where parameters is not null
    group by model_key
),
tokens as (
    select
        model_key,
        arg_min(training_dataset_size_datapoints, {{ source_priority('source') }}) as training_dataset_size_datapoints,
        arg_min(source, {{ source_priority('source') }}) as tokens_source
    from {{ source('tidy', 'tokens') }}
    where training_dataset_size_datapoints is not null
    group by model_key
),
cost as (
    select
        model_key,
        arg_min(training_cost_usd_2023, {{ source_priority('source') }}) as training_cost_usd_2023,
        arg_min(source, {{ source_priority('source') }}) as cost_source
    from {{ source('tidy', 'cost') }}
    where training_cost_usd_2023 is not null
    group by model_key
)

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
