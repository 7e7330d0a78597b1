"""Per dollar at inference on the pages: the one table (per year, per 10x training compute and dollars, per 10x
inference dollars, how fast a fixed score gets cheaper), the paradox's test-time paragraph, and the effort-ladder,
cost-per-run and cheapest-price charts, all on small fixture tables."""

from __future__ import annotations

import math
import re
import statistics
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipelines.reports import inference, inference_charts
from pipelines.reports.capabilities import GREYED
from pipelines.reports.context import PageContext
from pipelines.reports.inference import CAPABILITY, PRICES, PROGRESS, SCALING, TEST_TIME
from pipelines.reports.page import Cell, Page, environment
from pipelines.warehouse import ensure_schemas, replace_table


def capability(index: str, measure: str, subset: str, basis: str | None, estimate: float, unit: str) -> dict:
    return {
        "index": index,
        "measure": measure,
        "subset": subset,
        "cost_basis": basis,
        "estimate": estimate,
        "ci_low": estimate * 0.8,
        "ci_high": estimate * 1.2,
        "n": 14,
        "unit": unit,
        "doubling_months": 12 / estimate if unit == "doublings" else None,
        "status": "ok",
        "status_reason": None,
        "note": None,
    }


CAPABILITIES = pl.DataFrame(
    [
        capability("eci", "per_year", "record_setting", None, 13.9, "points"),
        capability("eci", "per_10x_compute", "all", None, 10.3, "points"),
        capability("eci", "per_10x_cost", "all", "imputed", 7.1, "points"),
        capability("eci", "per_10x_cost", "all", "observed", 5.5, "points"),  # not the page's basis
        capability("metr_time_horizons", "per_year", "record_setting", None, 1.9, "doublings"),
    ]
)
PROGRESS_TABLE = pl.DataFrame(
    {
        "benchmark": ["gpqa_diamond", "winogrande"],
        "benchmark_name": ["GPQA Diamond", "WinoGrande"],
        "n_record_points": [9, 7],
        "points_per_year": [24.4, 5.0],
        "points_per_year_ci_low": [22.0, 3.0],
        "points_per_year_ci_high": [29.2, 7.0],
        "status": ["ok", "ok"],
        "status_reason": [None, None],
        "note": [None, None],
    }
)
# every percentage benchmark has its scaling rows, fitted or not: they name the benchmarks (WeirdML's are too few)
SCALING_TABLE = pl.DataFrame(
    {
        "benchmark": ["gpqa_diamond", "gpqa_diamond", "gpqa_diamond", "weirdml"],
        "benchmark_name": ["GPQA Diamond"] * 3 + ["WeirdML"],
        "x": ["compute", "cost", "cost", "compute"],
        "cost_basis": ["n/a", "observed", "imputed", "n/a"],
        "n_models": [44, 13, 44, 3],
        "points_per_10x_at_median": [18.2, 12.3, 15.5, None],
        "points_per_10x_at_median_ci_low": [12.6, 0.0, 0.0, None],
        "points_per_10x_at_median_ci_high": [26.0, 21.0, 23.8, None],
        "status": ["ok", "ok", "no clear trend", "insufficient data"],
        "status_reason": [None, None, "the 90% CI of points per 10x reaches 0.00", "3"],
        "note": [None, None, None, None],
    }
)


def tt(
    measure: str, benchmark: str, method: str, estimate: float | None, status: str = "ok", reason: str | None = None
) -> dict:
    ok = estimate is not None
    return {
        "measure": measure,
        "benchmark": benchmark,
        "method": method,
        "estimate": estimate,
        "ci_low": estimate - 1.5 if ok else None,
        "ci_high": estimate + 1.5 if ok else None,
        "n_pairs": 20 if benchmark == "pooled" else 6,
        "n_points": 60,
        "unit": "percentage points per 10x inference cost per run",
        "status": status,
        "status_reason": reason,
        "note": "",
    }


