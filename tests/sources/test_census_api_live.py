"""Live mode of sources/census_api.py against a real HTTP server on 127.0.0.1 that replays the real snapshot.

Nothing in the project is mocked: ``LiveFetcher`` makes real GETs through ``requests``/urllib3 to
``CensusReplayServer`` (tests/sources/census_replay_server.py), which answers from the snapshot files read in place,
or with responses a test scripts (retryable statuses, the API's error texts, generated bodies). Each test checks
what the server received (attempts, variables, key) and what the project did with the answers (frames, landed
files, errors). The API key is a fake one and must never reach landed metadata or an error message.
"""

from __future__ import annotations

import hashlib
import json
import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import polars as pl
import pytest
import requests
from polars.testing import assert_frame_equal

from sources.census_api import CensusApiError, CensusFetcher, CensusResponseError, parse_table, plan_calls
from sources.census_api.fetch import PACKAGE_BASE_URL
from sources.census_api.spec import MAX_FIELDS_PER_CALL
from sources.core.acs_codes import ANNOTATION_CODES
from sources.core.files import SourceFiles
from sources.core.http import RetrySettings
from sources.core.landing import sidecar_path
from sources.core.redaction import redact
from tests.sources.census_replay_server import CannedResponse, CensusReplayServer, json_response

KEY = "test-key-123"

B19013_2018 = ("2018", "acs/acs5", "county", "B19013")
B19013_VARIABLES = ("B19013_001E", "B19013_001M")
B19013_FILE = "2018/acs/acs5/county/B19013.json"
KING = "53033"  # King County, Washington: 2018 ACS 5-year median household income 89418 ± 784
AUTAUGA = "01001"  # Autauga County, Alabama: 58786 ± 2972

# S2301 (employment status), columns C02..C04 for lines 001 and 012..020, estimate and MOE: 60 variables.
S2301_VARIABLES = tuple(
    f"S2301_C0{column}_{line:03d}{kind}" for column in (2, 3, 4) for line in (1, *range(12, 21)) for kind in "EM"
)
COUNTIES_2018 = 3220

SERVICE_UNAVAILABLE = CannedResponse(
    503,
    "<html><head><title>503 Service Unavailable</title></head><body><h1>Service Unavailable</h1></body></html>",
    content_type="text/html;charset=utf-8",
)


# --- fixtures and helpers ---------------------------------------------------------------------------------------


@pytest.fixture
def server(snapshot_dir: Path) -> Iterator[CensusReplayServer]:
    with CensusReplayServer(snapshot_dir, accepted_key=KEY) as replay:
        yield replay


@pytest.fixture
def landing_dir(tmp_path: Path) -> Path:
    return tmp_path / "raw"


def census_files(mode: str, snapshot_dir: Path, landing_dir: Path, base_url: str, **options: object) -> SourceFiles:
    """The pipeline's own seam (sources.core.files.SourceFiles) in either mode, its Census base URL rewritten to the
    replay server, with tiny backoff so retries cost milliseconds."""
    retry = {"max_retries": 3, "backoff_factor": 0.01, "backoff_jitter": 0.01, "timeout_seconds": 5.0}
    retry.update({k: v for k, v in options.items() if k in retry})
    return SourceFiles(
        mode,
        snapshot_dir,
        landing_dir,
        retry=RetrySettings(**retry),  # type: ignore[arg-type]
        credentials={"CENSUS_API_KEY": options.get("api_key", KEY) or ""},  # type: ignore[dict-item]
        rewrites={PACKAGE_BASE_URL: base_url},
    )


@pytest.fixture
def make_fetcher(
    server: CensusReplayServer, landing_dir: Path, snapshot_dir: Path
) -> Iterator[Callable[..., CensusFetcher]]:
    """Live CensusFetchers (the census package on a landing session) aimed at the replay server."""
    made: list[CensusFetcher] = []

    def _make(**overrides: object) -> CensusFetcher:
        base_url = str(overrides.pop("base_url", server.base_url))
        fetcher = CensusFetcher(census_files("live", snapshot_dir, landing_dir, base_url, **overrides))
        made.append(fetcher)
        return fetcher

    yield _make
    for fetcher in made:
        fetcher.session.close()


