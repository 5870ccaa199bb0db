"""Which HUD CHAS periods exist: in the snapshot folder, or as HUD's county zip download.

- Snapshot: a folder ``hud_chas/<start>thru<end>/`` (HUD's period name) holding a ``.csv`` is a period; fingerprint:
  its files' names, sizes and mtimes.
- Live: HUD has no catalog API, so the county zip URL (``config/hud_chas.yaml`` ``live.url``, which contains the
  period name) is probed for the configured period, each period already a partition, and the next periods: CHAS
  follows the ACS 5-year periods, one a year, so up to :data:`PROBE_AHEAD` periods past the newest known one whose
  last year has ended. A probe is a HEAD (a one-byte ranged GET where HEAD is refused); ``ETag``,
  ``Last-Modified`` and size are the fingerprint. A 404 for a guessed next period means "not published yet".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from pathlib import Path

from sources.core.errors import ConfigError
from sources.core.http import LandingSession
from sources.core.probe import Candidate, probe_vintages
from sources.core.vintages import Discovery, has_file, vintage_folders
from sources.hud_chas.spec import load_chas_config

PROBE_AHEAD = 2
PERIOD = re.compile(r"(?P<start>\d{4})thru(?P<end>\d{4})")


def snapshot_chas_periods(snapshot_dir: Path) -> Discovery:
    """CHAS periods in ``<snapshot>/hud_chas/``: ``<start>thru<end>`` folders holding a CSV."""
    found = vintage_folders(Path(snapshot_dir) / "hud_chas", PERIOD, lambda folder: has_file(folder, [".csv"]))
    return Discovery("hud_chas", "snapshot", found)


def next_period(period: str, years: int = 1) -> str:
    """``2018thru2022`` -> ``2019thru2023`` (one year later; ACS 5-year periods move a year at a time)."""
    match = PERIOD.fullmatch(period)
    if not match:
        raise ValueError(f"{period!r} is not a HUD CHAS period such as '2018thru2022'")
    return f"{int(match['start']) + years}thru{int(match['end']) + years}"


def chas_candidates(config_path: Path, known: Iterable[str] = (), today: date | None = None) -> list[Candidate]:
    """The configured and known periods (expected to exist), then the next ones (guesses)."""
    config = load_chas_config(config_path)
    if config.release not in config.live_url:
        raise ConfigError(f"{config_path}: live.url does not contain the release {config.release!r}")
    expected = sorted({config.release} | {k for k in known if PERIOD.fullmatch(k)})
    year = (today or date.today()).year
    ahead = []
    for n in range(1, PROBE_AHEAD + 1):
        period = next_period(expected[-1], n)
        if int(period[-4:]) < year:  # the ACS period has ended (HUD publishes about two years after)
            ahead.append(period)

    def candidate(period: str, is_expected: bool) -> Candidate:
        url = config.live_url.replace(config.release, period)
        return Candidate(period, url, f"discovery/hud_chas/{url.rsplit('/', 1)[-1]}.head.json", is_expected)

    return [candidate(p, True) for p in expected] + [candidate(p, False) for p in ahead]


def live_chas_periods(
    session: LandingSession, config_path: Path, known: Iterable[str] = (), today: date | None = None
) -> Discovery:
    """Probe HUD's county zip URL of every candidate period (see :func:`chas_candidates`)."""
    return probe_vintages(session, "hud_chas", chas_candidates(config_path, known, today))
