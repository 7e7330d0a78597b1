"""The trends layer: the fits behind `trends.*`, one module per analysis, on frames read from the marts.

Reads: `marts.*`, never the tidy or raw tables (`tests/unit/test_marts_boundary.py`); earlier `trends.*` tables (the
costs, the headline tables' previous build).
Writes: `trends.*`, each table with a blocking contract check. Each module declares its tables in `STEPS`
(`steps.TrendStep`: what it reads, each table's `TableContract`, its build); `pipelines/defs/trends.py` makes an asset
of each step. `steps.contracts()` gives every table's contract.
Modules: `fits` (log-linear OLS, bootstrap CIs, breakpoints, logistic curves), `inputs` (compute, parameters, tokens,
cost per year), `efficiency`, `costs`, `benchmarks`, `pooled`, `capabilities` (ECI, METR), `thresholds`, `forecasts`,
`headlines`, `inference_prices`, `test_time`, `checks` (the contract rules), `steps` (steps, `run_step`). No Dagster
here.
"""
