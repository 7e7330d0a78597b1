"""Static exports of a page's charts (SVG, and PNG at 2x) by vl-convert, rendered only for specs that changed.

Each page folder keeps `EXPORT_HASHES`, the hash of every chart's spec (with the vl-convert version and export
settings) its PNG and SVG were rendered from. A chart whose hash matches the previous build's keeps that build's
files (hard-linked into the folder being written); only the others are rendered.

vl-convert 1.9 holds the GIL and a single converter for the whole of every call, so threads cannot render two
charts at once. Worker processes can: this file run as a script, importing nothing but vl-convert, renders the jobs
it reads from its stdin (pickled), and the page's own Python work (its HTML and CSVs) goes on while they do. Plain
subprocesses rather than `multiprocessing`, whose spawned children re-run the parent's main script. The workers
live as long as the process, so only the first page of a run pays for starting them.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import json
import os
import pickle
import secrets
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path
from typing import Any

import vl_convert as vlc

EXPORT_HASHES = ".export-hashes.json"
PNG_SCALE = 2
VL_CONVERT = f"vl-convert-python {version('vl-convert-python')}"
# What else decides the bytes of an export besides the spec: a new vl-convert or scale renders every chart again.
RENDERER = f"{VL_CONVERT}; svg; png scale {PNG_SCALE}"
# Two processes on a two-core machine; none on one core, where they could only add their start-up.
WORKERS = min(2, os.cpu_count() or 1)

_threads: ThreadPoolExecutor | None = None
_local = threading.local()
_workers: list[_Worker] = []


class ExportError(RuntimeError):
    """vl-convert failed in a worker process: its message."""


def render(spec: dict[str, Any]) -> tuple[bytes, str]:
    """PNG and SVG of a Vega-Lite spec, with its parameters at their defaults. A dict, not JSON text: vl-convert
    parses text with a float parser that can miss the last digit, which moves marks by 1e-14 px in the SVG."""
    svg = vlc.vegalite_to_svg(spec)
    return vlc.svg_to_png(svg, scale=PNG_SCALE), svg


def javascript_bundle() -> str:
    """vl-convert's bundle of Vega, Vega-Lite and vega-embed (seconds to build)."""
    return vlc.javascript_bundle()


JOBS: dict[str, Callable[..., Any]] = {"render": render, "javascript_bundle": javascript_bundle}


def spec_hash(spec: dict[str, Any]) -> str:
    """What an export is rendered from: the spec (as JSON, in its own key order, floats exact) and the renderer."""
    return hashlib.sha256(f"{RENDERER}\n{json.dumps(spec)}".encode()).hexdigest()


class _Worker:
    """One worker process (this file as a script), doing one job at a time for the thread that owns it."""

    def __init__(self) -> None:
        command = [sys.executable, "-I", str(Path(__file__).resolve())]
        self.process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        if not _workers:
            atexit.register(_stop_workers)
        _workers.append(self)

    def call(self, job: str, args: tuple[Any, ...]) -> Any:
        assert self.process.stdin is not None and self.process.stdout is not None
        pickle.dump((job, args), self.process.stdin)
        self.process.stdin.flush()
        ok, value = pickle.load(self.process.stdout)
        if not ok:
            raise ExportError(value)
        return value


def _stop_workers() -> None:
    """At exit: close each worker's stdin, which ends its loop, and reap it."""
    for worker in _workers:
        with contextlib.suppress(OSError, ValueError):
            worker.process.stdin.close()  # type: ignore[union-attr]
        with contextlib.suppress(subprocess.TimeoutExpired):
            worker.process.wait(timeout=5)


def _remote(job: str, *args: Any) -> Any:
    """Run `job` in this thread's worker process, starting one if it has none (or its last one died)."""
    worker = getattr(_local, "worker", None)
    if worker is None or worker.process.poll() is not None:
        worker = _local.worker = _Worker()
    return worker.call(job, args)


def serve() -> None:
    """A worker's loop: read a pickled (job, args), write back (True, result) or (False, error), until EOF.

    Replies go to the original stdout alone: anything printed (by vl-convert's JavaScript too) goes to stderr.
    Ctrl-C is the parent's to handle: it closes the pipe, which ends the loop, with no traceback from here.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    while True:
        try:
            job, args = pickle.load(sys.stdin.buffer)
        except EOFError:
            return
        try:
            reply = (True, JOBS[job](*args))
        except Exception as exc:  # reported to the caller, which raises it
            reply = (False, f"{job}: {type(exc).__name__}: {exc}")
        pickle.dump(reply, replies)
        replies.flush()


def submit(function: Callable[..., Any], *args: Any, parallel: bool = True) -> Future:
    """`function(*args)` (one of `JOBS`) in a worker process when there are workers worth using, else here and now."""
    global _threads
    if parallel and WORKERS > 1:
        if _threads is None:
            _threads = ThreadPoolExecutor(WORKERS, thread_name_prefix="vl-convert")
        return _threads.submit(_remote, function.__name__, *args)
    done: Future = Future()
    try:
        done.set_result(function(*args))
    except Exception as exc:  # handed to whoever waits on the future, as a worker's would be
        done.set_exception(exc)
    return done


@dataclass
class PageExports:
    """The exports of one page: charts rendered afresh (futures of PNG and SVG) and charts kept from `previous`."""

    folder: Path
    previous: Path
    hashes: dict[str, str]
    rendering: dict[str, Future] = field(default_factory=dict)
    kept: list[str] = field(default_factory=list)

    def files(self) -> dict[Path, str | bytes]:
        """The new files to write: each rendered chart's PNG and SVG, and the hashes of every chart (waits)."""
        files: dict[Path, str | bytes] = {}
        for name, future in self.rendering.items():
            png, svg = future.result()
            files[self.folder / f"{name}.png"] = png
            files[self.folder / f"{name}.svg"] = svg
        files[self.folder / EXPORT_HASHES] = json.dumps(self.hashes, indent=1, sort_keys=True) + "\n"
        return files

    def keep(self) -> None:
        """Put the kept charts' files from the previous build into the folder being written."""
        if self.previous == self.folder:
            return
        for name in self.kept:
            for suffix in (".png", ".svg"):
                link_atomic(self.previous / f"{name}{suffix}", self.folder / f"{name}{suffix}")


def start_exports(specs: dict[str, dict[str, Any]], folder: Path, previous: Path) -> PageExports:
    """Start rendering the charts whose spec differs from the one `previous` holds exports of."""
    hashes = {name: spec_hash(spec) for name, spec in specs.items()}
    exports = PageExports(folder, previous, hashes)
    known = previous_hashes(previous)
    todo = []
    for name, digest in hashes.items():
        on_disk = all((previous / f"{name}{suffix}").is_file() for suffix in (".png", ".svg"))
        (exports.kept if known.get(name) == digest and on_disk else todo).append(name)
    parallel = len(todo) > 1 or _threads is not None  # one chart is not worth starting the workers for
    exports.rendering = {name: submit(render, specs[name], parallel=parallel) for name in todo}
    return exports


def previous_hashes(folder: Path) -> dict[str, str]:
    """The spec hashes a page folder's exports were rendered from (none when unreadable: render them all)."""
    try:
        hashes = json.loads((folder / EXPORT_HASHES).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return hashes if isinstance(hashes, dict) else {}


def link_atomic(source: Path, target: Path) -> None:
    """`target` becomes the same file as `source` (a hard link; a copy across file systems), in one rename."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    try:
        try:
            os.link(source, tmp)
        except OSError:
            shutil.copy2(source, tmp)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


if __name__ == "__main__":
    serve()
