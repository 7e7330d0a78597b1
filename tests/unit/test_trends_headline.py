"""Headline moves: a headline that moves beyond its published interval, or whose window end moves by years, is
recorded with the rows that moved it and said in one line; a small move, or a first build, says nothing."""

from __future__ import annotations

import logging
import math
from datetime import date

import duckdb
import numpy as np
import polars as pl
import pytest

from pipelines.trends import benchmarks, capabilities, efficiency, headlines, inputs
from pipelines.trends.checks import table_problems
from pipelines.trends.fits import FITS_SCHEMA
from pipelines.trends.status import Status
from pipelines.trends.steps import contracts
from pipelines.warehouse import ensure_schemas, replace_table

COMPUTE = "training_compute/notable"

# -- planted tables: a previous build's headline and inputs, and this build's fit ---------------------------------


def planted_fit(
    growth: float,
    low: float,
    high: float,
    end: date,
    n: int = 30,
    status: Status = Status.OK,
    reason: str | None = None,
) -> dict:
    """A `trends.fits` row of the notable-compute headline with the given growth factor and CI."""
    row = dict.fromkeys(FITS_SCHEMA)
    row.update(metric="training_compute", subset="notable", window_kind="full", window_start=date(2010, 1, 1))
    row.update(window_end=end, n=n, growth_per_year=growth, growth_ci_low=low, growth_ci_high=high)
    row.update(status=status, status_reason=reason)
    row.update(slope_oom_per_year=math.log10(growth), slope_ci_low=math.log10(low), slope_ci_high=math.log10(high))
    return row


def planted_inputs(*rows: tuple[str, date, float]) -> pl.DataFrame:
    return pl.DataFrame(
        [{"headline": COMPUTE, "key": n.lower(), "name": n, "date": d, "value": v, "unit": "FLOP"} for n, d, v in rows],
        schema=headlines.INPUT_SCHEMA,
    )


OLD_ROWS = (("Alpha", date(2016, 3, 1), 1e21), ("Beta", date(2026, 6, 30), 3e25))
FOO = ("Foo", date(2099, 7, 15), 1e25)
PUBLISHED = planted_fit(4.35, 4.05, 4.68, date(2026, 6, 30))


def planted_changes(new_fit: dict, new_rows: tuple = (*OLD_ROWS, FOO), old_fit: dict = PUBLISHED) -> pl.DataFrame:
    """`trends.headline_changes` of a build whose fit is `new_fit` on `new_rows`, after one published `old_fit`."""
    previous = headlines.current_headlines(pl.DataFrame([old_fit], schema=FITS_SCHEMA), None)
    current = headlines.current_headlines(pl.DataFrame([new_fit], schema=FITS_SCHEMA), None)
    before = headlines.Previous(previous, planted_inputs(*OLD_ROWS))
    return headlines.changes_frame(current, before, planted_inputs(*new_rows))


def row_of(changes: pl.DataFrame, headline: str = COMPUTE) -> dict:
    return changes.filter(pl.col("headline") == headline).row(0, named=True)


def test_a_planted_far_future_row_gives_the_line_and_the_table_row_naming_it() -> None:
    changes = planted_changes(planted_fit(2.15, 1.53, 4.55, date(2099, 7, 15)))
    row = row_of(changes)
    assert row["moved"] and row["rows_added"] == 1 and row["rows_removed"] == row["rows_changed"] == 0
    assert row["input_changes"] == ["+ Foo (2099-07-15, 1e25 FLOP)"]
    assert row["previous_window_end"] == date(2026, 6, 30) and row["window_end"] == date(2099, 7, 15)
    # compared as log10 of the factor: a shift of log10(2.15/4.35), against the published interval's log width
    assert row["shift"] == pytest.approx(math.log10(2.15 / 4.35))
    assert row["previous_ci_width"] == pytest.approx(math.log10(4.68 / 4.05))
    assert headlines.moved_lines(changes) == [
        "headline moved: Training compute (FLOP), notable: 4.35x/yr [4.05, 4.68] -> 2.15x/yr [1.53, 4.55], "
        "window end 2026-06 -> 2099-07 (estimate moved -0.306 OOM/yr, more than the previous 90% CI's width "
        "(0.0628 OOM/yr); window end moved +73.0 years); rows: + Foo (2099-07-15, 1e25 FLOP)"
    ]
    # every other headline has no fit on either side: nothing to say about them
    assert changes.filter(pl.col("moved")).height == 1


