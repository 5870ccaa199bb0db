"""The team deployment's processes, as docker-compose.yaml runs them but without containers: the code server
(config/deploy/entrypoint.sh code-server), the daemon and the webserver (both on config/deploy/workspace.yaml), on an
instance made from config/deploy/dagster.yaml against a real PostgreSQL on loopback.

Two runs launched through the webserver's GraphQL API (as the UI's Launchpad does) must be queued, started by the
daemon one after the other (config/deploy/dagster.yaml: one run in progress), and executed by the code server
(DefaultRunLauncher): the run carries the code server's address, and the working folder's writer lock was held by a
process that is not this test's. Read back from PostgreSQL with psycopg2.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import pytest
import requests
import yaml
from dagster._core.storage.tags import GRPC_INFO_TAG  # the launcher's own record of where it started a run

from assets.settings import CONFIG_DIR, PROJECT_ROOT, Settings
from assets.writer_lock import holder
from pipelines.launch import LOCATION_NAME
from tests.pipelines.postgres_server import PostgresServer, free_port, running_postgres

DEPLOY = CONFIG_DIR / "deploy"
STARTUP_SECONDS = 300  # loading the code location on a loaded 2-core CI machine
RUNS_SECONDS = 900  # a guard against a run that never ends, not a timing assertion
SEED = "seed_race_ethnicity_groups"  # one small asset: config/race_ethnicity_groups.yaml into DuckDB

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("team_processes")]


@dataclass(frozen=True)
class Team:
    url: str
    code_port: int
    settings: Settings
    postgres: PostgresServer
    logs: Path
    start_daemon: Callable[[], None]

    def graphql(self, query: str, variables: dict) -> dict:
        response = requests.post(f"{self.url}/graphql", json={"query": query, "variables": variables}, timeout=120)
        response.raise_for_status()
        body = response.json()
        assert not body.get("errors"), body["errors"]
        return body["data"]

    def log_tails(self) -> str:
        return "\n".join(
            f"--- {p.name}\n" + "\n".join(p.read_text(errors="replace").splitlines()[-30:])
            for p in sorted(self.logs.glob("*.log"))
        )


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM the process group, SIGKILL what is left after 20 s (the code server may take its time)."""
    for sig, wait in ((signal.SIGTERM, 20), (signal.SIGKILL, 10)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


@pytest.fixture(scope="module")
def team(make_settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Team]:
    settings = make_settings("team_processes")
    root = tmp_path_factory.mktemp("team_processes")
    home = root / "dagster_home"
    home.mkdir()
    shutil.copyfile(DEPLOY / "dagster.yaml", home / "dagster.yaml")
    code_port, web_port = free_port(), free_port()
    bin_dir = Path(sys.executable).parent
    with running_postgres() as postgres:
        env = {
            **os.environ,
            **postgres.env(),
            "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
            "DAGSTER_HOME": str(home),
            "SDOH_SNAPSHOT_DIR": str(settings.snapshot_dir),
            "SDOH_DATA_DIR": str(settings.data_dir),
            "SDOH_MODE": settings.mode,
            "SDOH_CODE_SERVER_HOST": "127.0.0.1",
            "SDOH_CODE_SERVER_BIND": "127.0.0.1",
            "SDOH_CODE_SERVER_PORT": str(code_port),
            "GX_ANALYTICS_ENABLED": "false",
        }
        workspace = str(DEPLOY / "workspace.yaml")
        commands = {
            "code": [str(DEPLOY / "entrypoint.sh"), "code-server"],
            "daemon": [str(bin_dir / "dagster-daemon"), "run", "-w", workspace],
            "webserver": [str(bin_dir / "dagster-webserver"), "-h", "127.0.0.1", "-p", str(web_port), "-w", workspace],
        }
        processes: list[subprocess.Popen] = []
        team = Team(f"http://127.0.0.1:{web_port}", code_port, settings, postgres, root, lambda: start("daemon"))

        def start(name: str) -> None:
            with (root / f"{name}.log").open("wb") as out:
                processes.append(
                    subprocess.Popen(
                        commands[name],
                        cwd=PROJECT_ROOT,
                        env=env,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                        stdin=subprocess.DEVNULL,
                        start_new_session=True,  # its own process group, stopped with everything it spawned
                    )
                )

        try:
            # As docker-compose.yaml orders them: the webserver once the code server answers. The daemon is left to
            # the test, so it can queue runs before anything may start them.
            start("code")
            deadline = time.monotonic() + STARTUP_SECONDS
            health = [str(bin_dir / "dagster"), "api", "grpc-health-check", "-h", "127.0.0.1", "-p", str(code_port)]
            while subprocess.run(health, capture_output=True, env=env).returncode != 0:
                assert time.monotonic() < deadline, f"the code server did not answer\n{team.log_tails()}"
                time.sleep(2)
            start("webserver")
            loaded = None
            while loaded != "RepositoryLocation":
                assert time.monotonic() < deadline, f"the webserver did not load the location\n{team.log_tails()}"
                time.sleep(2)
                try:
                    entries = team.graphql(LOCATIONS, {})["workspaceOrError"]["locationEntries"]
                except requests.RequestException:
                    continue
                entry = next((e for e in entries if e["name"] == LOCATION_NAME), None)
                loaded = entry and entry["locationOrLoadError"] and entry["locationOrLoadError"]["__typename"]
                assert loaded != "PythonError", f"{entry}\n{team.log_tails()}"
            yield team
        finally:
            for process in processes:
                _stop(process)


LOCATIONS = """
{ workspaceOrError { ... on Workspace { locationEntries { name locationOrLoadError { __typename } } } } }
"""
LAUNCH = """
mutation Launch($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId status } }
    ... on PythonError { message }
    ... on InvalidSubsetError { message }
    ... on RunConfigValidationInvalid { errors { message } }
  }
}
"""


def test_the_daemon_starts_queued_runs_one_at_a_time_in_the_code_server(team: Team) -> None:
    params = {
        "selector": {
            "repositoryLocationName": LOCATION_NAME,
            "repositoryName": "__repository__",
            "jobName": "__ASSET_JOB",
            "assetSelection": [{"path": [SEED]}],
        },
        "mode": "default",
    }
    run_ids = []
    for _ in range(2):
        launched = team.graphql(LAUNCH, {"params": params})["launchRun"]
        assert launched["__typename"] == "LaunchRunSuccess", f"{launched}\n{team.log_tails()}"
        run_ids.append(launched["run"]["runId"])
    # The QueuedRunCoordinator queued both; nothing starts them but the daemon, which is not running yet. Once it
    # runs, both are in its queue at its first look: only the limit of one run in progress keeps them apart.
    con = team.postgres.connect()
    with con.cursor() as cur:
        cur.execute("select run_id, status from runs where run_id = any(%s)", (run_ids,))
        assert dict(cur.fetchall()) == {r: "QUEUED" for r in run_ids}
    con.close()
    team.start_daemon()

    con = team.postgres.connect()
    con.autocommit = True
    try:
        deadline = time.monotonic() + RUNS_SECONDS
        with con.cursor() as cur:
            while time.monotonic() < deadline:
                cur.execute("select run_id, status from runs where run_id = any(%s)", (run_ids,))
                statuses = dict(cur.fetchall())
                if all(s in ("SUCCESS", "FAILURE", "CANCELED") for s in statuses.values()) and len(statuses) == 2:
                    break
                time.sleep(2)
            assert statuses == {r: "SUCCESS" for r in run_ids}, f"{statuses}\n{team.log_tails()}"
            # When the daemon took each run off the queue (RUN_STARTING, reported before it launches the run) and
            # when each run ended; stored under their old names (PIPELINE_STARTING, PIPELINE_SUCCESS).
            cur.execute(
                "select run_id, dagster_event_type, timestamp from event_logs "
                "where run_id = any(%s) and dagster_event_type = any(%s)",
                (run_ids, [dg.DagsterEventType.RUN_STARTING.value, dg.DagsterEventType.RUN_SUCCESS.value]),
            )
            at = {(run_id, kind): when for run_id, kind, when in cur.fetchall()}
            cur.execute("select run_id, start_time, end_time from runs where run_id = any(%s)", (run_ids,))
            spans = sorted((start, end) for _, start, end in cur.fetchall())
            cur.execute(
                "select run_id, value from run_tags where key = %s and run_id = any(%s)", (GRPC_INFO_TAG, run_ids)
            )
            grpc_info = {run_id: json.loads(value) for run_id, value in cur.fetchall()}
    finally:
        con.close()

    # One run in progress at a time. The daemon found both runs queued at once, and dequeued the second only after
    # the first had ended: the instance's limit. (Measured with max_concurrent_runs: 5 instead, it dequeued both in
    # its first pass, 7 s before the first ended, and this assertion failed. The writer lock still kept the two runs'
    # spans apart then, as it does here.)
    dequeued, succeeded = dg.DagsterEventType.RUN_STARTING.value, dg.DagsterEventType.RUN_SUCCESS.value
    first, second = sorted(run_ids, key=lambda r: at[(r, dequeued)])
    assert at[(second, dequeued)] >= at[(first, succeeded)]
    (_, first_end), (second_start, _) = spans
    assert second_start >= first_end
    # DefaultRunLauncher asked the code server (this port) to start each run, in its own subprocess.
    assert {info["port"] for info in grpc_info.values()} == {team.code_port}
    assert set(grpc_info) == set(run_ids)
    lock = holder(team.settings.data_dir)
    assert lock and lock["run_id"] in run_ids and lock["pid"] != os.getpid()
    # and it wrote the warehouse of the working folder the code server was given
    groups = len(yaml.safe_load((CONFIG_DIR / "race_ethnicity_groups.yaml").read_text())["groups"])
    con = duckdb.connect(str(team.settings.warehouse_path), read_only=True)
    try:
        [(rows,)] = con.execute(f"select count(*) from seeds.{SEED}").fetchall()
    finally:
        con.close()
    assert rows == groups
