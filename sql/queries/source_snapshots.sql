-- Which file of each source the warehouse holds: last good fetch, its sha256 and when it was fetched.
-- Run: duckdb -readonly data/warehouse.duckdb < sql/queries/source_snapshots.sql
select source, outcome, sha256, bytes, last_modified, fetched_at
from ops.fetch_log
where outcome in ('downloaded', 'unchanged', 'not_modified') and requested_url not like '%metadata.json%'
qualify row_number() over (partition by source order by fetched_at desc, attempt desc) = 1
order by source;
