"""Live downloads (sources/core/http.py, the landing session every live source uses) against a real HTTP server on
127.0.0.1; never the internet.

Nothing in the project is mocked: ``LandingSession.fetch`` makes real GETs through ``requests``/urllib3 to a stdlib
``ThreadingHTTPServer`` in a background thread, which answers each path with a script of responses (the last one
repeats). The file served in the main test is a shapefile zip built at test time from the real snapshot's
Washington tracts; the other answers (503 pages, a 404, a cut-off body) are small generated texts. Each test checks
what the server received and what landed on disk.
"""

from __future__ import annotations

import hashlib
import json
import socket
import threading
import time
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import geopandas as gpd
import pytest

from sources.core.errors import FetchError as DownloadError
from sources.core.http import LandingSession, RetrySettings
from sources.core.landing import LandedFile
from sources.core.zips import gdal_path as find_member
from tests.sources.loopback import start_loopback, stop_loopback


def download_to_landing(
    url: str, landing_dir: Path, relpath: str, *, secret_params: dict[str, str] | None = None, **retry: float
) -> LandedFile:
    """One GET through the pipeline's landing session, as every live source makes it."""
    with LandingSession(landing_dir, RetrySettings(**retry), secrets=secret_params) as session:  # type: ignore[arg-type]
        return session.fetch(url, relpath)


WA_TRACTS_2010 = "census_geo/tract/2010_wa/cb_2018_53_tract_500k.json"
WA_TRACT_COUNT = 1454
KNOWN_TRACT = "53033000100"  # King County, WA, census tract 1: ALAND 1,908,930 m², AWATER 904,304 m²
KNOWN_TRACT_ALAND = 1908930
SECRET = "SECRET123"
FAST = {"backoff_factor": 0.001, "backoff_jitter": 0.0, "backoff_max": 0.05}  # retries cost milliseconds


# --- a scripted loopback server -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """One scripted response; ``cut_after`` sends only that many body bytes (with the full Content-Length)."""

    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    cut_after: int | None = None


class LoopbackServer:
    """Answers each path with its script, in order, repeating the last answer; records every request target."""

    def __init__(self, routes: dict[str, list[Answer]]) -> None:
        self._routes = {path: list(answers) for path, answers in routes.items()}
        self.requests: list[str] = []  # path?query as received
        self._lock = threading.Lock()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def url(self, path: str) -> str:
        assert self._httpd is not None, "server not started"
        return f"http://127.0.0.1:{self._httpd.server_address[1]}{path}"

    def count(self, path: str) -> int:
        return sum(1 for target in self.requests if target.split("?", 1)[0] == path)

    def answer(self, target: str) -> Answer:
        with self._lock:
            self.requests.append(target)
            script = self._routes.get(target.split("?", 1)[0])
            if not script:
                return Answer(404, b"not found\n")
            return script.pop(0) if len(script) > 1 else script[0]

    def __enter__(self) -> LoopbackServer:
        server = self

        class Handler(_Handler):
            loopback = server

        self._httpd, self._thread = start_loopback(Handler, "loopback-http", ThreadingHTTPServer)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._httpd is not None and self._thread is not None
        stop_loopback(self._httpd, self._thread)


class _Handler(BaseHTTPRequestHandler):
    loopback: LoopbackServer
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        answer = self.loopback.answer(self.path)
        self.send_response(answer.status)
        self.send_header("Content-Length", str(len(answer.body)))
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if answer.cut_after is None:
            self.wfile.write(answer.body)
        else:  # promise the whole body, send part of it, hang up
            self.wfile.write(answer.body[: answer.cut_after])
            self.wfile.flush()
            self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:  # keep test output quiet
        pass


@pytest.fixture
def landing_dir(tmp_path: Path) -> Path:
    return tmp_path / "raw"


def serve(routes: dict[str, list[Answer]]) -> LoopbackServer:
    return LoopbackServer(routes)


def meta_of(path: Path) -> dict:
    return json.loads(path.with_name(path.name + ".meta.json").read_text())


def landed_files(landing_dir: Path) -> list[Path]:
    """Every landed body (sidecars and anything else excluded), sorted by name."""
    return sorted(p for p in landing_dir.rglob("*") if p.is_file() and not p.name.endswith(".meta.json"))


def service_unavailable(n: int) -> Answer:
    return Answer(503, f"<html><body><h1>503 Service Unavailable</h1><p>try {n}</p></body></html>".encode())