def snapshot_fetcher(snapshot_dir: Path, tmp: Path, base_url: str = PACKAGE_BASE_URL) -> CensusFetcher:
    """The same code path in snapshot mode: the census package is answered with the snapshot file."""
    return CensusFetcher(census_files("snapshot", snapshot_dir, tmp / "unused-landing", base_url))


def b19013_request():
    [request] = plan_calls(*B19013_2018, B19013_VARIABLES)
    return request


def snapshot_rows(snapshot_dir: Path, relpath: str) -> list[list]:
    return json.loads((snapshot_dir / "census_api" / relpath).read_text())


def landed_bodies(landing_dir: Path) -> list[Path]:
    """Every landed answer: data as <name>.<sha256[:16]>.json, other statuses as <name>.<sha256[:16]>.http<status>."""
    return sorted(p for p in landing_dir.rglob("*") if p.is_file() and not p.name.endswith(".meta.json"))


def sidecar(body_path: Path) -> dict:
    return json.loads(sidecar_path(body_path).read_text())


def assert_key_nowhere(landing_dir: Path, *messages: str, key: str = KEY) -> None:
    """The key's value is in no landed file (bodies and metadata) and in none of the given messages."""
    for path in landing_dir.rglob("*") if landing_dir.exists() else []:
        if path.is_file():
            assert key not in path.read_text(errors="replace"), f"API key leaked into {path}"
    for message in messages:
        assert key not in message, f"API key leaked into message: {message}"


def value_of(frame: pl.DataFrame, geoid: str, variable: str) -> dict:
    [row] = frame.filter(geoid=geoid, variable=variable).to_dicts()
    return row


# --- the replay server itself -------------------------------------------------------------------------------------


def test_replay_server_answers_like_the_api(server: CensusReplayServer, snapshot_dir: Path) -> None:
    """The stand-in behaves like the real API where the tests rely on it: it needs a key (missing: redirect to
    an HTML page; wrong: an HTML "Invalid Key" page), returns only the asked columns in the asked order plus the
    geography columns, filters `for`/`in`, and a full-table answer is byte-identical to the snapshot file."""
    url = f"{server.base_url}/2018/acs/acs5"
    no_key = requests.get(url, params={"get": "NAME,B19013_001E", "for": "county:*"}, timeout=5)
    assert no_key.history[0].status_code == 302 and "Missing Key" in no_key.text
    wrong_key = requests.get(url, params={"get": "NAME,B19013_001E", "for": "county:*", "key": "nope"}, timeout=5)
    assert wrong_key.status_code == 200 and "Invalid Key" in wrong_key.text

    one = requests.get(
        url, params={"get": "B19013_001M,NAME", "for": "county:033", "in": "state:53", "key": KEY}, timeout=5
    )
    assert one.json() == [
        ["B19013_001M", "NAME", "state", "county"],
        ["784", "King County, Washington", "53", "033"],
    ]
    full = requests.get(url, params={"get": "NAME,B19013_001E,B19013_001M", "for": "county:*", "key": KEY}, timeout=5)
    assert full.content == (snapshot_dir / "census_api" / B19013_FILE).read_bytes()
    tracts = requests.get(
        f"{server.base_url}/2010/dec/sf1",
        params=[("get", "NAME,P001001"), ("for", "tract:*"), ("in", "state:53"), ("in", "county:033"), ("key", KEY)],
        timeout=5,
    ).json()
    assert tracts[0] == ["NAME", "P001001", "state", "county", "tract"] and len(tracts) > 300
    assert {(row[2], row[3]) for row in tracts[1:]} == {("53", "033")}

    server.enqueue(CannedResponse(200, "scripted"))
    scripted_without_key = requests.get(url, params={"get": "NAME,B19013_001E", "for": "county:*"}, timeout=5)
    assert "Missing Key" in scripted_without_key.text  # a scripted answer never bypasses the key check
    assert len(server.requests) == 8  # 2 per missing key (redirect + page), then one each


# --- 1. retry then success ------------------------------------------------------------------------------------------


