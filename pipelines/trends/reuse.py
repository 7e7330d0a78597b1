"""Fits reused from the build the warehouse holds: new work only.

A trends step spends its seconds in a few fan-outs of independent jobs (a benchmark's bootstrapped logistic fits, a
series' breakpoint search, a group of same-size line fits, a pooled slope). Most of them read rows a new release did
not touch: a notable-models release leaves every benchmark's scores alone. So each job is keyed by the sha256 of its
step's code version, its function and its inputs (the arguments it is handed: the rows it reads, as frames and
arrays), and its result is kept in `ops.fit_results` beside the tables it went into. The next build of the step runs
only the jobs whose key the file does not hold, and takes the others' results back bit for bit. The file keeps the
results of its own build only (each step's rows are replaced), and `ops.reused` says per step and job what was
reused and what computed.

Keys include the code version Dagster gives the step's asset (its module and every project module it reads), so an
edited fit is computed again; without one (a test calling `run_step` alone) nothing is reused or kept. Results are
pickled; they are read back with an unpickler that builds nothing but plain values, numpy arrays and this project's
dataclasses, since the warehouse file is also open to its readers.
"""

from __future__ import annotations

import hashlib
import io
import pickle
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import duckdb
import polars as pl

from pipelines.run import workers
from pipelines.warehouse import record_reuse


@dataclass
class FitStore:
    """One step's jobs: the results the file holds (`known`), and this build's (`kept`), by key."""

    step: str
    code_version: str
    known: dict[str, bytes]
    kept: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # key -> (function, pickled result)
    counts: dict[str, list[int]] = field(default_factory=dict)  # function -> [reused, computed]

    def count(self, function: str, reused: int, computed: int) -> None:
        counts = self.counts.setdefault(function, [0, 0])
        counts[0] += reused
        counts[1] += computed


_store: ContextVar[FitStore | None] = ContextVar("fit_store", default=None)


def _canonical(value: Any) -> Any:
    """`value` with every frame in one chunk: equal rows pickle to equal bytes, however they were assembled."""
    if isinstance(value, pl.DataFrame | pl.Series):
        return value.rechunk()
    if isinstance(value, tuple | list):
        return type(value)(_canonical(v) for v in value)
    return value


def job_key(store: FitStore, function: Callable[..., Any], args: tuple[Any, ...]) -> str:
    """sha256 of the step's code version, the job's function and its inputs."""
    digest = hashlib.sha256(f"{store.code_version}\0{function.__module__}.{function.__qualname__}\0".encode())
    digest.update(pickle.dumps(_canonical(args), protocol=5))
    return digest.hexdigest()


# what a stored result may be built from: plain values, dates, numpy arrays and scalars, and this project's classes
PLAIN_NAMES = {
    "builtins": {"bool", "bytearray", "bytes", "complex", "dict", "float", "frozenset", "int", "list", "set", "str"}
    | {"slice", "tuple"},
    "collections": {"OrderedDict"},
    "datetime": {"date", "datetime", "time", "timedelta", "timezone"},
    "numpy": {"dtype", "ndarray"},
    "numpy.core.multiarray": {"_reconstruct", "scalar"},
    "numpy._core.multiarray": {"_reconstruct", "scalar"},
    "numpy.core.numeric": {"_frombuffer"},
    "numpy._core.numeric": {"_frombuffer"},
}


class _PlainUnpickler(pickle.Unpickler):
    """Builds plain values, numpy arrays, dates and this project's classes (dataclasses, enums), nothing else."""

    def find_class(self, module: str, name: str) -> Any:
        if module.startswith("pipelines.trends."):
            found = super().find_class(module, name)
            if isinstance(found, type):  # a dataclass or an enum, not a function
                return found
        elif name in PLAIN_NAMES.get(module, ()):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"ops.fit_results holds a {module}.{name}, which a fit result never is")


def _loads(data: bytes) -> Any:
    return _PlainUnpickler(io.BytesIO(data)).load()


def reused_starmap(
    function: Callable[..., Any], arguments: Sequence[tuple[Any, ...]], *, parallel: bool = True
) -> list[Any]:
    """`[function(*args) for args in arguments]`: the results the warehouse holds for these inputs and this code
    read back, the others computed (in the worker processes unless not `parallel`) and kept for the next build."""
    arguments = list(arguments)
    store = _store.get()
    if store is None:
        return workers.starmap(function, arguments, parallel=parallel)
    keys = [job_key(store, function, args) for args in arguments]
    todo = [i for i, key in enumerate(keys) if key not in store.known]
    fresh = workers.starmap(function, [arguments[i] for i in todo], parallel=parallel and len(todo) > 1)
    computed = dict(zip(todo, fresh, strict=True))
    results = []
    for i, key in enumerate(keys):
        result = computed[i] if i in computed else _loads(store.known[key])
        store.kept[key] = (function.__qualname__, store.known.get(key) or pickle.dumps(result, protocol=5))
        results.append(result)
    store.count(function.__qualname__, len(keys) - len(todo), len(todo))
    return results


def load_results(con: duckdb.DuckDBPyConnection, step: str) -> dict[str, bytes]:
    """The results the file holds for `step`, by key."""
    rows = con.execute("select key, result from ops.fit_results where step = ?", [step]).fetchall()
    return {key: bytes(result) for key, result in rows}


def save_results(con: duckdb.DuckDBPyConnection, store: FitStore) -> None:
    """This build's results of the step in place of the last build's, and what it reused."""
    con.execute("delete from ops.fit_results where step = ?", [store.step])
    rows = [[store.step, function, key, result] for key, (function, result) in store.kept.items()]
    if rows:  # a step without fan-outs keeps nothing (and DuckDB refuses an empty executemany)
        con.executemany("insert into ops.fit_results values (?, ?, ?, ?, now())", rows)
    record_reuse(con, f"trends/{store.step}", "fit", {f: tuple(c) for f, c in store.counts.items()})


@contextmanager
def fits_reused(con: duckdb.DuckDBPyConnection, step: str, code_version: str | None) -> Iterator[FitStore | None]:
    """While the step builds, its fan-outs reuse what the file holds; its results are kept when it succeeds."""
    if not code_version:
        yield None
        return
    store = FitStore(step, code_version, load_results(con, step))
    token = _store.set(store)
    try:
        yield store
    finally:
        _store.reset(token)
    save_results(con, store)
