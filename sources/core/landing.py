"""The landing rule: every byte the pipeline reads from an agency is first written to the landing folder, once,
under a name that carries its content hash, with a sidecar that says where it came from.

- A body answered with HTTP 200 lands as ``<relpath stem>.<sha256[:16]><suffix>``
  (``census_geo/cb_2023_us_county_500k.zip`` -> ``census_geo/cb_2023_us_county_500k.0123456789abcdef.zip``).
- Any other answer lands as ``<stem>.<sha256[:16]>.http<status>``: no data suffix, so a glob for data never picks
  up an error page, yet the page is kept to read.
- The sidecar is ``<landed name>.meta.json``: url (secrets removed), status, sha256, bytes, fetched_at (UTC), and
  whatever the caller adds (the zip and member a file was extracted from).
- A landed name is never overwritten: the same name means the same bytes. Files are written through a temporary
  file in the same folder and renamed, so a crash never leaves a half file under a landed name.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from sources.core.hashing import sha256_bytes

META_SUFFIX = ".meta.json"


@dataclass(frozen=True)
class LandedFile:
    """Bytes the pipeline will read: where they are, their hash, where they came from and what to call them.

    ``shown`` is the path people see (manifests, ``source_file`` columns): relative to the snapshot folder for a
    snapshot file, relative to the landing folder for a landed one. ``url`` never carries a secret.
    """

    path: Path
    sha256: str
    url: str
    bytes: int
    shown: str
    status: int = 200
    format: str | None = None  # what the bytes are, when a source has several formats (e.g. PLACES)


def checked_relpath(relpath: str) -> PurePosixPath:
    """A relative file path that stays inside the landing folder."""
    target = PurePosixPath(relpath)
    if not target.name or target.is_absolute() or ".." in target.parts:
        raise ValueError(f"relpath {relpath!r} must be a relative file path inside the landing folder")
    return target


def landed_name(relpath: str, digest: str, status: int = 200) -> str:
    """The file name a body lands under (see the module docstring)."""
    target = checked_relpath(relpath)
    suffix = target.suffix
    stem = target.name.removesuffix(suffix) if suffix else target.name
    if status == 200:
        return f"{stem}.{digest[:16]}{suffix}"
    return f"{stem}.{digest[:16]}.http{status}"


def sidecar_path(landed: Path) -> Path:
    return landed.with_name(landed.name + META_SUFFIX)


def settle(tmp: Path, target: Path, meta: dict[str, Any]) -> Path:
    """Rename a fully written temporary file to its landed name (unless that exists) and write its sidecar once."""
    if target.exists():
        tmp.unlink(missing_ok=True)
    else:
        tmp.replace(target)
    meta_path = sidecar_path(target)
    if not meta_path.exists():
        write_once(meta_path, json.dumps({**meta, "fetched_at": _now()}, indent=2).encode())
    return target


def land_bytes(
    landing_dir: Path, relpath: str, body: bytes, *, url: str, status: int = 200, extra: dict[str, Any] | None = None
) -> LandedFile:
    """Land a body already in memory (an API answer, a member extracted from a zip) and return it as landed."""
    digest = sha256_bytes(body)
    target_rel = checked_relpath(relpath)
    directory = Path(landing_dir) / target_rel.parent
    target = directory / landed_name(relpath, digest, status)
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=directory, prefix=f".{target.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(body)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    meta = {"url": url, "status": status, "sha256": digest, "bytes": len(body), **(extra or {})}
    settle(Path(tmp_name), target, meta)
    return LandedFile(target, digest, url, len(body), shown_path(target, landing_dir), status)


def write_once(target: Path, body: bytes) -> None:
    """Write through a temporary file and rename, never over an existing file (same name means same bytes)."""
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(body)
        Path(tmp_name).replace(target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise


def shown_path(path: Path, root: Path) -> str:
    """``path`` relative to ``root`` when it lies inside it (the one rule for showing source paths), else as is."""
    absolute = Path(os.path.abspath(path))  # not resolve(): a symlinked snapshot stays inside its root
    try:
        return absolute.relative_to(os.path.abspath(root)).as_posix()
    except ValueError:
        return str(path)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
