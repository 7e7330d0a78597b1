"""Per dollar at inference: Epoch's cheapest-model price trends, on small planted price series."""

from __future__ import annotations

import math
from datetime import date, timedelta

import polars as pl
import pytest

from pipelines.trends import inference_prices as ip
from pipelines.trends.checks import table_problems
from pipelines.trends.status import Status

START = date(2023, 1, 1)
NO_HUB = pl.DataFrame(schema=ip.HUB_COLUMNS)

Row = tuple[str, int, float, float]  # model, days after START, USD per 1M tokens, score


def study(rows: list[Row], benchmark: str = "HumanEval") -> pl.DataFrame:
    """`marts.inference_scores` rows of one benchmark, as the data engineer publishes them."""
    unit = "elo" if benchmark == "LMSys Chatbot Arena ELO" else "percent"
    return pl.DataFrame(
        [
            {
                "source": "inference_prices_aa",
                "dataset": ip.STUDY,
                "model_name": name,
                "model_key": name.lower(),
                "release_date": START + timedelta(days=day),
                "usd_per_1m_tokens": price,
                "benchmark": benchmark,
                "score": score,
                "unit": unit,
            }
            for name, day, price, score in rows
        ],
        schema=ip.STUDY_COLUMNS,
    )


def trends(rows: list[Row], benchmark: str = "HumanEval") -> pl.DataFrame:
    return ip.inference_price_trends(study(rows, benchmark), NO_HUB)


def tenfold_a_year(days: list[int], score: float = 80.0) -> list[Row]:
    """A leader at day 0, then models at the same score whose price falls exactly 10x a year."""
    return [(f"m{day}", day, 100 * 10 ** (-day / 365), score) for day in days]


def test_a_price_falling_exactly_tenfold_a_year_gives_a_factor_of_ten_with_a_tight_interval() -> None:
    frame = trends(tenfold_a_year([0, 120, 300, 450, 600, 730]))
    (row,) = frame.to_dicts()
    assert row["threshold_model"] == "m0" and row["threshold_score"] == 80.0
    assert row["n"] == 6 and row["span_days"] == 730
    assert row["factor_per_year"] == pytest.approx(10, rel=1e-9)
    assert row["ci_low"] == pytest.approx(10, rel=1e-6) and row["ci_high"] == pytest.approx(10, rel=1e-6)
    assert row["r_squared"] == pytest.approx(1)
    assert (row["status"], row["status_reason"]) == (Status.OK, None)
    assert row["models"] == "m0; m120; m300; m450; m600; m730"


def test_a_kept_model_followed_by_a_cheaper_one_released_the_same_day_is_dropped() -> None:
    rows = [("lead", 0, 50.0, 90.0), ("dear", 200, 20.0, 90.0), ("cheap", 200, 10.0, 91.0)]
    rows += [("later", 400, 5.0, 90.0), ("last", 600, 1.0, 90.0)]
    (row,) = trends(rows).to_dicts()
    assert row["models"] == "lead; cheap; later; last" and row["n"] == 4
    entries = ip.study_entries(study(rows))
    for order in (entries, entries.reverse()):  # the input's order of same-day models does not matter
        assert ip.cheapest_path(order, 90.0)["model_name"].to_list() == ["lead", "cheap", "later", "last"]


def test_a_model_no_cheaper_than_every_model_kept_so_far_is_not_on_the_path() -> None:
    rows = [("lead", 0, 50.0, 90.0), ("cheap", 200, 10.0, 90.0), ("dearer", 300, 20.0, 95.0)]
    rows += [("later", 400, 5.0, 90.0), ("last", 600, 1.0, 90.0), ("below", 650, 0.01, 70.0)]
    (row,) = trends(rows).to_dicts()
    assert row["models"] == "lead; cheap; later; last"


def test_reasoning_models_neither_set_a_threshold_nor_join_a_path() -> None:
    rows = [*tenfold_a_year([0, 150, 400, 700]), ("o1", 100, 0.001, 99.0), ("DeepSeek-R1", 500, 0.0001, 98.0)]
    (row,) = trends(rows).to_dicts()
    assert row["threshold_model"] == "m0" and row["n"] == 4
    assert "o1" not in row["models"] and "DeepSeek-R1" not in row["models"]


