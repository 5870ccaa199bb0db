"""Which ACS 5-year vintages exist: in the snapshot folder, or in the Census Data API's own dataset catalog.

What counts as an ACS 5-year vintage: the detailed-tables dataset ``acs/acs5`` of a year. The subject tables
(``acs/acs5/subject``) and profiles of the same year are released with it, so they add no vintage of their own;
decennial datasets (``dec/pl``, ``dec/sf1``) come once a decade and enter through config, not through discovery.

- Snapshot: a folder ``census_api/<year>/`` counts when ``<year>/acs/acs5/`` holds at least one ``.json`` response
  (2010 holds only ``dec/sf1`` and does not). Its fingerprint covers every file under ``<year>/`` (names, sizes,
  mtimes), because the ``census_api`` partition ``<year>`` lands every dataset of that year, decennial included.
- Live: the API serves its catalog as DCAT JSON beside the data root (``https://api.census.gov/data`` ->
  ``https://api.census.gov/data.json``). Entries whose ``c_dataset`` is exactly ``["acs", "acs5"]`` are ACS 5-year
  vintages, ``c_vintage`` their year; the fingerprint is the entry's ``modified`` date (and its distribution URL),
  which the Bureau changes when it re-releases a dataset. The catalog is landed before it is parsed.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from sources.census_api.fetch import PACKAGE_BASE_URL
from sources.core.errors import FetchError, SourceError
from sources.core.http import LandingSession
from sources.core.vintages import Discovery, FoundVintage, fingerprint_of, has_file, vintage_folders

ACS5 = ["acs", "acs5"]
CATALOG_URL = PACKAGE_BASE_URL + ".json"  # https://api.census.gov/data.json; a configured base URL rewrites it
CATALOG_RELPATH = "discovery/census_api/data.json"
_YEAR = re.compile(r"\d{4}")


def snapshot_census_vintages(snapshot_dir: Path) -> Discovery:
    """ACS 5-year vintages in ``<snapshot>/census_api/``: year folders holding ``acs/acs5`` responses."""
    found = vintage_folders(
        Path(snapshot_dir) / "census_api",
        _YEAR,
        lambda folder: (folder / "acs" / "acs5").is_dir() and has_file(folder / "acs" / "acs5", [".json"]),
    )
    return Discovery("census_api", "snapshot", found)


def live_census_vintages(session: LandingSession) -> Discovery:
    """ACS 5-year vintages in the API's catalog (``data.json``), landed first. A failed request or an unreadable
    catalog is a problem of the returned :class:`Discovery`, not an exception."""
    discovery = Discovery("census_api", "live")
    try:
        landed = session.fetch(CATALOG_URL, CATALOG_RELPATH)
        discovery.vintages = parse_catalog(landed.path, landed.url)
    except (FetchError, SourceError) as exc:
        discovery.problems.append(f"Census API dataset catalog: {session.public(str(exc))}")
    return discovery


def parse_catalog(path: Path, url: str) -> list[FoundVintage]:
    """ACS 5-year entries of a landed DCAT catalog, one per vintage (the newest ``modified`` if a year repeats)."""
    try:
        catalog = json.loads(Path(path).read_bytes())
    except (UnicodeDecodeError, json.JSONDecodeError):
        snippet = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", Path(path).read_bytes()[:300].decode(errors="replace")))
        raise SourceError(f"{path}: the catalog from {url} is not JSON: {snippet.strip()[:200]}") from None
    entries = catalog.get("dataset") if isinstance(catalog, dict) else None
    if not isinstance(entries, list):
        raise SourceError(f"{path}: the catalog from {url} has no `dataset` list (not the API's DCAT catalog)")
    by_year: dict[str, dict[str, Any]] = {}
    for entry in entries:
        if not isinstance(entry, dict) or entry.get("c_dataset") != ACS5:
            continue
        year = str(entry.get("c_vintage") or "")
        if not _YEAR.fullmatch(year):
            continue
        if year not in by_year or str(entry.get("modified") or "") > str(by_year[year].get("modified") or ""):
            by_year[year] = entry
    found = []
    for year, entry in sorted(by_year.items()):
        modified = str(entry.get("modified") or "")
        access = [d.get("accessURL") for d in entry.get("distribution") or [] if isinstance(d, dict)]
        found.append(
            FoundVintage(
                year,
                fingerprint_of({"modified": modified, "access": access}),
                f"modified {modified}" if modified else "no `modified` date in the catalog",
                url,
            )
        )
    return found
