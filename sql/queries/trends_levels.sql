-- trends.levels: the level of each input metric by publication year (median, quartiles, geometric mean, n), here
-- tokens per parameter of notable language models against Chinchilla's compute-optimal ~20.
-- Run: duckdb -readonly data/warehouse.duckdb < sql/queries/trends_levels.sql
select year, n, round(median, 1) as median, round(p25, 1) as p25, round(p75, 1) as p75
from trends.levels
where metric = 'tokens_per_parameter' and subset = 'notable' and year >= 2017
order by year;
