{#- Dates inside the range the plausible_ranges seed gives for (rules, rule_column or the column): from min_value to
    the build date plus max_value's margin (`fetched_at + 1 year`) and a day for time zones. The tidy layer counts
    the margin from the file's pull, which is earlier, so this fails only on a bug. Nulls pass; a column the seed has
    no date rule for fails.
    The model is read in a CTE so that a test's `where` config (an aliased subquery) works. -#}
{% test plausible_date(model, column_name, rules, rule_column=none) %}
with checked as (
    select * from {{ model }}
),
rule as (
    select
        cast(min_value as date) as earliest,
        cast(current_date + cast(replace(max_value, 'fetched_at + ', '') as interval) + interval 1 day as date)
            as latest
    from {{ plausible_ranges_relation() }}
    where source = '{{ rules }}' and column_name = '{{ rule_column or column_name }}' and unit = 'date'
)
select cast(m.{{ column_name }} as varchar) as value, 'outside ' || r.earliest || ' to ' || r.latest as problem
from checked as m, rule as r
where m.{{ column_name }} < r.earliest or m.{{ column_name }} > r.latest
union all
select null, 'plausible_ranges has no single date rule for {{ rules }}.{{ rule_column or column_name }}'
where (select count(*) from rule) <> 1
{% endtest %}
