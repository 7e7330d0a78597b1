"""Headless Chromium through Playwright: open a report from `file://`, wait for its charts, collect console errors
and what each chart drew, and save full-page screenshots at 1280 px wide into `reports/screenshots/<page>.png`.

Playwright drives Debian's Chromium (its own browser download is not used): `find_chromium` locates it on PATH.
"""

from __future__ import annotations

import queue
import shutil
import threading
from collections import deque
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import islice
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
TABS = 3  # pages loading at once: two cores render while the third is shot


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


def _new_tab(chromium: Any) -> tuple[Any, list[str], list[str]]:
    """A 1280 px wide tab that records console errors, page errors and dialogs (dismissed)."""
    tab = chromium.new_page(viewport={"width": WIDTH, "height": 900})
    errors: list[str] = []
    tab.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    tab.on("pageerror", lambda error: errors.append(str(error)))
    dialogs: list[str] = []
    tab.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    return tab, errors, dialogs


def _settled(tab: Any, url: str, errors: list[str], dialogs: list[str]) -> PageReport:
    """Wait for the page's load and for its charts to settle (`<body data-charts>`), then say what it did."""
    tab.wait_for_load_state("load")
    tab.wait_for_function("document.body && document.body.dataset.charts", timeout=SETTLE_MS)
    return PageReport(
        url=url,
        charts_state=tab.evaluate("document.body.dataset.charts"),
        charts=tab.evaluate(CHART_MARKS_JS),
        console_errors=errors,
        height=tab.evaluate(PAGE_HEIGHT_JS),
        dialogs=dialogs,
    )


@contextmanager
def opened(chromium: Any, path: Path) -> Iterator[tuple[Any, PageReport]]:
    """A report open in a fresh 1280 px wide tab once its charts have settled, with what it logged and drew."""
    tab, errors, dialogs = _new_tab(chromium)
    try:
        url = path.resolve().as_uri()
        tab.goto(url, wait_until="load")
        yield tab, _settled(tab, url, errors, dialogs)
    finally:
        tab.close()


@dataclass(frozen=True)
class Shot:
    """A page's screenshot: taken now (with what the page did in Chromium), or kept from the previous build."""

    page: str
    path: Path
    report: PageReport | None


def take_screenshots(
    reports_dir: Path,
    pages: list[str],
    *,
    executable: str,
    published_dir: Path | None = None,
    taken: dict[str, Shot] | None = None,
) -> list[Shot]:
    """A full-page PNG of each page that exists, written whole or not at all; pages not built are skipped.

    A run writes pages to a staging folder swapped in whole: a page it did not rebuild keeps the published
    screenshot when that is newer than the published page, and is shot from `published_dir` when not, so the
    staged `screenshots/` folder holds every page when it replaces the published one. Pages in `taken` were shot
    already, while the run built the others (`BackgroundShots`).

    Playwright's sync API refuses to start where an event loop already runs in the thread (a notebook, or another
    Playwright session), so the browser gets a worker thread of its own.
    """
    taken = taken or {}
    shots, todo = [], []
    for name in pages:
        page = reports_dir / f"{name}.html"
        previous = _unchanged_shot(name, page, published_dir)
        if name in taken:
            shots.append(taken[name])
        elif previous is not None:
            shots.append(_keep(name, previous, reports_dir))
        elif page.exists() or (published_dir is not None and (page := published_dir / f"{name}.html").exists()):
            todo.append((name, page))
    if todo:
        with ThreadPoolExecutor(max_workers=1) as worker:
            shots += worker.submit(_take_screenshots, reports_dir, todo, executable).result()
    order = {name: i for i, name in enumerate(pages)}
    return sorted(shots, key=lambda shot: order[shot.page])


class BackgroundShots:
    """Chromium in a thread of its own, shooting each page as soon as the run has written it while the run goes
    on building the next ones (on the other core); `finish` waits for the last shot and closes the browser."""

    def __init__(self, executable: str) -> None:
        self._pages: queue.SimpleQueue[tuple[str, Path] | None] = queue.SimpleQueue()
        self._shots: dict[str, tuple[Shot, Path, int]] = {}  # name -> (shot, page, the page's mtime when shot)
        self._error: BaseException | None = None
        self._cancelled = threading.Event()
        self._thread = threading.Thread(target=self._work, args=(executable,), name="screenshots", daemon=True)
        self._thread.start()  # Chromium launches now, before the first page is written

    def cancel(self) -> None:
        """Close the browser without shooting the pages still waiting (the run failed before its screenshots)."""
        self._cancelled.set()
        self._pages.put(None)
        self._thread.join()

    def submit(self, name: str, page: Path) -> None:
        """Shoot `page` (just written) once the pages submitted before it are done."""
        self._pages.put((name, page))

    def finish(self) -> dict[str, Shot]:
        """The shots taken, of pages unchanged since (a page written again after its shot is shot again later);
        Chromium's failure, if it had one, raised here."""
        self._pages.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error
        return {name: shot for name, (shot, page, version) in self._shots.items() if _mtime_ns(page) == version}

    def _work(self, executable: str) -> None:
        try:
            with browser(executable) as chromium:
                while (item := self._pages.get()) is not None and not self._cancelled.is_set():
                    name, page = item
                    version = _mtime_ns(page)  # the shot goes beside the page: <reports>/screenshots/<name>.png
                    self._shots[name] = (_shoot(chromium, page.parent, name, page), page, version)
        except BaseException as error:  # given to `finish`, in the run's thread
            self._error = error


