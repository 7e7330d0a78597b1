"""Code versions and the automation condition of every asset, derived from the code that builds it.

Dagster marks an asset stale when its code version differs from the one its last materialization recorded, or when
a parent's data version differs from the one it was built from. So a code version must change when the code that
decides an asset's contents changes, and only then: the old whole-repository fingerprint rebuilt everything after a
one-line chart edit. The code version of a Python asset is a sha256 of

- the source of its compute function, and of the functions of its own module that it names;
- the text of every project module it names (the module itself, or a function, class or constant imported from it,
  also through what its closure holds, such as a page's spec and that spec's build function), and of the project
  modules those import in turn; not plumbing (connections, settings, publication), and not the imports of a
  registry, which imports every page: a page reaches its own chart module through its spec;
- the data files those modules read (page templates, the benchmark table);
- the keys of the assets it reads.

dbt models get theirs from `pipelines.defs.dbt_translator` (the model's SQL, its macros and the nodes it refs). Raw
assets keep the sha256 of the file they hold as their data version, so an unchanged pull makes nothing downstream
stale.
"""

from __future__ import annotations

import ast
import dataclasses
import hashlib
import inspect
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path
from types import CodeType, FunctionType, ModuleType

from dagster import AssetKey, AssetsDefinition, AssetSpec, AutomationCondition

from pipelines.layers import RAW
from pipelines.settings import PROJECT_ROOT

PACKAGE = "pipelines"
PLUMBING = ("pipelines.defs", "pipelines.warehouse", "pipelines.settings", "pipelines.run", "pipelines.raw.journal")
NOT_FOLLOWED = ("pipelines.reports.registry",)
DATA_FILES = {
    "pipelines.reports.page": ("pipelines/reports/templates",),
    "pipelines.tidy.benchmarks": ("pipelines/tidy/benchmarks.yaml",),
    "pipelines.tidy.models": ("dbt_like_models/seeds/model_source_priority.csv", "dbt_like_models/dbt_project.yml"),
    "pipelines.tidy.plausibility": ("dbt_like_models/seeds/plausible_ranges.csv",),
}


