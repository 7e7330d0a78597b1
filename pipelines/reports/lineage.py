"""Which sources a page rests on: its declared tables traced back through the layers' own declarations (each trends
step's reads, dbt's manifest for the marts, each tidy step's sources, the side tables' writers) to the raw tables.

A page cites only those files as its provenance, so a release of a source it does not read leaves it as it was.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cache

from pipelines.layers import MARTS, RAW, SIDE_TABLES, TIDY, TRENDS
from pipelines.raw.sources import SOURCES
from pipelines.settings import PROJECT_ROOT
from pipelines.tidy.steps import all_steps as tidy_steps
from pipelines.tidy.steps import side_table_writers
from pipelines.trends.steps import all_steps as trend_steps

MANIFEST = PROJECT_ROOT / "dbt_like_models" / "target" / "manifest.json"  # written by `make manifest`


@cache
def upstream() -> dict[str, tuple[str, ...]]:
    """`schema.table` -> the `schema.table`s it is built from, for every table a layer declares."""
    edges: dict[str, tuple[str, ...]] = {}
    for step in trend_steps():
        for table in step.tables:
            edges[f"{TRENDS}.{table.name}"] = (*step.reads, *table.reads)
    for tidy_step in tidy_steps():
        for table in tidy_step.tables:
            edges[f"{TIDY}.{table}"] = tuple(f"{RAW}.{name}" for name in tidy_step.sources)
    for table in SIDE_TABLES:
        edges[table] = tuple(f"{layer}.{name}" for layer, name in side_table_writers(table))
    edges |= _dbt_edges()
    return edges


def _dbt_edges() -> dict[str, tuple[str, ...]]:
    """Each mart (model or seed) -> the tidy and ops tables and the other marts it reads, from dbt's manifest."""
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    sources = {uid: f"{node['source_name']}.{node['name']}" for uid, node in manifest["sources"].items()}
    names = {uid: f"{MARTS}.{node['name']}" for uid, node in manifest["nodes"].items()}
    return {
        names[uid]: tuple(sources.get(dep) or names[dep] for dep in node.get("depends_on", {}).get("nodes", []))
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] in ("model", "seed")
    }


def sources_of(tables: Iterable[str]) -> list[str]:
    """The sources (raw table names) the given `schema.table`s are built from, in the source table's order."""
    edges, found, seen = upstream(), set(), set()
    stack = list(tables)
    while stack:
        table = stack.pop()
        if table in seen:
            continue
        seen.add(table)
        schema, name = table.split(".", 1)
        if schema == RAW:
            found.add(name)
        else:
            stack += edges.get(table, ())
    return [s.name for s in SOURCES if s.name in found]
