"""Runs started from the command line as runs of the code location, executed in this process.

A run made by ``job.execute_in_process`` has no code-location origin: the UI leaves it out of the Overview timeline
and warns that re-executing it "may be a different version". So the CLI creates its runs the way the UI's Launchpad
does: it loads the code location (``pipelines.definitions``, location ``sdoh_equity``, as ``workspace.yaml`` names
it) in process, resolves the job (or an asset subset of it), and creates the run from the code location's job
snapshot and execution plan, with the code location's origin. Then it executes the run here, in this process, so the
command can print each step as it finishes and the writer lock it holds covers the run.

Progress is read back from the instance's event log while the run executes (:class:`EventTail`): the run's job is
exactly the code location's job (no logger swapped in), which is what makes the UI treat it as re-executable.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import dagster as dg

from assets.settings import PROJECT_ROOT

LOCATION_NAME = "sdoh_equity"  # as workspace.yaml and pyproject.toml [tool.dagster] name it
DEFINITIONS_MODULE = "pipelines.definitions"


@dataclass
class RunOutcome:
    """What a finished run left in the instance: its events, in order (the parts of ``ExecuteInProcessResult`` the
    console and the tests read)."""

    run_id: str
    success: bool
    all_events: list[dg.DagsterEvent] = field(default_factory=list)

    def asset_materializations_for_node(self, node_name: str) -> list[dg.AssetMaterialization]:
        return [
            e.step_materialization_data.materialization
            for e in self.all_events
            if e.is_step_materialization and e.step_key == node_name
        ]


@dataclass(frozen=True)
class PlannedRun:
    """One run of a refresh: a job of the code location, optionally an asset subset of it, and partition tags."""

    label: str
    job_name: str
    asset_selection: frozenset[dg.AssetKey] | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    run_config: Mapping[str, Any] = field(default_factory=dict)


def code_location_origin() -> Any:
    from dagster._core.remote_origin import InProcessCodeLocationOrigin
    from dagster._core.types.loadable_target_origin import LoadableTargetOrigin

    return InProcessCodeLocationOrigin(
        loadable_target_origin=LoadableTargetOrigin(
            executable_path=sys.executable, module_name=DEFINITIONS_MODULE, working_directory=str(PROJECT_ROOT)
        ),
        location_name=LOCATION_NAME,
    )


class CodeLocationRuns:
    """The code location loaded in this process, creating and executing runs with its origin."""

    def __init__(self, instance: dg.DagsterInstance):
        self.instance = instance
        self._location = code_location_origin().create_location(instance)
        [self.repository] = self._location.get_repositories().values()

    def close(self) -> None:
        self._location.cleanup()

    def __enter__(self) -> CodeLocationRuns:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def create_run(self, planned: PlannedRun, run_id: str | None = None) -> tuple[dg.DagsterRun, int]:
        """Create ``planned`` as a run of the code location; return it and its number of steps."""
        from dagster._core.definitions.selector import JobSubsetSelector
        from dagster._core.utils import make_new_run_id
        from dagster._utils.merger import merge_dicts

        selector = JobSubsetSelector(
            location_name=LOCATION_NAME,
            repository_name=self.repository.name,
            job_name=planned.job_name,
            op_selection=None,
            asset_selection=planned.asset_selection,
        )
        remote_job = self._location.get_job(selector)
        plan = self._location.get_execution_plan(
            remote_job, dict(planned.run_config), step_keys_to_execute=None, known_state=None, instance=self.instance
        )
        run = self.instance.create_run(
            job_snapshot=remote_job.job_snapshot,
            execution_plan_snapshot=plan.execution_plan_snapshot,
            parent_job_snapshot=remote_job.parent_job_snapshot,
            job_name=planned.job_name,
            run_id=run_id or make_new_run_id(),
            asset_selection=planned.asset_selection,
            asset_check_selection=None,
            op_selection=None,
            resolved_op_selection=None,
            run_config=dict(planned.run_config),
            step_keys_to_execute=plan.execution_plan_snapshot.step_keys_to_execute,
            tags=merge_dicts(remote_job.tags, dict(planned.tags)),
            root_run_id=None,
            parent_run_id=None,
            status=dg.DagsterRunStatus.NOT_STARTED,
            remote_job_origin=remote_job.get_remote_origin(),
            job_code_origin=remote_job.get_python_origin(),
            asset_graph=self.repository.asset_graph,
        )
        return run, len(plan.execution_plan_snapshot.steps)

    def execute(self, run: dg.DagsterRun, on_record: Any = None) -> RunOutcome:
        """Execute a created run in this process; ``on_record(EventLogEntry)`` sees each event as it is stored."""
        from dagster._core.definitions.reconstruct import ReconstructableJob
        from dagster._core.execution.api import execute_run
        from dagster._utils.hosted_user_process import recon_job_from_origin

        # Dagster keeps the last job it reconstructed (an lru_cache on ReconstructableJob, keyed by module and job
        # name, not by settings): drop it, so a process that runs with other SDOH_* settings than its previous run
        # (the tests do) builds the job, and its resources, from the settings of now.
        ReconstructableJob.get_definition.cache_clear()
        ReconstructableJob.get_repository_definition.cache_clear()
        job = recon_job_from_origin(run.job_code_origin)
        tail = EventTail(self.instance, run.run_id, on_record) if on_record else None
        if tail:
            tail.start()
        try:
            execute_run(job, run, self.instance, raise_on_error=False)
        finally:
            if tail:
                tail.stop()
        return outcome_of(self.instance, run.run_id)


def outcome_of(instance: dg.DagsterInstance, run_id: str) -> RunOutcome:
    """The run's status and every Dagster event it stored, in order."""
    run = instance.get_run_by_id(run_id)
    records = instance.all_logs(run_id)
    return RunOutcome(
        run_id=run_id,
        success=run is not None and run.status == dg.DagsterRunStatus.SUCCESS,
        all_events=[r.dagster_event for r in records if r.dagster_event is not None],
    )


class EventTail(threading.Thread):
    """Reads a run's event log while it executes and hands each new record to ``on_record``, in order."""

    def __init__(self, instance: dg.DagsterInstance, run_id: str, on_record: Any, interval: float = 0.2):
        super().__init__(daemon=True, name=f"event-tail-{run_id[:8]}")
        self.instance, self.run_id, self.on_record, self.interval = instance, run_id, on_record, interval
        self._stop_event = threading.Event()
        self._cursor: str | None = None

    def run(self) -> None:
        while not self._stop_event.wait(self.interval):
            self._drain()

    def stop(self) -> None:
        self._stop_event.set()
        self.join(timeout=10)
        self._drain()  # whatever was stored after the last poll

    def _drain(self) -> None:
        while True:
            connection = self.instance.get_records_for_run(self.run_id, cursor=self._cursor, limit=500)
            for record in connection.records:
                self.on_record(record.event_log_entry)
            self._cursor = connection.cursor
            if not connection.has_more:
                return