# the page's headline method (the primary one) and the other, shown on hover
HEADLINE, OTHER = "median over pairs", "pooled within-pair slope"
TEST_TIME_TABLE = pl.DataFrame(
    [
        tt("per_10x_cost_per_run", "pooled", OTHER, 7.5),
        tt("per_10x_cost_per_run", "pooled", HEADLINE, 8.1),
        tt("per_10x_cost_per_run", "gpqa_diamond", OTHER, 8.0),
        tt("per_10x_cost_per_run", "gpqa_diamond", HEADLINE, 9.0),
        tt("per_10x_cost_per_run", "weirdml", HEADLINE, None, "not identified", "the 90% CI is unbounded"),
        tt("per_effort_step", "pooled", HEADLINE, 3.2),
        tt("per_budget_doubling", "pooled", HEADLINE, None, "insufficient data", "2 pairs; a figure needs 3"),
    ]
)
SHORT = "spans 214 days, less than 365"


def trend(
    dataset: str, benchmark: str, threshold: str, factor: float, status: str = "ok", reason: str | None = None
) -> dict:
    return {
        "dataset": dataset,
        "benchmark": benchmark,
        "threshold_model": threshold,
        "threshold_score": 50.0,
        "unit": "percent",
        "price_unit": "USD per 1M tokens",
        "n": 5,
        "start_date": date(2023, 1, 1),
        "end_date": date(2024, 7, 1),
        "span_days": 547,
        "factor_per_year": factor,
        "ci_low": factor / 3,
        "ci_high": factor * 3,
        "r_squared": 0.9,
        "models": "a; b; c",
        "status": status,
        "status_reason": reason,
    }


PRICE_TABLE = pl.DataFrame(
    [
        trend("epoch_price_study", "MMLU", "GPT-3", 10.0),
        trend("epoch_price_study", "MMLU", "GPT-3.5", 30.0),
        trend("epoch_price_study", "MMLU", "GPT-4o", 5000.0, "not identified", SHORT),  # no median may count it
        trend("epoch_price_study", "GPQA Diamond", "GPT-4 Turbo", 46.0, "not identified", SHORT),
        trend("benchmark_hub", "WeirdML", "o3 (high)", 3.0),
    ]
)
TABLES = {
    CAPABILITY: CAPABILITIES,
    PROGRESS: PROGRESS_TABLE,
    SCALING: SCALING_TABLE,
    TEST_TIME: TEST_TIME_TABLE,
    PRICES: PRICE_TABLE,
}


def cells_by_row() -> dict[str, list[object]]:
    frame = inference.figures_frame(TABLES)
    return {str(row[0]): row for row in inference.figure_rows(frame)}


def column(name: str) -> int:
    return 2 + [c.key for c in inference.COLUMNS].index(name)


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))


# -- the one table ----------------------------------------------------------------------------------------------


def test_a_price_median_counts_identified_trends_only_and_names_the_others_with_their_reason() -> None:
    frame = inference.figures_frame(TABLES)
    mmlu = frame.filter((pl.col("row_key") == "MMLU") & (pl.col("column") == "price_per_token")).row(0, named=True)
    # 10x and 30x are identified: the median is 20x, not the 30x the 5000x trend would pull it to
    assert mmlu["estimate"] == 20.0 and (mmlu["n"], mmlu["n_total"]) == (2, 3)
    assert (mmlu["ci_low"], mmlu["ci_high"]) == (10.0, 30.0) and mmlu["interval"] == "range of identified trends"
    assert "GPT-4o: not identified (spans 214 days" in mmlu["reason"]
    cell = cells_by_row()["MMLU"][column("price_per_token")]
    assert cell.text == "20× (10×\u00a0to\u00a030×; 2 of 3)" and cell.attrs["data-value"] == "20.0"
    assert "left out: MMLU, GPT-4o: not identified" in cell.title


def test_a_benchmark_with_no_identified_trend_shows_not_identified_greyed_with_the_reason() -> None:
    cell = cells_by_row()["GPQA Diamond"][column("price_per_token")]
    assert cell.text == "not identified" and cell.attrs["class"] == GREYED and "data-value" not in cell.attrs
    assert SHORT in cell.title


