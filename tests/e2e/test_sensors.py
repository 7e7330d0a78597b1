"""The source-check sensor asks each source with a conditional GET and requests a pull only for what changed."""

from __future__ import annotations

import pytest
from dagster import AssetKey, RunRequest, SkipReason, build_sensor_context

from pipelines.defs.automation import source_changes
from pipelines.raw.sources import SOURCES

pytestmark = pytest.mark.e2e


@pytest.fixture
def warehouse_env(built_warehouse, monkeypatch: pytest.MonkeyPatch):
    settings = built_warehouse.settings
    monkeypatch.setenv("SCALING_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("SCALING_WAREHOUSE", str(settings.warehouse_path))
    monkeypatch.setenv("SCALING_SOURCES_MIRROR", built_warehouse.mirror.base_url)
    return built_warehouse


def test_unchanged_sources_answer_304_and_nothing_is_requested(warehouse_env) -> None:
    mirror = warehouse_env.mirror
    before = len(mirror.requests)
    result = source_changes(build_sensor_context())
    assert isinstance(result, SkipReason)
    asked = mirror.requests[before:]
    assert len(asked) == sum(not s.optional for s in SOURCES)  # every required source, once each, with its ETag
    assert all("If-None-Match" in headers for _, _, headers in asked)


def test_a_source_that_answers_something_new_is_pulled(warehouse_env) -> None:
    warehouse_env.mirror.fault("/epoch.ai/data/ml_hardware.csv", ("status", 200))
    result = source_changes(build_sensor_context())
    assert isinstance(result, RunRequest)
    assert result.asset_selection == [AssetKey(["raw", "ml_hardware"])]
