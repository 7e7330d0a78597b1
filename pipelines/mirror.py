"""The source mirror: where a published URL is fetched from when `SCALING_SOURCES_MIRROR` is set.

A base URL is prefixed; a directory is read through `FileAdapter`, a requests adapter for `file://` URLs that answers
like a server (ETag, Last-Modified, 304, 404), so a directory mirror runs the same fetch code as HTTP.
"""

from __future__ import annotations

import contextlib
import email.utils
import io
import mimetypes
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict


def mirrored_url(url: str, mirror: str | None) -> str:
    """Where to fetch `url` from: `<mirror>/<host>/<path>` (query dropped), as file:// for a directory mirror."""
    if not mirror:
        return url
    parts = urlsplit(url)
    tail = f"{parts.netloc}{parts.path or '/'}"
    if "://" in mirror:
        return f"{mirror.rstrip('/')}/{tail}"
    root = Path(mirror).expanduser().resolve()
    return (root / tail.lstrip("/")).as_uri()


class FileAdapter(BaseAdapter):
    """Serve `file://` URLs through a session, so a directory mirror runs the same code path as HTTP.

    Answers 200 with Content-Type, Content-Length, ETag and Last-Modified (from the file's mtime and size),
    304 to a matching If-None-Match (or a not-older If-Modified-Since), 404 for a missing file.
    """

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):  # type: ignore[override]
        parts = urlsplit(request.url)
        path = Path(url2pathname(unquote(parts.path)))
        method = (request.method or "GET").upper()
        if method not in ("GET", "HEAD"):
            return self._response(request, 405, b"method not allowed\n", {"Content-Type": "text/plain"})
        if not path.is_file():
            return self._response(request, 404, b"not found\n", {"Content-Type": "text/plain"})
        stat = path.stat()
        etag = f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"'
        last_modified = email.utils.formatdate(stat.st_mtime, usegmt=True)
        headers = {"ETag": etag, "Last-Modified": last_modified}
        if _not_modified(request.headers, etag, stat.st_mtime):
            return self._response(request, 304, b"", headers)
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        body = b"" if method == "HEAD" else path.read_bytes()
        headers |= {"Content-Type": content_type, "Content-Length": str(stat.st_size)}
        return self._response(request, 200, body, headers)

    def close(self) -> None:
        """Nothing to release: every response owns its bytes."""

    @staticmethod
    def _response(request: requests.PreparedRequest, status: int, body: bytes, headers: dict[str, str]):
        response = requests.Response()
        response.status_code = status
        response.reason = {200: "OK", 304: "Not Modified", 404: "Not Found", 405: "Method Not Allowed"}[status]
        response.headers = CaseInsensitiveDict(headers)
        if "Content-Length" not in response.headers:
            response.headers["Content-Length"] = str(len(body))
        response.raw = io.BytesIO(body)
        response.url = request.url or ""
        response.request = request
        response.encoding = None
        return response


def _not_modified(headers: Any, etag: str, mtime: float) -> bool:
    """Whether conditional request headers match the file (If-None-Match wins over If-Modified-Since)."""
    if_none_match = headers.get("If-None-Match")
    if if_none_match:
        tags = {t.strip().removeprefix("W/") for t in if_none_match.split(",")}
        return "*" in tags or etag in tags
    if_modified_since = headers.get("If-Modified-Since")
    if if_modified_since:
        with contextlib.suppress(TypeError, ValueError):
            return int(mtime) <= email.utils.parsedate_to_datetime(if_modified_since).timestamp()
    return False
