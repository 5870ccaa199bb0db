"""The one seam between snapshot and live: a source's spec says where its bytes come from in each mode, and
:class:`SourceFiles` returns those bytes as landed files in whichever mode the run is in.

- ``snapshot`` mode reads the offline snapshot in place (``SDOH_SNAPSHOT_DIR``, never copied).
- ``live`` mode fetches from the agency through a :class:`~sources.core.http.LandingSession` (retries, landing
  before reading) and returns the landed files; a spec with no live recipe (WA DOH's portal has no stable URL) is
  read from the snapshot in both modes, and the landed file says so.

This module is the only place the mode is looked at. Assets and parsers get :class:`LandedFile` objects and
dispatch, where a source has two formats, on ``LandedFile.format``, never on the mode.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

import requests

from sources.core.errors import FetchError
from sources.core.hashing import sha256_bytes, sha256_file
from sources.core.http import LandingSession, RetrySettings, rewritten
from sources.core.landing import LandedFile, shown_path
from sources.core.zips import extract_member

MODES = ("snapshot", "live")


class LiveRecipe(Protocol):
    """How to fetch a source's bytes live: download them through ``session`` and return the landed files.

    ``secret_params`` / ``secret_headers`` map a query parameter or header to the name of the credential it carries
    (e.g. ``{"X-App-Token": "SOCRATA_APP_TOKEN"}``); the session adds them when sending and never writes them down.
    """

    secret_params: Mapping[str, str]
    secret_headers: Mapping[str, str]

    def fetch(self, session: LandingSession) -> list[LandedFile]: ...


@dataclass(frozen=True)
class Download:
    """Live: GET each URL and land it under ``landing`` (one relpath per URL)."""

    urls: tuple[str, ...]
    landings: tuple[str, ...]
    format: str | None = None
    secret_params: Mapping[str, str] = field(default_factory=dict)
    secret_headers: Mapping[str, str] = field(default_factory=dict)

    def fetch(self, session: LandingSession) -> list[LandedFile]:
        return [_with_format(session.fetch(u, r), self.format) for u, r in zip(self.urls, self.landings, strict=True)]


@dataclass(frozen=True)
class ZipMember:
    """Live: GET a zip, land it, then extract and land the member named ``member``."""

    url: str
    landing: str
    member: str
    member_landing: str
    format: str | None = None
    secret_params: Mapping[str, str] = field(default_factory=dict)
    secret_headers: Mapping[str, str] = field(default_factory=dict)

    def fetch(self, session: LandingSession) -> list[LandedFile]:
        zipped = session.fetch(self.url, self.landing)
        return [
            _with_format(extract_member(zipped, self.member, session.landing_dir, self.member_landing), self.format)
        ]


@dataclass(frozen=True)
class SourceFile:
    """Where one source's bytes come from: ``snapshot`` (a path or glob under the snapshot folder) and, for live
    mode, a recipe (``None``: the snapshot serves both modes). ``format`` says what the snapshot file is."""

    name: str
    snapshot: str
    live: LiveRecipe | None = None
    format: str | None = None


def _with_format(landed: LandedFile, fmt: str | None) -> LandedFile:
    return replace(landed, format=fmt) if fmt else landed


class SnapshotSession(requests.Session):
    """The snapshot's stand-in for :class:`LandingSession`: a request made inside ``landing_as(..., snapshot_relpath)``
    is answered with that snapshot file's bytes, with no network. A client library parses it as it would a live
    answer; ``answers`` records what was served, as the live session records what it landed."""

    def __init__(self, snapshot_dir: Path, rewrites: Mapping[str, str] | None = None) -> None:
        super().__init__()
        self.snapshot_dir = Path(snapshot_dir)
        self.rewrites = dict(rewrites or {})
        self.answers: list[LandedFile] = []
        self._snapshot_relpath: str | None = None

    @contextlib.contextmanager
    def landing_as(self, relpath: str, snapshot_relpath: str | None = None) -> Iterator[None]:
        previous, self._snapshot_relpath = self._snapshot_relpath, snapshot_relpath or relpath
        try:
            yield
        finally:
            self._snapshot_relpath = previous

    def request(self, method: str, url: str, params: Any = None, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        if self._snapshot_relpath is None:
            raise FetchError(f"{method} {url}: the snapshot session answers only inside landing_as()")
        path = self.snapshot_dir / self._snapshot_relpath
        if not path.is_file():
            raise FetchError(f"the snapshot has no file for this request: expected {path}")
        body = path.read_bytes()
        url = rewritten(url, self.rewrites)  # shown as the live request would be
        public = {k: v for k, v in dict(params or {}).items() if k != "key"}
        shown_url = requests.Request("GET", url, params=public).prepare().url or url
        landed = LandedFile(path, sha256_bytes(body), shown_url, len(body), shown_path(path, self.snapshot_dir))
        self.answers.append(landed)
        response = requests.Response()
        response.status_code = 200
        response._content = body
        response.url = shown_url
        response.encoding = "utf-8"
        response.landed = landed  # type: ignore[attr-defined]
        return response


@dataclass
class SourceFiles:
    """Bytes for a source spec in the run's mode (see the module docstring). Plain Python: the Dagster resource in
    ``assets/resources.py`` builds one per run from the settings."""

    mode: str
    snapshot_dir: Path
    landing_dir: Path
    retry: RetrySettings = field(default_factory=RetrySettings)
    credentials: dict[str, str] = field(default_factory=dict, repr=False)  # env var name -> value (never shown)
    rewrites: dict[str, str] = field(default_factory=dict)  # URL prefix -> configured base URL

    def __post_init__(self) -> None:
        if self.mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {self.mode!r}")
        self.snapshot_dir = Path(self.snapshot_dir)
        self.landing_dir = Path(self.landing_dir)

    @property
    def origin(self) -> str:
        """Where this run's bytes come from, in words (for manifests and asset metadata)."""
        return "snapshot (SDOH_SNAPSHOT_DIR)" if self.mode == "snapshot" else "landed (data/raw)"

    def get(self, spec: SourceFile) -> list[LandedFile]:
        """The files of one spec: landed live answers, or the snapshot file(s) in place (a glob may name several)."""
        if self.mode == "live" and spec.live is not None:
            return spec.live.fetch(self.session(spec.live.secret_params, spec.live.secret_headers))
        return self.snapshot_files(spec)

    def get_one(self, spec: SourceFile) -> LandedFile:
        files = self.get(spec)
        if len(files) != 1:
            raise FetchError(f"{spec.name}: expected one file, got {len(files)}: {[f.shown for f in files]}")
        return files[0]

    def snapshot_files(self, spec: SourceFile) -> list[LandedFile]:
        pattern = spec.snapshot
        if any(c in pattern for c in "*?["):
            paths = sorted(self.snapshot_dir.glob(pattern))
        else:
            paths = [self.snapshot_dir / pattern]
        missing = [p for p in paths if not p.is_file()]
        if not paths or missing:
            raise FetchError(f"{spec.name}: the snapshot has no file at {missing[0] if missing else pattern}")
        return [self.snapshot_file(p, spec.format) for p in paths]

    def snapshot_file(self, path: Path, fmt: str | None = None) -> LandedFile:
        return LandedFile(
            path,
            sha256_file(path),
            f"snapshot:{shown_path(path, self.snapshot_dir)}",
            path.stat().st_size,
            shown_path(path, self.snapshot_dir),
            200,
            fmt,
        )

    @property
    def live(self) -> bool:
        """True when requests go to the agencies (only for messages and metadata: branch on specs, not on this)."""
        return self.mode == "live"

    def credential(self, name: str) -> str | None:
        return self.credentials.get(name) or None

    def local_file(self, path: Path, root: Path) -> LandedFile:
        """A project file that feeds the data (a region or neighborhood definition), shown relative to ``root``."""
        return LandedFile(
            path, sha256_file(path), f"file:{shown_path(path, root)}", path.stat().st_size, shown_path(path, root)
        )

    def session(
        self, secret_params: Mapping[str, str] | None = None, secret_headers: Mapping[str, str] | None = None
    ) -> LandingSession | SnapshotSession:
        """A ``requests`` session for API clients: it lands live answers, or serves the snapshot file named in
        ``landing_as(relpath, snapshot_relpath)``. The secret mappings name credentials (see :class:`LiveRecipe`)."""
        if self.mode == "live":
            return LandingSession(
                self.landing_dir,
                self.retry,
                secrets={k: self.credentials.get(v, "") for k, v in (secret_params or {}).items()},
                secret_headers={k: self.credentials.get(v, "") for k, v in (secret_headers or {}).items()},
                rewrites=self.rewrites,
            )
        return SnapshotSession(self.snapshot_dir, self.rewrites)

    def shown(self, files: Sequence[LandedFile]) -> list[dict[str, str]]:
        """Provenance rows (path as people see it, sha256) for a manifest or asset metadata."""
        return [{"path": f.shown, "sha256": f.sha256} for f in files]
