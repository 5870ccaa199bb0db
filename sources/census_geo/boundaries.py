"""Census cartographic boundary files: county identifiers, boundary layers, the tract relationship file, tribes.

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

from sources.core.errors import SourceError
from sources.core.landing import LandedFile
from sources.core.zips import gdal_path


def read_county_ids(path: Path | LandedFile, vintage: str, spec: dict | None = None) -> pl.DataFrame:
    """One row per county in a county layer: geoid, state_fips, county_name, boundary_vintage.

    A TopoJSON layer (the snapshot's) is read as JSON, with no geometry library; a Census Bureau zip (live) is read
    without geometries through pyogrio, with the layer's ``live_id_field``/``live_name_field``.
    """
    if isinstance(path, LandedFile):
        path = path.path
    if Path(path).suffix.lower() == ".zip":
        return _county_ids_from_zip(Path(path), vintage, spec or {})
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


def _county_ids_from_zip(path: Path, vintage: str, spec: dict) -> pl.DataFrame:
    import pyogrio

    id_field, name_field = spec.get("live_id_field", "GEOID"), spec.get("live_name_field", "NAME")
    frame = pyogrio.read_dataframe(gdal_path(path), read_geometry=False, columns=[id_field, name_field])
    rows = []
    for n, (geoid, name) in enumerate(zip(frame[id_field], frame[name_field], strict=True)):
        if not re.fullmatch(r"\d{5}", str(geoid)):
            raise BoundaryError(f"{path}: county feature #{n} has {id_field} {geoid!r}; expected 5 digits")
        rows.append({"geoid": str(geoid), "state_fips": str(geoid)[:2], "county_name": name})
    return pl.DataFrame(rows).with_columns(pl.lit(vintage).alias("boundary_vintage"))


# ---------------------------------------------------------------------------------------------------------------
# Boundary geometries (issue 11). geopandas and shapely are imported inside the functions: the code location
# imports this module, and must stay quick to reload.


class BoundaryError(SourceError):
    """A boundary file breaks its contract: unknown CRS, missing id field, malformed id, unreadable file."""


def read_boundary_layer(name: str, spec: dict, paths: list[str | Path | LandedFile], *, live: bool = False):
    """Read one boundary layer into a GeoDataFrame in EPSG:4326 with geo_type, geo_vintage, geoid, name, state_fips.

    Returns ``(frame, stats)`` where stats counts features read, duplicates dropped, features outside the layer's
    states and geometries repaired with ``make_valid``. The file's own CRS is used; a file without one is read in
    the layer's ``declared_crs`` (TopoJSON has no CRS field); with neither, it is an error. A landed Census Bureau
    zip is opened in place (``zip://...!member.shp``) with the layer's ``live_id_field``/``live_name_field``;
    ``source_file`` is the landed file's path as people see it.
    """
    import geopandas as gpd
    import pandas as pd

    frames = []
    for item in paths:
        shown = item.shown if isinstance(item, LandedFile) else None
        path: str | Path = item.path if isinstance(item, LandedFile) else item
        zipped = live or str(path).lower().endswith(".zip") or str(path).startswith("zip://")
        if str(path).lower().endswith(".zip"):
            path = gdal_path(Path(path))
        id_field = spec.get("live_id_field", spec["id_field"]) if zipped else spec["id_field"]
        name_field = spec.get("live_name_field", spec.get("name_field")) if zipped else spec.get("name_field")
        live = zipped
        try:
            frame = gpd.read_file(path, layer=spec["layer"]) if spec.get("layer") and not live else gpd.read_file(path)
        except Exception as exc:  # pyogrio raises DataSourceError and others
            raise BoundaryError(f"boundary layer {name}: cannot read {path}: {exc}") from None
        if id_field not in frame.columns:
            raise BoundaryError(
                f"boundary layer {name}: {path} has no id field {id_field!r} (columns {list(frame.columns)})"
            )
        if frame.crs is None:
            declared = spec.get("declared_crs")
            if not declared:
                raise BoundaryError(
                    f"boundary layer {name}: {path} has no CRS and config/geographies.yaml declares none (`declared_crs`)"
                )
            frame = frame.set_crs(declared)
        frame = frame.to_crs("EPSG:4326")
        frames.append(
            gpd.GeoDataFrame(
                {
                    "geoid": frame[id_field].astype("string"),
                    "name": frame[name_field].astype("string") if name_field in frame.columns else pd.NA,
                    "source_file": shown or str(path),
                },
                geometry=frame.geometry,
                crs="EPSG:4326",
            )
        )
    layer = pd.concat(frames, ignore_index=True)
    layer = gpd.GeoDataFrame(layer, geometry="geometry", crs="EPSG:4326")
    stats = {"features_read": len(layer)}
    width = {"county": 5, "tract": 11, "aiannh": 4}[spec["geo_type"]]
    bad = layer[~layer["geoid"].fillna("").str.fullmatch(rf"\d{{{width}}}")]
    if len(bad):
        first = bad.iloc[0]
        raise BoundaryError(
            f"boundary layer {name}: {first['source_file']} feature #{bad.index[0]} field {id_field} has value "
            f"{first['geoid']!r}; expected {width} digits"
        )
    minx, miny, maxx, maxy = layer.total_bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        raise BoundaryError(f"boundary layer {name}: bounds {layer.total_bounds} are not longitude/latitude")
    dupes = layer["geoid"].duplicated()
    stats["duplicates_dropped"] = int(dupes.sum())  # a tract in two metro-area files
    layer = layer[~dupes]
    states = spec.get("states")
    if states and spec["geo_type"] == "tract":
        inside = layer["geoid"].str[:2].isin([str(s) for s in states])
        stats["outside_states_dropped"] = int((~inside).sum())
        layer = layer[inside]
    layer, repaired = repair_geometries(layer)
    stats["repaired_make_valid"] = repaired
    empty = layer.geometry.isna() | layer.geometry.is_empty
    stats["empty_geometry"] = int(empty.sum())  # kept as a geography without a drawable boundary
    layer = layer.copy()
    layer.loc[empty, "geometry"] = None
    layer["geo_type"] = spec["geo_type"]
    layer["geo_vintage"] = str(spec["geo_vintage"])
    layer["state_fips"] = layer["geoid"].str[:2] if spec["geo_type"] in ("county", "tract") else pd.NA
    stats["features"] = len(layer)
    cols = ["geo_type", "geo_vintage", "geoid", "name", "state_fips", "source_file", "geometry"]
    return layer[cols].reset_index(drop=True), stats


def repair_geometries(frame):
    """``make_valid`` every invalid geometry, keeping only its polygonal parts; returns (frame, repaired count)."""
    import shapely

    invalid = ~frame.geometry.is_valid
    if not invalid.any():
        return frame, 0
    frame = frame.copy()
    frame.loc[invalid, "geometry"] = [_polygonal(shapely.make_valid(g)) for g in frame.geometry[invalid]]
    return frame, int(invalid.sum())


def _polygonal(geom):
    import shapely

    if geom.geom_type in ("Polygon", "MultiPolygon"):
        return geom
    parts = [g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")]
    return shapely.union_all(parts) if parts else shapely.Polygon()


def add_equal_area_km2(frame, equal_area_crs: str):
    """Area of each geometry in km², computed in an equal-area projection (never in degrees)."""
    frame = frame.copy()
    frame["area_km2"] = frame.geometry.to_crs(equal_area_crs).area / 1e6
    return frame


_RELATIONSHIP_COLUMNS = {
    "GEOID_TRACT_20": pl.String,
    "AREALAND_TRACT_20": pl.Float64,
    "GEOID_TRACT_10": pl.String,
    "AREALAND_TRACT_10": pl.Float64,
    "AREALAND_PART": pl.Float64,
}


def read_tract_relationship(path: Path) -> pl.DataFrame:
    """The Census 2020-to-2010 tract relationship file: one row per part (a 2020 tract ∩ a 2010 tract).

    The snapshot is comma-separated; the Census Bureau's national file is pipe-separated: both are read.
    A malformed GEOID or area is an error naming the file, the record, the field and the value.
    """
    text_head = Path(path).read_text(errors="replace")[:2000]
    separator = "|" if text_head.count("|") > text_head.count(",") else ","
    raw = pl.read_csv(path, separator=separator, infer_schema=False)
    missing = [c for c in _RELATIONSHIP_COLUMNS if c not in raw.columns]
    if missing:
        raise BoundaryError(f"{path}: relationship file lacks column(s) {missing}")
    frame = raw.select(list(_RELATIONSHIP_COLUMNS)).with_row_index("record", offset=2)
    for column, dtype in _RELATIONSHIP_COLUMNS.items():
        if dtype == pl.String:
            bad = frame.filter(~pl.col(column).str.contains(r"^\d{11}$"))
        else:
            bad = frame.filter(
                pl.col(column).cast(pl.Float64, strict=False).is_null()
                | (pl.col(column).cast(pl.Float64, strict=False) < 0)
            )
        if bad.height:
            row = bad.row(0, named=True)
            raise BoundaryError(f"{path}: record {row['record']} field {column} has value {row[column]!r}")
    return frame.select(
        pl.col("GEOID_TRACT_20").alias("tract_2020"),
        pl.col("GEOID_TRACT_10").alias("tract_2010"),
        pl.col("AREALAND_TRACT_20").cast(pl.Float64).alias("land_m2_tract_2020"),
        pl.col("AREALAND_TRACT_10").cast(pl.Float64).alias("land_m2_tract_2010"),
        pl.col("AREALAND_PART").cast(pl.Float64).alias("land_m2_part"),
    )


def read_tribes_by_area(snapshot_dir: Path) -> dict[str, list[str]]:
    """AIANNH GEOID -> names of the tribes associated with the area (ATNI's crosswalk and EPA tribal registry).

    Used to check that a tribal-data approval names a tribal government of that area. Empty when the snapshot
    has no crosswalk (live mode without it): the approval is then taken as written.
    """
    folder = Path(snapshot_dir) / "census_geo" / "aiannh" / "tribes"
    try:
        crosswalk = json.loads((folder / "aiannh_tribe_crosswalk.json").read_text())
        registry = json.loads((folder / "tribal_registry.json").read_text())
    except FileNotFoundError:
        return {}
    tribes: dict[str, list[str]] = {}
    for t in registry.get("tribes", []):
        tribes[t["tribe_id"]] = [t["name"], *(t.get("alternate_names") or [])]
    out: dict[str, list[str]] = {}
    for geoid, ids in (crosswalk.get("mappings") or {}).items():
        for tribe_id in ids if isinstance(ids, list) else [ids]:
            out.setdefault(str(geoid), []).extend(tribes.get(tribe_id, []))
    return out
