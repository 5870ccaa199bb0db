"""Geographies layer: the Census Bureau's 2020-to-2010 tract relationship file (land area of every part)."""

from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from assets.warehouse import write_table
from pipelines.resources import SdohSettings
from sources.census_geo import read_tract_relationship
from sources.geo_config import load_geo_config
from sources.http_download import download_to_landing


@dg.asset(
    group_name="geographies",
    kinds={"duckdb"},
    description=(
        "Census 2020<->2010 tract relationship: one row per part (a 2020 tract intersected with a 2010 tract) with "
        "the land area of each tract and of the part. Used to move tract data between the two geographies."
    ),
)
def ref_tract_relationship(sdoh: SdohSettings, warehouse: DuckDBResource) -> dg.MaterializeResult:
    spec = load_geo_config(sdoh.settings.config_dir).settings["tract_relationship"]
    if sdoh.mode == "live":
        url = f"{sdoh.census_geo_base_url.rstrip('/')}/{spec['live_path']}"
        path = download_to_landing(
            url, sdoh.settings.landing_dir, f"census_geo/relationship/{url.rsplit('/', 1)[-1]}"
        ).path
    else:
        path = Path(sdoh.settings.snapshot_dir) / spec["snapshot"]
    frame = read_tract_relationship(path)
    metadata = write_table(warehouse, "geographies.ref_tract_relationship", frame)
    return dg.MaterializeResult(
        metadata={
            **metadata,
            "source_file": str(path),
            "tracts_2020": frame["tract_2020"].n_unique(),
            "tracts_2010": frame["tract_2010"].n_unique(),
        }
    )