def test_each_model_that_led_on_its_release_day_sets_a_threshold_and_a_later_tie_does_not() -> None:
    rows = [("first", 0, 10.0, 60.0), ("tie", 50, 9.0, 60.0), ("better", 100, 8.0, 70.0), ("worse", 150, 1.0, 65.0)]
    leaders = ip.thresholds(ip.study_entries(study(rows)))
    assert leaders.select("model_name", "score").rows() == [("first", 60.0), ("better", 70.0)]


def test_a_threshold_under_30_percent_is_skipped_on_multiple_choice_only() -> None:
    rows = tenfold_a_year([0, 200, 400, 600], score=25.0)
    assert trends(rows, "MMLU").is_empty()
    assert trends(rows, "GPQA Diamond").is_empty()
    (row,) = trends(rows, "MATH 5").to_dicts()  # not multiple choice: 25% is a level like any other
    assert row["threshold_score"] == 25.0 and row["n"] == 4


def test_a_score_of_100_percent_is_above_the_range_but_an_elo_has_no_ceiling() -> None:
    rows = [*tenfold_a_year([0, 200, 400, 600], score=95.0), ("perfect", 500, 0.001, 100.0)]
    (percent,) = trends(rows).to_dicts()
    assert percent["threshold_model"] == "m0" and "perfect" not in percent["models"]
    elo = [(name, day, price, score + 1200) for name, day, price, score in rows]
    (arena,) = trends(elo, "LMSys Chatbot Arena ELO").to_dicts()
    assert arena["threshold_model"] == "m0" and arena["models"].endswith("perfect")


def test_a_trend_spanning_200_days_is_not_identified_and_says_why() -> None:
    (row,) = trends(tenfold_a_year([0, 50, 120, 200])).to_dicts()
    assert row["status"] == Status.NOT_IDENTIFIED and row["span_days"] == 200
    assert row["status_reason"] == "spans 200 days, less than 365"
    assert row["factor_per_year"] == pytest.approx(10)


def test_an_interval_spanning_more_than_two_orders_of_magnitude_is_not_identified() -> None:
    noisy = [("a", 0, 100.0, 80.0), ("b", 100, 1.0, 80.0), ("c", 700, 0.9, 80.0), ("d", 800, 0.01, 80.0)]
    (row,) = trends(noisy).to_dicts()
    assert row["span_days"] == 800 and row["ci_high"] / row["ci_low"] > 100
    assert row["status"] == Status.NOT_IDENTIFIED
    assert row["status_reason"].startswith(f"its 90% interval ({row['ci_low']:.3g}x to {row['ci_high']:.3g}x per year)")
    assert row["status_reason"].endswith("orders of magnitude, more than two") and "days" not in row["status_reason"]


def test_a_short_trend_with_a_wide_interval_gives_both_reasons_in_order() -> None:
    noisy = [("a", 0, 100.0, 80.0), ("b", 50, 1.0, 80.0), ("c", 150, 0.9, 80.0), ("d", 300, 0.01, 80.0)]
    (row,) = trends(noisy).to_dicts()
    short, wide = row["status_reason"].split("; ")
    assert row["status"] == Status.NOT_IDENTIFIED and short == "spans 300 days, less than 365"
    assert wide.startswith("its 90% interval") and wide.endswith("more than two")


def test_a_three_point_trend_is_absent() -> None:
    assert trends(tenfold_a_year([0, 300, 700])).is_empty()


def test_the_90_percent_interval_is_the_t_interval_on_n_minus_2_degrees_of_freedom() -> None:
    # log10 prices 2, 1.2, 0.9, -0.4 at 0, 1, 2, 3 years: slope -0.75 a year, residuals -0.05, -0.1, 0.35, -0.2,
    # so s² = 0.175 / 2 and se = sqrt(0.0875 / 5); t(0.95, 2 dof) = 2.919986
    rows = [(f"m{i}", 365 * i, 10**y, 80.0) for i, y in enumerate([2, 1.2, 0.9, -0.4])]
    (row,) = trends(rows).to_dicts()
    half_width = 2.919986 * math.sqrt(0.0875 / 5)
    assert row["factor_per_year"] == pytest.approx(10**0.75)
    assert math.log10(row["ci_high"]) == pytest.approx(0.75 + half_width, rel=1e-6)
    assert math.log10(row["ci_low"]) == pytest.approx(0.75 - half_width, rel=1e-6)
    assert row["r_squared"] == pytest.approx(1 - 0.175 / (0.75**2 * 5 + 0.175))


