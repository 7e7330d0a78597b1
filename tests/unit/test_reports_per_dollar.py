"""The per-dollar vs per-year page: the paradox in words uses the table's numbers, the best to date is the records, and
the drawn curves are the fitted ones."""

from __future__ import annotations

import math
import re
from datetime import date

import numpy as np
import polars as pl
import pytest

from pipelines.reports.capabilities import GREYED, paradox_html, pooled_html
from pipelines.reports.page import TEMPLATES, Cell, Page
from pipelines.reports.per_dollar_vs_per_year import (
    fit_curves,
    logistic,
    progress_lines,
    running_best,
    table_rows,
)

STYLESHEET = TEMPLATES / "style.css"
TABLE = pl.DataFrame(
    {
        "benchmark": ["mmlu", "gpqa", "gsm8k"],
        "benchmark_name": ["MMLU", "GPQA Diamond", "GSM8K"],
        "n_models": [120, 90, 60],
        "compute_multiplier_to_halve_error": [30.0, 100.0, None],
        "compute_multiplier_to_halve_error_ci_low": [15.0, 40.0, None],
        "compute_multiplier_to_halve_error_ci_high": [70.0, 300.0, None],
        "dollar_multiplier_to_halve_error": [50.0, 400.0, None],
        "dollar_multiplier_to_halve_error_ci_low": [20.0, 100.0, None],
        "dollar_multiplier_to_halve_error_ci_high": [120.0, 900.0, None],
        "years_to_halve_error": [2.0, 1.0, 1.5],
        "years_to_halve_error_ci_low": [1.5, 0.7, 1.0],
        "years_to_halve_error_ci_high": [2.8, 1.6, 2.5],
        "cost_basis": ["imputed"] * 3,
        "status": ["ok", "ok", "insufficient data"],
        "status_reason": [None, None, "compute multiplier: no fit"],
    }
)
FITS = pl.DataFrame(
    {
        "metric": ["training_compute", "training_cost"],
        "subset": ["frontier_epoch", "frontier_epoch"],
        "window_kind": ["full", "full"],
        "n": [80, 60],
        "growth_per_year": [4.5, 2.6],
        "growth_ci_low": [4.0, 2.2],
        "growth_ci_high": [5.0, 3.0],
        "status": ["ok", "ok"],
    }
)


def text_of(paragraphs: list[str]) -> str:
    return re.sub(r"<[^>]+>", "", " ".join(paragraphs))


POOLED = {
    "benchmark": "pooled",
    "benchmark_name": "Pooled (one shared slope)",
    "n_models": 270,
    "n_models_cost": 270,
    "n_record_points": 40,
    "compute_multiplier_to_halve_error": 4.0,
    "compute_multiplier_to_halve_error_ci_low": 3.0,
    "compute_multiplier_to_halve_error_ci_high": 5.8,
    "dollar_multiplier_to_halve_error": 6.0,
    "dollar_multiplier_to_halve_error_ci_low": 4.0,
    "dollar_multiplier_to_halve_error_ci_high": 9.0,
    "years_to_halve_error": 1.2,
    "years_to_halve_error_ci_low": 1.0,
    "years_to_halve_error_ci_high": 1.3,
    "cost_basis": "imputed",
    "status": "ok",
    "status_reason": None,
}
WITH_POOLED = pl.concat(
    [
        pl.DataFrame([POOLED]),
        TABLE.with_columns(pl.lit(0).alias("n_models_cost"), pl.lit(0).alias("n_record_points")),
        pl.DataFrame(
            [
                {
                    **POOLED,
                    "benchmark": "triviaqa",
                    "benchmark_name": "TriviaQA",
                    "compute_multiplier_to_halve_error": 1.4e6,
                    "compute_multiplier_to_halve_error_ci_high": None,
                    "status": "not identified",
                    "status_reason": "compute multiplier to halve error: the 90% CI is unbounded on the upper side",
                }
            ]
        ),
    ],
    how="diagonal_relaxed",
)
FRONTIER_FIT = {"growth_per_year": 4.5, "growth_ci_low": 4.0, "growth_ci_high": 5.0}


