"""dbt runs inside the step's process (`pipelines.defs.dbt_inprocess`): exactly the step's models and tests, quietly,
leaving no handle on the warehouse.

Each test materializes a few marts (a view over the ops bookkeeping and two seeds, or marts over small tidy tables)
through the real definitions: the run takes the lock, builds a working copy and publishes it.
"""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest
from dagster import AssetKey, DagsterInstance

from pipelines.definitions import build_definitions
from pipelines.defs.dbt_inprocess import DbtBuildResource
from pipelines.defs.marts import DBT_PROJECT_DIR
from pipelines.raw.landing import read_csv_text
from pipelines.settings import Settings
from pipelines.tidy.hardware import tidy_hardware
from pipelines.tidy.inference import tidy_eval_tokens, tidy_prices
from pipelines.tidy.plausibility import load_ranges
from pipelines.warehouse import CONNECTION_CONFIG, ensure_schemas, replace_table

FIRST_STEP = [AssetKey(["marts", name]) for name in ("source_pulls", "model_source_priority", "scaling_laws")]
# what marts.source_pulls reads of ops.fetch_log, without the table's not-null constraints
FETCH_LOG = {"source": "varchar", "url": "varchar", "requested_url": "varchar", "attempt": "integer"}
FETCH_LOG |= {"status": "integer", "outcome": "varchar", "error": "varchar", "bytes": "bigint", "sha256": "varchar"}
FETCH_LOG |= {"last_modified": "varchar", "fetched_at": "timestamptz"}
PULL = {"source": "all_models", "url": "u", "requested_url": "u", "attempt": 1, "status": 200, "outcome": "downloaded"}


def settings_in(base: Path, warehouse: str = "warehouse.duckdb") -> Settings:
    data = base / "data"
    return Settings(data_dir=data, warehouse_path=data / warehouse, reports_dir=base / "reports", sources_mirror=None)


def run_first_step(settings: Settings):
    job = build_definitions(settings).resolve_implicit_global_asset_job_def()
    with DagsterInstance.ephemeral() as instance:
        return job.execute_in_process(instance=instance, asset_selection=FIRST_STEP, raise_on_error=False)


def open_handles(directory: Path) -> list[str]:
    """The files under `directory` this process holds open (Linux: /proc/self/fd)."""
    targets = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            targets.append(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:
            continue
    return [t for t in targets if t.startswith(str(directory))]


def query(path: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(path), read_only=True, config=dict(CONNECTION_CONFIG)) as con:
        return con.execute(sql).fetchall()


def publish_fetch_log(settings: Settings, row: dict, leave_out: str | None = None) -> None:
    """A published warehouse whose `ops.fetch_log` (without column `leave_out`) holds one pull, `row`."""
    columns = {name: kind for name, kind in FETCH_LOG.items() if name != leave_out}
    settings.warehouse_path.parent.mkdir(parents=True)
    with duckdb.connect(str(settings.warehouse_path), config=dict(CONNECTION_CONFIG)) as con:
        con.execute("create schema ops")
        con.execute(f"create table ops.fetch_log ({', '.join(f'{n} {k}' for n, k in columns.items())})")
        names = [name for name in columns if name in row]
        con.execute(
            f"insert into ops.fetch_log ({', '.join(names)}, fetched_at) values ({', '.join('?' * len(names))}, now())",
            [row[name] for name in names],
        )


def failure_text(result) -> str:
    failures = [e for e in result.all_events if e.is_step_failure]
    assert len(failures) == 1, [e.step_key for e in failures]
    return failures[0].step_failure_data.user_failure_data.description


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="open files are read from /proc")
def test_dbt_closes_the_working_copy_so_each_run_publishes_what_dbt_wrote(tmp_path: Path) -> None:
    settings = settings_in(tmp_path)
    assert run_first_step(settings).success
    assert open_handles(settings.data_dir) == []  # dbt-duckdb would keep its DuckDB open on the renamed file
    assert query(settings.warehouse_path, "select count(*) from marts.scaling_laws") == [(10,)]
    with duckdb.connect(str(settings.warehouse_path), config=dict(CONNECTION_CONFIG)) as con:
        con.execute("drop table marts.scaling_laws")
    # the second run writes a new working copy: a handle left on the first one would take dbt's writes with it
    assert run_first_step(settings).success
    assert open_handles(settings.data_dir) == []
    assert query(settings.warehouse_path, "select count(*) from marts.scaling_laws") == [(10,)]


