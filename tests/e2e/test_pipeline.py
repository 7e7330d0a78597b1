"""The whole pipeline, in-process, into a temporary directory: sources over HTTP to report, on the real files. The
real files' counts are asserted in test_mirror_snapshots.py; here they are read from the files served."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import count, published_records, source_file

from pipelines.raw.sources import SOURCES
from pipelines.settings import PROJECT_ROOT

pytestmark = pytest.mark.e2e


def test_every_step_of_the_first_pull_succeeds(built_warehouse) -> None:
    failures = [e.step_key for e in built_warehouse.result.all_events if e.is_step_failure]
    assert failures == []
    assert built_warehouse.result.success


def test_raw_tables_hold_every_published_row_with_provenance(built_warehouse, con) -> None:
    served = {s.name: source_file(built_warehouse.mirror.root, s.name) for s in SOURCES if not s.optional}
    assert all(path.is_file() for path in served.values())
    for table, path in served.items():
        assert count(con, f"select count(*) from raw.{table}") == published_records(path), table
        assert count(con, f"select count(distinct _sha256) from raw.{table}") == 1
        assert count(con, f"select count(*) from raw.{table} where _fetched_at is null or _row_number is null") == 0


def test_optional_sources_are_logged_as_missing_not_failed(con) -> None:
    outcomes = con.execute(
        "select outcome from ops.fetch_log where source = 'all_models' order by fetched_at"
    ).fetchall()
    assert outcomes == [("missing_optional",)]
    assert count(con, "select count(*) from ops.fetch_log where outcome = 'failed'") == 0
    metadata = count(con, "select count(*) from ops.fetch_log where requested_url like '%.metadata.json%'")
    assert metadata == sum(s.metadata_url is not None for s in SOURCES) == 4  # one per OWID chart


def test_raw_files_are_stored_by_sha256(built_warehouse, con) -> None:
    for path, sha in con.execute(
        "select path, sha256 from ops.fetch_log where outcome = 'downloaded' and path is not null"
    ).fetchall():
        assert Path(path).name.startswith(sha)
        assert Path(path).is_relative_to(built_warehouse.settings.raw_dir)


def test_tidy_tables_keep_every_notable_model_and_fraction_scores_and_record_the_list_valued_cell(con) -> None:
    notable = count(con, "select count(*) from raw.notable_models")  # every notable row is one model
    assert count(con, "select count(*) from tidy.models where in_notable_models") == notable
    assert count(con, "select count(*) from tidy.models where model_name = 'Infinity'") == 1
    assert count(con, "select count(*) from tidy.scores") > 0
    assert (
        count(con, "select count(*) from tidy.scores where unit = 'fraction' and trend_score not between 0 and 1") == 0
    )
    assert count(con, "select count(*) from tidy.hardware") == count(con, "select count(*) from raw.ml_hardware")
    assert count(con, "select count(*) from tidy.owid_series where entity like '%x/year%'") == 0
    listed = count(
        con,
        "select count(*) from ops.rejected_values where source = 'notable_models' "
        "and column_name = 'Training dataset size (total)' and raw_value = '2260275840,2290000001'",
    )
    assert listed == 1


def test_marts_hold_one_row_per_model_and_mark_the_frontier(con) -> None:
    assert count(con, "select count(*) from marts.models") == count(con, "select count(*) from tidy.models")
    assert count(con, "select count(*) - count(distinct model_key) from marts.models") == 0
    frontier = count(con, "select count(*) from tidy.models where in_frontier_models")
    assert count(con, "select count(*) from marts.models where is_frontier_epoch") == frontier
    # the largest run in the data is frontier by our rule, by construction
    largest = con.execute(
        "select is_frontier_top10 from marts.models order by training_compute_flop desc nulls last limit 1"
    ).fetchall()
    assert largest == [(True,)]


def test_marts_carry_what_the_trends_read(con) -> None:
    assert count(con, "select count(*) from marts.benchmark_scores") == count(con, "select count(*) from tidy.scores")
    missing = count(
        con,
        "select count(*) from marts.benchmark_scores where training_compute_flop is null "
        "and coalesce(file_training_compute_flop, model_training_compute_flop) is not null",
    )
    assert missing == 0
    # the trends read the imputed training costs themselves (marts.benchmark_scores no longer joins them)
    assert count(con, "select count(*) from trends.model_costs where is_imputed") > 0
    assert count(con, "select count(*) from marts.hardware") == count(con, "select count(*) from tidy.hardware")
    assert count(con, "select count(*) from marts.owid_series") == count(con, "select count(*) from tidy.owid_series")


def test_owid_and_epoch_compute_agree_within_the_tolerance_where_they_are_said_to(con) -> None:
    # how many agree on the mirror: test_mirror_snapshots.py
    assert count(con, "select count(*) from marts.owid_compute_reconciliation where status = 'agree'") > 0
    assert count(con, "select count(*) from marts.owid_compute_reconciliation where status = 'agree' "
                      "and abs(owid_to_models_ratio - 1) > relative_tolerance") == 0  # fmt: skip


def test_notable_training_compute_grows_four_to_five_times_a_year_since_2010(con) -> None:
    row = con.execute(
        "select n, growth_per_year, growth_ci_low, growth_ci_high, doubling_months, r2, window_start, window_end "
        "from trends.fits where metric = 'training_compute' and subset = 'notable' and window_kind = 'full'"
    ).fetchall()
    assert len(row) == 1
    n, growth, low, high, doubling, r2, start, end = row[0]
    assert 3.5 < growth < 5.5
    assert low < growth < high
    assert 4 < doubling < 8
    models = count(con, "select count(*) from marts.models where in_notable_models and training_compute_flop > 0 "
                        "and publication_date >= date '2010-01-01'")  # fmt: skip
    assert n == models and 0.4 < r2 < 0.9  # every notable model with a compute since 2010
    assert str(start) == "2010-01-01"
    assert (
        end
        == con.execute(
            "select max(publication_date) from marts.models where in_notable_models and "
            "training_compute_flop is not null"
        ).fetchall()[0][0]
    )


def test_the_index_report_quotes_the_fit_and_the_file_versions_and_loads_nothing_from_a_cdn(
    built_warehouse, con
) -> None:
    page = (built_warehouse.settings.reports_dir / "index.html").read_text(encoding="utf-8")
    growth = con.execute("select growth_per_year from trends.fits").fetchall()[0][0]
    assert f"grew {growth:.1f}× per year" in page
    for sha in con.execute("select distinct _sha256 from raw.notable_models").fetchall():
        assert sha[0] in page
    assert "CC BY 4.0" in page and "Epoch AI" in page and "Our World in Data" in page
    assert "cdn.jsdelivr" not in page and "https://cdn" not in page
    assert (built_warehouse.settings.reports_dir / "vendor" / "vega-embed-bundle.js").stat().st_size > 500_000


def test_every_documented_query_runs_and_every_table_says_what_it_holds(con) -> None:
    # sql/README's claim: each query in sql/queries runs on the published file, and tables.sql lists every table
    # and view of the five schemas with its comment
    for query in sorted((PROJECT_ROOT / "sql" / "queries").glob("*.sql")):
        con.execute(query.read_text(encoding="utf-8")).fetchall()
    listed = con.sql((PROJECT_ROOT / "sql" / "queries" / "tables.sql").read_text(encoding="utf-8")).pl()
    assert set(listed["schema"]) == {"raw", "tidy", "marts", "trends", "ops"}
    assert listed.filter(listed["comment"].is_null())["table"].to_list() == []


def test_the_duckdb_cli_runs_a_documented_query(built_warehouse) -> None:
    cli = shutil.which("duckdb", path=str(Path(sys.executable).parent)) or shutil.which("duckdb")
    assert cli, "the duckdb command-line client (pip package duckdb-cli, in the dev extra) is not installed"
    version = subprocess.run([cli, "--version"], capture_output=True, text=True, check=True).stdout
    assert version.startswith("v1.5"), version
    query = (PROJECT_ROOT / "sql" / "queries" / "compute_growth.sql").read_text()
    out = subprocess.run(
        [cli, "-readonly", "-csv", str(built_warehouse.settings.warehouse_path)],
        input=query,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    lines = out.stdout.strip().splitlines()
    assert lines[0].startswith("metric,subset,window_kind")
    assert lines[1].startswith("training_compute,notable,full,2010-01-01")
