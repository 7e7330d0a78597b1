"""The trends on the real (mirrored) data: every table built and checked, and the figures near published ones.

Ranges are the published figures widened by what this data is known to do differently (see each comment): Epoch's
compute trends (Sevilla et al. 2022; Epoch's 2024 update: 4-5x/yr since 2010, ~1.5x/yr before), Cottier et al.
2024 (frontier training cost 2.4x/yr, 90% CI 2.0-2.9), Hobbhahn & Besiroglu 2022 (GPU FLOP/s per dollar doubling
every ~2.1-2.5 years), Epoch on parameters (~2x/yr) and LLM training data (~3x/yr).
"""

from __future__ import annotations

from datetime import date

import duckdb
import pytest

from pipelines.settings import PROJECT_ROOT
from pipelines.trends.status import STATUSES, Status
from pipelines.trends.steps import contracts

pytestmark = pytest.mark.e2e

CONTRACTS = contracts()
TABLES = sorted(CONTRACTS)


def one(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> dict:
    relation = con.sql(sql, params=params)
    rows = relation.fetchall()
    assert len(rows) == 1, (sql, params, rows)
    return dict(zip(relation.columns, rows[0], strict=True))


def fit(con, metric: str, subset: str, kind: str = "full", start: str | None = None) -> dict:
    sql = "select * from trends.fits where metric = ? and subset = ? and window_kind = ?"
    params = [metric, subset, kind]
    if start:
        sql += " and window_start = ?"
        params.append(date.fromisoformat(start))
    row = one(con, sql, params)
    assert row["status"] == Status.OK, (row["status"], row["status_reason"])
    assert row["growth_ci_low"] <= row["growth_per_year"] <= row["growth_ci_high"]
    return row


def test_every_trend_table_is_built_and_its_blocking_check_passed(built_warehouse, con) -> None:
    evaluations = {
        (e.asset_key.to_user_string(), e.check_name): e.passed
        for e in built_warehouse.result.get_asset_check_evaluations()
        if e.asset_key.path[0] == "trends"
    }
    assert len(evaluations) == len(CONTRACTS)
    assert all(evaluations.values()), evaluations
    for table in TABLES:
        assert con.execute(f"select count(*) from trends.{table}").fetchall()[0][0] > 0, table


def test_every_status_is_of_the_vocabulary_and_exactly_the_rows_not_ok_say_why(con) -> None:
    tables = con.execute(
        "select table_name from information_schema.columns where table_schema = 'trends' and column_name = 'status'"
    ).fetchall()
    assert len(tables) == 13
    for (table,) in tables:
        rows = con.sql(f"select status, status_reason from trends.{table}").pl()
        assert set(rows["status"]) <= set(STATUSES), table
        ok = rows["status"] == Status.OK
        assert rows.filter(ok)["status_reason"].is_null().all(), table
        assert (rows.filter(~ok)["status_reason"].str.len_chars() > 0).all(), table


def test_the_headline_row_comes_first_in_the_table_and_only_once(con, built_warehouse) -> None:
    first = con.execute("select metric, subset, window_kind, window_start from trends.fits limit 1").fetchall()[0]
    assert first == ("training_compute", "notable", "full", date(2010, 1, 1))
    counts = con.execute(
        "select count(*) from trends.fits where metric = 'training_compute' and subset = 'notable' "
        "and window_kind = 'full'"
    ).fetchall()
    assert counts == [(1,)]


def test_compute_growth_since_2010_is_near_epochs_four_to_five_x(con) -> None:
    notable = fit(con, "training_compute", "notable")
    assert 3.5 < notable["growth_per_year"] < 5.5 and notable["n"] > 400
    frontier = fit(con, "training_compute", "frontier_epoch")
    assert 3.5 < frontier["growth_per_year"] < 6.0 and frontier["r2"] > 0.8
    top10 = fit(con, "training_compute", "frontier_top10")
    assert 3.5 < top10["growth_per_year"] < 6.0
    # language models grew faster than the notable average (Epoch: ~5x/yr for LLMs); more since 2015
    language = fit(con, "training_compute", "domain:Language")
    assert 4.0 < language["growth_per_year"] < 8.0


def test_compute_grew_about_one_and_a_half_x_before_2010(con) -> None:
    pre = one(
        con,
        "select * from trends.fits where metric = 'training_compute' and subset = 'notable' "
        "and window_kind = 'era' and window_end = date '2009-12-31'",
    )
    assert pre["status"] == "ok" and 1.3 < pre["growth_per_year"] < 1.8 and pre["n"] >= 30


def test_parameters_and_tokens_grow_about_two_and_three_x(con) -> None:
    params = fit(con, "parameters", "notable")
    assert 1.7 < params["growth_per_year"] < 3.0
    tokens = fit(con, "training_tokens", "notable")
    assert 2.5 < tokens["growth_per_year"] < 4.5
    tokens_per_parameter = con.execute(
        "select median from trends.levels where metric = 'tokens_per_parameter' and subset = 'notable' and year = 2024"
    ).fetchall()
    assert 10 < tokens_per_parameter[0][0] < 300  # Chinchilla's 20 and beyond (Llama 3: ~1,900 is an outlier)


def test_frontier_training_cost_grows_two_to_four_and_a_half_x(con) -> None:
    # Cottier et al. 2024: 2.4x/yr (2.0-2.9) for frontier runs to 2023; this data runs to 2025 with $200-400M runs
    # (Grok 3, GPT-4.5, Grok 4) and Epoch's cost column, so it lands higher
    cost = fit(con, "training_cost", "frontier_epoch")
    assert 2.0 < cost["growth_per_year"] < 4.5 and cost["n"] >= 40
    per_flop = fit(con, "cost_per_flop", "notable")
    assert 0.5 < per_flop["growth_per_year"] < 0.9  # FLOP per dollar of training improves 1.1-2x/yr


def test_hardware_price_performance_doubles_in_years(con) -> None:
    # Hobbhahn & Besiroglu: FP32 FLOP/s per $ doubles every ~2.5 years (2.1 for ML GPUs); Epoch's hardware table is
    # mostly data-centre accelerators whose FP32 barely improved, so FP32 doubles slower here and 16-bit faster
    fp32 = fit(con, "hardware_fp32_flops_per_usd", "all_hardware")
    assert 1.5 < fp32["doubling_months"] / 12 < 8
    fp16 = fit(con, "hardware_fp16_flops_per_usd", "all_hardware")
    assert 0.5 < fp16["doubling_months"] / 12 < 3
    watt = fit(con, "hardware_fp32_flops_per_watt", "all_hardware")
    assert 1.5 < watt["doubling_months"] / 12 < 6


def test_the_deep_learning_break_is_found_near_2010(con) -> None:
    row = one(
        con,
        "select * from trends.breakpoints where metric = 'training_compute' and subset = 'notable' "
        "and kind = 'continuous'",
    )
    assert row["status"] == "ok"
    assert date(2005, 1, 1) <= row["break_date"] <= date(2016, 1, 1)
    assert row["growth_before_per_year"] < 2 < 3.5 < row["growth_after_per_year"]
    assert row["delta_bic_vs_single_line"] < 0


def test_frontier_compute_growth_is_spending_times_flop_per_dollar(con) -> None:
    row = one(
        con,
        "select * from trends.compute_decomposition where subset = 'frontier_epoch' and window_kind = 'full' "
        "and flop_per_usd_basis = 'training_cost_per_flop'",
    )
    assert row["status"] == "ok"
    assert 0.8 < row["residual_factor_per_year"] < 1.25
    assert row["residual_factor_ci_low"] < 1 < row["residual_factor_ci_high"]


def test_imputed_costs_bracket_the_observed_ones(con) -> None:
    coverage = con.execute(
        "select avg((observed_cost_usd_2023 between imputed_cost_low_usd_2023 and imputed_cost_high_usd_2023)::int) "
        "from trends.model_costs where observed_cost_usd_2023 is not null"
    ).fetchall()[0][0]
    assert 0.8 < coverage < 0.99
    flags = con.execute(
        "select count(*) from trends.model_costs where is_imputed = (observed_cost_usd_2023 is not null)"
    ).fetchall()
    assert flags == [(0,)]


@pytest.mark.parametrize("benchmark", ["gpqa_diamond", "mmlu"])
def test_halving_the_error_took_many_times_the_compute_or_a_year_or_two(con, benchmark: str) -> None:
    row = one(con, "select * from trends.per_dollar_vs_per_year where benchmark = ?", [benchmark])
    assert row["status"] == "ok" and row["n_models"] >= 40
    # Ord's scaling paradox: slow per unit of resources, fast per year
    assert row["compute_multiplier_to_halve_error"] > 5
    assert row["compute_multiplier_to_halve_error_ci_low"] > 1
    assert row["dollar_multiplier_to_halve_error"] > 5 and row["cost_basis"] == "imputed"
    assert 0.3 < row["years_to_halve_error"] < 4
    assert row["years_to_halve_error_ci_low"] <= row["years_to_halve_error"] <= row["years_to_halve_error_ci_high"]
    for x, basis in (("compute", "n/a"), ("cost", "observed"), ("cost", "imputed")):
        scaling = one(
            con,
            "select * from trends.benchmark_scaling where benchmark = ? and x = ? and cost_basis = ?",
            [benchmark, x, basis],
        )
        assert scaling["n_models"] >= 10, (x, basis)


def test_record_setting_models_gain_points_each_year_and_the_compute_for_a_fixed_score_halves_in_months(con) -> None:
    gpqa = one(con, "select * from trends.benchmark_progress where benchmark = 'gpqa_diamond'")
    assert gpqa["status"] == Status.OK and 10 < gpqa["points_per_year"] < 50
    mmlu = one(con, "select * from trends.compute_to_threshold where benchmark = 'mmlu' and threshold = 0.5")
    # Ho et al. 2024: the compute for a given language-model performance halves every ~8 months (5-14)
    assert mmlu["status"] == Status.OK and 3 < mmlu["halving_time_months"] < 24
    points = con.execute(
        "select count(*) from trends.compute_to_threshold_points where benchmark = 'mmlu' and threshold = 0.5"
    ).fetchall()[0][0]
    assert points == mmlu["n_improving_points"]


def test_forecasts_are_labelled_extrapolations_after_the_data(con) -> None:
    rows = con.sql("select * from trends.forecasts").pl()
    assert rows["target_label"].to_list() == ["$1B", "$10B", "1e27 FLOP", "1e28 FLOP"]
    assert rows["note"].str.starts_with("extrapolation").all()
    for row in rows.iter_rows(named=True):
        assert row["status"] == Status.OK
        assert date(2025, 1, 1) < row["predicted_date"] < date(2035, 1, 1)
        assert row["pi_low_date"] < row["predicted_date"] < row["pi_high_date"]


def test_every_trends_table_has_a_query_whose_header_documents_it_and_it_returns_rows(con) -> None:
    queries = sorted((PROJECT_ROOT / "sql" / "queries").glob("trends_*.sql"))
    assert {q.stem.removeprefix("trends_") for q in queries} >= set(TABLES)
    for query in queries:
        text = query.read_text(encoding="utf-8")
        table = query.stem.removeprefix("trends_")
        assert text.startswith(f"-- trends.{table}: "), f"{query.name}: its header says what trends.{table} answers"
        assert f"-- Run: duckdb -readonly data/warehouse.duckdb < sql/queries/{query.name}" in text, query.name
        assert con.execute(text).fetchall(), query.name


# -- capability indices, the decomposition, the pooled inversion (issue 10) ---------------------------------------


def capability(con, index: str, measure: str, subset: str = "record_setting", basis: str | None = None) -> dict:
    sql = "select * from trends.capability_trends where index = ? and measure = ? and subset = ?"
    params = [index, measure, subset]
    sql += " and cost_basis is null" if basis is None else " and cost_basis = ?"
    row = one(con, sql, params + ([] if basis is None else [basis]))
    assert row["status"] == Status.OK, row
    assert row["ci_low"] <= row["estimate"] <= row["ci_high"]
    return row


def test_capability_tables_have_one_row_per_index_measure_subset_and_window(con) -> None:
    counts = dict(
        con.execute(
            "select index, count(*) from trends.capability_trends where measure <> 'rolling_per_year' group by 1"
        ).fetchall()
    )
    # per year, before and after the break (record_setting and all), per 10x compute, per 10x cost (two bases)
    assert counts == {"eci": 9, "metr_time_horizons": 9}
    assert (
        con.execute("select count(*) from trends.capability_trends where measure = 'rolling_per_year'").fetchall()[0][0]
        >= 6
    )
    assert [r[0] for r in con.execute("select index from trends.capability_decomposition").fetchall()] == [
        "eci",
        "metr_time_horizons",
    ]


def test_eci_and_metr_per_year_are_near_the_published_rates(con) -> None:
    # Epoch: frontier ECI +8.3 points/yr before April 2024, +15.5 after (Dec 2021-Dec 2025); the mirror's file starts
    # in Feb 2023, so the whole-window rate sits between the two
    eci = capability(con, "eci", "per_year")
    assert 8 < eci["estimate"] < 20 and eci["n"] >= 10 and eci["unit"] == "points"
    # the mirror's 14 record-setting ECI points leave July 2024 to April 2025 for a break (5 points a side), and the
    # break date's CI spans all of it: the acceleration Epoch reports cannot be placed on this file, and says so
    after = one(
        con,
        "select * from trends.capability_trends where index = 'eci' and measure = 'per_year_after_break' "
        "and subset = 'record_setting'",
    )
    assert after["status"] == Status.NOT_IDENTIFIED and after["status_reason"].endswith("do not place the break")
    assert 10 < after["estimate"] < 25  # still stored, beside its reason
    # METR (Kwa et al. 2025): doubling every ~7 months 2019-2025, ~4 months in 2024-25
    metr = capability(con, "metr_time_horizons", "per_year")
    assert 4 < metr["doubling_months"] < 9 and metr["unit"] == "doublings"
    assert metr["doubling_months_ci_low"] <= metr["doubling_months"] <= metr["doubling_months_ci_high"]
    # a fitted break is reported only where the data place its date; on the mirror, 15 record-setters (33 models in
    # all) leave the date's CI at an end of the admissible range, and the row says so instead of a number
    for subset in ("record_setting", "all"):
        row = one(
            con,
            "select * from trends.capability_trends where index = 'metr_time_horizons' "
            "and measure = 'per_year_after_break' and subset = ?",
            [subset],
        )
        assert row["status"] == Status.OK or row["status_reason"].endswith("do not place the break"), row
    recent = one(
        con,
        "select * from trends.capability_trends where index = 'metr_time_horizons' and measure = 'rolling_per_year' "
        "and subset = 'record_setting' and status = 'ok' order by window_end desc limit 1",
    )
    assert recent["doubling_months"] < metr["doubling_months"]  # the last 2-year window doubles faster


def test_capability_grows_with_compute_and_dollars_at_a_fixed_date(con) -> None:
    eci = capability(con, "eci", "per_10x_compute", "all")
    assert 3 < eci["estimate"] < 30 and eci["n"] >= 60  # points per 10x; Epoch's GPQA/MATH: 12-17 points per 10x
    assert capability(con, "eci", "per_10x_cost", "all", "imputed")["estimate"] > 0
    assert 0.1 < capability(con, "metr_time_horizons", "per_10x_compute", "all")["estimate"] < 5


def test_a_year_of_eci_progress_is_worth_tens_of_times_the_compute(con) -> None:
    row = one(con, "select * from trends.capability_decomposition where index = 'eci'")
    assert row["status"] == Status.OK
    assert 3 < row["compute_equivalent_multiplier_per_year"] < 1000
    assert row["ci_low"] <= row["compute_equivalent_multiplier_per_year"] <= row["ci_high"]
    assert 0.1 < row["share_explained_by_compute"] < 1.0
    # the residual is the figure closest to Ho, Denain et al. 2025 (5.8x/yr, 90% CI 4.2-8.1)
    assert 1.5 < row["residual_multiplier_per_year"] < 100
    assert row["frontier_compute_growth_per_year"] == pytest.approx(
        fit(con, "training_compute", "frontier_epoch")["growth_per_year"]
    )


def test_the_pooled_row_leads_and_unidentified_benchmarks_say_so(con) -> None:
    first = con.execute("select benchmark, status from trends.per_dollar_vs_per_year limit 1").fetchall()[0]
    assert first == ("pooled", "ok")
    pooled = one(con, "select * from trends.per_dollar_vs_per_year where benchmark = 'pooled'")
    assert 1.5 < pooled["compute_multiplier_to_halve_error"] < 100 and pooled["n_models"] > 300
    assert 0.3 < pooled["years_to_halve_error"] < 5
    for stem in ("compute_multiplier_to_halve_error", "dollar_multiplier_to_halve_error", "years_to_halve_error"):
        assert pooled[f"{stem}_ci_low"] <= pooled[stem] <= pooled[f"{stem}_ci_high"], stem
    # the two rows the issue quotes: x1,400,000 for TriviaQA and x5.5-x38,000 for OTIS Mock AIME, once 'ok'
    statuses = con.execute(
        "select status, status_reason from trends.per_dollar_vs_per_year where benchmark in ('triviaqa', "
        "'otis_mock_aime')"
    ).fetchall()
    assert len(statuses) == 2
    for status, reason in statuses:
        assert status == Status.NOT_IDENTIFIED and reason.startswith("compute multiplier to halve error: the 90% CI")


def test_the_literature_seed_translates_each_law_into_a_halving_multiplier(con) -> None:
    laws = {
        r[0]: r[1:]
        for r in con.execute(
            "select law_id, multiplier_to_halve_reducible_loss, citation from marts.scaling_laws"
        ).fetchall()
    }
    assert len(laws) >= 10 and all(citation for _, citation in laws.values())
    assert laws["kaplan2020_compute"][0] == pytest.approx(2**20, rel=1e-4)
    assert laws["ord2025_data"][0] == pytest.approx(2**11) and laws["ord2025_parameters"][0] == pytest.approx(2**13)


@pytest.mark.parametrize("step_name", ["benchmark_scaling", "breakpoints", "per_dollar_vs_per_year"])
def test_a_reused_fit_equals_the_one_computed_from_scratch(built_warehouse, tmp_path, step_name: str) -> None:
    """The session build computed every fit (its Dagster home was empty). The same step on a copy of its warehouse
    computes them again and keeps them, then a second time reuses every one: all three tables equal, row for row."""
    import shutil

    from pipelines.trends.steps import all_steps, run_step
    from pipelines.warehouse import CONNECTION_CONFIG, ensure_schemas

    step = next(s for s in all_steps() if s.name == step_name)
    copy = tmp_path / "warehouse.duckdb"
    shutil.copyfile(built_warehouse.settings.warehouse_path, copy)
    with duckdb.connect(str(copy), config=dict(CONNECTION_CONFIG)) as con:
        ensure_schemas(con)
        counts = []
        for attempt in ("computed", "reused"):
            run_step(con, step, code_version="test")
            counts.append(
                con.execute(
                    "select sum(reused), sum(computed) from ops.reused where asset = ?", [f"trends/{step_name}"]
                ).fetchone()
            )
            for table in step.tables:
                con.execute(f"create table main.{attempt}_{table.name} as from trends.{table.name}")
        assert counts[0][0] == 0 and counts[1] == (counts[0][1], 0)  # the second build computed nothing
        con.execute(f"attach '{built_warehouse.settings.warehouse_path}' as built (read_only)")
        for table in step.tables:
            built, reused = f"built.trends.{table.name}", f"main.reused_{table.name}"
            for left, right in ((built, reused), (reused, built)):
                assert con.execute(f"select count(*) from (from {left} except all from {right})").fetchone() == (0,)
            assert con.execute(f"select count(*) from main.computed_{table.name}").fetchone()[0] > 0
