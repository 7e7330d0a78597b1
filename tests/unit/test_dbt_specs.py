"""The cache of the marts' specs (`pipelines.defs.dbt_specs`): read back as written, and refused once the manifest it
was written for has changed, so a load never defines marts from an older dbt project."""

from __future__ import annotations

from pathlib import Path

from dagster import AssetCheckSpec, AssetDep, AssetKey, AssetSpec, TableColumn, TableSchema

from pipelines.defs.dbt_specs import MartsSpecs, cache_key, encode, file_digest, read_cache

MODEL = AssetKey(["marts", "models"])
SPEC = AssetSpec(
    MODEL,
    deps=[AssetDep(AssetKey(["tidy", "models"]), metadata={"dagster/table_name": "warehouse.tidy.models"})],
    description="One row per model.",
    metadata={"dagster_dbt/unique_id": "model.p.models", "dagster/column_schema": TableSchema([TableColumn("k")])},
    group_name="marts",
    code_version="abc",
    kinds={"dbt", "duckdb"},
    skippable=True,
)
CHECK = AssetCheckSpec(
    "unique_models_model_key",
    asset=MODEL,
    blocking=True,
    additional_deps=[AssetKey(["marts", "hardware"])],
    metadata={"dagster_dbt/unique_id": "test.p.unique_models_model_key"},
)


def written(tmp_path: Path, manifest: bytes) -> tuple[Path, Path, MartsSpecs]:
    """A manifest file and a cache written for it."""
    manifest_file, cache_file = tmp_path / "manifest.json", tmp_path / "dagster_specs.json"
    manifest_file.write_bytes(manifest)
    sha = file_digest(manifest)
    marts = MartsSpecs("dbt_marts", {"dagster_dbt/select": "fqn:*"}, [SPEC], [CHECK], sha)
    cache_file.write_text(encode(marts, cache_key(sha)), encoding="utf-8")
    return cache_file, manifest_file, marts


def test_the_cache_reads_back_the_specs_it_was_written_with(tmp_path: Path) -> None:
    cache_file, manifest_file, marts = written(tmp_path, b'{"nodes": {}}')
    assert read_cache(cache_file, manifest_file) == marts


def test_a_changed_manifest_makes_the_cache_stale(tmp_path: Path) -> None:
    cache_file, manifest_file, _ = written(tmp_path, b'{"nodes": {}}')
    manifest_file.write_bytes(b'{"nodes": {"model.p.hardware": {}}}')  # `dbt parse` after a yml edit
    assert read_cache(cache_file, manifest_file) is None


def test_a_missing_or_broken_cache_is_stale(tmp_path: Path) -> None:
    cache_file, manifest_file, _ = written(tmp_path, b"{}")
    cache_file.write_text(cache_file.read_text(encoding="utf-8")[:100], encoding="utf-8")  # cut short
    assert read_cache(cache_file, manifest_file) is None
    assert read_cache(tmp_path / "absent.json", manifest_file) is None
