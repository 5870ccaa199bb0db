"""HTTP for live mode: one retry policy, and one session that lands every answer before anyone reads it.

Retries: connection errors and read timeouts are retried inside urllib3 (a ``Retry`` mounted on the session's
``HTTPAdapter``); 429/500/502/503/504 and bodies cut off mid-stream are retried in :meth:`LandingSession.fetch`'s own
loop with the same urllib3 ``Retry`` rules, because urllib3 would drain and discard a failed body that must be landed
first. Exponential backoff (``backoff_factor`` * 2**n) plus up to ``backoff_jitter`` seconds of jitter; a
Retry-After header is honoured; every sleep is capped at ``backoff_max`` (urllib3's own cap is six hours, which would
stall a run). Any other status fails at once.

:class:`LandingSession` is a ``requests.Session``, so a maintained client library (the ``census`` package) can be
handed one: its ``get`` goes through the same retries and landing, and the library parses a response whose bytes are
already on disk. Bodies are streamed to disk (a national boundary zip is tens of megabytes), hashed as they go.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import InvalidHeader, MaxRetryError
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

from sources.core.errors import FetchError
from sources.core.landing import LandedFile, checked_relpath, landed_name, settle, shown_path
from sources.core.redaction import redact

# HTTP statuses that mean "try again later" rather than "this request is wrong".
RETRY_STATUSES = (429, 500, 502, 503, 504)
CHUNK_BYTES = 1 << 20


@dataclass(frozen=True)
class RetrySettings:
    """How hard live mode tries: bounded attempts, exponential backoff with jitter, a cap on every sleep."""

    max_retries: int = 4
    backoff_factor: float = 0.5
    backoff_jitter: float = 0.5
    backoff_max: float = 20.0
    timeout_seconds: float = 120.0

    def policy(self, statuses: tuple[int, ...] = ()) -> Retry:
        """urllib3's retry rules; with no statuses it is the transport-only policy mounted on the adapter."""
        return Retry(
            total=self.max_retries,
            connect=self.max_retries,
            read=self.max_retries,
            status=self.max_retries,
            status_forcelist=statuses,
            allowed_methods=frozenset({"GET"}),
            backoff_factor=self.backoff_factor,
            backoff_jitter=self.backoff_jitter,
            backoff_max=self.backoff_max,
            respect_retry_after_header=bool(statuses),  # the adapter must never retry (and drain) an answered status
            raise_on_status=False,
        )


