"""The report shell: atomic writes, offline pages that say when their charts are done, exports next to each page."""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import altair as alt
import polars as pl
import pytest

from pipelines.reports import exports
from pipelines.reports import page as page_module
from pipelines.reports.builders import decades
from pipelines.reports.common import factor, sig
from pipelines.reports.page import Cell, Page, Snapshot, csv_ready, render_page, write_atomic
from pipelines.reports.registry import NAV, PAGE_NAMES
from pipelines.run import workers

BUILT = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
SNAPSHOT = Snapshot("notable_models", "https://epoch.ai/x.csv", "ab" * 32, BUILT, "Mon, 01 Jan 2026", 10)


def write_page(page: Page, reports_dir: Path, **kwargs: object) -> Path:
    return page_module.write_page(page, reports_dir, nav=NAV, **kwargs)


def render(page: Page, **kwargs: object) -> str:
    return render_page(page, nav=NAV, **kwargs)


def tiny_chart() -> tuple[alt.Chart, pl.DataFrame]:
    frame = pl.DataFrame({"x": [1.0, 2.0, 3.0], "y": [10.0, 100.0, 1000.0]})
    chart = alt.Chart(frame).mark_point().encode(x=alt.X("x:Q", title="x (units)"), y=alt.Y("y:Q", title="y"))
    return chart, frame