def test_hub_settings_are_separate_models_priced_per_run_and_reasoning_models_count() -> None:
    versions = [("o3-2025-04-16_high", 0, 8.0, 0.60), ("o3-2025-04-16_low", 0, 3.0, 0.60)]
    versions += [("o4-mini-2025-04-16_high", 200, 2.0, 0.60), ("o1-mini", 400, 0.8, 0.61), ("m", 600, 0.1, 0.62)]
    hub = pl.DataFrame(
        [
            {
                "benchmark_name": "WeirdML",
                "model_version": version,
                "release_date": START + timedelta(days=day),
                "trend_score": fraction,
                "cost_per_run_usd": cost,
            }
            for version, day, cost, fraction in versions
        ]
    )
    frame = ip.inference_price_trends(study([]), hub)
    first = frame.row(0, named=True)
    assert (first["dataset"], first["benchmark"], first["price_unit"]) == (ip.HUB, "WeirdML", "USD per run")
    assert first["threshold_model"] == "o3-2025-04-16_high" and first["threshold_score"] == pytest.approx(60.0)
    # _high is dropped for _low, released the same day and cheaper; o1-mini counts: its cost per run has its tokens
    assert first["models"] == "o3-2025-04-16_low; o4-mini-2025-04-16_high; o1-mini; m"
    assert first["n"] == 4


def test_the_table_has_its_columns_and_keeps_both_datasets_apart() -> None:
    frame = trends(tenfold_a_year([0, 200, 400, 600]))
    assert frame.schema == pl.Schema(ip.TRENDS_SCHEMA)
    assert frame["dataset"].to_list() == [ip.STUDY] and frame["price_unit"].to_list() == ["USD per 1M tokens"]
    empty = ip.inference_price_trends(study([]), NO_HUB)
    assert empty.is_empty() and empty.schema == pl.Schema(ip.TRENDS_SCHEMA)


def test_the_contract_passes_a_good_table_and_names_a_bad_status_a_non_positive_factor_and_a_wrong_type() -> None:
    contract = ip.TRENDS_CONTRACT
    good = pl.concat([trends(tenfold_a_year([0, 200, 400, 600])), trends(tenfold_a_year([0, 50, 120, 200]))])
    assert table_problems(good, contract)["passed"]
    bad = good.with_columns(
        pl.Series("status", ["ok", "unstable"]), pl.Series("factor_per_year", [-1.0, 10.0]), pl.col("n").cast(pl.Int32)
    )
    problems = table_problems(bad, contract)
    assert not problems["passed"]
    assert problems["unknown_status"] == 1 and problems["non_positive"] == 1 and problems["wrong_columns"] == 1
    description = str(problems["description"])
    assert "unknown_status: 1 of 2 rows with a status outside ['ok', 'not identified'], e.g. 'unstable'" in description
    assert "factor_per_year=-1.0 <= 0" in description and "wrong_columns: n is Int32, not Int64" in description


def test_the_assets_read_both_marts_write_the_points_and_the_trends_and_pass_their_checks(tmp_path) -> None:
    import duckdb
    from dagster import materialize
    from dagster_duckdb import DuckDBResource

    from pipelines.defs.trends import trend_asset

    path = tmp_path / "w.duckdb"
    days = (0, 100, 200, 300)  # cost per run falling exactly 10x a year, over 300 days
    hub = [("WeirdML", f"v{d}_high", START + timedelta(days=d), 0.5, 10 ** (1 - d / 365), "m", d) for d in days]
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        prices = study(tenfold_a_year([0, 200, 400, 600]))  # noqa: F841 (read by the query below)
        con.execute("create table marts.inference_scores as select *, 1 as row_number from prices")
        con.execute(
            "create table marts.benchmark_scores (benchmark_name varchar, model_version varchar, release_date date, "
            "trend_score double, cost_per_run_usd double, member varchar, row_number bigint, unit varchar)"
        )
        con.executemany("insert into marts.benchmark_scores values (?, ?, ?, ?, ?, ?, ?, 'fraction')", hub)
    assets = [trend_asset(step) for step in ip.STEPS]
    result = materialize(assets, resources={"warehouse": DuckDBResource(database=str(path))})
    evaluations = result.get_asset_check_evaluations()
    assert len(evaluations) == 2 and all(e.passed for e in evaluations), [e.description for e in evaluations]
    with duckdb.connect(str(path), read_only=True) as con:
        query = "select dataset, n, status, status_reason from trends.inference_price_trends order by 1"
        stored = con.sql(query).fetchall()
    assert stored == [(ip.HUB, 4, "not identified", "spans 300 days, less than 365"), (ip.STUDY, 4, "ok", None)]