def _unchanged_shot(name: str, staged: Path, published_dir: Path | None) -> Path | None:
    """The published screenshot of a page this run did not rebuild, when it is not older than the page."""
    if published_dir is None or staged.exists() or staged.parent == published_dir:
        return None
    page, shot = published_dir / f"{name}.html", published_dir / SCREENSHOT_DIR / f"{name}.png"
    if page.exists() and shot.exists() and shot.stat().st_mtime >= page.stat().st_mtime:
        return shot
    return None


def _keep(name: str, previous: Path, reports_dir: Path) -> Shot:
    from pipelines.reports.exports import link_atomic

    path = reports_dir / SCREENSHOT_DIR / f"{name}.png"
    link_atomic(previous, path)
    return Shot(name, path, None)


def _mtime_ns(path: Path) -> int | None:
    return path.stat().st_mtime_ns if path.exists() else None


def _shoot(chromium: Any, reports_dir: Path, name: str, page: Path) -> Shot:
    """One page, opened, settled and shot into `reports_dir/screenshots/<name>.png`."""
    with opened(chromium, page) as (tab, report):
        return Shot(name, _save(tab, reports_dir, name), report)


def _save(tab: Any, reports_dir: Path, name: str) -> Path:
    """The settled tab's full-page PNG, written whole as `reports_dir/screenshots/<name>.png`."""
    from pipelines.reports.page import write_atomic

    path = reports_dir / SCREENSHOT_DIR / f"{name}.png"
    write_atomic(path, tab.screenshot(full_page=True, type="png"))
    return path


def _take_screenshots(reports_dir: Path, todo: list[tuple[str, Path]], executable: str) -> list[Shot]:
    """Up to `TABS` pages load and render at once (Chromium gives each its own renderer process); each is shot
    as soon as its charts settle, in order."""
    shots: list[Shot] = []
    waiting = iter(todo)
    loading: deque[tuple[str, str, tuple[Any, list[str], list[str]]]] = deque()

    def load_next() -> None:
        for name, page in islice(waiting, 1):
            tab = _new_tab(chromium)
            url = page.resolve().as_uri()
            tab[0].goto(url, wait_until="commit")
            loading.append((name, url, tab))

    with browser(executable) as chromium:
        for _ in range(TABS):
            load_next()
        while loading:
            name, url, (tab, errors, dialogs) = loading.popleft()
            try:
                report = _settled(tab, url, errors, dialogs)
                path = _save(tab, reports_dir, name)
            finally:
                tab.close()
            shots.append(Shot(name, path, report))
            load_next()
    return shots


def screenshots_stale(reports_dir: Path) -> bool:
    """Whether the screenshots need taking again: a page has no screenshot, or is newer than its screenshot."""
    for page in reports_dir.glob("*.html"):
        shot = reports_dir / SCREENSHOT_DIR / f"{page.stem}.png"
        if not shot.exists() or shot.stat().st_mtime < page.stat().st_mtime:
            return True
    return False


def main() -> int:
    """`python -m pipelines.reports.screenshots [reports_dir]`: screenshots of the pages in a reports folder."""
    import sys

    from pipelines.reports.registry import PAGE_NAMES
    from pipelines.settings import load_settings

    reports_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else load_settings().reports_dir
    executable = find_chromium()
    if executable is None:
        print("no Chromium on PATH: no screenshots taken (install Debian's `chromium`: make browser)")
        return 0
    for shot in take_screenshots(reports_dir, PAGE_NAMES, executable=executable):
        assert shot.report is not None  # with no published folder, every page is shot
        errors = f"; console errors: {shot.report.console_errors}" if shot.report.console_errors else ""
        print(f"{shot.path} ({shot.report.height} px high, charts {shot.report.charts_state}){errors}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
