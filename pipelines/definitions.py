"""The code location: one Definitions object with every asset, check, job, schedule, sensor and resource.

Kept cheap to import (no geopandas or great_expectations at module level) because `dagster dev` reloads it often.

Jobs (what the Launchpad, the schedules, the sensors and ``sdoh refresh`` run):
- ``build_and_publish_release``: every unpartitioned asset (staging, geographies, marts, the release) from whatever
  vintages the raw tables hold, then write-audit-publish.
- ``refresh_<source>``: one source's raw asset (a partition, or a range of them in one run) and everything
  downstream of it, release included: what a new vintage or a corrected file needs, and nothing else.
- ``render_ach_profiles``: the equity profiles (HTML + PDF per ACH region) of the newest release. Left out of the two
  jobs above so that building and publishing (and the tests that run them) do not pay for rendering; ``sdoh refresh``
  runs it last.
"""

from __future__ import annotations

import dagster as dg

from assets.build_graph import build_assets
from assets.partitions import PARTITIONED_SOURCES
from assets.publish.published_release import published_release
from assets.raw.freshness import build_freshness_checks
from assets.reports.ach_profiles import ach_profiles
from assets.resources import build_resources
from assets.settings import EXPECTATIONS_DIR, Settings
from assets.source_registry import REFRESHABLE_SOURCES
from expectations.gx_checks import build_suite_checks
from pipelines.schedules import build_schedules
from pipelines.sensors import build_sensors
from pipelines.settings_check import load_settings_or_fail

PARTITIONED_RAW = dg.AssetSelection.assets(*(s.asset_name for s in PARTITIONED_SOURCES))
REPORTS = dg.AssetSelection.assets(ach_profiles)

main_job = dg.define_asset_job(
    name="build_and_publish_release",
    selection=dg.AssetSelection.all() - PARTITIONED_RAW - REPORTS,
    description=(
        "Rebuild every unpartitioned asset (staging, geographies, marts) from the vintages the raw tables hold, run "
        "every check, and publish a release. Land raw vintages first: the refresh_<source> jobs, a partition of a "
        "raw asset, or `sdoh refresh` (which does both)."
    ),
    executor_def=dg.in_process_executor,
)

refresh_jobs = {
    source: dg.define_asset_job(
        name=f"refresh_{source}",
        selection=dg.AssetSelection.assets(*asset_names).downstream() - REPORTS,
        description=(
            f"Land {source} (one vintage, or a range of vintages in one run) and rebuild everything downstream of "
            "it, checks and release included."
        ),
        executor_def=dg.in_process_executor,
        tags={"source": source},
    )
    for source, asset_names in REFRESHABLE_SOURCES.items()
}

profiles_job = dg.define_asset_job(
    name="render_ach_profiles",
    selection=REPORTS,
    description=(
        "Render the equity profile of every ACH region (HTML and PDF, config/profiles.yaml) from the newest published "
        "release into data/published/profiles/<release_id>/. `sdoh refresh` runs it after publishing."
    ),
    executor_def=dg.in_process_executor,
)


def _with_automation(assets: tuple[dg.AssetsDefinition, ...]) -> list[dg.AssetsDefinition]:
    """Declarative automation: every asset with an upstream asset follows it (``AutomationCondition.eager()``: when
    an input is updated, once nothing upstream is missing or in progress). Roots (the sources) are landed by a
    schedule, a sensor or a person. Evaluated by the ``follow_upstream`` sensor, stopped by default."""
    return dg.map_asset_specs(
        lambda spec: (
            spec.replace_attributes(automation_condition=dg.AutomationCondition.eager()) if spec.deps else spec
        ),
        list(assets),
    )


follow_upstream = dg.AutomationConditionSensorDefinition(
    "follow_upstream",
    target=dg.AssetSelection.all(),
    default_status=dg.DefaultSensorStatus.STOPPED,
    minimum_interval_seconds=60,
    description=(
        "Declarative automation: when a raw vintage lands (a backfill from the UI, a refresh job), rebuilds what "
        "depends on it and publishes. Stopped by default: turn it on where this deployment should publish."
    ),
)


def build_definitions(settings: Settings | None = None) -> dg.Definitions:
    assets = _with_automation((*build_assets(), published_release, ach_profiles))
    return dg.Definitions(
        assets=assets,
        asset_checks=[*build_suite_checks(EXPECTATIONS_DIR), *build_freshness_checks()],
        jobs=[main_job, *refresh_jobs.values(), profiles_job],
        schedules=build_schedules(refresh_jobs),
        sensors=[follow_upstream, *build_sensors(refresh_jobs)],
        resources=build_resources(settings),
        executor=dg.in_process_executor,
    )


@dg.definitions
def defs() -> dg.Definitions:
    """What the UI, the daemon and ``sdoh`` load: built when the code location loads (not at import), from the
    SDOH_* settings of that moment, so one environment configures all three."""
    return build_definitions(load_settings_or_fail())  # a wrong SDOH_* setting: one line naming it
