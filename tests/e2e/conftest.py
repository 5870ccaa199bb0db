"""One Dagster webserver for the whole session, serving a COPY of the first release's working folder and instance.

`webserver` starts ``dagster-webserver`` (the workspace.yaml code location, as `make dev` does) on a free loopback
port against a copy of what `first_release` built: its warehouse, published releases and the SQLite Dagster instance
that recorded the run, its materializations and its check results. The UI therefore shows a real run, and nothing a
test does through it can change the folder other tests read. Tests use the browser (tests/e2e/test_ui_pages.py) or
GraphQL (:meth:`Webserver.graphql`). The process group is killed at the end of the session.

The e2e tests share one pytest-xdist group, so the session starts one webserver, not one per worker.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from assets.settings import PROJECT_ROOT, Settings
from tests.conftest import copy_working_state, instance_dir_of

STARTUP_SECONDS = 180  # loading the code location takes a few seconds; a loaded CI machine, more
CODE_LOCATION = "sdoh_equity"


@dataclass(frozen=True)
class Webserver:
    url: str
    settings: Settings  # the copied working folder the webserver's code location reads
    run_ids: tuple[str, ...]  # the first release's runs (`sdoh refresh`'s), as stored in the copied instance
    log: Path
    instance_ref: Any  # the webserver's Dagster instance (DAGSTER_HOME), for a test that adds a run to it

    @property
    def run_id(self) -> str:
        """The run that built the marts and published the release."""
        return self.run_ids[-1]

    def graphql(self, query: str, variables: dict[str, Any] | None = None, timeout: float = 60) -> dict[str, Any]:
        """POST a GraphQL query to the webserver; its ``data``, or an AssertionError with the errors it returned."""
        response = requests.post(
            f"{self.url}/graphql", json={"query": query, "variables": variables or {}}, timeout=timeout
        )
        response.raise_for_status()
        body = response.json()
        assert not body.get("errors"), body["errors"]
        return body["data"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def instance_yaml(instance_dir: Path) -> str:
    """A dagster.yaml whose storage (runs, event logs, schedules) and artifacts (compute logs) are ``instance_dir``,
    laid out as ``DagsterInstance.local_temp`` left it; no telemetry, no first-visit newsletter dialog."""
    return (
        f"storage:\n  sqlite:\n    base_dir: {instance_dir}\n"
        "local_artifact_storage:\n  module: dagster._core.storage.root\n  class: LocalArtifactStorage\n"
        f"  config:\n    base_dir: {instance_dir}\n"
        "telemetry:\n  enabled: false\n"
        "nux:\n  enabled: false\n"
    )


def _log_tail(log: Path, lines: int = 40) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.is_file() else "(no log)"


@pytest.fixture(scope="session")
def webserver(first_release, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Webserver]:
    settings, [run] = first_release
    assert run.success, "the main job failed on the real snapshot"
    root = tmp_path_factory.mktemp("e2e_webserver")
    copied = copy_working_state(settings, root / "data")
    home = root / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text(instance_yaml(instance_dir_of(copied)))
    port = free_port()
    log = root / "webserver.log"
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "SDOH_DATA_DIR": str(copied.data_dir),
        "SDOH_SNAPSHOT_DIR": str(copied.snapshot_dir),
        "SDOH_MODE": copied.mode,
        "GX_ANALYTICS_ENABLED": "false",
    }
    bin_dir = Path(sys.executable).parent
    processes = []
    # The daemon dequeues runs launched through the UI (the instance queues them: one writer), and runs sensors and
    # schedules; the new-data sensors and the schedules are stopped by default, so it launches nothing on its own.
    for name, command in (
        ("webserver", [str(bin_dir / "dagster-webserver"), "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)]),
        ("daemon", [str(bin_dir / "dagster-daemon"), "run", "-w", "workspace.yaml"]),
    ):
        with (root / f"{name}.log").open("wb") as out:
            processes.append(
                subprocess.Popen(
                    command,
                    cwd=PROJECT_ROOT,
                    env=env,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                    start_new_session=True,  # its own process group: the code server it spawns is stopped with it
                )
            )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_ready(url, processes[0], log)
        from dagster._core.instance.ref import InstanceRef

        ref = InstanceRef.from_dir(str(home))
        yield Webserver(url=url, settings=copied, run_ids=run.run_ids, log=log, instance_ref=ref)
    finally:
        for process in processes:
            _stop(process)


def _wait_until_ready(url: str, process: subprocess.Popen, log: Path) -> None:
    """/server_info answers, and the code location is loaded (the UI shows an error page until it is)."""
    deadline = time.monotonic() + STARTUP_SECONDS
    query = "{ workspaceOrError { ... on Workspace { locationEntries { name loadStatus } } } }"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"dagster-webserver exited with {process.returncode}:\n{_log_tail(log)}")
        try:
            if requests.get(f"{url}/server_info", timeout=2).ok:
                body = requests.post(f"{url}/graphql", json={"query": query}, timeout=10).json()
                entries = body["data"]["workspaceOrError"]["locationEntries"]
                if [e["loadStatus"] for e in entries if e["name"] == CODE_LOCATION] == ["LOADED"]:
                    return
        except (requests.RequestException, KeyError, TypeError, ValueError):
            pass
        time.sleep(0.5)
    pytest.fail(f"dagster-webserver did not load {CODE_LOCATION} within {STARTUP_SECONDS}s:\n{_log_tail(log)}")


def _stop(process: subprocess.Popen) -> None:
    """Stop the webserver's process group (the webserver and the code server it started): SIGTERM, then SIGKILL to
    whatever of the group is left after 10 s."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            break
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            continue
    process.wait(timeout=10)
