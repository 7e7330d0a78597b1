"""Every report opened from file:// in headless Chromium: no console errors, every chart drawn with marks, the
numbers on the page equal to the warehouse's, every link and export present; and the pages still build and render
when the trends tables are missing.

Chromium is Debian's `chromium`, driven by Playwright's sync API (`pipelines.reports.screenshots`); the tests
skip, saying why, only when no Chromium is installed. A model named `<script>alert(1)</script>` in a source file
must render as text on every page.
"""

from __future__ import annotations

import shutil
import statistics
import struct
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest

from pipelines.reports.common import factor, sig
from pipelines.reports.registry import PAGE_NAMES, PAGES, build_page
from pipelines.reports.screenshots import SCREENSHOT_DIR, PageReport, find_chromium, opened
from pipelines.reports.screenshots import browser as open_browser
from pipelines.warehouse import CONNECTION_CONFIG

CHROMIUM = find_chromium()
pytestmark = [
    pytest.mark.browser,
    # a module-level skip, so the session's warehouse is not built just to be skipped
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="no Chromium on PATH (chromium, chromium-browser, google-chrome): `make browser` installs Debian's",
    ),
]

# Everything on a page that claims to show a warehouse number, with the exact value behind it.
VALUES_JS = """
Array.from(document.querySelectorAll('[data-value]')).map(e => ({
  id: e.id, text: e.textContent.trim(), value: e.dataset.value, metric: e.dataset.metric || null,
  subset: e.dataset.subset || null, windowKind: e.dataset.windowKind || null,
  windowStart: e.dataset.windowStart || null, field: e.dataset.field || null, benchmark: e.dataset.benchmark || null,
}))
"""
LOCAL_REFS_JS = """
[...Array.from(document.querySelectorAll('a[href]')).map(a => a.getAttribute('href')),
 ...Array.from(document.querySelectorAll('script[src]')).map(s => s.getAttribute('src'))]
  .filter(h => !h.startsWith('#'))
"""
MISSING_JS = "Array.from(document.querySelectorAll('[data-missing]')).map(e => e.dataset.missing)"
HEADLINE_METRICS = {
    "training_compute",
    "training_cost",
    "parameters",
    "training_tokens",
}


@dataclass
class Opened:
    report: PageReport
    values: list[dict[str, Any]]
    refs: list[str]
    missing: list[str]


def open_pages(browser: Any, reports_dir: Path) -> dict[str, Opened]:
    pages = {}
    for name in PAGE_NAMES:
        with opened(browser, reports_dir / f"{name}.html") as (tab, report):
            pages[name] = Opened(report, tab.evaluate(VALUES_JS), tab.evaluate(LOCAL_REFS_JS), tab.evaluate(MISSING_JS))
    return pages


@pytest.fixture(scope="module")
def browser():
    with open_browser(CHROMIUM) as chromium:
        yield chromium


@pytest.fixture(scope="module")
def reports_dir(built_warehouse) -> Path:
    return built_warehouse.settings.reports_dir


@pytest.fixture(scope="module")
def pages(browser: Any, reports_dir: Path) -> dict[str, Opened]:
    return open_pages(browser, reports_dir)


def test_every_page_draws_every_chart_with_marks(pages: dict[str, Opened], reports_dir: Path) -> None:
    for name, page in pages.items():
        assert page.report.charts_state == "ok", name
        exported = sorted(p.stem for p in (reports_dir / name).glob("*.svg"))
        drawn = sorted(c["id"].removeprefix("chart-") for c in page.report.charts)
        assert drawn == exported and drawn, f"{name}: charts drawn {drawn}, exported {exported}"
        for chart in page.report.charts:
            assert chart["svg"] >= 1 and chart["marks"] > 0, f"{name}: {chart}"


def test_owid_chart_and_reconciliation_render(pages: dict[str, Opened], reports_dir: Path, browser: Any) -> None:
    drawn = {c["id"]: c for c in pages["compute_trends"].report.charts}
    assert drawn["chart-large_scale_by_domain"]["marks"] > 0
    with opened(browser, reports_dir / "data_quality.html") as (tab, _):
        counts = tab.evaluate(
            "Array.from(document.querySelectorAll('#owid-reconciliation-counts tbody tr'))"
            ".map(r => Array.from(r.cells).map(c => c.textContent.trim()))"
        )
    assert [row[0] for row in counts][:2] == ["Both have it, values agree", "Both have it, values differ"]
    assert sum(int(row[1].replace(",", "")) for row in counts) > 500


