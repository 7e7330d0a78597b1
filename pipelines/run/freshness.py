"""What a refresh rebuilds: Dagster's answer, plus the one rule Dagster cannot know (screenshots on disk).

Dagster decides staleness from code versions and data versions (`pipelines.defs.versions`): an asset is stale when
its code version changed or a parent's data version differs from the one it was built from, missing when it was
never built. Its status does not propagate: the child of a stale asset shows fresh until the parent is rebuilt. A
rebuild always gives the rebuilt asset a new data version (a hash of its new code version or new inputs), so a
refresh takes the descendants of every stale or missing asset in the same run, as the automation condition does
with `will_be_requested` and as "Materialize stale" followed by its children would.

Dagster's record is not the warehouse's, though: a run whose working copy was thrown away (interrupted, killed, a
failed step) still recorded its materializations, and after it Dagster would call its assets fresh although the
published warehouse never received them. The published file lists the runs whose work it holds
(`ops.published_runs`); an asset whose latest materialization came from any other run is rebuilt too.

The screenshots are files Chromium writes: a page newer than its screenshot, or without one, is invisible to
Dagster (the last run may have had no Chromium). That rule stays here, used by the CLI and by a small sensor.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from dagster import AssetKey, AssetMaterialization, DagsterInstance
from dagster._core.definitions.data_version import CachingStaleStatusResolver, StaleStatus
from dagster._core.loader import LoadingContext

from pipelines.layers import RAW

DATA_VERSION_TAG = "dagster/data_version"  # where Dagster keeps a materialization's data version
SCREENSHOTS_KEY = AssetKey(["reports", "screenshots"])
REBUILD = (StaleStatus.STALE, StaleStatus.MISSING)


class _Loading(LoadingContext):
    """The per-request cache Dagster's stale-status resolver batches its event-log reads in."""

    def __init__(self, instance: DagsterInstance) -> None:
        self._instance = instance
        self._loaders: dict = {}

    @property
    def instance(self) -> DagsterInstance:
        return self._instance

    @property
    def loaders(self) -> dict:
        return self._loaders


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


def stale_or_missing(instance: DagsterInstance, graph, keys: Iterable[AssetKey]) -> list[AssetKey]:
    """The `keys` Dagster's UI shows as stale or missing (the ones "Materialize stale" would pick)."""
    resolver = CachingStaleStatusResolver(instance, graph, _Loading(instance))
    return [key for key in keys if resolver.get_status(key) in REBUILD]


def unpublished(instance: DagsterInstance, keys: Iterable[AssetKey], published_runs: set[str]) -> list[AssetKey]:
    """The `keys` whose latest materialization came from a run that did not publish (its work was discarded)."""
    keys = list(keys)
    latest = instance.get_latest_materialization_events(keys)
    return [key for key in keys if (event := latest.get(key)) and event.run_id and event.run_id not in published_runs]


def raw_keys(graph) -> list[AssetKey]:
    return sorted((k for k in graph.materializable_asset_keys if k.path[0] == RAW), key=str)


def recorded_versions(instance: DagsterInstance, keys: list[AssetKey]) -> dict[AssetKey, str | None]:
    """The data version of each key's latest materialization (a raw asset's: the sha256 its table holds)."""
    latest = instance.get_latest_materialization_events(keys)
    return {
        key: (event.asset_materialization.tags or {}).get(DATA_VERSION_TAG) if event else None
        for key, event in latest.items()
    }


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
    if SCREENSHOTS_KEY in candidates and SCREENSHOTS_KEY not in chosen and screenshots_behind(reports_dir):
        chosen.add(SCREENSHOTS_KEY)
    return [key for key in candidates if key in chosen]