def test_the_all_benchmarks_row_has_the_median_over_pairs_and_the_median_of_every_identified_trend() -> None:
    row = cells_by_row()["All benchmarks"]
    inference_cell = row[column("per_10x_inference_usd")]
    assert inference_cell.text == "+8.1 (6.6\u00a0to\u00a09.6)" and inference_cell.attrs["data-value"] == "8.1"
    assert "pooled within-pair slope: +7.5" in inference_cell.title
    assert "20 model-benchmark pairs" in inference_cell.title
    # MMLU's 10x and 30x; GPQA's and MMLU's unidentified trends count nowhere
    assert row[column("price_per_token")].attrs["data-value"] == repr(statistics.median([10.0, 30.0]))
    assert row[column("price_per_run")].text.startswith("3.0×")


def test_epochs_price_labels_join_the_hub_benchmark_of_the_same_name_in_one_row() -> None:
    gpqa = cells_by_row()["GPQA Diamond"]
    assert gpqa[1] == "% points" and gpqa[column("per_year")].text.startswith("+24")
    assert gpqa[column("per_10x_training_compute")].attrs["data-value"] == "18.2"
    # the imputed-cost fit shows as what it is, not as a number
    assert gpqa[column("per_10x_training_usd")].text == "no clear trend"
    assert gpqa[column("per_10x_inference_usd")].attrs["data-value"] == "9.0"


def test_indices_come_first_then_all_benchmarks_then_benchmarks_with_an_inference_figure() -> None:
    rows = list(cells_by_row())
    assert rows[:3] == ["Epoch Capabilities Index", "METR 50% time horizon", "All benchmarks"]
    # WinoGrande has training figures only: it is in the CSV and the halving table, not in this table
    # the hub's 'WeirdML' price trend and the test-time figure of 'weirdml' share one row
    assert rows[3:] == ["GPQA Diamond", "MMLU", "WeirdML"]
    weirdml = cells_by_row()["WeirdML"]
    assert weirdml[column("per_10x_inference_usd")].text == "not identified"
    assert weirdml[column("per_10x_training_compute")].text == "insufficient data"
    assert weirdml[column("price_per_run")].attrs["data-value"] == "3.0"
    eci = cells_by_row()["Epoch Capabilities Index"]
    assert eci[1] == "ECI points" and eci[column("per_10x_training_usd")].attrs["data-value"] == "7.1"
    assert eci[column("per_10x_inference_usd")].text == "–"


def test_the_compact_table_shows_the_indices_and_all_benchmarks_with_the_interval_on_hover() -> None:
    frame = inference.figures_frame(TABLES)
    compact = {str(r[0]): r for r in inference.figure_rows(frame, compact=True)}
    assert list(compact) == ["Epoch Capabilities Index", "METR 50% time horizon", "All benchmarks"]
    cell = compact["All benchmarks"][column("price_per_token")]
    assert cell.text == "20×" and "range of identified trends 10×\u00a0to\u00a030×" in cell.title
    assert compact["All benchmarks"][column("per_10x_inference_usd")].text == "+8.1"


def test_without_the_inference_tables_the_table_keeps_the_training_side() -> None:
    frame = inference.figures_frame({**TABLES, TEST_TIME: None, PRICES: None})
    assert set(frame["column"]) <= {"per_year", "per_10x_training_compute", "per_10x_training_usd"}


# -- the paradox's test-time paragraph --------------------------------------------------------------------------


def test_the_test_time_paragraph_takes_every_number_from_the_tables() -> None:
    text = text_of(inference.paradox_html(TEST_TIME_TABLE, PRICE_TABLE))
    assert "each 10x of inference spend per run buys 8.1 percentage points (90% CI 6.6 to 9.6; 20 model" in text
    assert "each step of reasoning effort buys 3.2 percentage points" in text
    assert "the gain per doubling of the thinking budget is insufficient data (2 pairs; a figure needs 3)" in text
    assert "falls 20× a year: the median of the 2 identified trends of Epoch's price study (of 4" in text
    assert "Epoch's published figure, the median over all its trends identified or not, is 46× a year" in text
    assert "cost per run of a fixed score falls 3.0× a year (median of 1 identified trends, of 1" in text