def test_no_page_logs_a_console_error(pages: dict[str, Opened]) -> None:
    errors = {name: page.report.console_errors for name, page in pages.items() if page.report.console_errors}
    assert errors == {}


def test_every_local_link_and_script_exists_and_nothing_loads_from_the_network(
    pages: dict[str, Opened], reports_dir: Path
) -> None:
    for name, page in pages.items():
        local = [ref.split("#", 1)[0] for ref in page.refs if "://" not in ref]
        assert any(ref.endswith(".csv") for ref in local), name
        for ref in local:
            assert (reports_dir / ref).is_file(), f"{name} links to {ref}, which is not there"
    scripts = [line for line in (reports_dir / "index.html").read_text().splitlines() if "<script src=" in line]
    assert scripts == ['<script src="vendor/vega-embed-bundle.js"></script>']


def test_headline_numbers_equal_the_warehouse(pages: dict[str, Opened], con) -> None:
    # every cell with data-value in the headline table, compared with its own trends.fits row
    fits = con.sql("select * from trends.fits").pl()
    cells = [v for v in pages["index"].values if v["metric"]]
    assert {c["metric"] for c in cells} >= HEADLINE_METRICS
    assert any(c["metric"].startswith("hardware_") and c["metric"].endswith("_per_usd") for c in cells)
    for cell in cells:
        row = fits.filter(
            (pl.col("metric") == cell["metric"])
            & (pl.col("subset") == cell["subset"])
            & (pl.col("window_kind") == cell["windowKind"])
            & (pl.col("window_start").cast(pl.String) == cell["windowStart"])
        )
        assert row.height == 1, cell
        expected = row[cell["field"]][0]
        assert float(cell["value"]) == pytest.approx(expected, rel=1e-12), cell
        if cell["field"] == "growth_per_year":
            assert cell["text"] == factor(expected)
        if cell["field"] == "n":
            assert cell["text"] == f"{expected:,}"


def test_per_dollar_numbers_equal_the_warehouse(pages: dict[str, Opened], con) -> None:
    table = con.sql("select * from trends.per_dollar_vs_per_year").pl()
    cells = [v for v in pages["per_dollar_vs_per_year"].values if v["benchmark"]]
    assert cells
    for cell in cells:
        expected = table.filter(pl.col("benchmark") == cell["benchmark"])[cell["field"]][0]
        assert float(cell["value"]) == pytest.approx(expected, rel=1e-12), cell
    usable = table.filter(
        (pl.col("status") == "ok")
        & (pl.col("benchmark") != "pooled")
        & pl.col("compute_multiplier_to_halve_error").is_finite()
        & pl.col("years_to_halve_error").is_finite()
    )
    medians = {v["id"]: v for v in pages["per_dollar_vs_per_year"].values if v["id"].startswith("median-")}
    if usable.height:
        median_years = statistics.median(usable["years_to_halve_error"].to_list())
        median_compute = statistics.median(usable["compute_multiplier_to_halve_error"].to_list())
        assert float(medians["median-years"]["value"]) == pytest.approx(median_years)
        assert medians["median-compute"]["text"] == f"×{sig(median_compute)}"


CAPABILITY_JS = """
Array.from(document.querySelectorAll('[data-table^="capability_"]')).map(e => ({
  table: e.dataset.table, index: e.dataset.index, measure: e.dataset.measure || null, subset: e.dataset.subset || null,
  costBasis: e.dataset.costBasis || null, windowStart: e.dataset.windowStart || null, field: e.dataset.field,
  value: e.dataset.value || null, text: e.textContent.trim(),
}))
"""


def test_capability_panels_render_with_the_warehouse_numbers(browser: Any, reports_dir: Path, con) -> None:
    tables = {
        name: con.sql(f"select * from trends.{name}").pl() for name in ("capability_trends", "capability_decomposition")
    }
    for page in ("per_dollar_vs_per_year", "index"):
        with opened(browser, reports_dir / f"{page}.html") as (tab, report):
            cells = tab.evaluate(CAPABILITY_JS)
        assert report.console_errors == [] and report.charts_state == "ok", page
        if page == "per_dollar_vs_per_year":
            drawn = {c["id"]: c["marks"] for c in report.charts}
            assert drawn["chart-eci_panels"] > 0 and drawn["chart-metr_time_horizons_panels"] > 0
        assert {c["index"] for c in cells if c["value"]} == {"eci", "metr_time_horizons"}, page
        for cell in (c for c in cells if c["value"]):
            rows = tables[cell["table"]].filter(pl.col("index") == cell["index"])
            for key, column in (("measure", "measure"), ("subset", "subset"), ("costBasis", "cost_basis")):
                if cell[key] is not None:
                    rows = rows.filter(pl.col(column) == cell[key])
            if cell["table"] == "capability_trends":
                rows = rows.filter(pl.col("window_start").cast(pl.String) == cell["windowStart"])
                if cell["costBasis"] is None:
                    rows = rows.filter(pl.col("cost_basis").is_null())
            assert rows.height == 1, cell
            assert float(cell["value"]) == pytest.approx(rows[cell["field"]][0], rel=1e-12), cell


