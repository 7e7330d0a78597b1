"""Plausibility rules: implausible values become recorded rejections, not failures, and the rest of the file publishes.

Every fixture is a small CSV written here; the bounds come from `dbt_like_models/seeds/plausible_ranges.csv`, the
table the marts' dbt tests read too.
"""

from __future__ import annotations

import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

import polars as pl
import pytest
import yaml

from pipelines.raw.landing import read_benchmark_zip, read_csv_text
from pipelines.settings import PROJECT_ROOT
from pipelines.tidy.benchmarks import tidy_scores
from pipelines.tidy.hardware import HARDWARE_NUMBERS, tidy_hardware
from pipelines.tidy.inference import DATASET as PRICE_STUDY
from pipelines.tidy.inference import SCORE_COLUMNS, TOKEN_COUNTS, TOKENS_SOURCE
from pipelines.tidy.models import COMPUTE_COLUMNS, COST_COLUMNS, PARAMS_COLUMNS, TOKENS_COLUMNS, tidy_models
from pipelines.tidy.owid import tidy_owid
from pipelines.tidy.plausibility import EPOCH_MODELS, OWID, RANGES_FILE, Rule, load_ranges

DBT_PROJECT = PROJECT_ROOT / "dbt_like_models"
PULLED = datetime(2026, 7, 19, 6, 0, tzinfo=UTC)
MODEL_HEADER = "Model,Publication date,Training compute (FLOP),Parameters,Organization,Domain"


def raw_frame(tmp_path: Path, text: str, fetched_at: datetime | None = PULLED, name: str = "file.csv") -> pl.DataFrame:
    """A CSV fixture read as the raw layer reads a landed file, with the pull time as its provenance."""
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    frame = read_csv_text(path)
    if fetched_at is None:
        return frame
    return frame.with_columns(pl.lit(fetched_at).cast(pl.Datetime("us", "UTC")).alias("_fetched_at"))


def notable(tmp_path: Path, *rows: str, fetched_at: datetime | None = PULLED):
    """`tidy_models` over a notable-models file holding `rows` under `MODEL_HEADER`."""
    return tidy_models({"notable_models": raw_frame(tmp_path, "\n".join([MODEL_HEADER, *rows]) + "\n", fetched_at)})


def rejected(tables_or_frame, column: str | None = None) -> list[tuple]:
    """(column, row number, raw value, reason) of each rejection, by row and column; only `column`'s when given."""
    frame = getattr(tables_or_frame, "rejections", tables_or_frame)
    if column is not None:
        frame = frame.filter(pl.col("column_name") == column)
    return frame.sort("row_number", "column_name").select("column_name", "row_number", "raw_value", "reason").rows()


# -- dates -------------------------------------------------------------------------------------------------------


def test_a_2099_and_an_1899_publication_date_are_rejected_with_their_row_numbers(tmp_path: Path) -> None:
    tables = notable(
        tmp_path,
        "Model A,2024-03-01,1e24,1e9,Org,Language",
        "Model B,2099-07-15,2e24,1e9,Org,Language",  # row 2: a typo for 2026
        "Model C,1899-05-01,3e24,1e9,Org,Language",  # row 3: before any AI model
    )
    dates = rejected(tables, "Publication date")
    assert [(row, raw) for _, row, raw, _ in dates] == [(2, "2099-07-15"), (3, "1899-05-01")]
    assert dates[0][3] == "after the pull; expected 2027-07-19 or earlier (fetched_at + 1 year, fetched 2026-07-19)"
    assert dates[1][3] == "before the earliest plausible date; expected 1950-01-01 or later"
    published = dict(tables.models.select("model_name", "publication_date").iter_rows())
    assert published == {"Model A": date(2024, 3, 1), "Model B": None, "Model C": None}
    assert tables.compute["training_compute_flop"].to_list() == [1e24, 2e24, 3e24]  # the rest of the rows publish


