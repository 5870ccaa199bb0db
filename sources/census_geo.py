"""Census cartographic boundary files: county identifiers from the TopoJSON county layers.

Snapshot: ``census_geo/county/<vintage>_us_atlas/counties-10m.json`` (Census GENZ cartographic boundaries as
TopoJSON, 5-digit ``id`` and ``name``). Two vintages are read because county FIPS changed: the 2017 file has
Connecticut's eight old counties (09001-09015), the 2023 file its nine planning regions (09110-09190), and the
ACS switched between them with the 2022 vintage. Reading ids needs no geometry library, so this stays fast;
geometry work (issue 11) goes through geopandas.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import polars as pl

COUNTY_BOUNDARY_VINTAGES = ("2017", "2023")


def county_boundary_path(snapshot_dir: Path, vintage: str) -> Path:
    return Path(snapshot_dir) / "census_geo" / "county" / f"{vintage}_us_atlas" / "counties-10m.json"


def read_county_ids(path: Path, vintage: str) -> pl.DataFrame:
    """One row per county in a TopoJSON county layer: geoid, state_fips, county_name, boundary_vintage."""
    topo = json.loads(Path(path).read_text())
    try:
        geometries = topo["objects"]["counties"]["geometries"]
    except (KeyError, TypeError):
        raise ValueError(f"{path}: no TopoJSON object `counties`") from None
    rows = []
    for n, g in enumerate(geometries):
        geoid = str(g.get("id", ""))
        if not re.fullmatch(r"\d{5}", geoid):
            raise ValueError(f"{path}: county feature #{n} has id {geoid!r}; expected 5 digits")
        rows.append({"geoid": geoid, "state_fips": geoid[:2], "county_name": (g.get("properties") or {}).get("name")})
    return pl.DataFrame(rows).with_columns(pl.lit(vintage).alias("boundary_vintage"))
