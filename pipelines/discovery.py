"""Vintage discovery in the run's mode, from the settings: which agency function answers, with which session.

The agencies' own discovery (``sources/<agency>/discovery.py``) is Dagster-free and knows where its vintages are;
this module only picks the one for a source and mode and builds its live session from the settings (base URLs,
credentials from env vars, the landing folder), so the sensors in :mod:`pipelines.sensors` stay small. No Dagster
import here either. It lives in ``pipelines/`` because it reads every agency package, which an agency package may not.

Live requests go through a :class:`~sources.core.http.LandingSession`: every answer is landed under
``<SDOH_DATA_DIR>/raw/discovery/<source>/`` before it is read, credentials are sent but never written down, and
retries are bounded (:data:`DISCOVERY_RETRY`), shorter than a data download's because a sensor tick should end
within a minute or two, and the next tick tries again anyway.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from pathlib import Path

from assets.settings import Settings
from sources.cdc_places.discovery import live_places_releases, snapshot_places_releases
from sources.cdc_places.socrata import APP_TOKEN, TOKEN_HEADER, SocrataPages
from sources.cdc_places.spec import load_places_releases
from sources.cdc_svi.discovery import live_svi_releases, snapshot_svi_releases
from sources.census_api.discovery import live_census_vintages, snapshot_census_vintages
from sources.census_api.fetch import API_KEY, KEY_SIGNUP, PACKAGE_BASE_URL
from sources.core.http import LandingSession, RetrySettings
from sources.core.vintages import Discovery
from sources.hud_chas.discovery import live_chas_periods, snapshot_chas_periods

SOURCES = ("census_api", "cdc_places", "cdc_svi", "hud_chas")

# Discovery asks small questions (a catalog, metadata, HEADs): at most 4 tries per request, backoff 0.5 s * 2^n plus
# up to 0.5 s of jitter, no sleep over 10 s, 30 s per request.
DISCOVERY_RETRY = RetrySettings(
    max_retries=3, backoff_factor=0.5, backoff_jitter=0.5, backoff_max=10.0, timeout_seconds=30.0
)

SNAPSHOT: dict[str, Callable[[Path], Discovery]] = {
    "census_api": snapshot_census_vintages,
    "cdc_places": snapshot_places_releases,
    "cdc_svi": snapshot_svi_releases,
    "hud_chas": snapshot_chas_periods,
}


def discover(
    source: str,
    settings: Settings,
    known: Iterable[str] = (),
    *,
    environ: Mapping[str, str] | None = None,
    rewrites: Mapping[str, str] | None = None,
    retry: RetrySettings = DISCOVERY_RETRY,
    today: date | None = None,
) -> Discovery:
    """The vintages ``source`` has in ``settings.mode``.

    ``known`` are the vintages that are already partitions (live SVI and CHAS probe them too, and look for the
    releases after the newest of them). Credentials come from ``environ`` (default: the process environment):
    ``CENSUS_API_KEY``, ``SOCRATA_APP_TOKEN``. ``rewrites`` sends URL prefixes elsewhere (the configured Census base
    URL is always applied; tests add the other agencies' hosts)."""
    if source not in SOURCES:
        raise ValueError(f"no vintage discovery for source {source!r}; one of {SOURCES}")
    if settings.mode == "snapshot":
        return SNAPSHOT[source](settings.snapshot_dir)
    env = os.environ if environ is None else environ
    extra = dict(rewrites or {})
    config_dir = settings.config_dir
    if source == "census_api":
        key = env.get(API_KEY) or ""
        if not key:
            return Discovery(
                source, "live", problems=[f"live mode needs a Census API key: set {API_KEY} ({KEY_SIGNUP})"]
            )
        census_rewrites = {PACKAGE_BASE_URL: settings.census_api_base_url, **extra}
        with _session(settings, retry, census_rewrites, secrets={"key": key}) as session:
            return live_census_vintages(session)
    if source == "cdc_places":
        live = [
            (release, spec.live)
            for release, spec in load_places_releases(config_dir / "cdc_places.yaml")
            if isinstance(spec.live, SocrataPages)
        ]
        base = live[0][1].base_url if live else ""
        token = {TOKEN_HEADER: env.get(APP_TOKEN) or ""}
        with _session(settings, retry, extra, secret_headers=token) as session:
            return live_places_releases(session, base, {release: pages.dataset_id for release, pages in live})
    if source == "cdc_svi":
        with _session(settings, retry, extra) as session:
            return live_svi_releases(session, config_dir / "cdc_svi.yaml", known, today)
    with _session(settings, retry, extra) as session:
        return live_chas_periods(session, config_dir / "hud_chas.yaml", known, today)


def _session(
    settings: Settings,
    retry: RetrySettings,
    rewrites: Mapping[str, str],
    secrets: Mapping[str, str] | None = None,
    secret_headers: Mapping[str, str] | None = None,
) -> LandingSession:
    return LandingSession(
        settings.landing_dir, retry, secrets=secrets, secret_headers=secret_headers, rewrites=rewrites
    )
