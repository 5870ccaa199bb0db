"""Every asset that reads upstream files, in one place.

The publish step depends on each of them and assembles the release manifest's source list from their latest
materializations (each records ``source_files``; see ``assets/provenance.py``). A test fails when an asset in
``assets/raw/`` is missing here, so a new source cannot be silently left out of the manifest.
"""

from __future__ import annotations

import dagster as dg

from assets.geographies.geo_boundaries import geo_boundaries
from assets.geographies.ref_county_geoids import ref_county_geoids
from assets.geographies.ref_tract_relationship import ref_tract_relationship
from assets.raw.cdc_places_raw import cdc_places_raw
from assets.raw.cdc_svi_raw import cdc_svi_raw
from assets.raw.census_api_raw import census_api_raw
from assets.raw.hud_chas_raw import hud_chas_raw
from assets.raw.wa_doh_life_expectancy_raw import wa_doh_life_expectancy_raw

RAW_SOURCE_ASSETS: tuple[dg.AssetsDefinition, ...] = (
    census_api_raw,
    wa_doh_life_expectancy_raw,
    cdc_places_raw,
    hud_chas_raw,
    cdc_svi_raw,
)
GEOGRAPHY_SOURCE_ASSETS: tuple[dg.AssetsDefinition, ...] = (ref_county_geoids, geo_boundaries, ref_tract_relationship)
SOURCE_ASSETS = RAW_SOURCE_ASSETS + GEOGRAPHY_SOURCE_ASSETS
SOURCE_ASSET_KEYS: tuple[dg.AssetKey, ...] = tuple(a.key for a in SOURCE_ASSETS)

# What `sdoh refresh --source S` and the `refresh_<source>` jobs land, by source name: each source's assets that read
# upstream files (everything downstream of them is rebuilt in the same run).
REFRESHABLE_SOURCES: dict[str, tuple[str, ...]] = {
    "census_api": ("census_api_raw",),
    "cdc_places": ("cdc_places_raw",),
    "cdc_svi": ("cdc_svi_raw",),
    "hud_chas": ("hud_chas_raw",),
    "wa_doh": ("wa_doh_life_expectancy_raw",),
    "census_geo": ("ref_county_geoids", "geo_boundaries", "ref_tract_relationship"),
}
