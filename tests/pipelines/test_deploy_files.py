"""The team deployment's files (config/deploy/) refer to things that exist, and agree with each other.

No Docker engine or Helm here, so the image is never built and the chart never rendered; what can be checked without
them is: every path the Dockerfile copies exists (and is in its build context), every command the containers run is
one the entrypoint knows, every variable the instance file reads is set by docker-compose.yaml, the volumes are
mounted where the image's settings look, the code location module the chart serves can be imported, and both the
compose and the Helm instance start at most one run at a time.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shlex
from pathlib import Path

import dagster as dg
import pytest
import yaml

from assets.settings import PROJECT_ROOT
from pipelines.instance import ensure_instance_yaml
from pipelines.launch import DEFINITIONS_MODULE, LOCATION_NAME

DEPLOY = PROJECT_ROOT / "config" / "deploy"
IMAGE_ROOT = "/opt/sdoh"  # the Dockerfile's WORKDIR, where the project is copied


def dockerfile() -> list[tuple[str, str]]:
    """(instruction, arguments) of each Dockerfile instruction, continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", (DEPLOY / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    return [(line.split(None, 1)[0].upper(), line.split(None, 1)[1]) for line in lines]


def image_env() -> dict[str, str]:
    env = {}
    for instruction, args in dockerfile():
        if instruction == "ENV":
            env.update(pair.split("=", 1) for pair in shlex.split(args))
    return env


def entrypoint_roles() -> set[str]:
    """The roles entrypoint.sh's `case` names (not the catch-all)."""
    return set(re.findall(r"^\s+([a-z-]+)\)$", (DEPLOY / "entrypoint.sh").read_text(), flags=re.M))


def compose() -> dict:
    return yaml.safe_load((DEPLOY / "docker-compose.yaml").read_text())


def helm_values() -> dict:
    return yaml.safe_load((DEPLOY / "helm-values.yaml").read_text())


