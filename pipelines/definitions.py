"""The code location: one Definitions object with every asset, check, job and resource.

Kept cheap to import (no geopandas or great_expectations at module level) because `dagster dev` reloads it often.
"""

from __future__ import annotations

import dagster as dg

from assets.build_graph import build_assets
from assets.publish.published_release import published_release
from assets.resources import build_resources
from assets.settings import EXPECTATIONS_DIR, Settings
from expectations.gx_checks import build_suite_checks

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
        assets=[*build_assets(), published_release],
        asset_checks=build_suite_checks(EXPECTATIONS_DIR),
        jobs=[main_job],
        schedules=[weekly_refresh],
        resources=build_resources(settings),
        executor=dg.in_process_executor,
    )


defs = build_definitions()
