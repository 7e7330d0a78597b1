"""The marts the definitions load from the cache (`pipelines.defs.dbt_specs`) are what dagster-dbt's `@dbt_assets`
builds from dbt's manifest with the project's translator: the same op, keys, deps, descriptions, groups, code
versions, tags, metadata and checks. Only dagster-dbt's live objects (manifest, translator, project) are left out.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from dagster import AssetCheckSpec, AssetSpec

import pipelines.defs.dbt_specs as dbt_specs
from pipelines.defs.dbt_specs import LIVE_ONLY, MANIFEST_FILE, file_digest, portable, read_cache, specs_of


def comparable(spec: AssetSpec) -> AssetSpec:
    """`spec` without dagster-dbt's live objects, its deps in key order (dagster-dbt lists them in set order)."""
    deps = sorted(spec.deps, key=lambda dep: dep.asset_key.to_user_string())
    return spec._replace(metadata=portable(spec.metadata), deps=deps)


def by_key(specs: list[AssetSpec] | list[AssetCheckSpec]) -> dict:
    return {spec.key: comparable(spec) if isinstance(spec, AssetSpec) else spec for spec in specs}


@pytest.fixture(scope="module")
def live() -> dbt_specs.MartsSpecs:
    from pipelines.defs.dbt_translator import live_dbt_assets

    return specs_of(live_dbt_assets(), file_digest(MANIFEST_FILE.read_bytes()))


def test_the_cached_specs_are_the_ones_dagster_dbt_builds(live: dbt_specs.MartsSpecs) -> None:
    cached = read_cache()
    assert cached is not None, "make manifest writes the cache"
    assert (
        (cached.op_name, cached.op_tags)
        == (live.op_name, live.op_tags)
        == ("dbt_marts", {"dagster_dbt/select": "fqn:*"})
    )
    assert by_key(cached.specs) == by_key(live.specs)
    assert by_key(cached.check_specs) == by_key(live.check_specs)
    assert len(cached.specs) > 10 and len(cached.check_specs) > 40
    assert all(set(LIVE_ONLY) <= set(spec.metadata) for spec in live.specs)  # what is left out, and only that


def test_the_definitions_run_the_cached_specs(live: dbt_specs.MartsSpecs) -> None:
    from pipelines.defs.marts import dbt_marts

    assert dbt_marts.node_def.name == live.op_name and dict(dbt_marts.node_def.tags) == live.op_tags
    assert by_key(list(dbt_marts.specs)) == by_key(live.specs)
    assert by_key(list(dbt_marts.check_specs)) == by_key(live.check_specs)
    assert dbt_marts.can_subset


def test_a_stale_cache_is_built_again_and_written(live: dbt_specs.MartsSpecs, tmp_path: Path) -> None:
    cache_file = tmp_path / "dagster_specs.json"
    loaded = dbt_specs.load_marts_specs(cache_file)  # no file yet: built live
    assert cache_file.is_file()
    assert read_cache(cache_file) == loaded
    assert by_key(loaded.specs) == by_key(live.specs)
