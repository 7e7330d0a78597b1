"""Shared fixtures: the source mirrors on disk (the real one, and the small one of trimmed real rows the unit tests
read), a local HTTP server over a mirror that can misbehave on demand, the session's one full build (copied, not
rebuilt, by tests that write) and read-only queries of it, and the command line run in-process.

Each fixture sits in its own section; add new ones below the last section.
"""

from __future__ import annotations

import contextlib
import email.utils
import fcntl
import hashlib
import http.server
import io
import json
import mimetypes
import os
import shutil
import subprocess
import sys
import threading
import time
import traceback
from collections import deque
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

# The order in which `make test` hands whole modules to its two workers (--dist loadscope --no-loadscope-reorder):
# the operations module first (the longest: it waits for the session build, then runs two minutes of refreshes),
# then modules that need no build, for the other worker while the first builds, then the other long modules. The
# rest follow as collected, for whichever worker is free first; the two end within seconds of each other.
MODULE_ORDER = (
    "tests/e2e/test_operations.py",
    "tests/assets/test_marts_dbt.py",
    "tests/assets/test_staleness.py",
    "tests/assets/test_definitions.py",
    "tests/browser/test_reports_in_chromium.py",
    "tests/e2e/test_publication.py",
)


# What only the real mirror (or the session's build of it) can give: no unit test asks for one, directly or through
# another fixture (`con`, `http_mirror` over another root, ...).
REAL_MIRROR_FIXTURES = ("shared_sources", "built_warehouse", "served_copy")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Modules in `MODULE_ORDER`, then the rest as collected; a module's tests keep their order. A unit test that
    asks for the real mirror stops the collection: unit tests read `tests/fixtures/sources` (`fixture_sources`)."""
    leaning = [
        f"{item.nodeid} asks for {sorted(set(item.fixturenames) & set(REAL_MIRROR_FIXTURES))}"
        for item in items
        if item.nodeid.startswith("tests/unit/") and set(item.fixturenames) & set(REAL_MIRROR_FIXTURES)
    ]
    if leaning:
        raise pytest.UsageError("unit tests stand on their own, without the source mirror:\n" + "\n".join(leaning))
    rank = {module: i for i, module in enumerate(MODULE_ORDER)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))


PROJECT_ROOT = Path(__file__).resolve().parent.parent

# -- the source mirrors on disk ---------------------------------------------------------------------------------

# Trimmed real rows laid out like the real mirror, written by tests/fixtures/make_fixtures.py (which rows, and why)
FIXTURE_SOURCES = PROJECT_ROOT / "tests" / "fixtures" / "sources"


@pytest.fixture(scope="session")
def shared_sources() -> Path:
    """The real mirror: read-only copies of the published files, laid out as `<host>/<path>` (see its README).
    `SCALING_SOURCES_MIRROR`, when it names a directory path, is where it is, and nowhere else; unset (or a URL),
    it is `../shared/sources` beside the project."""
    configured = os.environ.get("SCALING_SOURCES_MIRROR")
    if configured and "://" not in configured:
        mirror = Path(configured).expanduser().resolve()
        if not mirror.is_dir():
            pytest.fail(f"the source mirror is missing: SCALING_SOURCES_MIRROR={configured!r} is not a directory")
        return mirror
    default = (PROJECT_ROOT / ".." / "shared" / "sources").resolve()
    if not default.is_dir():
        pytest.fail(
            f"the source mirror is missing: {default} does not exist; point SCALING_SOURCES_MIRROR at a directory "
            "holding <host>/<path> copies of the sources"
        )
    return default


@pytest.fixture(scope="session")
def fixture_sources() -> Path:
    """The small mirror the unit tests read: a few dozen real rows of each source, laid out as the real one."""
    assert (FIXTURE_SOURCES / "epoch.ai").is_dir(), f"{FIXTURE_SOURCES} is missing: see tests/fixtures/make_fixtures.py"
    return FIXTURE_SOURCES


def source_file(root: Path, name: str) -> Path:
    """Where a mirror directory `root` keeps the file of the source called `name` (its URL less scheme and query)."""
    from pipelines.raw.sources import source

    return root / source(name).url.split("://", 1)[1].split("?")[0]


def published_records(path: Path) -> int:
    """The records a real CSV parser reads in a published file past its header (a zip: in all its CSV members): the
    rows its raw table must hold, counted without the pipeline's own reader."""
    import csv
    import zipfile

    def records(text: str) -> int:
        return sum(1 for _ in csv.reader(io.StringIO(text, newline=""))) - 1

    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.namelist() if m.endswith(".csv")]
            return sum(records(archive.read(m).decode("utf-8-sig")) for m in members)
    return records(path.read_text(encoding="utf-8"))


