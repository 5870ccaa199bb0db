"""Geographies layer: the county GEOIDs that exist, by boundary vintage (the 'known GEOID' reference)."""

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from assets.provenance import source_files_metadata
from assets.raw.retries import NETWORK_RETRY_POLICY, fails_fast_unless_transient
from assets.resources import SdohSources
from assets.warehouse import write_table
from sources.census_geo import layer_source, read_county_ids
from sources.geo_config import load_geo_config


@dg.asset(
    retry_policy=NETWORK_RETRY_POLICY,
    group_name="geographies",
    kinds={"duckdb"},
    description=(
        "Every county GEOID in the Census cartographic county boundaries of 2017 (old Connecticut counties) "
        "and 2023 (Connecticut planning regions), one row per county and boundary vintage: the county layers of "
        "config/geographies.yaml, read without geometry (the snapshot's TopoJSON, or live the landed zips)."
    ),
)
@fails_fast_unless_transient
def ref_county_geoids(sdoh: SdohSources, warehouse: DuckDBResource) -> dg.MaterializeResult:
    layers = load_geo_config(sdoh.config_path).boundary_layers
    county_layers = sorted(
        ((str(spec["geo_vintage"]), name, spec) for name, spec in layers.items() if spec["geo_type"] == "county")
    )
    frames, files = [], []
    for vintage, name, spec in county_layers:
        [landed] = sdoh.files.get(layer_source(sdoh.census_geo_base_url, name, spec))
        frames.append(read_county_ids(landed, vintage, spec))
        files.append(landed)
    frame = pl.concat(frames)
    metadata = write_table(warehouse, "geographies.ref_county_geoids", frame)
    counts = frame.group_by("boundary_vintage").len().sort("boundary_vintage")
    return dg.MaterializeResult(
        metadata={
            **metadata,
            **source_files_metadata(files, sdoh.files.origin),
            "counties_by_vintage": dg.MetadataValue.json(dict(counts.iter_rows())),
        }
    )
