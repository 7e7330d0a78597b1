"""The HTML shell every report shares: offline Vega bundle, navigation, charts with their data and exports, text,
provenance and credits.

Pages open from `file://` with no network: the Vega/Vega-Lite/vega-embed bundle comes from vl-convert and is
written once to `reports/vendor/`, which every page loads by a relative path. Each chart's data (CSV) and static
exports (PNG, SVG, rendered by vl-convert) are written to `reports/<page>/<chart>.*`, linked under the chart.
"""

from __future__ import annotations

import email.utils
import functools
import html
import json
import os
import re
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import altair as alt
import polars as pl
import vl_convert as vlc

from pipelines.sources import SOURCES

VENDOR_BUNDLE = Path("vendor") / "vega-embed-bundle.js"

# Every page, in navigation order: file stem, short name, what it answers.
PAGES: list[tuple[str, str, str]] = [
    ("index", "At a glance", "Headline growth rates with 90% intervals, and what changed since the previous build."),
    (
        "per_dollar_vs_per_year",
        "Per dollar vs per year",
        "How much compute, how many dollars, or how many years it took to halve the error on each benchmark.",
    ),
    (
        "compute_trends",
        "Compute trends",
        "Training compute, parameters, tokens and cost over time: era fits, rolling growth rates, forecasts.",
    ),
    (
        "efficiency",
        "Efficiency",
        "Hardware FLOP/s per dollar and per watt, training cost per FLOP, and the compute needed to reach a score.",
    ),
    ("benchmarks", "Benchmarks", "Score against compute and cost for each benchmark, and the frontier over time."),
    (
        "data_quality",
        "Data quality",
        "Coverage by column and year, rejected values, unmatched model names, source freshness and sha256.",
    ),
]
PAGE_NAMES = [name for name, _, _ in PAGES]

_CHART_NAME = re.compile(r"^[a-z0-9_]+$")


@dataclass(frozen=True)
class Snapshot:
    """One landed source file, as the pages cite it."""

    source: str
    url: str
    sha256: str
    fetched_at: datetime
    last_modified: str | None
    rows: int | None


@dataclass(frozen=True)
class Cell:
    """A table cell with attributes, e.g. the exact value behind a rounded number (`data-value`)."""

    text: str
    attrs: dict[str, str] = field(default_factory=dict)
    title: str | None = None


@dataclass
class ChartEntry:
    chart: alt.TopLevelMixin
    data: pl.DataFrame