def test_503_then_200_is_retried_and_every_body_is_landed(
    server: CensusReplayServer, make_fetcher, landing_dir: Path, snapshot_dir: Path
) -> None:
    """A 503 is retried and the second answer is used: exactly 2 requests, both carrying the key; the frame parsed
    from the live answer equals the one parsed from the snapshot (King County 89418 ± 784); both bodies (the 503
    page too, as <name>.<sha256[:16]>.http503) are landed as <name>.<sha256[:16]>.json with a .meta.json sidecar
    whose url has no key."""
    server.enqueue(SERVICE_UNAVAILABLE)
    request = b19013_request()

    live = make_fetcher().fetch(request)

    assert len(server.requests) == 2
    assert server.requests[0].target == server.requests[1].target
    assert all(r.params["key"] == [KEY] for r in server.requests)
    assert server.requests[0].get_variables == ["NAME", *B19013_VARIABLES]

    snapshot = snapshot_fetcher(snapshot_dir, landing_dir.parent, server.base_url).fetch(request)
    live_frame = parse_table([live])
    assert_frame_equal(live_frame, parse_table([snapshot]))
    assert live_frame.height == 2 * COUNTIES_2018
    assert value_of(live_frame, KING, "B19013_001E")["value"] == 89418
    assert value_of(live_frame, KING, "B19013_001M")["value"] == 784
    assert live.sha256 == snapshot.sha256  # the replayed answer is the snapshot file, byte for byte
    assert live.url == snapshot.url and "key" not in live.url

    bodies = landed_bodies(landing_dir)
    assert len(bodies) == 2
    by_status = {sidecar(p)["status"]: p for p in bodies}
    assert set(by_status) == {503, 200}
    assert by_status[503].read_bytes() == SERVICE_UNAVAILABLE.body_bytes
    assert by_status[200] == live.source_path and by_status[200].read_bytes() == live.body
    for path in bodies:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        meta = sidecar(path)
        suffix = ".json" if meta["status"] == 200 else f".http{meta['status']}"
        assert path.name == f"B19013.part0.{digest[:16]}{suffix}"
        assert meta["sha256"] == digest and meta["bytes"] == path.stat().st_size
        assert meta["url"] == live.url
    assert_key_nowhere(landing_dir)


# --- 2. more than 49 variables ----------------------------------------------------------------------------------


def test_table_over_49_variables_takes_two_calls_and_stacks(
    server: CensusReplayServer, make_fetcher, landing_dir: Path, snapshot_dir: Path
) -> None:
    """60 variables of S2301 are planned as 2 calls (48 + 12); the census package sends each as one GET asking
    NAME plus at most 48 variables (<= 49 fields, so it neither splits a call nor adds GEO_ID), together every
    variable once; the stacked frame has 60 variables x 3220 counties and equals the frame parsed from the
    snapshot through the same code path."""
    assert len(S2301_VARIABLES) == 60
    calls = plan_calls("2018", "acs/acs5/subject", "county", "S2301", S2301_VARIABLES)
    assert [len(c.variables) for c in calls] == [48, 12]

    fetcher = make_fetcher()
    responses = [fetcher.fetch(c) for c in calls]

    assert len(server.requests) == 2
    asked: list[str] = []
    for recorded in server.requests:
        assert recorded.path == "/data/2018/acs/acs5/subject"
        get = recorded.get_variables
        assert get[0] == "NAME" and len(get) <= MAX_FIELDS_PER_CALL
        asked += get[1:]
    assert asked == list(S2301_VARIABLES)

    table = parse_table(responses)
    assert table.height == 60 * COUNTIES_2018
    assert table["variable"].n_unique() == 60 and table["geoid"].n_unique() == COUNTIES_2018
    snapshot = snapshot_fetcher(snapshot_dir, landing_dir.parent)
    expected = parse_table([snapshot.fetch(c) for c in calls])
    assert_frame_equal(table.sort("variable", "geoid"), expected.sort("variable", "geoid"))
    assert [p.name.split(".")[1] for p in landed_bodies(landing_dir)] == ["part0", "part1"]
    assert_key_nowhere(landing_dir)


# --- 3, 4, 5. the API's own errors fail at once ---------------------------------------------------------------