def test_a_step_builds_exactly_its_models_and_tests_quietly(tmp_path: Path, capfd: pytest.CaptureFixture) -> None:
    targets_before = sorted(p.name for p in (DBT_PROJECT_DIR / "target").iterdir())
    settings = settings_in(tmp_path)
    result = run_first_step(settings)
    assert result.success
    built = {e.asset_key for e in result.get_asset_materialization_events()}
    assert built == set(FIRST_STEP)
    checks = {(e.asset_key, e.check_name): e.passed for e in result.get_asset_check_evaluations()}
    assert {key for key, _ in checks} == set(FIRST_STEP)
    assert checks[(AssetKey(["marts", "scaling_laws"]), "unique_scaling_laws_law_id")] is True
    assert all(checks.values())
    out = capfd.readouterr().out
    assert "Running with dbt" not in out and "Concurrency:" not in out  # dbt's console: errors only
    assert sorted(p.name for p in (DBT_PROJECT_DIR / "target").iterdir()) == targets_before
    assert (settings.data_dir / "dbt" / "compiled").is_dir()  # compiled SQL: beside the data it was run on


def test_a_failing_dbt_test_fails_the_step_naming_it_with_dbts_message(
    tmp_path: Path, capfd: pytest.CaptureFixture
) -> None:
    settings = settings_in(tmp_path)
    publish_fetch_log(settings, PULL | {"source": None})  # a pull that names no source
    result = run_first_step(settings)
    assert not result.success
    text = failure_text(result)
    assert text.startswith("dbt build failed: test not_null_source_pulls: Got 1 result")
    assert "\n" not in text
    check = next(e for e in result.get_asset_check_evaluations() if e.check_name == "not_null_source_pulls")
    assert not check.passed
    # dbt's message, then the failing row the test's SQL returns: the column and the row's key
    assert check.description.startswith("test not_null_source_pulls: Got 1 result, configured to fail if != 0; rows: ")
    assert check.description.split("; rows: ")[1].startswith("source, ")
    # dbt went on with what did not depend on the failure, as `dbt build` does
    assert AssetKey(["marts", "scaling_laws"]) in {e.asset_key for e in result.get_asset_materialization_events()}
    assert "Failure in test not_null_source_pulls" in capfd.readouterr().out
    assert open_handles(settings.data_dir) == [] or not Path("/proc/self/fd").is_dir()


def test_a_failing_model_fails_the_step_naming_it_with_the_database_error(tmp_path: Path) -> None:
    settings = settings_in(tmp_path)
    publish_fetch_log(settings, PULL, leave_out="requested_url")  # a column the model reads is missing
    result = run_first_step(settings)
    assert not result.success
    text = failure_text(result)
    assert text.startswith("dbt build failed: model source_pulls: Runtime Error in model source_pulls")
    assert "requested_url" in text
    built = {e.asset_key for e in result.get_asset_materialization_events()}
    assert AssetKey(["marts", "source_pulls"]) not in built
    assert AssetKey(["marts", "scaling_laws"]) in built


def test_a_warehouse_named_otherwise_gets_a_manifest_of_its_own(tmp_path: Path) -> None:
    # dbt-duckdb names the catalog after the file: `make manifest` parsed for `warehouse`, this file is `scaling`
    settings = settings_in(tmp_path, "scaling.duckdb")
    assert run_first_step(settings).success
    assert query(settings.warehouse_path, "select count(*) from scaling.marts.scaling_laws") == [(10,)]


def test_the_manifest_is_parsed_once_per_process_and_again_after_an_edit(tmp_path: Path) -> None:
    project = tmp_path / "dbt_like_models"
    shutil.copytree(DBT_PROJECT_DIR, project, ignore=shutil.ignore_patterns("target", "logs"))
    dbt = DbtBuildResource(project_dir=str(project), profiles_dir=str(project))
    common = dbt.common_args(project, tmp_path / "target")
    first = dbt.parse(project, common, None)
    assert dbt.parse(project, common, None) is first
    model = project / "models" / "marts" / "hardware.sql"
    model.write_text(model.read_text() + "-- edited\n")
    edited = dbt.parse(project, common, None)
    assert "-- edited" in edited.nodes["model.scaling_warehouse.hardware"].raw_code
    assert "-- edited" not in first.nodes["model.scaling_warehouse.hardware"].raw_code


