"""What users wait for, measured in one run as ratios with their goals (never as timed tests): `make bench`.

- the floor: `python -m pipelines.run.speed floor`, a process that only does the data work (parse every source
  file with Polars, fit nine headline trends with 1,000 bootstrap resamples each), Python start included;
- a full build from an empty data directory, and the same refresh again with nothing changed;
- the refresh after one source (notable models) published a new release: one model added, one revised;
- the refresh after a comment is added to one chart module (every source unchanged);
- loading the Dagster code location (`import pipelines.definitions`, median of 5): what `dagster dev`, every run
  launched from the UI and every sensor evaluation pay;
- a full build with every model file ten times longer (each row and nine renamed copies of it);
- `make test`, the whole suite (`--skip-tests` leaves it out).

The builds run in a copy of the project's code (`pipelines/`, `dbt_like_models/`), so that editing a chart module
never touches the user's tree. Needs `SCALING_SOURCES_MIRROR` to be a directory: the benchmark copies it to edit
and enlarge model files. Exit status 1 when a goal is missed or a build failed.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from pipelines.settings import PROJECT_ROOT

NOTABLE = "epoch.ai/data/notable_ai_models.csv"
CHART_MODULE = "pipelines/reports/efficiency.py"  # the chart module the benchmark edits (in its copy of the code)
LOADS = 5  # definitions loads, of which the median counts
MODEL_FILES = (NOTABLE, "epoch.ai/data/frontier_ai_models.csv", "epoch.ai/data/large_scale_ai_models.csv")
SCALE = 10
SCALED_COLUMNS = (
    "Training compute (FLOP)",
    "Parameters",
    "Training dataset size (total)",
    "Training compute cost (2023 USD)",
)
# the nine headline trends of the floor: (source, date column, value column), fitted as log10 value per year
HEADLINES = (
    ("notable_models", "Publication date", "Training compute (FLOP)"),
    ("notable_models", "Publication date", "Parameters"),
    ("notable_models", "Publication date", "Training dataset size (total)"),
    ("notable_models", "Publication date", "Training compute cost (2023 USD)"),
    ("frontier_models", "Publication date", "Training compute (FLOP)"),
    ("large_scale_models", "Publication date", "Training compute (FLOP)"),
    ("ml_hardware", "Release date", "FP32 (single precision) performance (FLOP/s)"),
    ("ml_hardware", "Release date", "Tensor-FP16/BF16 performance (FLOP/s)"),
    ("ml_hardware", "Release date", "Release price (USD)"),
)


def floor(mirror: Path) -> int:
    """The data work alone: every source file parsed, nine log-linear trends with 1,000 resamples each."""
    import numpy as np
    import polars as pl

    from pipelines.raw.landing import read_source_file
    from pipelines.raw.mirror import mirrored_url
    from pipelines.raw.sources import SOURCES
    from pipelines.trends.fits import fit_log_linear

    now = datetime.now(UTC)
    frames = {}
    for source in SOURCES:
        path = Path(mirrored_url(source.url, str(mirror)).removeprefix("file://"))
        if path.exists():
            frames[source.name] = read_source_file(source, path, "", now)
    for name, date_column, value_column in HEADLINES:
        points = frames[name].select(
            year=pl.col(date_column).str.to_date(strict=False).dt.epoch("d") / 365.25 + 1970,
            value=pl.col(value_column).cast(pl.Float64, strict=False),
        )
        points = points.filter(pl.col("year").is_not_null() & (pl.col("value") > 0))
        fit_log_linear(points["year"].to_numpy(), np.log10(points["value"].to_numpy()), resamples=1000)
    return 0


def _records(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def _write_records(path: Path, header: list[str], records: list[list[str]]) -> None:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([header, *records])
    path.write_text(out.getvalue(), encoding="utf-8")


def _copy_row(row: list[str], header: list[str], k: int) -> list[str]:
    """Copy `k` of a model: a new name, published `k` days later, every figure 1% larger per copy, so the
    copies are distinct points around the real ones rather than repeats of them (a repeat counts once)."""
    copy = list(row)
    for index, column in enumerate(header):
        value = row[index].strip()
        if column == "Model":
            copy[index] = f"{value} (copy {k})"
        elif column == "Publication date" and value:
            with contextlib.suppress(ValueError):
                copy[index] = (date.fromisoformat(value[:10]) + timedelta(days=k)).isoformat()
        elif column in SCALED_COLUMNS and value:
            with contextlib.suppress(ValueError):
                copy[index] = repr(float(value) * 1.01**k)
    return copy


def enlarge(path: Path, times: int = SCALE) -> None:
    """Each model row, then `times - 1` nearby copies of it (see `_copy_row`)."""
    header, records = _records(path)
    copies = [_copy_row(r, header, k) for k in range(1, times) for r in records]
    _write_records(path, header, records + copies)


def new_release(path: Path) -> None:
    """A release as Epoch publishes them: one model added, one model's training compute revised."""
    header, records = _records(path)
    model, compute = header.index("Model"), header.index("Training compute (FLOP)")
    revised = next(r for r in records if r[compute].strip())
    revised[compute] = str(float(revised[compute]) * 2)
    _write_records(path, header, [*records, [*records[0][:model], "Benchmark model", *records[0][model + 1 :]]])


