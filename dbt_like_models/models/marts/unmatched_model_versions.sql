-- One row per benchmark file and model version that ECI maps to no model name.
select member, model_version from {{ source('tidy', 'unmatched_model_versions') }}