INFERENCE_CELLS_JS = """
Array.from(document.querySelectorAll('#inference-figures td[data-value], #inference-figures-compact td[data-value]'))
  .map(td => ({table: td.closest('table').id, row: td.dataset.row, column: td.dataset.column,
               source: td.dataset.source, value: td.dataset.value}))
"""
SELECTS_JS = """
Object.fromEntries(['effort_ladder', 'score_vs_cost_per_run'].map(name => [name,
  Array.from(document.querySelectorAll('#chart-' + name + ' select option')).map(o => o.value)]))
"""
MARKS_OF_JS = "id => document.querySelectorAll('#' + id + ' svg g.role-mark > *').length"


def test_the_inference_charts_render_and_their_benchmark_selectors_switch_without_errors(
    browser: Any, reports_dir: Path
) -> None:
    with opened(browser, reports_dir / "per_dollar_vs_per_year.html") as (tab, report):
        drawn = {c["id"]: c["marks"] for c in report.charts}
        for name in ("effort_ladder", "score_vs_cost_per_run", "price_of_a_fixed_score"):
            assert drawn[f"chart-{name}"] > 0, name
        selects = tab.evaluate(SELECTS_JS)
        for name, options in selects.items():
            assert options, f"{name} has no benchmark selector"
            if len(options) > 1:
                tab.select_option(f"#chart-{name} select", options[-1])
                tab.wait_for_timeout(300)
                assert tab.evaluate(MARKS_OF_JS, f"chart-{name}") > 0, (name, options[-1])
        assert report.console_errors == [] and report.charts_state == "ok"


def test_inference_figures_equal_the_warehouse_on_the_page_and_the_index(browser: Any, reports_dir: Path, con) -> None:
    prices = con.sql("select * from trends.inference_price_trends").pl()
    test_time = con.sql("select * from trends.test_time_scaling").pl()
    expected = {}
    for dataset, column in (("epoch_price_study", "price_per_token"), ("benchmark_hub", "price_per_run")):
        ok = prices.filter((pl.col("dataset") == dataset) & (pl.col("status") == "ok"))["factor_per_year"]
        if ok.len():
            expected[column] = statistics.median(ok.to_list())  # identified trends only
    pooled = test_time.filter(
        (pl.col("measure") == "per_10x_cost_per_run")
        & (pl.col("benchmark") == "pooled")
        & (pl.col("method") == "median over pairs")  # the primary method: the page's headline
        & (pl.col("status") == "ok")
    )
    if pooled.height:
        expected["per_10x_inference_usd"] = pooled["estimate"][0]
    assert expected, "no identified inference figure to check"
    for page, table in (("per_dollar_vs_per_year", "inference-figures"), ("index", "inference-figures-compact")):
        with opened(browser, reports_dir / f"{page}.html") as (tab, report):
            cells = [c for c in tab.evaluate(INFERENCE_CELLS_JS) if c["table"] == table]
        assert report.console_errors == [], page
        shown = {c["column"]: float(c["value"]) for c in cells if c["row"] == "all benchmarks"}
        assert shown.keys() == expected.keys(), page
        for column, value in expected.items():
            assert shown[column] == pytest.approx(value, rel=1e-12), (page, column)


def test_no_section_waits_for_a_table_once_the_pipeline_has_run(pages: dict[str, Opened]) -> None:
    waiting = {name: page.missing for name, page in pages.items() if page.missing}
    assert waiting == {}


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", path
    return struct.unpack(">II", header[16:24])


def test_the_pipeline_wrote_a_1280_pixel_screenshot_of_every_page(reports_dir: Path) -> None:
    for name in PAGE_NAMES:
        width, height = png_size(reports_dir / SCREENSHOT_DIR / f"{name}.png")
        assert width == 1280 and height > 900, (name, width, height)