def project_copy(base: Path) -> Path:
    """The project's code under `base/project`, its dbt manifest made there (`make manifest`, with this venv)."""
    code = base / "project"
    for folder in ("pipelines", "dbt_like_models"):
        shutil.copytree(PROJECT_ROOT / folder, code / folder, ignore=shutil.ignore_patterns("__pycache__", "logs"))
    for name in ("Makefile", "pyproject.toml"):
        shutil.copy2(PROJECT_ROOT / name, code / name)  # mtimes kept: make sees the venv as installed
    (code / ".venv").symlink_to(PROJECT_ROOT / ".venv")
    timed(["make", "--no-print-directory", "manifest"], cwd=code)
    return code


def edit_chart_module(code: Path) -> None:
    """What a developer does before a refresh: a comment added to one chart module."""
    path = code / CHART_MODULE
    path.write_text(path.read_text(encoding="utf-8") + "\n# a comment added by the benchmark\n", encoding="utf-8")


@dataclass
class Workspace:
    """A data directory, reports and Dagster home of its own, fetching from a private copy of the mirror, run from
    the code in `code`."""

    base: Path
    mirror: Path
    code: Path

    @classmethod
    def make(cls, base: Path, mirror: Path, code: Path, edit: Callable[[Path], None] | None = None) -> Workspace:
        copy = base / "sources"
        shutil.copytree(mirror, copy)
        if edit:
            edit(copy)
        return cls(base, copy, code)

    def refresh(self) -> float:
        env = {
            **os.environ,
            "SCALING_DATA_DIR": str(self.base / "data"),
            "SCALING_REPORTS_DIR": str(self.base / "reports"),
            "DAGSTER_HOME": str(self.base / "dagster"),
            "SCALING_SOURCES_MIRROR": str(self.mirror),
        }
        env.pop("SCALING_WAREHOUSE", None)
        return timed([sys.executable, "-m", "pipelines", "refresh"], env, cwd=self.code)


def timed(command: list[str], env: dict[str, str] | None = None, cwd: Path = PROJECT_ROOT) -> float:
    """Wall seconds of a command that must succeed (its output's tail is shown when it does not)."""
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        failed = [line for line in done.stdout.splitlines() if line.startswith("FAILED")]
        tail = "\n".join(failed) or (done.stdout + done.stderr)[-3000:]
        raise RuntimeError(f"{' '.join(command)} exited {done.returncode}:\n{tail}")
    return elapsed


def definitions_load(code: Path) -> float:
    """The median wall time of `import pipelines.definitions` in a fresh interpreter."""
    command = [sys.executable, "-c", "import pipelines.definitions"]
    return statistics.median(timed(command, cwd=code) for _ in range(LOADS))


def measure(mirror: Path, with_tests: bool) -> dict[str, float]:
    """Every timing of the benchmark, in seconds."""
    times = {"floor": timed([sys.executable, "-m", "pipelines.run.speed", "floor"])}
    with tempfile.TemporaryDirectory(prefix="scaling-bench-") as scratch:
        code = project_copy(Path(scratch))
        times["load"] = definitions_load(code)
        one = Workspace.make(Path(scratch) / "x1", mirror, code)
        times["full"] = one.refresh()
        times["unchanged"] = one.refresh()
        new_release(one.mirror / NOTABLE)
        times["changed"] = one.refresh()
        edit_chart_module(code)
        times["edited"] = one.refresh()
        ten = Workspace.make(Path(scratch) / "x10", mirror, code, lambda m: [enlarge(m / f) for f in MODEL_FILES])
        times["x10"] = ten.refresh()
    if with_tests:
        times["tests"] = timed(["make", "test"], {**os.environ, "SCALING_SOURCES_MIRROR": str(mirror)})
    return times


