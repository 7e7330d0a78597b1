-- What did Epoch revise since last month? Models added, removed and estimates revised between pulls.
-- Change the interval to look further back. Old and new values are text (dates and numbers alike).
-- Run: duckdb -readonly data/warehouse.duckdb < sql/queries/revisions_since.sql
select
    source,
    change,
    field,
    model_name,
    old_value,
    new_value,
    old_fetched_at::date as old_pull,
    new_fetched_at::date as new_pull
from marts.model_history
where new_fetched_at >= now() - interval 1 month
order by new_fetched_at desc, source, change, model_name, field;