# -- a local HTTP server over a mirror directory ----------------------------------------------------------------

_CONTENT_TYPES = {".csv": "text/csv; charset=utf-8", ".zip": "application/zip", ".json": "application/json"}
_HTML_PAGE = b"<!DOCTYPE html>\n<html><head><title>Error</title></head><body><h1>Not here</h1></body></html>\n"


@dataclass
class MirrorServer:
    """A live HTTP mirror: files under `root` by URL path, with faults queued per path by `fault`.

    `requests` lists `(method, path, headers)` for every request received, in order.
    """

    root: Path
    base_url: str = ""
    requests: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)
    _faults: dict[str, deque[tuple[Any, ...]]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def fault(self, path: str, *actions: tuple[Any, ...]) -> None:
        """Queue actions for `path`, one consumed per request: ("status", 500), ("html", 404), ("html", 200),
        ("truncate", nbytes) (full Content-Length, first nbytes, then close), ("sleep", seconds) (before headers),
        ("trickle", seconds) (full Content-Length, then one byte every `seconds` until the client gives up),
        ("redirect", path) (302 to another path on this server)."""
        known = {"status", "html", "truncate", "sleep", "trickle", "redirect"}
        for action in actions:
            if action[0] not in known:
                raise ValueError(f"unknown fault {action!r}; known: {sorted(known)}")
        with self._lock:
            self._faults.setdefault(path, deque()).extend(actions)

    def clear_faults(self) -> None:
        """Drop every queued fault: the server answers normally again."""
        with self._lock:
            self._faults.clear()

    def url(self, path: str) -> str:
        """The full URL of a path on this server."""
        return f"{self.base_url}/{path.lstrip('/')}"

    def paths_requested(self, path: str) -> int:
        """How many requests asked for `path`."""
        return sum(1 for _, requested, _ in self.requests if requested == path)

    def _next_fault(self, path: str) -> tuple[Any, ...] | None:
        with self._lock:
            queue = self._faults.get(path)
            return queue.popleft() if queue else None


class _MirrorHandler(http.server.BaseHTTPRequestHandler):
    """Serves `server.mirror.root`; HTTP/1.0 so every response closes its connection (truncation is visible)."""

    server_version = "test-mirror/1.0"
    mirror: MirrorServer  # set on the subclass made per server

    def do_GET(self) -> None:
        self._serve(body=True)

    def do_HEAD(self) -> None:
        self._serve(body=False)

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the per-request log lines."""

    def _serve(self, body: bool) -> None:
        path = unquote(urlsplit(self.path).path)
        self.mirror.requests.append((self.command, path, dict(self.headers.items())))
        # the client may give up (read timeout) before the answer: expected in fault tests
        with contextlib.suppress(BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
            self._respond(path, body)

    def _respond(self, path: str, body: bool) -> None:
        fault = self.mirror._next_fault(path)
        if fault is not None and fault[0] == "sleep":
            time.sleep(float(fault[1]))
            fault = None
        if fault is not None and fault[0] == "status":
            self._send(int(fault[1]), b"injected failure\n", "text/plain", body)
            return
        if fault is not None and fault[0] == "html":
            self._send(int(fault[1]), _HTML_PAGE, "text/html; charset=utf-8", body)
            return
        file = self._file(path)
        if file is None:
            self._send(404, _HTML_PAGE, "text/html; charset=utf-8", body)
            return
        data = file.read_bytes()
        etag = f'"{hashlib.sha256(data).hexdigest()}"'
        headers = {"ETag": etag, "Last-Modified": email.utils.formatdate(file.stat().st_mtime, usegmt=True)}
        if fault is not None and fault[0] == "trickle":  # even to a conditional GET: a server stuck mid-answer
            self._send(200, data, "text/csv", False, headers)
            for byte in data:
                time.sleep(float(fault[1]))
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
            return
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match and ("*" in if_none_match or etag in [t.strip() for t in if_none_match.split(",")]):
            self._send(304, b"", None, False, headers)
            return
        content_type = _CONTENT_TYPES.get(file.suffix.lower()) or mimetypes.guess_type(file.name)[0]
        if fault is not None and fault[0] == "redirect":
            self._send(302, b"", None, body, {"Location": self.mirror.url(str(fault[1]))})
            return
        if fault is not None and fault[0] == "truncate":
            self._send(200, data, content_type, body, headers, send_only=int(fault[1]))
            return
        self._send(200, data, content_type, body, headers)

    def _file(self, path: str) -> Path | None:
        root = self.mirror.root.resolve()
        candidate = (root / path.lstrip("/")).resolve()
        if not candidate.is_relative_to(root) or not candidate.is_file():
            return None
        return candidate

    def _send(
        self,
        status: int,
        data: bytes,
        content_type: str | None,
        body: bool,
        headers: dict[str, str] | None = None,
        send_only: int | None = None,
    ) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        if status != 304:
            self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        if body and status != 304:
            self.wfile.write(data if send_only is None else data[:send_only])
        self.wfile.flush()
        self.close_connection = True


class _QuietServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that hang up mid-response are part of the tests: no tracebacks on stderr."""


@contextlib.contextmanager
def serving(handler: type[http.server.BaseHTTPRequestHandler]) -> Iterator[str]:
    """`handler` answering HTTP on 127.0.0.1 (a free port), in a thread, until the block ends; yields the base URL."""
    server = _QuietServer(("127.0.0.1", 0), handler)
    host, port = server.server_address[:2]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextlib.contextmanager
def serve_mirror(root: Path) -> Iterator[MirrorServer]:
    """Serve `root` over HTTP on 127.0.0.1 (a free port) until the block ends."""
    mirror = MirrorServer(root=root)
    with serving(type("MirrorHandler", (_MirrorHandler,), {"mirror": mirror})) as base_url:
        mirror.base_url = base_url
        yield mirror


@pytest.fixture
def http_mirror(fixture_sources: Path) -> Iterator[MirrorServer]:
    """A local HTTP server over the small mirror of `fixture_sources` (set `.root` to serve another directory), torn
    down after the test."""
    with serve_mirror(fixture_sources) as mirror:
        yield mirror


# -- a warehouse built once per session by the real command line, fetching over HTTP -------------------------------


@dataclass(frozen=True)
class BuildEvents:
    """The Dagster events of a command's runs, read back from its instance: what tests ask of an
    `ExecuteInProcessResult` (success, every event, the asset-check evaluations), over all the command's runs."""

    success: bool
    all_events: list[Any]

    def get_asset_check_evaluations(self) -> list[Any]:
        from dagster import DagsterEventType

        return [
            e.event_specific_data for e in self.all_events if e.event_type == DagsterEventType.ASSET_CHECK_EVALUATION
        ]


def build_events(home: Path) -> BuildEvents:
    """Every run recorded in the Dagster home `home`, oldest first, as one `BuildEvents`."""
    from dagster import DagsterInstance, DagsterRunStatus

    with DagsterInstance.from_config(str(home)) as instance:
        runs = list(reversed(instance.get_runs()))
        events = [r.dagster_event for run in runs for r in instance.all_logs(run.run_id) if r.dagster_event]
    return BuildEvents(
        success=bool(runs) and all(r.status == DagsterRunStatus.SUCCESS for r in runs), all_events=events
    )


@dataclass(frozen=True)
class BuiltWarehouse:
    """The session's build: `python -m pipelines refresh` on an empty data dir (in-process), under `base`."""

    settings: Any
    result: BuildEvents
    mirror: MirrorServer
    base: Path
    cli: CliResult


@pytest.fixture(scope="session")
def built_warehouse(shared_sources: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BuiltWarehouse]:
    """The first pull a user makes, sources served by a local HTTP server; tests that write start from a copy
    (`copy_build`) rather than build again. One build per test run: under xdist the first worker to need it builds
    it into the folder the workers share, holding a file lock, and the other waits for it instead of building the
    same thing at the same time on the same two cores. Nothing writes it afterwards; each worker serves the mirror
    for its own session."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the run's folder, shared by its workers
    base = root / "session_build"
    with serve_mirror(shared_sources) as mirror:
        with exclusive(root / "session_build.lock"):
            done = finished_build(base) or first_pull(base, mirror)
        yield BuiltWarehouse(
            pipeline_settings(base, mirror.base_url), build_events(base / "dagster"), mirror, base, done
        )


@contextlib.contextmanager
def exclusive(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on `path` (created if missing) across processes."""
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


BUILD_RESULT = "cli.json"  # written last: a folder without it is a build that did not finish


def finished_build(base: Path) -> CliResult | None:
    """What the build under `base` printed, when another worker finished it."""
    result = base / BUILD_RESULT
    return CliResult(**json.loads(result.read_text(encoding="utf-8"))) if result.exists() else None


def first_pull(base: Path, mirror: MirrorServer) -> CliResult:
    """`python -m pipelines refresh` on an empty data dir under `base`, its result recorded for the other worker."""
    shutil.rmtree(base, ignore_errors=True)  # what a worker that crashed mid-build left
    base.mkdir(parents=True)
    done = run_cli(pipeline_env(base, mirror.base_url), "refresh")
    (base / BUILD_RESULT).write_text(json.dumps(asdict(done)), encoding="utf-8")
    return done


def copy_build(built: BuiltWarehouse, base: Path, *, reports: bool = True, history: bool = True) -> None:
    """The session build's data dir (without its lock file), and its reports and Dagster home when asked, copied
    under `base` in the layout of `pipeline_env`: a built warehouse in milliseconds instead of a new build."""
    shutil.copytree(built.base / "data", base / "data", ignore=shutil.ignore_patterns("*.lock"))
    if reports:
        shutil.copytree(built.base / "reports", base / "reports")
    if history:
        shutil.copytree(built.base / "dagster", base / "dagster")


# -- an editable copy of the mirror, served over HTTP for a whole test module -------------------------------------


@pytest.fixture(scope="module")
def served_copy(shared_sources: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[MirrorServer]:
    """A private copy of the mirror (tests edit files in `.root` to publish new releases) behind a local server."""
    root = tmp_path_factory.mktemp("mirror") / "sources"
    shutil.copytree(shared_sources, root)
    with serve_mirror(root) as mirror:
        yield mirror


# -- the command line as a user runs it: its own data directory and Dagster home --------------------------------


def pipeline_env(base: Path, mirror_url: str) -> dict[str, str]:
    """The environment of `python -m pipelines` writing under `base`, fetching from `mirror_url`, retrying at once
    (the retries are what tests count; the backoff between them would only be waited for)."""
    env = {
        **os.environ,
        "SCALING_DATA_DIR": str(base / "data"),
        "SCALING_REPORTS_DIR": str(base / "reports"),
        "SCALING_SOURCES_MIRROR": mirror_url,
        "SCALING_FETCH_BACKOFF": "0",
        "DAGSTER_HOME": str(base / "dagster"),
    }
    env.pop("SCALING_WAREHOUSE", None)
    return env


def pipeline_settings(base: Path, mirror_url: str) -> Any:
    """The settings `pipeline_env(base, mirror_url)` gives the command."""
    from pipelines.settings import Settings

    data = base / "data"
    return Settings(data, data / "warehouse.duckdb", base / "reports", mirror_url, fetch_backoff_s=0.0)


def start_cli(env: dict[str, str], *args: str) -> subprocess.Popen:
    """`python -m pipelines <args>` started in the background, stdout and stderr together: for tests where a
    separate process is the point (a lock held by another process, SIGTERM, SIGKILL)."""
    return subprocess.Popen(
        [sys.executable, "-m", "pipelines", *args],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


@dataclass(frozen=True)
class CliResult:
    """What a run of the command left: its exit code and its output (the fields of `subprocess.CompletedProcess`)."""

    returncode: int
    stdout: str
    stderr: str


def run_cli(env: dict[str, str], *args: str) -> CliResult:
    """`python -m pipelines <args>` run in this process, with `env` as its whole environment and its output captured:
    the same `main` a subprocess runs, without an interpreter start and a fresh import of Dagster each time."""
    from rich.console import Console

    import pipelines.run.cli as cli

    out, err = io.StringIO(), io.StringIO()
    with pytest.MonkeyPatch.context() as patch, contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        for name in set(os.environ) - set(env):
            patch.delenv(name)
        for name, value in env.items():
            patch.setenv(name, value)
        patch.chdir(PROJECT_ROOT)
        patch.setattr(cli, "console", Console(width=140))  # what the command prints into a pipe (not a terminal)
        try:
            code = cli.main(list(args))
        except SystemExit as exit_:  # what `sys.exit(main())` and argparse make of it
            code = exit_.code if isinstance(exit_.code, int) else int(exit_.code is not None)
        except Exception:  # what the interpreter does with an uncaught exception
            traceback.print_exc()
            code = 1
    return CliResult(code, out.getvalue(), err.getvalue())


def wait_for_writer(settings: Any, process: subprocess.Popen, timeout: float = 60) -> None:
    """Until `process` holds the writer lock of `settings` (it has started building), or fail saying why not."""
    from pipelines.run.publish import current_writer

    deadline = time.monotonic() + timeout
    while current_writer(settings) is None:
        assert process.poll() is None, f"the command ended before it took the lock:\n{process.stdout.read()[-3000:]}"
        assert time.monotonic() < deadline, f"the command did not take the writer lock within {timeout:g} s"
        time.sleep(0.05)


# -- read-only queries of a warehouse -----------------------------------------------------------------------------


def warehouse_rows(path: Path, sql: str) -> list[tuple]:
    """The rows `sql` answers on the warehouse file `path`, read-only, the connection closed again at once."""
    import duckdb

    from pipelines.warehouse import CONNECTION_CONFIG

    with duckdb.connect(str(path), read_only=True, config=dict(CONNECTION_CONFIG)) as connection:
        return connection.execute(sql).fetchall()


@pytest.fixture(scope="module")
def con(built_warehouse: BuiltWarehouse) -> Iterator[Any]:
    """A read-only DuckDB connection on the session's built warehouse, for a whole module."""
    import duckdb

    from pipelines.warehouse import CONNECTION_CONFIG

    connection = duckdb.connect(
        str(built_warehouse.settings.warehouse_path), read_only=True, config=dict(CONNECTION_CONFIG)
    )
    yield connection
    connection.close()


def count(connection: Any, sql: str) -> int:
    """The one number a `select count(*) ...` answers."""
    return connection.execute(sql).fetchall()[0][0]


# -- what the plausibility rules reject ----------------------------------------------------------------------------

# reasons of the plausibility rules, the NaN/Infinity check, repeated headers and control characters (issue 18)
PLAUSIBILITY_REASONS = (
    "outside the plausible range",
    "before the earliest plausible date",
    "after the pull",
    "not a finite number",
    "repeated header row",
    "control character",
)


def implausible(rejections: Any) -> list[tuple]:
    """The rows of a rejections frame that a plausibility rule made (not a cell that failed to parse)."""
    import polars as pl

    reason = pl.col("reason")
    return rejections.filter(pl.any_horizontal(reason.str.starts_with(r) for r in PLAUSIBILITY_REASONS)).rows()
