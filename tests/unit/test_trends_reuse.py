"""Fit reuse: a job whose code version and inputs the warehouse holds a result of is read back bit for bit instead of
computed; a changed input or code computes it again; `ops.reused` says which; a result that is not a plain value is
refused."""

from __future__ import annotations

import pickle

import duckdb
import numpy as np
import polars as pl
import pytest

from pipelines.trends import reuse
from pipelines.warehouse import ensure_schemas

CALLS: list[float] = []


def noisy_slope(x: np.ndarray, y: np.ndarray, label: str) -> dict[str, object]:
    """A stand-in for a fit: a result with a float no recomputation could guess, and an array."""
    CALLS.append(float(x[0]))
    slope = float(np.polyfit(x, y, 1)[0]) + float(np.random.default_rng().normal(0, 1e-9))
    return {"label": label, "slope": slope, "residuals": y - slope * x}


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    ensure_schemas(connection)
    return connection


def jobs(shift: float = 0.0) -> list[tuple]:
    x = np.arange(10.0)
    return [(x, 2 * x + 1, "a"), (x + 100, 3 * x + shift, "b")]


def fitted(con: duckdb.DuckDBPyConnection, code: str | None, arguments: list[tuple]) -> list[dict]:
    CALLS.clear()
    with reuse.fits_reused(con, "demo", code):
        return reuse.reused_starmap(noisy_slope, arguments, parallel=False)


def reused_counts(con: duckdb.DuckDBPyConnection) -> tuple:
    return con.execute("select name, reused, computed from ops.reused where asset = 'trends/demo'").fetchone()


def test_a_job_with_the_same_code_and_inputs_is_reused_bit_for_bit(con: duckdb.DuckDBPyConnection) -> None:
    first = fitted(con, "v1", jobs())
    assert len(CALLS) == 2 and reused_counts(con) == ("noisy_slope", 0, 2)
    again = fitted(con, "v1", jobs())
    assert CALLS == []  # nothing computed: the noise of the first build comes back exactly
    assert reused_counts(con) == ("noisy_slope", 2, 0)
    for old, new in zip(first, again, strict=True):
        assert old["slope"] == new["slope"] and old["residuals"].tobytes() == new["residuals"].tobytes()


def test_a_changed_input_or_code_version_is_computed_again(con: duckdb.DuckDBPyConnection) -> None:
    first = fitted(con, "v1", jobs())
    changed = fitted(con, "v1", jobs(shift=0.5))
    assert CALLS == [100.0] and reused_counts(con) == ("noisy_slope", 1, 1)  # job b only
    assert changed[0]["slope"] == first[0]["slope"] and changed[1]["slope"] != first[1]["slope"]
    fitted(con, "v2", jobs(shift=0.5))
    assert len(CALLS) == 2 and reused_counts(con) == ("noisy_slope", 0, 2)


def test_the_file_keeps_the_results_of_its_own_build_only(con: duckdb.DuckDBPyConnection) -> None:
    fitted(con, "v1", jobs())
    fitted(con, "v1", jobs(shift=0.5))
    assert con.execute("select count(*) from ops.fit_results where step = 'demo'").fetchone() == (2,)


def test_without_a_code_version_nothing_is_reused_or_kept(con: duckdb.DuckDBPyConnection) -> None:
    fitted(con, None, jobs())
    fitted(con, None, jobs())
    assert len(CALLS) == 2
    assert con.execute("select count(*) from ops.fit_results").fetchone() == (0,)


def test_frames_assembled_in_other_chunks_give_the_same_key() -> None:
    store = reuse.FitStore("demo", "v1", {})
    whole = pl.DataFrame({"a": [1.0, 2.0, 3.0], "b": ["x", "y", "z"]})
    pieces = pl.concat([whole.head(1), whole.tail(2)], rechunk=False)
    assert pieces.n_chunks() == 2
    assert reuse.job_key(store, noisy_slope, (whole,)) == reuse.job_key(store, noisy_slope, (pieces,))
    assert reuse.job_key(store, noisy_slope, (whole,)) != reuse.job_key(store, noisy_slope, (whole.head(2),))


class Planted:
    def __reduce__(self):
        return (print, ("a stored result ran code",))


def test_a_stored_result_that_would_run_code_is_refused(con: duckdb.DuckDBPyConnection) -> None:
    fitted(con, "v1", jobs())
    con.execute("update ops.fit_results set result = ?", [pickle.dumps(Planted())])
    with pytest.raises(pickle.UnpicklingError, match=r"ops.fit_results holds a builtins.print"):
        fitted(con, "v1", jobs())


def test_a_step_without_fan_outs_keeps_and_records_nothing(con: duckdb.DuckDBPyConnection) -> None:
    with reuse.fits_reused(con, "plain", "v1"):
        pass
    assert con.execute("select count(*) from ops.fit_results").fetchone() == (0,)
    assert con.execute("select count(*) from ops.reused").fetchone() == (0,)
