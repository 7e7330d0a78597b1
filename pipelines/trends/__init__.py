"""The analyses behind `trends.*`, one module each, on frames read from the marts and tidy tables.

inputs (growth of compute, parameters, tokens, cost; levels; breakpoints), efficiency (hardware and cost per FLOP;
the compute = spending × FLOP-per-dollar check), costs (imputed training cost), benchmarks (score vs resources and vs
time; per dollar vs per year), thresholds (least compute reaching a score), forecasts (extrapolated dates).
Nothing here imports Dagster: `pipelines/defs/trends.py` reads the warehouse, calls these and writes the tables.
"""