def module_file(name: str, root: Path) -> Path | None:
    """The file of project module `name` under `root` (a package's `__init__.py`), or None if it is not one."""
    relative = Path(*name.split("."))
    for candidate in (root / relative.with_suffix(".py"), root / relative / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


STATEMENT_LISTS = ("body", "orelse", "finalbody", "handlers", "cases")  # where a statement can hold statements


def _import_statements(tree: ast.Module) -> Iterator[ast.stmt]:
    """Every import statement of `tree`, in functions and blocks too: the statements alone are walked, not the
    expressions (four fifths of the nodes), which cannot hold one."""
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        for name in STATEMENT_LISTS:
            stack.extend(getattr(node, name, ()))


@cache
def _imports(name: str, root: Path) -> frozenset[str]:
    """The project modules that module `name` imports, anywhere in its text."""
    path = module_file(name, root)
    if path is None:
        return frozenset()
    found: set[str] = set()
    for node in _import_statements(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        else:
            continue
        found |= {n for n in names if n.startswith(f"{PACKAGE}.") and module_file(n, root)}
    return frozenset(found)


def _plumbing(name: str) -> bool:
    return any(name == p or name.startswith(f"{p}.") for p in PLUMBING)


def module_closure(names: Iterable[str], root: Path) -> set[str]:
    """`names` and the project modules they import, transitively; without plumbing or a registry's imports."""
    seen: set[str] = set()
    stack = [n for n in names if n.startswith(PACKAGE)]
    while stack:
        name = stack.pop()
        if name in seen or _plumbing(name) or module_file(name, root) is None:
            continue
        seen.add(name)
        if name not in NOT_FOLLOWED:
            stack.extend(_imports(name, root))
    return seen


def _code_names(code: CodeType) -> set[str]:
    names, stack = set(), [code]
    while stack:
        current = stack.pop()
        names |= set(current.co_names)
        stack.extend(c for c in current.co_consts if isinstance(c, CodeType))
    return names


def _module_of(value: object) -> str | None:
    if isinstance(value, ModuleType):
        return value.__name__
    return getattr(value, "__module__", None) if callable(value) else None


def _held(value: object) -> tuple[list[str], list[str]]:
    """(modules, stable text) of an object a closure holds: a dataclass's fields, with functions by name."""
    if not dataclasses.is_dataclass(value) or isinstance(value, type):
        return [], []
    modules, text = [], [type(value).__qualname__]
    for item in dataclasses.fields(value):
        field_value = getattr(value, item.name)
        if callable(field_value):
            modules.append(_module_of(field_value) or "")
            text.append(f"{item.name}={_module_of(field_value)}.{getattr(field_value, '__qualname__', '')}")
        else:
            text.append(f"{item.name}={field_value!r}")
    return modules, text


def function_code(fn: FunctionType, root: Path) -> list[str]:
    """The texts whose change changes what `fn` builds: its source, its own module's helpers it names, the project
    modules it names (through imports and closure) with theirs, and their data files."""
    texts, modules = [inspect.getsource(fn)], []
    for name in sorted(_code_names(fn.__code__)):
        value = fn.__globals__.get(name)
        module = _module_of(value) if value is not None else None
        if module == fn.__module__ and isinstance(value, FunctionType | type):
            texts.append(inspect.getsource(value))
        elif module is not None:
            modules.append(module)
        elif value is not None and name in _imported_names(fn.__module__):
            modules.append(_imported_names(fn.__module__)[name])
    for cell in fn.__closure__ or ():
        held_modules, held_text = _held(cell.cell_contents)
        modules += held_modules
        texts += held_text
    for name in sorted(module_closure(modules, root)):
        texts.append(f"{name}\n{_read(module_file(name, root))}")
        texts += [_read(path) for path in _data_files(name, root)]
    return texts


@cache
def _imported_names(module: str) -> dict[str, str]:
    """Name -> project module for the `from pipelines.x import name` lines of `module` (constants have no
    `__module__`)."""
    import importlib

    source = inspect.getsource(importlib.import_module(module))
    found = {}
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(PACKAGE):
            found |= {alias.asname or alias.name: node.module for alias in node.names}
    return found


def _data_files(module: str, root: Path) -> list[Path]:
    paths = [root / p for p in DATA_FILES.get(module, ())]
    return sorted(f for p in paths for f in ([p] if p.is_file() else p.rglob("*")) if f.is_file())


def _read(path: Path | None) -> str:
    return path.read_text(encoding="utf-8") if path is not None else ""


def digest(texts: Iterable[str]) -> str:
    hasher = hashlib.sha256()
    for text in texts:
        hasher.update(text.encode("utf-8"))
        hasher.update(b"\0")
    return hasher.hexdigest()[:16]


def compute_function(assets_def: AssetsDefinition) -> FunctionType | None:
    """The Python function an asset runs (None for external specs)."""
    if not assets_def.is_executable:
        return None
    return getattr(assets_def.op.compute_fn, "decorated_fn", None)


def rebuild_when_stale() -> AutomationCondition:
    """Like `eager()`, but triggered by a new *data version* of a parent rather than any new materialization: the
    the pull runs every day and rematerializes each raw asset, yet a raw asset whose file is unchanged keeps its
    sha256 data version and so triggers nothing; a new code version of the asset itself triggers it too. Whatever
    is requested pulls in its descendants in the same tick (`will_be_requested`), as a CLI refresh does."""
    parent_changed = AutomationCondition.any_deps_match(
        AutomationCondition.data_version_changed() | AutomationCondition.will_be_requested()
    ).with_label("any parent has a new data version")
    trigger = AutomationCondition.newly_missing() | AutomationCondition.code_version_changed() | parent_changed
    return (
        trigger.since_last_handled()
        & ~AutomationCondition.any_deps_missing()
        & ~AutomationCondition.any_deps_in_progress()
        & ~AutomationCondition.in_progress()
    ).with_label("rebuild when stale")


def with_code_versions(assets: Iterable[AssetsDefinition], root: Path = PROJECT_ROOT) -> list[AssetsDefinition]:
    """`assets` with a code version on every Python asset and the rebuild condition on every downstream one."""
    return [_versioned(a, root) for a in assets]


def _versioned(assets_def: AssetsDefinition, root: Path) -> AssetsDefinition:
    fn = compute_function(assets_def)
    shared = function_code(fn, root) if fn is not None and not _is_dbt(assets_def) else None

    def update(spec: AssetSpec) -> AssetSpec:
        changes: dict[str, object] = {}
        if shared is not None:
            reads = sorted(dep.asset_key.to_user_string() for dep in spec.deps)
            changes["code_version"] = digest([*shared, *reads])
        if spec.key.path[0] != RAW:
            changes["automation_condition"] = rebuild_when_stale()
        return spec.replace_attributes(**changes) if changes else spec

    return assets_def.map_asset_specs(update) if assets_def.is_executable else assets_def


def _is_dbt(assets_def: AssetsDefinition) -> bool:
    """dbt models carry their own code versions (`pipelines.defs.dbt_translator.model_code_version`)."""
    return any("dagster_dbt/unique_id" in spec.metadata for spec in assets_def.specs)


def code_versions(graph) -> dict[AssetKey, str | None]:
    """Every materializable asset's code version, as the asset graph of a `Definitions` holds it."""
    return {key: graph.get(key).code_version for key in graph.materializable_asset_keys}
