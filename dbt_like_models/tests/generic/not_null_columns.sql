{#- No null in any of `columns`: one test per model instead of one per column (each dbt test is a Dagster check,
    and each check costs the build its own events). A failing row names the column and the row's `key` (an
    expression), so dbt's "Got N results" counts the null values, and the compiled SQL lists them. -#}
{% test not_null_columns(model, key, columns) %}
with checked as (
    select * from {{ model }}
)
{%- for column in columns %}
select '{{ column }}' as column_name, cast({{ key }} as varchar) as row_key
from checked
where {{ column }} is null
{{ "union all" if not loop.last }}
{%- endfor %}
{% endtest %}
