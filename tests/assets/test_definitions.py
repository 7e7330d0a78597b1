"""The Dagster code location loads cleanly: every source has its asset, stages are groups, the schedule is off."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import warnings

from dagster import AssetKey, DefaultScheduleStatus, DefaultSensorStatus

from pipelines.raw.sources import SOURCES
from pipelines.settings import PROJECT_ROOT


def load_definitions():
    from pipelines.definitions import build_definitions

    return build_definitions()


def test_definitions_load_without_dagster_warnings() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        defs = load_definitions()
        defs.resolve_asset_graph()
        defs.resolve_job_def("refresh_everything")
    ours = [w for w in caught if "dagster" in type(w.message).__module__ or "pipelines" in w.filename]
    assert ours == [], [str(w.message) for w in ours]


def test_every_source_has_a_raw_asset_and_every_key_prefix_is_its_group() -> None:
    graph = load_definitions().resolve_asset_graph()
    keys = set(graph.get_all_asset_keys())
    for source in SOURCES:
        assert AssetKey(["raw", source.name]) in keys
    groups = {key.path[0]: graph.get(key).group_name for key in keys}
    assert groups == {
        "raw": "raw",
        "tidy": "tidy",
        "marts": "marts",
        "trends": "trends",
        "reports": "reports",
    }
    for table in ("models", "compute", "params", "tokens", "cost", "hardware", "scores", "owid_series"):
        assert AssetKey(["tidy", table]) in keys
    assert AssetKey(["marts", "models"]) in keys
    # dbt sources are the tidy assets themselves, so the lineage runs raw -> tidy -> marts; a side table is its
    # writers: every raw asset for the pulls, every tidy asset for the rejected values
    assert {key.path[0] for key in graph.get(AssetKey(["marts", "source_files"])).parent_keys} == {"raw"}
    rejections = graph.get(AssetKey(["marts", "rejected_values"])).parent_keys
    assert {
        AssetKey(["tidy", "scores"]),
        AssetKey(["tidy", "owid_series"]),
        AssetKey(["tidy", "hardware"]),
    } <= rejections
    assert AssetKey(["tidy", "models"]) in graph.get(AssetKey(["marts", "models"])).parent_keys


def test_dbt_tests_are_asset_checks() -> None:
    graph = load_definitions().resolve_asset_graph()
    checks = {(k.asset_key.to_user_string(), k.name) for k in graph.asset_check_keys}
    assert ("marts/models", "unique_models_model_key") in checks
    assert ("marts/models", "not_null_models") in checks  # one test for the model's columns, a check of the model
    assert ("trends/fits", "fits_are_consistent") in checks


def test_schedule_and_sensors_are_off_by_default() -> None:
    defs = load_definitions()
    schedule = defs.resolve_schedule_def("daily_refresh")
    assert schedule.default_status == DefaultScheduleStatus.STOPPED
    assert schedule.cron_schedule == "0 6 * * *"
    for name in ("source_changes", "rebuild_stale", "retake_screenshots"):
        assert defs.resolve_sensor_def(name).default_status == DefaultSensorStatus.STOPPED


def test_raw_guards_are_blocking_checks() -> None:
    graph = load_definitions().resolve_asset_graph()
    for source in SOURCES:
        names = {k.name for k in graph.asset_check_keys if k.asset_key == AssetKey(["raw", source.name])}
        assert names == {
            "size_within_limits",
            "required_columns",
            "row_count_not_collapsed",
            "keys_unique",
            "critical_columns_parse",
        }


def test_dagster_cli_validates_the_code_location() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "dagster", "definitions", "validate", "-m", "pipelines.definitions"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Validation successful" in done.stderr + done.stdout


def test_every_job_carries_the_run_deadline_the_readme_states_and_the_home_monitors_runs() -> None:
    """README: UI runs carry Dagster's `dagster/max_runtime` (an hour), enforced by run monitoring in the home's
    dagster.yaml; the command's own step deadline defaults to 900 s."""
    import yaml

    from pipelines.settings import DEFAULT_STEP_DEADLINE_S

    defs = load_definitions()
    for name in ("refresh_everything", "pull_sources", "rebuild_downstream"):
        assert defs.resolve_job_def(name).tags.get("dagster/max_runtime") == "3600", name
    home = yaml.safe_load((PROJECT_ROOT / "pipelines" / "run" / "dagster.yaml").read_text(encoding="utf-8"))
    assert home["run_monitoring"]["enabled"] is True
    assert DEFAULT_STEP_DEADLINE_S == 900.0


# what the code location must load without: `dagster dev`, every run and every sensor evaluation pay for its load
NOT_LOADED = ("dagster_dbt", "dbt", "altair", "scipy", "vl_convert")


def test_the_code_location_loads_without_dbt_altair_or_scipy() -> None:
    """The marts come from the cached specs (`pipelines.defs.dbt_specs`): dbt and dagster-dbt load in the dbt step;
    the pages' code (Altair) when a page is built; SciPy at the first fit."""
    code = "import json, sys, pipelines.definitions; print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    done = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    loaded = set(json.loads(done.stdout.strip().splitlines()[-1]))
    assert loaded & set(NOT_LOADED) == set()


PRIVATE_DAGSTER = re.compile(r"^\s*(?:from|import)\s+dagster\._", re.MULTILINE)  # dagster._core, dagster._utils, ...


def test_no_module_imports_dagsters_private_packages() -> None:
    """Only Dagster's public API: its private modules change without notice between releases."""
    files = [path for folder in ("pipelines", "tests") for path in sorted((PROJECT_ROOT / folder).rglob("*.py"))]
    offenders = [
        f"{path.relative_to(PROJECT_ROOT)}: {match.group().strip()}"
        for path in files
        for match in PRIVATE_DAGSTER.finditer(path.read_text(encoding="utf-8"))
    ]
    assert len(files) > 50
    assert offenders == []
