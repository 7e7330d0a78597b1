{#- Which Epoch file wins when several describe a model: the most curated first (see pipelines/tidy/models.py). -#}
{% macro source_priority(column) -%}
    case {{ column }}
        when 'notable_models' then 1
        when 'frontier_models' then 2
        when 'large_scale_models' then 3
        when 'all_models' then 4
        else 9
    end
{%- endmacro %}
