"""The marts' asset and check specs as dagster-dbt translates dbt's manifest, kept in a file so that the definitions
load without importing dagster-dbt and dbt-core (1.4 s of the 4.9 s a load took).

`make manifest` runs `dbt parse`, then this module (`python -m pipelines.defs.dbt_specs`): it builds the real
`@dbt_assets` definition (`pipelines.defs.dbt_translator.live_dbt_assets`, dagster-dbt and the project's translator)
and writes its output to `dbt_like_models/target/dagster_specs.json`: every asset spec (key, deps, description,
group, code version, tags and kinds, metadata) and check spec (asset, blocking, description, additional deps), each
with the dbt unique_id the step selects it by, and the op's name and tags. Only the metadata values that are live
dagster-dbt objects (the manifest, the translator, the project) are left out.

The file is keyed by the sha256 of `manifest.json`, of the translator's code, of what it maps side tables to, and of
the dagster and dagster-dbt releases. A load that finds it stale or missing builds the specs live (the old, slow
path, importing dagster-dbt) and writes the file again, so only that one load is slow.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

from dagster import AssetCheckSpec, AssetDep, AssetsDefinition, AssetSpec, deserialize_value, serialize_value

from pipelines.defs.versions import digest
from pipelines.layers import SIDE_TABLES
from pipelines.settings import PROJECT_ROOT
from pipelines.tidy.steps import side_table_writers

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_like_models"
MANIFEST_FILE = DBT_PROJECT_DIR / "target" / "manifest.json"  # `dbt parse`'s, which dagster-dbt reads
CACHE_FILE = DBT_PROJECT_DIR / "target" / "dagster_specs.json"
MARTS_OP = "dbt_marts"
FORMAT = 1
# the code the translation depends on beyond the manifest (side-table writers and releases: see `cache_key`)
TRANSLATOR_FILES = (
    "pipelines/defs/dbt_translator.py",
    "pipelines/defs/dbt_specs.py",
    "pipelines/defs/versions.py",
    "pipelines/layers.py",
)
LIVE_ONLY = ("dagster_dbt/manifest", "dagster_dbt/dagster_dbt_translator", "dagster_dbt/project")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MartsSpecs:
    """What `@dbt_assets` defines for the marts: its op (name, tags), asset specs and check specs, and the sha256 of
    the manifest they come from (the step reads that same manifest)."""

    op_name: str
    op_tags: Mapping[str, str]
    specs: list[AssetSpec]
    check_specs: list[AssetCheckSpec]
    manifest_sha256: str


def file_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def cache_key(manifest_sha256: str) -> str:
    """Changes with the manifest, the translator's code, the side tables' writers or the dagster(-dbt) release."""
    writers = {table: side_table_writers(table) for table in sorted(SIDE_TABLES)}
    texts = [f"format {FORMAT}", manifest_sha256, version("dagster"), version("dagster-dbt"), json.dumps(writers)]
    texts += [(PROJECT_ROOT / name).read_text(encoding="utf-8") for name in TRANSLATOR_FILES]
    return digest(texts)


def portable(metadata: Mapping[str, Any]) -> dict[str, Any]:
    """The metadata without dagster-dbt's live objects (kept by `@dbt_assets` for its own helpers, unused here)."""
    return {name: value for name, value in metadata.items() if name not in LIVE_ONLY}


def _dep(dep: AssetDep) -> dict[str, Any]:
    if dep.partition_mapping is not None:
        raise ValueError(f"a dep with a partition mapping cannot be cached: {dep}")
    return {"key": dep.asset_key, "metadata": dict(dep.metadata or {})}


def encode_spec(spec: AssetSpec) -> dict[str, Any]:
    """An asset spec as serializable values; what the translator does not set here raises instead of being lost."""
    unsupported = (spec.automation_condition, spec.partitions_def, spec.freshness_policy, spec.legacy_freshness_policy)
    if any(value is not None for value in unsupported):
        raise ValueError(f"{spec.key.to_user_string()}: automation, partitions or freshness cannot be cached")
    return {
        "key": spec.key,
        "deps": [_dep(dep) for dep in spec.deps],
        "description": spec.description,
        "metadata": portable(spec.metadata),
        "skippable": spec.skippable,
        "group_name": spec.group_name,
        "code_version": spec.code_version,
        "owners": list(spec.owners),
        "tags": dict(spec.tags),  # the kinds too (`dagster/kind/<kind>`)
        "is_virtual": spec.is_virtual,
    }


