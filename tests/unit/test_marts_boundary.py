"""The flow is raw → tidy → marts → trends → reports: trends and pages read the marts (pages also trends.*)."""

from __future__ import annotations

import re

from pipelines.settings import PROJECT_ROOT

BYPASS = re.compile(r"(?<!pipelines\.)\b(tidy|raw)\.")  # a table, not a module such as pipelines.raw.sources


def test_no_trend_or_chart_module_reads_a_tidy_or_raw_table() -> None:
    # issue 11: trends and four chart modules used to read tidy.* and raw.* directly, bypassing the marts
    # (the files a page cites come from ops.source_versions, the bookkeeping that swaps with each raw table)
    exempt: set[str] = set()
    found = []
    for folder in ("pipelines/trends", "pipelines/reports"):
        for path in sorted((PROJECT_ROOT / folder).glob("*.py")):
            relative = path.relative_to(PROJECT_ROOT).as_posix()
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if BYPASS.search(line) and relative not in exempt:
                    found.append(f"{relative}:{number}: {line.strip()}")
    assert found == [], "\n".join(found)


def test_the_model_file_priority_is_read_from_the_dbt_seed() -> None:
    # the "which Epoch file wins" rule used to be written twice, in Python and in a dbt macro
    from pipelines.tidy.models import MODEL_SOURCE_PRIORITY, SOURCE_PRIORITY_FILE

    assert SOURCE_PRIORITY_FILE.parent == PROJECT_ROOT / "dbt_like_models" / "seeds"
    assert MODEL_SOURCE_PRIORITY == ("notable_models", "frontier_models", "large_scale_models", "all_models")
    sql = (PROJECT_ROOT / "dbt_like_models" / "models" / "intermediate" / "int_model_facts.sql").read_text()
    assert "ref('model_source_priority')" in sql
    assert not (PROJECT_ROOT / "dbt_like_models" / "macros" / "source_priority.sql").exists()
