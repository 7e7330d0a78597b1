"""A report page as data: a title, an intro and a list of blocks (headings, paragraphs, charts, tables, notes),
rendered by the Jinja2 templates in `templates/` with autoescape, so no value reaches the HTML unescaped.

Pages open from `file://` with no network: the Vega/Vega-Lite/vega-embed bundle comes from vl-convert and is
written once to `reports/vendor/`, which every page loads by a relative path. Each chart's data (CSV) and static
exports (PNG, SVG, rendered by vl-convert only when the chart's spec changed: `exports`) are written to
`reports/<page>/<chart>.*`, linked under the chart.
"""

from __future__ import annotations

import email.utils
import functools
import os
import re
import tempfile
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import altair as alt
import jinja2
import polars as pl

from pipelines.raw.sources import SOURCES
from pipelines.reports import exports
from pipelines.reports.builders import enable_theme
from pipelines.run import workers

VENDOR_BUNDLE = Path("vendor") / "vega-embed-bundle.js"
BUNDLE_STAMP = Path("vendor") / ".bundle-source"  # which vl-convert made the bundle beside it
BUNDLER = exports.VL_CONVERT
TEMPLATES = Path(__file__).resolve().parent / "templates"
_CHART_NAME = re.compile(r"^[a-z0-9_]+$")
# OWASP's CSV-injection rule: a text cell a spreadsheet could read as a formula gets a leading single quote.
_FORMULA_START = r"^[=+\-@\t\r]"


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
class NavEntry:
    """A page as the navigation and the index list it: file stem, short name, what it answers."""

    name: str
    label: str
    blurb: str


@dataclass(frozen=True)
class Cell:
    """A table cell with attributes, e.g. the exact value behind a rounded number (`data-value`)."""

    text: str
    attrs: dict[str, str] = field(default_factory=dict)
    title: str | None = None


@dataclass(frozen=True)
class Block:
    """One piece of a page: `kind` names the macro in `blocks.html.j2` that renders it, `data` its arguments."""

    kind: str
    data: dict[str, Any]


@dataclass
class ChartEntry:
    chart: alt.TopLevelMixin
    data: pl.DataFrame


@dataclass
class Page:
    """What a build function returns: the page's blocks, its charts and downloads, and files to write after it."""

    name: str
    title: str
    intro: str = ""
    blocks: list[Block] = field(default_factory=list)
    charts: dict[str, ChartEntry] = field(default_factory=dict)
    downloads: dict[str, pl.DataFrame] = field(default_factory=dict)
    after_files: dict[Path, str] = field(default_factory=dict)
    exports_kept: dict[str, bool] = field(default_factory=dict)  # chart -> export kept from the last build (written)

    def _new_file(self, name: str, what: str) -> None:
        if not _CHART_NAME.match(name):
            raise ValueError(f"{what} name {name!r} must be lower-case letters, digits and underscores")
        if name in self.charts or name in self.downloads:
            raise ValueError(f"{what} {name!r} appears twice on {self.name}")

    def heading(self, text: str, *, level: int = 2, ident: str | None = None) -> None:
        self.blocks.append(Block("heading", {"text": text, "level": level, "ident": ident}))

    def paragraph(self, text: str, *, css: str | None = None, ident: str | None = None) -> None:
        self.blocks.append(Block("paragraph", {"text": text, "css": css, "ident": ident}))

    def fragment(self, template: str, **values: Any) -> None:
        """Text with markup (links, emphasis, exact values): a template under `templates/`, filled with `values`."""
        self.blocks.append(Block("fragment", {"template": template, "values": values}))

    def missing(self, table: str, what: str = "") -> None:
        """The note a section shows while the table it reads does not exist yet."""
        self.blocks.append(Block("missing", {"table": table, "what": what}))

    def chart(self, name: str, chart: alt.TopLevelMixin, data: pl.DataFrame, caption: str = "") -> None:
        """A chart, the frame behind it (written as CSV) and links to its data, PNG and SVG."""
        self._new_file(name, "chart")
        self.charts[name] = ChartEntry(chart, data)
        self.blocks.append(Block("chart", {"name": name, "base": f"{self.name}/{name}", "caption": caption}))

    def download(self, name: str, frame: pl.DataFrame, label: str) -> None:
        """A CSV of `frame` written next to the page, linked here (for tables too long to show whole)."""
        self._new_file(name, "download")
        self.downloads[name] = frame
        self.blocks.append(Block("download", {"href": f"{self.name}/{name}.csv", "label": label, "n": frame.height}))

    def table(
        self,
        header: list[str],
        rows: list[list[object]],
        *,
        ident: str | None = None,
        numeric: set[int] | None = None,
        collapsed: str | None = None,
    ) -> None:
        """A table; `Cell` values keep their attributes, anything else is shown as text. With `collapsed`, the
        table sits in a closed <details> whose summary is that text."""
        numeric = numeric or set()
        head = [{"text": str(h), "num": i in numeric} for i, h in enumerate(header)]
        body = [[_cell(value, i in numeric) for i, value in enumerate(row)] for row in rows]
        self.blocks.append(Block("table", {"head": head, "rows": body, "ident": ident, "collapsed": collapsed}))


