{{ config(materialized="view") }}
-- Every distinct file pulled of every source, loaded or rejected by the guards, with its rows, the columns it added
-- or removed against the source's previous file, and the publisher's Last-Modified date of its download. The latest
-- loaded file of each source is the one its raw table holds: pages cite it as their provenance.
select
    v.source,
    v.sha256,
    v.url,
    v.bytes,
    v.rows,
    v.fetched_at,
    v.status,
    v.reason as rejected_because,
    v.added_columns,
    v.removed_columns,
    (
        select arg_max(f.last_modified, f.fetched_at)
        from {{ source('ops', 'fetch_log') }} as f
        where f.source = v.source and f.sha256 = v.sha256 and f.last_modified is not null
    ) as last_modified,
    v.status = 'loaded' and row_number() over (
        partition by v.source, v.status = 'loaded' order by v.fetched_at desc
    ) = 1 as is_held
from {{ source('ops', 'source_versions') }} as v
order by v.source, v.fetched_at