def test_plain_text_api_error_fails_at_once(server: CensusReplayServer, make_fetcher, landing_dir: Path) -> None:
    """An HTTP 400 with the API's plain-text error is not retried (1 request) and raises CensusApiError carrying
    the API's text; the error body is landed too."""
    server.enqueue(CannedResponse(400, "error: unknown/unsupported geography heirarchy"))

    with pytest.raises(CensusApiError) as raised:
        make_fetcher().fetch(b19013_request())

    message = str(raised.value)
    assert "HTTP 400" in message and "error: unknown/unsupported geography heirarchy" in message
    assert len(server.requests) == 1
    [body] = landed_bodies(landing_dir)
    assert sidecar(body)["status"] == 400
    assert_key_nowhere(landing_dir, message)


def test_unknown_variable_names_the_variable(server: CensusReplayServer, make_fetcher, landing_dir: Path) -> None:
    """Asking for a variable the table lacks gets the API's 400 `error: error: unknown variable 'B19013_999E'`
    from the server; the fetcher raises CensusApiError naming B19013_999E after 1 request."""
    [request] = plan_calls(*B19013_2018, ["B19013_001E", "B19013_999E"])

    with pytest.raises(CensusApiError, match=r"does not know variable 'B19013_999E'") as raised:
        make_fetcher().fetch(request)

    assert len(server.requests) == 1
    [body] = landed_bodies(landing_dir)
    assert body.read_text() == "error: error: unknown variable 'B19013_999E'"
    assert_key_nowhere(landing_dir, str(raised.value))


@pytest.mark.parametrize("redirected", [False, True], ids=["html-200", "302-to-invalid_key.html"])
def test_bad_key_fails_with_a_key_message_without_the_key(
    server: CensusReplayServer, make_fetcher, landing_dir: Path, redirected: bool
) -> None:
    """A key the API does not accept gets an HTML "Invalid Key" page (directly with 200, or via a 302 redirect);
    the fetcher raises CensusApiError pointing at CENSUS_API_KEY after one data request, and the rejected key's
    value is in no error message and no landed metadata."""
    bad_key = "wrong-key-456"
    if redirected:
        server.enqueue(CannedResponse(302, b"", {"Location": "/data/invalid_key.html"}))

    with pytest.raises(CensusApiError) as raised:
        make_fetcher(api_key=bad_key).fetch(b19013_request())

    message = str(raised.value)
    assert "rejected the key" in message and "CENSUS_API_KEY" in message and "Invalid Key" in message
    assert_key_nowhere(landing_dir, message, repr(raised.value), key=bad_key)
    assert len(server.data_requests) == 1 and server.data_requests[0].params["key"] == [bad_key]
    assert len(server.requests) == (2 if redirected else 1)
    [body] = landed_bodies(landing_dir)
    assert "Invalid Key" in body.read_text() and sidecar(body)["status"] == 200


# --- 6, 7. retryable statuses -------------------------------------------------------------------------------------


@pytest.mark.parametrize("max_retries", [0, 2, 4])
def test_always_503_gives_up_after_max_retries(
    server: CensusReplayServer, make_fetcher, landing_dir: Path, max_retries: int
) -> None:
    """A server that always answers 503 gets exactly max_retries + 1 requests, then CensusApiError reporting the
    503; with tiny backoff this takes well under a second."""
    server.always(SERVICE_UNAVAILABLE)
    started = time.monotonic()

    with pytest.raises(CensusApiError, match=r"HTTP 503") as raised:
        make_fetcher(max_retries=max_retries).fetch(b19013_request())

    assert time.monotonic() - started < 2
    assert len(server.requests) == max_retries + 1
    if max_retries:
        assert f"after {max_retries + 1} attempts" in str(raised.value)
    [body] = landed_bodies(landing_dir)  # identical 503 pages share one content-addressed file
    assert sidecar(body)["status"] == 503
    assert_key_nowhere(landing_dir, str(raised.value))


@pytest.mark.parametrize("status", [500, 502, 504])
def test_other_server_errors_are_retried(server: CensusReplayServer, make_fetcher, status: int) -> None:
    """500, 502 and 504 are retried like 503: one failure then the real answer, 2 requests, King County parsed."""
    server.enqueue(CannedResponse(status, f"HTTP {status}"))

    live = make_fetcher().fetch(b19013_request())

    assert len(server.requests) == 2
    assert value_of(parse_table([live]), KING, "B19013_001E")["value"] == 89418


