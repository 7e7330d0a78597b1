-- Values the tidy layer set to null (unparseable or implausible), by source, column and reason: nothing is dropped
-- silently.
-- Run: duckdb -readonly data/warehouse.duckdb < sql/queries/rejected_values.sql
select source, column_name, reason, count(*) as n, any_value(raw_value) as example
from marts.rejected_values
group by all
order by n desc;