def test_no_identified_price_trend_gives_no_median_and_says_so() -> None:
    unidentified = PRICE_TABLE.filter(pl.col("status") != "ok")
    text = text_of(inference.paradox_html(None, unidentified))
    assert "None of the 2 trends of Epoch's price study is identified here, so no median is given" in text
    assert "each 10x" not in text and not re.search(r"falls \d", text)


def test_the_paradox_box_carries_the_test_time_paragraph() -> None:
    from test_reports_per_dollar import FRONTIER_FIT, WITH_POOLED

    from pipelines.reports.capabilities import paradox_html

    html = paradox_html(WITH_POOLED, FRONTIER_FIT, None, None, inference.paradox_values(TEST_TIME_TABLE, PRICE_TABLE))
    assert html.index('id="paradox-inference"') < html.index("This is Toby Ord's")
    assert 'data-measure="per_10x_cost_per_run"' in html and 'data-value="8.1"' in html


# -- the charts ---------------------------------------------------------------------------------------------------

# GPQA: o3 climbs three effort levels, claude two budgets; 'lonely' and 'flash' have one setting each; WeirdML: o3
SETTINGS = pl.DataFrame(
    [
        ("gpqa_diamond", "o3", "low", 1, None, None, 10.0, 0.70),
        ("gpqa_diamond", "o3", "medium", 2, None, None, 20.0, 0.75),
        ("gpqa_diamond", "o3", "high", 3, None, None, 40.0, 0.78),
        ("gpqa_diamond", "claude", "16k", None, 16000, None, 5.0, 0.60),
        ("gpqa_diamond", "claude", "32k", None, 32000, None, 9.0, 0.66),
        ("gpqa_diamond", "lonely", "high", 3, None, None, 30.0, 0.50),
        ("gpqa_diamond", "flash", "thinking", None, None, True, None, 0.40),
        ("weirdml", "o3", "low", 1, None, None, 1.0, 0.2),
        ("weirdml", "o3", "high", 3, None, None, 3.0, 0.3),
    ],
    schema=["benchmark", "model", "setting", "effort_rank", "budget_tokens", "thinking", "cost_per_run_usd", "score"],
    orient="row",
).with_columns(
    pl.col("benchmark").replace({"gpqa_diamond": "GPQA Diamond", "weirdml": "WeirdML"}).alias("benchmark_name")
)


def spec_of(chart) -> dict:
    from pipelines.reports.builders import enable_theme

    enable_theme()
    return chart.to_dict()


def test_the_effort_ladder_draws_models_with_two_settings_and_a_benchmark_drop_down() -> None:
    ladder = inference_charts.ladder_frame(SETTINGS)
    # 'lonely' has one effort level and 'flash' one thinking state: no line, so no point of theirs either
    assert set(ladder["model"]) == {"o3", "claude"} and set(ladder["panel"]) == {"effort", "budget"}
    options = inference_charts.choices(ladder)
    assert options["benchmark"].to_list() == ["gpqa_diamond", "weirdml"]
    spec = spec_of(inference_charts.ladder_chart(ladder, options))
    select = spec["params"][0]
    assert select["bind"]["input"] == "select" and select["value"] == "gpqa_diamond"
    assert select["bind"]["labels"] == ["GPQA Diamond (2 models)", "WeirdML (1 models)"]
    effort, budget = spec["hconcat"]
    axis = effort["encoding"]["x"]["axis"]
    assert axis["values"] == [1.0, 2.0, 3.0] and '"low", "medium", "high"][datum.value]' in axis["labelExpr"]
    assert budget["encoding"]["x"]["scale"] == {"type": "log", "base": 2}
    assert effort["transform"] == [{"filter": "(datum['benchmark'] === benchmark)"}]
    data = spec["datasets"][effort["data"]["name"]]
    assert {(row["model"], row["setting"]) for row in data} == {("o3", s) for s in ("low", "medium", "high")}


