"""What vintage discovery returns, and how a snapshot folder is fingerprinted.

A new-data sensor needs two things per source: which vintages exist (in the snapshot folder, or published by the
agency), and a fingerprint of each, so that a corrected file is noticed as well as a new vintage. Discovery never
raises for one failed request: a 4xx, an unreadable catalog or exhausted retries become a ``problem`` beside the
vintages that could be found, because one agency's bad hour must not hide what the other requests found.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

FINGERPRINT_CHARS = 16  # of a sha256: enough to tell two states of one vintage apart, short enough for a run key


@dataclass(frozen=True)
class FoundVintage:
    """One vintage a source has: its partition key, a fingerprint of its current state, and the evidence behind the
    fingerprint in words (``3 files, 41.2 MB`` or ``Last-Modified Tue, 01 Jul 2025 ...``) for logs and run tags."""

    key: str
    fingerprint: str
    evidence: str
    where: str  # the folder or URL it was found at (never carries a secret)


@dataclass
class Discovery:
    """Everything one source's discovery found, and what went wrong on the way (one line per failed request)."""

    source: str
    mode: str
    vintages: list[FoundVintage] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def keys(self) -> list[str]:
        return [v.key for v in self.vintages]


def fingerprint_of(value: object) -> str:
    """A short, stable hash of any JSON-able value (sorted keys, so dict order never changes it)."""
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:FINGERPRINT_CHARS]


def folder_fingerprint(folder: Path) -> tuple[str, str]:
    """(fingerprint, evidence) of every file under ``folder``: relative path, size and mtime (ns).

    Names, sizes and modification times, not content hashes: the snapshot holds files of hundreds of megabytes and a
    sensor looks every minute, while a corrected file has a new mtime (and usually a new size). A file rewritten with
    identical bytes therefore counts as changed, which costs one needless refresh, never a missed one. Symlinks are
    followed (a snapshot copy made of links fingerprints like the files it points at)."""
    rows = []
    total = 0
    for root, _dirs, files in os.walk(folder, followlinks=True):
        for name in files:
            path = Path(root) / name
            stat = path.stat()
            rows.append((path.relative_to(folder).as_posix(), stat.st_size, stat.st_mtime_ns))
            total += stat.st_size
    rows.sort()
    return fingerprint_of(rows), f"{len(rows)} file{'' if len(rows) == 1 else 's'}, {total / 1e6:,.1f} MB"


def vintage_folders(
    root: Path, pattern: re.Pattern[str], holds: Callable[[Path], bool] = lambda _: True
) -> list[FoundVintage]:
    """Subfolders of ``root`` whose name matches ``pattern`` and that ``holds`` accepts, each fingerprinted.

    A missing ``root`` is no vintages (a snapshot without that source), not an error."""
    if not root.is_dir():
        return []
    found = []
    for entry in sorted(os.scandir(root), key=lambda e: e.name):
        path = Path(entry.path)
        if entry.is_dir() and pattern.fullmatch(entry.name) and holds(path):
            fingerprint, evidence = folder_fingerprint(path)
            found.append(FoundVintage(entry.name, fingerprint, evidence, str(path)))
    return found


def has_file(folder: Path, suffixes: Iterable[str]) -> bool:
    """Whether any file under ``folder`` (symlinks followed) ends with one of ``suffixes``."""
    wanted = tuple(s.lower() for s in suffixes)
    return any(
        name.lower().endswith(wanted) for _root, _dirs, files in os.walk(folder, followlinks=True) for name in files
    )