def _cell(value: object, numeric: bool) -> dict[str, Any]:
    """A cell as the table macro takes it: text and attributes (class merged with the numeric alignment)."""
    cell = value if isinstance(value, Cell) else Cell("" if value is None else str(value))
    attrs = dict(cell.attrs)
    classes = " ".join(c for c in ("num" if numeric else "", attrs.pop("class", "")) if c)
    return {"text": cell.text, "attrs": {"class": classes or None, **attrs, "title": cell.title}}


@functools.cache
def environment() -> jinja2.Environment:
    """Templates with autoescape on for every file: values are text unless a template says otherwise."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["published"] = _published
    env.filters["short_url"] = _short_url
    return env


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


def credits() -> dict[str, str]:
    """Every publisher's citation and licence, once each."""
    seen: dict[str, str] = {}
    for source in SOURCES:
        seen.setdefault(source.citation, source.licence)
    return seen


def chart_specs(page: Page, validate: bool = True) -> dict[str, dict[str, Any]]:
    """Each chart's Vega-Lite spec in the reports' theme, built once per page build (validated by Altair's schema
    unless `validate` is false: `changed_specs_validated` validates only what differs from the published build)."""
    enable_theme()
    return {name: entry.chart.to_dict(validate=validate) for name, entry in page.charts.items()}


def changed_specs_validated(page: Page, previous: Path) -> dict[str, dict[str, Any]]:
    """The page's specs, validated where it pays: a spec equal to the one the published exports were rendered from
    was valid then (validation is a third of the cost of a spec); a new or changed one, after an edit to its chart
    code or its data, and every spec of a first build (each test's), is validated, and an invalid one fails."""
    known = exports.previous_hashes(previous)
    if not known:  # a first build: every spec is new, so Altair validates each as it builds it, once
        return chart_specs(page)
    specs = chart_specs(page, validate=False)
    changed = [name for name, spec in specs.items() if known.get(name) != exports.spec_hash(spec)]
    for name in changed:
        page.charts[name].chart.to_dict(validate=True)
    return specs


def render_page(
    page: Page,
    *,
    built_at: datetime,
    snapshots: list[Snapshot],
    nav: list[NavEntry],
    specs: dict[str, dict[str, Any]] | None = None,
) -> str:
    """The full HTML of a page; charts are embedded as Vega-Lite specs (`specs`, else the charts' own) rendered by
    the local bundle.

    Once every chart has rendered (or failed), `<body data-charts>` says "ok" or "failed: <n>", for tests and
    screenshots to wait on.
    """
    specs = chart_specs(page) if specs is None else specs
    return (
        environment()
        .get_template("page.html.j2")
        .render(
            page=page,
            nav=nav,
            built_at=built_at,
            snapshots=snapshots,
            snapshot_dates=sorted({f"{s.fetched_at:%Y-%m-%d}" for s in snapshots}),
            charts=[[f"#chart-{name}", specs[name]] for name in page.charts],
            credits=credits(),
            bundle=VENDOR_BUNDLE.as_posix(),
        )
    )


