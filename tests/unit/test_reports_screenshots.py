"""The report assets come from the page registry; the screenshots asset skips with a warning, instead of failing
the run, when no Chromium is installed, and is stale whenever a page is newer than its screenshot; a run shoots only
the pages it rebuilt or whose published screenshot is behind, and keeps the others'."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from dagster import build_asset_context
from dagster_duckdb import DuckDBResource

from pipelines.defs import reports
from pipelines.defs.resources import BackgroundPagesResource, PathsResource
from pipelines.reports import screenshots
from pipelines.reports.context import PageContext, UndeclaredTable
from pipelines.reports.page import Page
from pipelines.reports.registry import NAV, PAGES
from pipelines.reports.screenshots import PageReport, Shot, screenshots_stale

BUILT = datetime(2026, 1, 2, tzinfo=UTC)


def test_without_chromium_the_screenshots_asset_skips_and_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(reports, "find_chromium", lambda: None)
    paths = PathsResource(
        data_dir=str(tmp_path), warehouse_path=str(tmp_path / "w.duckdb"), reports_dir=str(tmp_path / "reports")
    )
    warehouse = DuckDBResource(database=str(tmp_path / "w.duckdb"))
    result = reports.report_screenshots(
        build_asset_context(), paths=paths, background=BackgroundPagesResource(), warehouse=warehouse
    )
    assert result.metadata["skipped"] == "chromium not found"
    assert not (tmp_path / "reports" / "screenshots").exists()
    assert "Chromium is not on PATH" in capfd.readouterr().err


def test_every_page_is_one_asset_downstream_of_the_tables_it_declares() -> None:
    keys = {spec.key.to_user_string(): spec for asset in reports.PAGE_ASSETS for spec in asset.specs}
    assert sorted(keys) == sorted(f"reports/{spec.name}" for spec in PAGES)
    for spec in PAGES:
        deps = {dep.asset_key.to_user_string() for dep in keys[f"reports/{spec.name}"].deps}
        assert {table.replace(".", "/") for table in spec.tables} == deps, spec.name
        # every page cites the files its sources hold, read from a view: no dependency on every source's release
        assert ("marts/source_files" in deps) == ("marts.source_files" in spec.tables), spec.name
    assert [entry.name for entry in NAV] == [spec.name for spec in PAGES]
    screenshot_deps = {
        dep.asset_key.to_user_string() for dep in reports.report_screenshots.specs_by_key[reports.SCREENSHOTS_KEY].deps
    }
    assert screenshot_deps == {f"reports/{spec.name}" for spec in PAGES}


def context(con: duckdb.DuckDBPyConnection, declared: set[str], tmp_path: Path) -> PageContext:
    return PageContext(con, frozenset(declared), tmp_path, BUILT, NAV, "test_page")


def test_a_page_reading_a_table_it_did_not_declare_fails(tmp_path: Path) -> None:
    con = duckdb.connect()
    con.execute("create schema trends; create table trends.fits (x int); insert into trends.fits values (1)")
    con.execute("create schema tidy; create table tidy.scores (x int)")
    ctx = context(con, {"trends.fits"}, tmp_path)
    assert ctx.read("select * from trends.fits").height == 1
    for read in (
        lambda: ctx.read("select * from trends.fits join tidy.scores using (x)"),
        lambda: ctx.read('select * from tidy."scores"'),
        lambda: ctx.table("tidy.scores"),
        lambda: ctx.has("marts.models"),
        lambda: ctx.columns("ops.source_versions"),
    ):
        with pytest.raises(UndeclaredTable, match="test_page reads"):
            read()


def test_a_missing_declared_table_becomes_a_note_on_the_page(tmp_path: Path) -> None:
    ctx = context(duckdb.connect(), {"trends.forecasts"}, tmp_path)
    page = Page("index", "t")
    assert ctx.optional(page, "trends.forecasts", "no extrapolations") is None
    assert [(b.kind, b.data) for b in page.blocks] == [
        ("missing", {"table": "trends.forecasts", "what": "no extrapolations"})
    ]


def test_screenshots_are_stale_when_one_is_missing_or_older_than_its_page(tmp_path: Path) -> None:
    shots = tmp_path / "screenshots"
    shots.mkdir()
    for name in ("index", "efficiency"):
        (tmp_path / f"{name}.html").write_text("page")
    assert screenshots_stale(tmp_path)  # none taken yet
    for name in ("index", "efficiency"):
        (shots / f"{name}.png").write_bytes(b"png")
    assert not screenshots_stale(tmp_path)
    page = tmp_path / "efficiency.html"
    later = (shots / "efficiency.png").stat().st_mtime + 10
    os.utime(page, (later, later))
    assert screenshots_stale(tmp_path)


def test_a_run_shoots_the_pages_it_rebuilt_or_whose_screenshot_is_behind_and_keeps_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    published, staging = tmp_path / "reports", tmp_path / "reports" / ".building"
    (published / "screenshots").mkdir(parents=True)
    staging.mkdir()
    for name in ("index", "efficiency", "data_quality", "benchmarks"):
        (published / f"{name}.html").write_text(f"published {name}")
    for name in ("index", "efficiency", "benchmarks"):
        (published / "screenshots" / f"{name}.png").write_bytes(b"published png")
    behind = (published / "efficiency.html").stat().st_mtime + 10  # the last run had no Chromium, say
    os.utime(published / "efficiency.html", (behind, behind))
    (staging / "benchmarks.html").write_text("rebuilt")

    asked: list[tuple[str, Path]] = []

    def shoot(reports_dir: Path, todo: list[tuple[str, Path]], executable: str) -> list[Shot]:
        asked.extend(todo)
        return [Shot(name, reports_dir / "screenshots" / f"{name}.png", PageReport("u", "ok", [])) for name, _ in todo]

    monkeypatch.setattr(screenshots, "_take_screenshots", shoot)
    pages = ["index", "efficiency", "data_quality", "benchmarks", "compute_trends"]
    shots = screenshots.take_screenshots(staging, pages, executable="chromium", published_dir=published)
    assert asked == [
        ("efficiency", published / "efficiency.html"),
        ("data_quality", published / "data_quality.html"),
        ("benchmarks", staging / "benchmarks.html"),
    ]
    assert [(s.page, s.report is None) for s in shots] == [
        ("index", True),
        ("efficiency", False),
        ("data_quality", False),
        ("benchmarks", False),
    ]
    kept = staging / "screenshots" / "index.png"
    assert kept.read_bytes() == b"published png"
    assert kept.stat().st_mtime == (published / "screenshots" / "index.png").stat().st_mtime  # still not behind


def test_pages_shot_while_the_run_built_the_others_are_kept_unless_written_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    @contextmanager
    def fake_browser(executable: str) -> Iterator[str]:
        yield executable

    benchmarks_shot = threading.Event()

    def shoot(chromium: str, reports_dir: Path, name: str, page: Path) -> Shot:
        if name == "benchmarks":
            benchmarks_shot.set()
        return Shot(name, reports_dir / "screenshots" / f"{name}.png", PageReport(page.read_text(), "ok", []))

    monkeypatch.setattr(screenshots, "browser", fake_browser)
    monkeypatch.setattr(screenshots, "_shoot", shoot)
    staging = tmp_path / "reports" / ".building"
    staging.mkdir(parents=True)
    for name in ("index", "benchmarks"):
        (staging / f"{name}.html").write_text(f"first {name}")
    background = screenshots.BackgroundShots("chromium")
    for name in ("index", "benchmarks"):
        background.submit(name, staging / f"{name}.html")
    assert benchmarks_shot.wait(10)
    (staging / "benchmarks.html").write_text("second benchmarks")  # a retried step wrote the page again
    later = (staging / "benchmarks.html").stat().st_mtime + 5
    os.utime(staging / "benchmarks.html", (later, later))
    taken = background.finish()
    assert {name: shot.report.url for name, shot in taken.items() if shot.report} == {"index": "first index"}

    asked: list[tuple[str, Path]] = []

    def shoot_rest(reports_dir: Path, todo: list[tuple[str, Path]], executable: str) -> list[Shot]:
        asked.extend(todo)
        return [Shot(name, reports_dir / "screenshots" / f"{name}.png", None) for name, _ in todo]

    monkeypatch.setattr(screenshots, "_take_screenshots", shoot_rest)
    shots = screenshots.take_screenshots(staging, ["index", "benchmarks"], executable="chromium", taken=taken)
    assert asked == [("benchmarks", staging / "benchmarks.html")]
    assert [shot.page for shot in shots] == ["index", "benchmarks"]


def test_a_browser_that_fails_in_the_background_fails_the_screenshots_step(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    @contextmanager
    def broken_browser(executable: str) -> Iterator[str]:
        raise RuntimeError(f"{executable}: cannot launch")
        yield executable

    monkeypatch.setattr(screenshots, "browser", broken_browser)
    background = screenshots.BackgroundShots("/usr/bin/no-chromium")
    background.submit("index", tmp_path / "index.html")
    with pytest.raises(RuntimeError, match="no-chromium: cannot launch"):
        background.finish()
