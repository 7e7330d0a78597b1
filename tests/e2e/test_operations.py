"""Operations, end to end through `python -m pipelines refresh`, against a served copy of the mirror.

The steps run in order and share one warehouse: first pull, a new release with known edits (history), an
unchanged refresh (nothing rebuilt), a run where six sources break in six ways (guards), and a run killed mid-load.
The first pull is the session's build (`built_warehouse`); the module continues from a copy of its data dir, reports
and Dagster home. The command runs in-process (`run_cli`), except the run killed mid-write: a separate process.
"""

from __future__ import annotations

import csv
import io
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import (
    CliResult,
    copy_build,
    pipeline_env,
    pipeline_settings,
    published_records,
    run_cli,
    source_file,
    start_cli,
    wait_for_writer,
    warehouse_rows,
)
from dagster import DagsterInstance

from pipelines.raw.sources import SOURCES
from pipelines.settings import PROJECT_ROOT

pytestmark = pytest.mark.e2e

NOTABLE = "epoch.ai/data/notable_ai_models.csv"
REMOVED, REVISED, ADDED = "AlexNet", "GPT-3 175B (davinci)", "Test model added by the suite"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory, served_copy, built_warehouse) -> dict[str, object]:
    base = tmp_path_factory.mktemp("operations")
    copy_build(built_warehouse, base)
    env = pipeline_env(base, served_copy.base_url)
    settings = pipeline_settings(base, served_copy.base_url)
    return {"base": base, "env": env, "mirror": served_copy, "warehouse": settings.warehouse_path, "settings": settings}


def refresh(workspace) -> CliResult:
    return run_cli(workspace["env"], "refresh")


def query(workspace, sql: str) -> list[tuple]:
    return warehouse_rows(workspace["warehouse"], sql)


def rows_of(workspace, table: str) -> int:
    return query(workspace, f"select count(*) from {table}")[0][0]


def materializations(workspace) -> dict[str, int]:
    """Materialization count per asset, from Dagster's own event log."""
    with DagsterInstance.from_config(workspace["env"]["DAGSTER_HOME"]) as instance:
        keys = instance.get_asset_keys()
        return {key.to_user_string(): len(instance.fetch_materializations(key, limit=1000).records) for key in keys}


def rewrite_csv(path: Path, edit) -> None:
    """Parse a published CSV with a real CSV parser, edit its records, write it back (quoting as needed)."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    header, records = rows[0], rows[1:]
    records = edit(header, records)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *records])
    path.write_text(out.getvalue(), encoding="utf-8")


def test_the_first_pull_builds_everything(workspace, built_warehouse) -> None:
    """The session's build is the first pull; `workspace` is a copy of what it published."""
    done = built_warehouse.cli
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert rows_of(workspace, "raw.notable_models") == published_records(workspace["mirror"].root / NOTABLE)
    assert query(workspace, "select count(*) from marts.model_history") == [(0,)]
    required = sum(not s.optional for s in SOURCES)  # 12: every source but the optional all_models
    assert query(workspace, "select count(*) from marts.source_pulls where outcome = 'downloaded'") == [(required,)]


