-- Every table and view of the warehouse with what it holds (its comment, written when the table is built: the
-- source's description for raw, the step's for tidy and trends, the dbt description for marts), its rows and columns.
-- Columns of the marts carry their own comments: select column_name, comment from duckdb_columns()
-- where schema_name = 'marts' and table_name = 'models'.
-- Run: duckdb -readonly data/warehouse.duckdb < sql/queries/tables.sql
select schema_name as schema, table_name as "table", 'table' as kind, estimated_size as rows, column_count as columns,
       comment
from duckdb_tables()
where schema_name in ('raw', 'tidy', 'marts', 'trends', 'ops')
union all
select schema_name, view_name, 'view', null, null, comment
from duckdb_views()
where not internal and schema_name in ('raw', 'tidy', 'marts', 'trends', 'ops')
order by
    case schema when 'raw' then 1 when 'tidy' then 2 when 'marts' then 3 when 'trends' then 4 else 5 end, "table";
