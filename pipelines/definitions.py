"""The Dagster code location: every asset, check, job and schedule, wired to the `SCALING_*` settings.

`dagster dev`, every run launched from the UI and every sensor evaluation load it, so it loads only what the
definitions need: the marts from their cached dbt specs (`pipelines.defs.dbt_specs`), the pages' declarations
without their code; dbt, Altair and SciPy are imported by the steps that use them.
"""

from __future__ import annotations

from pipelines.defs.build import build_definitions, load

__all__ = ["build_definitions", "defs", "load"]


defs = load()