def test_the_latest_plausible_date_counts_from_the_pull(tmp_path: Path) -> None:
    row = "Model A,2027-05-01,1e24,1e9,Org,Language"
    assert rejected(notable(tmp_path, row, fetched_at=datetime(2026, 7, 19, tzinfo=UTC))) == []
    late = rejected(notable(tmp_path, row, fetched_at=datetime(2025, 12, 1, tzinfo=UTC)))
    assert [(column, number, raw) for column, number, raw, _ in late] == [("Publication date", 1, "2027-05-01")]
    assert "expected 2026-12-01 or earlier" in late[0][3]


def test_a_frame_without_its_pull_time_counts_from_now(tmp_path: Path) -> None:
    far = f"Model A,{datetime.now(UTC).year + 2}-01-01,1e24,1e9,Org,Language"
    near = f"Model B,{datetime.now(UTC).year}-01-01,1e24,1e9,Org,Language"
    tables = notable(tmp_path, far, near, fetched_at=None)
    assert [(column, number) for column, number, _, _ in rejected(tables)] == [("Publication date", 1)]


def test_a_leap_day_pull_allows_dates_up_to_the_28th_of_february_a_year_later() -> None:
    rule = load_ranges()[(EPOCH_MODELS, "publication_date")]
    assert rule.dates(datetime(2028, 2, 29, 12, tzinfo=UTC)) == (date(1950, 1, 1), date(2029, 2, 28))


# -- physical bounds -----------------------------------------------------------------------------------------------


def test_a_compute_of_1e60_is_rejected_and_the_other_rows_are_kept(tmp_path: Path) -> None:
    tables = notable(
        tmp_path,
        "Model A,2024-03-01,1e24,7e9,Org,Language",
        "Model B,2024-04-01,1e60,8e9,Org,Language",  # row 2: beyond any plausible training run
        "Model C,2024-05-01,3e25,9e9,Org,Language",
    )
    assert rejected(tables) == [
        ("Training compute (FLOP)", 2, "1e60", "outside the plausible range; expected 1 to 1e30 FLOP"),
    ]
    compute = dict(tables.compute.select("model_key", "training_compute_flop").iter_rows())
    assert compute == {"model a": 1e24, "model c": 3e25}
    assert tables.models.height == 3 and tables.params.height == 3  # model B publishes, without its compute


def test_parameters_tokens_and_costs_outside_their_ranges_are_rejected(tmp_path: Path) -> None:
    header = "Model,Publication date,Parameters,Training dataset size (total),Training compute cost (2023 USD)"
    rows = ["Model A,2024-03-01,1e16,1e19,1e12", "Model B,2024-03-01,7e9,1e12,0.001", "Model C,2024-03-01,7e9,1e12,5e6"]
    text = "\n".join([header, *rows]) + "\n"
    tables = tidy_models({"notable_models": raw_frame(tmp_path, text)})
    assert [(column, number) for column, number, _, _ in rejected(tables)] == [
        ("Parameters", 1),
        ("Training compute cost (2023 USD)", 1),
        ("Training dataset size (total)", 1),
        ("Training compute cost (2023 USD)", 2),
    ]
    assert tables.params["parameters"].to_list() == [7e9, 7e9]
    assert tables.cost["training_cost_usd_2023"].to_list() == [5e6]


