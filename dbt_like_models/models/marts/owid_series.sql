-- One row per OWID chart, entity, date (or year) and variable, with petaFLOP values also in FLOP.
-- depends_on: {{ ref('plausible_ranges') }} (the seed this mart's plausible_columns test reads)
select
    chart,
    entity,
    model_key,
    date,
    year,
    domain,
    variable,
    value,
    unit,
    case when unit = 'petaFLOP' then value * 1e15 end as value_flop,
    row_number,
    snapshot_sha256
from {{ source('tidy', 'owid_series') }}