def test_pages_build_and_render_with_notes_when_trends_tables_are_missing(
    browser: Any, built_warehouse, tmp_path: Path
) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copy(built_warehouse.settings.warehouse_path, warehouse)
    con = duckdb.connect(str(warehouse), config=dict(CONNECTION_CONFIG))
    try:
        trends = con.execute("select table_name from information_schema.tables where table_schema = 'trends'")
        for (table,) in trends.fetchall():
            con.execute(f'drop table trends."{table}"')
        reports = tmp_path / "reports"
        for spec in PAGES:
            build_page(spec, con, reports, datetime.now(UTC))
    finally:
        con.close()
    pages = open_pages(browser, reports)
    for name, page in pages.items():
        assert page.report.charts_state == "ok" and page.report.console_errors == [], name
        assert all(chart["marks"] > 0 for chart in page.report.charts), name
    assert "trends.fits" in pages["index"].missing
    assert "trends.per_dollar_vs_per_year" in pages["per_dollar_vs_per_year"].missing
    assert pages["data_quality"].missing == []


# -- a hostile model name from a source file ----------------------------------------------------------------------

HOSTILE = "<script>alert(1)</script>"
NOTABLE = Path("epoch.ai") / "data" / "notable_ai_models.csv"


def rename_a_model(root: Path) -> str:
    """Rename, in the notable-models CSV only, a model with a compute estimate whose name starts one line and
    appears nowhere else in the sources; returns its old name."""
    text = (root / NOTABLE).read_text(encoding="utf-8")
    others = "".join(p.read_text(encoding="utf-8", errors="ignore") for p in (root / "epoch.ai" / "data").glob("*.csv"))
    models = pl.read_csv(root / NOTABLE, infer_schema_length=0).filter(
        pl.col("Training compute (FLOP)").is_not_null() & pl.col("Publication date").is_not_null()
    )
    for name in models["Model"].to_list():
        if name.replace(" ", "").isalnum() and others.count(name) == 1 and text.count(f"\n{name},") == 1:
            (root / NOTABLE).write_text(text.replace(f"\n{name},", f"\n{HOSTILE},"), encoding="utf-8")
            return name
    raise AssertionError("no model in the notable-models file can be renamed unambiguously")


@pytest.fixture(scope="module")
def hostile_reports(shared_sources: Path, built_warehouse, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The whole pipeline over a copy of the sources in which one model is named `<script>alert(1)</script>`,
    building on the clean build's reports (so the index lists the renamed model as added)."""
    from conftest import serve_mirror
    from dagster import DagsterInstance

    from pipelines.definitions import build_definitions
    from pipelines.defs.automation import REFRESH_JOB_NAME
    from pipelines.settings import Settings

    base = tmp_path_factory.mktemp("hostile")
    shutil.copytree(shared_sources, base / "sources")
    rename_a_model(base / "sources")
    shutil.copytree(built_warehouse.settings.reports_dir / "index", base / "reports" / "index")
    with serve_mirror(base / "sources") as mirror:
        settings = Settings(base / "data", base / "data" / "warehouse.duckdb", base / "reports", mirror.base_url)
        job = build_definitions(settings).resolve_job_def(REFRESH_JOB_NAME)
        with DagsterInstance.ephemeral() as instance:
            result = job.execute_in_process(instance=instance, raise_on_error=False)
    failed = [e.step_key for e in result.all_events if e.is_step_failure]
    assert failed == [] and (base / "reports" / "data_quality.html").exists(), failed
    return base / "reports"


def test_a_model_named_like_a_script_renders_as_text_on_every_page(browser: Any, hostile_reports: Path) -> None:
    for name in PAGE_NAMES:
        html = (hostile_reports / f"{name}.html").read_text(encoding="utf-8")
        assert HOSTILE not in html and "<script>alert" not in html, name
        with opened(browser, hostile_reports / f"{name}.html") as (tab, report):
            assert report.dialogs == [], name
            assert report.charts_state == "ok" and report.console_errors == [], (name, report)
            assert tab.evaluate("document.querySelectorAll('script').length") == 2, name  # the bundle and ours
            if name == "index":
                assert HOSTILE in tab.inner_text("#changes")
    compute = pl.read_csv(hostile_reports / "index" / "compute.csv")
    assert HOSTILE in compute["model_name"].to_list()
