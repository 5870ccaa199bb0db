"""Where each boundary file's bytes come from (config/geographies.yaml): the snapshot's TopoJSON/GeoJSON/GeoPackage
files, or live the Census Bureau's cartographic boundary zips under a base URL (one per state where the layer lists
states), landed under ``census_geo/<layer>/`` before they are read."""

from __future__ import annotations

from typing import Any

from sources.core.files import Download, SourceFile


def layer_source(base_url: str, name: str, spec: dict[str, Any]) -> SourceFile:
    """One boundary layer: a snapshot path (a glob may name one file per metro area) or live zips."""
    base = base_url.rstrip("/")
    urls = tuple(f"{base}/{spec['live_path'].format(state=s)}" for s in spec.get("states") or [None])
    landings = tuple(f"census_geo/{name}/{u.rsplit('/', 1)[-1]}" for u in urls)
    live = Download(urls, landings) if spec.get("live_path") else None
    return SourceFile(f"boundary layer {name}", str(spec["snapshot"]), live)


def relationship_source(base_url: str, spec: dict[str, Any]) -> SourceFile:
    """The Census 2020-to-2010 tract relationship file."""
    url = f"{base_url.rstrip('/')}/{spec['live_path']}"
    return SourceFile(
        "tract relationship",
        str(spec["snapshot"]),
        Download((url,), (f"census_geo/relationship/{url.rsplit('/', 1)[-1]}",)),
    )
