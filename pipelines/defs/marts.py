"""Marts: the dbt project in `dbt_like_models/`, each dbt model its own asset and each dbt test an asset check.

The asset is dagster-dbt's `@dbt_assets` definition rebuilt from its cached specs (`pipelines.defs.dbt_specs`):
the same op, keys, deps, code versions and checks, without importing dagster-dbt and dbt-core when the definitions
load. The step imports them: dagster-dbt picks the step's dbt selection and converts dbt's results
(`pipelines.defs.dbt_inprocess`), reading the manifest and translator that `@dbt_assets` would keep in its metadata.
"""

from collections.abc import Iterator

from dagster import AssetExecutionContext, AssetsDefinition, multi_asset
from dagster_duckdb import DuckDBResource

from pipelines.defs.dbt_inprocess import DbtBuildResource, DbtEvent
from pipelines.defs.dbt_specs import DBT_PROJECT_DIR, MartsSpecs, load_marts_specs
from pipelines.defs.resources import PathsResource, warehouse_connection


def marts_asset(marts: MartsSpecs) -> AssetsDefinition:
    """The multi-asset `@dbt_assets` makes of `marts` (subsettable; checks may target a dbt source's asset)."""

    @multi_asset(
        name=marts.op_name,
        specs=marts.specs,
        check_specs=marts.check_specs,
        can_subset=True,
        op_tags=marts.op_tags,
        allow_arbitrary_check_specs=True,
    )
    def dbt_marts(
        context: AssetExecutionContext, dbt: DbtBuildResource, paths: PathsResource, warehouse: DuckDBResource
    ) -> Iterator[DbtEvent]:
        """`dbt build` of the step's models and their tests, in dependency order, into the `marts` schema."""
        # the views over the ops bookkeeping need its tables, which a run that pulled nothing has not created yet;
        # the connection closes before dbt opens the file (one DuckDB configuration, one holder at a time)
        with warehouse_connection(warehouse):
            pass
        yield from dbt.build(context, paths, marts.manifest_sha256)

    return dbt_marts


dbt_marts = marts_asset(load_marts_specs())


def dbt_resource() -> DbtBuildResource:
    return DbtBuildResource(project_dir=str(DBT_PROJECT_DIR), profiles_dir=str(DBT_PROJECT_DIR))
