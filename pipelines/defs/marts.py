"""Marts: the dbt project in `dbt_like_models/`, each dbt model its own asset and each dbt test an asset check."""

from collections.abc import Iterator, Mapping
from typing import Any

from dagster import AssetExecutionContext, AssetKey, AssetSpec
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtProject, dbt_assets
from dagster_duckdb import DuckDBResource

from pipelines.defs.dbt_inprocess import DbtBuildResource, DbtEvent
from pipelines.defs.resources import PathsResource, warehouse_connection
from pipelines.defs.versions import digest
from pipelines.layers import MARTS
from pipelines.settings import PROJECT_ROOT
from pipelines.tidy.steps import side_table_writers as tidy_side_table_writers

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_like_models"
DBT_PROJECT = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def side_table_writers(table: str) -> list[AssetKey]:
    """The assets that write a side table, empty for a table that is an asset of its own."""
    return [AssetKey(list(writer)) for writer in tidy_side_table_writers(table)]


def model_code_version(manifest: Mapping[str, Any], props: Mapping[str, Any]) -> str:
    """A model's SQL, the text of this project's macros it calls (the source-priority rule, say) and the nodes it
    reads: dagster-dbt's default hashes the SQL alone, so an edited macro would leave its models looking fresh."""
    depends = props.get("depends_on", {})
    macros = manifest.get("macros", {})
    texts = [props.get("raw_code") or props.get("checksum", {}).get("checksum", "")]
    texts += [macros[m].get("macro_sql", "") for m in sorted(depends.get("macros", [])) if m in macros]
    texts += sorted(depends.get("nodes", []))
    return digest(texts)


class WarehouseTranslator(DagsterDbtTranslator):
    """dbt models become `<schema>/<name>` assets in the `marts` group; dbt sources keep `tidy/<table>`, and a side
    table maps to the assets that write it, so a model reading one waits for every writer."""

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None) -> AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        if props.get("resource_type") in ("model", "seed", "snapshot"):
            return spec.replace_attributes(
                key=AssetKey([props["schema"], props["name"]]),
                group_name=MARTS,
                code_version=model_code_version(manifest, props),
            ).merge_attributes(deps=self.side_table_deps(manifest, props, spec))
        writers = side_table_writers(f"{props.get('source_name')}.{props['name']}")
        if props.get("resource_type") == "source" and writers:
            return spec.replace_attributes(key=writers[0])
        return spec

    @staticmethod
    def side_table_deps(manifest: Mapping[str, Any], props: Mapping[str, Any], spec: AssetSpec) -> list[AssetKey]:
        """Every writer of the side tables the model reads, beyond the one its source maps to."""
        sources = manifest.get("sources", {})
        have = {dep.asset_key for dep in spec.deps}
        deps: list[AssetKey] = []
        for node in props.get("depends_on", {}).get("nodes", []):
            if node in sources:
                table = f"{sources[node]['source_name']}.{sources[node]['name']}"
                deps += [key for key in side_table_writers(table) if key not in have and key not in deps]
        return deps


@dbt_assets(
    manifest=DBT_PROJECT.manifest_path,
    project=DBT_PROJECT,
    dagster_dbt_translator=WarehouseTranslator(
        settings=DagsterDbtTranslatorSettings(enable_asset_checks=True, enable_duplicate_source_asset_keys=True)
    ),
)
def dbt_marts(
    context: AssetExecutionContext, dbt: DbtBuildResource, paths: PathsResource, warehouse: DuckDBResource
) -> Iterator[DbtEvent]:
    """`dbt build` of the step's models and their tests, in dependency order, into the `marts` schema."""
    # the views over the ops bookkeeping need its tables, which a run that pulled nothing has not created yet; the
    # connection closes before dbt opens the file (one DuckDB configuration, one holder at a time)
    with warehouse_connection(warehouse):
        pass
    yield from dbt.build(context, paths)


def dbt_resource() -> DbtBuildResource:
    return DbtBuildResource(project_dir=str(DBT_PROJECT_DIR), profiles_dir=str(DBT_PROJECT_DIR))
