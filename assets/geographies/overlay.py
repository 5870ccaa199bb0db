"""Tract-to-area overlay: what share of each tract's area lies inside each tribal area, neighborhood or region.

Pure geopandas (no Dagster) so tests can call it on hand-drawn polygons. Shares are computed in an equal-area
projection; an intersection smaller than ``min_area_share`` of the tract is boundary noise between layers that
were generalized differently and is dropped (config/geographies.yaml, ``allocation.min_area_share``).
"""

from __future__ import annotations


def tract_area_shares(tracts, areas, equal_area_crs: str, min_area_share: float):
    """One row per (tract, area) pair that overlaps: tract_geoid, area_geoid, area_share, intersection_km2.

    ``tracts`` and ``areas`` are GeoDataFrames with a ``geoid`` column in any CRS; the result is a pandas frame.
    """
    import geopandas as gpd
    import pandas as pd
    import shapely

    t = tracts[["geoid", "geometry"]].dropna(subset=["geometry"]).to_crs(equal_area_crs)
    a = areas[["geoid", "geometry"]].dropna(subset=["geometry"]).to_crs(equal_area_crs)
    t = t.assign(tract_m2=t.geometry.area).rename(columns={"geoid": "tract_geoid"})
    a = a.rename(columns={"geoid": "area_geoid"})
    pairs = gpd.sjoin(t, a, how="inner", predicate="intersects")
    if pairs.empty:
        return pd.DataFrame(columns=["tract_geoid", "area_geoid", "area_share", "intersection_km2"])
    area_geoms = a.set_index("area_geoid").geometry
    inter = shapely.intersection(pairs.geometry.values, area_geoms.loc[pairs["area_geoid"]].values)
    out = pd.DataFrame(
        {
            "tract_geoid": pairs["tract_geoid"].values,
            "area_geoid": pairs["area_geoid"].values,
            "intersection_m2": shapely.area(inter),
            "tract_m2": pairs["tract_m2"].values,
        }
    )
    out["area_share"] = (out["intersection_m2"] / out["tract_m2"]).clip(upper=1.0)
    out = out[out["area_share"] >= min_area_share]
    out["intersection_km2"] = out["intersection_m2"] / 1e6
    return out[["tract_geoid", "area_geoid", "area_share", "intersection_km2"]].reset_index(drop=True)
