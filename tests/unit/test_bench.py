"""`make bench`: every goal of the speed issue printed with its ratio, and the edits it makes to a mirror copy."""

from __future__ import annotations

import csv
from pathlib import Path

from pipelines.run.speed import Goal, enlarge, goals, new_release

TIMES = {"floor": 0.5, "full": 10.0, "unchanged": 3.0, "changed": 5.0, "x10": 16.0, "tests": 170.0}


def test_every_goal_is_judged_on_its_own_measure() -> None:
    found = {goal.label: goal for goal in goals(TIMES)}
    assert list(found) == ["full build", "unchanged refresh", "one changed source", "x10 model rows", "make test"]
    assert found["full build"].met and found["full build"].ratio == 20.0  # seconds judged, ratio to the floor shown
    assert not found["unchanged refresh"].met  # 3.0 s > 2.5 s
    assert found["one changed source"].met and found["one changed source"].ratio == 0.5
    assert not found["x10 model rows"].met and found["x10 model rows"].ratio == 1.6
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


def test_a_new_release_adds_one_model_and_revises_one_compute(tmp_path: Path) -> None:
    path = tmp_path / "notable.csv"
    write(path, [["Model", "Training compute (FLOP)"], ["A", ""], ["B", "2e23"]])
    new_release(path)
    assert read(path)[1:] == [["A", ""], ["B", "4e+23"], ["Benchmark model", ""]]
