"""The index page: which fit each headline row shows, and what it says changed since the previous build (moved
headlines first, with the rows that moved them)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import polars as pl
from test_trends_headline import OLD_ROWS, planted_changes, planted_fit

from pipelines.reports import registry
from pipelines.reports.common import pick_fit
from pipelines.reports.index import (
    build_state,
    changes_html,
    changes_section,
    headline_moves,
    headline_rows,
    headline_sentence,
    headline_table_rows,
)
from pipelines.reports.page import Page, environment
from pipelines.warehouse import ensure_schemas, replace_table


def fit(metric: str, subset: str, kind: str, start: date, end: date, growth: float, n: int = 50) -> dict:
    return {
        "metric": metric,
        "subset": subset,
        "window_kind": kind,
        "window_start": start,
        "window_end": end,
        "n": n,
        "slope_oom_per_year": 0.6 if growth > 1 else -0.2,
        "growth_per_year": growth,
        "growth_ci_low": growth * 0.9,
        "growth_ci_high": growth * 1.1,
        "doubling_months": 6.0 if growth > 1 else -18.0,
        "doubling_months_ci_low": 5.5 if growth > 1 else -20.0,
        "doubling_months_ci_high": 6.5 if growth > 1 else -16.0,
        "intercept": -1000.0,
        "r2": 0.6,
        "status": "ok",
        "status_reason": None,
    }


FITS = pl.DataFrame(
    [
        fit("training_compute", "notable", "full", date(2010, 1, 1), date(2026, 7, 1), 4.4),
        fit("training_compute", "notable", "era", date(1950, 1, 1), date(2009, 12, 31), 1.4),
        fit("training_compute", "notable", "rolling", date(2020, 1, 1), date(2024, 1, 1), 6.0),
        fit("training_cost", "frontier_top10", "era", date(2010, 1, 1), date(2026, 7, 1), 2.5),
        fit("training_cost", "frontier_top10", "era", date(2016, 1, 1), date(2026, 7, 1), 3.1),
        fit("cost_per_flop", "notable", "full", date(2010, 1, 1), date(2026, 7, 1), 0.7),
    ]
)


def test_headline_uses_the_full_window_and_never_a_rolling_one() -> None:
    chosen = pick_fit(FITS, "training_compute", ("notable",))
    assert chosen is not None and chosen["window_kind"] == "full" and chosen["growth_per_year"] == 4.4


def test_without_a_full_window_the_era_reaching_furthest_with_the_longest_span_is_shown() -> None:
    chosen = pick_fit(FITS, "training_cost", ("frontier_top10",))
    assert chosen is not None and chosen["window_start"] == date(2010, 1, 1)


def test_headline_rows_fall_back_to_the_next_subset_and_skip_metrics_without_fits() -> None:
    rows = headline_rows(FITS)
    labels = [r["label"] for r in rows]
    # frontier cost falls back from Epoch's flag to the top-10 subset; parameters have no fit and are absent
    assert "Training cost (2023 USD), frontier models" in labels
    assert not any(label.startswith("Parameters") for label in labels)


def test_headline_cells_carry_the_exact_value_and_falling_trends_say_halves() -> None:
    rows = headline_table_rows(headline_rows(FITS))
    compute = rows[0]
    growth = compute[4]
    assert growth.text == "4.4×"
    assert growth.attrs == {
        "data-metric": "training_compute",
        "data-subset": "notable",
        "data-window-kind": "full",
        "data-window-start": "2010-01-01",
        "data-field": "growth_per_year",
        "data-value": "4.4",
    }
    per_flop = rows[-1]
    assert per_flop[6].text == "halves every 18.0" and per_flop[7].text == "16.0–20.0"


def test_insufficient_data_is_shown_as_the_status_not_a_number() -> None:
    row = fit("parameters", "notable", "full", date(2010, 1, 1), date(2026, 7, 1), 2.0) | {
        "status": "insufficient data",
        "status_reason": "3 points",
        "growth_per_year": None,
    }
    cells = headline_table_rows([row | {"label": "Parameters"}])[0]
    assert cells[4].text == "insufficient data: 3 points"  # the status, then its reason
    assert headline_sentence(row) == "Not enough data for a compute trend: insufficient data: 3 points."


def state(models: dict[str, str], sha: str, growth: float) -> dict:
    chosen = [fit("training_compute", "notable", "full", date(2010, 1, 1), date(2026, 7, 1), growth) | {"label": "C"}]
    frame = pl.DataFrame({"model_key": list(models), "model_name": list(models.values())})
    return build_state(datetime(2026, 1, 1, tzinfo=UTC), {"notable_models": sha}, frame, chosen)


def test_first_build_says_there_is_nothing_to_compare() -> None:
    assert "first build" in changes_html(None, state({"a": "A"}, "s1", 4.0))


def test_changes_name_new_files_added_and_removed_models_and_moved_numbers() -> None:
    before = state({"a": "Model A", "b": "Model B"}, "1" * 64, 4.0)
    after = state({"a": "Model A", "c": "Model <C>"}, "2" * 64, 4.4)
    text = changes_html(before, after)
    assert "notable_models" in text and "1111111111" in text and "2222222222" in text
    assert "1 model added (Model &lt;C&gt;)" in text and "1 removed (Model B)" in text
    assert "4.0× → 4.4× per year" in text


def test_an_identical_rebuild_reports_no_change() -> None:
    same = state({"a": "A"}, "s1", 4.0)
    text = changes_html(same, same)
    assert "No source changed" in text and "the same 1 model as before" in text and "No headline number moved" in text


# -- headlines that moved beyond their published interval -------------------------------------------------------

HOSTILE_FOO = ("Foo <b>", date(2099, 7, 15), 1e25)
MOVED = planted_changes(planted_fit(2.15, 1.53, 4.55, date(2099, 7, 15)), new_rows=(*OLD_ROWS, HOSTILE_FOO))


def test_a_moved_headline_is_shown_first_with_the_rows_that_moved_it_even_on_a_first_reports_build() -> None:
    text = changes_html(None, state({"a": "A"}, "s1", 4.0), headline_moves(MOVED))
    assert text.index('id="headline-moves"') < text.index('id="changes-none"')
    assert "Training compute (FLOP)</strong> (notable models): 4.35x/yr [4.05, 4.68] → 2.15x/yr [1.53, 4.55]" in text
    assert "window end 2026-06 → 2099-07" in text and "window end moved +73.0 years" in text
    assert "+ Foo &lt;b&gt; (2099-07-15, 1e25 FLOP)" in text


def test_a_move_within_the_interval_adds_nothing_to_the_page() -> None:
    within = planted_changes(planted_fit(4.5, 4.1, 4.9, date(2026, 6, 30)), new_rows=OLD_ROWS)
    same = state({"a": "A"}, "s1", 4.0)
    assert headline_moves(within) == [] and "headline-moves" not in changes_html(same, same, headline_moves(within))


def render(page: Page) -> str:
    template = '{% from "blocks.html.j2" import render %}{% for b in blocks %}{{ render(b) }}{% endfor %}'
    return environment().from_string(template).render(blocks=page.blocks)


def test_the_index_section_reads_trends_headline_changes_as_its_spec_declares(tmp_path: Path) -> None:
    con = duckdb.connect()
    ensure_schemas(con)
    con.execute("create table marts.models as select 'a' as model_key, 'A' as model_name")
    replace_table(con, "trends", "fits", FITS)
    spec = registry.PAGES_BY_NAME["index"]
    page = Page(name="index", title="t")
    changes_section(registry.context(spec, con, tmp_path, datetime(2026, 1, 1, tzinfo=UTC)), page)
    assert "trends.headline_changes" in render(page) and "headline-moves" not in render(page)  # a missing table
    replace_table(con, "trends", "headline_changes", MOVED)
    page = Page(name="index", title="t")
    changes_section(registry.context(spec, con, tmp_path, datetime(2026, 1, 1, tzinfo=UTC)), page)
    html = render(page)
    assert 'id="headline-moves"' in html and "+ Foo &lt;b&gt; (2099-07-15, 1e25 FLOP)" in html


# -- per year, per 10x training, per 10x inference -----------------------------------------------------------------


def test_the_index_shows_the_compact_table_of_per_year_per_10x_training_and_per_10x_inference(tmp_path: Path) -> None:
    from test_reports_inference import SHORT, TABLES

    from pipelines.reports.inference import compact_section

    con = duckdb.connect()
    ensure_schemas(con)
    for name, frame in TABLES.items():
        replace_table(con, *name.split("."), frame)
    page = Page(name="index", title="t")
    spec = registry.PAGES_BY_NAME["index"]
    compact_section(registry.context(spec, con, tmp_path, datetime(2026, 1, 1, tzinfo=UTC)), page)
    html = render(page)
    assert 'id="inference-figures-compact"' in html and "one row for each of 3 benchmarks" in html
    # the indices and all benchmarks, numbers only: the median of identified trends, the range and n on hover
    rows = re.findall(r'data-row="([^"]+)"', html)
    assert set(rows) == {"eci", "metr_time_horizons", "all benchmarks"}
    assert '<td class="num" data-row="all benchmarks" data-column="price_per_token"' in html
    assert 'title="range of identified trends 10× to 30×; n = 2 identified trends of 4 trends' in html
    assert f"left out: MMLU, GPT-4o: not identified ({SHORT})" in html and ">20×</td>" in html
    assert "Epoch's published median over all its trends: 46×" in html
