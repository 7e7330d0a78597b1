"""The tidy layer: Polars turns the raw text tables into typed tables with explicit units.

Reads: `raw.*`; the dbt seeds `plausible_ranges.csv` and `model_source_priority.csv` and `benchmarks.yaml`, as files.
Writes: `tidy.models`, `compute`, `params`, `tokens`, `cost`, `hardware`, `scores`, `owid_series`, `inference_prices`,
`inference_scores`, `eval_tokens`; the side tables `tidy.unmatched_model_versions`, `ops.rejected_values` (every value
set to null, with its reason) and `ops.model_snapshots` (`pipelines.layers.SIDE_TABLES` names their writers).
One module per source family (`models`, `hardware`, `benchmarks`, `owid`, `inference`), plus `keys` (the model key
every join uses) and `plausibility` (the seed's ranges). No Dagster here: `pipelines/defs/tidy.py` wires the assets.
"""