def test_hardware_and_owid_values_outside_their_ranges_are_rejected(tmp_path: Path) -> None:
    hardware_text = (
        "Hardware name,Release date,Release price (USD),FP32 (single precision) performance (FLOP/s),TDP (W)\n"
        "Chip A,2024-01-01,30000,6e13,700\nChip B,1899-01-01,30000,6e13,0.5\nChip C,2024-01-01,30000,1e40,700\n"
    )
    hardware, rejections = tidy_hardware(raw_frame(tmp_path, hardware_text))
    assert [(column, number) for column, number, _, _ in rejected(rejections)] == [
        ("Release date", 2),
        ("TDP (W)", 2),
        ("FP32 (single precision) performance (FLOP/s)", 3),
    ]
    assert hardware.height == 3 and hardware["tdp_watts"].to_list() == [700.0, None, 700.0]
    owid_text = (
        "Entity,Day,Training computation (petaFLOP),Domain\nA,2024-01-01,1e9,Language\nB,2099-01-01,1e40,Vision\n"
    )
    series, owid_rejections = tidy_owid(raw_frame(tmp_path, owid_text), "owid_training_computation")
    assert [(column, number) for column, number, _, _ in rejected(owid_rejections)] == [
        ("Day", 2),
        ("Training computation (petaFLOP)", 2),
    ]
    assert series["entity"].to_list() == ["A"]


def test_a_benchmark_files_compute_and_release_date_outside_their_ranges_are_rejected(tmp_path: Path) -> None:
    path = tmp_path / "benchmark_data.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(
            "gpqa_diamond.csv",
            "Model version,mean_score,Release date,Training compute (FLOP)\n"
            "a,0.5,2024-01-01,1e24\nb,0.6,2099-01-01,1e60\n",
        )
    raw = read_benchmark_zip(path).with_columns(pl.lit(PULLED).alias("_fetched_at"))
    tables = tidy_scores(raw)
    assert [(column, number, raw) for column, number, raw, _ in rejected(tables)] == [
        ("gpqa_diamond.csv:Release date", 2, "2099-01-01"),
        ("gpqa_diamond.csv:Training compute (FLOP)", 2, "1e60"),
    ]
    assert tables.scores.select("model_version", "release_date", "file_training_compute_flop").rows() == [
        ("a", date(2024, 1, 1), 1e24),
        ("b", None, None),
    ]


# -- NaN, Infinity, repeated headers, control characters ----------------------------------------------------------


def test_nan_and_infinity_in_numeric_columns_are_recorded_and_an_empty_cell_is_not(tmp_path: Path) -> None:
    tables = notable(
        tmp_path,
        "Model A,2024-03-01,NaN,7e9,Org,Language",
        "Model B,2024-03-01,Infinity,-inf,Org,Language",
        "Model C,2024-03-01,,,Org,Language",  # empty: no value, not a rejection
        "Infinity,2024-03-01,1e24,1e400,Org,Language",  # a model named Infinity keeps its name; 1e400 overflows
    )
    reason = "not a finite number (NaN or Infinity); expected a finite number"
    assert rejected(tables) == [
        ("Training compute (FLOP)", 1, "NaN", reason),
        ("Parameters", 2, "-inf", reason),
        ("Training compute (FLOP)", 2, "Infinity", reason),
        ("Parameters", 4, "1e400", reason),
    ]
    assert tables.models["model_name"].to_list().count("Infinity") == 1
    assert tables.compute.select("model_key", "training_compute_flop").rows() == [("infinity", 1e24)]


def test_a_repeated_header_row_is_dropped_and_recorded_once(tmp_path: Path) -> None:
    tables = notable(
        tmp_path,
        "Model A,2024-03-01,1e24,7e9,Org,Language",
        MODEL_HEADER,  # row 2: a second file appended to the first
        "Model B,2024-04-01,2e24,8e9,Org,Language",
    )
    assert rejected(tables) == [
        (
            "(whole row)",
            2,
            MODEL_HEADER,
            "repeated header row (its cells are the column names); expected a data row, the row was dropped",
        )
    ]
    assert tables.models["model_name"].to_list() == ["Model A", "Model B"]  # no model named `Model`


