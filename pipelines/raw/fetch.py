"""Download the published source files: retries, conditional GETs, body validation and content-addressed storage.

Every HTTP attempt becomes one `FetchAttempt` row for the warehouse table `ops.fetch_log`, so a flaky or broken
upstream is visible after the fact. A file is stored only once it has been fully received and validated, under
`<raw_dir>/<source>/<sha256>.<ext>`: the same bytes always land on the same path and are never rewritten.

Retries are whole attempts, written once with tenacity: a connection error, a timeout, a 429/5xx answer and a body
that broke off are all retried the same way, each attempt is one request and one row, and the session itself never
retries (urllib3's own retries happen inside one request, out of sight of the attempt rows).

What a source server can make the fetcher do is bounded: a redirect is followed only to http(s) (never to file://,
which would read a local file), a download stops once past the source's `max_bytes`, and a zip is unpacked in
chunks and counted against `max_unpacked_bytes` (its directory's sizes are checked first, but are only its word).
A file past a limit raises `TooLarge`, which the raw asset records as a rejected file, like a failed guard.
"""

from __future__ import annotations

import contextlib
import copy
import csv
import dataclasses
import hashlib
import io
import json
import logging
import os
import tempfile
import time
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urljoin, urlsplit

import requests
import tenacity
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError

from pipelines.raw.aliases import missing_columns
from pipelines.raw.mirror import FileAdapter, mirror_directory, mirrored_url
from pipelines.raw.sources import MiB, Source

log = logging.getLogger(__name__)

# epoch.ai answers 403 to Python's default User-Agent.
USER_AGENT = "scaling-warehouse/0.1 (+https://github.com/scaling-warehouse; data pipeline)"
MIRROR_SETTING = "SCALING_SOURCES_MIRROR"
STATUS_FORCELIST = (429, 500, 502, 503, 504)
DEFAULT_RETRIES = 4
DEFAULT_BACKOFF = 0.5
BACKOFF_MAX = 8.0  # seconds; a Retry-After of minutes would outlive the download deadline, so it is not honoured
REDIRECT_SCHEMES = ("http", "https")  # a redirect elsewhere (file://, ftp://, data:) is refused
LANDED_MODE = 0o640  # landed files: the owner writes, the group reads, nobody else (whatever the source's mode)
CHUNK = 1 << 16
T = TypeVar("T")

OUTCOMES = ("retried", "downloaded", "unchanged", "not_modified", "missing_optional", "failed", "changed")

# Errors while reading a body after a 200: the connection broke, the body was short or it stalled.
_BODY_ERRORS = (
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    requests.exceptions.ContentDecodingError,
)
_RAW_BODY_ERRORS = (urllib3.exceptions.HTTPError, OSError)
_EXPECTED = {"csv": "a CSV file", "zip": "a zip archive", "json": "a JSON document"}


def _now() -> datetime:
    return datetime.now(UTC)


class FetchSession(requests.Session):
    """A session that sends our User-Agent and carries the retry policy the `Fetcher` applies to whole attempts;
    its adapters never retry on their own. It reads no `file://` URL: a directory mirror mounts its own adapter,
    confined to its directory."""

    def __init__(self, retries: int = DEFAULT_RETRIES, backoff: float = DEFAULT_BACKOFF) -> None:
        super().__init__()
        self.retries = max(0, int(retries))
        self.backoff = float(backoff)
        adapter = HTTPAdapter(max_retries=0)
        self.mount("http://", adapter)
        self.mount("https://", adapter)
        self.headers["User-Agent"] = USER_AGENT


def build_session(retries: int = DEFAULT_RETRIES, backoff: float = DEFAULT_BACKOFF) -> FetchSession:
    """A session whose fetcher retries connection errors, timeouts, 429/5xx and broken bodies `retries` times."""
    return FetchSession(retries, backoff)


