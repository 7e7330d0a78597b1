-- Every pull of every source: outcome (downloaded / not_modified / unchanged / failed), sha256, and whether the
-- guards loaded or rejected a new file (with the reason).
-- Run: duckdb -readonly data/warehouse.duckdb < sql/queries/source_pulls.sql
select source, fetched_at, outcome, http_status, load_status, rows, left(sha256, 16) as sha256, rejected_because, error
from marts.source_pulls
order by fetched_at desc, source
limit 50;
