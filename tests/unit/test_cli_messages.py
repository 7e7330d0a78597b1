"""The command line's FAILED lines name the innermost cause, not Dagster's wrapper text."""

from __future__ import annotations

import sys
import traceback

from dagster_shared.error import SerializableErrorInfo

from pipelines.run.cli import root_cause


class InsufficientData(ValueError):
    pass


def _wrapped_error():
    try:
        try:
            raise InsufficientData("0 points")
        except InsufficientData as inner:
            raise RuntimeError('Error occurred while executing op "trends__fits":') from inner
    except RuntimeError:
        return SerializableErrorInfo.from_traceback(traceback.TracebackException(*sys.exc_info()))


def test_the_innermost_exception_is_named_with_its_message() -> None:
    assert root_cause(_wrapped_error()) == "InsufficientData: 0 points"


def test_an_exception_raised_while_handling_another_is_followed_too() -> None:
    try:
        try:
            raise TypeError("unsupported operand type(s) for +: 'int' and 'str'")
        except TypeError:
            raise RuntimeError("Error occurred while executing op") from None
    except RuntimeError:
        error = SerializableErrorInfo.from_traceback(traceback.TracebackException(*sys.exc_info()))
    assert root_cause(error) == "RuntimeError: Error occurred while executing op"  # `from None`: no cause to follow


def test_an_interrupt_wrapped_by_a_library_is_still_an_interrupt() -> None:
    """SIGTERM inside DuckDB's Arrow read reached the step as `InvalidInputException: ... DagsterExecutionInterrupted
    Error`: the command must stop (exit 130), not carry on into the rebuild."""
    from pipelines.run.cli import _interrupt_in

    try:
        raise ValueError(
            "Invalid Input Error: reading the object registered as '_incoming' as Arrow data failed: "
            "DagsterExecutionInterruptedError:"
        )
    except ValueError:
        wrapped = SerializableErrorInfo.from_traceback(traceback.TracebackException(*sys.exc_info()))
    assert _interrupt_in(wrapped)
    assert not _interrupt_in(_wrapped_error())