@dataclass
class Page:
    name: str
    title: str
    intro: str = ""
    sections: list[str] = field(default_factory=list)
    charts: dict[str, ChartEntry] = field(default_factory=dict)
    downloads: dict[str, pl.DataFrame] = field(default_factory=dict)

    def download(self, name: str, frame: pl.DataFrame, label: str) -> None:
        """A CSV of `frame` written next to the page, linked here (for tables too long to show whole)."""
        if not _CHART_NAME.match(name) or name in self.charts or name in self.downloads:
            raise ValueError(f"download name {name!r} must be new and lower-case letters, digits and underscores")
        self.downloads[name] = frame
        self.sections.append(
            f'<p class="downloads">{html.escape(label)}: <a href="{self.name}/{name}.csv" download>CSV</a> '
            f"({frame.height:,} rows)</p>"
        )

    def paragraph(self, text: str, *, css: str | None = None, ident: str | None = None) -> None:
        attrs = (f' class="{css}"' if css else "") + (f' id="{html.escape(ident)}"' if ident else "")
        self.sections.append(f"<p{attrs}>{html.escape(text)}</p>")

    def raw_html(self, markup: str) -> None:
        """Markup built by the caller; every value in it must already be escaped."""
        self.sections.append(markup)

    def heading(self, text: str, *, level: int = 2, ident: str | None = None) -> None:
        attrs = f' id="{html.escape(ident)}"' if ident else ""
        self.sections.append(f"<h{level}{attrs}>{html.escape(text)}</h{level}>")

    def missing(self, table: str, what: str = "") -> None:
        """The note a section shows while the table it reads does not exist yet."""
        suffix = f" ({html.escape(what)})" if what else ""
        self.sections.append(
            f'<p class="missing" data-missing="{html.escape(table)}">Not yet available: '
            f"<code>{html.escape(table)}</code> missing{suffix}.</p>"
        )

    def chart(self, name: str, chart: alt.TopLevelMixin, data: pl.DataFrame, caption: str = "") -> None:
        """A chart, the frame behind it (written as CSV) and links to its data, PNG and SVG."""
        if not _CHART_NAME.match(name):
            raise ValueError(f"chart name {name!r} must be lower-case letters, digits and underscores")
        if name in self.charts:
            raise ValueError(f"chart {name!r} appears twice on {self.name}")
        self.charts[name] = ChartEntry(styled(chart), data)
        base = f"{self.name}/{name}"
        links = (
            f'<p class="downloads">Data behind this chart: <a href="{base}.csv" download>CSV</a> · '
            f'export: <a href="{base}.png">PNG</a> · <a href="{base}.svg">SVG</a></p>'
        )
        figcaption = f"<figcaption>{html.escape(caption)}</figcaption>" if caption else ""
        self.sections.append(
            f'<figure class="chart-box"><div class="chart" id="chart-{name}"></div>{figcaption}{links}</figure>'
        )

    def table(
        self,
        header: list[str],
        rows: list[list[object]],
        *,
        ident: str | None = None,
        css: str | None = None,
        numeric: set[int] | None = None,
        collapsed: str | None = None,
    ) -> None:
        """A table; `Cell` values keep their attributes, anything else is shown as text. With `collapsed`, the
        table sits in a closed <details> whose summary is that text."""
        numeric = numeric or set()
        head = "".join(
            f"<th{' class=num' if i in numeric else ''}>{html.escape(str(h))}</th>" for i, h in enumerate(header)
        )
        body = "".join("<tr>" + "".join(_cell(v, i in numeric) for i, v in enumerate(row)) + "</tr>" for row in rows)
        attrs = (f' id="{html.escape(ident)}"' if ident else "") + (f' class="{css}"' if css else "")
        markup = (
            f'<div class="table-wrap"><table{attrs}><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div>'
        )
        if collapsed:
            markup = f"<details><summary>{html.escape(collapsed)}</summary>{markup}</details>"
        self.sections.append(markup)


def _cell(value: object, numeric: bool) -> str:
    classes = ' class="num"' if numeric else ""
    if isinstance(value, Cell):
        attrs = "".join(f' {html.escape(k)}="{html.escape(v)}"' for k, v in value.attrs.items())
        title = f' title="{html.escape(value.title)}"' if value.title else ""
        return f"<td{classes}{attrs}{title}>{html.escape(value.text)}</td>"
    return f"<td{classes}>{html.escape('' if value is None else str(value))}</td>"