@dataclass(frozen=True)
class FetchAttempt:
    """One HTTP attempt: a row of `ops.fetch_log`."""

    source: str
    url: str
    requested_url: str
    attempt: int
    status: int | None
    outcome: str
    error: str | None
    bytes: int | None
    sha256: str | None
    etag: str | None
    last_modified: str | None
    content_type: str | None
    path: str | None
    fetched_at: datetime

    def as_row(self) -> dict[str, Any]:
        """The row as a dict keyed by the `ops.fetch_log` column names."""
        return asdict(self)


@dataclass(frozen=True)
class PreviousFetch:
    """The last good fetch of a source: its validators drive the conditional GET and the 'unchanged' decision."""

    sha256: str | None
    etag: str | None = None
    last_modified: str | None = None
    path: Path | str | None = None


@dataclass(frozen=True)
class FetchResult:
    """What one fetch produced: the stored file (or the previous one on 304) and every attempt it took."""

    source: str
    url: str
    outcome: str
    path: Path | None
    sha256: str | None
    bytes: int | None
    etag: str | None
    last_modified: str | None
    content_type: str | None
    fetched_at: datetime
    attempts: list[FetchAttempt] = field(default_factory=list)


class FetchError(RuntimeError):
    """A fetch that produced no usable file; `attempts` holds the rows to log anyway."""

    def __init__(self, message: str, *, url: str, attempts: list[FetchAttempt] | None = None) -> None:
        super().__init__(message)
        self.url = url
        self.attempts: list[FetchAttempt] = list(attempts or [])


class TooLarge(FetchError):
    """A file past its source's declared size (`max_bytes`, `max_unpacked_bytes` in `pipelines.raw.sources`): rejected
    as a file, as a failed guard rejects one, not a download that failed. `result` is the fetch without a file;
    its `sha256` is None when the download stopped at the limit."""

    def __init__(self, message: str, *, result: FetchResult, size: int, limit: int) -> None:
        super().__init__(message, url=result.url, attempts=result.attempts)
        self.result = result
        self.size = size
        self.limit = limit


class RefusedRedirect(Exception):
    """A redirect to another scheme than http(s): not followed, not retried (it is the server's answer)."""

    def __init__(self, response: requests.Response, location: str) -> None:
        self.response = response
        self.scheme = urlsplit(location).scheme.lower() or "schemeless"
        shown = location if len(location) <= 200 else location[:200] + "..."
        super().__init__(
            f"refused a redirect from {response.url} to a {self.scheme}: URL ({shown}); "
            f"sources follow redirects only to {' or '.join(REDIRECT_SCHEMES)}"
        )


def refuse_unsafe_redirect(response: requests.Response, *args: Any, **kwargs: Any) -> requests.Response:
    """A response hook, run on every hop of every request: a source server may redirect only to http(s), so it
    cannot make the fetcher read a local file (file://) or anything else an adapter would answer."""
    if response.is_redirect:
        location = urljoin(response.url, response.headers["Location"])
        if urlsplit(location).scheme.lower() not in REDIRECT_SCHEMES:
            raise RefusedRedirect(response, location)
    return response


class _Retryable(Exception):
    """An attempt that may succeed if repeated: a connection error, a timeout, a 429/5xx, a broken body."""


class _Invalid(Exception):
    """A body that arrived whole but is not what the source promises (not retried)."""


class _Oversized(_Invalid):
    """A body past a size limit of its source: `size` bytes declared or seen when it stopped, `limit` the limit,
    `received` the bytes downloaded by then."""

    def __init__(self, message: str, size: int, limit: int, received: int | None = None) -> None:
        super().__init__(message)
        self.size = size
        self.limit = limit
        self.received = size if received is None else received

    @classmethod
    def past(
        cls, what: str, size: int, limit: int, then: str, setting: str = "max_bytes", received: int | None = None
    ) -> _Oversized:
        """`what` happened past `limit`, the source's `setting`; `then` says where reading stopped."""
        return cls(f"{what}, over its {setting} limit of {_size(limit)}; {then}", size, limit, received)


@dataclass
class _Target:
    """One URL to fetch for one source, with what it must contain."""

    name: str
    url: str
    requested_url: str
    kind: str  # csv | zip | json
    optional: bool
    source: Source

    @property
    def what(self) -> str:
        return _EXPECTED[self.kind]


