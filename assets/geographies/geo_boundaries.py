"""Geographies layer: every boundary the pipeline maps or overlays, in one table with equal-area areas.

Counties (2017 and 2023 cartographic boundaries: Connecticut's old counties and its planning regions), 2020 and
2010 tracts, AIANNH areas, the user-drawn neighborhoods in config and the ACH regions (a county-based region is
the union of its counties, a neighborhood-based one the union of its neighborhoods). Geometries are repaired with
``make_valid`` (counted in the metadata) and stored as WKB in longitude/latitude; areas come from an equal-area
projection. geopandas is imported inside the asset so loading the code location stays fast.
"""

import dagster as dg
from dagster_duckdb import DuckDBResource

from assets.provenance import source_files_metadata
from assets.raw.retries import NETWORK_RETRY_POLICY, fails_fast_unless_transient
from assets.resources import SdohSources
from assets.warehouse import write_table
from sources.census_geo import add_equal_area_km2, layer_source, read_boundary_layer
from sources.core.landing import LandedFile
from sources.geo_config import check_region_counties, check_tribal_areas_exist, load_geo_config


@dg.asset(
    retry_policy=NETWORK_RETRY_POLICY,
    group_name="geographies",
    kinds={"duckdb", "geopandas"},
    deps=["seed_ach_regions"],
    description=(
        "Every boundary: counties (2017, 2023), tracts (2020; 2010 for Washington), AIANNH areas (2019), the "
        "neighborhoods drawn in config/neighborhoods/ and the ACH regions built from counties or neighborhoods. "
        "One row per geo_type x geo_vintage x geoid, geometry as WKB (EPSG:4326), area in km² from an equal-area "
        "projection; the metadata counts the shapes make_valid repaired."
    ),
)
@fails_fast_unless_transient
def geo_boundaries(
    context: dg.AssetExecutionContext, sdoh: SdohSources, warehouse: DuckDBResource
) -> dg.MaterializeResult:
    import geopandas as gpd
    import pandas as pd
    import polars as pl
    import shapely

    config = load_geo_config(sdoh.config_path)
    layers, stats, files = [], {}, []
    for name, spec in config.boundary_layers.items():
        landed = sdoh.files.get(layer_source(sdoh.census_geo_base_url, name, spec))
        files += landed
        frame, layer_stats = read_boundary_layer(name, spec, landed)
        layers.append(frame)
        stats[name] = layer_stats
        context.log.info(f"{name}: {layer_stats}")
    counties = pd.concat([f for f in layers if f["geo_type"].iloc[0] == "county"])
    check_region_counties(config, set(counties["geoid"]), sdoh.config_path / "ach_regions.yaml")
    aiannh = set(pd.concat([f for f in layers if f["geo_type"].iloc[0] == "aiannh"])["geoid"])
    check_tribal_areas_exist(config, aiannh, sdoh.config_path / "tribal_data_policy.yaml")

    hoods = gpd.GeoDataFrame(
        {
            "geo_type": "neighborhood",
            "geo_vintage": "config",
            "geoid": [n.neighborhood_id for n in config.neighborhoods],
            "name": [n.name for n in config.neighborhoods],
            "state_fips": pd.NA,
            "source_file": [f"config/{n.source_file}" for n in config.neighborhoods],
        },
        geometry=[shapely.geometry.shape(n.geometry_geojson) for n in config.neighborhoods],
        crs="EPSG:4326",
    )
    regions = _region_geometries(config, counties, hoods)
    everything = pd.concat([*layers, hoods, regions], ignore_index=True)
    everything = gpd.GeoDataFrame(everything, geometry="geometry", crs="EPSG:4326")
    everything = add_equal_area_km2(everything, config.equal_area_crs)
    frame = pl.from_pandas(
        pd.DataFrame(
            {
                "geo_type": everything["geo_type"].astype(str),
                "geo_vintage": everything["geo_vintage"].astype(str),
                "geoid": everything["geoid"].astype(str),
                "name": everything["name"].astype("string"),
                "state_fips": everything["state_fips"].astype("string"),
                "area_km2": everything["area_km2"],
                "source_file": everything["source_file"].astype(str),
                "geometry_wkb": [None if g is None or g.is_empty else shapely.to_wkb(g) for g in everything.geometry],
            }
        )
    )
    metadata = write_table(warehouse, "geographies.geo_boundaries", frame)
    files += _config_files(sdoh, config)
    counts = frame.group_by("geo_type", "geo_vintage").len().sort("geo_type", "geo_vintage")
    return dg.MaterializeResult(
        metadata={
            **metadata,
            "features_by_type": dg.MetadataValue.json(
                {f"{r['geo_type']} {r['geo_vintage']}": r["len"] for r in counts.iter_rows(named=True)}
            ),
            "repaired_make_valid": dg.MetadataValue.json({k: v["repaired_make_valid"] for k, v in stats.items()}),
            "layer_stats": dg.MetadataValue.json(stats),
            "equal_area_crs": config.equal_area_crs,
            "mode": sdoh.files.mode,
            **source_files_metadata(files, sdoh.files.origin),
        }
    )


def _config_files(sdoh: SdohSources, config) -> list[LandedFile]:
    """The config files whose shapes become geographies (regions, neighborhoods), for the manifest's source list."""
    root = sdoh.config_path.parent
    paths = [sdoh.config_path / "ach_regions.yaml", *{sdoh.config_path / n.source_file for n in config.neighborhoods}]
    return [sdoh.files.local_file(p, root) for p in sorted(paths)]


def _region_geometries(config, counties, hoods):
    """ACH region outlines: the union of a region's counties (latest boundary vintage) or neighborhoods."""
    import geopandas as gpd
    import pandas as pd
    import shapely

    latest = counties.sort_values("geo_vintage").drop_duplicates("geoid", keep="last").set_index("geoid")
    hood_geoms = hoods.set_index("geoid").geometry
    rows = []
    members = config.region_members
    for region in config.regions.iter_rows(named=True):
        ids = members.filter(members["ach_id"] == region["ach_id"])["member_geoid"].to_list()
        parts = latest.geometry.loc[ids] if region["built_from"] == "counties" else hood_geoms.loc[ids]
        rows.append(
            {
                "geo_type": "ach",
                "geo_vintage": region["geo_vintage"] or "config",
                "geoid": region["ach_id"],
                "name": region["name"],
                "state_fips": region["state_fips"],
                "source_file": "config/ach_regions.yaml",
                "geometry": shapely.union_all([g for g in parts if g is not None]),
            }
        )
    return gpd.GeoDataFrame(pd.DataFrame(rows), geometry="geometry", crs="EPSG:4326")
