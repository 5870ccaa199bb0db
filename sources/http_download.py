"""Live download of agency files (Census cartographic boundaries, tract relationship files, HUD zips) into landing.

Why a module of its own: these files are fetched whole, by URL, and some are large (a national cartographic
boundary zip is tens of megabytes), so unlike the Census Data API answers in ``sources/census_api.py`` they are
streamed to disk instead of held in memory. They still follow the same landing rules: every answered body, a
failed one included, is written under a name that carries its content hash (never overwriting a landed file),
with a ``.meta.json`` sidecar saying where and when it came from, before anything reads it.

Retries follow ``LiveFetcher`` in ``sources/census_api.py``: connection errors and read timeouts are retried
inside urllib3 (a ``Retry`` mounted on a ``requests`` ``HTTPAdapter``), while 429/500/502/503/504 are retried in
``download_to_landing``'s own loop with the same urllib3 ``Retry`` rules, because urllib3 would drain and discard a
failed body that must be landed first. A Retry-After header is honoured but, like every sleep here, capped at
``backoff_max``: urllib3's own cap is six hours, which would stall a pipeline run. A body cut off mid-stream is
retried in that loop too (it is not an answer, so nothing is landed for it).

No Dagster import: the assets call this module. ``find_member`` turns a landed zip into a path GDAL can open.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import time
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from urllib.parse import quote, quote_plus

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import InvalidHeader, MaxRetryError
from urllib3.response import BaseHTTPResponse
from urllib3.util.retry import Retry

from sources.census_api import RETRY_STATUSES, redact

CHUNK_BYTES = 1 << 20
DATA_SUFFIXES = (".shp", ".geojson", ".json", ".gpkg")
REDACTED = "<redacted>"


class DownloadError(RuntimeError):
    """A file could not be downloaded: a non-200 final answer, exhausted retries or a cut-off body."""


@dataclass(frozen=True)
class LandedFile:
    """A downloaded body as landed: its path (content hash in the name), hash, public URL and size."""

    path: Path
    sha256: str
    url: str  # secrets removed
    bytes: int


def download_to_landing(
    url: str,
    landing_dir: Path,
    relpath: str,
    *,
    session: requests.Session | None = None,
    max_retries: int = 4,
    backoff_factor: float = 0.5,
    backoff_jitter: float = 0.5,
    backoff_max: float = 20.0,
    timeout_seconds: float = 120.0,
    secret_params: dict[str, str] | None = None,
) -> LandedFile:
    """GET ``url`` and stream the body into ``landing_dir``; return the landed file or raise ``DownloadError``.

    The body lands at ``landing_dir / <relpath without suffix>.<sha256[:16]><suffix>`` (for example
    ``census_geo/cb_2023_us_county_500k.zip`` lands as ``census_geo/cb_2023_us_county_500k.0123456789abcdef.zip``),
    with ``<landed>.meta.json`` beside it (url without secrets, status, sha256, bytes, fetched_at in UTC). A
    non-200 body lands beside it as ``<stem>.<sha256[:16]>.http<status>`` (no data suffix, so a glob for the
    data never picks up an error page), with the same sidecar.

    Retries: up to ``max_retries`` for 429/500/502/503/504, for connection errors and read timeouts, and for a
    body cut off mid-stream; exponential backoff (``backoff_factor`` * 2**n) plus up to ``backoff_jitter``
    seconds of jitter; Retry-After honoured; every sleep capped at ``backoff_max`` seconds. Any other status
    fails at once. ``timeout_seconds`` bounds the connect and each read of the body, not the whole download.

    ``secret_params`` (an API key, say) are added to the query string when sending and never written to the
    landed metadata or to an error message. A ``session`` passed in gets this call's transport retries mounted
    for http:// and https://; without one, a session is made and closed here.
    """
    target = _checked_relpath(relpath)
    secrets = dict(secret_params or {})
    public_url = _redact(requests.Request("GET", url).prepare().url or url, secrets)
    own_session = session is None
    http = session if session is not None else requests.Session()
    adapter = HTTPAdapter(max_retries=_retry(max_retries, backoff_factor, backoff_jitter, backoff_max, ()))
    http.mount("http://", adapter)
    http.mount("https://", adapter)
    status_retry = _retry(max_retries, backoff_factor, backoff_jitter, backoff_max, RETRY_STATUSES)
    directory = Path(landing_dir) / target.parent
    attempts = 0
    try:
        while True:
            attempts += 1
            try:
                response = http.get(url, params=secrets or None, stream=True, timeout=timeout_seconds)
            except requests.RequestException as exc:  # urllib3's transport retries are used up, or not retryable
                raise DownloadError(
                    f"GET {public_url} failed after {_attempts(attempts)} (connection errors and read timeouts "
                    f"are retried up to {max_retries} times each): {_redact(str(exc), secrets)}"
                ) from None
            with response:
                status = response.status_code
                try:
                    tmp, digest, size = _stream_to_temp(response, directory, target.name)
                except (requests.exceptions.ChunkedEncodingError, requests.exceptions.ConnectionError) as exc:
                    cut_off = _redact(str(exc), secrets)
                    try:
                        status_retry = status_retry.increment("GET", public_url)
                    except MaxRetryError:
                        raise DownloadError(
                            f"GET {public_url} (HTTP {status}): the body was cut off on the last of "
                            f"{_attempts(attempts)} ({cut_off}); a cut-off body is never landed"
                        ) from None
                    time.sleep(_delay(status_retry, None, backoff_max))
                    continue
                name = _landed_name(target, digest, status)
                landed = _settle(tmp, directory / name, public_url, status, digest, size)
                if status == 200:
                    return LandedFile(landed, digest, public_url, size)
                if not status_retry.is_retry("GET", status, "Retry-After" in response.headers):
                    raise DownloadError(_failure_message(public_url, status, attempts, landed, secrets))
                try:
                    status_retry = status_retry.increment("GET", public_url, response=response.raw)
                except MaxRetryError:
                    raise DownloadError(_failure_message(public_url, status, attempts, landed, secrets)) from None
                delay = _delay(status_retry, response.raw, backoff_max)
            time.sleep(delay)
    finally:
        if own_session:
            http.close()


def find_member(zip_path: Path, suffixes: Iterable[str] = DATA_SUFFIXES) -> str:
    """The GDAL path (``zip:///abs/path.zip!member.shp``) of the zip's first member with a data suffix.

    Suffixes are tried in the order given (a shapefile before a GeoJSON by default), members in archive order;
    folders and macOS ``__MACOSX/`` resource forks are skipped. Pass the result to ``geopandas.read_file``.
    """
    path = Path(zip_path).resolve()
    wanted = tuple(suffixes)
    try:
        with zipfile.ZipFile(path) as archive:
            members = [
                info.filename
                for info in archive.infolist()
                if not info.is_dir() and not info.filename.startswith("__MACOSX/")
            ]
    except zipfile.BadZipFile as exc:
        raise ValueError(f"{path}: not a zip archive ({exc})") from None
    for suffix in wanted:
        for member in members:
            if member.lower().endswith(suffix.lower()):
                return f"zip://{path.as_posix()}!{member}"
    listed = ", ".join(members[:20]) + (f" and {len(members) - 20} more" if len(members) > 20 else "")
    raise ValueError(f"{path}: no member ending in {', '.join(wanted)}; the zip holds: {listed or 'nothing'}")


# --- helpers ------------------------------------------------------------------------------------------------------


def _retry(
    max_retries: int, backoff_factor: float, backoff_jitter: float, backoff_max: float, statuses: tuple[int, ...]
) -> Retry:
    """urllib3's retry rules; with no statuses it is the transport-only policy mounted on the adapter."""
    return Retry(
        total=max_retries,
        connect=max_retries,
        read=max_retries,
        status=max_retries,
        status_forcelist=statuses,
        allowed_methods=frozenset({"GET"}),
        backoff_factor=backoff_factor,
        backoff_jitter=backoff_jitter,
        backoff_max=backoff_max,
        respect_retry_after_header=bool(statuses),  # the adapter must never retry (and drain) an answered status
        raise_on_status=False,
    )


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


def _checked_relpath(relpath: str) -> PurePosixPath:
    target = PurePosixPath(relpath)
    if not target.name or target.is_absolute() or ".." in target.parts:
        raise ValueError(f"relpath {relpath!r} must be a relative file path inside the landing folder")
    return target


def _landed_name(target: PurePosixPath, digest: str, status: int) -> str:
    suffix = target.suffix
    stem = target.name.removesuffix(suffix) if suffix else target.name
    if status == 200:
        return f"{stem}.{digest[:16]}{suffix}"
    return f"{stem}.{digest[:16]}.http{status}"


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


def _settle(tmp: Path, path: Path, public_url: str, status: int, digest: str, size: int) -> Path:
    """Rename the temporary file to its landed name unless that exists (same name, same bytes); add the sidecar."""
    if path.exists():
        tmp.unlink()
    else:
        tmp.replace(path)
    meta_path = path.with_name(path.name + ".meta.json")
    if not meta_path.exists():
        meta = {
            "url": public_url,
            "status": status,
            "sha256": digest,
            "bytes": size,
            "fetched_at": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        tmp_meta = meta_path.with_name(meta_path.name + ".tmp")
        tmp_meta.write_text(json.dumps(meta, indent=2))
        tmp_meta.replace(meta_path)
    return path


def _redact(text: str, secrets: Mapping[str, str]) -> str:
    """Remove secret values (raw and URL-encoded) and any ``key=`` value from a URL or message."""
    for value in secrets.values():
        if value:
            for form in {value, quote_plus(value), quote(value, safe="")}:
                text = text.replace(form, REDACTED)
    return redact(text)


def _attempts(n: int) -> str:
    return f"{n} attempt" if n == 1 else f"{n} attempts"


def _failure_message(public_url: str, status: int, attempts: int, landed: Path, secrets: Mapping[str, str]) -> str:
    raw = landed.read_bytes()[:2000].decode("utf-8", errors="replace")
    snippet = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", _redact(raw, secrets))).strip()[:200]
    return f"GET {public_url} answered HTTP {status} after {_attempts(attempts)}; the body was landed at {landed}" + (
        f": {snippet}" if snippet else ""
    )