@dataclass(frozen=True)
class _Answer:
    """The parts of a response every attempt row repeats."""

    status: int
    content_type: str | None
    etag: str | None
    last_modified: str | None
    redirected_to: str | None = None

    @classmethod
    def of(cls, response: requests.Response) -> _Answer:
        headers = response.headers
        redirected = response.url if response.history else None
        return cls(
            response.status_code,
            headers.get("Content-Type"),
            headers.get("ETag"),
            headers.get("Last-Modified"),
            redirected,
        )


class Fetcher:
    """Fetches sources into `raw_dir`, through `mirror` (a directory or a base URL) when given."""

    def __init__(
        self,
        raw_dir: Path,
        mirror: str | None = None,
        *,
        session: requests.Session | None = None,
        connect_timeout: float = 10.0,
        read_timeout: float = 60.0,
        retries: int | None = None,
        backoff: float | None = None,
        deadline: float = 180.0,
    ) -> None:
        self.raw_dir = Path(raw_dir)
        self.deadline = float(deadline)  # seconds one source's download may take, retries included
        if not self.deadline > 0:
            raise ValueError(f"a download deadline of {deadline!r} s fails every source; expected above 0")
        self.mirror = mirror or None
        self.session = session or build_session()
        directory = mirror_directory(self.mirror)
        if directory is not None:  # the only file:// this session reads: the mirror's own files
            self.session.mount("file://", FileAdapter(directory))
        self.timeout = (connect_timeout, read_timeout)
        # the policy travels with the session (tests pass one), unless given here
        self.retries = getattr(self.session, "retries", DEFAULT_RETRIES) if retries is None else max(0, int(retries))
        self.backoff = getattr(self.session, "backoff", DEFAULT_BACKOFF) if backoff is None else float(backoff)

    # -- public -----------------------------------------------------------------------------------------------

    def fetch(self, source: Source, previous: PreviousFetch | None = None) -> FetchResult:
        """Download, validate and store one source; raise `FetchError` unless an optional source is just absent."""
        target = self._target(source, source.url, source.format, source.optional)
        return self._fetch(target, previous, self.raw_dir / source.name, source.extension)

    def fetch_metadata(self, source: Source) -> FetchResult | None:
        """Download OWID's `.metadata.json` for a source, if it has one; 404 is 'missing_optional'."""
        if source.metadata_url is None:
            return None
        target = self._target(source, source.metadata_url, "json", optional=True)
        return self._fetch(target, None, self.raw_dir / source.name / "metadata", "json")

    def changed(self, source: Source, previous: PreviousFetch) -> bool:
        """Whether a conditional GET with `previous`'s validators answers anything but 304 Not Modified; the body
        is never read. Retried like a download; raises `FetchError` when every attempt failed."""
        headers = _validators(previous)
        if not headers:
            return True
        target = self._target(source, source.url, source.format, source.optional)

        def attempt(attempts: list[FetchAttempt], deadline: float) -> bool:
            with self._request(target, attempts, headers, deadline) as response:
                unchanged = response.status_code == 304
                self._append(target, attempts, "not_modified" if unchanged else "changed", _Answer.of(response))
                return not unchanged

        return self._with_retries(target, attempt)

    # -- the attempt loop -------------------------------------------------------------------------------------

    def _target(self, source: Source, url: str, kind: str, optional: bool) -> _Target:
        return _Target(source.name, url, mirrored_url(url, self.mirror), kind, optional, source)

    def _with_retries(self, target: _Target, attempt: Callable[[list[FetchAttempt], float], T]) -> T:
        """Run `attempt` until it returns, raises `FetchError`, or has raised `_Retryable` `retries + 1` times or
        past the deadline. Each attempt adds its own row; a row followed by another attempt becomes 'retried'."""
        attempts: list[FetchAttempt] = []
        deadline = time.monotonic() + self.deadline

        def retried(state: tenacity.RetryCallState) -> None:
            attempts[-1] = dataclasses.replace(attempts[-1], outcome="retried")
            log.info("%s: attempt %d failed (%s); retrying", target.name, state.attempt_number, attempts[-1].error)

        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.retries + 1) | tenacity.stop_after_delay(self.deadline),
            wait=tenacity.wait_exponential(multiplier=self.backoff, max=BACKOFF_MAX) if self.backoff else None,
            retry=tenacity.retry_if_exception_type(_Retryable),
            before_sleep=retried,
            reraise=True,
        )
        try:
            return retrying(attempt, attempts, deadline)
        except _Retryable as exc:
            raise FetchError(str(exc), url=target.url, attempts=attempts) from exc.__cause__

    @contextlib.contextmanager
    def _request(self, target: _Target, attempts: list[FetchAttempt], headers: dict[str, str], deadline: float):
        """One GET, streamed; a connection error, a timeout or a 429/5xx answer is a failed row and `_Retryable`."""
        try:
            response = self.session.get(
                target.requested_url,
                headers=headers,
                timeout=self._timeout(deadline),
                stream=True,
                hooks={"response": refuse_unsafe_redirect},
            )
        except RefusedRedirect as exc:
            exc.response.close()
            self._append(target, attempts, "failed", _Answer.of(exc.response), error=str(exc))
            message = f"{target.name}: GET {self._describe_request(target)} {exc}; expected 200 with {target.what}"
            raise FetchError(message, url=target.url, attempts=attempts) from exc
        except requests.exceptions.RequestException as exc:
            self._append(target, attempts, "failed", None, error=_error_text(exc))
            raise _Retryable(self._exception_message(target, exc)) from exc
        with response:
            if response.status_code in STATUS_FORCELIST:
                answer = _Answer.of(response)
                self._append(target, attempts, "failed", answer, error=f"HTTP {answer.status} {response.reason or ''}")
                raise _Retryable(self._status_message(target, answer))
            yield response

    def _fetch(self, target: _Target, previous: PreviousFetch | None, directory: Path, extension: str) -> FetchResult:
        """Attempts until one gives a usable answer (a valid file, 304, or 404 of an optional file)."""
        previous_path = Path(previous.path) if previous is not None and previous.path else None
        # A 304 is only useful while the previous file still exists; otherwise ask for the whole file.
        if previous_path is not None and not previous_path.is_file():
            previous_path = None
        headers = _validators(previous) if previous_path is not None else {}

        def attempt(attempts: list[FetchAttempt], deadline: float) -> FetchResult:
            with self._request(target, attempts, headers, deadline) as response:
                answer = _Answer.of(response)
                result = self._answer(target, attempts, answer, response, previous, previous_path)
                if result is not None:
                    return result
                try:
                    body = self._read_body(response, deadline, target.source.max_bytes)
                except _Oversized as exc:
                    raise self._too_large(target, attempts, answer, exc, exc.received) from exc
                if isinstance(body, bytes):
                    return self._accept(target, attempts, answer, body, previous, directory, extension)
            self._append(target, attempts, "failed", answer, error=body)
            described = self._describe_request(target, answer)
            if time.monotonic() >= deadline:
                message = (
                    f"{target.name}: GET {described} did not complete within its deadline of {self.deadline:g} s "
                    f"(SCALING_FETCH_DEADLINE): {body}; the other sources go on"
                )
                raise FetchError(message, url=target.url, attempts=attempts)
            raise _Retryable(
                f"{target.name}: GET {described} answered 200 but the body broke off on each of {len(attempts)} "
                f"tries (last: {body}); expected the whole of {target.what}"
            )

        return self._with_retries(target, attempt)

    def _answer(
        self,
        target: _Target,
        attempts: list[FetchAttempt],
        answer: _Answer,
        response: requests.Response,
        previous: PreviousFetch | None,
        previous_path: Path | None,
    ) -> FetchResult | None:
        """The result for an answer that needs no body (404 of an optional file, 304), None to read the body;
        raise `FetchError` for any other status."""
        if answer.status == 404 and target.optional:
            self._append(target, attempts, "missing_optional", answer, error=f"404 for optional {target.what}")
            log.warning("%s: GET %s answered 404; optional, skipped", target.name, self._describe_request(target))
            return self._result(target, "missing_optional", attempts, answer)
        if answer.status == 304 and previous is not None and previous_path is not None:
            size = previous_path.stat().st_size
            self._append(
                target, attempts, "not_modified", answer, size=size, sha256=previous.sha256, path=previous_path
            )
            log.info("%s: not modified since %s", target.name, previous.etag or previous.last_modified)
            answer = _Answer(
                answer.status,
                answer.content_type,
                answer.etag or previous.etag,
                answer.last_modified or previous.last_modified,
            )
            return self._result(target, "not_modified", attempts, answer, previous_path, previous.sha256, size)
        if answer.status != 200:
            self._append(target, attempts, "failed", answer, error=f"HTTP {answer.status} {response.reason or ''}")
            raise FetchError(self._status_message(target, answer), url=target.url, attempts=attempts)
        return None

    def _accept(
        self,
        target: _Target,
        attempts: list[FetchAttempt],
        answer: _Answer,
        body: bytes,
        previous: PreviousFetch | None,
        directory: Path,
        extension: str,
    ) -> FetchResult:
        """Validate a whole body and store it; raise `FetchError` (nothing written) when it is not valid."""
        sha256 = hashlib.sha256(body).hexdigest()
        try:
            self._validate(target, body, answer.content_type)
        except _Oversized as exc:
            raise self._too_large(target, attempts, answer, exc, len(body), sha256) from exc
        except _Invalid as exc:
            self._append(target, attempts, "failed", answer, error=str(exc), size=len(body), sha256=sha256)
            message = f"{target.name}: GET {self._describe_request(target, answer)} answered 200 but {exc}"
            raise FetchError(message, url=target.url, attempts=attempts) from exc
        path = _store(directory, f"{sha256}.{extension}", body)
        outcome = "unchanged" if previous is not None and previous.sha256 == sha256 else "downloaded"
        self._append(target, attempts, outcome, answer, size=len(body), sha256=sha256, path=path)
        log.info("%s: %s %d bytes, sha256 %s", target.name, outcome, len(body), sha256[:12])
        return self._result(target, outcome, attempts, answer, path, sha256, len(body))

    def _too_large(
        self,
        target: _Target,
        attempts: list[FetchAttempt],
        answer: _Answer,
        exc: _Oversized,
        received: int,
        sha256: str | None = None,
    ) -> TooLarge:
        """The failed row and the `TooLarge` of a body past a size limit (`sha256` None: not received whole)."""
        self._append(target, attempts, "failed", answer, error=str(exc), size=received, sha256=sha256)
        message = (
            f"{target.name}: GET {self._describe_request(target, answer)} answered 200 but {exc}; rejected as too "
            f"large (limits declared for {target.name} in pipelines/raw/sources.py)"
        )
        result = self._result(target, "failed", attempts, answer, None, sha256, received)
        return TooLarge(message, result=result, size=exc.size, limit=exc.limit)

    def _timeout(self, deadline: float) -> tuple[float, float]:
        """Connect and read timeouts, never past the download's deadline."""
        remaining = max(0.5, deadline - time.monotonic())
        return (min(self.timeout[0], remaining), min(self.timeout[1], remaining))

    @staticmethod
    def _append(
        target: _Target,
        attempts: list[FetchAttempt],
        outcome: str,
        answer: _Answer | None,
        *,
        error: str | None = None,
        status: int | None = None,
        size: int | None = None,
        sha256: str | None = None,
        path: Path | None = None,
        fetched_at: datetime | None = None,
    ) -> None:
        """Add one `ops.fetch_log` row, numbered after the ones already there."""
        attempts.append(
            FetchAttempt(
                source=target.name,
                url=target.url,
                requested_url=target.requested_url,
                attempt=len(attempts) + 1,
                status=answer.status if answer is not None else status,
                outcome=outcome,
                error=error,
                bytes=size,
                sha256=sha256,
                etag=answer.etag if answer is not None else None,
                last_modified=answer.last_modified if answer is not None else None,
                content_type=answer.content_type if answer is not None else None,
                path=str(path) if path is not None else None,
                fetched_at=fetched_at or _now(),
            )
        )

    @staticmethod
    def _result(
        target: _Target,
        outcome: str,
        attempts: list[FetchAttempt],
        answer: _Answer,
        path: Path | None = None,
        sha256: str | None = None,
        size: int | None = None,
    ) -> FetchResult:
        return FetchResult(
            source=target.name,
            url=target.url,
            outcome=outcome,
            path=path,
            sha256=sha256,
            bytes=size,
            etag=answer.etag,
            last_modified=answer.last_modified,
            content_type=answer.content_type,
            fetched_at=attempts[-1].fetched_at,
            attempts=attempts,
        )

    # -- reading and validating the body ----------------------------------------------------------------------

    def _read_body(self, response: requests.Response, deadline: float, limit: int) -> bytes | str:
        """The whole body, or a description of how it broke off (short, reset, stalled or past the deadline);
        `_Oversized` once it declares or reaches more than `limit` bytes (decoded), so the download stops there.

        Reads whatever has arrived (`read1`) so a server trickling bytes cannot hold a read past the deadline.
        """
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limit:
            size = int(declared)
            raise _Oversized.past(f"declared {_size(size)}", size, limit, "not downloaded", received=0)
        buffer = io.BytesIO()
        raw = response.raw
        read = (
            (lambda: raw.read1(CHUNK, decode_content=True))
            if isinstance(raw, urllib3.HTTPResponse)
            else (lambda: raw.read1(CHUNK))
        )
        try:
            while chunk := read():
                buffer.write(chunk)
                if buffer.tell() > limit:
                    size = buffer.tell()
                    raise _Oversized.past(f"sent {_size(size)} so far", size, limit, "the download stopped there")
                if time.monotonic() >= deadline:
                    return f"still receiving after {self.deadline:g} s ({buffer.tell()} bytes so far)"
        except (*_BODY_ERRORS, *_RAW_BODY_ERRORS) as exc:
            return _error_text(exc)
        body = buffer.getvalue()
        expected = response.headers.get("Content-Length", "")
        encoded = response.headers.get("Content-Encoding", "identity").lower() not in ("", "identity")
        if expected.isdigit() and not encoded and int(expected) != len(body):
            return f"got {len(body)} bytes of a Content-Length of {expected}"
        return body

    def _validate(self, target: _Target, body: bytes, content_type: str | None) -> None:
        """Raise `_Invalid` unless the body is the kind of file the source promises."""
        media_type = (content_type or "").split(";")[0].strip().lower()
        if media_type in ("text/html", "application/xhtml+xml") or _looks_like_html(body):
            raise _Invalid(f"sent an HTML page ({content_type or 'no Content-Type'}); expected {target.what}")
        if not body:
            raise _Invalid(f"sent an empty body; expected {target.what}")
        if target.kind == "csv":
            _validate_csv(target.source.required_columns, body, "the file")
        elif target.kind == "zip":
            _validate_zip(target.source, body)
        else:
            try:
                json.loads(body.decode("utf-8-sig"))
            except (UnicodeDecodeError, ValueError) as exc:
                raise _Invalid(f"sent a body that is not JSON ({exc}); expected {target.what}") from exc

    # -- messages ---------------------------------------------------------------------------------------------

    @staticmethod
    def _describe_request(target: _Target, answer: _Answer | None = None) -> str:
        described = target.url if target.requested_url == target.url else f"{target.requested_url} (for {target.url})"
        if answer is not None and answer.redirected_to:
            described += f", redirected to {answer.redirected_to},"
        return described

    def _status_message(self, target: _Target, answer: _Answer) -> str:
        hint = ""
        if answer.status == 304:
            hint = " to a request without usable validators"
        elif answer.status == 403 and target.requested_url.startswith("file:"):
            hint = f" (the path leads out of the mirror directory {self.mirror} set by {MIRROR_SETTING}; it serves "
            hint += "only its own files, never through '..' or a symlink)"
        elif answer.status == 404 and self.mirror:
            hint = f" (is the file in the mirror {self.mirror} set by {MIRROR_SETTING}?)"
        return (
            f"{target.name}: GET {self._describe_request(target, answer)} answered {answer.status} with "
            f"{answer.content_type or 'no Content-Type'}{hint}; expected 200 with {target.what}"
        )

    def _exception_message(self, target: _Target, exc: Exception) -> str:
        message = f"{target.name}: GET {self._describe_request(target)} failed: {_error_text(exc)}"
        message += f"; expected 200 with {target.what}"
        if isinstance(exc, requests.exceptions.ConnectionError | requests.exceptions.Timeout):
            if self.mirror:
                message += f" (is the mirror {self.mirror} set by {MIRROR_SETTING} reachable?)"
            else:
                message += (
                    f" (offline? set {MIRROR_SETTING} to a directory or base URL holding copies of the sources, "
                    "laid out as <host>/<path>)"
                )
        return message


