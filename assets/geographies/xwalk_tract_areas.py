"""Geographies layer: tract-to-area overlay shares (tribal areas, neighborhoods, neighborhood-based ACH regions).

For every tract boundary vintage the snapshot has (2020 tracts; 2010 tracts for Washington), the share of the
tract's area inside each AIANNH area, neighborhood and neighborhood-built ACH region. Population weights and the
2010<->2020 composition through the relationship file are applied in SQL (int_geo_allocation).
"""

import dagster as dg
from dagster_duckdb import DuckDBResource

from assets.geographies.overlay import tract_area_shares
from assets.resources import SdohSources
from assets.warehouse import write_table
from sources.geo_config import load_geo_config

AREA_TYPES = {"aiannh": "geo_type = 'aiannh'", "neighborhood": "geo_type = 'neighborhood'"}


@dg.asset(
    group_name="geographies",
    kinds={"duckdb", "geopandas"},
    deps=["geo_boundaries", "seed_ach_regions"],
    description=(
        "Share of each tract's area inside each AIANNH area, neighborhood and neighborhood-based ACH region, "
        "per tract boundary vintage, computed in an equal-area projection; intersections under "
        "allocation.min_area_share of the tract (config/geographies.yaml) are boundary noise and dropped."
    ),
)
def xwalk_tract_areas(
    context: dg.AssetExecutionContext, sdoh: SdohSources, warehouse: DuckDBResource
) -> dg.MaterializeResult:
    import geopandas as gpd
    import pandas as pd
    import polars as pl
    import shapely

    config = load_geo_config(sdoh.config_path)
    min_share = float(config.settings["allocation"]["min_area_share"])

    def frame(con, where: str) -> gpd.GeoDataFrame:
        rows = con.execute(
            f"select geo_vintage, geoid, geometry_wkb from geographies.geo_boundaries where {where} and geometry_wkb is not null"
        ).fetchall()
        return gpd.GeoDataFrame(
            {"geo_vintage": [r[0] for r in rows], "geoid": [r[1] for r in rows]},
            geometry=[shapely.from_wkb(r[2]) for r in rows],
            crs="EPSG:4326",
        )

    with warehouse.get_connection() as con:
        tracts = frame(con, "geo_type = 'tract'")
        areas = {
            "aiannh": frame(con, "geo_type = 'aiannh'"),
            "neighborhood": frame(con, "geo_type = 'neighborhood'"),
            "ach": frame(
                con,
                "geo_type = 'ach' and geoid in (select ach_id from seeds.seed_ach_regions where built_from = 'neighborhoods')",
            ),
        }
    parts, coverage = [], {}
    for tract_vintage, tract_layer in tracts.groupby("geo_vintage"):
        for area_type, area_layer in areas.items():
            shares = tract_area_shares(tract_layer, area_layer, config.equal_area_crs, min_share)
            shares.insert(0, "area_type", area_type)
            shares.insert(0, "tract_vintage", tract_vintage)
            parts.append(shares)
            coverage[f"tracts {tract_vintage} -> {area_type}"] = {
                "pairs": len(shares),
                "areas_touched": int(shares["area_geoid"].nunique()),
            }
            context.log.info(f"tracts {tract_vintage} -> {area_type}: {len(shares):,} overlapping pairs")
    result = pl.from_pandas(pd.concat(parts, ignore_index=True))
    metadata = write_table(warehouse, "geographies.xwalk_tract_areas", result)
    return dg.MaterializeResult(
        metadata={**metadata, "pairs": dg.MetadataValue.json(coverage), "min_area_share": min_share}
    )
