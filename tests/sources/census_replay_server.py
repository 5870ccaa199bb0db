"""A local stand-in for the Census Data API that replays the real snapshot, for testing live mode end to end.

``CensusReplayServer`` is a stdlib ``ThreadingHTTPServer`` bound to 127.0.0.1 on a free port, run in a background
thread. For ``GET /data/<vintage>/<dataset path>?get=NAME,V1,V2&for=county:*&in=state:06&key=...`` it finds the
snapshot file ``census_api/<vintage>/<dataset>/<geography>/[<state>/[<county>/]]<table>.json`` (read in place,
never copied), keeps only the rows of the requested geographies, and answers only the requested columns (NAME and
the variables in the order asked, then the geography columns) as the real API does, one row per line.

Like the real API it needs a ``key``: a missing key is redirected (302) to an HTML "missing key" page, a key other
than the accepted one gets a 200 HTML "Invalid Key" page, and an unknown variable gets HTTP 400 with
``error: error: unknown variable '<name>'``.

It also answers ``GET /data.json`` (the API's dataset catalog, which the new-data sensor reads) with a catalog the
test hands to ``serve_catalog()``; :func:`catalog_from_snapshot` GENERATES one from the snapshot's ``census_api/``
folder names (loopback only; it is not the Census Bureau's catalog and says so in its description).

Tests script it with ``enqueue()`` (canned responses sent, in order, before replaying resumes) or ``always()``
(one canned response for every request; both only for requests that carry a key), and read ``requests`` (every request received: path, raw query and
parsed query) to count attempts and check what was sent.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from sources.census_api import (
    GEOGRAPHY_COLUMNS,  # the API's geography columns, a fact of the API shared with the client
)
from tests.sources.loopback import start_loopback, stop_loopback

# Shaped like the page the real API returns for a key it does not know (reported in censusdis/censusdis#319).
INVALID_KEY_PAGE = """<html><head><title>Invalid Key</title></head><body>
<div class="flex-container content">
    <div class="content-wrap center">
        <h1>Invalid Key</h1>
        <p>
            A valid <em>key</em> must be included with each data API request.
            You included a key with this request, however, it is not valid.
            Please check your key and try again.
        </p>
        <p>
            If you do not have a key you may sign up for one <a href="key_signup.html">here</a>.
        </p>
    </div>
</div>
</body></html>
"""

MISSING_KEY_PAGE = """<html><head><title>Missing Key</title></head><body>
<h1>Missing Key</h1>
<p>A valid <em>key</em> must be included with each data API request.
You may sign up for one <a href="key_signup.html">here</a>.</p>
</body></html>
"""


@dataclass(frozen=True)
class CannedResponse:
    """One scripted answer: status, body and extra headers."""

    status: int
    body: bytes | str = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "text/plain;charset=utf-8"
    delay_seconds: float = 0.0  # wait this long before answering (to provoke a client read timeout)

    @property
    def body_bytes(self) -> bytes:
        return self.body.encode("utf-8") if isinstance(self.body, str) else self.body


@dataclass(frozen=True)
class RecordedRequest:
    """One request the server received."""

    path: str
    query: str  # raw, as sent (still percent-encoded)
    params: dict[str, list[str]]

    @property
    def target(self) -> str:
        return f"{self.path}?{self.query}" if self.query else self.path

    @property
    def get_variables(self) -> list[str]:
        return self.params.get("get", [""])[0].split(",")


def json_response(rows: list[list], status: int = 200, headers: dict[str, str] | None = None) -> CannedResponse:
    """A canned answer in the API's own layout: a JSON array of arrays, one row per line."""
    body = "[" + ",\n".join(json.dumps(row, separators=(",", ":")) for row in rows) + "]\n"
    return CannedResponse(status, body, headers or {}, content_type="application/json;charset=utf-8")