def start_vendor_bundle(reports_dir: Path, previous: Path) -> Future[str] | None:
    """Start building the vega-embed bundle (Vega, Vega-Lite, vega-embed) for offline pages, unless the folder
    being written has the one this vl-convert makes, or can link the previous build's (None then): a staged page
    loads the staged bundle, in the screenshots as in a reader's browser once published."""
    if _bundle_current(reports_dir):
        return None
    if _bundle_current(previous):
        for relative in (VENDOR_BUNDLE, BUNDLE_STAMP):
            exports.link_atomic(previous / relative, reports_dir / relative)
        return None
    return workers.submit(exports.javascript_bundle)


def _bundle_current(folder: Path) -> bool:
    stamp = folder / BUNDLE_STAMP
    return (folder / VENDOR_BUNDLE).is_file() and stamp.is_file() and stamp.read_text(encoding="utf-8") == BUNDLER


def write_vendor_bundle(reports_dir: Path, bundle: Future[str] | None) -> None:
    """Write the bundle `start_vendor_bundle` built, if it built one, and the stamp saying which vl-convert did."""
    if bundle is not None:
        write_atomic(reports_dir / VENDOR_BUNDLE, bundle.result())
        write_atomic(reports_dir / BUNDLE_STAMP, BUNDLER)


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


def csv_ready(frame: pl.DataFrame) -> pl.DataFrame:
    """Columns CSV can hold, safe to open in a spreadsheet: lists joined with '; ', nested values as JSON text, and
    text cells that start like a formula (=, +, -, @) prefixed with a single quote. Numbers stay numbers."""
    columns = []
    for name, dtype in frame.schema.items():
        column = pl.col(name)
        if isinstance(dtype, pl.List):
            column = column.cast(pl.List(pl.String)).list.join("; ")
        elif isinstance(dtype, pl.Struct):
            column = column.struct.json_encode()
        elif not (dtype == pl.String or isinstance(dtype, pl.Categorical | pl.Enum)):
            columns.append(column)
            continue
        text = column.cast(pl.String)
        columns.append(pl.when(text.str.contains(_FORMULA_START)).then("'" + text).otherwise(text).alias(name))
    return frame.select(columns)


def write_page(
    page: Page,
    reports_dir: Path,
    *,
    built_at: datetime,
    snapshots: list[Snapshot],
    nav: list[NavEntry],
    published_dir: Path | None = None,
) -> Path:
    """Write the page's chart data, exports and tables, then the page itself, then its `after_files`.

    Everything is rendered in memory first, so a failing chart or export leaves the previous files untouched;
    each file is then replaced atomically, the HTML last, so it never links to a file not yet written. Exports
    (and the vendor bundle) whose inputs did not change since the build in `published_dir` are kept from it, and
    the others render in worker processes while the CSVs and HTML are made here.
    """
    folder = reports_dir / page.name
    previous = published_dir or reports_dir
    specs = changed_specs_validated(page, previous / page.name)
    bundle = start_vendor_bundle(reports_dir, previous)
    charts = exports.start_exports(specs, folder, previous / page.name)
    files: dict[Path, str | bytes] = {}
    for name, entry in page.charts.items():
        files[folder / f"{name}.csv"] = csv_ready(entry.data).write_csv()
    for name, frame in page.downloads.items():
        files[folder / f"{name}.csv"] = csv_ready(frame).write_csv()
    text = render_page(page, built_at=built_at, snapshots=snapshots, nav=nav, specs=specs)
    files |= charts.files()
    write_vendor_bundle(reports_dir, bundle)
    charts.keep()
    page.exports_kept = {name: name in charts.kept for name in specs}
    for target, content in files.items():
        write_atomic(target, content)
    path = reports_dir / f"{page.name}.html"
    write_atomic(path, text)
    for relative, content in page.after_files.items():
        write_atomic(reports_dir / relative, content)
    return path