def test_a_move_within_the_published_interval_says_nothing() -> None:
    gamma = ("Gamma", date(2020, 1, 1), 1e23)
    changes = planted_changes(planted_fit(4.5, 4.1, 4.9, date(2026, 6, 30)), new_rows=(*OLD_ROWS, gamma))
    row = row_of(changes)
    assert not row["moved"] and row["reasons"] is None and row["input_changes"] is None
    assert row["rows_added"] == 1  # counted, not news
    assert headlines.moved_lines(changes) == []


def test_the_estimate_alone_or_the_window_end_alone_is_enough() -> None:
    slower = row_of(planted_changes(planted_fit(3.5, 3.2, 3.8, date(2026, 6, 30)), new_rows=OLD_ROWS))
    assert slower["moved"] and slower["reasons"].startswith("estimate moved -0.0944 OOM/yr")
    assert slower["input_changes"] == []  # the fit moved without an input row changing: said so in the line
    later = row_of(planted_changes(planted_fit(4.3, 4.0, 4.6, date(2028, 1, 1))))
    assert later["moved"] and later["reasons"] == "window end moved +1.5 years"
    months = row_of(planted_changes(planted_fit(4.3, 4.0, 4.6, date(2027, 3, 1))))
    assert not months["moved"]


def test_losing_the_number_counts_as_a_move() -> None:
    gone = planted_fit(4.35, 4.05, 4.68, date(2026, 6, 30), status=Status.INSUFFICIENT_DATA, reason="3 points")
    gone.update(growth_per_year=None, growth_ci_low=None, growth_ci_high=None)
    gone.update(slope_oom_per_year=None, slope_ci_low=None, slope_ci_high=None)
    row = row_of(planted_changes(gone, new_rows=OLD_ROWS))
    assert row["moved"] and row["reasons"] == "status 'ok' -> 'insufficient data: 3 points'"
    assert (row["status"], row["status_reason"], row["previous_status"]) == ("insufficient data", "3 points", "ok")


def test_a_first_build_has_no_previous_and_no_move() -> None:
    current = headlines.current_headlines(pl.DataFrame([PUBLISHED], schema=FITS_SCHEMA), None)
    changes = headlines.changes_frame(current, headlines.Previous(), planted_inputs(*OLD_ROWS))
    assert not changes["moved"].any() and changes["previous_estimate"].is_null().all()
    assert changes["rows_added"].is_null().all()
    assert table_problems(changes, headlines.CHANGES_CONTRACT)["passed"]


def test_changed_and_removed_rows_are_named_furthest_in_time_first() -> None:
    before = planted_inputs(("A", date(2016, 1, 1), 1e21), ("B", date(2020, 1, 1), 1e22), ("C", date(2012, 1, 1), 1e18))
    now = planted_inputs(("A", date(2016, 1, 1), 1e21), ("B", date(2020, 1, 1), 4e22), FOO)
    texts = [headlines.change_text(r) for r in headlines.input_diff(before, now).iter_rows(named=True)]
    assert texts == [
        "+ Foo (2099-07-15, 1e25 FLOP)",
        "~ B (2020-01-01, 1e22 -> 2020-01-01, 4e22 FLOP)",
        "- C (2012-01-01, 1e18 FLOP)",
    ]


# -- a small warehouse built twice, the way the assets build it ------------------------------------------------

