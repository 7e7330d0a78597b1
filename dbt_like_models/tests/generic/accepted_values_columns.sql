{#- Each column of `columns` (a mapping: column -> accepted values) holds only its values; nulls pass, as in dbt's
    accepted_values. A string value is quoted and a number is not (dbt's `quote: false`). One test per model
    instead of one per column; a failing row names the column, the row's `key` (an expression) and the value. -#}
{% test accepted_values_columns(model, key, columns) %}
with checked as (
    select * from {{ model }}
)
{%- for column, values in columns.items() %}
select '{{ column }}' as column_name, cast({{ key }} as varchar) as row_key, cast({{ column }} as varchar) as value
from checked
where {{ column }} not in (
    {%- for value in values -%}
        {{ "'" ~ value ~ "'" if value is string else value }}{{ ", " if not loop.last }}
    {%- endfor -%}
)
{{ "union all" if not loop.last }}
{%- endfor %}
{% endtest %}
