"""The HTML shell every report shares: offline Vega bundle, charts, text, provenance and credits.

Pages open from `file://` with no network: the Vega/Vega-Lite/vega-embed bundle comes from vl-convert and is
written once to `reports/vendor/`, which every page loads by a relative path.
"""

from __future__ import annotations

import html
import json
import os
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import altair as alt
import vl_convert as vlc

from pipelines.sources import SOURCES

VENDOR_BUNDLE = Path("vendor") / "vega-embed-bundle.js"


@dataclass(frozen=True)
class Snapshot:
    """One landed source file, as the pages cite it."""

    source: str
    url: str
    sha256: str
    fetched_at: datetime
    last_modified: str | None
    rows: int | None


@dataclass
class Page:
    title: str
    intro: str = ""
    sections: list[str] = field(default_factory=list)
    charts: dict[str, alt.TopLevelMixin] = field(default_factory=dict)

    def paragraph(self, text: str) -> None:
        self.sections.append(f"<p>{html.escape(text)}</p>")

    def heading(self, text: str) -> None:
        self.sections.append(f"<h2>{html.escape(text)}</h2>")

    def chart(self, name: str, chart: alt.TopLevelMixin) -> None:
        self.charts[name] = chart
        self.sections.append(f'<div class="chart" id="chart-{html.escape(name)}"></div>')

    def table(self, header: list[str], rows: list[list[object]]) -> None:
        head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape('' if v is None else str(v))}</td>" for v in row) + "</tr>"
            for row in rows
        )
        self.sections.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 1100px; margin: 2em auto;
       padding: 0 1em; color: #222; line-height: 1.5; }
h1 { margin-bottom: 0.2em; } .meta { color: #666; font-size: 0.9em; }
.headline { font-size: 1.15em; background: #f4f6f8; padding: 0.8em 1em; border-left: 4px solid #4c78a8; }
table { border-collapse: collapse; font-size: 0.85em; margin: 1em 0; }
th, td { border-bottom: 1px solid #ddd; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
td code, .sha { font-family: ui-monospace, monospace; font-size: 0.9em; word-break: break-all; }
.chart { margin: 1em 0; }
footer { margin-top: 3em; font-size: 0.85em; color: #555; }
"""


def write_vendor_bundle(reports_dir: Path) -> Path:
    """The vega-embed bundle (Vega, Vega-Lite, vega-embed) for offline pages; rewritten only when it changes."""
    target = reports_dir / VENDOR_BUNDLE
    bundle = vlc.javascript_bundle()
    if target.exists() and target.read_text(encoding="utf-8") == bundle:
        return target
    write_atomic(target, bundle)
    return target


def write_atomic(path: Path, text: str) -> None:
    """Write next to the target, then rename: a reader sees the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; reports are meant to be read and served
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _provenance(snapshots: list[Snapshot]) -> str:
    rows = "".join(
        "<tr>"
        f'<td>{html.escape(s.source)}</td><td><a href="{html.escape(s.url)}">{html.escape(s.url)}</a></td>'
        f"<td>{html.escape(s.last_modified or '')}</td><td>{s.fetched_at:%Y-%m-%d %H:%M} UTC</td>"
        f'<td>{"" if s.rows is None else f"{s.rows:,}"}</td><td class="sha">{html.escape(s.sha256)}</td>'
        "</tr>"
        for s in snapshots
    )
    return (
        "<h2>Source snapshots</h2><table><thead><tr><th>source</th><th>URL</th><th>published (Last-Modified)</th>"
        f"<th>fetched</th><th>rows</th><th>sha256</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def credits_html() -> str:
    """Every publisher's citation and licence, once each."""
    seen: dict[str, str] = {}
    for source in SOURCES:
        seen.setdefault(source.citation, source.licence)
    items = "".join(f"<li>{html.escape(c)} ({html.escape(lic)})</li>" for c, lic in seen.items())
    return f"<h2>Credits and licences</h2><ul>{items}</ul>"


def render_page(page: Page, *, built_at: datetime, snapshots: list[Snapshot]) -> str:
    """The full HTML of a page; charts are embedded as Vega-Lite specs rendered by the local bundle."""
    # "</" inside a script block would end it early: escape it in the JSON.
    specs = {name: json.dumps(chart.to_dict()).replace("</", "<\\/") for name, chart in page.charts.items()}
    embeds = "\n".join(
        f"vegaEmbed('#chart-{name}', {spec}, {{actions: true, renderer: 'svg'}}).catch(console.error);"
        for name, spec in specs.items()
    )
    body = "\n".join(page.sections)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<title>{html.escape(page.title)}</title>
<style>{STYLE}</style>
<script src="{VENDOR_BUNDLE.as_posix()}"></script>
</head>
<body>
<h1>{html.escape(page.title)}</h1>
<p class="meta">Built {built_at:%Y-%m-%d %H:%M} UTC by scaling-warehouse.</p>
{f"<p>{html.escape(page.intro)}</p>" if page.intro else ""}
{body}
{_provenance(snapshots)}
<footer>{credits_html()}</footer>
<script>
{embeds}
</script>
</body>
</html>
"""
