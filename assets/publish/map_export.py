"""Map-ready exports of a release: every published geography with a boundary and its latest indicator values.

One GeoParquet file with every geography (``map_geographies.parquet``) and one GeoJSON file per geography type
(``map_<geo_type>.geojson``, what web maps load as a layer). Each feature carries the geography's row from the
published ``geographies`` table plus, per indicator, the latest total-group value: ``<indicator>`` (estimate),
``<indicator>__moe``, ``<indicator>__vintage`` and ``<indicator>__reliability`` (the geography's census
population is the ``population`` indicator's column). Geometries are the repaired
boundaries in longitude/latitude (EPSG:4326, as GeoJSON requires). geopandas is imported here only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any


def write_map_exports(con: Any, folder: Path, release_id: str) -> dict[str, dict[str, Any]]:
    """Write the exports into ``folder``; return {file name: {"features": n, "geo_type": ...}}."""
    import geopandas as gpd
    import pandas as pd
    import shapely

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
    keys = ["geo_type", "geo_vintage", "geoid"]
    fields = ["estimate", "moe", "vintage", "reliability"]
    wide = values.pivot_table(index=keys, columns="indicator_id", values=fields, aggfunc="first")
    # every indicator gets all four columns, even where a field is null everywhere (e.g. no MOE published)
    wide = wide.reindex(columns=pd.MultiIndex.from_product([fields, sorted(values["indicator_id"].unique())]))
    wide.columns = [ind if field == "estimate" else f"{ind}__{field}" for field, ind in wide.columns]
    wide = wide[sorted(wide.columns)].reset_index()
    # The geography's census population is the `population` indicator's latest value: one column, not two.
    frame = geos.drop(columns=["geometry_wkb", "population", "population_vintage"]).merge(wide, on=keys, how="left")
    frame.insert(0, "release_id", release_id)
    frame["parents"] = frame["parents"].map(lambda p: ";".join(p) if p is not None else "")
    gdf = gpd.GeoDataFrame(frame, geometry=shapely.from_wkb([bytes(b) for b in geos["geometry_wkb"]]), crs="EPSG:4326")
    written: dict[str, dict[str, Any]] = {}
    parquet = folder / "map_geographies.parquet"
    gdf.to_parquet(parquet, index=False)
    written[parquet.name] = {"features": len(gdf), "geo_type": "all", "format": "GeoParquet"}
    for geo_type, part in gdf.groupby("geo_type", sort=True):
        part = part.dropna(axis="columns", how="all")
        path = folder / f"map_{geo_type}.geojson"
        part.to_file(path, driver="GeoJSON")
        written[path.name] = {"features": len(part), "geo_type": str(geo_type), "format": "GeoJSON"}
    return written
