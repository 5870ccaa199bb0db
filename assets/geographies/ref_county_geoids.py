"""Geographies layer: the county GEOIDs that exist, by boundary vintage (the 'known GEOID' reference)."""

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from assets.warehouse import write_table
from pipelines.resources import SdohSettings
from sources.census_geo import COUNTY_BOUNDARY_VINTAGES, county_boundary_path, read_county_ids


@dg.asset(
    group_name="geographies",
    kinds={"duckdb"},
    description=(
        "Every county GEOID in the Census cartographic county boundaries of 2017 (old Connecticut counties) "
        "and 2023 (Connecticut planning regions), one row per county and boundary vintage."
    ),
)
def ref_county_geoids(sdoh: SdohSettings, warehouse: DuckDBResource) -> dg.MaterializeResult:
    frames = [read_county_ids(county_boundary_path(sdoh.settings.snapshot_dir, v), v) for v in COUNTY_BOUNDARY_VINTAGES]
    frame = pl.concat(frames)
    metadata = write_table(warehouse, "geographies.ref_county_geoids", frame)
    counts = frame.group_by("boundary_vintage").len().sort("boundary_vintage")
    return dg.MaterializeResult(
        metadata={**metadata, "counties_by_vintage": dg.MetadataValue.json(dict(counts.iter_rows()))}
    )
