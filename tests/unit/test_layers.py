"""The tree is the flow: raw -> tidy -> marts -> trends -> reports, one name per layer (folder, Dagster group, key
prefix, schema), code importing only from its own layer, earlier layers and the shared modules."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from pipelines.layers import LAYERS, MARTS, OPS, REPORTS, TRENDS
from pipelines.settings import PROJECT_ROOT
from pipelines.warehouse import SCHEMAS

PACKAGE = PROJECT_ROOT / "pipelines"
PYTHON_LAYERS = [layer for layer in LAYERS if layer != MARTS]  # marts is the dbt project
SHARED = ("pipelines.settings", "pipelines.warehouse", "pipelines.layers", "pipelines.run.workers")


def imported_modules(path: Path) -> list[str]:
    """Every module `path` imports, at the top or inside a function."""
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names += [f"{node.module}.{alias.name}" for alias in node.names]
    return names


def layer_modules(layer: str) -> list[Path]:
    return sorted((PACKAGE / layer).rglob("*.py"))


def test_each_layer_is_a_folder_a_schema_and_a_dagster_group_of_the_same_name() -> None:
    from pipelines.definitions import build_definitions

    assert [layer for layer in LAYERS if (PACKAGE / layer / "__init__.py").is_file()] == PYTHON_LAYERS
    assert (PROJECT_ROOT / "dbt_like_models" / "dbt_project.yml").is_file()
    assert set(SCHEMAS) == {*LAYERS, OPS} - {REPORTS}  # reports are files
    graph = build_definitions().resolve_asset_graph()
    groups = {graph.get(key).group_name for key in graph.get_all_asset_keys() if key.path[0] != OPS}
    assert groups == set(LAYERS)
    for key in graph.get_all_asset_keys():
        assert graph.get(key).group_name == key.path[0] or key.path[0] == OPS, key


@pytest.mark.parametrize("layer", PYTHON_LAYERS)
def test_no_layer_module_imports_dagster(layer: str) -> None:
    found = [
        f"{path.relative_to(PROJECT_ROOT)}: {name}"
        for path in layer_modules(layer)
        for name in imported_modules(path)
        if name.split(".")[0] in ("dagster", "dagster_dbt", "dagster_duckdb")
    ]
    assert found == []


@pytest.mark.parametrize("layer", PYTHON_LAYERS)
def test_a_layer_imports_only_itself_earlier_layers_and_the_shared_modules(layer: str) -> None:
    allowed = tuple(f"pipelines.{earlier}" for earlier in LAYERS[: LAYERS.index(layer) + 1]) + SHARED
    found = [
        f"{path.relative_to(PROJECT_ROOT)}: {name}"
        for path in layer_modules(layer)
        for name in imported_modules(path)
        if name.startswith("pipelines") and not any(name == a or name.startswith(f"{a}.") for a in allowed)
    ]
    assert found == []


def test_pages_read_only_marts_and_trends_tables() -> None:
    from pipelines.reports.registry import PAGES

    read = {table for spec in PAGES for table in spec.reads}
    assert read and {table.split(".")[0] for table in read} <= {MARTS, TRENDS}


def test_every_layer_folder_says_what_it_reads_and_what_it_writes() -> None:
    for folder in [*(PACKAGE / layer for layer in PYTHON_LAYERS), PACKAGE / "run", PACKAGE / "defs"]:
        doc = ast.get_docstring(ast.parse((folder / "__init__.py").read_text(encoding="utf-8"))) or ""
        assert "Reads" in doc and "Writes" in doc, folder
