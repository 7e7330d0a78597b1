"""The run machinery: how a build is run and published, whoever starts it.

Reads: the published warehouse, the Dagster instance (`DAGSTER_HOME`), `data/raw`.
Writes: the working copy `<warehouse>.building`, the writer lock, the intent file, the published warehouse (atomic
swap) and `ops.published_runs`; the unchanged-refresh stamp.
Modules: `cli` (`python -m pipelines refresh | rebuild | status`), `publish` (lock, working copy, swap), `freshness`
(what a refresh rebuilds), `unchanged` (the refresh that finds nothing new, without Dagster), `workers` (the worker
processes), `speed` (`make bench`), and `dagster.yaml` (the instance settings).
"""
