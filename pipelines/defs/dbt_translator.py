"""dagster-dbt's reading of the dbt project: the translator (dbt nodes to asset keys, deps, groups, code versions),
the real `@dbt_assets` definition built from dbt's `manifest.json`, and what the dbt step converts results with.

This module imports dagster-dbt, and through it dbt-core (over a second): the definitions never import it when they
load. Only `make manifest` (which writes the cache of these specs, `pipelines.defs.dbt_specs`), a load that finds
that cache stale, and the dbt step itself do.
"""

import json
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

from dagster import AssetKey, AssetsDefinition, AssetSpec, Failure, Output
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtProject, dbt_assets

from pipelines.defs.dbt_specs import DBT_PROJECT_DIR, MARTS_OP, file_digest
from pipelines.defs.versions import digest
from pipelines.layers import MARTS
from pipelines.tidy.steps import side_table_writers as tidy_side_table_writers

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


TRANSLATOR = WarehouseTranslator(
    settings=DagsterDbtTranslatorSettings(enable_asset_checks=True, enable_duplicate_source_asset_keys=True)
)


def live_dbt_assets() -> AssetsDefinition:
    """The marts as dagster-dbt defines them from `manifest.json`: what the cache holds (its body never runs; the
    definitions run `pipelines.defs.marts`' asset, built from these specs)."""

    @dbt_assets(
        manifest=DBT_PROJECT.manifest_path, project=DBT_PROJECT, dagster_dbt_translator=TRANSLATOR, name=MARTS_OP
    )
    def _specs_only() -> Iterator[Output]:
        raise NotImplementedError("the marts run through pipelines.defs.marts")
        yield  # a generator, as Dagster expects of a multi-asset without a tuple annotation

    return _specs_only


@cache
def _manifest(sha256: str) -> Mapping[str, Any]:
    data = DBT_PROJECT.manifest_path.read_bytes()
    if file_digest(data) != sha256:
        raise Failure(
            description=f"dbt's manifest changed since the definitions loaded ({DBT_PROJECT.manifest_path}): reload "
            "the code location (or rerun the command) so the assets and the build agree."
        )
    return json.loads(data)


def dbt_translation(manifest_sha256: str) -> tuple[Mapping[str, Any], WarehouseTranslator, DbtProject]:
    """dbt's manifest (the one the definitions were built from, by its sha256), the translator and the project: what
    dagster-dbt's selection and event conversion read, which in a `@dbt_assets` step they take from its metadata."""
    return _manifest(manifest_sha256), TRANSLATOR, DBT_PROJECT
