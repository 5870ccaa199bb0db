"""Geographies layer: the Census Bureau's 2020-to-2010 tract relationship file (land area of every part)."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from assets.provenance import source_files_metadata
from assets.raw.retries import NETWORK_RETRY_POLICY, fails_fast_unless_transient
from assets.resources import SdohSources
from assets.warehouse import write_table
from sources.census_geo import read_tract_relationship, relationship_source
from sources.geo_config import load_geo_config


@dg.asset(
    retry_policy=NETWORK_RETRY_POLICY,
    group_name="geographies",
    kinds={"duckdb"},
    description=(
        "Census 2020<->2010 tract relationship: one row per part (a 2020 tract intersected with a 2010 tract) with "
        "the land area of each tract and of the part. Used to move tract data between the two geographies."
    ),
)
@fails_fast_unless_transient
def ref_tract_relationship(sdoh: SdohSources, warehouse: DuckDBResource) -> dg.MaterializeResult:
    spec = load_geo_config(sdoh.config_path).settings["tract_relationship"]
    landed = sdoh.files.get_one(relationship_source(sdoh.census_geo_base_url, spec))
    frame = read_tract_relationship(landed.path)
    metadata = write_table(warehouse, "geographies.ref_tract_relationship", frame)
    return dg.MaterializeResult(
        metadata={
            **metadata,
            "source_file": landed.shown,
            **source_files_metadata([landed], sdoh.files.origin),
            "tracts_2020": frame["tract_2020"].n_unique(),
            "tracts_2010": frame["tract_2010"].n_unique(),
        }
    )