def test_client_error_is_not_retried(server: CensusReplayServer, make_fetcher) -> None:
    """A 404 is not a transient failure: 1 request, then CensusApiError with the status."""
    server.enqueue(CannedResponse(404, "Not Found"))

    with pytest.raises(CensusApiError, match=r"HTTP 404 with: Not Found"):
        make_fetcher().fetch(b19013_request())

    assert len(server.requests) == 1


def test_429_with_retry_after_zero_then_200_succeeds(server: CensusReplayServer, make_fetcher) -> None:
    """429 Too Many Requests with Retry-After: 0 is retried at once and the second answer is parsed: 2 requests."""
    server.enqueue(CannedResponse(429, "Too Many Requests", {"Retry-After": "0"}))

    live = make_fetcher().fetch(b19013_request())

    assert len(server.requests) == 2
    assert value_of(parse_table([live]), KING, "B19013_001M")["value"] == 784


def test_retry_after_is_honoured(server: CensusReplayServer, make_fetcher) -> None:
    """Retry-After: 1 on a 429 makes the fetcher wait about a second (its own backoff is ~10 ms), then succeed."""
    server.enqueue(CannedResponse(429, "Too Many Requests", {"Retry-After": "1"}))
    started = time.monotonic()

    make_fetcher().fetch(b19013_request())

    assert 0.9 <= time.monotonic() - started < 5
    assert len(server.requests) == 2


# --- transport failures -----------------------------------------------------------------------------------------


def test_read_timeout_is_retried(server: CensusReplayServer, make_fetcher, snapshot_dir: Path) -> None:
    """An answer slower than timeout_seconds is abandoned and the request retried: 2 requests, real data parsed."""
    slow = json_response(snapshot_rows(snapshot_dir, B19013_FILE), 200)
    # The timeout leaves the prompt second answer a full second even on a loaded machine (at 0.3 s a busy CI run
    # once timed the second answer out too, making 3 requests); the first answer is 2.5 s late, far past it.
    server.enqueue(CannedResponse(slow.status, slow.body, content_type=slow.content_type, delay_seconds=2.5))

    live = make_fetcher(timeout_seconds=1.0).fetch(b19013_request())

    assert len(server.requests) == 2
    assert value_of(parse_table([live]), KING, "B19013_001E")["value"] == 89418