def catalog_from_snapshot(census_root: Path, base_url: str, modified: str = "2026-12-01") -> dict:
    """A DCAT catalog GENERATED from the snapshot's folder names, shaped like ``https://api.census.gov/data.json``:
    one entry per ``<year>/<dataset path>/`` folder that holds a geography folder (``acs/acs5``, ``acs/acs5/subject``,
    ``dec/pl``, ``dec/sf1``), with ``c_vintage``, ``c_dataset``, ``modified`` and a distribution URL. Only for the
    loopback replay server; the description says it is generated."""
    entries = []
    for year_dir in sorted(p for p in Path(census_root).iterdir() if p.is_dir() and p.name.isdigit()):
        for dataset in (("acs", "acs5"), ("acs", "acs5", "subject"), ("dec", "pl"), ("dec", "sf1")):
            folder = year_dir.joinpath(*dataset)
            if not folder.is_dir() or not any(child.name in GEOGRAPHY_COLUMNS for child in folder.iterdir()):
                continue
            entries.append(
                {
                    "@type": "dcat:Dataset",
                    "title": f"{' '.join(dataset)} {year_dir.name} (GENERATED for a loopback test)",
                    "c_vintage": int(year_dir.name),
                    "c_dataset": list(dataset),
                    "c_isAggregate": True,
                    "modified": modified,
                    "distribution": [{"accessURL": f"{base_url}/{year_dir.name}/{'/'.join(dataset)}"}],
                }
            )
    return {
        "@context": "https://project-open-data.cio.gov/v1.1/schema/catalog.jsonld",
        "@type": "dcat:Catalog",
        "description": "GENERATED by tests/sources/census_replay_server.py from the snapshot's census_api/ folder "
        "names, served on 127.0.0.1 only; not the Census Bureau's catalog",
        "dataset": entries,
    }