def _validators(previous: PreviousFetch | None) -> dict[str, str]:
    """The conditional-request headers `previous` allows (none without a previous fetch)."""
    headers: dict[str, str] = {}
    if previous is not None and previous.etag:
        headers["If-None-Match"] = previous.etag
    if previous is not None and previous.last_modified:
        headers["If-Modified-Since"] = previous.last_modified
    return headers


def _error_text(error: BaseException | Any) -> str:
    """A short one-line description of an exception: the innermost wrapped cause (urllib3's reason, the
    protocol error behind a requests exception), without the tuple noise of its args."""
    if not isinstance(error, BaseException):
        return str(error)
    while True:
        inner = error.reason if isinstance(error, MaxRetryError) else (error.args or [None])[0]
        if not isinstance(inner, BaseException):
            break
        error = inner
    text = error.args[0] if error.args and isinstance(error.args[0], str) else str(error)
    name = type(error).__name__
    return text if name in text else f"{name}: {text or name}"


def _looks_like_html(body: bytes) -> bool:
    """An HTML error page served with a non-HTML type or status 200."""
    head = body[:512].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<!doctype html", b"<html"))


def _decode(body: bytes, what: str) -> str:
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _Invalid(f"{what} is not UTF-8 text (byte {exc.start}: {exc.reason}); expected a CSV file") from exc