def publish_hardware(settings: Settings, tdp_watts: list[float]) -> None:
    """A published warehouse whose `tidy.hardware` holds one accelerator per TDP, as the tidy layer writes it, each
    TDP set afterwards (a value the tidy layer would have rejected stands for a bug in it)."""
    header = "Hardware name,Manufacturer,Type,Release date,Release price (USD)"
    header += ",FP32 (single precision) performance (FLOP/s),TDP (W)"
    rows = [f"Chip {i},NVIDIA,GPU,2024-01-01,30000,6e13,700" for i in range(len(tdp_watts))]
    path = settings.data_dir / "ml_hardware.csv"
    settings.data_dir.mkdir(parents=True)
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    raw = read_csv_text(path).with_columns(pl.lit(datetime.now(UTC)).alias("_fetched_at"))
    hardware, rejections = tidy_hardware(raw)
    assert rejections.height == 0
    hardware = hardware.with_columns(pl.Series("tdp_watts", tdp_watts), pl.lit("sha").alias("snapshot_sha256"))
    with duckdb.connect(str(settings.warehouse_path), config=dict(CONNECTION_CONFIG)) as con:
        ensure_schemas(con)
        replace_table(con, "tidy", "hardware", hardware)


def run_marts(settings: Settings, *names: str):
    job = build_definitions(settings).resolve_implicit_global_asset_job_def()
    selection = [AssetKey(["marts", name]) for name in names]
    with DagsterInstance.ephemeral() as instance:
        return job.execute_in_process(instance=instance, asset_selection=selection, raise_on_error=False)


def test_the_plausible_ranges_seed_builds_alone_without_running_the_marts_tests_that_read_it(tmp_path: Path) -> None:
    # its step comes first in a run: the tests of marts.models that read it must wait for marts.models
    settings = settings_in(tmp_path)
    result = run_marts(settings, "plausible_ranges")
    assert result.success
    checks = {e.check_name for e in result.get_asset_check_evaluations()}
    assert checks and all(name.startswith("not_null_plausible_ranges") for name in checks)
    assert query(settings.warehouse_path, "select count(*) from marts.plausible_ranges") == [(len(load_ranges()),)]


def test_the_plausible_ranges_seed_is_the_table_the_tidy_layer_reads_and_the_mart_tests_check_against(
    tmp_path: Path,
) -> None:
    settings = settings_in(tmp_path)
    publish_hardware(settings, [700.0, 1400.0])
    result = run_marts(settings, "plausible_ranges", "hardware")
    assert result.success
    seeded = query(
        settings.warehouse_path, "select source, column_name, min_value, max_value, unit from marts.plausible_ranges"
    )
    python = {(r.source, r.column_name, r.min_value, r.max_value, r.unit) for r in load_ranges().values()}
    assert set(seeded) == python
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks["plausible_hardware"] is True


def test_a_value_the_tidy_layer_should_have_rejected_fails_the_seeds_range_test_as_a_safety_net(
    tmp_path: Path,
) -> None:
    settings = settings_in(tmp_path)
    publish_hardware(settings, [700.0, 0.5])  # half a watt: below the seed's 1 W, which tidy_hardware rejects
    result = run_marts(settings, "plausible_ranges", "hardware")
    assert not result.success
    text = failure_text(result)
    assert text == (
        "dbt build failed: test plausible_hardware: Got 1 result, configured to fail if != 0; "
        "rows: tdp_watts, Chip 1, 0.5, outside 1.0 to 100000.0 W"
    )
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks["plausible_hardware"] is False


PRICES = [
    "Model Name,Release Date,USD per 1M Tokens,MMLU,GPQA Diamond,HumanEval,MATH-500,LMSys Chatbot Arena ELO,MATH 5",
    "Claude-3-Haiku,2024-03-04,0.5,71,33,77,39,1179,13",
    "o1-mini,2024-09-12,5.25,,59.5,97,94,1308,84.3",
    "o1-mini,2025-01-31,1.925,,59.5,97,94,1308,84.3",
]
TOKENS = [
    "Model,Task,epochs,total_samples,input_tokens,output_tokens,total_tokens",
    "o1-mini-2024-09-12_high,MATH level 5,4,5296,988900,9914854,10903754",
    "gpt-4-0613,GPQA Diamond,16,3168,859696,1686484,2546180",
]
STUDY_MARTS = ("plausible_ranges", "inference_prices", "inference_scores", "eval_tokens")


