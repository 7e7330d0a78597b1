"""Marts: the dbt project in `dbt_like_models/`, each dbt model its own asset and each dbt test an asset check."""

from collections.abc import Iterator, Mapping
from typing import Any

from dagster import AssetExecutionContext, AssetKey, AssetSpec
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtProject, dbt_assets
from dagster_duckdb import DuckDBResource

from pipelines.defs.dbt_inprocess import DbtBuildResource, DbtEvent
from pipelines.defs.resources import PathsResource, warehouse_connection
from pipelines.defs.versions import digest
from pipelines.layers import RAW
from pipelines.settings import PROJECT_ROOT

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_like_models"
DBT_PROJECT = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


# The `ops` tables dbt reads, by the asset that writes them (fetch bookkeeping is external: every raw asset).
OPS_TABLE_WRITERS = {"model_snapshots": AssetKey(["tidy", "models"])}
# `tidy` tables written beside another tidy table, by the asset that writes them.
TIDY_SIDE_TABLE_WRITERS = {"unmatched_model_versions": AssetKey(["tidy", "scores"])}
OPS_TABLES = [
    AssetSpec(
        ["ops", "fetch_log"],
        group_name=RAW,
        description="ops.fetch_log: one row per download attempt, written by every raw asset.",
    ),
    AssetSpec(
        ["ops", "source_versions"],
        group_name=RAW,
        description="ops.source_versions: one row per new file pulled, loaded or rejected by the guards.",
    ),
]


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
    """dbt models become `<schema>/<name>` assets in the `marts` group; dbt sources keep `tidy/<table>`, and the
    `ops` and `trends` sources map to the assets that write them."""

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: DbtProject | None) -> AssetSpec:
        spec = super().get_asset_spec(manifest, unique_id, project)
        props = self.get_resource_props(manifest, unique_id)
        if props.get("resource_type") in ("model", "seed", "snapshot"):
            return spec.replace_attributes(
                key=AssetKey([props["schema"], props["name"]]),
                group_name="marts",
                code_version=model_code_version(manifest, props),
            )
        if props.get("resource_type") == "source" and props.get("source_name") == "ops":
            return spec.replace_attributes(key=OPS_TABLE_WRITERS.get(props["name"], AssetKey(["ops", props["name"]])))
        if props.get("source_name") == "tidy" and props["name"] in TIDY_SIDE_TABLE_WRITERS:
            return spec.replace_attributes(key=TIDY_SIDE_TABLE_WRITERS[props["name"]])
        if props.get("resource_type") == "source" and props.get("source_name") == "trends":
            # a table the trend stage writes (trends.model_costs): the mart reading it waits for its Python asset
            return spec.replace_attributes(key=AssetKey(["trends", props["name"]]))
        return spec


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
