"""Dagster definitions, one module per stage: ingest, tidy, marts (dbt), trends, reports, automation."""
