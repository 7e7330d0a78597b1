"""Per dollar at inference on the per-dollar page and the index: one row per index or benchmark
with its gain per year, per 10x training compute, per 10x training dollars and per 10x inference dollars (one model
at several settings, Ord's o1 chart in numbers), and how fast the price of a fixed score falls; the test-time
paragraph of the scaling paradox; the test-time and price sections with their charts are in `inference_charts`.

Reads `trends.capability_trends`, `trends.benchmark_progress`, `trends.benchmark_scaling`, `trends.test_time_scaling`
and `trends.inference_price_trends`. A price median counts identified trends only (status 'ok'); a trend 'not
identified' stays visible, greyed, with its reason, and Epoch's own median over all its published trends is shown
beside ours, labelled as Epoch's figure.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass

import polars as pl

from pipelines.reports import capabilities
from pipelines.reports.builders import finite
from pipelines.reports.capabilities import GREYED, LABELS, grey, render, trend_row
from pipelines.reports.common import sig
from pipelines.reports.context import PageContext
from pipelines.reports.page import Cell, Page
from pipelines.trends.capabilities import INDICES, RECORD_SETTING
from pipelines.trends.status import Status

CAPABILITY = "trends.capability_trends"
PROGRESS = "trends.benchmark_progress"
SCALING = "trends.benchmark_scaling"
TEST_TIME = "trends.test_time_scaling"
PRICES = "trends.inference_price_trends"
TABLES = (CAPABILITY, PROGRESS, SCALING, TEST_TIME, PRICES)
STUDY, HUB = "epoch_price_study", "benchmark_hub"
POOLED = "pooled"  # trends.test_time_scaling's benchmark for the figure pooled over benchmarks
ALL = "all benchmarks"  # the row key of the figures over every benchmark
# the primary method first: the median of each pair's own slope, robust to a pair that dominates a pooled fit
HEADLINE_METHOD, OTHER_METHOD = "median over pairs", "pooled within-pair slope"
# Epoch's published figure: the median of the 21 trends in its results table
# (epoch-research/llm-benchmark-efficiency, results/default/lowest_price_models_above_previous_frontier/
# lowest_price_models_results.csv: 46.2x), identified or not; the insight quotes their range, 9x to 900x per year.
EPOCH_PUBLISHED_MEDIAN = 46.2
EPOCH_INSIGHT = "https://epoch.ai/data-insights/llm-inference-price-trends"


@dataclass(frozen=True)
class Column:
    """One figure of the table: its key, its header and whether it is a price fall (×/yr) or a gain (points)."""

    key: str
    header: str
    price: bool = False


COLUMNS = (
    Column("per_year", "Per year"),
    Column("per_10x_training_compute", "Per 10x training compute"),
    Column("per_10x_training_usd", "Per 10x training dollars"),
    Column("per_10x_inference_usd", "Per 10x inference dollars, within a model"),
    Column("price_per_token", "Price per token of a fixed score falls, × a year (Epoch's study)", price=True),
    Column("price_per_run", "Cost per run of a fixed score falls, × a year (Benchmarking Hub)", price=True),
)
UNIT_WORDS = {"points": "ECI points", "doublings": "doublings", "percentage points": "% points"}
INFERENCE_COLUMNS = ("per_10x_inference_usd", "price_per_token", "price_per_run")
PRICE_COLUMNS = {STUDY: "price_per_token", HUB: "price_per_run"}
FIGURE_SCHEMA: dict[str, pl.DataType] = {
    "row_key": pl.String(),
    "row_label": pl.String(),
    "column": pl.String(),
    "estimate": pl.Float64(),
    "ci_low": pl.Float64(),
    "ci_high": pl.Float64(),
    "interval": pl.String(),
    "n": pl.Int64(),
    "n_total": pl.Int64(),
    "n_what": pl.String(),
    "unit": pl.String(),
    "status": pl.String(),
    "reason": pl.String(),
    "detail": pl.String(),
    "source": pl.String(),
}


def figure(row_key: str, column: str, source: str, status_reason: object = None, **values: object) -> dict[str, object]:
    """One cell of the table as a row of the long frame (the CSV): its number, interval, n, status and reason (the
    note its table gives, else the reason of its status)."""
    row: dict[str, object] = dict.fromkeys(FIGURE_SCHEMA)
    row.update(row_key=row_key, column=column, source=source, interval="90% CI")
    row.update(values)
    row["status"] = str(row["status"] or "no status")
    row["reason"] = str(row["reason"] or "").strip() or str(status_reason or "").strip()
    return row


# -- the figures, from each table ------------------------------------------------------------------------------------


def index_figures(trends: pl.DataFrame | None) -> list[dict[str, object]]:
    """ECI and METR: per year along the record-setting versions, per 10x compute and per 10x dollars (imputed
    basis) at a fixed date."""
    rows = []
    cases = (
        ("per_year", "per_year", RECORD_SETTING, None, "record-setting points"),
        ("per_10x_training_compute", "per_10x_compute", "all", None, "models"),
        ("per_10x_training_usd", "per_10x_cost", "all", "imputed", "models"),
    )
    for index in [i.name for i in INDICES]:
        for column, measure, subset, basis, n_what in cases:
            r = trend_row(trends, index, measure, subset, basis)
            if r is not None:
                values = {k: r[k] for k in ("estimate", "ci_low", "ci_high", "n", "unit", "status")}
                values |= {"status_reason": r.get("status_reason"), "reason": r.get("note")}
                rows.append(figure(index, column, CAPABILITY, n_what=n_what, **values))
    return rows


def benchmark_figures(progress: pl.DataFrame | None, scaling: pl.DataFrame | None) -> list[dict[str, object]]:
    """Each benchmark's points per year along its record-setting versions and points per 10x training compute and
    dollars (imputed basis) at its median model."""
    rows = []
    for r in progress.iter_rows(named=True) if progress is not None else []:
        values = {"estimate": r["points_per_year"], "ci_low": r["points_per_year_ci_low"]}
        values |= {
            "ci_high": r["points_per_year_ci_high"],
            "n": r["n_record_points"],
            "n_what": "record-setting points",
        }
        values |= {"status": r["status"], "status_reason": r.get("status_reason"), "reason": r["note"]}
        rows.append(figure(r["benchmark"], "per_year", PROGRESS, **values))
    for r in scaling.iter_rows(named=True) if scaling is not None else []:
        if r["x"] == "compute":
            column = "per_10x_training_compute"
        elif r["x"] == "cost" and r["cost_basis"] == "imputed":
            column = "per_10x_training_usd"
        else:
            continue
        values = {"estimate": r["points_per_10x_at_median"], "ci_low": r["points_per_10x_at_median_ci_low"]}
        values |= {"ci_high": r["points_per_10x_at_median_ci_high"], "n": r["n_models"], "n_what": "models"}
        values |= {"status": r["status"], "status_reason": r.get("status_reason"), "reason": r["note"]}
        rows.append(figure(r["benchmark"], column, SCALING, **values))
    for row in rows:
        row["unit"] = "percentage points"
    return rows


def method_row(rows: pl.DataFrame, method: str) -> dict[str, object] | None:
    """The row of one method (trends.test_time_scaling gives each figure by two), or None."""
    chosen = rows.filter(pl.col("method") == method)
    return chosen.row(0, named=True) if chosen.height else None


def test_time_figure(rows: pl.DataFrame, key: str) -> dict[str, object] | None:
    """One benchmark's (or the pooled) figure of a measure: the median over pairs, the pooled within-pair slope
    beside it in `detail`; a single row of another method (the ECI's 'not fitted') as it is."""
    main = method_row(rows, HEADLINE_METHOD) or (rows.row(0, named=True) if rows.height else None)
    if main is None:
        return None
    other = method_row(rows, OTHER_METHOD)
    detail = None
    if other is not None and other["status"] == Status.OK:
        interval = interval_text(other["ci_low"], other["ci_high"])
        detail = f"{OTHER_METHOD}: {signed(other['estimate'])} ({interval})"
    values = {k: main[k] for k in ("estimate", "ci_low", "ci_high", "unit", "status", "status_reason")}
    values |= {"n": main["n_pairs"], "n_what": "model-benchmark pairs", "detail": detail}
    return figure(key, "per_10x_inference_usd", TEST_TIME, **values)


def test_time_figures(table: pl.DataFrame | None, measure: str = "per_10x_cost_per_run") -> list[dict[str, object]]:
    """Points per 10x inference cost per run within one model, per benchmark and pooled (the row 'all benchmarks')."""
    if table is None:
        return []
    rows = table.filter(pl.col("measure") == measure)
    out = []
    for benchmark in rows["benchmark"].unique(maintain_order=True).to_list():
        key = ALL if benchmark == POOLED else benchmark
        cell = test_time_figure(rows.filter(pl.col("benchmark") == benchmark), key)
        if cell is not None:
            out.append(cell)
    return out


def price_summary(trends: pl.DataFrame, key: str, column: str) -> dict[str, object]:
    """The median factor of a group's identified trends (their range as the interval); the trends left out, with
    their reasons, in `reason`; 'not identified' when none is."""
    ok = trends.filter(pl.col("status") == Status.OK)
    left = trends.filter(pl.col("status") != Status.OK)
    reasons = "; ".join(
        f"{r['benchmark']}, {r['threshold_model']}: {r['status']} ({r['status_reason']})"
        for r in left.iter_rows(named=True)
    )
    values = {"n": ok.height, "n_total": trends.height, "n_what": "identified trends", "unit": "× per year"}
    values |= {"interval": "range of identified trends", "reason": reasons}
    if ok.is_empty():
        return figure(key, column, PRICES, status=Status.NOT_IDENTIFIED, **values)
    factors = ok["factor_per_year"].to_list()
    values |= {"estimate": statistics.median(factors), "ci_low": min(factors), "ci_high": max(factors)}
    if ok.height == 1:  # one trend: its own interval, not a range of one
        values |= {"ci_low": ok["ci_low"][0], "ci_high": ok["ci_high"][0], "interval": "90% CI of its one trend"}
    return figure(key, column, PRICES, status=Status.OK, **values)


def price_figures(prices: pl.DataFrame | None, keys: dict[str, str]) -> list[dict[str, object]]:
    """Per dataset: each benchmark's median over its identified trends, and the median over all of them."""
    out = []
    for dataset, column in PRICE_COLUMNS.items():
        rows = prices.filter(pl.col("dataset") == dataset) if prices is not None else pl.DataFrame()
        if rows.is_empty():
            continue
        for benchmark in rows["benchmark"].unique(maintain_order=True).to_list():
            key = keys.get(benchmark.lower(), benchmark)
            out.append(price_summary(rows.filter(pl.col("benchmark") == benchmark), key, column))
        out.append(price_summary(rows, ALL, column))
    return out


def benchmark_names(*tables: pl.DataFrame | None) -> dict[str, str]:
    """Benchmark id -> display name, from the trends tables that carry both."""
    names: dict[str, str] = {}
    for table in tables:
        if table is not None and {"benchmark", "benchmark_name"} <= set(table.columns):
            for key, name in table.select("benchmark", "benchmark_name").unique().iter_rows():
                names.setdefault(key, name or key)
    return names


def figures_frame(tables: dict[str, pl.DataFrame | None]) -> pl.DataFrame:
    """Every figure of every index and benchmark, one row per cell (the CSV). Epoch's price study names benchmarks
    by label ('GPQA Diamond'): a label equal to a hub benchmark's name joins that benchmark's row."""
    names = benchmark_names(tables[PROGRESS], tables[SCALING])
    keys = {name.lower(): key for key, name in names.items()}
    rows = index_figures(tables[CAPABILITY]) + benchmark_figures(tables[PROGRESS], tables[SCALING])
    rows += test_time_figures(tables[TEST_TIME]) + price_figures(tables[PRICES], keys)
    frame = pl.DataFrame(rows, schema=FIGURE_SCHEMA)
    labels = {**names, **LABELS, ALL: "All benchmarks"}
    return frame.with_columns(pl.col("row_key").replace_strict(labels, default=pl.col("row_key")).alias("row_label"))


def shown_rows(frame: pl.DataFrame, compact: bool = False) -> list[str]:
    """The rows the table shows: the indices, all benchmarks, then (unless compact) the benchmarks with an inference
    figure, by name; the others are in the CSV and the halving table."""
    present = set(frame["row_key"].to_list())
    first = [key for key in (*LABELS, ALL) if key in present]
    if compact:
        return first
    inference = frame.filter(pl.col("column").is_in(INFERENCE_COLUMNS))
    benchmarks = inference.filter(~pl.col("row_key").is_in([*LABELS, ALL])).sort("row_label")
    return first + benchmarks["row_key"].unique(maintain_order=True).to_list()


# -- numbers as text -----------------------------------------------------------------------------------------------


def signed(value: object) -> str:
    """'+14', '-0.19', '–' for no number."""
    if not finite(value):
        return "–"
    return ("+" if value > 0 else "") + sig(value)


def interval_text(low: object, high: object, price: bool = False) -> str:
    """'6.6 to 9.6', '9.2× to 75×'; '–' without both ends."""
    if not (finite(low) and finite(high)):
        return "–"
    unit = "×" if price else ""
    return f"{sig(low)}{unit}\u00a0to\u00a0{sig(high)}{unit}"  # no-break spaces: an interval wraps whole


def estimate_text(f: dict[str, object], price: bool) -> str:
    return f"{sig(f['estimate'])}×" if price else signed(f["estimate"])


def hover(f: dict[str, object], price: bool) -> str:
    """What a cell's number rests on: its interval, n, the other method, the table."""
    n = f"n = {f['n']} {f['n_what']}" + (f" of {f['n_total']} trends" if f.get("n_total") is not None else "")
    parts = [f"{f['interval']} {interval_text(f['ci_low'], f['ci_high'], price)}", n, f["detail"], f["unit"]]
    if f["reason"]:
        parts.append(("left out: " if f["status"] == Status.OK else "") + str(f["reason"]))
    return "; ".join(str(p) for p in [*parts, f["source"]] if p)


def figure_cell(f: dict[str, object] | None, column: Column, compact: bool) -> Cell:
    """A number with its interval (the compact form: the number, the interval on hover), or the status word greyed
    with the reason on hover; '–' where the table has no figure."""
    if f is None:
        return Cell("–")
    attrs = {"data-row": str(f["row_key"]), "data-column": column.key, "data-source": str(f["source"])}
    if f["status"] != Status.OK or not finite(f["estimate"]):
        return Cell(str(f["status"]), attrs | {"class": GREYED}, title=f"{f['status']}: {f['reason'] or 'no figure'}")
    text = estimate_text(f, column.price)
    if not compact:
        count = f"; {f['n']} of {f['n_total']}" if column.price else ""
        text += f" ({interval_text(f['ci_low'], f['ci_high'], column.price)}{count})"
    return Cell(text, attrs | {"data-value": repr(float(f["estimate"]))}, title=hover(f, column.price))


def row_unit(frame: pl.DataFrame, key: str) -> str:
    """The unit of a row's gains (ECI points, doublings of the time horizon, percentage points); none for a row
    with price figures only."""
    gains = frame.filter((pl.col("row_key") == key) & ~pl.col("column").is_in(["price_per_token", "price_per_run"]))
    if gains.is_empty():
        return ""
    unit = "percentage points" if key not in LABELS else str(gains["unit"][0])
    return UNIT_WORDS.get(unit, unit)


def figure_rows(frame: pl.DataFrame, *, compact: bool = False) -> list[list[object]]:
    """The table: one row per shown index or benchmark, its unit, one cell per column."""
    cells = {(r["row_key"], r["column"]): r for r in frame.iter_rows(named=True)}
    labels = dict(frame.select("row_key", "row_label").unique().iter_rows())
    rows: list[list[object]] = []
    for key in shown_rows(frame, compact):
        row: list[object] = [labels[key], row_unit(frame, key)]
        row += [figure_cell(cells.get((key, c.key)), c, compact) for c in COLUMNS]
        rows.append(row)
    return rows


def header() -> list[str]:
    return ["Index or benchmark", "Gains in"] + [c.header for c in COLUMNS]


def unidentified(frame: pl.DataFrame) -> list[list[object]]:
    """Every figure that is not a number, with its reason: the note under the table."""
    left = frame.filter(pl.col("status") != Status.OK)
    headers = {c.key: c.header for c in COLUMNS}
    return [
        grey([r["row_label"], headers[r["column"]], r["status"], r["reason"] or ""]) for r in left.iter_rows(named=True)
    ]


# -- the test-time paragraph of the paradox ------------------------------------------------------------------------


def pooled_figure(table: pl.DataFrame | None, measure: str) -> dict[str, object] | None:
    """A pooled test-time figure as the paragraph tells it: a Cell with the exact value, its CI and n, or its status
    and reason."""
    cells = [f for f in test_time_figures(table, measure) if f["row_key"] == ALL]
    if not cells:
        return None
    f = cells[0]
    if f["status"] != Status.OK:
        return {"status": f["status"], "reason": f["reason"]}
    value = Cell(sig(f["estimate"]), {"data-value": repr(float(f["estimate"])), "data-measure": measure})
    return {"status": None, "value": value, "ci": interval_text(f["ci_low"], f["ci_high"]), "n": f["n"]}


def price_values(prices: pl.DataFrame | None, dataset: str) -> dict[str, object] | None:
    """The median over a dataset's identified trends, its range and counts, for the paragraph."""
    rows = prices.filter(pl.col("dataset") == dataset) if prices is not None else None
    if rows is None or rows.is_empty():
        return None
    f = price_summary(rows, ALL, PRICE_COLUMNS[dataset])
    if f["status"] != Status.OK:
        return {"status": f["status"], "n_total": f["n_total"]}
    value = Cell(f"{sig(f['estimate'])}×", {"data-value": repr(float(f["estimate"])), "data-dataset": dataset})
    return {"status": None, "value": value, "range": interval_text(f["ci_low"], f["ci_high"], True)} | {
        "n": f["n"],
        "n_total": f["n_total"],
    }


def paradox_values(test_time: pl.DataFrame | None, prices: pl.DataFrame | None) -> dict[str, object] | None:
    """Every number of the test-time paragraph, from trends.test_time_scaling and trends.inference_price_trends."""
    if test_time is None and prices is None:
        return None
    return {
        "per_10x": pooled_figure(test_time, "per_10x_cost_per_run"),
        "effort": pooled_figure(test_time, "per_effort_step"),
        "budget": pooled_figure(test_time, "per_budget_doubling"),
        "study": price_values(prices, STUDY),
        "hub": price_values(prices, HUB),
        "epoch": f"{EPOCH_PUBLISHED_MEDIAN:.0f}×",
        "epoch_url": EPOCH_INSIGHT,
    }


def paradox_html(test_time: pl.DataFrame | None, prices: pl.DataFrame | None) -> str:
    """The test-time paragraph on its own (for tests and reuse)."""
    return render("inference_paradox.html.j2", t=paradox_values(test_time, prices))


# -- sections ------------------------------------------------------------------------------------------------------


def read_tables(ctx: PageContext, page: Page | None = None) -> dict[str, pl.DataFrame | None]:
    """The five tables; with a page, the inference tables' absence is noted on it."""
    tables = {table: ctx.table(table) for table in (CAPABILITY, PROGRESS, SCALING)}
    for table in (TEST_TIME, PRICES):
        tables[table] = ctx.optional(page, table) if page is not None else ctx.table(table)
    return tables


def figures_section(ctx: PageContext, page: Page) -> None:
    """The one table: per year, per 10x training compute and dollars, per 10x inference dollars, price falls."""
    page.heading("Per year, per 10x training, per 10x inference: one row per capability", ident="inference")
    frame = figures_frame(read_tables(ctx, page))
    if frame.is_empty():
        return
    page.paragraph(
        "Gains are in the row's unit (ECI points, doublings of METR's time horizon, percentage points of a "
        "benchmark) with their 90% CI: per year along the record-setting versions; per 10x training compute and "
        "per 10x training dollars across models at a fixed date (a benchmark: at its median model); per 10x "
        "inference dollars within one model, comparing its own settings (the median over model-benchmark pairs; "
        "hover for the pooled within-pair slope). "
        "The price columns give how many times cheaper a fixed score gets each year: the median over the "
        "benchmark's identified trends (one per past top score), in brackets their range (a single trend: its 90% "
        "CI) and how many of the benchmark's trends are identified. A figure that is not "
        "identified says so, greyed, with its reason on hover and in the list below, and enters no median.",
        css="meta",
    )
    numeric = set(range(2, len(COLUMNS) + 2))
    page.table(header(), figure_rows(frame), ident="inference-figures", numeric=numeric)
    left = unidentified(frame.filter(pl.col("row_key").is_in(shown_rows(frame))))
    if left:
        page.table(
            ["Row", "Figure", "Status", "Why"],
            left,
            ident="inference-unidentified",
            collapsed=f"Figures in this table without a number, and why ({len(left)})",
        )
    page.download("inference_figures", frame, "Every figure of every index and benchmark, one row per cell")


def paradox_section(ctx: PageContext, page: Page) -> None:
    """Ord's paradox, with the test-time paragraph from the inference tables."""
    capabilities.paradox_section(ctx, page, test_time=paradox_values(ctx.table(TEST_TIME), ctx.table(PRICES)))


def compact_section(ctx: PageContext, page: Page) -> None:
    """The index's compact table: the indices and all benchmarks, numbers only (intervals, n and reasons on hover),
    linking to the per-dollar page for each benchmark."""
    page.heading("Per year, per 10x training, per 10x inference", ident="inference")
    frame = figures_frame(read_tables(ctx, page))
    if frame.is_empty():
        return
    numeric = set(range(2, len(COLUMNS) + 2))
    page.table(header(), figure_rows(frame, compact=True), ident="inference-figures-compact", numeric=numeric)
    benchmarks = len(shown_rows(frame)) - len(shown_rows(frame, compact=True))
    page.fragment("index_inference.html.j2", epoch=f"{EPOCH_PUBLISHED_MEDIAN:.0f}×", benchmarks=benchmarks)
