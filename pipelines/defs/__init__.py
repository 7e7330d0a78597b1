"""The Dagster wiring, one module per layer (`raw`, `tidy`, `marts`, `trends`, `reports`), plus `automation` (jobs,
schedule, sensors), `resources` and `versions` (each asset's code version).

Reads: the layers' code. Writes nothing itself: each asset calls its layer's plain-Python code on the run's working copy
(`resources.WarehouseResource`). Writes: Dagster's event log (materializations, checks) in `DAGSTER_HOME`.
"""