def test_the_command_run_in_process_answers_as_the_subprocess_does(tmp_path) -> None:
    """The e2e tests run `python -m pipelines` in-process (`run_cli`) where a separate process is not the point:
    the same exit code and the same output as the interpreter's, and argparse's errors become exit code 2."""
    import subprocess

    from conftest import pipeline_env, run_cli

    from pipelines.settings import PROJECT_ROOT

    env = pipeline_env(tmp_path, "http://127.0.0.1:9")
    spawned = subprocess.run(
        [sys.executable, "-m", "pipelines", "status"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True
    )
    in_process = run_cli(env, "status")
    assert (in_process.returncode, in_process.stdout) == (spawned.returncode, spawned.stdout)
    assert in_process.returncode == 1 and "no warehouse at" in in_process.stdout
    unknown = run_cli(env, "nonsense")
    assert unknown.returncode == 2 and "invalid choice: 'nonsense'" in unknown.stderr


def test_a_signal_swallowed_by_another_handler_still_marks_the_command_interrupted() -> None:
    """Inside a step Dagster's handler takes SIGTERM, and DuckDB may report it as `Query interrupted`: the command
    still learns of it (the wakeup fd of `sigterm_as_interrupt`)."""
    import os
    import signal

    from pipelines.run.cli import interrupted, sigterm_as_interrupt

    with sigterm_as_interrupt():
        assert not interrupted()
        swallowed: list[int] = []
        previous = signal.signal(signal.SIGTERM, lambda signum, frame: swallowed.append(signum))
        try:
            os.kill(os.getpid(), signal.SIGTERM)
        finally:
            signal.signal(signal.SIGTERM, previous)
        assert swallowed == [signal.SIGTERM]
        assert interrupted()
    with sigterm_as_interrupt():
        assert not interrupted()  # a new command starts afresh


def test_a_run_that_succeeded_as_the_signal_came_is_marked_canceled_and_a_failed_one_stays_failed() -> None:
    from dagster import DagsterInstance, DagsterRunStatus, asset, materialize

    from pipelines.run.cli import _discard_finished_run

    @asset
    def fine() -> None: ...

    @asset
    def broken() -> None:
        raise ValueError("broken")

    with DagsterInstance.ephemeral() as instance:
        succeeded = materialize([fine], instance=instance)
        failed = materialize([broken], instance=instance, raise_on_error=False)
        for result in (succeeded, failed):
            _discard_finished_run(instance, result.run_id)
        assert instance.get_run_by_id(succeeded.run_id).status == DagsterRunStatus.CANCELED
        assert instance.get_run_by_id(failed.run_id).status == DagsterRunStatus.FAILURE


def _fails_in_a_worker(name: str) -> None:
    raise ValueError(f"control character in {name!r}")


def test_a_failure_in_a_worker_process_is_named_not_its_remote_traceback() -> None:
    from concurrent.futures import ProcessPoolExecutor
    from multiprocessing import get_context

    with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
        try:
            pool.submit(_fails_in_a_worker, "GPT\x00-5").result()
        except ValueError:
            error = SerializableErrorInfo.from_traceback(traceback.TracebackException(*sys.exc_info()))
    assert error.cause is not None and error.cause.cls_name == "_RemoteTraceback"  # what Python attaches
    assert root_cause(error) == "ValueError: control character in 'GPT\\x00-5'"


def test_with_no_source_reachable_the_command_says_so_first_in_a_few_lines(tmp_path) -> None:
    """A closed port as the mirror: one line says no source answered, one FAILED line per source, where the full
    logs are, and no Dagster log line or stack trace."""
    import os

    from conftest import run_cli

    from pipelines.raw.sources import SOURCES

    env = {
        **os.environ,
        "SCALING_DATA_DIR": str(tmp_path / "data"),
        "SCALING_REPORTS_DIR": str(tmp_path / "reports"),
        "SCALING_SOURCES_MIRROR": "http://127.0.0.1:9",
        "SCALING_FETCH_BACKOFF": "0",
        "DAGSTER_HOME": str(tmp_path / "dagster"),
    }
    done = run_cli(env, "refresh")
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    assert done.returncode == 1, done.stdout
    failed = [line for line in lines if line.startswith("FAILED ")]
    assert len(failed) == len(SOURCES) and all(line.startswith("FAILED raw__") for line in failed), failed
    assert lines.index(next(line for line in lines if "no source is reachable" in line)) < lines.index(failed[0])
    assert "http://127.0.0.1:9" in done.stdout and "full logs: Dagster run(s)" in lines[-1]
    assert len(lines) < 25 and "Traceback" not in done.stdout + done.stderr and done.stderr.strip() == ""


def test_a_step_past_its_deadline_is_stopped_and_reported_as_a_failed_step() -> None:
    """A step stuck for far longer than SCALING_STEP_DEADLINE: stopped in about the deadline, one FAILED line naming
    it, and the command goes on to report (exit 1) instead of treating it as the user's Ctrl-C."""
    import time

    from dagster import DagsterInstance, Definitions, asset, define_asset_job

    from pipelines.run.cli import build_failed, interrupted, run_phase, sigterm_as_interrupt

    @asset
    def stuck() -> None:
        time.sleep(60)

    job = Definitions(assets=[stuck], jobs=[define_asset_job("stuck_job")]).resolve_job_def("stuck_job")
    started = time.monotonic()
    with DagsterInstance.ephemeral() as instance, sigterm_as_interrupt():
        phase = run_phase("rebuild", job, instance, deadline_s=1.0)
        assert not interrupted()
    assert time.monotonic() - started < 10
    assert phase.failed_steps == ["stuck: stopped after 1 s, the step deadline (SCALING_STEP_DEADLINE)"]
    assert build_failed(phase) and phase.run_id


def test_a_source_failed_only_by_its_blocking_check_is_said_once_by_the_check() -> None:
    from pipelines.run.cli import said_by_its_check

    checks = ["raw/notable_models check size_within_limits failed: 178,400,881 bytes, over its max_bytes limit"]
    assert said_by_its_check("raw__notable_models: DagsterAssetCheckFailedError: 1 blocking asset check failed", checks)
    assert not said_by_its_check("raw__ml_hardware: DagsterAssetCheckFailedError: 1 blocking check failed", checks)
    assert not said_by_its_check("raw__notable_models: FetchError: answered 503", checks)