def test_the_paradox_leads_with_the_pooled_row_and_medians_leave_out_pooled_and_unidentified_rows() -> None:
    text = text_of([paradox_html(WITH_POOLED, FRONTIER_FIT, None, None)])
    assert "error rate halved every 1.20 years" in text and "took ×4.0 more training compute (pooled)" in text
    # medians over MMLU and GPQA only: TriviaQA is not identified, GSM8K incomplete, the pooled row is no benchmark
    assert "median over the 2 identified benchmarks: 1.5 years" in text and "a median of ×65" in text
    # 4.5 ** 1.2 = 6.1 more compute in the years one halving took; log(6.1)/log(4) = 1.3 halvings
    assert f"it grew ×{4.5**1.2:.1f}" in text and f"{math.log(4.5**1.2) / math.log(4.0):.1f} halvings" in text
    assert "scaling paradox" in text


def test_the_pooled_summary_gives_its_intervals_and_counts_the_unidentified() -> None:
    text = text_of([pooled_html(WITH_POOLED)])
    assert "×4.0 (90% CI ×3.0–×5.8) training compute" in text and "1.20 (90% CI 1.00–1.30) years" in text
    assert "1 benchmarks are not identified" in text


def test_without_a_pooled_row_or_usable_rows_the_text_invents_no_numbers() -> None:
    text = text_of([paradox_html(TABLE.filter(pl.col("benchmark") == "gsm8k"), FRONTIER_FIT, None, None)])
    assert not re.search(r"×\d", text)


def test_a_not_identified_row_is_greyed_and_shows_its_reason() -> None:
    rows = table_rows(WITH_POOLED)
    assert rows[0][0] == "Pooled (one shared slope)"
    trivia = next(r for r in rows if isinstance(r[0], Cell) and r[0].text == "TriviaQA")
    assert all(c.attrs.get("class") == GREYED for c in trivia)
    assert re.search(rf"td\.{GREYED}\b[^{{]*\{{\s*color: #999", STYLESHEET.read_text(encoding="utf-8"))
    # the status with its reason in full, as the one column read before status_reason
    assert (
        trivia[-1].text
        == "not identified: compute multiplier to halve error: the 90% CI is unbounded on the upper side"
    )


def test_a_row_with_too_little_data_shows_the_status_and_its_reason_on_hover() -> None:
    gsm8k = next(r for r in table_rows(TABLE) if r[0] == "GSM8K")
    assert gsm8k[-1].text == "insufficient data" and gsm8k[-1].title == "insufficient data: compute multiplier: no fit"
    assert not any(isinstance(c, Cell) and c.attrs.get("class") == GREYED for c in gsm8k)


def test_table_rows_keep_exact_values_for_the_browser_test() -> None:
    rows = table_rows(TABLE)
    mmlu = rows[0]
    assert mmlu[0] == "MMLU" and mmlu[2].text == "×30" and mmlu[2].attrs["data-value"] == "30.0"
    gsm8k = rows[2]
    assert gsm8k[2].text == "–" and "data-value" not in gsm8k[2].attrs


def test_the_running_best_is_the_records_and_ties_on_a_date_keep_the_best() -> None:
    points = pl.DataFrame(
        {
            "benchmark": ["b"] * 5,
            "model_name": ["first", "worse", "tie-low", "tie-high", "record"],
            "date": [date(2023, 1, 1), date(2023, 2, 1), date(2023, 3, 1), date(2023, 3, 1), date(2023, 4, 1)],
            "score": [0.5, 0.4, 0.6, 0.7, 0.8],
        }
    )
    records = running_best(points)
    assert records["model_name"].to_list() == ["first", "tie-high", "record"]
    assert records["best_to_date"].to_list() == [0.5, 0.7, 0.8]
    # an equal score on the same date: the first model by name, whatever order the rows come in
    even = pl.DataFrame({"benchmark": ["b"] * 2, "model_name": ["zeta", "alpha"], "date": [date(2023, 1, 1)] * 2})
    for frame in (even, even.reverse()):
        assert running_best(frame.with_columns(score=pl.lit(0.5)))["model_name"].to_list() == ["alpha"]


