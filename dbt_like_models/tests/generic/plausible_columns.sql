{#- Every value of `numbers` and `dates` inside the range the plausible_ranges seed gives for it: the bound the tidy
    layer rejects by (pipelines/tidy/plausibility.py), so this fails only on a bug. One test per model instead of
    one per column (each dbt test is a Dagster check, and each check costs the build its own events).
    An entry is a column, whose rule is (`rules`, the column), or a mapping: `column`, and optionally `rules` and
    `rule_column` naming another rule, and `where`, a condition on the model's rows that the rule applies to.
    A number lies in [min_value, max_value]; a date from min_value to the build date plus max_value's margin
    (`fetched_at + 1 year`) and a day for time zones (the tidy layer counts the margin from the file's pull, which
    is earlier). Nulls pass. A column the seed has no single rule of its kind for (date or not) fails, so a test can
    never check against a bound Python does not apply.
    A failing row names the column, the row's `key` (an expression), the value and the range it is outside. -#}
{% test plausible_columns(model, key, rules, numbers=[], dates=[]) %}
{%- set checks = [] %}
{%- for kind, entries in [("number", numbers), ("date", dates)] %}
    {%- for entry in entries %}
        {%- set entry = {"column": entry} if entry is string else entry %}
        {%- do checks.append({
            "is_date": kind == "date",
            "column": entry.column,
            "rule": (entry.get("rules", rules), entry.get("rule_column", entry.column)),
            "where": entry.get("where"),
        }) %}
    {%- endfor %}
{%- endfor %}
with checked as (
    select * from {{ model }}
)
{%- for check in checks %},
rule_{{ loop.index }} as (
    {%- if check.is_date %}
    select
        cast(min_value as date) as earliest,
        cast(current_date + cast(replace(max_value, 'fetched_at + ', '') as interval) + interval 1 day as date)
            as latest
    {%- else %}
    select try_cast(min_value as double) as low, try_cast(max_value as double) as high, unit as range_unit
    {%- endif %}
    from {{ plausible_ranges_relation() }}
    where source = '{{ check.rule[0] }}' and column_name = '{{ check.rule[1] }}'
        and unit {{ "=" if check.is_date else "<>" }} 'date'
)
{%- endfor %}
{%- for check in checks %}
{%- set rows = "(select * from checked where " ~ check.where ~ ")" if check.where else "checked" %}
select
    '{{ check.column }}' as column_name,
    cast({{ key }} as varchar) as row_key,
    cast(m.{{ check.column }} as varchar) as value,
    {%- if check.is_date %}
    'outside ' || r.earliest || ' to ' || r.latest as problem
from {{ rows }} as m, rule_{{ loop.index }} as r
where m.{{ check.column }} < r.earliest or m.{{ check.column }} > r.latest
    {%- else %}
    'outside ' || r.low || ' to ' || r.high || ' ' || r.range_unit as problem
from {{ rows }} as m, rule_{{ loop.index }} as r
where m.{{ check.column }} < r.low or m.{{ check.column }} > r.high
    {%- endif %}
union all
select
    '{{ check.column }}', null, null,
    'plausible_ranges has no single {{ "date" if check.is_date else "numeric" }} rule for {{ check.rule | join(".") }}'
where (select count(*) from rule_{{ loop.index }}) <> 1
{{ "union all" if not loop.last }}
{%- endfor %}
{% endtest %}
