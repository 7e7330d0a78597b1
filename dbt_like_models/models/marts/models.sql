-- One row per model: description, the chosen compute / parameters / tokens / cost, both frontier flags and the
-- benchmark coverage. Our frontier flag: among models published up to a model's date (itself included), fewer than
-- 10 had more training compute (the "top 10 by compute at release" rule of Epoch's frontier definition).
-- depends_on: {{ ref('plausible_ranges') }} (the seed this mart's plausible_columns test reads)
with facts as (
    select * from {{ ref('int_model_facts') }}
),
described as (
    select
        m.model_key,
        m.model_name,
        m.organization,
        m.publication_date,
        m.domain,
        m.country,
        m.accessibility,
        m.described_by,
        m.in_notable_models,
        m.in_frontier_models,
        m.in_large_scale_models,
        coalesce(m.in_all_models, false) as in_all_models,
        m.is_frontier_epoch,
        m.domains,
        m.snapshot_sha256,
        f.training_compute_flop,
        f.compute_confidence,
        f.compute_source,
        f.parameters,
        f.training_dataset_size_datapoints,
        f.training_cost_usd_2023,
        f.cost_source
    from {{ source('tidy', 'models') }} as m
    left join facts as f using (model_key)
),
ranked as (
    select
        d.model_key,
        (
            select count(*)
            from described as earlier
            where earlier.publication_date <= d.publication_date
              and earlier.training_compute_flop > d.training_compute_flop
        ) as models_with_more_compute_at_release
    from described as d
    where d.training_compute_flop is not null and d.publication_date is not null
),
coverage as (
    select
        model_key,
        count(distinct benchmark) as n_benchmarks,
        count(distinct benchmark) filter (where unit = 'fraction') as n_fraction_benchmarks,
        string_agg(distinct benchmark, ',' order by benchmark) as benchmarks
    from {{ source('tidy', 'scores') }}
    where model_key is not null
    group by model_key
)

select
    d.*,
    d.training_dataset_size_datapoints / nullif(d.parameters, 0) as tokens_per_parameter,
    d.training_cost_usd_2023 / nullif(d.training_compute_flop, 0) as cost_usd_per_flop,
    r.models_with_more_compute_at_release,
    coalesce(r.models_with_more_compute_at_release < 10, false) as is_frontier_top10,
    coalesce(c.n_benchmarks, 0) as n_benchmarks,
    coalesce(c.n_fraction_benchmarks, 0) as n_fraction_benchmarks,
    c.benchmarks
from described as d
left join ranked as r using (model_key)
left join coverage as c using (model_key)
order by d.publication_date nulls last, d.model_key
