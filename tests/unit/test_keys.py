"""The model key is defined once (pipelines/tidy/keys.py): every source's names get the same key, and no SQL of the
marts or the documented queries normalises a name again."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest

from pipelines.raw.landing import read_csv_text
from pipelines.settings import PROJECT_ROOT
from pipelines.tidy.keys import model_key, model_key_expr
from pipelines.tidy.models import tidy_models
from pipelines.tidy.owid import tidy_owid

# (published spelling, its key): case, runs of spaces and tabs, trailing newlines, a no-break space, non-ASCII
TRICKY = [
    ("GPT-4", "gpt-4"),
    ("  GPT-4\n", "gpt-4"),
    ("Claude 3.5\t\tSonnet", "claude 3.5 sonnet"),
    ("ERNIE 3.0 Titan\r\n", "ernie 3.0 titan"),
    ("Llama\u00a03 70B", "llama 3 70b"),
    ("Ünïcödé  MÖDEL", "ünïcödé mödel"),
    ("PaLM 2 (Bison)", "palm 2 (bison)"),
]
SQL_NORMALISING = re.compile(r"\b(lower|upper|regexp_replace|trim)\s*\(", re.IGNORECASE)


@pytest.mark.parametrize(("name", "key"), TRICKY)
def test_one_string_and_a_column_get_the_same_key(name: str, key: str) -> None:
    column = pl.DataFrame({"name": [name]}).select(model_key_expr("name"))["name"].item()
    assert model_key(name) == column == key
    assert model_key(key) == key  # a key is its own key


def test_owid_entities_key_like_epochs_model_names(tmp_path: Path) -> None:
    """The same model spelt differently in Epoch's file and OWID's chart gets one key, so the marts join on it."""
    names = [name for name, _ in TRICKY]
    epoch = tmp_path / "notable.csv"
    rows = "".join(f'"{n}",2023-01-01,1e24\n' for n in names)
    epoch.write_text("Model,Publication date,Training compute (FLOP)\n" + rows, encoding="utf-8")
    owid = tmp_path / "owid.csv"
    spelt = "".join(f'"{n.upper()} ",,2023-01-01,1e9\n' for n in names)
    owid.write_text("Entity,Code,Day,Training computation (petaFLOP)\n" + spelt, encoding="utf-8")
    models = tidy_models({"notable_models": read_csv_text(epoch)}).models
    series, _ = tidy_owid(read_csv_text(owid), "owid_training_computation")
    assert set(series["model_key"]) == set(models["model_key"]) == {key for _, key in TRICKY}


def test_no_mart_or_documented_query_normalises_names_in_sql() -> None:
    sql = [*PROJECT_ROOT.glob("dbt_like_models/models/**/*.sql"), *PROJECT_ROOT.glob("dbt_like_models/macros/*.sql")]
    sql += PROJECT_ROOT.glob("sql/queries/*.sql")
    found = {str(p.relative_to(PROJECT_ROOT)): SQL_NORMALISING.findall(p.read_text()) for p in sql}
    assert {p: f for p, f in found.items() if f} == {}, "join on the tidy layer's model_key instead"
