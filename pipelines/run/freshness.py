"""What a refresh rebuilds: Dagster's staleness rule, read from its records, plus one rule Dagster cannot know.

Dagster decides staleness from code versions and data versions (`pipelines.defs.versions`): an asset is stale when
its code version changed or a parent's data version differs from the one it was built from, missing when it was
never built. Every materialization records what that takes in its tags (`dagster/code_version`,
`dagster/data_version`, and `dagster/input_data_version/<parent>` per parent); `stale_or_missing` compares them with
the code versions of the definitions and the parents' latest data versions, through the instance's public reads,
as the UI's "stale" does (its resolver is not public API). A status does not propagate: the child of a stale asset
is fresh until the parent is rebuilt. A rebuild always gives the rebuilt asset a new data version (a hash of its new
code version or new inputs), so a refresh takes the descendants of every stale or missing asset in the same run, as
the automation condition does with `will_be_requested` and as "Materialize stale" followed by its children would.

Dagster's record is not the warehouse's, though: a run whose working copy was thrown away (interrupted, killed, a
failed step) still recorded its materializations, and after it Dagster would call its assets fresh although the
published warehouse never received them. The published file lists the runs whose work it holds
(`ops.published_runs`); an asset whose latest materialization came from any other run is rebuilt too.

The screenshots are files Chromium writes: a page newer than its screenshot, or without one, is invisible to
Dagster (the last run may have had no Chromium). That rule stays here, used by the CLI and by a small sensor.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from dagster import AssetKey, AssetMaterialization, AssetSelection, DagsterInstance, EventLogEntry

from pipelines.layers import RAW, SCREENSHOTS

DATA_VERSION_TAG = "dagster/data_version"  # where Dagster keeps a materialization's data version
CODE_VERSION_TAG = "dagster/code_version"  # the code version it was built with
INPUT_VERSION_TAG = "dagster/input_data_version/"  # + a parent's key: the parent's data version it was built from
INPUT_POINTER_TAG = "dagster/input_event_pointer/"  # + a parent's key: the parent's record it was built from
INITIAL, NULL = "INITIAL", "NULL"  # Dagster's data version of an external asset never observed; of one never built
SCREENSHOTS_KEY = AssetKey.from_user_string(SCREENSHOTS)


def downstream_keys(graph) -> list[AssetKey]:
    """Every materializable asset that is not a source pull, by name."""
    return sorted((k for k in graph.materializable_asset_keys if k.path[0] != RAW), key=lambda k: k.to_user_string())


def with_descendants(graph, keys: Iterable[AssetKey]) -> set[AssetKey]:
    """`keys` and every asset built from them, through any number of steps."""
    chosen, stack = set(), list(keys)
    while stack:
        key = stack.pop()
        if key not in chosen:
            chosen.add(key)
            stack.extend(graph.get(key).child_keys)
    return chosen


def latest_materializations(
    instance: DagsterInstance, keys: Iterable[AssetKey]
) -> dict[AssetKey, EventLogEntry | None]:
    """Each key's latest materialization, None for a key never built: one query for all of them (Dagster's asset
    records), not one per key."""
    keys = list(keys)
    records = instance.get_asset_records(keys) if keys else []
    found = {record.asset_entry.asset_key: record.asset_entry.last_materialization for record in records}
    return {key: found.get(key) for key in keys}


class LatestRecords:
    """The latest record of each asset, read once: its materialization (an external asset's observation counts
    too, the later of the two), its tags and its data version as Dagster reports it."""

    def __init__(self, instance: DagsterInstance, graph) -> None:
        self.instance, self.graph = instance, graph
        self._entries: dict[AssetKey, EventLogEntry | None] = {}

    def entry(self, key: AssetKey) -> EventLogEntry | None:
        if not self._entries:  # every materializable asset's, at once
            self._entries = latest_materializations(self.instance, self.graph.materializable_asset_keys)
        if key not in self._entries:
            records = list(self.instance.fetch_materializations(key, limit=1).records)
            if self.graph.get(key).is_external:
                records += self.instance.fetch_observations(key, limit=1).records
            latest = max(records, key=lambda r: r.storage_id, default=None)
            self._entries[key] = latest.event_log_entry if latest else None
        return self._entries[key]

    def tags(self, key: AssetKey) -> Mapping[str, str]:
        entry = self.entry(key)
        return (entry.tags if entry else None) or {}

    def data_version(self, key: AssetKey) -> str:
        """The key's current data version: NULL never built, INITIAL an external asset never observed or a record
        without one (Dagster's defaults)."""
        if self.entry(key) is None:
            return INITIAL if self.graph.get(key).is_external else NULL
        return self.tags(key).get(DATA_VERSION_TAG) or INITIAL


def is_stale(records: LatestRecords, key: AssetKey) -> bool:
    """Built, and built from another code version, or from parents whose data version has changed since (a parent
    added or removed counts). A record without provenance is stale when a parent was built after it."""
    node, entry, tags = records.graph.get(key), records.entry(key), records.tags(key)
    if entry is None:
        return False  # missing, not stale
    parents = set(node.parent_keys)
    if CODE_VERSION_TAG not in tags:
        built = entry.timestamp
        return any(
            not records.graph.get(p).is_external and ((e := records.entry(p)) is None or e.timestamp > built)
            for p in parents
        )
    if node.code_version and node.code_version != tags[CODE_VERSION_TAG]:
        return True
    inputs = {AssetKey.from_user_string(t[len(INPUT_VERSION_TAG) :]) for t in tags if t.startswith(INPUT_VERSION_TAG)}
    if inputs - parents:
        return True
    for parent in parents:
        name = parent.to_user_string()
        recorded = tags.get(INPUT_VERSION_TAG + name)
        if recorded is None or INPUT_POINTER_TAG + name not in tags:
            return True
        current = records.data_version(parent)
        if recorded != current and not (recorded == INITIAL and current == NULL):
            return True
    return False


def stale_or_missing(instance: DagsterInstance, graph, keys: Iterable[AssetKey]) -> list[AssetKey]:
    """The `keys` Dagster's UI shows as stale or missing (the ones "Materialize stale" would pick)."""
    records = LatestRecords(instance, graph)
    return [
        key for key in keys if not graph.get(key).is_external and (records.entry(key) is None or is_stale(records, key))
    ]


def unpublished(instance: DagsterInstance, keys: Iterable[AssetKey], published_runs: set[str]) -> list[AssetKey]:
    """The `keys` whose latest materialization came from a run that did not publish (its work was discarded)."""
    latest = latest_materializations(instance, keys)
    return [key for key, event in latest.items() if event and event.run_id and event.run_id not in published_runs]


def raw_keys(graph) -> list[AssetKey]:
    return sorted((k for k in graph.materializable_asset_keys if k.path[0] == RAW), key=str)


def recorded_versions(instance: DagsterInstance, keys: list[AssetKey]) -> dict[AssetKey, str | None]:
    """The data version of each key's latest materialization (a raw asset's: the sha256 its table holds)."""
    latest = latest_materializations(instance, keys)
    return {key: (event.tags or {}).get(DATA_VERSION_TAG) if event else None for key, event in latest.items()}


def raw_mismatches(instance: DagsterInstance, graph, held: dict[str, str | None]) -> list[tuple[AssetKey, str, str]]:
    """(key, recorded, held) of each raw asset whose latest record names a file its table does not hold (`held`:
    source -> sha256, None before a first load, which the ingest asset records as "missing")."""
    mismatches = []
    for key, version in recorded_versions(instance, raw_keys(graph)).items():
        holds = held.get(key.path[-1]) or "missing"
        if version is not None and version != holds:
            mismatches.append((key, version, holds))
    return mismatches


def restore_raw_versions(instance: DagsterInstance, graph, held: dict[str, str | None]) -> list[str]:
    """A raw asset whose latest record is a file the warehouse does not hold (loaded by a run that never
    published, and not loaded again since) gets a record of the file it does hold, so Dagster compares the
    downstream assets with what they will really read. Returns the sources restored."""
    mismatches = raw_mismatches(instance, graph, held)
    for key, version, holds in mismatches:
        description = f"restored: the warehouse holds {holds[:12]}; {version[:12]} came from a run that did not publish"
        instance.report_runless_asset_event(
            AssetMaterialization(key, description=description, tags={DATA_VERSION_TAG: holds})
        )
    return [key.path[-1] for key, _, _ in mismatches]


def inconsistencies(
    instance: DagsterInstance, graph, published_runs: set[str], held: dict[str, str | None]
) -> list[str]:
    """Why the working copy is not one build, checked before it is published: a raw record that is not the file the
    table holds, or a downstream asset stale, missing, or last built by a run whose work the copy does not hold."""
    problems = [
        f"{key.to_user_string()} is recorded as {version} but its table holds {holds}"
        for key, version, holds in raw_mismatches(instance, graph, held)
    ]
    candidates = downstream_keys(graph)
    problems += [f"{k.to_user_string()} is stale or missing" for k in stale_or_missing(instance, graph, candidates)]
    problems += [
        f"{k.to_user_string()} was last built by a run whose work this warehouse does not hold"
        for k in unpublished(instance, candidates, published_runs)
    ]
    return problems


def screenshots_behind(reports_dir: Path | None = None) -> bool:
    """Chromium is here and a published page has no screenshot or a newer one than its screenshot."""
    from pipelines.reports.screenshots import find_chromium, screenshots_stale
    from pipelines.settings import load_settings

    # without Chromium a rebuild could only skip again: the run that skipped has said so once
    return bool(find_chromium()) and screenshots_stale(reports_dir or load_settings().reports_dir)


def rebuild_keys(
    instance: DagsterInstance, graph, *, reports_dir: Path | None = None, published_runs: set[str] | None = None
) -> list[AssetKey]:
    """The downstream assets a refresh rebuilds: the stale or missing ones, those last built by a run that did not
    publish (when `published_runs` is given), and all their descendants; plus the screenshots when their files
    are behind the pages."""
    candidates = downstream_keys(graph)
    roots = stale_or_missing(instance, graph, candidates)
    if published_runs is not None:
        roots += unpublished(instance, candidates, published_runs)
    chosen = with_descendants(graph, roots)
    if chosen:  # a step that writes several tables writes them all (trends' capability_tables, headline_tables)
        chosen = set(AssetSelection.assets(*chosen).required_multi_asset_neighbors().resolve(graph))
    if SCREENSHOTS_KEY in candidates and SCREENSHOTS_KEY not in chosen and screenshots_behind(reports_dir):
        chosen.add(SCREENSHOTS_KEY)
    return [key for key in candidates if key in chosen]
