"""Schedules that follow the agencies' release calendars (``config/operations.yaml`` ``schedules``).

Each schedule re-lands its source's newest known vintage and rebuilds what depends on it, in the months the agency
publishes: that picks up a corrected file, and, with the new-data sensors, a vintage published since the last check.
All are stopped by default: a deployment turns on the ones it should run (Automation in the UI).
"""

from __future__ import annotations

import dagster as dg

from assets.partitions import BY_SOURCE, one_vintage_tags
from assets.settings import operations_config

TIMEZONE = "America/New_York"  # the agencies' time zone


def _schedule(source: str, spec: dict, job: dg.UnresolvedAssetJobDefinition) -> dg.ScheduleDefinition:
    partitions = BY_SOURCE[source]

    @dg.schedule(
        name=f"{source}_release_calendar",
        job=job,
        cron_schedule=spec["cron"],
        execution_timezone=TIMEZONE,
        default_status=dg.DefaultScheduleStatus.STOPPED,
        description=f"{spec['description']}. Re-lands the newest {partitions.label} and rebuilds what depends on it.",
    )
    def schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
        keys = context.instance.get_dynamic_partitions(partitions.name)
        if not keys:
            return dg.SkipReason(f"no {partitions.label} is known yet: run `sdoh refresh` or the new-data sensor first")
        newest = max(keys)
        # tags, not partition_key: see assets/partitions.py one_vintage_tags
        return dg.RunRequest(run_key=None, tags={**one_vintage_tags(newest), "trigger": "release_calendar"})

    return schedule


def build_schedules(refresh_jobs: dict[str, dg.UnresolvedAssetJobDefinition]) -> list[dg.ScheduleDefinition]:
    specs = operations_config("schedules")
    return [_schedule(source, spec, refresh_jobs[source]) for source, spec in specs.items()]
