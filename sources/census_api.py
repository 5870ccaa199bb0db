"""Census Data API client: request plans, snapshot and live fetching, landing, and one parser for both.

The Census Data API (https://www.census.gov/data/developers/guidance/api-user-guide.html) answers a GET such as
``/data/2018/acs/acs5?get=NAME,B19013_001E,B19013_001M&for=county:*`` with a JSON array of arrays: a header row,
then one row per geography, every value a string. This module knows the API's rules (at most 50 variables per
call, tract requests need a state), fetches a response either from the offline snapshot (laid out as
``census_api/<vintage>/<dataset>/<geography>/[<state>/[<county>/]]<table>.json``) or from the live API, and
parses both with the same function into a long Polars frame of cells.

Why not the ``census`` package: it parses responses itself (so the raw bytes cannot be landed before parsing),
looks up each variable's type with extra calls to ``variables.json``, and retries one error text without delay.
Retries here come from urllib3's ``Retry`` (exponential backoff with jitter, Retry-After honoured), mounted on a
``requests`` session.

No Dagster import: the assets call this module.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError
from urllib3.util.retry import Retry

# The API accepts at most 50 variables per call; NAME is one of them.
MAX_VARIABLES_PER_CALL = 50

# ACS annotation values (https://www.census.gov/data/developers/data-sets/acs-1year/notes-on-acs-estimate-and-annotation-values.html).
# They arrive in the estimate or MOE field in place of a number and must never be read as numbers.
ANNOTATION_CODES: dict[str, str] = {
    "-666666666": "-666666666: estimate could not be computed (too few sample observations)",
    "-999999999": "-999999999: too few sample observations to compute a standard error",
    "-888888888": "-888888888: not applicable or not available",
    "-222222222": "-222222222: too few sample cases to compute a margin of error",
    "-333333333": "-333333333: median falls in the lowest or upper interval of an open-ended distribution",
    "-555555555": "-555555555: estimate is controlled; no sampling error (MOE 0)",
}
NULL_IN_RESPONSE = "null in response"

# HTTP statuses that mean "try again later" rather than "this request is wrong".
RETRY_STATUSES = (429, 500, 502, 503, 504)

GEOGRAPHY_COLUMNS: dict[str, tuple[str, ...]] = {
    "state": ("state",),
    "county": ("state", "county"),
    "tract": ("state", "county", "tract"),
}

_KEY_PATTERN = re.compile(r"(key=)[^&\s]+", re.IGNORECASE)


class CensusApiError(RuntimeError):
    """A request could not be answered: bad key, unknown variable, exhausted retries, unreadable body."""


class CensusResponseError(ValueError):
    """A response was answered but its content breaks the contract (missing variable, non-numeric value)."""


def redact(text: str) -> str:
    """Remove an API key from a URL or message so it never reaches a log, an error or metadata."""
    return _KEY_PATTERN.sub(r"\1<redacted>", text)


@dataclass(frozen=True)
class CensusRequest:
    """One API call: a table's variables for every geography of a level, optionally within a state/county."""

    vintage: str
    dataset: str
    geography: str
    table: str
    variables: tuple[str, ...]
    state: str | None = None
    county: str | None = None
    chunk: int = 0

    def __post_init__(self) -> None:
        if self.geography not in GEOGRAPHY_COLUMNS:
            raise ValueError(f"unsupported geography {self.geography!r}; expected one of {list(GEOGRAPHY_COLUMNS)}")
        if self.geography == "tract" and not self.state:
            raise ValueError(f"{self.describe()}: the Census API answers tract requests only within a state")
        if self.county and not self.state:
            raise ValueError(f"{self.describe()}: a county filter needs a state")
        if not self.variables:
            raise ValueError(f"{self.describe()}: no variables requested")
        if len(self.variables) + 1 > MAX_VARIABLES_PER_CALL:
            raise ValueError(
                f"{self.describe()}: {len(self.variables)} variables + NAME exceed the API's "
                f"{MAX_VARIABLES_PER_CALL} per call; split it with plan_calls()"
            )

    def describe(self) -> str:
        where = f" in state {self.state}" if self.state else ""
        where += f" county {self.county}" if self.county else ""
        return f"{self.vintage} {self.dataset} {self.table} by {self.geography}{where}"

    @property
    def snapshot_relpath(self) -> str:
        """Where the snapshot keeps this table's response (all chunks of a table share one file)."""
        parts = [self.vintage, self.dataset, self.geography]
        if self.state:
            parts.append(self.state)
        if self.county:
            parts.append(self.county)
        return "/".join([*parts, f"{self.table}.json"])

    def query_params(self) -> dict[str, str]:
        params = {"get": ",".join(("NAME", *self.variables)), "for": f"{self.geography}:*"}
        if self.geography != "state" and self.state:
            within = [f"state:{self.state}"]
            if self.county and self.geography == "tract":
                within.append(f"county:{self.county}")
            params["in"] = " ".join(within)
            if self.geography == "county" and self.county:
                params["for"] = f"county:{self.county}"
        return params


