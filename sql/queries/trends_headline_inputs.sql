-- trends.headline_inputs: the rows each headline fit was fitted on (model, chip or release; date; value), kept so
-- that the next build can name the rows that moved a headline.
-- Run: duckdb -readonly data/warehouse.duckdb < sql/queries/trends_headline_inputs.sql
select headline, count(*) as n, min(date) as first_date, max(date) as last_date, any_value(unit) as unit
from trends.headline_inputs
group by headline
order by headline;
