"""The download path end to end against a local HTTP mirror of the fixture files (tests/fixtures/sources): retries,
validation, storage and fetch_log rows."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
import socket
from datetime import datetime
from pathlib import Path

import pytest
from conftest import source_file

from pipelines.raw.fetch import (
    USER_AGENT,
    FetchAttempt,
    Fetcher,
    FetchError,
    PreviousFetch,
    build_session,
    mirrored_url,
)
from pipelines.raw.sources import source

NOTABLE = "/epoch.ai/data/notable_ai_models.csv"
BENCHMARKS = "/epoch.ai/data/benchmark_data.zip"
FETCH_LOG_COLUMNS = (
    "source",
    "url",
    "requested_url",
    "attempt",
    "status",
    "outcome",
    "error",
    "bytes",
    "sha256",
    "etag",
    "last_modified",
    "content_type",
    "path",
    "fetched_at",
)


def make_fetcher(raw_dir: Path, mirror: str | None, retries: int = 2, read_timeout: float = 5.0) -> Fetcher:
    """A fetcher with no backoff and short timeouts, so fault tests run in well under a second each."""
    return Fetcher(
        raw_dir,
        mirror,
        session=build_session(retries=retries, backoff=0),
        connect_timeout=2.0,
        read_timeout=read_timeout,
    )


def stored_files(raw_dir: Path) -> list[Path]:
    return sorted(p for p in raw_dir.rglob("*") if p.is_file()) if raw_dir.exists() else []


def test_the_notable_csv_is_downloaded_and_stored_under_its_sha256(tmp_path, http_mirror, fixture_sources):
    raw = tmp_path / "raw"
    result = make_fetcher(raw, http_mirror.base_url).fetch(source("notable_models"))

    expected = (fixture_sources / NOTABLE.lstrip("/")).read_bytes()
    sha = hashlib.sha256(expected).hexdigest()
    assert result.outcome == "downloaded"
    assert result.path == raw / "notable_models" / f"{sha}.csv"
    assert result.path.read_bytes() == expected
    assert (result.sha256, result.bytes) == (sha, len(expected))
    assert result.url == "https://epoch.ai/data/notable_ai_models.csv"
    assert result.content_type.startswith("text/csv")
    assert result.etag == f'"{sha}"' and result.last_modified
    assert result.fetched_at.tzinfo is not None and result.fetched_at.utcoffset().total_seconds() == 0
    assert stored_files(raw) == [result.path]

    [attempt] = result.attempts
    row = attempt.as_row()
    assert tuple(row) == FETCH_LOG_COLUMNS
    assert tuple(f.name for f in dataclasses.fields(FetchAttempt)) == FETCH_LOG_COLUMNS
    assert row["requested_url"] == http_mirror.url(NOTABLE)
    assert row["url"] == result.url
    assert (row["attempt"], row["status"], row["outcome"], row["error"]) == (1, 200, "downloaded", None)
    assert (row["sha256"], row["bytes"], row["path"]) == (sha, len(expected), str(result.path))
    assert isinstance(row["fetched_at"], datetime)

    [(method, path, headers)] = http_mirror.requests
    assert (method, path) == ("GET", NOTABLE)
    assert headers["User-Agent"] == USER_AGENT


def test_a_500_is_retried_and_each_attempt_gets_a_row(tmp_path, http_mirror):
    http_mirror.fault(NOTABLE, ("status", 500))
    result = make_fetcher(tmp_path, http_mirror.base_url).fetch(source("notable_models"))

    assert result.outcome == "downloaded"
    assert [(a.attempt, a.status, a.outcome) for a in result.attempts] == [(1, 500, "retried"), (2, 200, "downloaded")]
    assert http_mirror.paths_requested(NOTABLE) == 2


def test_a_500_forever_fails_naming_the_url(tmp_path, http_mirror):
    http_mirror.fault(NOTABLE, *[("status", 503)] * 10)
    with pytest.raises(FetchError) as caught:
        make_fetcher(tmp_path, http_mirror.base_url, retries=2).fetch(source("notable_models"))

    message = str(caught.value)
    assert "notable_models" in message and http_mirror.url(NOTABLE) in message
    assert "https://epoch.ai/data/notable_ai_models.csv" in message and "503" in message
    assert caught.value.url == "https://epoch.ai/data/notable_ai_models.csv"
    assert [(a.status, a.outcome) for a in caught.value.attempts] == [(503, "retried")] * 2 + [(503, "failed")]
    assert stored_files(tmp_path) == []


def test_a_404_html_page_fails_naming_the_url_and_status(tmp_path, http_mirror):
    http_mirror.fault(NOTABLE, ("html", 404))
    with pytest.raises(FetchError) as caught:
        make_fetcher(tmp_path, http_mirror.base_url).fetch(source("notable_models"))

    message = str(caught.value)
    assert f"GET {http_mirror.url(NOTABLE)} (for https://epoch.ai/data/notable_ai_models.csv) answered 404" in message
    assert "text/html" in message and "expected 200 with a CSV file" in message
    [attempt] = caught.value.attempts
    assert (attempt.status, attempt.outcome) == (404, "failed")


def test_a_200_html_page_is_not_a_csv(tmp_path, http_mirror):
    http_mirror.fault(NOTABLE, ("html", 200))
    with pytest.raises(FetchError, match="HTML") as caught:
        make_fetcher(tmp_path, http_mirror.base_url).fetch(source("notable_models"))

    assert http_mirror.url(NOTABLE) in str(caught.value)
    assert [(a.status, a.outcome) for a in caught.value.attempts] == [(200, "failed")]
    assert stored_files(tmp_path) == []


def test_a_zip_truncated_on_every_try_fails_and_writes_nothing(tmp_path, http_mirror):
    http_mirror.fault(BENCHMARKS, *[("truncate", 1000)] * 3)
    with pytest.raises(FetchError) as caught:
        make_fetcher(tmp_path, http_mirror.base_url, retries=2).fetch(source("benchmark_data"))

    assert http_mirror.url(BENCHMARKS) in str(caught.value) and "benchmark_data" in str(caught.value)
    assert [a.outcome for a in caught.value.attempts] == ["retried", "retried", "failed"]
    assert all(a.status == 200 and "1000 bytes read" in a.error for a in caught.value.attempts)
    assert http_mirror.paths_requested(BENCHMARKS) == 3
    assert list(tmp_path.iterdir()) == []


def test_a_zip_truncated_once_recovers(tmp_path, http_mirror, fixture_sources):
    http_mirror.fault(BENCHMARKS, ("truncate", 5000))
    result = make_fetcher(tmp_path, http_mirror.base_url).fetch(source("benchmark_data"))

    assert result.outcome == "downloaded"
    assert result.path.read_bytes() == (fixture_sources / BENCHMARKS.lstrip("/")).read_bytes()
    assert result.path.suffix == ".zip"
    assert [a.outcome for a in result.attempts] == ["retried", "downloaded"]


def test_a_read_timeout_on_every_try_fails_naming_the_url(tmp_path, http_mirror):
    http_mirror.fault(NOTABLE, *[("sleep", 0.8)] * 2)
    with pytest.raises(FetchError) as caught:
        make_fetcher(tmp_path, http_mirror.base_url, retries=1, read_timeout=0.3).fetch(source("notable_models"))

    message = str(caught.value)
    assert http_mirror.url(NOTABLE) in message and "timed out" in message.lower()
    assert [(a.status, a.outcome) for a in caught.value.attempts] == [(None, "retried"), (None, "failed")]
    assert all("timed out" in a.error.lower() for a in caught.value.attempts)
    assert stored_files(tmp_path) == []


def test_a_conditional_get_answers_not_modified_without_a_body(tmp_path, http_mirror):
    fetcher = make_fetcher(tmp_path, http_mirror.base_url)
    first = fetcher.fetch(source("notable_models"))
    previous = PreviousFetch(sha256=first.sha256, etag=first.etag, last_modified=first.last_modified, path=first.path)
    second = fetcher.fetch(source("notable_models"), previous)

    assert second.outcome == "not_modified"
    assert (second.path, second.sha256, second.bytes) == (first.path, first.sha256, first.bytes)
    assert [(a.status, a.outcome) for a in second.attempts] == [(304, "not_modified")]
    assert http_mirror.requests[-1][2]["If-None-Match"] == first.etag
    assert stored_files(tmp_path) == [first.path]


def test_the_same_bytes_without_validators_are_unchanged(tmp_path, http_mirror):
    fetcher = make_fetcher(tmp_path, http_mirror.base_url)
    first = fetcher.fetch(source("ml_hardware"))
    mtime = first.path.stat().st_mtime_ns
    second = fetcher.fetch(source("ml_hardware"), PreviousFetch(sha256=first.sha256, path=first.path))

    assert second.outcome == "unchanged"
    assert second.path == first.path and first.path.stat().st_mtime_ns == mtime
    assert "If-None-Match" not in http_mirror.requests[-1][2]
    assert stored_files(tmp_path) == [first.path]


def test_a_missing_optional_source_is_not_an_error(tmp_path, http_mirror):
    result = make_fetcher(tmp_path, http_mirror.base_url).fetch(source("all_models"))

    assert result.outcome == "missing_optional" and result.path is None and result.sha256 is None
    assert [(a.status, a.outcome) for a in result.attempts] == [(404, "missing_optional")]
    assert stored_files(tmp_path) == []


def test_owid_metadata_answered_404_is_a_missing_optional_file(tmp_path, http_mirror):
    fetcher = make_fetcher(tmp_path, http_mirror.base_url)
    result = fetcher.fetch_metadata(source("owid_training_computation"))

    assert result is not None and result.outcome == "missing_optional"
    assert result.url.endswith("artificial-intelligence-training-computation.metadata.json?v=1&csvType=full")
    slug = "artificial-intelligence-training-computation"
    assert http_mirror.requests[-1][1] == f"/ourworldindata.org/grapher/{slug}.metadata.json"
    assert fetcher.fetch_metadata(source("notable_models")) is None


def test_owid_metadata_is_stored_as_json_when_served(tmp_path, http_mirror, fixture_sources):
    root = tmp_path / "mirror"
    shutil.copytree(fixture_sources / "ourworldindata.org", root / "ourworldindata.org")
    slug = "cumulative-number-of-large-scale-ai-models-by-domain"
    (root / f"ourworldindata.org/grapher/{slug}.metadata.json").write_text(json.dumps({"chart": {"title": "x"}}))
    http_mirror.root = root
    raw = tmp_path / "raw"

    result = make_fetcher(raw, http_mirror.base_url).fetch_metadata(source("owid_large_scale_by_domain"))

    assert result.outcome == "downloaded"
    assert result.path == raw / "owid_large_scale_by_domain" / "metadata" / f"{result.sha256}.json"
    assert json.loads(result.path.read_text()) == {"chart": {"title": "x"}}


def test_a_directory_mirror_runs_through_the_file_adapter(tmp_path, fixture_sources):
    fetcher = make_fetcher(tmp_path, str(fixture_sources))
    result = fetcher.fetch(source("owid_mmlu_vs_compute"))

    published = source_file(fixture_sources, "owid_mmlu_vs_compute")
    assert result.outcome == "downloaded" and result.path.read_bytes() == published.read_bytes()
    [attempt] = result.attempts
    assert attempt.requested_url == published.as_uri() and attempt.status == 200
    assert result.content_type == "text/csv" and result.etag and result.last_modified

    previous = PreviousFetch(result.sha256, result.etag, result.last_modified, result.path)
    assert fetcher.fetch(source("owid_mmlu_vs_compute"), previous).outcome == "not_modified"
    assert fetcher.fetch(source("all_models")).outcome == "missing_optional"
    with pytest.raises(FetchError, match=r"ml_hardware: GET file://\S+/epoch\.ai/data/nope\.csv .* answered 404"):
        fetcher.fetch(dataclasses.replace(source("ml_hardware"), url="https://epoch.ai/data/nope.csv"))


def test_a_csv_missing_a_required_column_lists_it(tmp_path, http_mirror, fixture_sources):
    root = tmp_path / "mirror"
    (root / "epoch.ai/data").mkdir(parents=True)
    text = (fixture_sources / NOTABLE.lstrip("/")).read_text(encoding="utf-8")
    assert text.startswith("Model,")
    (root / NOTABLE.lstrip("/")).write_text("Name," + text.removeprefix("Model,"), encoding="utf-8")
    http_mirror.root = root

    with pytest.raises(FetchError) as caught:
        make_fetcher(tmp_path / "raw", http_mirror.base_url).fetch(source("notable_models"))

    message = str(caught.value)
    assert "['Model']" in message and "'Name'" in message and http_mirror.url(NOTABLE) in message
    assert not (tmp_path / "raw").exists()


def test_a_csv_alias_satisfies_a_required_column(tmp_path, http_mirror, fixture_sources):
    root = tmp_path / "mirror"
    (root / "epoch.ai/data").mkdir(parents=True)
    text = (fixture_sources / NOTABLE.lstrip("/")).read_text(encoding="utf-8")
    (root / NOTABLE.lstrip("/")).write_text("\ufeffSystem," + text.removeprefix("Model,"), encoding="utf-8")
    http_mirror.root = root

    assert make_fetcher(tmp_path / "raw", http_mirror.base_url).fetch(source("notable_models")).outcome == "downloaded"


def test_a_fetch_offline_without_a_mirror_names_the_mirror_setting(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    unreachable = dataclasses.replace(source("ml_hardware"), url=f"http://127.0.0.1:{port}/data/ml_hardware.csv")

    with pytest.raises(FetchError) as caught:
        make_fetcher(tmp_path, None, retries=1).fetch(unreachable)

    message = str(caught.value)
    assert unreachable.url in message and "SCALING_SOURCES_MIRROR" in message and "ml_hardware" in message
    assert [a.outcome for a in caught.value.attempts] == ["retried", "failed"]
    assert all(a.status is None and a.error for a in caught.value.attempts)


@pytest.mark.parametrize(
    ("url", "mirror", "expected"),
    [
        ("https://epoch.ai/data/ml_hardware.csv", None, "https://epoch.ai/data/ml_hardware.csv"),
        ("https://epoch.ai/data/ml_hardware.csv", "", "https://epoch.ai/data/ml_hardware.csv"),
        (
            "https://epoch.ai/data/ml_hardware.csv",
            "http://127.0.0.1:8123",
            "http://127.0.0.1:8123/epoch.ai/data/ml_hardware.csv",
        ),
        (
            "https://ourworldindata.org/grapher/x.csv?v=1&csvType=full",
            "http://127.0.0.1:8123/mirror/",
            "http://127.0.0.1:8123/mirror/ourworldindata.org/grapher/x.csv",
        ),
        (
            "https://ourworldindata.org/grapher/x.csv?v=1",
            "/srv/sources",
            "file:///srv/sources/ourworldindata.org/grapher/x.csv",
        ),
    ],
)
def test_a_source_url_maps_onto_the_mirror_by_host_and_path(url, mirror, expected):
    assert mirrored_url(url, mirror) == expected


def test_a_relative_mirror_directory_is_resolved_from_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert mirrored_url("https://epoch.ai/data/a.csv", "sources") == (tmp_path / "sources/epoch.ai/data/a.csv").as_uri()


def test_a_trickling_server_fails_at_the_download_deadline(tmp_path, http_mirror):
    """One byte every 0.2 s never trips a read timeout; the overall deadline stops the download."""
    import time

    http_mirror.fault(NOTABLE, ("trickle", 0.2))
    fetcher = Fetcher(
        tmp_path,
        http_mirror.base_url,
        session=build_session(retries=2, backoff=0),
        connect_timeout=2.0,
        read_timeout=5.0,
        deadline=2.0,
    )
    started = time.monotonic()
    with pytest.raises(FetchError) as raised:
        fetcher.fetch(source("notable_models"))
    assert time.monotonic() - started < 6.0
    assert "deadline of 2 s" in str(raised.value) and "SCALING_FETCH_DEADLINE" in str(raised.value)
    assert raised.value.attempts[-1].outcome == "failed"
    assert stored_files(tmp_path) == []


def test_a_redirect_to_an_html_page_names_the_target(tmp_path, http_mirror):
    http_mirror.fault(NOTABLE, ("redirect", "/maintenance.html"))
    http_mirror.fault("/maintenance.html", ("html", 200))
    with pytest.raises(FetchError) as raised:
        make_fetcher(tmp_path, http_mirror.base_url).fetch(source("notable_models"))
    assert f"redirected to {http_mirror.base_url}/maintenance.html" in str(raised.value)
    assert "HTML page" in str(raised.value)


def test_the_change_check_is_one_conditional_get_on_the_same_retry_path(tmp_path, http_mirror):
    """The source-check sensor's question, asked through the pull's own fetcher: 304 is unchanged, a 503 is
    retried like a download, and a source without validators is always worth a pull."""
    fetcher = make_fetcher(tmp_path, http_mirror.base_url)
    first = fetcher.fetch(source("notable_models"))
    previous = PreviousFetch(first.sha256, first.etag, first.last_modified, first.path)
    before = len(http_mirror.requests)

    assert fetcher.changed(source("notable_models"), previous) is False
    http_mirror.fault(NOTABLE, ("status", 503))
    assert fetcher.changed(source("notable_models"), previous) is False
    assert fetcher.changed(source("notable_models"), PreviousFetch(first.sha256)) is True
    asked = http_mirror.requests[before:]
    assert len(asked) == 3 and all(headers["If-None-Match"] == first.etag for _, _, headers in asked)

    http_mirror.fault(NOTABLE, *[("status", 503)] * 3)
    with pytest.raises(FetchError) as caught:
        fetcher.changed(source("notable_models"), previous)
    assert [(a.status, a.outcome) for a in caught.value.attempts] == [(503, "retried")] * 2 + [(503, "failed")]


def test_a_fetcher_without_time_to_download_is_refused_when_made(tmp_path):
    """A deadline of 0 would fail every source, one by one, far from the setting that caused it."""
    for deadline in (0, -1.0):
        with pytest.raises(ValueError, match="fails every source; expected above 0"):
            Fetcher(tmp_path, None, deadline=deadline)