def env_names(node) -> set[str]:
    """Every `env: NAME` a Dagster config file reads."""
    if isinstance(node, dict):
        found = {node["env"]} if set(node) == {"env"} else set()
        return found.union(*(env_names(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(env_names(v) for v in node))
    return set()


def test_every_path_the_dockerfile_copies_exists_and_is_in_the_build_context() -> None:
    copied = []
    for instruction, args in dockerfile():
        if instruction == "COPY":
            *sources, _ = args.split()
            copied += sources
    assert copied, "the Dockerfile copies nothing"
    missing = [s for s in copied if not (PROJECT_ROOT / s).exists()]
    assert not missing, f"the Dockerfile copies paths that do not exist: {missing}"
    allowed = {
        line[1:].rstrip("/")
        for line in (DEPLOY / "Dockerfile.dockerignore").read_text().splitlines()
        if line.startswith("!")
    }
    assert {s.rstrip("/") for s in copied} <= allowed, "a copied path is left out of the build context"
    # files the RUN step copies out of the project, and the entrypoint, are in what was copied
    run = " ".join(args for instruction, args in dockerfile() if instruction == "RUN")
    for source in re.findall(r"\bcp (\S+) ", run):
        assert (PROJECT_ROOT / source).is_file(), source
        assert source.split("/")[0] in copied
    [entrypoint] = [args for instruction, args in dockerfile() if instruction == "ENTRYPOINT"]
    script = yaml.safe_load(entrypoint)[0]
    relative = Path(script).relative_to(IMAGE_ROOT)
    assert (PROJECT_ROOT / relative).is_file() and os.access(PROJECT_ROOT / relative, os.X_OK), script
    assert "python:3.11-slim" in dict(dockerfile())["FROM"]


def test_the_containers_run_roles_the_entrypoint_knows_with_files_the_image_has() -> None:
    roles = entrypoint_roles()
    assert roles == {"code-server", "webserver", "daemon"}
    services = compose()["services"]
    assert set(services) == {"postgres", "code", "daemon", "webserver"}
    assert {services[name]["command"][0] for name in ("code", "daemon", "webserver")} == roles
    for name in ("code", "daemon", "webserver"):
        build = services[name]["build"]
        assert (DEPLOY / build["context"]).resolve() == PROJECT_ROOT
        assert (PROJECT_ROOT / build["dockerfile"]).resolve() == DEPLOY / "Dockerfile"
    script = (DEPLOY / "entrypoint.sh").read_text()
    # the module and location the code server serves are the project's (pyproject.toml, workspace.yaml)
    assert f"-m {DEFINITIONS_MODULE} --location-name {LOCATION_NAME}" in script
    run = " ".join(args for instruction, args in dockerfile() if instruction == "RUN")
    for workspace in set(re.findall(r"-w (\S+)", script)):
        assert f"cp config/deploy/workspace.yaml {workspace}" in run


def test_the_instance_and_the_workspace_get_every_variable_they_read_from_compose() -> None:
    services = compose()["services"]
    instance_reads = env_names(yaml.safe_load((DEPLOY / "dagster.yaml").read_text()))
    assert instance_reads == {f"DAGSTER_PG_{n}" for n in ("HOST", "PORT", "USER", "PASSWORD", "DB")}
    workspace = yaml.safe_load((DEPLOY / "workspace.yaml").read_text())
    [server] = [entry["grpc_server"] for entry in workspace["load_from"]]
    assert server["location_name"] == LOCATION_NAME
    for name in ("code", "daemon", "webserver"):
        env = services[name]["environment"]
        assert instance_reads | env_names(workspace) <= set(env), name
        assert env["DAGSTER_PG_HOST"] == "postgres" and env["SDOH_CODE_SERVER_HOST"] == "code"
    assert services["code"]["healthcheck"]["test"][-1] == services["code"]["environment"]["SDOH_CODE_SERVER_PORT"]


def mount_target(volume: str) -> str:
    """The container path of a compose volume `source:target[:ro]` (the source may hold `${VAR:-default}`)."""
    parts = volume.split(":")
    return parts[-2] if parts[-1] in ("ro", "rw") else parts[-1]


def test_the_snapshot_and_the_warehouse_are_mounted_where_the_image_looks() -> None:
    env = image_env()
    code = compose()["services"]["code"]
    mounts = {mount_target(m): m for m in code["volumes"]}
    assert mounts[env["SDOH_SNAPSHOT_DIR"]].endswith(":ro"), "the snapshot is read-only"
    assert env["SDOH_DATA_DIR"] in mounts
    # the other containers neither read the snapshot nor write the warehouse: runs execute in the code server
    for name in ("daemon", "webserver"):
        mounted = {mount_target(m) for m in compose()["services"][name].get("volumes", [])}
        assert not mounted & {env["SDOH_SNAPSHOT_DIR"], env["SDOH_DATA_DIR"]}, name
    [deployment] = helm_values()["dagster-user-deployments"]["deployments"]
    paths = {m["mountPath"] for m in deployment["volumeMounts"]}
    assert paths == {env["SDOH_SNAPSHOT_DIR"], env["SDOH_DATA_DIR"]}
    values = {e["name"]: e.get("value") for e in deployment["env"]}
    assert values["SDOH_SNAPSHOT_DIR"] == env["SDOH_SNAPSHOT_DIR"] and values["SDOH_DATA_DIR"] == env["SDOH_DATA_DIR"]


def test_the_helm_values_serve_the_project_module_one_run_at_a_time_in_the_code_server() -> None:
    values = helm_values()
    [deployment] = values["dagster-user-deployments"]["deployments"]
    args = deployment["codeServerArgs"]
    module = args[args.index("-m") + 1]
    assert module == DEFINITIONS_MODULE and importlib.util.find_spec(module) is not None
    assert deployment["replicaCount"] == 1 and deployment["deploymentStrategy"]["type"] == "Recreate"
    assert values["dagsterDaemon"]["runCoordinator"]["config"]["queuedRunCoordinator"]["maxConcurrentRuns"] == 1
    launcher = values["runLauncher"]["config"]["customRunLauncher"]
    deploy_instance = yaml.safe_load((DEPLOY / "dagster.yaml").read_text())
    assert values["runLauncher"]["type"] == "CustomRunLauncher"
    assert (launcher["module"], launcher["class"]) == (
        deploy_instance["run_launcher"]["module"],
        deploy_instance["run_launcher"]["class"],
    )
    assert values["postgresql"]["postgresqlScheme"] == deploy_instance["storage"]["postgres"]["postgres_db"]["scheme"]
    assert values["telemetry"]["enabled"] is False


def test_the_deploy_instance_queues_one_run_and_launches_in_the_code_server(tmp_path: Path) -> None:
    """The classes the file names load (without a database: the run coordinator and launcher are separate from
    storage), and `sdoh` in a container leaves the file in place (it rewrites only the dagster.yaml it wrote)."""
    from dagster._core.instance.config import dagster_instance_config
    from dagster._core.launcher import DefaultRunLauncher
    from dagster._core.run_coordinator import QueuedRunCoordinator

    (tmp_path / "dagster.yaml").write_text((DEPLOY / "dagster.yaml").read_text())
    config, _ = dagster_instance_config(str(tmp_path))
    assert config["telemetry"] == {"enabled": False}
    without_storage = {k: v for k, v in config.items() if k != "storage"}
    local = tmp_path / "local"
    local.mkdir()
    (local / "dagster.yaml").write_text(yaml.safe_dump(without_storage))
    with dg.DagsterInstance.from_config(str(local)) as instance:
        assert isinstance(instance.run_coordinator, QueuedRunCoordinator)
        assert isinstance(instance.run_launcher, DefaultRunLauncher)
        assert instance.get_concurrency_config().run_queue_config.max_concurrent_runs == 1
    assert ensure_instance_yaml(tmp_path).read_text() == (DEPLOY / "dagster.yaml").read_text()


@pytest.mark.parametrize("name", ["docker-compose.yaml", "helm-values.yaml", "dagster.yaml", "workspace.yaml"])
def test_the_yaml_files_parse(name: str) -> None:
    assert isinstance(yaml.safe_load((DEPLOY / name).read_text()), dict)