def test_a_nul_in_a_model_name_is_recorded_and_removed(tmp_path: Path) -> None:
    tables = notable(
        tmp_path,
        "Model A,2024-03-01,1e24,7e9,Org,Language",
        "GPT\x00-5,2025-08-07,5e25,,Open\x07AI,Language",
        "Model C\ttab,2024-03-01,1e24,7e9,Org,Language",  # a tab is whitespace, not a control character
    )
    reason = "control character in text; expected printable text (the characters were removed)"
    assert rejected(tables) == [("Model", 2, "GPT\\x00-5", reason), ("Organization", 2, "Open\\x07AI", reason)]
    named = tables.models.filter(pl.col("model_key") == "gpt-5")
    assert named.select("model_name", "organization").rows() == [("GPT-5", "OpenAI")]
    assert not tables.models["model_name"].str.contains(r"[\x00-\x08]").any()


def test_a_control_character_in_a_rejected_number_is_escaped_in_the_raw_value(tmp_path: Path) -> None:
    tables = notable(tmp_path, "Model A,2024-03-01,1e24\x00,7e9,Org,Language")
    assert rejected(tables) == [("Training compute (FLOP)", 1, "1e24\\x00", "not a number")]


# -- one table for Python and dbt -----------------------------------------------------------------------------------


def test_the_bounds_table_is_the_dbt_seed() -> None:
    assert RANGES_FILE == DBT_PROJECT / "seeds" / "plausible_ranges.csv"
    ranges = load_ranges()
    assert ranges[(EPOCH_MODELS, "training_compute_flop")].numbers() == (1.0, 1e30)
    assert ranges[(EPOCH_MODELS, "publication_date")].min_value == "1950-01-01"
    sql = (DBT_PROJECT / "tests" / "generic" / "plausible_columns.sql").read_text(encoding="utf-8")
    assert "from {{ plausible_ranges_relation() }}" in sql
    macro = (DBT_PROJECT / "macros" / "plausible_ranges_relation.sql").read_text(encoding="utf-8")
    assert "graph.nodes['seed.' ~ project_name ~ '.plausible_ranges']" in macro


def test_every_mart_whose_tests_read_the_seed_is_built_after_it() -> None:
    # the tests name the seed without ref() (see the macro), so the marts they check must depend on it themselves
    marts = {file.removesuffix(".yml") for file, _, name, _ in mart_range_tests() if name.startswith("plausible")}
    assert marts >= {"models", "hardware", "benchmark_scores", "owid_series"}
    for mart in marts:
        sql = (DBT_PROJECT / "models" / "marts" / f"{mart}.sql").read_text(encoding="utf-8")
        assert "-- depends_on: {{ ref('plausible_ranges') }}" in sql or "{{ ref('models') }}" in sql, mart


def mart_range_tests() -> list[tuple[str, str, str, dict]]:
    """(yml file, column, kind, arguments) of every range-like test on a marts model: each column of a model's
    plausible_columns test (kind plausible_range for its numbers, plausible_date for its dates, arguments the rule
    it names), and each range test of a column or model that states its own bounds."""
    found = []
    for path in sorted((DBT_PROJECT / "models").rglob("*.yml")):
        for model in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("models", []):
            tests = [("", test) for test in model.get("data_tests", [])]
            tests += [
                (column["name"], test) for column in model.get("columns", []) for test in column.get("data_tests", [])
            ]
            for column, test in tests:
                name, config = (test, {}) if isinstance(test, str) else next(iter(test.items()))
                arguments = (config or {}).get("arguments", {})
                if name == "plausible_columns":
                    found += [(path.name, *checked) for checked in plausible_columns(arguments)]
                elif name in ("within_range", "positive"):
                    found.append((path.name, column, name, arguments))
    return found


def plausible_columns(arguments: dict) -> list[tuple[str, str, dict]]:
    """(column, kind, rule) of each entry of a plausible_columns test, as `tests/generic/plausible_columns.sql`
    reads them: a column, or a mapping naming its column and optionally its own rules and rule_column."""
    checked = []
    for kind, entries in (
        ("plausible_range", arguments.get("numbers", [])),
        ("plausible_date", arguments.get("dates", [])),
    ):
        for entry in entries:
            entry = {"column": entry} if isinstance(entry, str) else entry
            rule = {
                "rules": entry.get("rules", arguments["rules"]),
                "rule_column": entry.get("rule_column", entry["column"]),
            }
            checked.append((entry["column"], kind, rule))
    return checked


