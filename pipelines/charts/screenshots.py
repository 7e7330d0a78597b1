"""Screenshots of every report at 1280 px wide, by headless Chromium, into `reports/screenshots/<page>.png`."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pipelines.charts.browser import Chromium, PageReport, find_chromium
from pipelines.charts.page import PAGE_NAMES

SCREENSHOT_DIR = "screenshots"


@dataclass(frozen=True)
class Shot:
    page: str
    path: Path
    report: PageReport


def take_screenshots(reports_dir: Path, pages: list[str] | None = None, *, executable: str | None = None) -> list[Shot]:
    """Open each page from `file://`, wait for its charts, and save a full-page PNG; pages not built are skipped."""
    executable = executable or find_chromium()
    if executable is None:
        return []
    shots = []
    with Chromium(executable) as browser:
        for name in pages or PAGE_NAMES:
            page = reports_dir / f"{name}.html"
            if not page.exists():
                continue
            tab = browser.open(page.resolve().as_uri())
            try:
                report = tab.report()
                path = tab.screenshot(reports_dir / SCREENSHOT_DIR / f"{name}.png", height=report.height)
            finally:
                tab.close()
            shots.append(Shot(name, path, report))
    return shots


def main() -> int:
    """`python -m pipelines.charts.screenshots [reports_dir]`: screenshots of the pages in a reports folder."""
    import sys

    from pipelines.settings import load_settings

    reports_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else load_settings().reports_dir
    if find_chromium() is None:
        print("no Chromium on PATH: no screenshots taken (install Debian's `chromium`)")
        return 0
    for shot in take_screenshots(reports_dir):
        errors = f"; console errors: {shot.report.console_errors}" if shot.report.console_errors else ""
        print(f"{shot.path} ({shot.report.height} px high, charts {shot.report.charts_state}){errors}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