def plan_calls(
    vintage: str,
    dataset: str,
    geography: str,
    table: str,
    variables: Iterable[str],
    state: str | None = None,
    county: str | None = None,
) -> list[CensusRequest]:
    """Split one table's variables into API calls of at most 49 variables plus NAME, in a stable order."""
    unique = list(dict.fromkeys(variables))
    size = MAX_VARIABLES_PER_CALL - 1
    return [
        CensusRequest(vintage, dataset, geography, table, tuple(unique[i : i + size]), state, county, chunk=n)
        for n, i in enumerate(range(0, len(unique), size))
    ]


@dataclass(frozen=True)
class FetchedResponse:
    """Raw bytes of one answered request and where they were read or landed."""

    request: CensusRequest
    body: bytes
    source_path: Path
    sha256: str
    url: str  # without the key


def sha256_bytes(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


class SnapshotFetcher:
    """Reads responses from the offline snapshot in place (never copied into the project)."""

    mode = "snapshot"

    def __init__(self, snapshot_dir: Path, base_url: str = "https://api.census.gov/data") -> None:
        self.root = Path(snapshot_dir) / "census_api"
        self.base_url = base_url

    def fetch(self, request: CensusRequest) -> FetchedResponse:
        path = self.root / request.snapshot_relpath
        if not path.is_file():
            raise CensusApiError(f"snapshot has no response for {request.describe()}: expected file {path}")
        body = path.read_bytes()
        url = requests.Request(
            "GET", f"{self.base_url}/{request.vintage}/{request.dataset}", params=request.query_params()
        )
        return FetchedResponse(request, body, path, sha256_bytes(body), url.prepare().url or "")


@dataclass
class LiveFetcher:
    """Calls the Census Data API with bounded retries, lands every response body, then hands it to the parser.

    Retries: 429, 500, 502, 503, 504, connection errors and read timeouts, up to ``max_retries`` times with
    exponential backoff (``backoff_factor`` * 2**n seconds, capped at ``backoff_max``) plus random jitter up
    to ``backoff_jitter`` seconds; a Retry-After header is honoured. A bad key or an unknown variable fails at
    once with the API's own message.

    Transport failures are retried inside urllib3 (the mounted adapter). Retryable HTTP statuses are retried
    here, in ``fetch``, with the same urllib3 ``Retry`` rules: urllib3 would drain and discard a 503's body,
    and every answered body, the failed ones included, must be landed before the next attempt.
    """

    base_url: str
    api_key: str | None
    landing_dir: Path
    max_retries: int = 4
    backoff_factor: float = 0.5
    backoff_jitter: float = 0.5
    backoff_max: float = 20.0
    timeout_seconds: float = 60.0
    session: requests.Session = field(default_factory=requests.Session)
    mode: str = "live"

    def __post_init__(self) -> None:
        # Transport only: no status is retried inside urllib3 (see the class docstring).
        transport = self._retry(status_forcelist=(), respect_retry_after_header=False)
        adapter = HTTPAdapter(max_retries=transport)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def _retry(self, status_forcelist: tuple[int, ...], respect_retry_after_header: bool) -> Retry:
        return Retry(
            total=self.max_retries,
            connect=self.max_retries,
            read=self.max_retries,
            status=self.max_retries,
            status_forcelist=status_forcelist,
            allowed_methods=frozenset({"GET"}),
            backoff_factor=self.backoff_factor,
            backoff_jitter=self.backoff_jitter,
            backoff_max=self.backoff_max,
            respect_retry_after_header=respect_retry_after_header,
            raise_on_status=False,
        )

    def fetch(self, request: CensusRequest) -> FetchedResponse:
        if not self.api_key:
            raise CensusApiError(
                "live mode needs a Census API key: set CENSUS_API_KEY (https://api.census.gov/data/key_signup.html)"
            )
        params = request.query_params()
        url = f"{self.base_url}/{request.vintage}/{request.dataset}"
        public_url = requests.Request("GET", url, params=params).prepare().url or url
        status_retry = self._retry(status_forcelist=RETRY_STATUSES, respect_retry_after_header=True)
        attempts = 0
        while True:
            attempts += 1
            try:
                response = self.session.get(url, params={**params, "key": self.api_key}, timeout=self.timeout_seconds)
            except requests.RequestException as exc:  # retries exhausted or a non-retryable transport error
                raise CensusApiError(
                    f"{request.describe()}: request failed after retries: {redact(str(exc))}"
                ) from None
            body = response.content
            landed = self._land(request, body, public_url, response.status_code)
            if not status_retry.is_retry("GET", response.status_code, "Retry-After" in response.headers):
                break
            try:
                status_retry = status_retry.increment("GET", public_url, response=response.raw)
            except MaxRetryError:
                break
            status_retry.sleep(response.raw)
        if response.status_code != 200 or not body.lstrip().startswith(b"["):  # an error page is not data
            raise CensusApiError(self._error_message(request, response.status_code, body, landed, attempts))
        return FetchedResponse(request, body, landed, sha256_bytes(body), public_url)

    def _land(self, request: CensusRequest, body: bytes, public_url: str, status: int) -> Path:
        """Write the body (content hash in the name) and a sidecar with the request, before any parsing."""
        digest = sha256_bytes(body)
        stem = request.snapshot_relpath.removesuffix(".json")
        path = self.landing_dir / "census_api" / f"{stem}.part{request.chunk}.{digest[:16]}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(body)
            tmp.replace(path)
            meta = {
                "url": public_url,
                "status": status,
                "sha256": digest,
                "bytes": len(body),
                "fetched_at": datetime.now(UTC).isoformat(timespec="seconds"),
            }
            path.with_suffix(".meta.json").write_text(json.dumps(meta, indent=2))
        return path

    @staticmethod
    def _error_message(request: CensusRequest, status: int, body: bytes, landed: Path, attempts: int = 1) -> str:
        text = redact(body.decode("utf-8", errors="replace").strip())
        snippet = re.sub(r"<[^>]+>", " ", text)
        snippet = re.sub(r"\s+", " ", snippet)[:300]
        if "invalid key" in text.lower() or "key_signup" in text.lower():
            return (
                f"{request.describe()}: the Census API rejected the key (HTTP {status}): {snippet}. "
                "Check CENSUS_API_KEY."
            )
        unknown = re.search(r"unknown variable '([^']+)'", text)
        if unknown:
            return f"{request.describe()}: the Census API does not know variable {unknown.group(1)!r} (HTTP {status}); landed at {landed}"
        tries = f" after {attempts} attempts" if attempts > 1 else ""
        return (
            f"{request.describe()}: the Census API answered HTTP {status}{tries} with: {snippet} (landed at {landed})"
        )


def parse_response(response: FetchedResponse) -> pl.DataFrame:
    """Parse one API response (snapshot or live) into a long frame: one row per geography x requested variable.

    Columns: vintage, dataset, table, variable, geo_level, geoid, geo_name, raw_value, value, annotation.
    Numbers are parsed from strings; annotation codes and nulls become a null ``value`` with the reason in
    ``annotation``. A header that lacks a requested variable, or a value that is neither a number, an
    annotation code nor null, is an error naming the source, the record, the field and the value.
    """
    request = response.request
    source = str(response.source_path)
    try:
        rows = json.loads(response.body)
    except json.JSONDecodeError as exc:
        raise CensusResponseError(f"{source}: not a JSON response for {request.describe()}: {exc}") from None
    if not isinstance(rows, list) or not rows or not all(isinstance(r, list) for r in rows):
        raise CensusResponseError(f"{source}: expected a JSON array of arrays (header first) for {request.describe()}")
    header = rows[0]
    geo_columns = GEOGRAPHY_COLUMNS[request.geography]
    missing = [v for v in ("NAME", *request.variables, *geo_columns) if v not in header]
    if missing:
        raise CensusResponseError(
            f"{source}: response for {request.describe()} lacks requested variable(s) {', '.join(missing)}"
        )
    width = len(header)
    for n, row in enumerate(rows[1:], start=2):
        if len(row) != width:
            raise CensusResponseError(f"{source}: record {n} has {len(row)} fields, header has {width}")
    body = rows[1:]
    index = {name: i for i, name in enumerate(header)}
    columns = {"geo_name": [r[index["NAME"]] for r in body]}
    geoid = ["".join(r[index[c]] or "" for c in geo_columns) for r in body]
    frame = pl.DataFrame(
        {"geoid": geoid, **columns, **{v: [r[index[v]] for r in body] for v in request.variables}},
        schema={"geoid": pl.String, "geo_name": pl.String, **dict.fromkeys(request.variables, pl.String)},
    )
    long = frame.unpivot(
        index=["geoid", "geo_name"],
        on=list(request.variables),
        variable_name="variable",
        value_name="raw_value",
    )
    long = long.with_columns(
        pl.col("raw_value").str.strip_chars().replace_strict(ANNOTATION_CODES, default=None).alias("annotation")
    ).with_columns(
        pl.when(pl.col("raw_value").is_null())
        .then(pl.lit(NULL_IN_RESPONSE))
        .otherwise(pl.col("annotation"))
        .alias("annotation"),
    )
    numeric = pl.col("raw_value").str.strip_chars().cast(pl.Float64, strict=False)
    long = long.with_columns(
        pl.when(pl.col("annotation").is_null()).then(numeric).otherwise(None).alias("value"),
    )
    bad = long.filter(pl.col("annotation").is_null() & pl.col("value").is_null())
    if bad.height:
        first = bad.row(0, named=True)
        raise CensusResponseError(
            f"{source}: record geoid={first['geoid']} ({first['geo_name']}) field {first['variable']} "
            f"has non-numeric value {first['raw_value']!r}"
            + (f" (and {bad.height - 1} more)" if bad.height > 1 else "")
        )
    return long.select(
        pl.lit(request.vintage).alias("vintage"),
        pl.lit(request.dataset).alias("dataset"),
        pl.lit(request.table).alias("table"),
        "variable",
        pl.lit(request.geography).alias("geo_level"),
        "geoid",
        "geo_name",
        "raw_value",
        "value",
        "annotation",
    )


def parse_table(responses: list[FetchedResponse]) -> pl.DataFrame:
    """Parse the several calls that answer one table and stack them; a variable answered twice is an error."""
    frames = [parse_response(r) for r in responses]
    table = pl.concat(frames, how="vertical") if len(frames) > 1 else frames[0]
    dupes = table.group_by("variable", "geoid").len().filter(pl.col("len") > 1)
    if dupes.height:
        row = dupes.row(0, named=True)
        raise CensusResponseError(
            f"{responses[0].request.describe()}: geography {row['geoid']} variable {row['variable']} appears {row['len']} times"
        )
    return table
