"""Sensors: new vintages published by the agencies (or dropped into the snapshot), and alerts on failed runs.

``new_<source>_vintages`` (one per vintage-partitioned source; STOPPED by default, like everything that starts work
on its own). Each evaluation reads the settings (``SDOH_MODE`` and friends) at that moment, asks the source's
discovery which vintages exist (:mod:`pipelines.discovery`: snapshot folders, or the agency's catalog, metadata and
HEADs in live mode), and compares them with the instance's partitions and with the fingerprints in its cursor:

- a vintage that is not a partition yet: the partition is added (``AddDynamicPartitionsRequest``) and one run of
  ``refresh_<source>`` is requested for it;
- a partition whose fingerprint changed since the cursor recorded it: one run of ``refresh_<source>``;
- a partition the cursor has not seen yet (first evaluation, or a new mode): its fingerprint is recorded, no run,
  because nothing says it changed;
- live mode only: a vintage older than the newest partition that is not a partition itself (the catalogs list
  every year back to 2009) is left alone: the sensor is for what agencies publish next, not for backfilling history.
  With no partition at all, only the newest vintage counts.

Run keys are ``<source>:<vintage>:<fingerprint>``, so even a lost cursor never requests the same state twice; the
cursor (JSON, fingerprints per mode) makes each new or changed vintage fire exactly once. A failed request is
logged and named in the skip reason; the vintages other requests found are still acted on.

``alert_on_run_failure`` (RUNNING by default: it starts no work, it only writes alerts): for every failed run of
this code location, a log line and a JSON line appended to ``SDOH_ALERT_FILE`` (default
``<SDOH_DATA_DIR>/alerts.jsonl``), and a POST of the same JSON to ``SDOH_ALERT_WEBHOOK_URL`` if set.

Intervals: ``config/operations.yaml`` ``sensors.min_interval_seconds`` by the mode the code location loads in
(60 s for snapshot, 6 hours for live).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import dagster as dg

from assets.partitions import BY_SOURCE, SourcePartitions, one_vintage_tags
from assets.settings import operations_config, settings_from_env
from pipelines.alerts import append_alert, post_alert
from pipelines.discovery import discover
from pipelines.run_output import user_error
from sources.core.vintages import FoundVintage

CURSOR_VERSION = 1
DEFAULT_INTERVALS = {"snapshot": 60, "live": 6 * 3600}
FAILURE_SENSOR = "alert_on_run_failure"
MAX_ERROR_CHARS = 2000  # an alert is a pointer to the run, not its log


# --- new vintages ---------------------------------------------------------------------------------------------------


@dataclass
class VintagePlan:
    """What one evaluation does with the vintages discovery found (see the module docstring)."""

    new: list[FoundVintage] = field(default_factory=list)
    changed: list[FoundVintage] = field(default_factory=list)
    recorded: list[FoundVintage] = field(default_factory=list)  # first sight of an existing partition: no run
    unchanged: list[FoundVintage] = field(default_factory=list)
    not_readded: list[FoundVintage] = field(default_factory=list)  # seen before, partition since deleted
    older: list[FoundVintage] = field(default_factory=list)  # live: older than the newest partition, not one

    @property
    def to_run(self) -> list[FoundVintage]:
        return self.new + self.changed


def plan_vintages(found: list[FoundVintage], known: set[str], seen: dict[str, str], mode: str) -> VintagePlan:
    """Sort found vintages into new / changed / recorded / unchanged / not re-added / older (pure: no instance)."""
    plan = VintagePlan()
    newest_known = max(known) if known else None
    newest_found = max((v.key for v in found), default=None)
    for vintage in sorted(found, key=lambda v: v.key):
        previous = seen.get(vintage.key)
        if vintage.key in known:
            if previous is None:
                plan.recorded.append(vintage)
            elif previous != vintage.fingerprint:
                plan.changed.append(vintage)
            else:
                plan.unchanged.append(vintage)
        elif previous == vintage.fingerprint:
            plan.not_readded.append(vintage)  # someone deleted the partition; the same state does not bring it back
        elif mode == "live" and (
            vintage.key < newest_known if newest_known is not None else vintage.key != newest_found
        ):
            plan.older.append(vintage)
        else:
            plan.new.append(vintage)
    return plan


def read_cursor(text: str | None) -> dict[str, dict[str, str]]:
    """The cursor's fingerprints by mode (``{"snapshot": {vintage: fingerprint}, "live": {...}}``); an unreadable or
    older cursor is treated as empty (the next evaluation records fingerprints and requests nothing for partitions)."""
    try:
        data = json.loads(text) if text else {}
    except json.JSONDecodeError:
        return {}
    if not isinstance(data, dict) or data.get("version") != CURSOR_VERSION:
        return {}
    return {mode: dict(values) for mode, values in (data.get("fingerprints") or {}).items() if isinstance(values, dict)}


def write_cursor(fingerprints: dict[str, dict[str, str]]) -> str:
    return json.dumps({"version": CURSOR_VERSION, "fingerprints": fingerprints}, sort_keys=True)


def evaluate_new_vintages(context: dg.SensorEvaluationContext, partitions: SourcePartitions) -> dg.SensorResult:
    """One evaluation of ``new_<source>_vintages`` (see the module docstring)."""
    source = partitions.source
    settings = settings_from_env()
    known = set(context.instance.get_dynamic_partitions(partitions.name))
    discovery = discover(source, settings, known)
    for problem in discovery.problems:
        context.log.warning(f"{source} discovery ({settings.mode}): {problem}")
    fingerprints = read_cursor(context.cursor)
    seen = fingerprints.setdefault(settings.mode, {})
    plan = plan_vintages(discovery.vintages, known, seen, settings.mode)
    for vintage in plan.new + plan.changed + plan.recorded + plan.unchanged:
        seen[vintage.key] = vintage.fingerprint
    cursor = write_cursor(fingerprints)

    job = f"refresh_{source}"
    for vintage in plan.new:
        context.log.info(
            f"{source}: new vintage {vintage.key} ({vintage.evidence}) at {vintage.where}: adding partition "
            f"{partitions.name}={vintage.key} and requesting {job}"
        )
    for vintage in plan.changed:
        context.log.info(
            f"{source}: vintage {vintage.key} changed since the last look ({vintage.evidence}) at {vintage.where}: "
            f"requesting {job}"
        )
    for vintage in plan.not_readded:
        context.log.info(
            f"{source}: vintage {vintage.key} is not a partition any more (deleted?) and has not changed since: "
            "not added again; add the partition by hand to land it"
        )
    if not plan.to_run:
        return dg.SensorResult(
            skip_reason=dg.SkipReason(_nothing_to_do(source, settings.mode, plan, discovery.problems)), cursor=cursor
        )
    requests = [
        dg.RunRequest(
            run_key=f"{source}:{v.key}:{v.fingerprint}",
            tags={
                **one_vintage_tags(v.key),  # not partition_key: see assets/partitions.py one_vintage_tags
                "sdoh/trigger": f"new_{source}_vintages",
                "sdoh/vintage_state": "new" if v in plan.new else "changed",
                "sdoh/fingerprint": v.fingerprint,
                "sdoh/mode": settings.mode,
            },
        )
        for v in plan.to_run
    ]
    added = [v.key for v in plan.new]
    return dg.SensorResult(
        run_requests=requests,
        dynamic_partitions_requests=(
            [dg.AddDynamicPartitionsRequest(partitions_def_name=partitions.name, partition_keys=added)] if added else []
        ),
        cursor=cursor,
    )


def _nothing_to_do(source: str, mode: str, plan: VintagePlan, problems: list[str]) -> str:
    found = len(plan.recorded) + len(plan.unchanged) + len(plan.not_readded) + len(plan.older)
    text = f"{source} ({mode}): {found} vintage(s) found, none new or changed"
    if plan.recorded:
        text += f"; fingerprints recorded for {', '.join(v.key for v in plan.recorded)}"
    if plan.older:
        text += f"; older than the newest partition, left alone: {', '.join(v.key for v in plan.older)}"
    if problems:
        text += f"; {len(problems)} request(s) failed: " + " | ".join(problems)
    return text


def _intervals() -> dict[str, int]:
    spec = operations_config("sensors").get("min_interval_seconds") or {}
    return {mode: int(spec.get(mode, default)) for mode, default in DEFAULT_INTERVALS.items()}


def new_vintages_sensor(
    partitions: SourcePartitions, job: dg.UnresolvedAssetJobDefinition, interval_seconds: int
) -> dg.SensorDefinition:
    """The ``new_<source>_vintages`` sensor of one partitioned source, requesting runs of ``job``."""

    @dg.sensor(
        name=f"new_{partitions.source}_vintages",
        job=job,
        minimum_interval_seconds=interval_seconds,
        default_status=dg.DefaultSensorStatus.STOPPED,
        description=(
            f"Adds each new {partitions.label} as a partition (snapshot folder, or published by the agency in live "
            f"mode) and runs {job.name} for it; runs it again for a vintage whose files changed. Stopped by default."
        ),
    )
    def _sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
        return evaluate_new_vintages(context, partitions)

    return _sensor


# --- run failures ---------------------------------------------------------------------------------------------------


def failure_alert(run: dg.DagsterRun, step_failures: list[dg.DagsterEvent], run_message: str | None) -> dict[str, Any]:
    """The alert for a failed run: job, run id, failed steps, the first user error (Dagster's wrapper removed, see
    :func:`pipelines.run_output.user_error`) and the path of the run's page in the UI."""
    steps = list(dict.fromkeys(e.step_key for e in step_failures if e.step_key))
    first = step_failures[0] if step_failures else None
    if first is not None and first.step_failure_data.error is not None:
        error_type, message = user_error(first.step_failure_data.error)
    else:
        error_type, message = "", run_message or "the run failed before any step failed"
    message = message if len(message) <= MAX_ERROR_CHARS else message[:MAX_ERROR_CHARS] + " …(see the run's log)"
    link = f"/runs/{run.run_id}"
    where = f"{len(steps)} step(s) failed ({', '.join(steps)})" if steps else "no step failed"
    first_error = f"{error_type}: {message}" if error_type else message
    return {
        "alert": "run_failure",
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "job": run.job_name,
        "run_id": run.run_id,
        "partition": run.tags.get("dagster/partition"),
        "failed_steps": steps,
        "error": {"step": first.step_key if first else None, "type": error_type, "message": message},
        "run_message": run_message,
        "link": link,
        "summary": f"run {run.run_id} of {run.job_name} failed: {where}; first error: {first_error} (see {link})",
    }


