"""The refresh that finds nothing new: answered from the stamp and conditional GETs, without importing Dagster;
and everything that must send a refresh down the full path instead (code edits, other publications, new files)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import copy_build, pipeline_env, run_cli, warehouse_rows

from pipelines.raw.sources import SOURCES
from pipelines.run.publish import publish
from pipelines.run.unchanged import code_fingerprint, current_stamp, holds_same_file, stamp_holds, unchanged_pull
from pipelines.settings import PROJECT_ROOT, Settings
from pipelines.warehouse import CONNECTION_CONFIG

pytestmark = pytest.mark.e2e


@pytest.fixture
def stamped_copy(built_warehouse, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """A copy of the session build (data and reports, mtimes kept) carrying the stamp of a complete build."""
    built = built_warehouse.settings
    shutil.copytree(built.data_dir, tmp_path / "data")
    shutil.copytree(built.reports_dir, tmp_path / "reports")
    settings = Settings(
        data_dir=tmp_path / "data",
        warehouse_path=tmp_path / "data" / "warehouse.duckdb",
        reports_dir=tmp_path / "reports",
        sources_mirror=built_warehouse.mirror.base_url,
        fetch_backoff_s=0.0,
    )
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster"))
    settings.stamp_path.write_text(json.dumps(current_stamp(settings)), encoding="utf-8")
    return settings


def fetch_log(settings: Settings) -> list[tuple]:
    return warehouse_rows(
        settings.warehouse_path,
        "select source, outcome from ops.fetch_log where requested_url not like '%metadata.json%' "
        "order by fetched_at, attempt",
    )


def test_an_unchanged_refresh_logs_its_pulls_and_never_imports_dagster(stamped_copy: Settings) -> None:
    before = fetch_log(stamped_copy)
    env = pipeline_env(stamped_copy.data_dir.parent, stamped_copy.sources_mirror or "")
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "pipelines", "refresh"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr[-3000:]
    assert "nothing to rebuild: every source answered with the file the warehouse holds" in done.stdout
    imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert "dagster" not in imported and "pipelines.definitions" not in imported
    after = fetch_log(stamped_copy)
    pulled = after[len(before) :]
    assert len(pulled) == len(SOURCES)  # one pull per source of the source table, metadata aside
    assert {outcome for _, outcome in pulled} == {"not_modified", "missing_optional"}
    assert stamp_holds(stamped_copy) is None  # the stamp survives: the next unchanged refresh is as fast


def test_a_publication_without_a_stamp_sends_the_next_refresh_down_the_full_path(stamped_copy: Settings) -> None:
    assert stamp_holds(stamped_copy) is None
    publish(stamped_copy, dict(CONNECTION_CONFIG))  # what a run started from the UI does when it succeeds
    assert stamp_holds(stamped_copy) == "no complete build is stamped"
    pulled, reason = unchanged_pull(stamped_copy)
    assert pulled is None and reason == "no complete build is stamped"


def test_a_stamp_of_other_code_or_another_dagster_home_is_not_trusted(
    stamped_copy: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stamp = json.loads(stamped_copy.stamp_path.read_text(encoding="utf-8"))
    stamped_copy.stamp_path.write_text(json.dumps({**stamp, "code": "0" * 64}), encoding="utf-8")
    assert stamp_holds(stamped_copy) == "the code changed since the last complete build"
    stamped_copy.stamp_path.write_text(json.dumps(stamp), encoding="utf-8")
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "another-dagster"))
    assert "code or the Dagster home changed" in (stamp_holds(stamped_copy) or "")


def test_after_a_code_edit_with_every_source_unchanged_dagster_rebuilds_without_a_pull_run(
    built_warehouse, tmp_path: Path
) -> None:
    from dagster import DagsterInstance

    copy_build(built_warehouse, tmp_path)
    env = pipeline_env(tmp_path, built_warehouse.mirror.base_url)
    settings = built_warehouse.settings.__class__(
        tmp_path / "data", tmp_path / "data" / "warehouse.duckdb", tmp_path / "reports", env["SCALING_SOURCES_MIRROR"]
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DAGSTER_HOME", env["DAGSTER_HOME"])
        stamp = {**current_stamp(settings), "code": "0" * 64}  # the last complete build ran other code
        settings.stamp_path.write_text(json.dumps(stamp), encoding="utf-8")
        with DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
            runs_before = len(instance.get_runs())
    result = run_cli(env, "refresh")
    assert result.returncode == 0, result.stdout
    assert "every other source answered with the file the warehouse holds; with Dagster: the code changed" in (
        " ".join(result.stdout.split())
    )
    assert "nothing to rebuild: no source loaded a new file and the code is unchanged" in result.stdout
    with DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        assert len(instance.get_runs()) == runs_before  # no pull run: the conditional GETs were the pull
    pulled = fetch_log(settings)[-len(SOURCES) :]
    assert {outcome for _, outcome in pulled} == {"not_modified", "missing_optional"}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DAGSTER_HOME", env["DAGSTER_HOME"])
        assert stamp_holds(settings) is None  # the rebuild was complete: stamped again with this code


def test_a_new_file_from_one_source_is_the_only_pull_dagster_makes(
    built_warehouse, served_copy, tmp_path: Path
) -> None:
    from dagster import DagsterEventType, DagsterInstance, RunsFilter

    copy_build(built_warehouse, tmp_path)
    env = pipeline_env(tmp_path, served_copy.base_url)
    settings = built_warehouse.settings.__class__(
        tmp_path / "data", tmp_path / "data" / "warehouse.duckdb", tmp_path / "reports", served_copy.base_url
    )
    hardware = served_copy.root / "epoch.ai" / "data" / "ml_hardware.csv"
    published = hardware.read_bytes()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DAGSTER_HOME", env["DAGSTER_HOME"])
        settings.stamp_path.write_text(json.dumps(current_stamp(settings)), encoding="utf-8")  # a complete build
    hardware.write_bytes(published.replace(b",750.0,", b",751.0,", 1))  # Epoch revises one chip's TDP
    try:
        result = run_cli(env, "refresh")
    finally:
        hardware.write_bytes(published)
    assert result.returncode == 0, result.stdout
    assert "with Dagster: new files from ml_hardware" in " ".join(result.stdout.split())
    with DagsterInstance.from_config(env["DAGSTER_HOME"]) as instance:
        [pull] = instance.get_runs(RunsFilter(job_name="pull_sources"), limit=1)
        events = instance.all_logs(pull.run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION)
    assert {e.dagster_event.asset_key.to_user_string() for e in events} == {"raw/ml_hardware"}
    pulled = {source for source, _ in fetch_log(settings)[-len(SOURCES) - 1 :]}
    assert pulled == {s.name for s in SOURCES}  # every other source's conditional GET logged, as Dagster's would be
    assert (
        warehouse_rows(settings.warehouse_path, "select count(*) from marts.hardware where tdp_watts = 751")[0][0] == 1
    )


def test_a_source_that_does_not_answer_takes_the_full_path(stamped_copy: Settings, built_warehouse) -> None:
    mirror = built_warehouse.mirror
    mirror.fault("/epoch.ai/data/ml_hardware.csv", *[("status", 500)] * 10)  # every retry fails
    try:
        pulled, reason = unchanged_pull(stamped_copy)
    finally:
        mirror.clear_faults()
    assert pulled is None and reason == "a source did not answer or was never pulled"


def test_the_code_fingerprint_follows_every_code_file_and_ignores_dbt_output(tmp_path: Path) -> None:
    for relative in ("pipelines/a.py", "pipelines/reports/templates/page.html.j2", "dbt_like_models/models/m.sql"):
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text("select 1\n", encoding="utf-8")
    first = code_fingerprint(tmp_path)
    ignored_files = ("dbt_like_models/target/m.json", "dbt_like_models/logs/dbt.log", "pipelines/__pycache__/a.pyc")
    for ignored in ignored_files:
        (tmp_path / ignored).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / ignored).write_text("output", encoding="utf-8")
    code_fingerprint.cache_clear()
    assert code_fingerprint(tmp_path) == first
    (tmp_path / "dbt_like_models/models/m.sql").write_text("select 2\n", encoding="utf-8")
    code_fingerprint.cache_clear()
    assert code_fingerprint(tmp_path) != first


@pytest.mark.parametrize(
    ("outcome", "sha256", "held", "same"),
    [
        ("not_modified", "a", "a", True),
        ("unchanged", "a", "a", True),
        ("downloaded", "b", "a", False),
        ("not_modified", "a", "b", False),  # the table holds another file (a rejected pull was kept out)
        ("missing_optional", None, "a", True),  # an optional source gone quiet keeps its table
    ],
)
def test_a_pull_changes_nothing_only_when_the_table_holds_the_file_it_answered_with(
    outcome: str, sha256: str | None, held: str | None, same: bool
) -> None:
    assert holds_same_file(outcome, sha256, held) is same
