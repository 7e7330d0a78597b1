"""Dagster's staleness rule decides what a refresh rebuilds (`pipelines.run.freshness`, reading Dagster's records)
and what the automation sensor requests (Dagster's own evaluation); the two agree.

The real asset graph (keys, dependencies, code versions, automation conditions) runs here with bodies that do
nothing, on an ephemeral instance, so every case builds the whole graph in seconds. Raw stubs report a sha256 as
their data version, as the real ingest does. A code edit is a real edit of a copy of `pipelines/`, read back
through `build_definitions(code_root=...)`.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from dagster import (
    AssetKey,
    AssetsDefinition,
    DagsterInstance,
    DataVersion,
    Definitions,
    MaterializeResult,
    evaluate_automation_conditions,
    materialize,
    multi_asset,
)

from pipelines.definitions import build_definitions
from pipelines.defs.versions import code_versions
from pipelines.run.freshness import rebuild_keys, stale_or_missing, with_descendants
from pipelines.settings import PROJECT_ROOT, Settings

RAW = "raw"
NOTABLE = AssetKey([RAW, "notable_models"])


def settings(base: Path) -> Settings:
    data = base / "data"
    return Settings(data_dir=data, warehouse_path=data / "w.duckdb", reports_dir=base / "reports", sources_mirror=None)


def in_dependency_order(assets_def: AssetsDefinition, keys) -> list[AssetKey]:
    """`keys` parents first, as a real multi-asset (dbt) materializes them."""
    parents = {spec.key: {d.asset_key for d in spec.deps} for spec in assets_def.specs if spec.key in keys}
    ordered: list[AssetKey] = []
    while len(ordered) < len(parents):
        ordered += sorted(
            (k for k, p in parents.items() if k not in ordered and not (p & parents.keys()) - set(ordered)), key=str
        )
    return ordered


def stub(assets_def: AssetsDefinition, index: int, shas: dict[str, str]) -> AssetsDefinition:
    """`assets_def`'s specs with a body that only reports materializations (raw ones with `shas[name]`)."""

    @multi_asset(specs=list(assets_def.specs), can_subset=True, name=f"stub_{index}")
    def _stub(context) -> Iterator[MaterializeResult]:  # no annotation: `from __future__` makes it a string
        for key in in_dependency_order(assets_def, context.selected_asset_keys):
            version = DataVersion(shas[key.path[1]]) if key.path[0] == RAW else None
            yield MaterializeResult(asset_key=key, data_version=version)

    return _stub


def stub_definitions(defs: Definitions, shas: dict[str, str]) -> Definitions:
    """The real graph of `defs` with stub bodies; external specs (the ops tables) stay as they are."""
    assets = [
        stub(a, i, shas) if isinstance(a, AssetsDefinition) and a.is_executable else a
        for i, a in enumerate(defs.assets)
    ]
    return Definitions(assets=assets)


class Graph:
    """One ephemeral instance and the definitions currently deployed on it, with helpers to act on them."""

    def __init__(self, instance: DagsterInstance, base: Path) -> None:
        self.instance = instance
        self.base = base
        self.shas: dict[str, str] = {}  # the stubs read it when they run
        self.deploy(PROJECT_ROOT)
        self.shas.update({key.path[1]: f"sha-{key.path[1]}-1" for key in self.raw_keys})
        self.cursor = None

    def deploy(self, code_root: Path) -> dict[AssetKey, str | None]:
        """Build the definitions from the code under `code_root`; return the code versions that changed."""
        before = code_versions(self.defs.resolve_asset_graph()) if hasattr(self, "defs") else {}
        self.defs = build_definitions(settings(self.base), code_root=code_root)
        self.stubs = stub_definitions(self.defs, self.shas)
        self.graph = self.stubs.resolve_asset_graph()
        after = code_versions(self.graph)
        return {k: v for k, v in after.items() if before and before.get(k) != v}

    @property
    def raw_keys(self) -> list[AssetKey]:
        return [k for k in self.defs.resolve_asset_graph().materializable_asset_keys if k.path[0] == RAW]

    def materialize(self, keys) -> str:
        """Materialize `keys` in one run; its run id."""
        result = materialize(self.stubs.assets, instance=self.instance, selection=list(keys))
        assert result.success
        return result.run_id

    def cli_rebuild(self, published_runs: set[str] | None = None) -> set[str]:
        chosen = rebuild_keys(self.instance, self.graph, reports_dir=self.base / "none", published_runs=published_runs)
        return {k.to_user_string() for k in chosen}

    def stale(self) -> set[str]:
        return {
            k.to_user_string()
            for k in stale_or_missing(self.instance, self.graph, self.graph.materializable_asset_keys)
        }

    def automation(self) -> set[str]:
        result = evaluate_automation_conditions(self.stubs, self.instance, cursor=self.cursor)
        self.cursor = result.cursor
        return {r.key.to_user_string() for r in result.results if r.true_subset.size}