def _validate_csv(required: tuple[str, ...], body: bytes, what: str) -> None:
    """A UTF-8 CSV whose header carries the required (canonical) columns and at least one data row."""
    reader = csv.reader(io.StringIO(_decode(body, what), newline=""))
    try:
        header = next(reader, None)
        if not header or not any(c.strip() for c in header):
            raise _Invalid(f"{what} has no header row; expected a CSV file")
        header = [c.lstrip("\ufeff").strip() for c in header]
        missing = missing_columns(header, required)
        if missing:
            raise _Invalid(f"{what} lacks required column(s) {missing}; found columns {header}")
        if not any(any(cell.strip() for cell in row) for row in reader):
            raise _Invalid(f"{what} has a header but no data rows; expected at least one row")
    except csv.Error as exc:
        raise _Invalid(f"{what} is not a readable CSV ({exc})") from exc


def _validate_zip(source: Source, body: bytes) -> None:
    """A complete zip within its unpacked limit, holding the required members, every CSV member with the required
    columns."""
    if not body.startswith(b"PK\x03\x04"):
        raise _Invalid(f"sent a body that does not start like a zip archive ({body[:8]!r})")
    try:
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            members = zip_members(archive)
            check_declared_sizes(source, members, "sent a zip archive")
            names = {Path(i.filename).name for i in members}
            missing_members = [m for m in source.required_members if m not in names and m not in archive.namelist()]
            if missing_members:
                raise _Invalid(
                    f"sent a zip archive without required member(s) {missing_members}; found {sorted(names)}"
                )
            problems, unpacked = [], 0
            for info in members:
                data = _unpack(archive, info, unpacked, source.max_unpacked_bytes)
                unpacked += len(data)
                if info.filename.lower().endswith(".csv"):
                    try:
                        _validate_csv(source.required_columns, data, f"member {info.filename!r}")
                    except _Invalid as exc:
                        problems.append(str(exc))
            if problems:
                raise _Invalid("sent a zip archive with bad CSV members: " + "; ".join(problems))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
        raise _Invalid(f"sent a truncated or corrupt zip archive of {len(body)} bytes ({exc})") from exc