def decode_spec(data: Mapping[str, Any]) -> AssetSpec:
    deps = [AssetDep(dep["key"], metadata=dep["metadata"]) for dep in data["deps"]]
    return AssetSpec(**{**data, "deps": deps})


def encode_check(spec: AssetCheckSpec) -> dict[str, Any]:
    if spec.automation_condition is not None or spec.partitions_def is not None:
        raise ValueError(f"{spec.key.to_user_string()}: automation or partitions cannot be cached")
    return {
        "name": spec.name,
        "asset": spec.asset_key,
        "description": spec.description,
        "additional_deps": [_dep(dep) for dep in spec.additional_deps],
        "blocking": spec.blocking,
        "metadata": dict(spec.metadata or {}),
    }


def decode_check(data: Mapping[str, Any]) -> AssetCheckSpec:
    deps = [AssetDep(dep["key"], metadata=dep["metadata"]) for dep in data["additional_deps"]]
    return AssetCheckSpec(**{**data, "additional_deps": deps})


def specs_of(assets_def: AssetsDefinition, manifest_sha256: str) -> MartsSpecs:
    """The specs of dagster-dbt's `@dbt_assets` definition."""
    node = assets_def.node_def
    return MartsSpecs(node.name, dict(node.tags), list(assets_def.specs), list(assets_def.check_specs), manifest_sha256)


def encode(marts: MartsSpecs, key: str) -> str:
    return serialize_value(
        {
            "key": key,
            "manifest_sha256": marts.manifest_sha256,
            "op": {"name": marts.op_name, "tags": dict(marts.op_tags)},
            "specs": [encode_spec(spec) for spec in marts.specs],
            "check_specs": [encode_check(spec) for spec in marts.check_specs],
        }
    )


def decode(data: Mapping[str, Any]) -> MartsSpecs:
    specs = [decode_spec(spec) for spec in data["specs"]]
    checks = [decode_check(spec) for spec in data["check_specs"]]
    return MartsSpecs(data["op"]["name"], data["op"]["tags"], specs, checks, data["manifest_sha256"])


def read_cache(cache_file: Path = CACHE_FILE, manifest_file: Path = MANIFEST_FILE) -> MartsSpecs | None:
    """The cached specs, or None when the file is missing, unreadable or was written for another manifest,
    translator or release."""
    try:
        manifest_sha256 = file_digest(manifest_file.read_bytes())
        data = deserialize_value(cache_file.read_text(encoding="utf-8"))
    except Exception:  # missing, half-written by hand, or of a format this code no longer reads: build it again
        return None
    if not isinstance(data, dict) or data.get("key") != cache_key(manifest_sha256):
        return None
    return decode(data)


def build_live() -> str:
    """The cache's text, from the specs dagster-dbt builds from the manifest (slow: imports dbt-core)."""
    from pipelines.defs.dbt_translator import live_dbt_assets

    manifest_sha256 = file_digest(MANIFEST_FILE.read_bytes())
    return encode(specs_of(live_dbt_assets(), manifest_sha256), cache_key(manifest_sha256))


def write_cache(text: str, cache_file: Path = CACHE_FILE) -> None:
    partial = cache_file.with_name(f".{cache_file.name}.{os.getpid()}")  # then renamed: no reader sees half a file
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, cache_file)


def load_marts_specs(cache_file: Path = CACHE_FILE) -> MartsSpecs:
    """The cached specs; when stale or missing, built live and written again (one slow load). Either way they are
    decoded from the cache's text, so a slow load defines exactly what a fast one would."""
    cached = read_cache(cache_file)
    if cached is not None:
        return cached
    log.warning("%s is stale or missing: building the dbt specs through dagster-dbt (`make manifest` does)", cache_file)
    text = build_live()
    try:
        write_cache(text, cache_file)
    except OSError as exc:  # a read-only checkout: every load stays slow, but correct
        log.warning("could not write %s: %s", cache_file, exc)
    return decode(deserialize_value(text))


if __name__ == "__main__":
    built = build_live()
    write_cache(built)
    marts = decode(deserialize_value(built))
    print(f"{CACHE_FILE.relative_to(PROJECT_ROOT)}: {len(marts.specs)} assets, {len(marts.check_specs)} checks")
