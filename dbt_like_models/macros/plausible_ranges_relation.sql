{#- The table of the plausible_ranges seed, named without ref(): a ref would make the seed a parent of every
    plausible_columns test, and `dbt build` (eager indirect selection) would then run the marts' tests
    in the seed's own step, before those marts are built. The marts these tests read name the seed in a
    `-- depends_on:` comment instead (benchmark_scores through marts.models), so it is always built before them. -#}
{% macro plausible_ranges_relation() -%}
    {%- if execute -%}
        {%- set seed = graph.nodes['seed.' ~ project_name ~ '.plausible_ranges'] -%}
        {{ api.Relation.create(database=seed.database, schema=seed.schema, identifier=seed.alias) }}
    {%- else -%}
        plausible_ranges
    {%- endif -%}
{%- endmacro %}
