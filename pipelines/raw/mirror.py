"""The source mirror: where a published URL is fetched from when `SCALING_SOURCES_MIRROR` is set.

A base URL is prefixed; a directory is read through `FileAdapter`, a requests adapter for `file://` URLs under that
directory that answers like a server (ETag, Last-Modified, 304, 404), so a directory mirror runs the same fetch code
as HTTP. Nothing else reads `file://`: without a directory mirror no session has the adapter, and the fetcher follows
redirects only to http(s) (see `pipelines.raw.fetch`).
"""

from __future__ import annotations

import contextlib
import email.utils
import io
import mimetypes
from pathlib import Path, PurePath
from typing import Any, BinaryIO
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

_REASONS = {200: "OK", 304: "Not Modified", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed"}


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


def mirror_directory(mirror: str | None) -> Path | None:
    """The directory a mirror setting names (a path or a file:// URL), or None for none or an http(s) base URL."""
    if not mirror:
        return None
    if "://" not in mirror:
        return Path(mirror).expanduser().resolve()
    parts = urlsplit(mirror)
    return Path(url2pathname(unquote(parts.path))).resolve() if parts.scheme.lower() == "file" else None


class FileAdapter(BaseAdapter):
    """Serve `file://` URLs under `root` through a session, so a directory mirror runs the same code path as HTTP.

    Answers 200 with Content-Type, Content-Length, ETag and Last-Modified (from the file's mtime and size),
    304 to a matching If-None-Match (or a not-older If-Modified-Since), 404 for a missing file and 403 for a path
    outside `root` (a `..` or a symlink leading out of it): the mirror serves its own files and nothing else.
    The body is streamed from the file, so the fetcher's size limit stops the read, not the end of the file.
    """

    def __init__(self, root: Path | str) -> None:
        super().__init__()
        self.root = Path(root).expanduser().resolve()

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):  # type: ignore[override]
        method = (request.method or "GET").upper()
        if method not in ("GET", "HEAD"):
            return self._response(request, 405, b"method not allowed\n", {"Content-Type": "text/plain"})
        path = self._inside(request.url or "")
        if path is None:
            body = f"outside the mirror directory {self.root}\n".encode()
            return self._response(request, 403, body, {"Content-Type": "text/plain"})
        if not path.is_file():
            return self._response(request, 404, b"not found\n", {"Content-Type": "text/plain"})
        stat = path.stat()
        etag = f'"{stat.st_mtime_ns:x}-{stat.st_size:x}"'
        last_modified = email.utils.formatdate(stat.st_mtime, usegmt=True)
        headers = {"ETag": etag, "Last-Modified": last_modified}
        if _not_modified(request.headers, etag, stat.st_mtime):
            return self._response(request, 304, b"", headers)
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        headers |= {"Content-Type": content_type, "Content-Length": str(stat.st_size)}
        return self._response(request, 200, b"" if method == "HEAD" else path.open("rb"), headers)

    def close(self) -> None:
        """Nothing to release: every response owns its file."""

    def _inside(self, url: str) -> Path | None:
        """The file a URL names when it lies under the root once `..` and symlinks are resolved, else None."""
        parts = urlsplit(url)
        name = url2pathname(unquote(parts.path))
        if parts.netloc not in ("", "localhost") or ".." in PurePath(name).parts:
            return None
        try:
            path = Path(name).resolve()
        except (OSError, ValueError):  # a NUL byte, a symlink loop
            return None
        return path if path.is_relative_to(self.root) else None

    @staticmethod
    def _response(request: requests.PreparedRequest, status: int, body: bytes | BinaryIO, headers: dict[str, str]):
        response = requests.Response()
        response.status_code = status
        response.reason = _REASONS[status]
        response.headers = CaseInsensitiveDict(headers)
        if isinstance(body, bytes):
            response.headers.setdefault("Content-Length", str(len(body)))
            body = io.BytesIO(body)
        response.raw = body
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