def publish_price_study(settings: Settings, arena_elo: float | None = None) -> None:
    """A published warehouse holding the price study's tidy tables as the tidy layer writes them from small files
    (with `arena_elo`, every arena score set afterwards: a value tidy would have rejected stands for a bug in it),
    a hub that publishes o1-mini-2024-09-12_high and a marts.models that knows Claude-3-Haiku."""
    settings.data_dir.mkdir(parents=True)
    frames = {}
    for name, lines in (("prices", PRICES), ("tokens", TOKENS)):
        path = settings.data_dir / f"{name}.csv"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        frames[name] = read_csv_text(path).with_columns(pl.lit(datetime.now(UTC)).alias("_fetched_at"))
    study = tidy_prices(frames["prices"], "inference_prices_aa")
    tokens, rejected = tidy_eval_tokens(frames["tokens"])
    assert study.rejections.height == rejected.height == 0
    scores = study.scores
    if arena_elo is not None:
        arena = pl.col("unit") == "elo"
        scores = scores.with_columns(pl.when(arena).then(pl.lit(arena_elo)).otherwise(pl.col("score")).alias("score"))
    sha = pl.lit("sha").alias("snapshot_sha256")
    with duckdb.connect(str(settings.warehouse_path), config=dict(CONNECTION_CONFIG)) as con:
        ensure_schemas(con)
        replace_table(con, "tidy", "inference_prices", study.prices.with_columns(sha))
        replace_table(con, "tidy", "inference_scores", scores.with_columns(sha))
        replace_table(con, "tidy", "eval_tokens", tokens.with_columns(sha))
        con.execute(
            "create table tidy.scores as select 'o1-mini-2024-09-12_high' as model_version, "
            "'o1-mini' as model_name, 'o1-mini' as model_key"
        )
        con.execute("create table marts.models as select 'claude-3-haiku' as model_key")


def test_the_price_study_marts_build_with_their_grain_and_range_tests(tmp_path: Path) -> None:
    settings = settings_in(tmp_path)
    publish_price_study(settings)
    result = run_marts(settings, *STUDY_MARTS)
    assert result.success
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert all(checks.values())
    assert checks["unique_inference_prices_price_id"] is True
    assert checks["plausible_inference_scores"] is True
    prices = query(
        settings.warehouse_path,
        "select price_id, model_name, release_date::varchar, usd_per_1m_tokens, is_matched_model "
        "from marts.inference_prices order by price_id",
    )
    assert prices == [
        ("inference_prices_aa:1", "Claude-3-Haiku", "2024-03-04", 0.5, True),
        ("inference_prices_aa:2", "o1-mini", "2024-09-12", 5.25, False),
        ("inference_prices_aa:3", "o1-mini", "2025-01-31", 1.925, False),
    ]
    per_benchmark = "select benchmark, unit, count(*) from marts.inference_scores group by all order by all"
    assert query(settings.warehouse_path, per_benchmark) == [
        ("GPQA Diamond", "percent", 3),
        ("HumanEval", "percent", 3),
        ("LMSys Chatbot Arena ELO", "elo", 3),
        ("MATH 5", "percent", 3),
        ("MATH-500", "percent", 3),
        ("MMLU", "percent", 1),
    ]
    tokens = query(
        settings.warehouse_path,
        "select model_version, base_version, setting_kind, effort_rank, benchmark, is_hub_version, model_name "
        "from marts.eval_tokens order by row_number",
    )
    assert tokens == [
        ("o1-mini-2024-09-12_high", "o1-mini-2024-09-12", "effort", 3, "math_level_5", True, "o1-mini"),
        ("gpt-4-0613", "gpt-4-0613", None, None, "gpqa_diamond", False, None),
    ]


def test_an_arena_elo_the_tidy_layer_should_have_rejected_fails_only_the_elo_range_test(tmp_path: Path) -> None:
    settings = settings_in(tmp_path)
    publish_price_study(settings, arena_elo=99999.0)  # the seed's Elo bound is 3000, its percent bound 100
    result = run_marts(settings, *STUDY_MARTS)
    assert not result.success
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks["plausible_inference_scores"] is False


def test_an_interrupt_during_dbt_is_raised_again_once_dbt_has_returned() -> None:
    """Ctrl-C or SIGTERM while dbt builds: Dagster raises its interrupt in the step's thread, dbt's runner returns it
    as its result (after closing its connection), and the step stops with it instead of reading results."""
    from types import SimpleNamespace

    from dagster import DagsterExecutionInterruptedError

    from pipelines.defs.dbt_inprocess import raise_interrupt

    for interrupt in (DagsterExecutionInterruptedError("interrupted"), KeyboardInterrupt()):
        with pytest.raises(type(interrupt)):
            raise_interrupt(SimpleNamespace(exception=interrupt))
    raise_interrupt(SimpleNamespace(exception=RuntimeError("a model failed")))  # a failure, reported with the results
    raise_interrupt(SimpleNamespace(exception=None))
