"""Headless Chromium driven over the DevTools protocol on a pipe: open a report, collect console errors, count
the marks each chart drew, read values from the page and take a full-page screenshot.

Standard library only: Chromium's `--remote-debugging-pipe` reads commands on fd 3 and answers on fd 4, one JSON
message per NUL byte, so no websocket client is needed.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import queue
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
WIDTH = 1280
BASE_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu")

# The pages set `data-charts` on <body> once every vegaEmbed call has settled ("ok" or "failed: <n>").
CHARTS_SETTLED_JS = "document.body && document.body.dataset.charts ? document.body.dataset.charts : ''"
CHART_MARKS_JS = """
Array.from(document.querySelectorAll('div.chart')).map(div => ({
  id: div.id,
  svg: div.querySelectorAll('svg').length,
  marks: div.querySelectorAll('svg g.role-mark > *').length,
}))
"""
# Moves the two pipe ends (passed by number) to fds 3 and 4, then becomes Chromium. They first go above 9 so that
# neither dup2 can overwrite the other end.
_TRAMPOLINE = """
import fcntl, os, sys
ends = [int(a) for a in sys.argv[1:3]]
high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in ends]
for fd in ends:
    os.close(fd)
os.dup2(high[0], 3)
os.dup2(high[1], 4)
for fd in high:
    os.close(fd)
