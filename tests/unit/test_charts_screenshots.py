"""The screenshots asset skips with a warning, instead of failing the run, when no Chromium is installed."""

from __future__ import annotations

from pathlib import Path

import pytest
from dagster import build_asset_context

from pipelines.defs import reports
from pipelines.defs.resources import PathsResource


def test_without_chromium_the_screenshots_asset_skips_and_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(reports, "find_chromium", lambda: None)
    paths = PathsResource(
        data_dir=str(tmp_path), warehouse_path=str(tmp_path / "w.duckdb"), reports_dir=str(tmp_path / "reports")
    )
    result = reports.report_screenshots(build_asset_context(), paths=paths)
    assert result.metadata["skipped"] == "chromium not found"
    assert not (tmp_path / "reports" / "screenshots").exists()
    assert "Chromium is not on PATH" in capfd.readouterr().err


def test_every_page_is_one_asset_downstream_of_the_tables_it_reads() -> None:
    keys = {spec.key.to_user_string(): spec for asset in reports.PAGE_ASSETS for spec in asset.specs}
    assert sorted(keys) == sorted(f"reports/{name}" for name, *_ in reports.PAGES)
    per_dollar = {dep.asset_key.to_user_string() for dep in keys["reports/per_dollar_vs_per_year"].deps}
    assert {"trends/per_dollar_vs_per_year", "trends/benchmark_scaling", "trends/benchmark_progress"} <= per_dollar
    assert all(spec.group_name == "reports" for spec in keys.values())
