"""Ask a server about a file without downloading it: HEAD, or a one-byte ranged GET where HEAD is refused.

Why: the SVI and CHAS downloads are tens of megabytes, and a new-data sensor only needs to know whether a file
exists and whether it changed (``ETag``, ``Last-Modified``, ``Content-Length``). Some servers refuse HEAD (405/501);
then a ``GET`` with ``Range: bytes=0-0`` gets the same headers, and its body is never read (the connection is
closed, so a server that ignores Range does not stream the whole file to us).

The landing rule holds for probes too: what the server answered (status line and headers; ``Set-Cookie`` left out)
is landed as a small JSON record through :func:`sources.core.landing.land_bytes` before anything reads it, under the
caller's relpath (``.http<status>`` for anything but 200, as for every landed answer). Retries follow the session's
:class:`~sources.core.http.RetrySettings`: 429/5xx and connection errors are retried with backoff and jitter, any
other status is answered at once. This goes through :class:`~sources.core.http.LandingSession`'s connection pool and
secrets, but not through its ``request`` override, which only makes GETs whose body it lands.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass

import requests
from urllib3.exceptions import MaxRetryError

from sources.core.errors import FetchError
from sources.core.http import RETRY_STATUSES, LandingSession, _delay, rewritten
from sources.core.landing import LandedFile, land_bytes
from sources.core.vintages import Discovery, FoundVintage, fingerprint_of

REFUSED = (405, 501)  # HEAD not allowed / not implemented: ask again with a ranged GET
PROBE_METHODS = frozenset({"HEAD", "GET"})
_LEFT_OUT = {"set-cookie"}


@dataclass(frozen=True)
class ProbedFile:
    """What a server said about one URL, read back from the landed record."""

    url: str
    method: str  # HEAD, or GET when HEAD was refused
    status: int
    headers: dict[str, str]  # lower-case names
    landed: LandedFile
    attempts: int

    @property
    def exists(self) -> bool:
        return self.status in (200, 206)

    @property
    def absent(self) -> bool:
        """The server says there is no such file (not yet published, or moved)."""
        return self.status in (404, 410)

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")

    @property
    def size(self) -> str | None:
        """The file's size: Content-Length of a HEAD, the total of a 206's Content-Range (``bytes 0-0/123``)."""
        if self.status == 206 and "/" in self.headers.get("content-range", ""):
            return self.headers["content-range"].rsplit("/", 1)[1]
        return self.headers.get("content-length")

    def describe(self) -> str:
        """The evidence in words, for logs and run tags."""
        parts = [
            f"ETag {self.etag}" if self.etag else "",
            f"Last-Modified {self.last_modified}" if self.last_modified else "",
            f"{self.size} bytes" if self.size else "",
        ]
        return ", ".join(p for p in parts if p) or "no ETag, Last-Modified or size"


def probe(session: LandingSession, url: str, relpath: str) -> ProbedFile:
    """HEAD ``url`` (a ranged GET if HEAD is refused), land what was answered under ``relpath``, return it.

    Raises :class:`FetchError` (transient) only when no answer could be had at all (connection errors after the
    retries); any answered status, 404 included, is returned for the caller to judge."""
    answer = _ask(session, "HEAD", url, relpath)
    if answer.status in REFUSED:
        answer = _ask(session, "GET", url, relpath, {"Range": "bytes=0-0"})
    return answer


def _ask(
    session: LandingSession, method: str, url: str, relpath: str, headers: Mapping[str, str] | None = None
) -> ProbedFile:
    target = rewritten(url, session.rewrites)
    public_url = session.public(requests.Request(method, target).prepare().url or target)
    retry = session.retry.policy(RETRY_STATUSES).new(allowed_methods=PROBE_METHODS)
    attempts = 0
    while True:
        attempts += 1
        try:
            response = requests.Session.request(
                session,
                method,
                target,
                params=session.secrets or None,
                headers={**(headers or {}), **session.secret_headers},
                stream=True,  # a GET's body is never read: closing the response drops the connection
                timeout=session.retry.timeout_seconds,
                allow_redirects=True,
            )
        except requests.RequestException as exc:
            raise FetchError(
                f"{method} {public_url} failed after {attempts} attempt(s) (connection errors and read timeouts are "
                f"retried up to {session.retry.max_retries} times each): {session.public(str(exc))}",
                transient=True,
            ) from None
        with response:
            status = response.status_code
            record = {
                "method": method,
                "url": public_url,
                "status": status,
                "reason": response.reason,
                "request_headers": dict(headers or {}),
                "headers": {k: v for k, v in response.headers.items() if k.lower() not in _LEFT_OUT},
                "body": "not read (a probe asks for headers only)",
            }
            body = json.dumps(record, indent=2, sort_keys=True).encode()
            landed = land_bytes(
                session.landing_dir, relpath, body, url=public_url, status=status, extra={"method": method}
            )
            session.answers.append(landed)
            retry_after = "Retry-After" in response.headers
            if status in (200, 206) or not retry.is_retry(method, status, retry_after):
                return _read(landed, attempts)
            try:
                retry = retry.increment(method, public_url, response=response.raw)
            except MaxRetryError:
                return _read(landed, attempts)
            delay = _delay(retry, response.raw, session.retry.backoff_max)
        time.sleep(delay)


def _read(landed: LandedFile, attempts: int) -> ProbedFile:
    """The probe as landed: parsed from the file on disk, never from the live response object."""
    record = json.loads(landed.path.read_text())
    return ProbedFile(
        url=record["url"],
        method=record["method"],
        status=int(record["status"]),
        headers={k.lower(): v for k, v in record["headers"].items()},
        landed=landed,
        attempts=attempts,
    )


@dataclass(frozen=True)
class Candidate:
    """A vintage whose file may be at ``url``: ``expected`` when config or an existing partition names it (a 404 is
    then a problem), not when it is a guess at the next vintage (a 404 then means "not published yet")."""

    key: str
    url: str
    relpath: str
    expected: bool


def probe_vintages(session: LandingSession, source: str, candidates: list[Candidate]) -> Discovery:
    """Probe each candidate's URL; a file that exists is a vintage fingerprinted by its ETag, Last-Modified and size.

    Problems (reported, never raised): an expected file that is absent, any other status than 200/206/404/410, and
    requests that got no answer after the retries."""
    discovery = Discovery(source, "live")
    for candidate in candidates:
        try:
            answer = probe(session, candidate.url, candidate.relpath)
        except FetchError as exc:
            discovery.problems.append(f"{source} {candidate.key}: {session.public(str(exc))}")
            continue
        if answer.exists:
            evidence = {"etag": answer.etag, "last_modified": answer.last_modified, "size": answer.size}
            discovery.vintages.append(
                FoundVintage(candidate.key, fingerprint_of(evidence), answer.describe(), answer.url)
            )
        elif not answer.absent or candidate.expected:
            discovery.problems.append(
                f"{source} {candidate.key}: {answer.method} {answer.url} answered HTTP {answer.status} after "
                f"{answer.attempts} attempt(s); the answer was landed at {answer.landed.path}"
            )
    return discovery