def styled(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """One look for every chart: legible at 1280 px, titles left-aligned, no chart border."""
    return (
        chart.configure_axis(labelFontSize=12, titleFontSize=13, titleFontWeight="normal", labelLimit=260)
        .configure_legend(labelFontSize=12, titleFontSize=12, labelLimit=260)
        .configure_title(fontSize=15, anchor="start", subtitleFontSize=12, subtitleColor="#555")
        .configure_header(labelFontSize=12, titleFontSize=13)
        .configure_view(stroke=None)
    )


STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; max-width: 1160px; margin: 1.5em auto;
       padding: 0 1.2em; color: #222; line-height: 1.5; }
nav { font-size: 0.92em; margin-bottom: 1.2em; padding-bottom: 0.6em; border-bottom: 1px solid #ddd; }
nav a { margin-right: 1.1em; color: #2a5a8a; text-decoration: none; white-space: nowrap; }
nav a.current { font-weight: 600; color: #222; }
h1 { margin: 0.2em 0; } h2 { margin-top: 1.8em; } .meta { color: #666; font-size: 0.9em; }
.headline { font-size: 1.1em; background: #f4f6f8; padding: 0.8em 1em; border-left: 4px solid #4c78a8; }
.explain { background: #fbf8ef; padding: 0.2em 1.1em; border-left: 4px solid #e0a040; }
.missing { color: #8a4b00; background: #fff4e0; padding: 0.5em 0.8em; border-left: 4px solid #e0a040; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; font-size: 0.86em; margin: 1em 0; }
th, td { border-bottom: 1px solid #ddd; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
th { background: #f6f6f6; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td code, .sha { font-family: ui-monospace, monospace; font-size: 0.9em; word-break: break-all; }
figure.chart-box { margin: 1.2em 0; } figcaption { color: #444; font-size: 0.9em; max-width: 60em; }
.downloads { font-size: 0.85em; color: #555; margin: 0.2em 0 0; }
.vega-embed .chart-wrapper { display: flex; flex-direction: column; align-items: flex-start; }
.vega-embed .vega-bindings { order: -1; margin: 0 0 0.6em; font-size: 0.95em; }
.vega-embed .vega-bind-name { font-weight: 600; margin-right: 0.4em; }
td[title] { text-decoration: underline dotted #999; cursor: help; }
#headline-table td:nth-child(3), #snapshots-table td:nth-child(3), #snapshots-table td:nth-child(4),
#freshness-table td:nth-child(6) { white-space: nowrap; }
details > summary { cursor: pointer; color: #2a5a8a; margin: 0.6em 0; }
footer { margin-top: 3em; font-size: 0.85em; color: #555; }
"""


@functools.cache
def vendor_bundle() -> str:
    """vl-convert's bundle of Vega, Vega-Lite and vega-embed (built once per process: it takes seconds)."""
    return vlc.javascript_bundle()


def write_vendor_bundle(reports_dir: Path) -> Path:
    """The vega-embed bundle (Vega, Vega-Lite, vega-embed) for offline pages; rewritten only when it changes."""
    target = reports_dir / VENDOR_BUNDLE
    bundle = vendor_bundle()
    if target.exists() and target.read_text(encoding="utf-8") == bundle:
        return target
    write_atomic(target, bundle)
    return target


def write_atomic(path: Path, content: str | bytes) -> None:
    """Write next to the target, then rename: a reader sees the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        if isinstance(content, bytes):
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
        else:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(content)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; reports are meant to be read and served
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _published(last_modified: str | None) -> str:
    if not last_modified:
        return ""
    try:
        return f"{email.utils.parsedate_to_datetime(last_modified):%Y-%m-%d %H:%M}"
    except (TypeError, ValueError):
        return last_modified


def _short_url(url: str) -> str:
    path = url.split("://", 1)[-1].split("?", 1)[0]
    return path if len(path) <= 48 else f"{path[:24]}…{path[-22:]}"


def _provenance(snapshots: list[Snapshot]) -> str:
    rows = "".join(
        "<tr>"
        f'<td>{html.escape(s.source)}</td><td><a href="{html.escape(s.url)}" title="{html.escape(s.url)}">'
        f"{html.escape(_short_url(s.url))}</a></td>"
        f"<td>{html.escape(_published(s.last_modified))}</td><td>{s.fetched_at:%Y-%m-%d %H:%M}</td>"
        f'<td class="num">{"" if s.rows is None else f"{s.rows:,}"}</td><td class="sha">{html.escape(s.sha256)}</td>'
        "</tr>"
        for s in snapshots
    )
    return (
        '<h2 id="snapshots">Source snapshots</h2><p class="meta">The file each raw table holds, as published '
        "(times UTC).</p>"
        '<div class="table-wrap"><table id="snapshots-table"><thead><tr><th>source</th>'
        "<th>URL</th><th>published (Last-Modified)</th><th>fetched</th><th class=num>rows</th><th>sha256</th></tr>"
        f"</thead><tbody>{rows}</tbody></table></div>"
    )


def credits_html() -> str:
    """Every publisher's citation and licence, once each."""
    seen: dict[str, str] = {}
    for source in SOURCES:
        seen.setdefault(source.citation, source.licence)
    items = "".join(f"<li>{html.escape(c)} ({html.escape(lic)})</li>" for c, lic in seen.items())
    return (
        f'<h2 id="credits">Credits and licences</h2><ul>{items}</ul>'
        "<p>Charts: Vega-Lite via Altair, rendered by vega-embed (BSD-3-Clause). Code: MIT.</p>"
    )


def nav_html(current: str) -> str:
    links = []
    for name, label, _ in PAGES:
        css = ' class="current" aria-current="page"' if name == current else ""
        links.append(f'<a href="{name}.html"{css}>{html.escape(label)}</a>')
    return f"<nav>{''.join(links)}</nav>"


def _spec_json(chart: alt.TopLevelMixin) -> str:
    # "</" inside a script block would end it early: escape it in the JSON.
    return json.dumps(chart.to_dict()).replace("</", "<\\/")


def render_page(page: Page, *, built_at: datetime, snapshots: list[Snapshot]) -> str:
    """The full HTML of a page; charts are embedded as Vega-Lite specs rendered by the local bundle.

    Once every chart has rendered (or failed), `<body data-charts>` says "ok" or "failed: <n>", for tests and
    screenshots to wait on.
    """
    specs = ",\n".join(f"['#chart-{name}', {_spec_json(entry.chart)}]" for name, entry in page.charts.items())
    body = "\n".join(page.sections)
    snapshot_dates = sorted({f"{s.fetched_at:%Y-%m-%d}" for s in snapshots})
    snapshot_note = (
        f' Source snapshots fetched {", ".join(snapshot_dates)} (<a href="#snapshots">sha256 below</a>).'
        if snapshot_dates
        else ""
    )
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(page.title)} · scaling-warehouse</title>
<style>{STYLE}</style>
<script src="{VENDOR_BUNDLE.as_posix()}"></script>
</head>
<body>
{nav_html(page.name)}
<h1>{html.escape(page.title)}</h1>
<p class="meta">Built <time id="built-at" datetime="{built_at.isoformat()}">{built_at:%Y-%m-%d %H:%M} UTC</time>
by scaling-warehouse.{snapshot_note}</p>
{f"<p>{html.escape(page.intro)}</p>" if page.intro else ""}
{body}
{_provenance(snapshots)}
<footer>{credits_html()}</footer>
<script>
(function () {{
  const charts = [
{specs}
  ];
  if (typeof vegaEmbed === 'undefined') {{
    document.body.dataset.charts = 'failed: the Vega bundle {VENDOR_BUNDLE.as_posix()} did not load';
    console.error(document.body.dataset.charts);
    return;
  }}
  Promise.allSettled(charts.map(([id, spec]) => vegaEmbed(id, spec, {{actions: true, renderer: 'svg'}})))
    .then(results => {{
      const failed = results.filter(r => r.status === 'rejected');
      failed.forEach(r => console.error(r.reason));
      document.body.dataset.charts = failed.length ? 'failed: ' + failed.length : 'ok';
    }});
}})();
</script>
</body>
</html>
"""


def export_chart(chart: alt.TopLevelMixin) -> tuple[bytes, str]:
    """PNG (2x, for slides) and SVG renderings of a chart by vl-convert, with its parameters at their defaults."""
    svg = vlc.vegalite_to_svg(chart.to_dict())
    return vlc.svg_to_png(svg, scale=2), svg


def csv_ready(frame: pl.DataFrame) -> pl.DataFrame:
    """Columns CSV can hold: lists joined with '; ', nested values as JSON text."""
    columns = []
    for name, dtype in frame.schema.items():
        if isinstance(dtype, pl.List):
            columns.append(pl.col(name).cast(pl.List(pl.String)).list.join("; ").alias(name))
        elif isinstance(dtype, pl.Struct):
            columns.append(pl.col(name).struct.json_encode().alias(name))
        else:
            columns.append(pl.col(name))
    return frame.select(columns)


def publish(page: Page, reports_dir: Path, *, built_at: datetime, snapshots: list[Snapshot]) -> Path:
    """Write the page's chart data, exports and tables, then the page itself.

    Everything is rendered in memory first, so a failing chart or export leaves the previous files untouched;
    each file is then replaced atomically, the HTML last, so it never links to a file not yet written.
    """
    folder = reports_dir / page.name
    files: dict[Path, str | bytes] = {}
    for name, entry in page.charts.items():
        png, svg = export_chart(entry.chart)
        files[folder / f"{name}.csv"] = csv_ready(entry.data).write_csv()
        files[folder / f"{name}.png"] = png
        files[folder / f"{name}.svg"] = svg
    for name, frame in page.downloads.items():
        files[folder / f"{name}.csv"] = csv_ready(frame).write_csv()
    path = reports_dir / f"{page.name}.html"
    text = render_page(page, built_at=built_at, snapshots=snapshots)
    write_vendor_bundle(reports_dir)
    for target, content in files.items():
        write_atomic(target, content)
    write_atomic(path, text)
    return path
