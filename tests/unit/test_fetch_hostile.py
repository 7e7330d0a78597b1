"""What a hostile or broken source server (or mirror) cannot make the fetcher do: read a local file through a
redirect, read outside the mirror directory, download without end, or land a file others may read."""

from __future__ import annotations

import contextlib
import dataclasses
import http.server
import os
import stat
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
from conftest import serving

from pipelines.raw.fetch import Fetcher, FetchError, TooLarge, build_session
from pipelines.raw.mirror import FileAdapter
from pipelines.raw.sources import source
from tests.unit.test_fetch import NOTABLE
from tests.unit.test_fetch import make_fetcher as fetcher

Answer = Callable[[http.server.BaseHTTPRequestHandler], None]


@contextlib.contextmanager
def answering(answer: Answer) -> Iterator[tuple[str, list[str]]]:
    """An HTTP server on 127.0.0.1 answering every GET with `answer`; yields its base URL and the paths asked."""
    asked: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                answer(self)

        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

    with serving(Handler) as base_url:
        yield base_url, asked


def redirect_to(location: str) -> Answer:
    def answer(handler: http.server.BaseHTTPRequestHandler) -> None:
        handler.send_response(302)
        handler.send_header("Location", location)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return answer


def everything_said(error: FetchError) -> str:
    """The message and every field of every attempt row: what reaches the log, ops.fetch_log and the journal."""
    return str(error) + "".join(str(attempt.as_row()) for attempt in error.attempts)


def test_a_redirect_to_etc_passwd_is_refused_naming_the_source_the_url_and_the_scheme(tmp_path) -> None:
    first_line = Path("/etc/passwd").read_text().splitlines()[0]
    with answering(redirect_to("file:///etc/passwd")) as (base, asked), pytest.raises(FetchError) as refused:
        fetcher(tmp_path / "raw", base).fetch(source("notable_models"))

    message = str(refused.value)
    assert message.startswith(f"notable_models: GET {base}{NOTABLE} (for https://epoch.ai/data/notable_ai_models.csv)")
    assert f"refused a redirect from {base}{NOTABLE} to a file: URL (file:///etc/passwd)" in message
    [attempt] = refused.value.attempts  # not retried: the server's answer would be the same
    assert (attempt.status, attempt.outcome, attempt.bytes, attempt.path) == (302, "failed", None, None)
    assert "refused a redirect" in attempt.error and "file:" in attempt.error
    assert first_line not in everything_said(refused.value)
    assert asked == [NOTABLE]
    assert not (tmp_path / "raw").exists()


def test_a_redirect_to_a_private_local_csv_is_refused_and_its_content_lands_nowhere(tmp_path, fixture_sources) -> None:
    private = tmp_path / "private.csv"
    header = (fixture_sources / NOTABLE.lstrip("/")).read_text(encoding="utf-8").splitlines()[0]
    private.write_text(f"{header}\nSecret model 7f3a,,,,,,\n", encoding="utf-8")
    private.chmod(0o600)
    with answering(redirect_to(private.as_uri())) as (base, _), pytest.raises(FetchError) as refused:
        served = dataclasses.replace(source("notable_models"), url=f"{base}/data.csv")  # no mirror: the source itself
        fetcher(tmp_path / "raw", None).fetch(served)

    assert f"to a file: URL ({private.as_uri()})" in str(refused.value)
    assert "Secret model 7f3a" not in everything_said(refused.value)
    assert not (tmp_path / "raw").exists()


def test_a_redirect_to_another_http_url_is_still_followed(tmp_path, http_mirror, fixture_sources) -> None:
    http_mirror.fault(NOTABLE, ("redirect", f"{NOTABLE}?moved=1"))
    result = fetcher(tmp_path, http_mirror.base_url).fetch(source("notable_models"))

    assert result.outcome == "downloaded"
    assert result.path.read_bytes() == (fixture_sources / NOTABLE.lstrip("/")).read_bytes()


def test_a_session_without_a_directory_mirror_reads_no_file_url(tmp_path) -> None:
    with pytest.raises(requests.exceptions.InvalidSchema):
        build_session().get("file:///etc/passwd")
    Fetcher(tmp_path, "http://127.0.0.1:1")  # an http mirror mounts nothing for file://
    with pytest.raises(requests.exceptions.InvalidSchema):
        Fetcher(tmp_path, None).session.get("file:///etc/passwd")


def directory_mirror(tmp_path: Path, fixture_sources: Path) -> Path:
    """A mirror directory holding the hardware file, beside a secret that is not part of it."""
    root = tmp_path / "mirror"
    (root / "epoch.ai/data").mkdir(parents=True)
    hardware = (fixture_sources / "epoch.ai/data/ml_hardware.csv").read_bytes()
    (root / "epoch.ai/data/ml_hardware.csv").write_bytes(hardware)
    (tmp_path / "secret.csv").write_bytes(hardware + b"SECRET-ROW\n")
    return root


