"""Which CDC/ATSDR SVI releases exist: in the snapshot folder, or as CDC's county CSV download.

- Snapshot: a folder ``cdc_svi/<release year>/`` holding a ``.csv`` is a release (``docs/`` is not); fingerprint:
  its files' names, sizes and mtimes.
- Live: SVI has no catalog API, so the download URL (``config/cdc_svi.yaml`` ``live_url``) is probed for each
  configured release, each release already a partition, and the next releases: SVI is biennial (2018, 2020, 2022),
  so up to :data:`PROBE_AHEAD` releases after the newest known one, each before the current year (SVI for data
  year Y is built from the ACS period ending in Y, which the Bureau releases in December of Y+1). A probe is a
  HEAD (a one-byte ranged GET where HEAD is refused); the file's ``ETag``, ``Last-Modified`` and size are the
  fingerprint. A 404 for a guessed next release means "not published yet" and is not reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from pathlib import Path

from sources.cdc_svi.spec import load_svi_config
from sources.core.config_io import load_yaml
from sources.core.http import LandingSession
from sources.core.probe import Candidate, probe_vintages
from sources.core.vintages import Discovery, has_file, vintage_folders

CYCLE_YEARS = 2  # SVI is released for every other ACS year
PROBE_AHEAD = 2  # how many releases past the newest known one are looked for
_YEAR = re.compile(r"\d{4}")


def snapshot_svi_releases(snapshot_dir: Path) -> Discovery:
    """SVI releases in ``<snapshot>/cdc_svi/``: release-year folders holding a CSV."""
    found = vintage_folders(Path(snapshot_dir) / "cdc_svi", _YEAR, lambda folder: has_file(folder, [".csv"]))
    return Discovery("cdc_svi", "snapshot", found)


def svi_candidates(config_path: Path, known: Iterable[str] = (), today: date | None = None) -> list[Candidate]:
    """Configured and known releases (expected to exist), then the next biennial ones (guesses)."""
    config = load_svi_config(config_path)
    pattern = _url_pattern(config_path)
    expected = sorted(set(config) | {k for k in known if _YEAR.fullmatch(k)})
    year = (today or date.today()).year
    ahead = []
    newest = int(expected[-1]) if expected else year - CYCLE_YEARS
    for n in range(1, PROBE_AHEAD + 1):
        if newest + n * CYCLE_YEARS < year:  # SVI for data year Y follows the ACS of Y, released in Y+1
            ahead.append(str(newest + n * CYCLE_YEARS))
    return [_candidate(pattern, key, key in expected) for key in [*expected, *ahead]]


def _candidate(pattern: str, key: str, expected: bool) -> Candidate:
    url = pattern.format(vintage=key)
    return Candidate(key, url, f"discovery/cdc_svi/{url.rsplit('/', 1)[-1]}.head.json", expected)


def live_svi_releases(
    session: LandingSession, config_path: Path, known: Iterable[str] = (), today: date | None = None
) -> Discovery:
    """Probe the SVI download URL of every candidate release (see :func:`svi_candidates`)."""
    return probe_vintages(session, "cdc_svi", svi_candidates(config_path, known, today))


def _url_pattern(config_path: Path) -> str:
    """``live_url`` with its ``{vintage}`` placeholder (checked by :func:`load_svi_config`)."""
    return str(load_yaml(config_path)["live_url"])