@pytest.fixture(scope="module")
def wa_tract_zip(snapshot_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """Generated from the snapshot: the real 2010 Washington tracts (GeoJSON) written as a zipped shapefile.

    The zip is laid out like a Census cartographic boundary download (the shapefile's parts at the top level).
    """
    folder = tmp_path_factory.mktemp("wa_tract_shp")
    tracts = gpd.read_file(snapshot_dir / WA_TRACTS_2010)
    tracts.to_file(folder / "cb_2018_53_tract_500k.shp")
    archive = folder / "cb_2018_53_tract_500k.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        for part in sorted(folder.glob("cb_2018_53_tract_500k.*")):
            if part != archive:
                out.write(part, part.name)
    return archive.read_bytes()


# --- tests --------------------------------------------------------------------------------------------------------


def test_downloads_snapshot_tract_zip_lands_it_by_hash_and_geopandas_reads_it(
    wa_tract_zip: bytes, landing_dir: Path
) -> None:
    path = "/geo/tiger/GENZ2018/shp/cb_2018_53_tract_500k.zip"
    digest = hashlib.sha256(wa_tract_zip).hexdigest()
    with serve({path: [Answer(200, wa_tract_zip, {"Content-Type": "application/zip"})]}) as server:
        before = datetime.now(UTC).replace(microsecond=0)
        landed = download_to_landing(server.url(path), landing_dir, "census_geo/cb_2018_53_tract_500k.zip")
        url = server.url(path)

    assert server.count(path) == 1
    expected = landing_dir / "census_geo" / f"cb_2018_53_tract_500k.{digest[:16]}.zip"
    assert landed == LandedFile(expected, digest, url, len(wa_tract_zip), "census_geo/" + expected.name)
    assert expected.read_bytes() == wa_tract_zip
    meta = meta_of(expected)
    assert {k: meta[k] for k in ("url", "status", "sha256", "bytes")} == {
        "url": url,
        "status": 200,
        "sha256": digest,
        "bytes": len(wa_tract_zip),
    }
    fetched_at = datetime.fromisoformat(meta["fetched_at"])
    assert fetched_at.utcoffset() is not None and fetched_at.utcoffset().total_seconds() == 0
    assert before <= fetched_at <= datetime.now(UTC)
    assert landed_files(landing_dir) == [expected]  # no temporary file left behind

    member = find_member(landed.path)
    assert member == f"zip://{expected.resolve().as_posix()}!cb_2018_53_tract_500k.shp"
    tracts = gpd.read_file(member)
    assert len(tracts) == WA_TRACT_COUNT
    known = tracts[tracts["GEOID"] == KNOWN_TRACT]
    assert len(known) == 1
    assert int(known["ALAND"].iloc[0]) == KNOWN_TRACT_ALAND


def test_same_bytes_downloaded_again_keep_the_landed_file(landing_dir: Path) -> None:
    body = b"GEOID_TRACT_20|GEOID_TRACT_10\n53033000101|53033000100\n"
    with serve({"/rel.txt": [Answer(200, body)]}) as server:
        first = download_to_landing(server.url("/rel.txt"), landing_dir, "relationship/tab20_tract20_tract10.txt")
        stat = first.path.stat()
        meta = first.path.with_name(first.path.name + ".meta.json").read_text()
        time.sleep(0.01)
        second = download_to_landing(server.url("/rel.txt"), landing_dir, "relationship/tab20_tract20_tract10.txt")

    assert second == first
    assert first.path.name == f"tab20_tract20_tract10.{hashlib.sha256(body).hexdigest()[:16]}.txt"
    assert (first.path.stat().st_ino, first.path.stat().st_mtime_ns) == (stat.st_ino, stat.st_mtime_ns)
    assert first.path.with_name(first.path.name + ".meta.json").read_text() == meta
    assert landed_files(landing_dir) == [first.path]


def test_503_twice_then_200_succeeds_and_lands_both_failed_bodies(landing_dir: Path) -> None:
    body = b"PK generated payload\n"
    script = [service_unavailable(1), service_unavailable(2), Answer(200, body)]
    with serve({"/hud/fmr.zip": script}) as server:
        landed = download_to_landing(server.url("/hud/fmr.zip"), landing_dir, "hud/fmr.zip", max_retries=3, **FAST)

    assert server.count("/hud/fmr.zip") == 3
    assert landed.path.read_bytes() == body
    failed = [p for p in landed_files(landing_dir) if p != landed.path]
    assert sorted(p.read_bytes() for p in failed) == sorted([service_unavailable(1).body, service_unavailable(2).body])
    for path in failed:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert path.name == f"fmr.{digest[:16]}.http503"  # no .zip suffix: a glob for the data never finds it
        assert meta_of(path)["status"] == 503
        assert meta_of(path)["sha256"] == digest


def test_404_fails_at_once_naming_status_url_and_landed_body(landing_dir: Path) -> None:
    with serve({"/missing.zip": [Answer(404, b"<html><body>Not Found</body></html>")]}) as server:
        url = server.url("/missing.zip")
        with pytest.raises(DownloadError) as caught:
            download_to_landing(url, landing_dir, "census_geo/missing.zip", max_retries=3, **FAST)

    assert server.count("/missing.zip") == 1
    message = str(caught.value)
    [landed] = landed_files(landing_dir)
    assert url in message
    assert "HTTP 404" in message
    assert "after 1 attempt;" in message
    assert str(landed) in message
    assert "Not Found" in message
    assert meta_of(landed)["status"] == 404


def test_retryable_status_that_never_clears_fails_after_the_retries(landing_dir: Path) -> None:
    with (
        serve({"/busy.zip": [Answer(502, b"bad gateway")]}) as server,
        pytest.raises(DownloadError, match=r"HTTP 502 after 3 attempts"),
    ):
        download_to_landing(server.url("/busy.zip"), landing_dir, "busy.zip", max_retries=2, **FAST)
    assert server.count("/busy.zip") == 3


def test_retry_after_an_hour_is_capped_at_backoff_max(landing_dir: Path) -> None:
    script = [Answer(503, b"come back in an hour", {"Retry-After": "3600"}), Answer(200, b"data\n")]
    with serve({"/slow.csv": script}) as server:
        started = time.monotonic()
        landed = download_to_landing(
            server.url("/slow.csv"), landing_dir, "slow.csv", backoff_factor=0.001, backoff_jitter=0.0, backoff_max=0.3
        )
        elapsed = time.monotonic() - started

    assert landed.path.read_bytes() == b"data\n"
    assert server.count("/slow.csv") == 2
    assert 0.3 <= elapsed < 5  # Retry-After was honoured up to the cap, not for an hour


def test_body_cut_off_mid_stream_is_retried_and_never_landed(landing_dir: Path) -> None:
    body = b"x" * 50_000
    script = [Answer(200, body, cut_after=1000), Answer(200, body)]
    with serve({"/big.zip": script}) as server:
        landed = download_to_landing(server.url("/big.zip"), landing_dir, "big.zip", **FAST)

    assert server.count("/big.zip") == 2
    assert landed.bytes == len(body)
    assert landed_files(landing_dir) == [landed.path]  # the cut-off part was neither landed nor left as a temp file


def test_secret_param_is_sent_but_never_in_metadata_or_errors(landing_dir: Path) -> None:
    # The failing answer echoes the request target, as some servers' error pages do.
    echo = Answer(500, f"internal error for /api/data.csv?key={SECRET}".encode())
    with serve({"/api/data.csv": [Answer(200, b"a,b\n1,2\n"), echo]}) as server:
        url = server.url("/api/data.csv") + "?year=2023"
        landed = download_to_landing(url, landing_dir, "api/data.csv", secret_params={"key": SECRET})
        with pytest.raises(DownloadError) as failed:
            download_to_landing(url, landing_dir, "api/data.csv", secret_params={"key": SECRET}, max_retries=1, **FAST)

    assert all(f"key={SECRET}" in target for target in server.requests)  # the secret was sent every time
    assert landed.url == url
    assert SECRET not in landed.url
    for path in landing_dir.rglob("*.meta.json"):
        assert SECRET not in path.read_text()
        assert json.loads(path.read_text())["url"] == url
    assert "HTTP 500 after 2 attempts" in str(failed.value)
    assert url in str(failed.value)
    assert SECRET not in str(failed.value)

    # A transport failure: nothing listens on the port, and the connection error names the full URL.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    with pytest.raises(DownloadError) as refused:
        download_to_landing(
            f"http://127.0.0.1:{closed_port}/api/data.csv",
            landing_dir,
            "api/data.csv",
            secret_params={"key": SECRET},
            max_retries=1,
            **FAST,
        )
    assert f"127.0.0.1:{closed_port}/api/data.csv" in str(refused.value)
    assert SECRET not in str(refused.value)


def test_find_member_names_the_zip_when_it_holds_no_data(tmp_path: Path) -> None:
    archive = tmp_path / "docs_only.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.writestr("README.txt", "generated: no data member here\n")
        out.writestr("cb_2023_us_county_500k.shp.iso.xml", "<metadata/>")
    with pytest.raises(ValueError, match=r"docs_only\.zip: no member ending in \.shp.*README\.txt"):
        find_member(archive)

    not_zip = tmp_path / "error_page.zip"
    not_zip.write_text("<html>503</html>")
    with pytest.raises(ValueError, match=r"error_page\.zip: not a zip archive"):
        find_member(not_zip)
