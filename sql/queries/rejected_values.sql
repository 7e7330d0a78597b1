-- Values that failed to parse, by source, column and reason (nothing is dropped silently).
-- Run: duckdb -readonly data/warehouse.duckdb < sql/queries/rejected_values.sql
select source, column_name, reason, count(*) as n, any_value(raw_value) as example
from ops.rejected_values
group by all
order by n desc;