def test_score_against_cost_per_run_has_a_log_x_and_one_line_per_model() -> None:
    costs = inference_charts.cost_frame(SETTINGS)
    assert costs.group_by("benchmark", "model").len().height == 3  # o3 twice, claude; 'lonely' has one cost
    spec = spec_of(inference_charts.cost_chart(costs, inference_charts.choices(costs)))
    assert spec["encoding"]["x"]["scale"]["type"] == "log" and spec["encoding"]["detail"]["field"] == "model"
    assert spec["params"][0]["bind"]["input"] == "select"
    data = next(iter(spec["datasets"].values()))
    assert len(data) == costs.height and {row["model"] for row in data} == {"o3", "claude"}


def test_the_price_chart_draws_identified_trends_only_on_a_log_axis_beside_epochs_median() -> None:
    study = PRICE_TABLE.filter(pl.col("dataset") == "epoch_price_study")
    fits = inference_charts.price_fits(study, None)
    assert fits["threshold_model"].to_list() == ["GPT-3", "GPT-3.5"]  # never the unidentified GPT-4o or GPQA
    frame = inference_charts.price_frame(fits, inference_charts.reference_fits(fits), None)
    gpt3 = frame.filter((pl.col("layer") == "fit") & (pl.col("threshold") == "GPT-3 (50)")).sort("date")
    # without the points the line starts at 1 and falls 10x a year over its 1.5 years
    assert gpt3["price"][0] == pytest.approx(1.0, rel=1e-3)
    assert gpt3["price"][-1] == pytest.approx(10**-1.5, rel=0.02)
    reference = frame.filter(pl.col("layer") == "epoch median").sort("date")
    years = (date.fromisoformat(reference["date"][-1]) - date.fromisoformat(reference["date"][0])).days / 365.25
    assert reference["price"][-1] / reference["price"][0] == pytest.approx(46.2**-years, rel=0.02)
    spec = spec_of(inference_charts.price_chart(fits, None, "epoch_price_study"))
    lines = [layer for layer in spec["concat"][0]["layer"] if layer["mark"]["type"] == "line"]
    assert all(layer["encoding"]["y"]["scale"]["type"] == "log" for layer in lines)
    assert any(layer["mark"].get("strokeDash") for layer in lines)  # Epoch's median, dashed


def test_with_its_points_a_price_line_runs_through_them() -> None:
    days = [date(2023, 1, 1), date(2023, 7, 2), date(2024, 1, 1)]
    points = pl.DataFrame(
        {
            "dataset": ["epoch_price_study"] * 3,
            "benchmark": ["MMLU"] * 3,
            "threshold_model": ["GPT-3"] * 3,
            "model_name": ["a", "b", "c"],
            "release_date": days,
            "price": [60.0, 19.0, 6.0],
        }
    )
    study = PRICE_TABLE.filter(pl.col("threshold_model") == "GPT-3")
    fits = inference_charts.price_fits(study, points)
    # through the points' mean: log10 price at their mean date is the mean of their log10 prices
    line = inference_charts.price_frame(fits, inference_charts.reference_fits(fits), points)
    middle = line.filter(pl.col("layer") == "fit").sort("date")["price"][1]
    mean_log = statistics.mean(math.log10(p) for p in (60.0, 19.0, 6.0))
    middle_date = date(2023, 10, 1)  # the window's middle (2023-01-01 to 2024-07-01)
    expected = mean_log - math.log10(10) * ((middle_date - date(2023, 7, 2)).days / 365.25)
    assert math.log10(middle) == pytest.approx(expected, abs=0.01)
    assert line.filter(pl.col("layer") == "point").height == 3
    spec = spec_of(inference_charts.price_chart(fits, points, "epoch_price_study"))
    assert spec["concat"][0]["layer"][0]["mark"]["type"] == "circle"


# -- the sections, through a page context --------------------------------------------------------------------------

DECLARED = frozenset({*TABLES, "marts.benchmark_scores", inference_charts.PRICE_POINTS})


def context(tmp_path: Path, tables: dict[str, pl.DataFrame]) -> PageContext:
    con = duckdb.connect()
    ensure_schemas(con)
    for name, frame in tables.items():
        schema, table = name.split(".")
        replace_table(con, schema, table, frame)
    return PageContext(con, DECLARED, tmp_path, datetime(2026, 1, 1, tzinfo=UTC), [], "per_dollar_vs_per_year")