def test_a_directory_mirror_refuses_a_path_climbing_out_of_it(tmp_path, fixture_sources) -> None:
    root = directory_mirror(tmp_path, fixture_sources)
    climbing = dataclasses.replace(source("ml_hardware"), url="https://epoch.ai/../../secret.csv")
    with pytest.raises(FetchError) as refused:
        fetcher(tmp_path / "raw", str(root)).fetch(climbing)

    assert "answered 403" in str(refused.value) and "out of the mirror directory" in str(refused.value)
    assert "SECRET-ROW" not in everything_said(refused.value)
    session = requests.Session()
    session.mount("file://", FileAdapter(root))
    for url in (f"{root.as_uri()}/%2e%2e/secret.csv", (tmp_path / "secret.csv").as_uri(), "file:///etc/passwd"):
        assert session.get(url).status_code == 403, url
    assert session.get(f"{root.as_uri()}/epoch.ai/data/ml_hardware.csv").status_code == 200


def test_a_directory_mirror_refuses_a_symlink_leading_out_but_follows_one_inside(tmp_path, fixture_sources) -> None:
    root = directory_mirror(tmp_path, fixture_sources)
    (root / "epoch.ai/data/notable_ai_models.csv").symlink_to(tmp_path / "secret.csv")
    (root / "epoch.ai/data/frontier_ai_models.csv").symlink_to(root / "epoch.ai/data/ml_hardware.csv")
    notable = dataclasses.replace(source("notable_models"), required_columns=("Hardware name",), key_columns=())
    frontier = dataclasses.replace(notable, name="frontier_models", url="https://epoch.ai/data/frontier_ai_models.csv")
    with pytest.raises(FetchError, match="answered 403") as refused:
        fetcher(tmp_path / "raw", str(root)).fetch(notable)
    assert "SECRET-ROW" not in everything_said(refused.value)

    inside = fetcher(tmp_path / "raw", str(root)).fetch(frontier)
    assert inside.path.read_bytes() == (root / "epoch.ai/data/ml_hardware.csv").read_bytes()


def test_landed_files_are_readable_by_owner_and_group_only_whatever_the_source_mode(tmp_path, fixture_sources) -> None:
    root = directory_mirror(tmp_path, fixture_sources)
    (root / "epoch.ai/data/ml_hardware.csv").chmod(0o666)
    previous = os.umask(0)
    try:
        result = fetcher(tmp_path / "raw", str(root)).fetch(source("ml_hardware"))
    finally:
        os.umask(previous)
    assert stat.S_IMODE(result.path.stat().st_mode) == 0o640


def endless(handler: http.server.BaseHTTPRequestHandler) -> None:
    """200 with a valid CSV header, then rows until the client hangs up (or 64 MiB, so a fetcher that never stops
    fails the test instead of filling the memory), without a Content-Length: the body ends when it closes."""
    handler.send_response(200)
    handler.send_header("Content-Type", "text/csv")
    handler.end_headers()
    handler.wfile.write(b"Hardware name,Release date,Release price (USD),FP32 (single precision) performance (FLOP/s),"
                        b"TDP (W)\n")  # fmt: skip
    rows = b"Chip,2024-01-01,1000,1e14,300\n" * 4096
    for _ in range((64 << 20) // len(rows)):
        handler.wfile.write(rows)


def test_an_endless_download_stops_at_max_bytes_and_is_rejected_naming_the_sizes(tmp_path) -> None:
    with answering(endless) as (base, asked):
        hardware = dataclasses.replace(source("ml_hardware"), url=f"{base}/ml_hardware.csv", max_bytes=1 << 20)
        started = time.monotonic()
        with pytest.raises(TooLarge) as rejected:
            fetcher(tmp_path / "raw", None).fetch(hardware)

    assert time.monotonic() - started < 10
    message = str(rejected.value)
    assert "over its max_bytes limit of 1,048,576 bytes (1.0 MiB); the download stopped there" in message
    assert f"sent {rejected.value.size:,} bytes" in message and "rejected as too large" in message
    assert 1 << 20 < rejected.value.size <= (1 << 20) + (1 << 16)
    [attempt] = rejected.value.attempts
    assert (attempt.outcome, attempt.bytes, attempt.sha256, attempt.path) == ("failed", rejected.value.size, None, None)
    assert len(asked) == 1 and not (tmp_path / "raw").exists()


def test_a_content_length_past_max_bytes_is_rejected_before_the_body_is_read(tmp_path, http_mirror) -> None:
    small = dataclasses.replace(source("notable_models"), max_bytes=100_000)  # the fixture file: 115,690 bytes
    with pytest.raises(TooLarge) as rejected:
        fetcher(tmp_path, http_mirror.base_url).fetch(small)

    message = str(rejected.value)
    assert "declared 115,690 bytes, over its max_bytes limit of 100,000 bytes; not downloaded" in message
    assert (rejected.value.size, rejected.value.limit) == (115_690, 100_000)
    assert [(a.status, a.outcome, a.bytes) for a in rejected.value.attempts] == [(200, "failed", 0)]
    assert http_mirror.paths_requested(NOTABLE) == 1