class LandingSession(requests.Session):
    """A ``requests`` session for live mode: every answer is retried as the policy says and landed before it is read.

    ``fetch(url, relpath)`` returns the landed file without reading it into memory (large downloads);
    ``get``/``request`` (what client libraries call) do the same and hand back a ``requests.Response`` whose
    content is the landed bytes and whose ``landed`` attribute is the :class:`LandedFile`. The relpath for those
    calls comes from :meth:`landing_as`. ``rewrites`` maps a URL prefix to another (a configured base URL, or a
    loopback replay server in tests); ``secrets`` (query parameters such as an API key) and ``secret_headers`` (an
    app token) are added when sending and never written to a sidecar, an error or a log.
    """

    def __init__(
        self,
        landing_dir: Path,
        retry: RetrySettings | None = None,
        *,
        secrets: Mapping[str, str] | None = None,
        secret_headers: Mapping[str, str] | None = None,
        rewrites: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__()
        self.landing_dir = Path(landing_dir)
        self.retry = retry or RetrySettings()
        self.secrets = {k: v for k, v in (secrets or {}).items() if v}
        self.secret_headers = {k: v for k, v in (secret_headers or {}).items() if v}
        self.rewrites = dict(rewrites or {})
        self.answers: list[LandedFile] = []
        self._relpath: str | None = None
        adapter = HTTPAdapter(max_retries=self.retry.policy())
        self.mount("http://", adapter)
        self.mount("https://", adapter)

    @contextlib.contextmanager
    def landing_as(self, relpath: str, snapshot_relpath: str | None = None) -> Iterator[None]:
        """Land the answers of the requests made inside this block under ``relpath`` (``snapshot_relpath`` is for
        the snapshot session, which serves that file instead)."""
        checked_relpath(relpath)
        previous, self._relpath = self._relpath, relpath
        try:
            yield
        finally:
            self._relpath = previous

    def public(self, text: str) -> str:
        return redact(text, [*self.secrets.values(), *self.secret_headers.values()])

    def request(self, method: str, url: str, params: Any = None, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        """What client libraries call: land the answer, then return it with its bytes as the response content."""
        if method.upper() != "GET" or self._relpath is None:
            raise FetchError(f"{method} {self.public(url)}: only GETs inside landing_as() are made in live mode")
        params = {k: v for k, v in dict(params or {}).items() if k not in self.secrets}
        landed, response, _ = self._fetch(url, self._relpath, params, headers=kwargs.get("headers"))
        response._content = landed.path.read_bytes()
        response.landed = landed  # type: ignore[attr-defined]
        return response

    def fetch(self, url: str, relpath: str, params: Mapping[str, str] | None = None) -> LandedFile:
        """GET ``url`` and land the body; return it when the final answer is 200, else raise :class:`FetchError`."""
        landed, _, attempts = self._fetch(url, relpath, dict(params or {}))
        if landed.status != 200:
            raise FetchError(self.failure_message(landed, attempts), transient=landed.status in RETRY_STATUSES)
        return landed

    def failure_message(self, landed: LandedFile, attempts: int) -> str:
        """``GET <url> answered HTTP <status> after <n> attempts; the body was landed at <path>: <text>``."""
        return (
            f"GET {landed.url} answered HTTP {landed.status} after {_attempts(attempts)}; "
            f"the body was landed at {landed.path}" + (f": {snippet}" if (snippet := self.snippet(landed)) else "")
        )

    def snippet(self, landed: LandedFile, limit: int = 200) -> str:
        """The start of a landed body as one line of text, tags and secrets removed (for error messages)."""
        raw = landed.path.read_bytes()[:2000].decode("utf-8", errors="replace")
        return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", self.public(raw))).strip()[:limit]

    def _fetch(
        self, url: str, relpath: str, params: dict[str, str], headers: Mapping[str, str] | None = None
    ) -> tuple[LandedFile, requests.Response, int]:
        url = rewritten(url, self.rewrites)
        public_url = self.public(requests.Request("GET", url, params=params).prepare().url or url)
        send_params = {**params, **self.secrets}
        target = checked_relpath(relpath)
        directory = self.landing_dir / target.parent
        status_retry = self.retry.policy(RETRY_STATUSES)
        attempts = 0
        while True:
            attempts += 1
            try:
                response = super().request(
                    "GET",
                    url,
                    params=send_params or None,
                    headers={**(headers or {}), **self.secret_headers},
                    stream=True,
                    timeout=self.retry.timeout_seconds,
                )
            except requests.RequestException as exc:  # urllib3's transport retries are used up, or not retryable
                raise FetchError(
                    f"GET {public_url} failed after {_attempts(attempts)} (connection errors and read timeouts "
                    f"are retried up to {self.retry.max_retries} times each): {self.public(str(exc))}",
                    transient=True,
                ) from None
            with response:
                status = response.status_code
                try:
                    tmp, digest, size = _stream_to_temp(response, directory, target.name)
                except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ConnectionError) as exc:
                    cut_off = self.public(str(exc))
                    try:
                        status_retry = status_retry.increment("GET", public_url)
                    except MaxRetryError:
                        raise FetchError(
                            f"GET {public_url} (HTTP {status}): the body was cut off on the last of "
                            f"{_attempts(attempts)} ({cut_off}); a cut-off body is never landed",
                            transient=True,
                        ) from None
                    time.sleep(_delay(status_retry, None, self.retry.backoff_max))
                    continue
                path = directory / landed_name(relpath, digest, status)
                meta = {"url": public_url, "status": status, "sha256": digest, "bytes": size}
                settle(tmp, path, meta)
                landed = LandedFile(path, digest, public_url, size, shown_path(path, self.landing_dir), status)
                self.answers.append(landed)
                if status == 200 or not status_retry.is_retry("GET", status, "Retry-After" in response.headers):
                    return landed, response, attempts
                try:
                    status_retry = status_retry.increment("GET", public_url, response=response.raw)
                except MaxRetryError:
                    return landed, response, attempts
                delay = _delay(status_retry, response.raw, self.retry.backoff_max)
            time.sleep(delay)


def rewritten(url: str, rewrites: Mapping[str, str]) -> str:
    """``url`` with the first matching prefix replaced by its configured base URL (a loopback server in tests)."""
    for prefix, target in rewrites.items():
        if url.startswith(prefix):
            return target.rstrip("/") + url[len(prefix) :]
    return url


def _delay(retry: Retry, raw: BaseHTTPResponse | None, backoff_max: float) -> float:
    """Seconds to wait before the next attempt: Retry-After if given, else backoff; never over ``backoff_max``."""
    after = None
    if raw is not None:
        try:
            after = retry.get_retry_after(raw)
        except InvalidHeader:  # neither seconds nor an HTTP date: fall back to backoff
            after = None
    delay = after if after else retry.get_backoff_time()
    return max(0.0, min(delay, backoff_max))


def _stream_to_temp(response: requests.Response, directory: Path, name: str) -> tuple[Path, str, int]:
    """Write the body to a temporary file in ``directory``, hashing as it goes; remove it if the body breaks."""
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=".part")
    tmp = Path(tmp_name)
    digest = hashlib.sha256()
    size = 0
    try:
        with os.fdopen(fd, "wb") as out:
            for chunk in response.iter_content(chunk_size=CHUNK_BYTES):
                out.write(chunk)
                digest.update(chunk)
                size += len(chunk)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp, digest.hexdigest(), size


def _attempts(n: int) -> str:
    return f"{n} attempt" if n == 1 else f"{n} attempts"
