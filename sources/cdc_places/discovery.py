"""Which CDC PLACES releases exist: in the snapshot folder, or on CDC's Socrata portal (data.cdc.gov).

- Snapshot: a folder ``cdc_places/<release year>/`` holding a ``.csv`` is a release; its fingerprint is its files'
  names, sizes and mtimes.
- Live, configured releases: Socrata's metadata of each configured dataset (``<base>/api/views/<id>.json``);
  its ``rowsUpdatedAt`` (epoch seconds: when the rows last changed) is the fingerprint, so CDC republishing a
  release's rows is noticed.
- Live, newer releases: CDC publishes each release as a new dataset with a new id, named
  ``PLACES: Local Data for Better Health, County Data <year> release``. The portal's catalog search
  (``<base>/api/catalog/v1``, Socrata's Discovery API as each domain serves it) is asked for that name, and every
  match that config does not name yet is a release, fingerprinted by the catalog's ``data_updated_at``. Not
  verified against data.cdc.gov from the offline development machine: if the portal answers differently, that is
  reported as a problem and the configured releases are still checked.

Every answer is landed (``discovery/cdc_places/...``) before it is parsed. The app token (``SOCRATA_APP_TOKEN``)
travels only in the ``X-App-Token`` header, which the session never writes down.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from sources.core.errors import FetchError, SourceError
from sources.core.http import LandingSession
from sources.core.vintages import Discovery, FoundVintage, fingerprint_of, has_file, vintage_folders

COUNTY_RELEASE_NAME = re.compile(r"PLACES: Local Data for Better Health, County Data (?P<year>\d{4}) release")
CATALOG_QUERY = "PLACES: Local Data for Better Health, County Data"
_YEAR = re.compile(r"\d{4}")


def snapshot_places_releases(snapshot_dir: Path) -> Discovery:
    """PLACES releases in ``<snapshot>/cdc_places/``: release-year folders holding a CSV."""
    found = vintage_folders(Path(snapshot_dir) / "cdc_places", _YEAR, lambda folder: has_file(folder, [".csv"]))
    return Discovery("cdc_places", "snapshot", found)


def live_places_releases(
    session: LandingSession, base_url: str, configured: dict[str, str], *, search_catalog: bool = True
) -> Discovery:
    """Configured releases (``release -> dataset id``) from their Socrata metadata, plus newer releases found in the
    portal's catalog. Failed requests are problems of the returned :class:`Discovery`."""
    discovery = Discovery("cdc_places", "live")
    base = base_url.rstrip("/")
    for release, dataset_id in sorted(configured.items()):
        url = f"{base}/api/views/{dataset_id}.json"
        try:
            landed = session.fetch(url, f"discovery/cdc_places/views/{dataset_id}.json")
            discovery.vintages.append(parse_view(landed.path, landed.url, release))
        except (FetchError, SourceError) as exc:
            discovery.problems.append(f"PLACES {release} (dataset {dataset_id}) metadata: {session.public(str(exc))}")
    if search_catalog:
        host = urlsplit(base).hostname or ""
        params = {"q": CATALOG_QUERY, "only": "dataset", "domains": host, "search_context": host, "limit": "100"}
        try:
            landed = session.fetch(f"{base}/api/catalog/v1?{urlencode(params)}", "discovery/cdc_places/catalog.json")
            discovery.vintages += [v for v in parse_catalog(landed.path, landed.url) if v.key not in configured]
        except (FetchError, SourceError) as exc:
            discovery.problems.append(f"PLACES release search in the portal's catalog: {session.public(str(exc))}")
    return discovery


def parse_view(path: Path, url: str, release: str) -> FoundVintage:
    """One configured release from its landed Socrata view metadata (``rowsUpdatedAt``, else ``viewLastModified``)."""
    view = _json(path, url)
    if not isinstance(view, dict) or "id" not in view:
        raise SourceError(f"{path}: the answer from {url} is not Socrata view metadata (no `id`)")
    stamp = view.get("rowsUpdatedAt") or view.get("viewLastModified")
    if not isinstance(stamp, int):
        raise SourceError(f"{path}: view {view['id']} has neither `rowsUpdatedAt` nor `viewLastModified`")
    return FoundVintage(
        release,
        fingerprint_of({"id": view["id"], "rows_updated_at": stamp}),
        f"dataset {view['id']}, rows updated {datetime.fromtimestamp(stamp, UTC).isoformat(timespec='seconds')}",
        url,
    )


def parse_catalog(path: Path, url: str) -> list[FoundVintage]:
    """PLACES county releases among a landed catalog search's results (one per year: the newest if repeated)."""
    answer = _json(path, url)
    results = answer.get("results") if isinstance(answer, dict) else None
    if not isinstance(results, list):
        raise SourceError(f"{path}: the answer from {url} has no `results` list (not a Socrata catalog search)")
    by_year: dict[str, dict[str, Any]] = {}
    for result in results:
        resource = result.get("resource") if isinstance(result, dict) else None
        if not isinstance(resource, dict):
            continue
        match = COUNTY_RELEASE_NAME.fullmatch(str(resource.get("name", "")).strip())
        if not match or not resource.get("id"):
            continue
        year = match["year"]
        updated = str(resource.get("data_updated_at") or resource.get("updatedAt") or "")
        if year not in by_year or updated > by_year[year]["updated"]:
            by_year[year] = {"id": str(resource["id"]), "updated": updated}
    return [
        FoundVintage(
            year,
            fingerprint_of({"id": r["id"], "data_updated_at": r["updated"]}),
            f"dataset {r['id']} (not in config/cdc_places.yaml), data updated {r['updated'] or 'unknown'}",
            url,
        )
        for year, r in sorted(by_year.items())
    ]


def _json(path: Path, url: str) -> Any:
    try:
        return json.loads(Path(path).read_bytes())
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise SourceError(f"{path}: the answer from {url} is not JSON") from None
