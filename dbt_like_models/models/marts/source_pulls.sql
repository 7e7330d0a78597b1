{{ config(materialized="view") }}
-- Every pull of every source: when, what came back (downloaded / unchanged / not modified / failed), the sha256 of
-- the file and, for new files, whether the guards loaded or rejected it.
with pulls as (
    select
        source,
        url,
        requested_url,
        fetched_at,
        outcome,
        status as http_status,
        sha256,
        bytes,
        last_modified,
        error,
        attempt
    from {{ source('ops', 'fetch_log') }}
    where requested_url not like '%metadata.json%'
      and outcome <> 'retried'
)

select
    p.source,
    p.fetched_at,
    p.outcome,
    p.http_status,
    p.sha256,
    p.bytes,
    p.last_modified,
    p.attempt as attempts,
    v.status as load_status,
    v.rows,
    v.reason as rejected_because,
    p.error,
    p.url
from pulls as p
left join {{ source('ops', 'source_versions') }} as v
    on v.source = p.source and v.sha256 = p.sha256 and p.outcome = 'downloaded'
order by p.source, p.fetched_at
