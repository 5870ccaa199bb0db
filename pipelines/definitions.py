"""The code location: one Definitions object with every asset, check, job and resource.

Kept cheap to import (no geopandas or great_expectations at module level) because `dagster dev` reloads it often.
"""

from __future__ import annotations

import dagster as dg

from assets.geographies.geo_boundaries import geo_boundaries
from assets.geographies.ref_county_geoids import ref_county_geoids
from assets.geographies.ref_tract_relationship import ref_tract_relationship
from assets.geographies.xwalk_tract_areas import xwalk_tract_areas
from assets.publish.published_release import published_release
from assets.raw.cdc_places_raw import cdc_places_raw
from assets.raw.cdc_svi_raw import cdc_svi_raw
from assets.raw.census_api_raw import census_api_raw
from assets.raw.hud_chas_raw import hud_chas_raw
from assets.raw.wa_doh_life_expectancy_raw import wa_doh_life_expectancy_raw
from assets.seeds.config_seeds import config_seeds
from assets.sql_models import build_model_assets
from expectations.gx_checks import build_suite_checks
from pipelines.resources import build_resources
from pipelines.settings import EXPECTATIONS_DIR, SQL_DIR, Settings

ALL_ASSETS = dg.AssetSelection.all()

main_job = dg.define_asset_job(
    name="build_and_publish_release",
    selection=ALL_ASSETS,
    description="Materialize every asset on the configured source (snapshot by default), run every check, publish a release.",
    executor_def=dg.in_process_executor,
)

weekly_refresh = dg.ScheduleDefinition(
    name="weekly_release",
    job=main_job,
    cron_schedule="0 6 * * 1",
    execution_timezone="America/Los_Angeles",
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Rebuild and publish every Monday 06:00 Pacific (stopped by default; start it in the UI).",
)


def build_definitions(settings: Settings | None = None) -> dg.Definitions:
    return dg.Definitions(
        assets=[
            census_api_raw,
            wa_doh_life_expectancy_raw,
            cdc_places_raw,
            hud_chas_raw,
            cdc_svi_raw,
            config_seeds,
            ref_county_geoids,
            geo_boundaries,
            ref_tract_relationship,
            xwalk_tract_areas,
            *build_model_assets(SQL_DIR),
            published_release,
        ],
        asset_checks=build_suite_checks(EXPECTATIONS_DIR),
        jobs=[main_job],
        schedules=[weekly_refresh],
        resources=build_resources(settings),
        executor=dg.in_process_executor,
    )


defs = build_definitions()
