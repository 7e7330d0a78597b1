-- The file each source's raw table holds now (the last file the guards loaded, never one they rejected): its sha256,
-- rows, size, the publisher's Last-Modified date and when it was fetched. The pages cite the same rows.
-- Run: duckdb -readonly data/warehouse.duckdb < sql/queries/source_snapshots.sql
select source, sha256, rows, bytes, last_modified, fetched_at
from marts.source_files
where is_held
order by source;
