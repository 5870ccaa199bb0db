"""Map-ready exports of a release: every published geography with a boundary and its latest indicator values.

- ``map_geographies.parquet`` (GeoParquet): every geography with a boundary, the full boundaries, the geography's
  row from the published ``geographies`` table and, per indicator, the latest total-group value: ``<indicator>``
  (estimate), ``<indicator>__moe``, ``<indicator>__vintage`` and ``<indicator>__reliability`` (the geography's census
  population is the ``population`` indicator's column). For GIS work and analysts.
- ``map_<layer>.geojson``: one web map layer per geography type and boundary vintage (the published ``map_layer``
  column), so the 2017 Connecticut counties and the 2023 planning regions, or 2010 and 2020 tracts, are never drawn
  over each other. Simplified for the web as ``config/maps.yaml`` says: topology-preserving simplification of the
  layer as one coverage (shapely's ``coverage_simplify``: neighbours keep their shared edges, so no gaps or slivers
  appear between them), coordinates rounded, RFC 7946 GeoJSON (longitude/latitude, no legacy ``crs`` member), and
  only the configured indicators' columns (those with a value somewhere in the layer). A layer whose features overlap stops the publish (:class:`LayerOverlap`).

Geometries are the repaired boundaries in longitude/latitude (EPSG:4326, as GeoJSON requires). geopandas is imported
here only, when a release is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assets.settings import CONFIG_DIR
from sources.core.config_io import parse_yaml

MAPS_CONFIG = "maps.yaml"
WEB_SIGNIFICANT_FIGURES = 9
FIELDS = ("estimate", "moe", "vintage", "reliability")
# geography columns a web layer carries (the list column `parents` is flattened into county/ACH columns already)
WEB_GEOGRAPHY_COLUMNS = (
    "release_id",
    "geo_type",
    "geo_vintage",
    "geoid",
    "name",
    "state_fips",
    "state_name",
    "county_geoid",
    "county_name",
    "ach_id",
    "ach_name",
    "land_area_km2",
    "example",
    "map_layer",
)


class MapConfigError(ValueError):
    """config/maps.yaml is wrong: the message names the file, the field and the value."""


class LayerOverlap(ValueError):
    """Two features of one web map layer overlap, so a map would draw one over the other."""


@dataclass(frozen=True)
class MapSettings:
    coordinate_decimals: int
    tolerance: dict[str, float]  # geo_type -> degrees
    max_overlap_share: float
    indicators: tuple[str, ...]


def load_map_settings(config_dir: Path = CONFIG_DIR) -> MapSettings:
    """Read and validate ``config/maps.yaml``."""
    path = Path(config_dir) / MAPS_CONFIG
    raw = parse_yaml(path.read_text()) or {}
    decimals = raw.get("coordinate_decimals")
    if not isinstance(decimals, int) or not 3 <= decimals <= 8:
        raise MapConfigError(f"{path}: coordinate_decimals must be an integer from 3 to 8, got {decimals!r}")
    tolerance = raw.get("simplify_tolerance_degrees") or {}
    for geo_type, value in tolerance.items():
        if not isinstance(value, int | float) or not 0 <= value < 0.1:
            raise MapConfigError(
                f"{path}: simplify_tolerance_degrees.{geo_type} must be a number of degrees from 0 to 0.1, got {value!r}"
            )
    share = raw.get("max_overlap_share")
    if not isinstance(share, int | float) or not 0 <= share <= 1:
        raise MapConfigError(f"{path}: max_overlap_share must be a share from 0 to 1 (1: not checked), got {share!r}")
    indicators = raw.get("indicators") or []
    if not isinstance(indicators, list) or not all(isinstance(i, str) for i in indicators):
        raise MapConfigError(f"{path}: indicators must be a list of indicator ids, got {indicators!r}")
    return MapSettings(decimals, {k: float(v) for k, v in tolerance.items()}, float(share), tuple(indicators))


def write_map_exports(
    con: Any, folder: Path, release_id: str, *, config_dir: Path = CONFIG_DIR
) -> dict[str, dict[str, Any]]:
    """Write the exports into ``folder``; return {file name: facts about it (features, layer, format, bytes...)}."""
    import geopandas as gpd
    import pandas as pd
    import shapely

    settings = load_map_settings(config_dir)
    con = con.cursor()  # the caller's connection may hold an unfinished result
    geos = con.sql(
        """
        select g.*, b.geometry_wkb
        from marts.dim_geographies as g
        inner join geographies.geo_boundaries as b using (geo_type, geo_vintage, geoid)
        where g.has_boundary
        order by g.geo_type, g.geo_vintage, g.geoid
        """
    ).df()
    values = con.sql("select * from marts.rpt_map_features").df()
    known = set(values["indicator_id"].unique())
    missing = [i for i in settings.indicators if i not in known]
    if missing:
        raise MapConfigError(
            f"{Path(config_dir) / MAPS_CONFIG}: indicators {missing} have no value at any mapped geography in this "
            "release (a typo, or an indicator taken out of config/indicators.yaml)"
        )
    keys = ["geo_type", "geo_vintage", "geoid"]
    wide = values.pivot_table(index=keys, columns="indicator_id", values=list(FIELDS), aggfunc="first")
    # every indicator gets all four columns, even where a field is null everywhere (e.g. no MOE published)
    wide = wide.reindex(columns=pd.MultiIndex.from_product([FIELDS, sorted(known)]))
    wide.columns = [ind if field == "estimate" else f"{ind}__{field}" for field, ind in wide.columns]
    wide = wide[sorted(wide.columns)].reset_index()
    # The geography's census population is the `population` indicator's latest value: one column, not two.
    frame = geos.drop(columns=["geometry_wkb", "population", "population_vintage"]).merge(wide, on=keys, how="left")
    frame = pd.concat([pd.DataFrame({"release_id": [release_id] * len(frame)}), frame], axis=1)
    frame["parents"] = frame["parents"].map(lambda p: ";".join(p) if p is not None else "")
    geometry = shapely.from_wkb([bytes(b) for b in geos["geometry_wkb"]])
    gdf = gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326")
    written: dict[str, dict[str, Any]] = {}
    parquet = folder / "map_geographies.parquet"
    gdf.to_parquet(parquet, index=False)
    written[parquet.name] = {"features": len(gdf), "geo_type": "all", "format": "GeoParquet", **_size(parquet)}
    web_columns = [*WEB_GEOGRAPHY_COLUMNS, *(f"{i}{s}" for i in settings.indicators for s in _suffixes())]
    for layer, part in gdf.groupby("map_layer", sort=True):
        geo_type = str(part["geo_type"].iloc[0])
        tolerance = settings.tolerance.get(geo_type, 0.0)
        simplified = shapely.coverage_simplify(part.geometry.values, tolerance) if tolerance else part.geometry.values
        _check_no_overlaps(str(layer), part["geoid"].tolist(), simplified, settings.max_overlap_share)
        # an indicator with no value in the layer (most are county-level only) is left out of it
        columns = part[web_columns].dropna(axis="columns", how="all").reset_index(drop=True)
        web = gpd.GeoDataFrame(columns, geometry=list(simplified), crs="EPSG:4326")
        path = folder / f"map_{layer}.geojson"
        web.to_file(
            path,
            driver="GeoJSON",
            layer_options={
                "RFC7946": "YES",
                "COORDINATE_PRECISION": settings.coordinate_decimals,
                # numbers to 9 significant digits (counts up to 999,999,999 exact; rates far finer than their MOE)
                # instead of 17; the published tables and the GeoParquet file carry full precision
                "SIGNIFICANT_FIGURES": WEB_SIGNIFICANT_FIGURES,
            },
        )
        written[path.name] = {
            "features": len(web),
            "geo_type": geo_type,
            "geo_vintage": str(part["geo_vintage"].iloc[0]),
            "map_layer": str(layer),
            "format": "GeoJSON (RFC 7946)",
            "simplify_tolerance_degrees": tolerance,
            "coordinate_decimals": settings.coordinate_decimals,
            "coordinates": int(shapely.get_num_coordinates(simplified).sum()),
            "coordinates_unsimplified": int(shapely.get_num_coordinates(part.geometry.values).sum()),
            **_size(path),
        }
    return written


def _suffixes() -> tuple[str, ...]:
    return tuple("" if field == "estimate" else f"__{field}" for field in FIELDS)


def _size(path: Path) -> dict[str, Any]:
    return {"bytes": path.stat().st_size}


def _check_no_overlaps(layer: str, geoids: list[str], geometries: Any, max_share: float) -> None:
    """Raise :class:`LayerOverlap` naming the pairs of features that share more than ``max_share`` of the smaller
    one's area (areas in squared degrees: a share, so the unit cancels)."""
    import numpy as np
    import shapely

    if max_share >= 1:  # nothing can overlap by more than all of itself: not checked (generated benchmark shapes)
        return
    # GEOS's coverage validator flags, in linear time, every feature whose edges do not match its neighbours' (an
    # overlap, a sliver, a polygon inside another); only those are measured against what they intersect
    flagged = np.flatnonzero(~shapely.is_empty(shapely.coverage_invalid_edges(geometries)))
    if not len(flagged):
        return
    found, other = shapely.STRtree(geometries).query(geometries[flagged], predicate="intersects")
    pairs = np.unique(np.stack([np.minimum(flagged[found], other), np.maximum(flagged[found], other)]), axis=1)
    left, right = pairs[0][pairs[0] < pairs[1]], pairs[1][pairs[0] < pairs[1]]
    shared = shapely.area(shapely.intersection(geometries[left], geometries[right]))
    smaller = np.minimum(shapely.area(geometries[left]), shapely.area(geometries[right]))
    share = np.divide(shared, smaller, out=np.zeros_like(shared), where=smaller > 0)
    bad = np.flatnonzero(share > max_share)
    if len(bad):
        named = ", ".join(f"{geoids[left[i]]} and {geoids[right[i]]} ({share[i]:.0%})" for i in bad[:10])
        raise LayerOverlap(
            f"map layer {layer}: {len(bad)} pair(s) of features overlap by more than {max_share:.0%} of the smaller "
            f"one's area: {named}. A layer is one geography type and boundary vintage (the geographies' map_layer); "
            "regions that overlap belong in different layers (config/ach_regions.yaml)."
        )
