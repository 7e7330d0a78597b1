"""`make bench`: every goal of the speed issue printed with its ratio, and the edits it makes to a mirror copy."""

from __future__ import annotations

import csv
from pathlib import Path

from pipelines.run.speed import CHART_MODULE, Goal, edit_chart_module, enlarge, goals, new_release
from pipelines.settings import PROJECT_ROOT

TIMES = {"floor": 0.5, "full": 10.0, "unchanged": 3.0, "changed": 5.0, "x10": 16.0, "tests": 170.0}
TIMES |= {"edited": 8.5, "load": 1.9}


def test_every_goal_is_judged_on_its_own_measure() -> None:
    found = {goal.label: goal for goal in goals(TIMES)}
    assert list(found) == [
        "full build",
        "unchanged refresh",
        "one changed source",
        "edit one chart",
        "definitions load",
        "x10 model rows",
        "make test",
    ]
    assert found["full build"].met and found["full build"].ratio == 20.0  # seconds judged, ratio to the floor shown
    assert not found["unchanged refresh"].met  # 3.0 s > 2.5 s
    assert found["one changed source"].met and found["one changed source"].ratio == 0.5
    assert not found["x10 model rows"].met and found["x10 model rows"].ratio == 1.6
    assert not found["edit one chart"].met and found["edit one chart"].ratio == 0.85  # 8.5 s > 8 s
    assert found["definitions load"].met and found["definitions load"].ratio is None
    assert found["make test"].met and found["make test"].ratio is None
    assert "goal <= 1.5    MISSED" in found["x10 model rows"].line()
    assert "goal <= 0.7    met" in Goal("bootstrap", None, 0.43, "a loop", "<= 0.7", True).line()


def write(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)


def read(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def test_ten_times_the_models_are_distinct_nearby_copies(tmp_path: Path) -> None:
    path = tmp_path / "models.csv"
    write(path, [["Model", "Publication date", "Training compute (FLOP)"], ["A", "2020-01-01", "1e24"], ["B", "", ""]])
    enlarge(path)
    rows = read(path)[1:]
    assert len(rows) == 20 and len({r[0] for r in rows}) == 20
    copy = next(r for r in rows if r[0] == "A (copy 3)")
    assert copy[1] == "2020-01-04" and float(copy[2]) == 1e24 * 1.01**3
    assert ["B (copy 9)", "", ""] in rows


def test_the_benchmark_edits_a_chart_module_of_its_own_copy_of_the_code(tmp_path: Path) -> None:
    module = tmp_path / CHART_MODULE
    module.parent.mkdir(parents=True)
    module.write_text("CHARTS = 1\n", encoding="utf-8")
    edit_chart_module(tmp_path)
    assert module.read_text(encoding="utf-8").startswith("CHARTS = 1\n") and module.read_text().count("\n#") == 1
    assert (PROJECT_ROOT / CHART_MODULE).exists()  # a real chart module, named relative to the project


def test_a_new_release_adds_one_model_and_revises_one_compute(tmp_path: Path) -> None:
    path = tmp_path / "notable.csv"
    write(path, [["Model", "Training compute (FLOP)"], ["A", ""], ["B", "2e23"]])
    new_release(path)
    assert read(path)[1:] == [["A", ""], ["B", "4e+23"], ["Benchmark model", ""]]
