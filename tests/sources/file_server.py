"""A loopback stand-in for an agency's file host (svi.cdc.gov, huduser.gov, data.cdc.gov), for discovery tests.

``FileServer`` is a stdlib ``ThreadingHTTPServer`` on 127.0.0.1 (a free port, a background thread, stopped by the
test). It serves the files it is given, by path (the query string is ignored), answering like a static file host:

- ``HEAD``: 200 with ``Content-Length``, ``ETag`` and ``Last-Modified`` and no body; 404 for an unknown path; 405
  (``Allow: GET``) for every path when ``refuse_head`` is set, as some hosts do.
- ``GET``: the whole body, or with ``Range: bytes=0-0`` a 206 with one byte and ``Content-Range: bytes 0-0/<size>``.
- ``enqueue(path, status, ...)``: answer the next requests to ``path`` with these statuses first (a 503 to retry).

Every request is recorded (method, path, headers) so tests check what was asked. Bodies are whatever the test
hands in (generated, small): no real agency file is served.
"""

from __future__ import annotations

import hashlib
import threading
from collections import defaultdict, deque
from dataclasses import dataclass
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from tests.sources.loopback import start_loopback, stop_loopback


@dataclass(frozen=True)
class ServedFile:
    """A file the server holds; its ETag is derived from the body unless given."""

    body: bytes
    last_modified: float = 1_751_328_000.0  # 2025-07-01 00:00 UTC
    content_type: str = "application/octet-stream"
    etag: str | None = None

    @property
    def tag(self) -> str:
        return self.etag or '"' + hashlib.sha256(self.body).hexdigest()[:20] + '"'


@dataclass(frozen=True)
class SeenRequest:
    method: str
    path: str
    query: str
    headers: dict[str, str]


class FileServer:
    """Serves ``files`` (path -> :class:`ServedFile`) on 127.0.0.1; use as a context manager."""

    def __init__(self, files: dict[str, ServedFile], *, refuse_head: bool = False) -> None:
        self.files = dict(files)
        self.refuse_head = refuse_head
        self.requests: list[SeenRequest] = []
        self._queued: dict[str, deque[int]] = defaultdict(deque)
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def enqueue(self, path: str, *statuses: int) -> None:
        with self._lock:
            self._queued[path].extend(statuses)

    def put(self, path: str, file: ServedFile) -> None:
        with self._lock:
            self.files[path] = file

    @property
    def base_url(self) -> str:
        assert self._httpd is not None, "server not started"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def seen(self, path: str, method: str | None = None) -> list[SeenRequest]:
        return [r for r in self.requests if r.path == path and (method is None or r.method == method)]

    def __enter__(self) -> FileServer:
        server = self

        class Handler(_FileHandler):
            files = server

        self._httpd, self._thread = start_loopback(Handler, "file-server")
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._httpd is not None and self._thread is not None
        stop_loopback(self._httpd, self._thread)

    def _next(self, method: str, path: str, query: str, headers: dict[str, str]) -> tuple[int, ServedFile | None]:
        with self._lock:
            self.requests.append(SeenRequest(method, path, query, headers))
            if self._queued[path]:
                return self._queued[path].popleft(), None
            if method == "HEAD" and self.refuse_head:
                return 405, None
            file = self.files.get(path)
        return (200, file) if file is not None else (404, None)


class _FileHandler(BaseHTTPRequestHandler):
    files: FileServer
    protocol_version = "HTTP/1.1"

    def do_HEAD(self) -> None:
        self._answer("HEAD")

    def do_GET(self) -> None:
        self._answer("GET")

    def _answer(self, method: str) -> None:
        split = urlsplit(self.path)
        status, file = self.files._next(method, split.path, split.query, dict(self.headers.items()))
        if file is None:
            body = f"HTTP {status} from the loopback file server\n".encode()
            self.send_response(status)
            if status == 405:
                self.send_header("Allow", "GET")
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if method == "GET":
                self.wfile.write(body)
            return
        body = file.body
        ranged = method == "GET" and self.headers.get("Range") == "bytes=0-0" and body
        self.send_response(206 if ranged else 200)
        self.send_header("Content-Type", file.content_type)
        self.send_header("ETag", file.tag)
        self.send_header("Last-Modified", formatdate(file.last_modified, usegmt=True))
        self.send_header("Accept-Ranges", "bytes")
        if ranged:
            self.send_header("Content-Range", f"bytes 0-0/{len(body)}")
            body = body[:1]
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if method == "GET":
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
        pass
