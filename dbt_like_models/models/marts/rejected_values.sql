{{ config(materialized="view") }}
-- Every value the tidy layer set to null, with the raw text, the reason (unparseable, implausible, ...), the file's
-- row number and the sha256 of the file it came from.
select source, column_name, row_number, raw_value, reason, snapshot_sha256
from {{ source('ops', 'rejected_values') }}
order by source, column_name, row_number