def test_a_new_release_shows_exactly_its_edits_in_model_history(workspace) -> None:
    def edit(header: list[str], records: list[list[str]]) -> list[list[str]]:
        model, compute = header.index("Model"), header.index("Training compute (FLOP)")
        kept = [r for r in records if r[model].strip() != REMOVED]
        assert len(kept) == len(records) - 1
        for record in kept:
            if record[model].strip() == REVISED:
                record[compute] = str(float(record[compute]) * 2)
        added = list(kept[0])
        added[model] = ADDED
        return [*kept, added]

    rewrite_csv(workspace["mirror"].root / NOTABLE, edit)
    before = materializations(workspace)
    done = refresh(workspace)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    history = query(
        workspace,
        "select source, model_name, change, field, old_value, new_value from marts.model_history order by change",
    )
    assert [(h[0], h[1], h[2], h[3]) for h in history] == [
        ("notable_models", ADDED, "added", None),
        ("notable_models", REMOVED, "removed", None),
        ("notable_models", REVISED, "revised", "training_compute_flop"),
    ]
    old, new = float(history[2][4]), float(history[2][5])
    assert new == pytest.approx(2 * old)
    # the documented question "what did Epoch revise since last month?" answers the same through the DuckDB CLI
    cli = Path(sys.executable).parent / "duckdb"
    answer = subprocess.run(
        [str(cli), "-readonly", "-csv", str(workspace["warehouse"])],
        input=(PROJECT_ROOT / "sql" / "queries" / "revisions_since.sql").read_text(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert answer.returncode == 0, answer.stderr
    assert len(answer.stdout.strip().splitlines()) == 1 + 3
    after = materializations(workspace)
    rebuilt = {k for k in after if after[k] > before.get(k, 0)}
    # the model tables and what is built from them were rebuilt; hardware, scores and OWID were not
    assert {"tidy/models", "marts/models", "trends/fits"} <= rebuilt
    assert not rebuilt & {"tidy/hardware", "tidy/scores", "tidy/owid_series"}


def test_an_unchanged_refresh_rebuilds_nothing_and_downloads_no_body(workspace) -> None:
    before = materializations(workspace)
    pulls_before = query(workspace, "select count(*) from ops.fetch_log")[0][0]
    done = refresh(workspace)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    after = materializations(workspace)
    downstream = {k: n for k, n in after.items() if not k.startswith("raw/")}
    assert downstream == {k: before[k] for k in downstream}
    outcomes = query(
        workspace,
        f"select distinct outcome from (select * from ops.fetch_log offset {pulls_before}) "
        "where requested_url not like '%metadata.json%'",
    )
    assert set(outcomes) <= {("not_modified",), ("missing_optional",)}
    assert "nothing to rebuild" in done.stdout


def test_six_broken_sources_fail_their_guards_and_the_rest_refreshes(workspace) -> None:
    mirror = workspace["mirror"]
    root: Path = mirror.root
    mirror.fault("/epoch.ai/data/ml_hardware.csv", *[("status", 500)] * 40)
    (root / "epoch.ai/data/frontier_ai_models.csv").write_text(
        "<!DOCTYPE html><html><body>Maintenance</body></html>", encoding="utf-8"
    )
    zip_path = root / "epoch.ai/data/benchmark_data.zip"
    zip_path.write_bytes(zip_path.read_bytes()[: zip_path.stat().st_size // 2])
    owid = root / "ourworldindata.org/grapher/artificial-intelligence-training-computation.csv"
    owid.write_text(owid.read_text(encoding="utf-8").replace("Training computation (petaFLOP)", "Compute", 1))
    rewrite_csv(root / "epoch.ai/data/large_scale_ai_models.csv", lambda h, r: [*r, r[0]])
    rewrite_csv(root / NOTABLE, lambda h, r: r[: len(r) // 2])
    growth = (
        root / "ourworldindata.org/grapher/exponential-growth-of-computation-in-the-training-of-notable-ai-systems.csv"
    )
    growth.write_text(growth.read_text(encoding="utf-8").rstrip("\n") + "\nTest system,,2025-01-01,1000\n")
    counts_before = {
        t: rows_of(workspace, f"raw.{t}")
        for t in ("notable_models", "large_scale_models", "frontier_models", "ml_hardware", "benchmark_data")
    }
    growth_before = rows_of(workspace, "raw.owid_compute_growth")
    models_before = query(workspace, "select count(*) from marts.models")[0][0]

    done = refresh(workspace)
    assert done.returncode == 1
    tail = "\n".join(done.stdout.strip().splitlines()[-30:])
    expected = {
        "ml_hardware": "500",
        "frontier_models": "html",
        "benchmark_data": "zip",
        "owid_training_computation": "Training computation (petaFLOP)",
        "large_scale_models": "keys_unique",
        "notable_models": "row_count_not_collapsed",
    }
    for source, detail in expected.items():
        lines = [line for line in tail.splitlines() if line.startswith("FAILED") and source in line]
        assert lines, f"{source} not named in the last lines:\n{tail}"
        assert any(detail.lower() in line.lower() for line in lines), (source, lines)
    # every other source refreshed: the OWID growth chart loaded its new row
    assert rows_of(workspace, "raw.owid_compute_growth") == growth_before + 1
    # the previous good data is still there, and still queryable downstream
    for table, rows in counts_before.items():
        assert query(workspace, f"select count(*) from raw.{table}")[0][0] == rows, table
    assert query(workspace, "select count(*) from marts.models")[0][0] == models_before
    rejected = query(workspace, "select source from ops.source_versions where status = 'rejected' order by 1")
    assert rejected == [("large_scale_models",), ("notable_models",)]


def test_a_second_run_fails_fast_and_a_killed_run_leaves_a_readable_warehouse(
    workspace, shared_sources, built_warehouse
) -> None:
    import shutil

    mirror = workspace["mirror"]
    clean = workspace["base"] / "clean"
    shutil.copytree(shared_sources, clean)
    mirror.root = clean  # every broken source is fixed: this run reloads six of them
    mirror.clear_faults()
    before = {table: rows_of(workspace, table) for table in ("raw.ml_hardware", "raw.notable_models", "marts.models")}
    reloaded = ("notable_models", "frontier_models", "benchmark_data")
    published = {f"raw.{name}": published_records(source_file(clean, name)) for name in reloaded}
    [(built_models,)] = warehouse_rows(built_warehouse.settings.warehouse_path, "select count(*) from marts.models")
    # runs write a working copy beside the published file; readers never see it (see pipelines/run/publish.py)
    wal = Path(str(workspace["warehouse"]) + ".building.wal")
    first = start_cli(workspace["env"], "refresh")  # a process of its own: it holds the lock, then it is killed
    wait_for_writer(workspace["settings"], first)
    second = refresh(workspace)
    assert second.returncode == 3, second.stdout[-2000:]
    assert "another refresh" in second.stdout
    # kill while a write is in flight: DuckDB's write-ahead log exists only between a write and its checkpoint
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and first.poll() is None and not (wal.exists() and wal.stat().st_size > 0):
        time.sleep(0.005)
    assert first.poll() is None, "the run ended before it could be killed mid-write"
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=30)
    assert not Path(str(workspace["warehouse"]) + ".wal").exists()  # the published file was never written
    # the warehouse opens, and holds either the old or the new version of every table, never half of one
    assert rows_of(workspace, "raw.ml_hardware") == before["raw.ml_hardware"]  # the same file, old or new
    assert rows_of(workspace, "raw.notable_models") in (before["raw.notable_models"], published["raw.notable_models"])
    assert rows_of(workspace, "marts.models") in (before["marts.models"], built_models)  # the clean files' models
    done = refresh(workspace)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert f"took over the writer lock abandoned by pid {first.pid}" in done.stdout
    assert {table: rows_of(workspace, table) for table in published} == published


def test_a_lost_warehouse_is_rebuilt_from_data_raw_with_the_same_history(workspace) -> None:
    """Every pull above (two releases of the notable models, rejections, failures) replays from data/raw."""
    tables = {
        "history": "select * from marts.model_history order by all",
        "versions": "select * from ops.source_versions order by all",
        "fetches": "select * from ops.fetch_log order by all",
        "snapshots": "select * from ops.model_snapshots order by all",
        "raw": "select * from raw.notable_models order by _row_number",
    }
    before = {name: query(workspace, sql) for name, sql in tables.items()}
    fits = "select count(*) from trends.fits where status = 'ok'"
    fits_before = query(workspace, fits)
    assert len(before["history"]) == 3
    workspace["warehouse"].unlink()
    done = run_cli(workspace["env"], "rebuild")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    for name, sql in tables.items():
        assert query(workspace, sql) == before[name], name
    assert query(workspace, fits) == fits_before and fits_before[0][0] > 0
