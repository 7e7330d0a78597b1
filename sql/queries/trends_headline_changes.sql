-- trends.headline_changes: each headline growth rate of the index against the previously published build. moved is
-- true when the estimate shifted by more than the previous 90% CI's width (compared as log10 of the growth factor,
-- OOM/yr, for trends.fits rows; in index units per year for ECI and METR), the window end moved by more than a year,
-- or the fit gained or lost its number; input_changes names the input rows added (+), removed (-) or changed (~).
-- Run: duckdb -readonly data/warehouse.duckdb < sql/queries/trends_headline_changes.sql
select
    label,
    subset,
    moved,
    round(previous_estimate, 3) as previous_estimate,
    round(estimate, 3) as estimate,
    unit,
    previous_window_end,
    window_end,
    reasons,
    rows_added,
    rows_removed,
    rows_changed,
    input_changes
from trends.headline_changes
order by moved desc, headline;