def test_connection_refused_fails_after_retries_with_redacted_url(make_fetcher, landing_dir: Path) -> None:
    """Nothing listening: CensusApiError after retries; the message keeps the URL but with key=<redacted>, and
    nothing is landed."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    fetcher = make_fetcher(base_url=f"http://127.0.0.1:{port}/data", max_retries=2)

    with pytest.raises(CensusApiError, match=r"request failed after retries") as raised:
        fetcher.fetch(b19013_request())

    message = str(raised.value)
    assert "key=<redacted>" in message
    assert_key_nowhere(landing_dir, message)
    assert not landing_dir.exists()


# --- 8, 9. what the parser does with live answers ----------------------------------------------------------------


def test_response_lacking_a_requested_variable_is_an_error(
    server: CensusReplayServer, make_fetcher, snapshot_dir: Path
) -> None:
    """An answer whose header lacks a requested variable is fetched and landed, but parsing raises
    CensusResponseError naming the missing variable and the landed file."""
    rows = snapshot_rows(snapshot_dir, B19013_FILE)
    drop = rows[0].index("B19013_001M")
    # GENERATED: the real 2018 B19013 county answer with the B19013_001M column removed.
    server.enqueue(json_response([[v for i, v in enumerate(row) if i != drop] for row in rows]))

    live = make_fetcher().fetch(b19013_request())

    with pytest.raises(CensusResponseError, match=r"lacks requested variable\(s\) B19013_001M") as raised:
        parse_table([live])
    assert str(live.source_path) in str(raised.value)
    assert len(server.requests) == 1


def test_annotation_codes_become_nulls_with_reasons(
    server: CensusReplayServer, make_fetcher, snapshot_dir: Path
) -> None:
    """Annotation codes in a live answer are never read as numbers: value is null and annotation gives the reason;
    an untouched real row next to them parses to its numbers."""
    rows = snapshot_rows(snapshot_dir, B19013_FILE)
    header = rows[0]
    by_geoid = {r[header.index("state")] + r[header.index("county")]: r for r in rows[1:]}
    king = list(by_geoid[KING])
    king[header.index("B19013_001E")] = "-666666666"
    king[header.index("B19013_001M")] = "-555555555"
    # GENERATED: header + the real King County row with annotation codes in place of 89418 and 784 + the real,
    # unchanged Autauga County row.
    server.enqueue(json_response([header, king, by_geoid[AUTAUGA]]))

    frame = parse_table([make_fetcher().fetch(b19013_request())])

    estimate, moe = value_of(frame, KING, "B19013_001E"), value_of(frame, KING, "B19013_001M")
    assert estimate["value"] is None and estimate["raw_value"] == "-666666666"
    assert estimate["annotation"] == ANNOTATION_CODES["-666666666"]
    assert moe["value"] is None and moe["annotation"] == ANNOTATION_CODES["-555555555"]
    for variable, number in (("B19013_001E", 58786), ("B19013_001M", 2972)):
        autauga = value_of(frame, AUTAUGA, variable)
        assert autauga["value"] == number and autauga["annotation"] is None
    assert frame.filter(pl.col("value") < 0).height == 0


# --- 10. no key ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("api_key", [None, ""], ids=["unset", "empty"])
def test_missing_key_fails_before_any_request(
    server: CensusReplayServer, make_fetcher, landing_dir: Path, api_key: str | None
) -> None:
    """Live mode without a key raises CensusApiError telling the user to set CENSUS_API_KEY; the server gets no
    request and nothing is landed."""
    with pytest.raises(CensusApiError, match=r"set CENSUS_API_KEY"):
        make_fetcher(api_key=api_key).fetch(b19013_request())

    assert server.requests == []
    assert not landing_dir.exists()


# --- redact -------------------------------------------------------------------------------------------------------


def test_redact_removes_the_key_from_urls_and_messages() -> None:
    """redact() hides the key wherever it sits in a query string or a message, and leaves other text alone."""
    url = f"https://api.census.gov/data/2018/acs/acs5?get=NAME&for=county:*&key={KEY}"
    assert redact(url) == "https://api.census.gov/data/2018/acs/acs5?get=NAME&for=county:*&key=<redacted>"
    assert redact(f"/data?key={KEY}&for=state:* (Caused by X)") == "/data?key=<redacted>&for=state:* (Caused by X)"
    assert KEY not in redact(f"GET ...&KEY={KEY} failed")
    assert redact("no key here") == "no key here"


# --- landing comes before parsing -----------------------------------------------------------------------------------


def test_live_answer_is_landed_byte_for_byte_before_anything_parses_it(
    server: CensusReplayServer, make_fetcher, landing_dir: Path, snapshot_dir: Path
) -> None:
    """The census package is handed the landing session, so what it (and then the strict parser) reads is the
    landed file. Two answers show it: a real answer re-indented (GENERATED: same values, different bytes from the
    snapshot file) lands byte for byte and the parsed frame is read from exactly those bytes; a body cut off
    mid-JSON (GENERATED) makes the census package fail to parse, yet it was landed first, byte for byte, and the
    error names the landed file."""
    rows = snapshot_rows(snapshot_dir, B19013_FILE)
    sent = json.dumps(rows, indent=1).encode()
    assert sent != (snapshot_dir / "census_api" / B19013_FILE).read_bytes()
    server.enqueue(CannedResponse(200, sent, content_type="application/json;charset=utf-8"))

    live = make_fetcher().fetch(b19013_request())

    [body] = landed_bodies(landing_dir)
    assert body.read_bytes() == sent == live.body
    assert body.name == f"B19013.part0.{hashlib.sha256(sent).hexdigest()[:16]}.json"
    assert live.source_path == body and sidecar(body)["sha256"] == hashlib.sha256(sent).hexdigest()
    assert value_of(parse_table([live]), KING, "B19013_001E")["value"] == 89418

    cut = sent[: len(sent) // 2]
    server.enqueue(CannedResponse(200, cut, content_type="application/json;charset=utf-8"))
    with pytest.raises(CensusApiError) as raised:
        make_fetcher().fetch(b19013_request())
    [broken] = [p for p in landed_bodies(landing_dir) if p != body]
    assert broken.read_bytes() == cut
    assert str(broken) in str(raised.value)
