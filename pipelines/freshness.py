"""What a refresh rebuilds: Dagster's answer, plus the one rule Dagster cannot know (screenshots on disk).

Dagster decides staleness from code versions and data versions (`pipelines.defs.versions`): an asset is stale when
its code version changed or a parent's data version differs from the one it was built from, missing when it was
never built. Its status does not propagate: the child of a stale asset shows fresh until the parent is rebuilt. A
rebuild always gives the rebuilt asset a new data version (a hash of its new code version or new inputs), so a
refresh takes the descendants of every stale or missing asset in the same run, as the automation condition does
with `will_be_requested` and as "Materialize stale" followed by its children would.

The screenshots are files Chromium writes: a page newer than its screenshot, or without one, is invisible to
Dagster (the last run may have had no Chromium). That rule stays here, used by the CLI and by a small sensor.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from dagster import AssetKey, DagsterInstance
from dagster._core.definitions.data_version import CachingStaleStatusResolver, StaleStatus
from dagster._core.loader import LoadingContext

INGEST_PREFIX = "raw"
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
    return sorted(
        (k for k in graph.materializable_asset_keys if k.path[0] != INGEST_PREFIX), key=lambda k: k.to_user_string()
    )


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


def screenshots_behind(reports_dir: Path | None = None) -> bool:
    """Chromium is here and a published page has no screenshot or a newer one than its screenshot."""
    from pipelines.charts.screenshots import find_chromium, screenshots_stale
    from pipelines.settings import load_settings

    # without Chromium a rebuild could only skip again: the run that skipped has said so once
    return bool(find_chromium()) and screenshots_stale(reports_dir or load_settings().reports_dir)


def rebuild_keys(instance: DagsterInstance, graph, *, reports_dir: Path | None = None) -> list[AssetKey]:
    """The downstream assets a refresh rebuilds: the stale or missing ones and all their descendants, plus the
    screenshots when their files are behind the pages."""
    candidates = downstream_keys(graph)
    roots = stale_or_missing(instance, graph, candidates)
    chosen = with_descendants(graph, roots)
    if SCREENSHOTS_KEY in candidates and SCREENSHOTS_KEY not in chosen and screenshots_behind(reports_dir):
        chosen.add(SCREENSHOTS_KEY)
    return [key for key in candidates if key in chosen]
