"""Headless Chromium through Playwright: open a report from `file://`, wait for its charts, collect console errors
and what each chart drew, and save full-page screenshots at 1280 px wide into `reports/screenshots/<page>.png`.

Playwright drives Debian's Chromium (its own browser download is not used): `find_chromium` locates it on PATH.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCREENSHOT_DIR = "screenshots"
WIDTH = 1280
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CHART_MARKS_JS = """
Array.from(document.querySelectorAll('div.chart')).map(div => ({
  id: div.id,
  svg: div.querySelectorAll('svg').length,
  marks: div.querySelectorAll('svg g.role-mark > *').length,
}))
"""
PAGE_HEIGHT_JS = "Math.ceil(Math.max(document.documentElement.scrollHeight, document.body.scrollHeight))"
SETTLE_MS = 120_000  # the pages set <body data-charts> once every chart has rendered or failed


def find_chromium() -> str | None:
    """The Chromium (or Chrome) executable on PATH, or None."""
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


@dataclass
class PageReport:
    """What one page did in the browser."""

    url: str
    charts_state: str
    charts: list[dict[str, Any]]
    console_errors: list[str] = field(default_factory=list)
    height: int = 0
    dialogs: list[str] = field(default_factory=list)  # alert()/confirm() messages: a page should raise none


@contextmanager
def browser(executable: str) -> Iterator[Any]:
    """One headless Chromium, closed on exit; Playwright is imported here, so pages build without it."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, headless=True, args=LAUNCH_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@contextmanager
def opened(chromium: Any, path: Path) -> Iterator[tuple[Any, PageReport]]:
    """A report open in a fresh 1280 px wide tab once its charts have settled, with what it logged and drew."""
    tab = chromium.new_page(viewport={"width": WIDTH, "height": 900})
    errors: list[str] = []
    tab.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    tab.on("pageerror", lambda error: errors.append(str(error)))
    dialogs: list[str] = []
    tab.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    try:
        url = path.resolve().as_uri()
        tab.goto(url, wait_until="load")
        tab.wait_for_function("document.body && document.body.dataset.charts", timeout=SETTLE_MS)
        report = PageReport(
            url=url,
            charts_state=tab.evaluate("document.body.dataset.charts"),
            charts=tab.evaluate(CHART_MARKS_JS),
            console_errors=errors,
            height=tab.evaluate(PAGE_HEIGHT_JS),
            dialogs=dialogs,
        )
        yield tab, report
    finally:
        tab.close()


@dataclass(frozen=True)
class Shot:
    page: str
    path: Path
    report: PageReport


def take_screenshots(
    reports_dir: Path, pages: list[str], *, executable: str, published_dir: Path | None = None
) -> list[Shot]:
    """A full-page PNG of each page that exists, written whole or not at all; pages not built are skipped.

    A run writes pages to a staging folder swapped in whole: a page it did not rebuild is shot from `published_dir`,
    so the staged `screenshots/` folder holds every page when it replaces the published one.

    Playwright's sync API refuses to start where an event loop already runs in the thread (a notebook, or another
    Playwright session), so the browser gets a worker thread of its own.
    """
    with ThreadPoolExecutor(max_workers=1) as worker:
        return worker.submit(_take_screenshots, reports_dir, pages, executable, published_dir).result()


def _take_screenshots(reports_dir: Path, pages: list[str], executable: str, published_dir: Path | None) -> list[Shot]:
    from pipelines.charts.page import write_atomic

    shots = []
    with browser(executable) as chromium:
        for name in pages:
            page = reports_dir / f"{name}.html"
            if not page.exists() and published_dir is not None:
                page = published_dir / f"{name}.html"
            if not page.exists():
                continue
            with opened(chromium, page) as (tab, report):
                path = reports_dir / SCREENSHOT_DIR / f"{name}.png"
                write_atomic(path, tab.screenshot(full_page=True, type="png"))
            shots.append(Shot(name, path, report))
    return shots


def screenshots_stale(reports_dir: Path) -> bool:
    """Whether the screenshots need taking again: a page has no screenshot, or is newer than its screenshot."""
    for page in reports_dir.glob("*.html"):
        shot = reports_dir / SCREENSHOT_DIR / f"{page.stem}.png"
        if not shot.exists() or shot.stat().st_mtime < page.stat().st_mtime:
            return True
    return False


def main() -> int:
    """`python -m pipelines.charts.screenshots [reports_dir]`: screenshots of the pages in a reports folder."""
    import sys

    from pipelines.charts.registry import PAGE_NAMES
    from pipelines.settings import load_settings

    reports_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else load_settings().reports_dir
    executable = find_chromium()
    if executable is None:
        print("no Chromium on PATH: no screenshots taken (install Debian's `chromium`: make browser)")
        return 0
    for shot in take_screenshots(reports_dir, PAGE_NAMES, executable=executable):
        errors = f"; console errors: {shot.report.console_errors}" if shot.report.console_errors else ""
        print(f"{shot.path} ({shot.report.height} px high, charts {shot.report.charts_state}){errors}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
