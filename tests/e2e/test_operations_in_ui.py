"""Operating the pipeline through the webserver, as a data engineer does in the UI: launch one vintage of one source,
see it succeed, find the schedules, sensors and partitions; and the runs `sdoh refresh` made are the code location's.

Everything goes through the webserver's GraphQL API (the UI's own calls), with the daemon dequeuing the run.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from assets.partitions import configured_partition_keys

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

REPOSITORY = {"repositoryLocationName": "sdoh_equity", "repositoryName": "__repository__"}

LAUNCH = """
mutation Launch($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
    ... on InvalidSubsetError { message }
    ... on RunConfigValidationInvalid { errors { message } }
  }
}
"""
RUN = """
query Run($runId: ID!) {
  runOrError(runId: $runId) { ... on Run { status tags { key value } } }
}
"""
OPERATIONS = """
query Operations($repo: RepositorySelector!) {
  schedulesOrError(repositorySelector: $repo) {
    ... on Schedules { results { name cronSchedule executionTimezone pipelineName defaultStatus } }
  }
  sensorsOrError(repositorySelector: $repo) {
    ... on Sensors { results { name defaultStatus targets { pipelineName } } }
  }
  assetNodes {
    assetKey { path }
    isPartitioned
    partitionKeys
    partitionStats { numMaterialized }
  }
}
"""


def _wait_for(webserver, run_id: str, seconds: float = 240) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        run = webserver.graphql(RUN, {"runId": run_id})["runOrError"]
        if run["status"] in ("SUCCESS", "FAILURE", "CANCELED"):
            return run
        time.sleep(1)
    pytest.fail(f"run {run_id} did not finish in {seconds}s (status {run['status']}); see {webserver.log.parent}")


def test_one_vintage_launched_through_graphql_lands_and_operations_are_listed(webserver) -> None:
    """SVI 2022 alone (one partition of cdc_svi_raw), as "Materialize" on the asset's partition 2022 does."""
    launched = webserver.graphql(
        LAUNCH,
        {
            "params": {
                "selector": {**REPOSITORY, "jobName": "__ASSET_JOB", "assetSelection": [{"path": ["cdc_svi_raw"]}]},
                "executionMetadata": {"tags": [{"key": "dagster/partition", "value": "2022"}]},
                "runConfigData": {},
            }
        },
    )["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    run = _wait_for(webserver, launched["run"]["runId"])
    assert run["status"] == "SUCCESS", f"see {webserver.log.parent}"
    assert {"key": "dagster/partition", "value": "2022"} in run["tags"]

    listed = webserver.graphql(OPERATIONS, {"repo": REPOSITORY})
    schedules = {s["name"]: s for s in listed["schedulesOrError"]["results"]}
    assert schedules["census_api_release_calendar"]["cronSchedule"] == "0 9 * 12 1"  # Mondays in December
    assert schedules["census_api_release_calendar"]["pipelineName"] == "refresh_census_api"
    assert set(schedules) == {f"{s}_release_calendar" for s in ("census_api", "cdc_places", "cdc_svi", "hud_chas")}
    assert all(s["defaultStatus"] == "STOPPED" for s in schedules.values())
    sensors = {s["name"]: s for s in listed["sensorsOrError"]["results"]}
    assert {"new_census_api_vintages", "new_cdc_svi_vintages", "follow_upstream", "alert_on_run_failure"} <= set(
        sensors
    )
    assert sensors["new_cdc_svi_vintages"]["targets"] == [{"pipelineName": "refresh_cdc_svi"}]
    assert sensors["new_census_api_vintages"]["defaultStatus"] == "STOPPED"
    assert sensors["alert_on_run_failure"]["defaultStatus"] == "RUNNING"
    nodes = {"/".join(n["assetKey"]["path"]): n for n in listed["assetNodes"]}
    svi = nodes["cdc_svi_raw"]
    assert svi["isPartitioned"] and svi["partitionKeys"] == ["2018", "2020", "2022"]
    assert svi["partitionStats"]["numMaterialized"] == 3
    census = nodes["census_api_raw"]
    # the configured vintages (config/indicators.yaml), derived rather than listed: adding one (2024) changes them
    configured = configured_partition_keys(Path(__file__).resolve().parents[2] / "config")["census_api"]
    assert census["partitionKeys"] == configured and "2024" in configured
    assert not nodes["fct_indicator_values"]["isPartitioned"]


RUNS = """
query Runs($ids: [String!]) {
  runsOrError(filter: {runIds: $ids}) {
    ... on Runs { results { runId pipelineName pipelineSnapshotId parentPipelineSnapshotId
                            repositoryOrigin { repositoryLocationName repositoryName } } }
  }
}
"""
JOB = """
query Job($selector: PipelineSelector!) {
  pipelineOrError(params: $selector) { ... on Pipeline { pipelineSnapshotId } }
}
"""


def test_cli_runs_are_runs_of_the_code_location(webserver) -> None:
    """What makes the UI list a run in the timeline and re-execute it without "may be a different version": the
    run's origin is this code location, and its job snapshot is the loaded job's (for an asset subset, its
    parent's). A run created the way `sdoh refresh` creates its runs (``pipelines.refresh.execute_plan``), with the
    webserver's settings and instance, as `make run` and `make dev` share them."""
    import io

    import dagster as dg

    from assets.partitions import one_vintage_tags
    from pipelines.launch import PlannedRun
    from pipelines.refresh import execute_plan
    from tests.conftest import settings_environment

    planned = PlannedRun(
        "land cdc_svi 2020", "refresh_cdc_svi", frozenset({dg.AssetKey("cdc_svi_raw")}), one_vintage_tags("2020")
    )
    out = io.StringIO()
    with settings_environment(webserver.settings), dg.DagsterInstance.from_ref(webserver.instance_ref) as instance:
        [outcome] = execute_plan(instance, [planned], webserver.settings.data_dir / "logs", out=out, err=out)
    assert outcome.success, out.getvalue()[-3000:]
    [run] = webserver.graphql(RUNS, {"ids": [outcome.run_id]})["runsOrError"]["results"]
    assert run["repositoryOrigin"] == {"repositoryLocationName": "sdoh_equity", "repositoryName": "__repository__"}
    assert run["pipelineName"] == "refresh_cdc_svi"
    current = webserver.graphql(JOB, {"selector": {**REPOSITORY, "pipelineName": "refresh_cdc_svi"}})
    assert current["pipelineOrError"]["pipelineSnapshotId"] == run["parentPipelineSnapshotId"], run