@dg.run_failure_sensor(
    name=FAILURE_SENSOR,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description=(
        "Writes an alert for every failed run: a log line, a JSON line in SDOH_ALERT_FILE (default "
        "<SDOH_DATA_DIR>/alerts.jsonl) and, if SDOH_ALERT_WEBHOOK_URL is set, a POST of the same JSON. Running by "
        "default: it starts no work."
    ),
)
def alert_on_run_failure(context: dg.RunFailureSensorContext) -> None:
    settings = settings_from_env()
    alert = failure_alert(context.dagster_run, list(context.get_step_failure_events()), context.failure_event.message)
    context.log.error(alert["summary"])
    append_alert(settings.alerts_path, alert)
    if settings.alert_webhook_url:
        problem = post_alert(settings.alert_webhook_url, alert)
        if problem:
            context.log.warning(problem)


# --- the code location's sensors ------------------------------------------------------------------------------------


def build_sensors(refresh_jobs: dict[str, dg.UnresolvedAssetJobDefinition]) -> list[dg.SensorDefinition]:
    """A new-vintages sensor per vintage-partitioned source that has a refresh job, and the run-failure alert."""
    intervals = _intervals()
    interval = intervals[settings_from_env().mode]
    sensors = [
        new_vintages_sensor(BY_SOURCE[source], job, interval)
        for source, job in refresh_jobs.items()
        if source in BY_SOURCE
    ]
    return [*sensors, alert_on_run_failure]