def test_every_range_test_of_the_marts_reads_a_rule_of_the_seed() -> None:
    ranges = load_ranges()
    tests = mart_range_tests()
    assert len(tests) >= 14
    for file, column, name, arguments in tests:
        assert name in ("plausible_range", "plausible_date"), f"{file}: {column} states its own bounds ({name})"
        rule = ranges.get((arguments["rules"], arguments.get("rule_column", column)))
        assert rule is not None, f"{file}: {column} has no rule {arguments} in the seed"
        assert rule.is_date == (name == "plausible_date"), f"{file}: {column}: {name} on a {rule.unit} rule"


def test_every_rule_of_the_seed_is_applied_by_the_tidy_layer() -> None:
    model_columns = {"publication_date"} | {
        out for table in (COMPUTE_COLUMNS, PARAMS_COLUMNS, TOKENS_COLUMNS, COST_COLUMNS) for out in table
    }
    applied = {
        EPOCH_MODELS: model_columns,
        "ml_hardware": {"release_date", *HARDWARE_NUMBERS},
        "benchmark_data": {"release_date", "training_compute_flop", "score", "cost_per_run_usd"},
        OWID: {"date", "Training computation (petaFLOP)"},
        PRICE_STUDY: {"release_date", "usd_per_1m_tokens", *(f"score_{unit}" for unit in SCORE_COLUMNS.values())},
        TOKENS_SOURCE: set(TOKEN_COUNTS),
    }
    for source, column in load_ranges():
        assert column in applied.get(source, set()), f"{source}.{column}: no tidy code applies this rule"


def test_a_changed_seed_changes_the_python_bound(tmp_path: Path) -> None:
    seed = tmp_path / "plausible_ranges.csv"
    text = RANGES_FILE.read_text(encoding="utf-8")
    seed.write_text(
        text.replace("epoch_models,training_compute_flop,1,1e30,", "epoch_models,training_compute_flop,1,1e25,")
    )
    row = "Model A,2025-03-01,5e26,7e9,Org,Language"
    raw = {"notable_models": raw_frame(tmp_path, f"{MODEL_HEADER}\n{row}\n")}
    assert rejected(tidy_models(raw)) == []
    assert rejected(tidy_models(raw, ranges=load_ranges(seed))) == [
        ("Training compute (FLOP)", 1, "5e26", "outside the plausible range; expected 1 to 1e25 FLOP"),
    ]


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ("epoch_models,parameters,1e15,1,parameters,x", "min_value 1e15 must be below max_value 1"),
        ("epoch_models,publication_date,1950-01-01,2030-01-01,date,x", "is not"),
        ("epoch_models,training_compute_flop,1,1e30,FLOP,x", "has a rule already"),
        ("owid,date,1950-01-01,fetched_at + 1 year,date,", "unit and why are required"),
    ],
)
def test_a_bad_seed_row_stops_the_load_naming_its_line(tmp_path: Path, row: str, problem: str) -> None:
    seed = tmp_path / "plausible_ranges.csv"
    lines = RANGES_FILE.read_text(encoding="utf-8").splitlines()
    kept = [line for line in lines if not line.startswith(("epoch_models,parameters,", "owid,date,"))]
    seed.write_text("\n".join([*kept, row]) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match=rf"plausible_ranges\.csv:{len(kept) + 1}: .*{problem}"):
        load_ranges(seed)


def test_the_seed_rules_read_as_their_units() -> None:
    for rule in load_ranges().values():
        assert isinstance(rule, Rule)
        if rule.is_date:
            earliest, latest = rule.dates(PULLED)
            assert earliest < date(2000, 1, 2) and latest == date(2027, 7, 19)
        else:
            low, high = rule.numbers()
            assert 0 <= low < high
