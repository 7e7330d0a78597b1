"""The run's worker processes, for CPU-bound work the run's one thread would otherwise do alone: chart exports
(vl-convert holds the GIL for a whole render), the logistic fits of `trends.benchmark_scaling`, and the line and
breakpoint fits of `trends.fits` and `trends.breakpoints` when there are enough points to pay for the hand-over.

Two processes on a two-core machine; none on one core, where they could only add their start-up. They are spawned
(not forked: the parent has Dagster's and DuckDB's threads), deaf to Ctrl-C, which is the parent's to handle, and
live as long as the process that started them (a command, a UI run: each its own process), so only the first job
pays for starting them (half a second), and never longer: each watches its parent and exits when the parent is gone
(killed with -9, say), so no 300 MB worker outlives its run.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from multiprocessing import get_context
from typing import Any

WORKERS = min(2, os.cpu_count() or 1)

_workers: ProcessPoolExecutor | None = None


class WorkerError(RuntimeError):
    """A job failed in a worker process: its function and message."""


def _in_worker(function: Callable[..., Any], *args: Any) -> Any:
    """A job in a worker process; its failure comes back as one `WorkerError` line, not a remote traceback."""
    try:
        return function(*args)
    except Exception as exc:
        raise WorkerError(f"{function.__name__}: {type(exc).__name__}: {exc}") from None


PARENT_CHECK_S = 0.5


def _watch_parent(parent: int) -> None:
    """In a worker: exit as soon as the process that started it is gone (its parent is then another process)."""
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_S)
    os._exit(1)


def _start_worker(parent: int) -> None:
    """A worker's first act: deaf to Ctrl-C (the parent's to handle), and bound to the parent's life."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True, name="watch-parent").start()


def _pool() -> ProcessPoolExecutor:
    global _workers
    if _workers is None:
        _workers = ProcessPoolExecutor(
            WORKERS, mp_context=get_context("spawn"), initializer=_start_worker, initargs=(os.getpid(),)
        )
    return _workers


def stop() -> None:
    """The workers exit now (pending jobs cancelled): for a long-lived process (a notebook) that runs no more jobs."""
    global _workers
    workers, _workers = _workers, None
    if workers is not None:
        workers.shutdown(wait=True, cancel_futures=True)


def running() -> bool:
    """Whether the workers were started (a single job is then worth sending to them)."""
    return _workers is not None


def submit(function: Callable[..., Any], *args: Any, parallel: bool = True) -> Future:
    """`function(*args)` in a worker process when there are workers worth using, else here and now."""
    if parallel and WORKERS > 1:
        return _pool().submit(_in_worker, function, *args)
    done: Future = Future()
    try:
        done.set_result(function(*args))
    except Exception as exc:  # handed to whoever waits on the future, as a worker's would be
        done.set_exception(exc)
    return done


def starmap(function: Callable[..., Any], arguments: Iterable[tuple[Any, ...]], parallel: bool = True) -> list[Any]:
    """`[function(*args) for args in arguments]`, spread over the workers (here when not `parallel`), in order."""
    return [future.result() for future in [submit(function, *args, parallel=parallel) for args in arguments]]


def warm(function: Callable[[], Any]) -> None:
    """Start the workers now and run `function` (imports, caches) in them, on the cores the run's own thread leaves
    idle, so that their first real jobs start at once."""
    if WORKERS > 1:
        for _ in range(WORKERS):
            submit(function)