def render(page: Page) -> str:
    template = '{% from "blocks.html.j2" import render %}{% for b in blocks %}{{ render(b) }}{% endfor %}'
    return environment().from_string(template).render(blocks=page.blocks)


def test_the_figures_section_shows_the_table_the_unidentified_list_and_the_csv(tmp_path: Path) -> None:
    page = Page(name="per_dollar_vs_per_year", title="t")
    inference.figures_section(context(tmp_path, TABLES), page)
    html = render(page)
    assert 'id="inference-figures"' in html and 'id="inference-unidentified"' in html
    assert "not identified" in html and SHORT in html
    frame = page.downloads["inference_figures"]
    assert frame.filter(pl.col("status") == "not identified").height >= 2


def test_a_missing_inference_table_is_noted_where_the_section_reads_it(tmp_path: Path) -> None:
    page = Page(name="per_dollar_vs_per_year", title="t")
    without = {k: v for k, v in TABLES.items() if k not in (TEST_TIME, PRICES)}
    inference.figures_section(context(tmp_path, without), page)
    missing = [b.data["table"] for b in page.blocks if b.kind == "missing"]
    assert missing == [TEST_TIME, PRICES] and 'id="inference-figures"' in render(page)


def test_the_price_section_lists_every_trend_and_credits_epochs_data(tmp_path: Path) -> None:
    page = Page(name="per_dollar_vs_per_year", title="t")
    points = pl.DataFrame(  # the path of MMLU at GPT-3: three models, each cheaper than the last
        {
            "dataset": ["epoch_price_study"] * 3,
            "benchmark": ["MMLU"] * 3,
            "threshold_model": ["GPT-3"] * 3,
            "threshold_score": [50.0] * 3,
            "unit": ["percent"] * 3,
            "price_unit": ["USD per 1M tokens"] * 3,
            "model_name": ["a", "b", "c"],
            "release_date": [date(2023, 1, 1), date(2023, 10, 1), date(2024, 7, 1)],
            "price": [60.0, 6.0, 0.6],
            "score": [51.0, 55.0, 60.0],
        }
    )
    inference_charts.price_section(context(tmp_path, {**TABLES, inference_charts.PRICE_POINTS: points}), page)
    html = render(page)
    assert "price_of_a_fixed_score" in page.charts and "cost_per_run_of_a_fixed_score" in page.charts
    drawn = page.charts["price_of_a_fixed_score"].data  # the chart's CSV: the path's points in dollars
    assert {"a", "b", "c"} <= set(drawn["model_name"].drop_nulls()) and 60.0 in drawn["price"].to_list()
    assert html.count("<tr>") >= PRICE_TABLE.height and "CC BY 4.0" in html and "Epoch AI" in html
    rows = inference_charts.price_rows(PRICE_TABLE)
    greyed = [r for r in rows if all(isinstance(c, Cell) and c.attrs.get("class") == GREYED for c in r)]
    assert len(greyed) == 2 and all(SHORT in r[-1].text for r in greyed)
    assert 'data-table="inference_price_trends"' in html and "data-benchmark" not in html


def test_the_test_time_section_draws_both_charts_and_greys_figures_without_a_number(tmp_path: Path) -> None:
    scores = SETTINGS.rename({"model": "base_version", "score": "trend_score"}).with_columns(unit=pl.lit("fraction"))
    page = Page(name="per_dollar_vs_per_year", title="t")
    inference_charts.test_time_section(context(tmp_path, {**TABLES, "marts.benchmark_scores": scores}), page)
    assert sorted(page.charts) == ["effort_ladder", "score_vs_cost_per_run"]
    rows = inference_charts.test_time_rows(TEST_TIME_TABLE.with_columns(benchmark_name=pl.lit(None, pl.String)))
    weirdml = next(r for r in rows if getattr(r[1], "text", r[1]) == "weirdml")
    assert all(c.attrs.get("class") == GREYED for c in weirdml) and weirdml[-1].title == "the 90% CI is unbounded"
    # data-benchmark names a row of trends.per_dollar_vs_per_year on this page (the browser test checks them)
    html = render(page)
    assert 'data-table="test_time_scaling"' in html and "data-benchmark" not in html