def zip_members(archive: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    """The members that hold data: no folders, no macOS resource forks."""
    return [i for i in archive.infolist() if not i.is_dir() and not i.filename.startswith("__MACOSX/")]


def check_declared_sizes(source: Source, members: list[zipfile.ZipInfo], subject: str) -> None:
    """Raise `_Oversized` when the zip's directory itself declares more than `max_unpacked_bytes` unpacked: the
    cheap first check, before a byte is unpacked. `subject` names the zip in the message."""
    declared = sum(i.file_size for i in members)
    if declared > source.max_unpacked_bytes:
        largest = max(members, key=lambda i: i.file_size)
        what = (
            f"{subject} whose directory declares {_size(declared)} unpacked (the largest member, "
            f"{largest.filename!r}, {_size(largest.file_size)})"
        )
        raise _Oversized.past(what, declared, source.max_unpacked_bytes, "not unpacked", "max_unpacked_bytes")


def _unpack(archive: zipfile.ZipFile, info: zipfile.ZipInfo, before: int, limit: int) -> bytes:
    """A member's bytes, unpacked in chunks and counted, with `before` bytes of earlier members: `_Oversized` as
    soon as the total passes `limit`, whatever the directory declares.

    zipfile stops a member at the size its directory declares, so a directory that understates a member would
    hand on a cut-off copy; the member is opened with no size of its own, and its CRC is checked on all it holds.
    """
    unbounded = copy.copy(info)
    unbounded.file_size = 1 << 62
    chunks, size = [], 0
    with archive.open(unbounded) as stream:
        while chunk := stream.read(CHUNK):
            size += len(chunk)
            if before + size > limit:
                what = (
                    f"sent a zip archive whose members unpack to {_size(before + size)} by member "
                    f"{info.filename!r} (its directory declares {_size(info.file_size)} for it)"
                )
                raise _Oversized.past(what, before + size, limit, "unpacking stopped there", "max_unpacked_bytes")
            chunks.append(chunk)
    if size != info.file_size:
        raise _Invalid(
            f"sent a zip archive whose member {info.filename!r} unpacks to {_size(size)} but its directory "
            f"declares {_size(info.file_size)}"
        )
    return b"".join(chunks)


def check_landed_size(source: Source, path: Path) -> None:
    """Raise `ValueError` for a landed file past its source's limits (one landed before they were declared), which
    a reader would take whole. A zip's directory is enough here: zipfile reads no member past its declared size."""
    size = path.stat().st_size
    try:
        if size > source.max_bytes:
            raise _Oversized.past(f"{path.name} holds {_size(size)}", size, source.max_bytes, "not read")
        if source.format == "zip":
            with zipfile.ZipFile(path) as archive:
                check_declared_sizes(source, zip_members(archive), f"{path.name} is a zip archive")
    except zipfile.BadZipFile:
        return  # not a zip at all: the reader says so
    except _Oversized as exc:
        raise ValueError(f"{source.name}: {exc} (raise the limit in pipelines/raw/sources.py to load it)") from None


def _size(size: int) -> str:
    """Bytes as people compare them with a limit: exact, and in MiB when that large."""
    return f"{size:,} bytes" + (f" ({size / MiB:.1f} MiB)" if size >= MiB else "")


def _store(directory: Path, name: str, body: bytes) -> Path:
    """Write `body` to `directory/name` atomically (temp file + rename); an existing file is never rewritten."""
    target = directory / name
    if target.exists():
        return target
    directory.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".part")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(body)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, LANDED_MODE)  # never world-readable, whatever the mode of the file it came from
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    return target
