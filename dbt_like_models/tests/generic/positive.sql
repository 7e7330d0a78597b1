{#- Physical quantities (FLOP, parameters, tokens, dollars) are strictly positive where present. -#}
{% test positive(model, column_name) %}
select * from {{ model }} where {{ column_name }} is not null and not ({{ column_name }} > 0)
{% endtest %}
