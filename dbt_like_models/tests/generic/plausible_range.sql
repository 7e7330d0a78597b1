{#- Numbers inside the range the plausible_ranges seed gives for (rules, rule_column or the column): the bound the
    tidy layer rejects by (pipelines/tidy/plausibility.py), so this fails only on a bug. Nulls pass; a column the
    seed has no numeric rule for fails, so a test can never check against a bound Python does not apply.
    The model is read in a CTE so that a test's `where` config (an aliased subquery) works. -#}
{% test plausible_range(model, column_name, rules, rule_column=none) %}
with checked as (
    select * from {{ model }}
),
rule as (
    select try_cast(min_value as double) as low, try_cast(max_value as double) as high, unit
    from {{ plausible_ranges_relation() }}
    where source = '{{ rules }}' and column_name = '{{ rule_column or column_name }}' and unit <> 'date'
)
select cast(m.{{ column_name }} as varchar) as value, 'outside ' || r.low || ' to ' || r.high || ' ' || r.unit as problem
from checked as m, rule as r
where m.{{ column_name }} < r.low or m.{{ column_name }} > r.high
union all
select null, 'plausible_ranges has no single numeric rule for {{ rules }}.{{ rule_column or column_name }}'
where (select count(*) from rule) <> 1
{% endtest %}