@pytest.fixture
def built(tmp_path: Path) -> Iterator[Graph]:
    """Everything built once and the automation's cursor taken after it: every asset fresh."""
    with DagsterInstance.ephemeral() as instance:
        graph = Graph(instance, tmp_path)
        graph.first_run = graph.materialize(graph.graph.materializable_asset_keys)
        yield graph


def edited_copy(base: Path, module: str) -> Path:
    """A copy of `pipelines/` (and the dbt files its code reads) with one line appended to `module` (a path inside
    the package)."""
    root = base / "code"
    shutil.copytree(PROJECT_ROOT / "pipelines", root / "pipelines", ignore=shutil.ignore_patterns("__pycache__"))
    seeds = Path("dbt_like_models", "seeds")
    shutil.copytree(PROJECT_ROOT / seeds, root / seeds)
    shutil.copy(PROJECT_ROOT / "dbt_like_models" / "dbt_project.yml", root / "dbt_like_models")  # tidy reads its vars
    path = root / "pipelines" / module
    path.write_text(path.read_text(encoding="utf-8") + "\n# an edit\n", encoding="utf-8")
    return root


def descendants(graph: Graph, key: AssetKey) -> set[str]:
    return {k.to_user_string() for k in with_descendants(graph.graph, [key])} - {key.to_user_string()}


def test_a_built_graph_is_fresh_and_nothing_is_requested(built: Graph) -> None:
    assert built.stale() == set()
    assert built.cli_rebuild() == set()
    assert built.automation() == set()
    built.materialize(built.raw_keys)  # an ingest that found every file unchanged: same sha256 data versions
    assert built.stale() == set()
    assert built.cli_rebuild() == set()
    assert built.automation() == set()


def test_a_new_source_file_rebuilds_exactly_its_descendants(built: Graph) -> None:
    built.automation()  # the sensor's cursor before the ingest
    built.shas["notable_models"] = "sha-notable_models-2"
    built.materialize(built.raw_keys)

    stale = built.stale()
    expected = descendants(built, NOTABLE)
    assert {"tidy/models", "tidy/compute"} <= stale
    assert built.cli_rebuild() == expected
    assert built.automation() == expected
    assert not expected & {"tidy/hardware", "tidy/scores", "tidy/owid_series"}
    print(
        f"new notable file: {len(stale)} stale, {len(expected)} rebuilt of {len(built.graph.materializable_asset_keys)}"
    )


def test_a_new_owid_file_leaves_the_pages_that_do_not_read_owid_alone(built: Graph) -> None:
    built.automation()
    built.shas["owid_training_computation"] = "sha-owid-2"
    built.materialize(built.raw_keys)

    rebuilt = built.cli_rebuild()
    assert {"tidy/owid_series", "reports/compute_trends", "reports/data_quality"} <= rebuilt
    assert not rebuilt & {"reports/benchmarks", "reports/per_dollar_vs_per_year", "reports/efficiency", "tidy/models"}
    assert built.automation() == rebuilt


def test_editing_one_chart_module_makes_only_its_page_stale(built: Graph, tmp_path: Path) -> None:
    built.automation()
    changed = built.deploy(edited_copy(tmp_path, "reports/efficiency.py"))
    assert set(k.to_user_string() for k in changed) == {"reports/efficiency"}
    assert built.stale() == {"reports/efficiency"}
    rebuilt = built.cli_rebuild()
    assert rebuilt == {"reports/efficiency", "reports/screenshots"}
    assert built.automation() == rebuilt


def test_editing_one_trend_module_makes_its_tables_stale_and_rebuilds_their_pages(built: Graph, tmp_path: Path) -> None:
    built.automation()
    changed = built.deploy(edited_copy(tmp_path, "trends/thresholds.py"))
    tables = {"trends/compute_to_threshold_points", "trends/compute_to_threshold"}
    assert set(k.to_user_string() for k in changed) == tables
    assert built.stale() == tables
    rebuilt = built.cli_rebuild()
    assert rebuilt == tables | {"reports/efficiency", "reports/screenshots"}
    assert built.automation() == rebuilt


