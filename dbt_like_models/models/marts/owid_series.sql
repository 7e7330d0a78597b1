-- One row per OWID chart, entity, date (or year) and variable, with petaFLOP values also in FLOP.
select
    chart,
    entity,
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
