"""docs/ARCHITECTURE.md stays true: its tree lists every module and only existing ones, the paths and names it gives
exist, and its Extending recipes touch no more files than they say (a trend with its chart 5, a CSV source 6)."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from pipelines.settings import PROJECT_ROOT

DOC = (PROJECT_ROOT / "docs" / "ARCHITECTURE.md").read_text(encoding="utf-8")
RECIPE_LIMITS = {"Add a Benchmarking Hub file": 2, "Add a trends table with its chart": 5, "Add a CSV source": 6}
# names a recipe tells a developer to use, and the module that must define them
RECIPE_NAMES = {
    "TrendStep": "pipelines.trends.steps",
    "TidyStep": "pipelines.tidy.steps",
    "TableContract": "pipelines.trends.checks",
    "estimate_row": "pipelines.trends.status",
    "SOURCES": "pipelines.raw.sources",
    "PageSpec": "pipelines.reports.registry",
    "load_benchmarks": "pipelines.tidy.benchmarks",
    "SIDE_TABLES": "pipelines.layers",
}


def tree_paths() -> list[Path]:
    """Every file and folder the tree of section 3 names, as paths from the project root."""
    block = DOC.split("## 3. The tree", 1)[1].split("```", 2)[1]
    paths, stack = [], []  # stack: (indent, folder)
    for line in block.splitlines()[1:]:
        if not line.strip():
            continue
        indent = len(line) - len(line.lstrip())
        names = re.split(r",\s*", re.split(r"\s{2,}", line.strip())[0].rstrip(":"))
        while stack and stack[-1][0] >= indent:
            stack.pop()
        parent = Path(*(folder for _, folder in stack)) if stack else Path()
        for name in (n for n in names if n):
            paths.append(parent / name)
        if len(names) == 1 and names[0].endswith("/"):
            stack.append((indent, names[0].rstrip("/")))
    return paths


def test_every_path_in_the_tree_exists() -> None:
    missing = [str(path) for path in tree_paths() if not (PROJECT_ROOT / path).exists()]
    assert missing == []


def test_every_python_module_of_the_package_is_in_the_tree() -> None:
    listed = {path.as_posix() for path in tree_paths()}
    modules = sorted(
        path.relative_to(PROJECT_ROOT).as_posix()
        for path in (PROJECT_ROOT / "pipelines").rglob("*.py")
        if path.name != "__init__.py" and "__pycache__" not in path.parts
    )
    assert [module for module in modules if module not in listed] == []


def test_every_concrete_path_the_page_names_exists() -> None:
    named = set(re.findall(r"`((?:pipelines|dbt_like_models|sql|tests|reports|docs)/[^`<>* ]+)`", DOC))
    named = {p for p in named if not p.startswith("reports/.")}  # what a run writes, not the project
    assert named, "the page names no paths"
    assert sorted(p for p in named if not (PROJECT_ROOT / p.rstrip("/")).exists()) == []


def recipes() -> dict[str, tuple[int, list[str]]]:
    """Recipe title -> (the file count it states, the file each numbered step names first)."""
    extending = DOC.split("## 6. Extending", 1)[1]
    found = {}
    for match in re.finditer(r"\*\*(Add [^*]+)\*\*[^\n]*?, (\d+) files?:\n(.*?)(?=\n\n|\Z)", extending, re.S):
        steps = re.findall(r"^\d+\. `([^`]+)`", match.group(3), re.M)
        found[match.group(1).split(" (")[0].split(" that ")[0]] = (int(match.group(2)), steps)
    return found


def test_each_recipe_states_its_file_count_and_stays_within_its_limit() -> None:
    found = recipes()
    assert set(found) == set(RECIPE_LIMITS)
    for title, (stated, steps) in found.items():
        assert len(steps) == stated <= RECIPE_LIMITS[title], (title, steps)
        assert len(set(steps)) == len(steps), title


@pytest.mark.parametrize("title", sorted(RECIPE_LIMITS))
def test_each_file_a_recipe_touches_exists_or_lands_in_an_existing_folder(title: str) -> None:
    for step in recipes()[title][1]:
        path = PROJECT_ROOT / step
        assert path.exists() if "<" not in step else path.parent.is_dir(), step
        if "<" in step:  # a new file beside others of its kind
            pattern = re.sub(r"<[^>]+>", "*", path.name)
            assert list(path.parent.glob(pattern)), step


def test_the_names_the_recipes_use_exist_where_the_page_says() -> None:
    for name, module in RECIPE_NAMES.items():
        assert f"`{name}`" in DOC or f"`{name}." in DOC, name
        assert hasattr(importlib.import_module(module), name), (module, name)


def test_the_folder_docstrings_and_the_page_agree_on_the_layers() -> None:
    from pipelines.layers import LAYERS

    flow = DOC.split("## 2.", 1)[0]
    for layer in LAYERS:
        assert f"**{layer}**" in flow, layer
        folder = Path("dbt_like_models") if layer == "marts" else Path("pipelines") / layer
        assert f"{folder.as_posix()}/" in DOC, folder