def test_drawn_cost_curve_is_the_imputed_basis_fit_over_the_data_range() -> None:
    scaling = pl.DataFrame(
        {
            "benchmark": ["b", "b", "b"],
            "x": ["cost", "cost", "compute"],
            "cost_basis": ["observed", "imputed", "n/a"],
            "floor": [0.0, 0.25, 0.1],
            "ceiling": [1.0, 0.9, 1.0],
            "slope": [1.0, 2.0, 1.0],
            "midpoint": [6.0, 7.0, 23.0],
            "status": ["ok", "ok", "ok"],
        }
    )
    points = pl.DataFrame({"benchmark": ["b", "b"], "cost_usd": [1e5, 1e9]})
    curve = fit_curves(scaling, points, "cost", "cost_usd")
    assert curve.height == 60
    assert curve["cost_usd"].min() == pytest.approx(1e5) and curve["cost_usd"].max() == pytest.approx(1e9)
    x = np.log10(curve["cost_usd"].to_numpy())
    assert curve["fitted_score"].to_numpy() == pytest.approx(logistic(x, 0.25, 0.9, 2.0, 7.0))


def test_unstable_or_failed_fits_are_not_drawn() -> None:
    scaling = pl.DataFrame(
        {
            "benchmark": ["b"],
            "x": ["compute"],
            "cost_basis": ["n/a"],
            "floor": [0.0],
            "ceiling": [1.0],
            "slope": [1.0],
            "midpoint": [23.0],
            "status": ["unstable"],
            "status_reason": ["slope outside its bootstrap CI"],
        }
    )
    points = pl.DataFrame({"benchmark": ["b", "b"], "compute_flop": [1e21, 1e25]})
    assert fit_curves(scaling, points, "compute", "compute_flop").is_empty()


def test_the_records_fit_line_is_the_tables_line_and_stops_at_100_percent() -> None:
    progress = pl.DataFrame({"benchmark": ["b"], "intercept": [-809.0], "slope": [0.4], "status": ["ok"]})
    points = pl.DataFrame({"benchmark": ["b", "b"], "date": [date(2024, 1, 1), date(2028, 1, 1)]})
    line = progress_lines(progress, points)
    # 0.4 per year from 0.6 at the start of 2024: it reaches 100% at the start of 2025 and is cut there
    assert line["fitted_score"].max() <= 1.0 and line["fitted_score"].min() == pytest.approx(0.6)
    assert line["date"].max() < "2025-01-02"


def test_the_page_gives_the_one_table_before_the_paradox_whose_box_ends_with_inference(tmp_path) -> None:
    from datetime import UTC, datetime

    import duckdb
    from test_reports_inference import TABLES

    from pipelines.reports import registry
    from pipelines.reports.page import environment
    from pipelines.reports.per_dollar_vs_per_year import SECTIONS
    from pipelines.warehouse import ensure_schemas, replace_table

    con = duckdb.connect()
    ensure_schemas(con)
    for name, frame in {**TABLES, "trends.per_dollar_vs_per_year": WITH_POOLED}.items():
        replace_table(con, *name.split("."), frame)
    spec = registry.PAGES_BY_NAME["per_dollar_vs_per_year"]
    ctx = registry.context(spec, con, tmp_path, datetime(2026, 1, 1, tzinfo=UTC))
    page = Page(name=spec.name, title="t")
    chosen = [s for s in SECTIONS if s.__name__ in ("figures_section", "paradox_section", "price_section")]
    for section in chosen:
        section(ctx, page)
    template = '{% from "blocks.html.j2" import render %}{% for b in blocks %}{{ render(b) }}{% endfor %}'
    html = environment().from_string(template).render(blocks=page.blocks)
    assert html.index('id="inference-figures"') < html.index('id="paradox-text"') < html.index('id="paradox-inference"')
    text = text_of([html])
    assert "each 10x of inference spend per run buys 8.1 percentage points" in text
    assert "the median of the 2 identified trends of Epoch's price study" in text and "is 46× a year" in text
    assert "price_of_a_fixed_score" in page.charts
