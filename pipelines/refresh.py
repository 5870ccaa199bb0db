"""``sdoh refresh``: land sources and rebuild what depends on them, as runs of the code location.

- no ``--source``: every configured vintage of every source is landed (one run per vintage-partitioned source,
  covering all its partitions), then ``build_and_publish_release`` rebuilds everything else and publishes. This is
  what ``make run`` does.
- ``--source S``: one run of ``refresh_S``: S's raw asset (all its vintages, or ``--vintage V`` only) and everything
  downstream of it, release included. Nothing that does not depend on S runs.

The command holds the working folder's writer lock for all its runs (one DuckDB writer), prints one line per step,
writes every record of each run to ``<data>/logs/<run_id>.log``, and stops at the first run that fails, ending with
that run's error in its own words.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TextIO

import dagster as dg

from assets.partitions import (
    BY_SOURCE,
    PARTITIONED_SOURCES,
    one_vintage_tags,
    partition_range_tags,
    sync_configured_partitions,
)
from assets.settings import Settings
from assets.source_registry import REFRESHABLE_SOURCES
from pipelines.launch import CodeLocationRuns, PlannedRun, RunOutcome

MAIN_JOB = "build_and_publish_release"
PROFILES_JOB = "render_ach_profiles"
PROFILES_ASSET = "ach_profiles"


class RefreshError(ValueError):
    """The refresh asked for cannot be planned (unknown source, a vintage of an unpartitioned source)."""


def publish_config(accept_row_drops: bool) -> dict:
    return {"ops": {"published_release": {"config": {"accept_row_drops": bool(accept_row_drops)}}}}


def plan_refresh(
    instance: dg.DagsterInstance,
    settings: Settings,
    source: str | None = None,
    vintage: str | None = None,
    accept_row_drops: bool = False,
    profiles: bool = True,
) -> list[PlannedRun]:
    """The runs a refresh needs, in order. Adds configured vintages (and a requested one) as partitions first.

    A full refresh ends with a run that renders the equity profiles of the newest release (``profiles=False`` leaves
    it out: the test fixtures that build the whole graph do, so they do not pay for rendering)."""
    sync_configured_partitions(instance, settings.config_dir)
    if vintage and not source:
        raise RefreshError("--vintage needs --source (a vintage belongs to one source)")
    if source is None:
        independent, dependent = _full_refresh_selections()
        # Named jobs with asset subsets (as "materialize selected" on a job's page), so the runs page says what each was.
        runs = [PlannedRun("land geographies and config, build what needs no vintage", MAIN_JOB, independent)]
        for part in PARTITIONED_SOURCES:
            keys = instance.get_dynamic_partitions(part.name)
            runs.append(
                PlannedRun(
                    f"land {part.source} {_span(keys)}",
                    f"refresh_{part.source}",
                    frozenset({dg.AssetKey(part.asset_name)}),
                    partition_range_tags(keys),
                )
            )
        runs.append(PlannedRun("build and publish", MAIN_JOB, dependent, run_config=publish_config(accept_row_drops)))
        if profiles:
            runs.append(PlannedRun("render equity profiles", PROFILES_JOB))
        return runs
    if source not in REFRESHABLE_SOURCES:
        raise RefreshError(f"--source must be one of {', '.join(REFRESHABLE_SOURCES)}; got {source!r}")
    job = f"refresh_{source}"
    part = BY_SOURCE.get(source)
    if part is None:
        if vintage:
            raise RefreshError(f"{source} is not published in vintages here; refresh it without --vintage")
        return [PlannedRun(f"refresh {source}", job, run_config=publish_config(accept_row_drops))]
    if vintage:
        if vintage not in instance.get_dynamic_partitions(part.name):
            instance.add_dynamic_partitions(part.name, [vintage])
        tags = one_vintage_tags(vintage)
        label = f"refresh {source} {vintage}"
    else:
        keys = instance.get_dynamic_partitions(part.name)
        tags, label = partition_range_tags(keys), f"refresh {source} {_span(keys)}"
    return [PlannedRun(label, job, tags=tags, run_config=publish_config(accept_row_drops))]


def _full_refresh_selections() -> tuple[frozenset[dg.AssetKey], frozenset[dg.AssetKey]]:
    """A full refresh builds every asset once: first what depends on no vintage-partitioned source (boundaries,
    config seeds, WA DOH: the checks of the raw sources read some of them), then, after the raw vintages, everything
    downstream of those."""
    from pipelines.definitions import build_definitions

    graph = build_definitions().resolve_asset_graph()
    partitioned = dg.AssetSelection.assets(*(p.asset_name for p in PARTITIONED_SOURCES))
    independent = (dg.AssetSelection.all() - partitioned - partitioned.downstream()).resolve(graph)
    reports = dg.AssetSelection.assets(PROFILES_ASSET)
    dependent = (partitioned.downstream() - partitioned - reports).resolve(graph)
    return frozenset(independent), frozenset(dependent)


def _span(keys: list[str]) -> str:
    return keys[0] if len(keys) == 1 else f"{keys[0]}…{keys[-1]} ({len(keys)} vintages)"


def execute_plan(
    instance: dg.DagsterInstance,
    runs: list[PlannedRun],
    log_dir: Path,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> list[RunOutcome]:
    """Create and execute each planned run in turn, printing its steps; stop after the first that fails."""
    from pipelines.run_output import QUIET_CONSOLE, RunConsole, shown_path

    out, err = out or sys.stdout, err or sys.stderr
    outcomes: list[RunOutcome] = []
    with CodeLocationRuns(instance) as location:
        for n, planned in enumerate(runs, start=1):
            planned = PlannedRun(
                planned.label,
                planned.job_name,
                planned.asset_selection,
                planned.tags,
                {**planned.run_config, **QUIET_CONSOLE},
            )
            run, steps = location.create_run(planned)
            console = RunConsole(
                steps, log_dir, out=out, err=err, run_id=run.run_id, step_names=run.step_keys_to_execute or ()
            )
            print(
                f"run {n}/{len(runs)}: {planned.label} ({steps} steps, run {run.run_id[:8]}, "
                f"log {shown_path(console.log_path)})",
                file=out,
                flush=True,
            )
            started = time.monotonic()
            console.open_log()
            try:
                outcome = location.execute(run, on_record=console.on_record)
            finally:
                console.close_log()
            outcomes.append(outcome)
            if not outcome.success:
                console.report_failure(outcome, time.monotonic() - started)
                if n < len(runs):
                    print(f"not started: {', '.join(r.label for r in runs[n:])}", file=err, flush=True)
                break
    return outcomes


def run_refresh(
    settings: Settings,
    *,
    source: str | None = None,
    vintage: str | None = None,
    accept_row_drops: bool = False,
    no_wait: bool = False,
    profiles: bool = True,
    instance: dg.DagsterInstance | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    """The ``sdoh refresh`` command: plan, hold the writer lock, execute, say what was published. Returns the exit
    code (0 ok, 1 a run failed, 2 a wrong request or setting, 75 another run holds the working folder)."""
    from assets.publish.release_writer import PUBLISHED_DB, list_releases
    from assets.writer_lock import WriterBusy, hold_writer_lock
    from pipelines.run_output import shown_path

    out, err = out or sys.stdout, err or sys.stderr
    print(f"mode: {settings.mode}; snapshot: {settings.snapshot_dir}; working data: {settings.data_dir}", file=out)
    if settings.mode == "snapshot" and not (settings.snapshot_dir / "PROVENANCE.md").is_file():
        print(
            f"error: no snapshot at {settings.snapshot_dir} (expected its PROVENANCE.md). "
            "Put ../shared beside the checkout or set SDOH_SNAPSHOT_DIR.",
            file=err,
        )
        return 2
    started = time.monotonic()
    owned = instance is None
    instance = instance or dg.DagsterInstance.get()
    try:
        try:
            runs = plan_refresh(instance, settings, source, vintage, accept_row_drops, profiles=profiles)
        except RefreshError as error:
            print(f"error: {error}", file=err)
            return 2
        try:  # one writer per working folder: wait for (or, with --no-wait, refuse) a run that holds it
            with hold_writer_lock(
                settings.data_dir,
                run_id=f"sdoh refresh ({len(runs)} runs)",
                wait_seconds=0 if no_wait else settings.writer_lock_wait_seconds,
                on_wait=lambda message: print(message, file=out, flush=True),
            ):
                outcomes = execute_plan(instance, runs, settings.data_dir / "logs", out=out, err=err)
        except WriterBusy as busy:
            print(f"error: {busy}", file=err)
            return 75
    finally:
        if owned:
            instance.dispose()
    elapsed = time.monotonic() - started
    if not outcomes or not outcomes[-1].success or len(outcomes) < len(runs):
        return 1
    print(f"{len(runs)} run(s) succeeded in {elapsed:.0f}s", file=out)
    published = [m for o in outcomes for m in o.asset_materializations_for_node("published_release")]
    releases = list_releases(settings.published_dir)
    if not published or not releases:
        print("nothing was published by this refresh (no run included the release)", file=out)
        return 0
    latest = releases[-1]
    tables = latest.manifest["tables"]
    if not published[-1].metadata["new_release"].value:
        print(
            f"no new release: the tables equal the latest release {latest.release_id} (content hashes); "
            "see `sdoh releases list`",
            file=out,
        )
    print(
        f"release {latest.release_id}: {tables['indicator_values']['rows']:,} indicator values, "
        f"{tables['indicator_catalog']['rows']} indicators ({len(releases)} releases in total)",
        file=out,
    )
    print(f"  files:     {shown_path(latest.path)}", file=out)
    print(f"  published: {shown_path(settings.published_dir / PUBLISHED_DB)}", file=out)
    profiles = settings.published_dir / "profiles" / latest.release_id / "index.html"
    if profiles.is_file():
        print(f"  profiles:  {shown_path(profiles)} (one page and PDF per ACH region)", file=out)
    print(
        '  try:       sdoh query "select indicator_id, vintage, count(*) as n from latest_indicator_values '
        'group by all order by all"',
        file=out,
    )
    return 0
