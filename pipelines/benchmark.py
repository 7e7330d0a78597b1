"""Speed goals, measured as ratios (never as timed tests): `python -m pipelines.benchmark` or `make bench`.

- an unchanged refresh against a full first build (goal: under 0.3: nothing is rebuilt, no body downloaded);
- the vectorised bootstrap against a per-resample Python loop (goal: under 0.7).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from pipelines.fits import _slopes, fit_log_linear
from pipelines.settings import PROJECT_ROOT


def _timed_refresh(env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "pipelines", "refresh"], cwd=PROJECT_ROOT, env=env, check=True, capture_output=True
    )
    return time.perf_counter() - started


def refresh_ratio() -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as base:
        env = {
            **os.environ,
            "SCALING_DATA_DIR": f"{base}/data",
            "SCALING_REPORTS_DIR": f"{base}/reports",
            "DAGSTER_HOME": f"{base}/dagster",
        }
        env.pop("SCALING_WAREHOUSE", None)
        Path(f"{base}/dagster").mkdir()
        return _timed_refresh(env), _timed_refresh(env)


def bootstrap_ratio(n: int = 500, resamples: int = 2000) -> tuple[float, float]:
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
    looped = time.perf_counter() - started
    return vectorised, looped


def main() -> int:
    vectorised, looped = bootstrap_ratio()
    print(
        f"bootstrap: vectorised {vectorised * 1000:.1f} ms, loop {looped * 1000:.1f} ms, "
        f"ratio {vectorised / looped:.3f} (goal < 0.7)"
    )
    if not os.environ.get("SCALING_SOURCES_MIRROR"):
        print("refresh: skipped (set SCALING_SOURCES_MIRROR to time a full and an unchanged refresh)")
        return 0
    full, unchanged = refresh_ratio()
    print(f"refresh: first build {full:.1f} s, unchanged {unchanged:.1f} s, ratio {unchanged / full:.2f} (goal < 0.3)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
