-- One row per file and model name or version that matches no model: benchmark versions ECI names no model for,
-- model names of the inference-price study's price files that are neither in marts.models nor named by the hub,
-- and model versions of its token file that the hub does not publish.
with hub as (
    select distinct model_version, model_key from {{ source('tidy', 'scores') }}
),
known_keys as (
    select model_key from {{ ref('models') }}
    union
    select model_key from hub where model_key is not null
),
prices as (
    select source, model_name, model_key from {{ source('tidy', 'inference_prices') }}
),
tokens as (
    select model_version from {{ source('tidy', 'eval_tokens') }}
)

select 'benchmark_data' as source, member, model_version
from {{ source('tidy', 'unmatched_model_versions') }}
union
select source, source as member, model_name as model_version
from prices
where model_key not in (select model_key from known_keys)
union
select 'eval_tokens' as source, 'eval_tokens' as member, model_version
from tokens
where model_version not in (select model_version from hub)
order by source, member, model_version
