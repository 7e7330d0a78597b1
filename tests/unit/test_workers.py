"""The run's worker processes: they end with the run, and never outlive the process that started them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from pipelines.run import workers
from pipelines.settings import PROJECT_ROOT

STARTS_WORKERS = textwrap.dedent(
    """
    import os, time
    from pipelines.run import workers
    pids = {workers.submit(os.getpid).result() for _ in range(8)}
    print(" ".join(map(str, sorted(pids))), flush=True)
    time.sleep(60)
    """
)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as handle:  # a zombie has exited, only its parent has not reaped it
        return handle.read().split(") ")[1][0] != "Z"


def wait_until_gone(pids: list[int], timeout: float) -> list[int]:
    deadline = time.monotonic() + timeout
    while (left := [p for p in pids if alive(p)]) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


def test_workers_exit_when_the_process_that_started_them_is_killed() -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", STARTS_WORKERS], cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        pids = [int(p) for p in parent.stdout.readline().split()]
        assert pids and parent.pid not in pids
        parent.send_signal(signal.SIGKILL)  # no handler, no teardown: only the workers' own watch can end them
        parent.wait(10)
        assert wait_until_gone(pids, 5.0) == []
    finally:
        parent.kill()


def test_stop_ends_the_workers_at_the_end_of_a_run() -> None:
    if workers.WORKERS < 2:
        pytest.skip("one core: jobs run in the calling process, there are no workers to stop")
    pids = sorted({workers.submit(os.getpid).result() for _ in range(6)})
    assert os.getpid() not in pids and all(alive(p) for p in pids)
    workers.stop()
    assert not workers.running()
    assert wait_until_gone(pids, 5.0) == []