MARTS_DDL = """
create table marts.models (
    model_key varchar, model_name varchar, organization varchar, publication_date date, domains varchar[],
    in_notable_models boolean, is_frontier_epoch boolean, is_frontier_top10 boolean, training_compute_flop double,
    parameters double, training_dataset_size_datapoints double, training_cost_usd_2023 double,
    tokens_per_parameter double, cost_usd_per_flop double
);
create table marts.hardware (
    hardware_name varchar, manufacturer varchar, hardware_type varchar, release_date date, release_price_usd double,
    fp32_flops double, best_16bit_flops double, tdp_watts double, snapshot_sha256 varchar,
    fp32_flops_per_usd double generated always as (fp32_flops / release_price_usd),
    best_16bit_flops_per_usd double generated always as (best_16bit_flops / release_price_usd),
    fp32_flops_per_watt double generated always as (fp32_flops / tdp_watts)
);
create table marts.benchmark_scores (
    benchmark varchar, benchmark_name varchar, model_version varchar, base_version varchar, model_key varchar,
    model_name varchar, score double, trend_score double, release_date date, snapshot_sha256 varchar,
    file_training_compute_flop double, member varchar, row_number bigint
);
"""


def add_model(con: duckdb.DuckDBPyConnection, name: str, day: date, compute: float) -> None:
    con.execute(
        "insert into marts.models values (?, ?, 'Lab', ?, ['Language'], true, false, false, ?, ?, "
        "null, null, null, null)",
        [name.lower(), name, day, compute, compute / 1e9],
    )