def test_after_the_rebuild_everything_is_fresh_again(built: Graph, tmp_path: Path) -> None:
    built.automation()
    built.deploy(edited_copy(tmp_path, "trends/thresholds.py"))
    requested = built.automation()
    built.materialize(AssetKey.from_user_string(k) for k in requested)
    assert built.stale() == set()
    assert built.cli_rebuild() == set()
    assert built.automation() == set()


def test_work_of_a_run_that_did_not_publish_is_rebuilt_by_the_next_refresh(built: Graph) -> None:
    """A refresh interrupted after its rebuild recorded materializations: Dagster calls them fresh, the published
    warehouse never got them. The refresh after it rebuilds them (and their descendants) all the same."""
    published = {built.first_run}
    built.shas["notable_models"] = "sha-notable_models-2"
    expected = descendants(built, NOTABLE)
    discarded = built.materialize([*built.raw_keys, *(AssetKey.from_user_string(k) for k in expected)])
    assert built.cli_rebuild() == set()  # what Dagster alone says: the bug this guards against
    assert built.cli_rebuild(published) == expected
    assert built.cli_rebuild(published | {discarded}) == set()  # had it published, nothing would be left to do


def test_a_raw_record_from_a_discarded_run_is_set_back_to_the_file_the_warehouse_holds(built: Graph) -> None:
    from pipelines.run.freshness import inconsistencies, restore_raw_versions

    published = {built.first_run}
    held = dict(built.shas)
    built.shas["notable_models"] = "sha-notable_models-2"
    built.materialize(built.raw_keys)  # loaded the new file, then was killed: the warehouse still holds sha 1
    assert any(
        "raw/notable_models is recorded as sha-notable_models-2" in p
        for p in inconsistencies(built.instance, built.graph, published, held)
    )
    assert restore_raw_versions(built.instance, built.graph, held) == ["notable_models"]
    assert restore_raw_versions(built.instance, built.graph, held) == []  # once
    assert built.cli_rebuild(published) == set()  # the downstream assets match the file held: nothing to redo
    assert inconsistencies(built.instance, built.graph, published, held) == []


def test_a_mixed_build_is_named_before_publication(built: Graph) -> None:
    from pipelines.run.freshness import inconsistencies

    held = dict(built.shas)
    built.shas["notable_models"] = held["notable_models"] = "sha-notable_models-2"
    run = built.materialize([*built.raw_keys, AssetKey(["tidy", "models"])])  # killed after one downstream step
    problems = inconsistencies(built.instance, built.graph, {built.first_run, run}, held)
    assert "marts/models is stale or missing" in problems
    assert not any(p.startswith("tidy/models") for p in problems)


def test_the_repair_sensor_asks_the_ui_to_rebuild_what_a_run_that_did_not_publish_built(
    built: Graph, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import duckdb
    from dagster import RunRequest, build_sensor_context

    from pipelines.defs.automation import repair_unpublished
    from pipelines.run.publish import record_published_runs

    warehouse = tmp_path / "published.duckdb"
    con = duckdb.connect(str(warehouse))
    record_published_runs(con, [built.first_run], "test")
    for key in built.raw_keys:  # the files the published warehouse holds: the first ones
        con.execute(f"create table raw.{key.path[1]} as select ? as _sha256", [built.shas[key.path[1]]])
    con.close()
    monkeypatch.setenv("SCALING_WAREHOUSE", str(warehouse))
    context = build_sensor_context(instance=built.instance, repository_def=built.stubs.get_repository_def())
    assert not isinstance(repair_unpublished(context), RunRequest)  # all published: nothing to repair

    built.shas["notable_models"] = "sha-notable_models-2"
    expected = descendants(built, NOTABLE)
    built.materialize([*built.raw_keys, *(AssetKey.from_user_string(k) for k in expected)])  # then terminated
    request = repair_unpublished(context)
    assert isinstance(request, RunRequest)
    assert {k.to_user_string() for k in request.asset_selection} == expected
    assert request.run_key == repair_unpublished(context).run_key  # asked once per state, not every tick


def test_a_materialization_reported_by_hand_is_read_as_dagster_reads_it(built: Graph) -> None:
    """A record without provenance (reported from the UI, say): its children see a new data version of it, and it
    turns stale itself only once a parent is built after it, whatever that parent's data version."""
    from dagster import AssetMaterialization

    key = AssetKey(["tidy", "models"])
    built.instance.report_runless_asset_event(AssetMaterialization(key))
    children = {k.to_user_string() for k in built.graph.get(key).child_keys}
    assert built.stale() == children
    built.materialize([NOTABLE])  # the same file again: the same data version
    assert built.stale() == children | {"tidy/models"}
