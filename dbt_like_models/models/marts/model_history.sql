{{ config(materialized="view") }}
-- What changed between consecutive pulls of each Epoch model file: models added, models removed, and revised
-- estimates (the tracked fields: var tracked_model_fields in dbt_project.yml) with old and new values.
-- The first pull of a file has nothing to compare with and adds no rows.
{%- set fields = var('tracked_model_fields') | list %}
with snapshots as (
    select * from {{ source('ops', 'model_snapshots') }}
),
versions as (
    select source, sha256, min(fetched_at) as fetched_at
    from snapshots
    group by source, sha256
),
pairs as (
    select * from (
        select
            source,
            sha256 as new_snapshot,
            fetched_at as new_fetched_at,
            lag(sha256) over (partition by source order by fetched_at) as old_snapshot,
            lag(fetched_at) over (partition by source order by fetched_at) as old_fetched_at
        from versions
    )
    where old_snapshot is not null
),
added as (
    select p.source, n.model_key, n.model_name, 'added' as change, cast(null as varchar) as field,
           cast(null as varchar) as old_value, cast(null as varchar) as new_value,
           p.old_snapshot, p.new_snapshot, p.old_fetched_at, p.new_fetched_at
    from pairs as p
    join snapshots as n on n.source = p.source and n.sha256 = p.new_snapshot
    where not exists (
        select 1 from snapshots as o
        where o.source = p.source and o.sha256 = p.old_snapshot and o.model_key = n.model_key
    )
),
removed as (
    select p.source, o.model_key, o.model_name, 'removed' as change, cast(null as varchar) as field,
           cast(null as varchar) as old_value, cast(null as varchar) as new_value,
           p.old_snapshot, p.new_snapshot, p.old_fetched_at, p.new_fetched_at
    from pairs as p
    join snapshots as o on o.source = p.source and o.sha256 = p.old_snapshot
    where not exists (
        select 1 from snapshots as n
        where n.source = p.source and n.sha256 = p.new_snapshot and n.model_key = o.model_key
    )
),
kept as (
    select p.*, n.model_key, n.model_name,
        {%- for field in fields %}
        cast(o.{{ field }} as varchar) as old_{{ field }},
        cast(n.{{ field }} as varchar) as new_{{ field }}{{ "," if not loop.last }}
        {%- endfor %}
    from pairs as p
    join snapshots as o on o.source = p.source and o.sha256 = p.old_snapshot
    join snapshots as n on n.source = p.source and n.sha256 = p.new_snapshot and n.model_key = o.model_key
),
revised as (
    {%- for field in fields %}
    select source, model_key, model_name, 'revised' as change, '{{ field }}' as field,
           old_{{ field }} as old_value, new_{{ field }} as new_value,
           old_snapshot, new_snapshot, old_fetched_at, new_fetched_at
    from kept
    where old_{{ field }} is distinct from new_{{ field }}
    {{ "union all" if not loop.last }}
    {%- endfor %}
)

select * from added
union all
select * from removed
union all
select * from revised