class CensusReplayServer:
    """Replays snapshot responses over real HTTP on 127.0.0.1; use as a context manager."""

    def __init__(self, snapshot_dir: Path, accepted_key: str) -> None:
        self.census_root = Path(snapshot_dir) / "census_api"
        self.accepted_key = accepted_key
        self.requests: list[RecordedRequest] = []
        self._queue: deque[CannedResponse] = deque()
        self._catalog: bytes | None = None
        self._always: CannedResponse | None = None
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- scripting -------------------------------------------------------------------------------------------
    def enqueue(self, *responses: CannedResponse) -> None:
        """Send these, in order, to the next requests; then go back to replaying the snapshot."""
        with self._lock:
            self._queue.extend(responses)

    def always(self, response: CannedResponse | None) -> None:
        """Answer every request (after the queue is empty) with this response; None resumes replaying."""
        with self._lock:
            self._always = response

    def serve_catalog(self, catalog: dict | None) -> None:
        """Answer ``/data.json`` (with a valid key) with this catalog; None answers 404 as before."""
        with self._lock:
            self._catalog = None if catalog is None else json.dumps(catalog, indent=1).encode()

    @property
    def data_requests(self) -> list[RecordedRequest]:
        """Requests to the data endpoint (not to the HTML key pages a redirect leads to)."""
        return [r for r in self.requests if not r.path.endswith(".html")]

    # --- lifecycle -------------------------------------------------------------------------------------------
    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return self._httpd.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/data"

    def __enter__(self) -> CensusReplayServer:
        server = self

        class Handler(_ReplayHandler):
            replay = server

        self._httpd, self._thread = start_loopback(Handler, "census-replay", _QuietServer)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._httpd is not None and self._thread is not None
        stop_loopback(self._httpd, self._thread)

    # --- answering -------------------------------------------------------------------------------------------
    def _next_canned(self) -> CannedResponse | None:
        with self._lock:
            if self._queue:
                return self._queue.popleft()
            return self._always

    def answer(self, path: str, query: str) -> CannedResponse:
        params = parse_qs(query, keep_blank_values=True)
        with self._lock:
            self.requests.append(RecordedRequest(path, query, params))
        if path.endswith("/missing_key.html"):
            return CannedResponse(200, MISSING_KEY_PAGE, content_type="text/html;charset=utf-8")
        if path.endswith("/invalid_key.html"):
            return CannedResponse(200, INVALID_KEY_PAGE, content_type="text/html;charset=utf-8")
        key = params.get("key", [""])[0]
        if not key:  # checked before any scripted answer: a request without a key never reaches the data
            return CannedResponse(302, b"", {"Location": "/data/missing_key.html"})
        canned = self._next_canned()
        if canned is not None:
            return canned
        if key != self.accepted_key:
            return CannedResponse(
                200, INVALID_KEY_PAGE, {"X-DataWebAPI-KeyError": "true"}, content_type="text/html;charset=utf-8"
            )
        if path == "/data.json":
            with self._lock:
                catalog = self._catalog
            if catalog is None:
                return CannedResponse(404, "error: no catalog is served by this replay server")
            return CannedResponse(200, catalog, content_type="application/json;charset=utf-8")
        return self._replay(path, params)

    def _replay(self, path: str, params: dict[str, list[str]]) -> CannedResponse:
        parts = path.strip("/").split("/")
        if len(parts) < 3 or parts[0] != "data":
            return CannedResponse(404, f"error: unknown dataset path {path}")
        vintage, dataset = parts[1], "/".join(parts[2:])
        get = params.get("get", [""])[0].split(",")
        variables = [v for v in get if v and v != "NAME"]
        if not variables:
            return CannedResponse(400, "error: missing 'get' variables")
        geo_level, _, geo_value = params.get("for", [""])[0].partition(":")
        if geo_level not in GEOGRAPHY_COLUMNS:
            return CannedResponse(400, "error: unknown/unsupported geography heirarchy")
        # `in` may be one value ("state:53 county:033") or repeated (in=state:53&in=county:033).
        within = dict(w.split(":", 1) for w in " ".join(params.get("in", [])).split() if ":" in w)
        constraints = dict(within)
        if geo_value and geo_value != "*":
            constraints[geo_level] = geo_value
        first = variables[0]
        # ACS/PL variables are <table>_<cell>; 2010 SF1 ones are <table><3-digit cell> (P001001 is in P001).
        table = first.split("_", 1)[0] if "_" in first else first[:-3]
        path_found = self._find_file(vintage, dataset, geo_level, table, constraints)
        if path_found is None:
            return CannedResponse(400, "error: unknown/unsupported geography heirarchy")
        rows = json.loads(path_found.read_text())
        header = rows[0]
        for variable in variables:
            if variable not in header:
                return CannedResponse(400, f"error: error: unknown variable '{variable}'")
        columns = [c for c in get if c] + list(GEOGRAPHY_COLUMNS[geo_level])  # in the order asked
        index = [header.index(c) for c in columns]
        selected = [
            [row[i] for i in index]
            for row in rows[1:]
            if all(row[header.index(k)] == v for k, v in constraints.items() if k in header)
        ]
        if not selected:
            return CannedResponse(204, b"")
        return json_response([columns, *selected])

    def _find_file(
        self, vintage: str, dataset: str, geo_level: str, table: str, constraints: dict[str, str]
    ) -> Path | None:
        """The most specific snapshot file that holds the requested geographies (then filtered by row)."""
        base = self.census_root / vintage / dataset / geo_level
        candidates = []
        if "state" in constraints and "county" in constraints:
            candidates.append(base / constraints["state"] / constraints["county"])
        if "state" in constraints:
            candidates.append(base / constraints["state"])
        candidates.append(base)
        for folder in candidates:
            path = folder / f"{table}.json"
            if path.is_file():
                return path
        return None


class _ReplayHandler(BaseHTTPRequestHandler):
    replay: CensusReplayServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        split = urlsplit(self.path)
        response = self.replay.answer(split.path, split.query)
        if response.delay_seconds:
            time.sleep(response.delay_seconds)
        body = response.body_bytes
        self.send_response(response.status)
        if response.status != 204:
            self.send_header("Content-Type", response.content_type)
            self.send_header("Content-Length", str(len(body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if response.status != 204:
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
        pass


class _QuietServer(ThreadingHTTPServer):
    """Does not print a traceback when a client gave up on a slow answer and closed the connection."""

    def handle_error(self, request: object, client_address: object) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # BrokenPipeError, ConnectionResetError
            super().handle_error(request, client_address)