@pytest.fixture
def warehouse() -> duckdb.DuckDBPyConnection:
    """40 notable models since 2012 growing about 4.3x a year, 12 chips, and 12 record-setting ECI releases."""
    con = duckdb.connect()
    ensure_schemas(con)
    con.execute(MARTS_DDL)
    rng = np.random.default_rng(7)
    for i, year in enumerate(np.sort(rng.uniform(2012, 2024.4, 40))):
        day = date(int(year), 1, 1).replace(month=1 + int((year % 1) * 12))
        add_model(con, f"Model {i:02d}", day, 10 ** (18 + 0.63 * (year - 2010) + rng.normal(0, 0.3)))
    for i in range(12):
        chip = [f"Chip {i}", date(2012 + i, 6, 1), 10 ** (12 + 0.12 * i + rng.normal(0, 0.05))]
        con.execute("insert into marts.hardware values (?, 'M', 'GPU', ?, 1000, ?, null, 300, 'h')", chip)
        points = 100 + 7 * i + i % 3  # ECI's trend_score is its score
        release = [f"v{i}", f"v{i}", f"Release {i}", points, points, date(2020 + i // 4, 1 + 3 * (i % 4), 1), i]
        con.execute(
            "insert into marts.benchmark_scores values ('eci', 'ECI', ?, ?, null, ?, ?, ?, ?, 's', null, 'eci', ?)",
            release,
        )
    yield con
    con.close()


def fit(con: duckdb.DuckDBPyConnection) -> None:
    """trends.fits and trends.capability_trends from the marts, as their assets fit them."""
    models, hardware = inputs.load_models(con), efficiency.load_hardware(con)
    rows = inputs.input_fit_rows(models, "") + efficiency.hardware_fit_rows(hardware)
    order = [m.name for m in inputs.MODEL_METRICS] + [m.name for m in efficiency.HARDWARE_METRICS]
    replace_table(con, "trends", "fits", inputs.order_fits(rows, order))
    eci = capabilities.INDICES[0]
    scores = capabilities.index_scores(capabilities.load_index_scores(con), eci)
    points = capabilities.year_points(benchmarks.best_by_version(scores, models), "record_setting")
    window = {"start": points["date"].min(), "end": points["date"].max()}
    row, _ = capabilities.per_year_row(eci, points, subset="record_setting", measure="per_year", snapshot="", **window)
    replace_table(con, "trends", "capability_trends", capabilities.capability_trends_frame([row]))


def build(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """One build: the fits, then the headline tables (checked by their contracts)."""
    fit(con)
    changes, rows_now = headlines.headline_tables(con)
    for table, frame in (("headline_changes", changes), ("headline_inputs", rows_now)):
        assert table_problems(frame, contracts()[table])["passed"], table_problems(frame, contracts()[table])
        replace_table(con, "trends", table, frame)
    return changes


def test_a_previous_build_from_before_status_reason_is_still_compared(warehouse) -> None:
    build(warehouse)
    warehouse.execute("alter table trends.headline_changes drop column status_reason")
    old = "insufficient data: 3 points"  # the one-column status of the builds before status_reason
    warehouse.execute("update trends.headline_changes set status = ? where headline = ?", [old, COMPUTE])
    row = build(warehouse).filter(pl.col("headline") == COMPUTE).row(0, named=True)
    assert row["previous_status"] == old and row["status"] == Status.OK
    assert row["moved"] and row["reasons"] == f"status {old!r} -> 'ok'"


def test_a_first_build_records_each_headline_with_the_rows_it_was_fitted_on(warehouse) -> None:
    changes = build(warehouse)
    assert not changes["moved"].any() and headlines.moved_headline_lines(warehouse) == []
    ok = changes.filter(pl.col("status") == Status.OK)
    assert set(ok["headline"]) >= {
        COMPUTE,
        "parameters/notable",
        "hardware_fp32_flops_per_usd/all_hardware",
        "eci/record_setting",
    }
    stored = warehouse.sql("select headline, count(*) as n from trends.headline_inputs group by 1").pl()
    fitted = ok.select("headline", "n").join(stored, on="headline", how="left", suffix="_inputs")
    assert fitted["n"].to_list() == fitted["n_inputs"].to_list()  # the stored rows are exactly the fit's points
    compute = row_of(changes)
    assert compute["unit"] == "x/yr" and 3.0 < compute["estimate"] < 6.0


def test_a_model_dated_2099_moves_its_headlines_and_is_named_in_their_lines(warehouse) -> None:
    build(warehouse)
    add_model(warehouse, "Foo", date(2099, 7, 15), 1e25)
    changes = build(warehouse)
    assert set(changes.filter(pl.col("moved"))["headline"]) == {COMPUTE, "parameters/notable"}
    lines = headlines.moved_headline_lines(warehouse)
    compute = next(line for line in lines if line.startswith("headline moved: Training compute (FLOP), notable: "))
    assert "-> 2099-07 (" in compute and compute.endswith("; rows: + Foo (2099-07-15, 1e25 FLOP)")
    assert "window end moved +7" in compute
    assert any(line.endswith("rows: + Foo (2099-07-15, 1e16 parameters)") for line in lines)
    stored = warehouse.sql(f"select input_changes from trends.headline_changes where headline = '{COMPUTE}'").fetchall()
    assert stored == [(["+ Foo (2099-07-15, 1e25 FLOP)"],)]


def test_a_new_model_on_the_trend_moves_nothing(warehouse) -> None:
    build(warehouse)
    add_model(warehouse, "Typical", date(2018, 6, 1), 10 ** (18 + 0.63 * 8.4))
    changes = build(warehouse)
    assert headlines.moved_headline_lines(warehouse) == []
    assert row_of(changes)["rows_added"] == 1 and not row_of(changes)["moved"]


def test_the_asset_checks_its_tables_and_warns_of_a_moved_headline(warehouse, tmp_path) -> None:
    from dagster import DagsterInstance, materialize
    from dagster_duckdb import DuckDBResource

    from pipelines.defs.trends import trend_asset

    path = tmp_path / "warehouse.duckdb"
    fit(warehouse)
    warehouse.execute(f"attach '{path}' as copy; copy from database memory to copy; detach copy")
    resources = {"warehouse": DuckDBResource(database=str(path))}
    warnings = []
    with DagsterInstance.ephemeral() as instance:
        for plant in (False, True):  # a first build, then a build with a model dated 2099
            if plant:
                with duckdb.connect(str(path)) as con:
                    add_model(con, "Foo", date(2099, 7, 15), 1e25)
                    fit(con)
            result = materialize([trend_asset(headlines.STEPS[0])], resources=resources, instance=instance)
            assert [(e.check_name, e.passed) for e in result.get_asset_check_evaluations()] == [
                ("headline_changes_are_consistent", True),
                ("headline_inputs_are_consistent", True),
            ]
            logs = instance.all_logs(result.run_id)
            warnings.append([e.user_message for e in logs if e.level == logging.WARNING])
    assert warnings[0] == []
    assert len(warnings[1]) == 2 and all("rows: + Foo (2099-07-15" in w for w in warnings[1])