def bootstrap_ratio(n: int = 500, resamples: int = 2000) -> float:
    """The vectorised bootstrap against a per-resample Python loop over the same draws (goal: under 0.7)."""
    import numpy as np

    from pipelines.trends.fits import _slopes, fit_log_linear

    rng = np.random.default_rng(0)
    x = rng.uniform(2010, 2025, n)
    y = 0.6 * x + rng.normal(0, 1, n)
    started = time.perf_counter()
    fit_log_linear(x, y, resamples=resamples)
    vectorised = time.perf_counter() - started
    started = time.perf_counter()
    for _ in range(resamples):
        index = rng.integers(0, n, n)
        _slopes(x[index][None, :], y[index][None, :])
    return vectorised / (time.perf_counter() - started)


@dataclass(frozen=True)
class Goal:
    """One measured wait, its ratio to what it is compared with, and the goal it must meet."""

    label: str
    seconds: float | None  # None for a pure ratio (the bootstrap's)
    ratio: float | None
    against: str
    goal: str
    met: bool

    def line(self) -> str:
        ratio = f"= {self.ratio:6.2f} x {self.against}" if self.ratio is not None else ""
        seconds = f"{self.seconds:7.1f} s" if self.seconds is not None else f"{'':9}"
        measured = f"{self.label:<20}{seconds} {ratio}"
        return f"{measured:<54} goal {self.goal:<9} {'met' if self.met else 'MISSED'}"


def goals(times: dict[str, float]) -> list[Goal]:
    """The goals of the speed issues: seconds for the full build, the unchanged refresh, the refresh after a chart
    module's edit and the definitions' load (the builds printed beside their ratio to the floor or the full build),
    ratios for a changed source and for ten times the data, seconds for the suite."""
    floor_s, full, unchanged, changed, x10 = (times[k] for k in ("floor", "full", "unchanged", "changed", "x10"))
    edited, load = times["edited"], times["load"]
    found = [
        Goal("full build", full, full / floor_s, "floor", "<= 20 s", full <= 20),
        Goal("unchanged refresh", unchanged, unchanged / floor_s, "floor", "<= 2.5 s", unchanged <= 2.5),
        Goal("one changed source", changed, changed / full, "full build", "<= 0.50", changed / full <= 0.5),
        Goal("edit one chart", edited, edited / full, "full build", "<= 8 s", edited <= 8),
        Goal("definitions load", load, None, "", "<= 2 s", load <= 2),
        Goal("x10 model rows", x10, x10 / full, "x1 build", "<= 1.5", x10 / full <= 1.5),
    ]
    if "tests" in times:
        found.append(Goal("make test", times["tests"], None, "", "<= 180 s", times["tests"] <= 180))
    return found


def report(times: dict[str, float]) -> bool:
    """Print every goal with its measured time and ratio; True when all are met."""
    work = f"parse every source file, fit {len(HEADLINES)} headline trends x 1,000 resamples"
    print(f"floor ({work}): {times['floor']:.2f} s")
    found = goals(times)
    for goal in found:
        print(goal.line())
    ratio = bootstrap_ratio()
    bootstrap = Goal("bootstrap", None, ratio, "a per-resample loop", "<= 0.7", ratio <= 0.7)
    print(bootstrap.line())
    return all(goal.met for goal in [*found, bootstrap])


def main(argv: list[str]) -> int:
    mirror = os.environ.get("SCALING_SOURCES_MIRROR", "")
    if not mirror or not Path(mirror).is_dir():
        print(f"SCALING_SOURCES_MIRROR={mirror!r}: set it to the mirror directory (e.g. ../shared/sources)")
        return 2
    if argv[:1] == ["floor"]:
        return floor(Path(mirror))
    return 0 if report(measure(Path(mirror), with_tests="--skip-tests" not in argv)) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