os.execv(sys.argv[3], sys.argv[3:])
"""
PAGE_HEIGHT_JS = "Math.ceil(Math.max(document.documentElement.scrollHeight, document.body.scrollHeight))"


class BrowserError(RuntimeError):
    """Chromium could not be started, stopped answering, or a page did not finish rendering."""


def find_chromium() -> str | None:
    """The Chromium (or Chrome) executable on PATH, or None."""
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


@dataclass
class PageReport:
    """What one page did in the browser."""

    url: str
    charts_state: str
    charts: list[dict[str, Any]]
    console_errors: list[str] = field(default_factory=list)
    height: int = 0


class Chromium:
    """One headless Chromium process with a fresh profile; use as a context manager."""

    def __init__(self, executable: str | None = None, *, timeout: float = 30.0) -> None:
        self.executable = executable or find_chromium()
        if not self.executable:
            raise BrowserError(f"no Chromium found on PATH (tried {', '.join(CHROMIUM_NAMES)})")
        self.timeout = timeout
        self._next_id = 0
        self._replies: dict[int, dict[str, Any]] = {}
        self._events: queue.Queue[dict[str, Any]] = queue.Queue()
        self._lock = threading.Condition()
        self._closed = False

    def __enter__(self) -> Chromium:
        self._profile = tempfile.mkdtemp(prefix="scaling-chromium-")
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        # Chromium expects the pipe on fds 3 and 4 exactly; a tiny Python trampoline moves them there, then execs.
        command = [
            sys.executable,
            "-c",
            _TRAMPOLINE,
            str(to_browser_r),
            str(from_browser_w),
            self.executable,
            *BASE_FLAGS,
            f"--user-data-dir={self._profile}",
            "--remote-debugging-pipe",
            f"--window-size={WIDTH},900",
            "--hide-scrollbars",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-extensions",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--mute-audio",
            "about:blank",
        ]
        self._process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            pass_fds=(to_browser_r, from_browser_w),
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._stderr_tail: list[str] = []
        threading.Thread(target=self._read_messages, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()
        self.call("Target.setDiscoverTargets", {"discover": False})
        return self

    def __exit__(self, *exc: object) -> None:
        self._closed = True
        try:
            if self._process.poll() is None:
                with contextlib.suppress(BrowserError):
                    self.call("Browser.close", timeout=5)
                try:
                    self._process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    self._process.kill()
                    self._process.wait(timeout=10)
        finally:
            for fd in (self._to_browser, self._from_browser):
                with contextlib.suppress(OSError):
                    os.close(fd)
            shutil.rmtree(self._profile, ignore_errors=True)

    # -- the protocol ---------------------------------------------------------------------------------------------

    def _read_messages(self) -> None:
        buffer = b""
        while True:
            try:
                chunk = os.read(self._from_browser, 1 << 16)
            except OSError:
                chunk = b""
            if not chunk:
                with self._lock:
                    self._closed = True
                    self._lock.notify_all()
                return
            buffer += chunk
            *messages, buffer = buffer.split(b"\0")
            for raw in messages:
                message = json.loads(raw)
                if "id" in message:
                    with self._lock:
                        self._replies[message["id"]] = message
                        self._lock.notify_all()
                else:
                    self._events.put(message)

    def _read_stderr(self) -> None:
        assert self._process.stderr is not None
        for line in self._process.stderr:
            self._stderr_tail = [*self._stderr_tail[-20:], line.decode("utf-8", "replace").rstrip()]

    def call(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        session: str | None = None,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        """Send one command and wait for its answer."""
        with self._lock:
            self._next_id += 1
            ident = self._next_id
        message: dict[str, Any] = {"id": ident, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        try:
            os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        except OSError as error:
            raise BrowserError(f"Chromium is gone ({error}); its last output: {self._stderr_tail[-5:]}") from error
        deadline = time.monotonic() + (timeout or self.timeout)
        with self._lock:
            while ident not in self._replies:
                left = deadline - time.monotonic()
                if left <= 0 or (self._closed and method != "Browser.close"):
                    raise BrowserError(
                        f"no answer to {method} within {timeout or self.timeout:.0f} s; "
                        f"Chromium's last output: {self._stderr_tail[-5:]}"
                    )
                self._lock.wait(min(left, 0.2))
            reply = self._replies.pop(ident)
        if "error" in reply:
            raise BrowserError(f"{method} failed: {reply['error']}")
        return reply.get("result", {})

    def _drain_events(self) -> list[dict[str, Any]]:
        events = []
        while True:
            try:
                events.append(self._events.get_nowait())
            except queue.Empty:
                return events

    # -- pages ----------------------------------------------------------------------------------------------------

    def open(self, url: str, *, height: int = 900) -> Tab:
        """A new tab `WIDTH` pixels wide showing `url`, once its load event fired."""
        target = self.call("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        tab = Tab(self, target, session, url)
        for method in ("Page.enable", "Runtime.enable", "Log.enable"):
            self.call(method, session=session)
        self.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": WIDTH, "height": height, "deviceScaleFactor": 1, "mobile": False},
            session=session,
        )
        self.call("Page.navigate", {"url": url}, session=session)
        tab.wait_for(lambda e: e.get("method") == "Page.loadEventFired", what="the load event")
        return tab


class Tab:
    """One page in the browser, with the errors it logged so far."""

    def __init__(self, browser: Chromium, target: str, session: str, url: str) -> None:
        self.browser = browser
        self.target = target
        self.session = session
        self.url = url
        self.console_errors: list[str] = []

    def _absorb(self, event: dict[str, Any]) -> None:
        if event.get("sessionId") != self.session:
            return
        method, params = event.get("method"), event.get("params", {})
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            text = " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", []))
            self.console_errors.append(f"console.{params['type']}: {text}")
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            description = details.get("exception", {}).get("description") or details.get("text", "")
            self.console_errors.append(f"uncaught exception: {description}")
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            entry = params["entry"]
            self.console_errors.append(f"{entry.get('source', 'log')}: {entry.get('text', '')} {entry.get('url', '')}")

    def wait_for(self, predicate: Any, *, what: str, timeout: float | None = None) -> dict[str, Any]:
        deadline = time.monotonic() + (timeout or self.browser.timeout)
        while time.monotonic() < deadline:
            try:
                event = self.browser._events.get(timeout=0.1)
            except queue.Empty:
                continue
            self._absorb(event)
            if event.get("sessionId") == self.session and predicate(event):
                return event
        raise BrowserError(f"{self.url}: timed out waiting for {what}")

    def pump(self) -> None:
        """Record the events that arrived since the last look."""
        for event in self.browser._drain_events():
            self._absorb(event)

    def evaluate(self, expression: str) -> Any:
        result = self.browser.call(
            "Runtime.evaluate", {"expression": expression, "returnByValue": True}, session=self.session
        )
        self.pump()
        if "exceptionDetails" in result:
            raise BrowserError(f"{self.url}: evaluating {expression[:60]!r} threw {result['exceptionDetails']}")
        return result.get("result", {}).get("value")

    def wait_until(self, expression: str, *, what: str, timeout: float | None = None) -> Any:
        """Poll a JavaScript expression until it is truthy; its value."""
        deadline = time.monotonic() + (timeout or self.browser.timeout)
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            time.sleep(0.1)
        raise BrowserError(f"{self.url}: timed out waiting for {what}")

    def report(self) -> PageReport:
        """Wait for every chart to settle, then what the page drew and logged."""
        state = self.wait_until(CHARTS_SETTLED_JS, what="the charts to render")
        # let Vega finish its last animation frame before counting
        self.evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")
        charts = self.evaluate(CHART_MARKS_JS)
        height = int(self.evaluate(PAGE_HEIGHT_JS) or 0)
        self.pump()
        return PageReport(self.url, state, charts, list(self.console_errors), height)

    def screenshot(self, path: Path, *, height: int | None = None) -> Path:
        """A PNG of the whole page at `WIDTH` pixels wide (the viewport is resized to the page's height)."""
        height = height or int(self.evaluate(PAGE_HEIGHT_JS) or 900)
        self.browser.call(
            "Emulation.setDeviceMetricsOverride",
            {"width": WIDTH, "height": height, "deviceScaleFactor": 1, "mobile": False},
            session=self.session,
        )
        shot = self.browser.call(
            "Page.captureScreenshot",
            {"format": "png", "captureBeyondViewport": True, "clip": _clip(height)},
            session=self.session,
            timeout=60,
        )
        data = base64.b64decode(shot["data"])
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, path)
        return path

    def close(self) -> None:
        self.browser.call("Target.closeTarget", {"targetId": self.target})


def _clip(height: int) -> dict[str, float]:
    return {"x": 0, "y": 0, "width": WIDTH, "height": height, "scale": 1}