@pytest.fixture(autouse=True)
def small_bundle(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """vl-convert's real bundle takes seconds to build; the shell only needs some file to point at. Exports render
    in this process (the worker processes have a test of their own), so a test can replace the renderer."""
    built: list[str] = []
    monkeypatch.setattr(exports, "javascript_bundle", lambda: built.append("bundle") or "window.vegaEmbed = 1;")
    monkeypatch.setattr(workers, "WORKERS", 1)
    return built


def counting_renders(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The titles of the charts rendered from here on (by the real renderer)."""
    titles: list[str] = []
    real = exports.render

    def render(spec: dict) -> tuple[bytes, str]:
        titles.append(spec.get("title", ""))
        return real(spec)

    monkeypatch.setattr(exports, "render", render)
    return titles


def test_write_atomic_replaces_whole_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "page.html"
    write_atomic(target, "old")
    write_atomic(target, b"new bytes")
    assert target.read_bytes() == b"new bytes"
    assert [p.name for p in target.parent.iterdir()] == ["page.html"]


def test_write_atomic_keeps_the_previous_file_when_writing_fails(tmp_path: Path) -> None:
    target = tmp_path / "page.html"
    write_atomic(target, "previous")

    with pytest.raises(TypeError):
        write_atomic(target, 12345)  # type: ignore[arg-type]  # neither str nor bytes: the write fails midway
    assert target.read_text() == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["page.html"]


def test_page_links_every_page_loads_the_local_bundle_and_reports_when_charts_settle() -> None:
    page = Page(name="efficiency", title="Efficiency")
    chart, frame = tiny_chart()
    page.chart("tiny", chart, frame, "A caption")
    text = render(page, built_at=BUILT, snapshots=[SNAPSHOT])
    for name in PAGE_NAMES:
        assert f'href="{name}.html"' in text
    assert '<script src="vendor/vega-embed-bundle.js">' in text
    assert "https://cdn" not in text
    assert "document.body.dataset.charts" in text and "Promise.allSettled" in text
    assert 'href="efficiency/tiny.csv"' in text and 'href="efficiency/tiny.png"' in text
    assert "2026-01-02 03:04 UTC" in text and SNAPSHOT.sha256 in text and "CC BY 4.0" in text


def test_chart_specs_cannot_close_the_script_block() -> None:
    page = Page(name="index", title="t")
    frame = pl.DataFrame({"x": [1], "label": ["</script><script>alert(1)"]})
    page.chart("c", alt.Chart(frame).mark_text().encode(x="x:Q", text="label:N"), frame)
    text = render(page, built_at=BUILT, snapshots=[])
    assert "</script><script>alert(1)" not in text


def test_missing_table_note_names_the_table() -> None:
    page = Page(name="index", title="t")
    page.missing("trends.forecasts")
    text = render(page, built_at=BUILT, snapshots=[])
    assert 'data-missing="trends.forecasts"' in text
    assert "Not yet available: <code>trends.forecasts</code> missing" in text


def test_cells_keep_exact_values_and_text_is_escaped() -> None:
    page = Page(name="index", title="t")
    page.table(["a", "b"], [[Cell("4.4×", {"data-value": "4.4123"}), "<b>"]], numeric={1})
    text = render(page, built_at=BUILT, snapshots=[])
    assert '<td data-value="4.4123">4.4×</td>' in text
    assert '<td class="num">&lt;b&gt;</td>' in text and "<b>" not in text


def test_every_text_block_is_escaped_by_the_templates() -> None:
    page = Page(name="index", title="<i>title</i>", intro="<script>alert(1)</script>")
    page.heading("<x-heading>", ident='x" onclick="y')
    page.paragraph("<x-para>", css="meta")
    page.missing("<x-table>", "<x-what>")
    page.table(["<x-th>"], [[Cell("<x-td>", {"data-value": '"><x-attr>'}, title="<x-title>")]], collapsed="<x-sum>")
    text = render(page, built_at=BUILT, snapshots=[SNAPSHOT])
    for raw in ("<i>", "<script>alert", "<x-", 'x" onclick', '"><x'):
        assert raw not in text, raw
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text and "&lt;x-sum&gt;" in text


def test_csv_exports_neutralise_formulas_in_text_but_keep_numbers() -> None:
    frame = pl.DataFrame(
        {
            "model_name": ["=cmd|' /C calc'!A0", "+1", "-x", "@SUM(A1)", "GPT-4", None],
            "value": [-3.5, 1.0, 2.0, 3.0, 4.0, 5.0],
        }
    )
    out = csv_ready(frame)
    assert out["model_name"].to_list() == ["'=cmd|' /C calc'!A0", "'+1", "'-x", "'@SUM(A1)", "GPT-4", None]
    assert out["value"].dtype == pl.Float64 and out["value"][0] == -3.5
    assert out.write_csv().splitlines()[1] == "'=cmd|' /C calc'!A0,-3.5"


def test_chart_names_must_be_file_and_css_safe() -> None:
    page = Page(name="index", title="t")
    chart, frame = tiny_chart()
    with pytest.raises(ValueError, match="lower-case"):
        page.chart("Bad Name", chart, frame)


def test_write_page_writes_data_and_exports_next_to_the_page_then_the_page(tmp_path: Path) -> None:
    page = Page(name="compute_trends", title="t")
    chart, frame = tiny_chart()
    page.chart("tiny", chart, frame)
    page.download("extra", pl.DataFrame({"a": [[1, 2]], "b": ["x"]}), "Extra rows")
    path = write_page(page, tmp_path, built_at=BUILT, snapshots=[])
    assert path == tmp_path / "compute_trends.html"
    folder = tmp_path / "compute_trends"
    assert pl.read_csv(folder / "tiny.csv").equals(frame)
    assert (folder / "tiny.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (folder / "tiny.svg").read_text().lstrip().startswith("<svg")
    assert (folder / "extra.csv").read_text().splitlines() == ["a,b", "1; 2,x"]
    assert (tmp_path / "vendor" / "vega-embed-bundle.js").exists()
    # every chart in the page has its spec embedded once, and a div to render into
    text = path.read_text()
    assert re.findall(r'\["#chart-(\w+)", \{', text) == ["tiny"]
    assert text.count('id="chart-tiny"') == 1


@pytest.mark.parametrize(
    ("value", "text"),
    [(4.4123, "4.4"), (12.3, "12"), (1234.5, "1,200"), (0.0123, "0.012"), (3.2e8, "3.2e8"), (None, "–")],
)
def test_numbers_are_printed_to_two_significant_figures(value: float | None, text: str) -> None:
    assert sig(value) == text


def test_a_factor_prints_with_a_times_sign_and_log_ticks_fall_on_whole_decades() -> None:
    assert factor(4.41) == "4.4×"
    assert factor(float("nan")) == "–"
    assert decades(3e3, 2e6) == [1e3, 1e4, 1e5, 1e6, 1e7]
    assert decades(1e3, 1e9, 2) == [1e3, 1e5, 1e7, 1e9]
    assert decades(0, 10) == []


def test_a_failing_export_leaves_every_previous_file_in_place(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    page = Page(name="benchmarks", title="t")
    chart, frame = tiny_chart()
    page.chart("first", chart, frame)
    page.chart("second", chart, frame)
    write_page(page, tmp_path, built_at=BUILT, snapshots=[])
    before = {p.name: p.read_bytes() for p in (tmp_path / "benchmarks").iterdir()}
    html_before = (tmp_path / "benchmarks.html").read_text()

    calls = []

    def failing_export(spec: dict) -> tuple[bytes, str]:
        calls.append(spec)
        if len(calls) == 2:
            raise RuntimeError("vl-convert could not render the second chart")
        return b"new png", "<svg>new</svg>"

    monkeypatch.setattr(exports, "render", failing_export)
    changed = Page(name="benchmarks", title="changed")
    changed.chart("first", chart.properties(title="first, changed"), frame.with_columns(pl.col("y") * 2))
    changed.chart("second", chart.properties(title="second, changed"), frame)
    with pytest.raises(RuntimeError, match="second chart"):
        write_page(changed, tmp_path, built_at=BUILT, snapshots=[])
    assert len(calls) == 2
    assert {p.name: p.read_bytes() for p in (tmp_path / "benchmarks").iterdir()} == before
    assert (tmp_path / "benchmarks.html").read_text() == html_before


def two_charts(second_title: str) -> Page:
    page = Page(name="efficiency", title="t")
    chart, frame = tiny_chart()
    page.chart("first", chart.properties(title="first"), frame)
    page.chart("second", chart.properties(title=second_title), frame)
    return page


def test_only_charts_whose_spec_changed_are_exported_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    published, staging = tmp_path / "published", tmp_path / "published" / ".building"
    rendered = counting_renders(monkeypatch)
    write_page(two_charts("second"), published, built_at=BUILT, snapshots=[])
    assert rendered == ["first", "second"]

    rendered.clear()
    write_page(two_charts("second, changed"), staging, built_at=BUILT, snapshots=[], published_dir=published)
    assert rendered == ["second, changed"]
    old, new = published / "efficiency", staging / "efficiency"
    for suffix in (".png", ".svg"):  # the unchanged chart's files are the previous build's, in the staged folder
        assert (new / f"first{suffix}").read_bytes() == (old / f"first{suffix}").read_bytes()
        assert (new / f"first{suffix}").stat().st_ino == (old / f"first{suffix}").stat().st_ino
    assert (new / "second.svg").read_text() != (old / "second.svg").read_text()
    assert "second, changed" in (new / "second.svg").read_text()

    rendered.clear()  # a previous build whose hashes are unreadable, or whose files are gone: render again
    (old / exports.EXPORT_HASHES).write_text("not json")
    (old / "first.png").unlink()
    write_page(two_charts("second"), published, built_at=BUILT, snapshots=[])
    assert rendered == ["first", "second"]


def test_the_vendor_bundle_is_built_only_when_vl_convert_changed(tmp_path: Path, small_bundle: list[str]) -> None:
    published, staging = tmp_path / "published", tmp_path / "published" / ".building"
    write_page(two_charts("second"), published, built_at=BUILT, snapshots=[])
    assert small_bundle == ["bundle"]
    write_page(two_charts("second"), staging, built_at=BUILT, snapshots=[], published_dir=published)
    assert small_bundle == ["bundle"]  # linked, so the staged page (and its screenshot) loads a bundle
    bundle = page_module.VENDOR_BUNDLE
    assert (staging / bundle).stat().st_ino == (published / bundle).stat().st_ino
    shutil.rmtree(staging)

    (published / page_module.BUNDLE_STAMP).write_text("vl-convert-python 0.1")
    write_page(two_charts("second"), staging, built_at=BUILT, snapshots=[], published_dir=published)
    assert small_bundle == ["bundle", "bundle"]
    assert (staging / page_module.BUNDLE_STAMP).read_text() == page_module.BUNDLER


def test_worker_processes_export_the_same_bytes_and_report_failures(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(workers, "WORKERS", 2)
    chart, _ = tiny_chart()
    specs = [chart.properties(title=f"chart {i}").to_dict() for i in range(3)]
    futures = [workers.submit(exports.render, spec) for spec in specs]
    assert [f.result(timeout=120) for f in futures] == [exports.render(spec) for spec in specs]
    broken = workers.submit(exports.render, {"mark": "no such mark", "data": {"values": [{"x": 1}]}})
    with pytest.raises(workers.WorkerError, match="render"):
        broken.result(timeout=120)


def test_only_specs_that_changed_since_the_published_build_are_validated_and_an_invalid_one_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    published, staging = tmp_path / "published", tmp_path / "published" / ".building"
    counting_renders(monkeypatch)
    validated: list[bool] = []
    to_dict = alt.Chart.to_dict

    def counting(self: alt.Chart, *args: object, validate: bool = True, **kwargs: object) -> dict:
        validated.append(validate)
        return to_dict(self, *args, validate=validate, **kwargs)

    monkeypatch.setattr(alt.Chart, "to_dict", counting)
    write_page(two_charts("second"), published, built_at=BUILT, snapshots=[])
    assert validated.count(True) == 2  # a first build validates every spec
    validated.clear()
    write_page(two_charts("second, changed"), staging, built_at=BUILT, snapshots=[], published_dir=published)
    assert validated.count(True) == 1  # the unchanged chart was valid when it was published

    broken = two_charts("second, changed again")
    broken.charts["second"].chart.mark = "no such mark"
    with pytest.raises(Exception, match="no such mark"):
        write_page(broken, staging, built_at=BUILT, snapshots=[], published_dir=published)
