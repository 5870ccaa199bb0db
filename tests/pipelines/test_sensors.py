"""The code location's sensors (pipelines/sensors.py), evaluated as the sensor daemon would, on a test instance.

- ``new_<source>_vintages`` in snapshot mode: on a copy of the snapshot made of symlinks (never a copy of the files;
  the shared snapshot is never modified) without one real vintage folder, then with it.
- ``new_census_api_vintages`` in live mode: against the Census replay server on 127.0.0.1 serving a catalog
  GENERATED from the snapshot's folder names.
- ``alert_on_run_failure``: a tiny failing job run in process, then the sensor; the webhook is a loopback server.

The sensor daemon applies a ``SensorResult``'s dynamic partition requests to the instance before it launches the
runs; ``evaluate_tick`` (what tests can call) only returns them, so :func:`apply_partitions` does the daemon's part.
No whole-graph materialization here.
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import dagster as dg
import pytest

from assets.partitions import BY_SOURCE, sync_configured_partitions
from assets.settings import CONFIG_DIR, settings_from_env
from pipelines.definitions import build_definitions, refresh_jobs
from pipelines.sensors import FAILURE_SENSOR, build_sensors, plan_vintages, read_cursor
from sources.core.errors import SourceError
from sources.core.vintages import FoundVintage
from tests.sources.census_replay_server import CannedResponse, CensusReplayServer, catalog_from_snapshot
from tests.sources.loopback import start_loopback, stop_loopback

defs = build_definitions()

KEY = "sensor-test-key-5150"
NEW_VINTAGE_SENSORS = {
    "census_api": "new_census_api_vintages",
    "cdc_places": "new_cdc_places_vintages",
    "cdc_svi": "new_cdc_svi_vintages",
    "hud_chas": "new_hud_chas_vintages",
}


# --- helpers ----------------------------------------------------------------------------------------------------


def linked_snapshot(snapshot_dir: Path, target: Path, *, expand: tuple[str, ...], leave_out: tuple[str, ...]) -> Path:
    """A copy of the snapshot made of symlinks: every entry is a link to the real one, except the folders in
    ``expand`` (real folders whose entries are links, recursively by the same rule) and ``leave_out`` (absent)."""

    def link(source: Path, dest: Path, rel: str) -> None:
        if rel in leave_out:
            return
        if rel in expand:
            dest.mkdir(parents=True)
            for child in sorted(source.iterdir()):
                link(child, dest / child.name, f"{rel}/{child.name}" if rel else child.name)
        else:
            dest.symlink_to(source)

    link(snapshot_dir, target, "")
    return target


@pytest.fixture(scope="module")
def module_instance() -> Iterator[dg.DagsterInstance]:
    """One test instance for this module (setting one up takes 1-2 s; each test resets what it reads)."""
    with dg.instance_for_test() as test_instance:
        yield test_instance


@pytest.fixture
def instance(module_instance: dg.DagsterInstance) -> dg.DagsterInstance:
    """The test instance with exactly the configured vintages as partitions (what `sdoh` / instance set-up adds)."""
    for source in BY_SOURCE.values():
        for key in module_instance.get_dynamic_partitions(source.name):
            module_instance.delete_dynamic_partition(source.name, key)
    sync_configured_partitions(module_instance, CONFIG_DIR)
    return module_instance


@pytest.fixture
def instance_before_2024(instance: dg.DagsterInstance) -> dg.DagsterInstance:
    """The configured vintages as partitions, except the newest, 2024 (ACS 2020-24): the instance as it was before
    that vintage was published and configured, so the census sensors have a new vintage to find."""
    instance.delete_dynamic_partition(BY_SOURCE["census_api"].name, "2024")
    return instance


def evaluate(name: str, instance: dg.DagsterInstance, cursor: str | None = None):
    """One tick of a sensor of the project's Definitions (``SensorExecutionData``: run requests, partition
    requests, cursor, skip message)."""
    sensor = defs.resolve_sensor_def(name)
    with dg.build_sensor_context(
        instance=instance,
        instance_ref=instance.get_ref(),  # as the daemon passes it: partition keys are then checked on the instance
        cursor=cursor,
        definitions=defs,
        sensor_name=name,
    ) as context:
        return sensor.evaluate_tick(context)


class SensorLogs:
    """What sensors log through ``context.log``: Dagster's console logger for sensors writes to stderr (INFO and
    above), which is what a deployment's sensor logs show; read with ``text`` after the evaluation."""

    def __init__(self, capfd: pytest.CaptureFixture[str]) -> None:
        self._capfd = capfd
        self._seen = ""

    @property
    def text(self) -> str:
        out, err = self._capfd.readouterr()
        self._seen += out + err
        return self._seen


@pytest.fixture
def dagster_logs(capfd: pytest.CaptureFixture[str]) -> SensorLogs:
    return SensorLogs(capfd)


def apply_partitions(instance: dg.DagsterInstance, result) -> None:
    """What the sensor daemon does with a tick's dynamic partition requests before launching its runs."""
    for request in result.dynamic_partitions_requests or []:
        assert isinstance(request, dg.AddDynamicPartitionsRequest)
        instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))


# --- the definitions ----------------------------------------------------------------------------------------------


def test_sensors_in_the_definitions_target_their_refresh_jobs_and_start_stopped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for source, name in NEW_VINTAGE_SENSORS.items():
        sensor = defs.resolve_sensor_def(name)
        assert sensor.job_name == f"refresh_{source}"
        assert sensor.default_status == dg.DefaultSensorStatus.STOPPED
    failure = defs.resolve_sensor_def(FAILURE_SENSOR)
    assert failure.default_status == dg.DefaultSensorStatus.RUNNING
    # the interval follows the mode the code location loads in (config/operations.yaml sensors.min_interval_seconds)
    for mode, seconds in (("snapshot", 60), ("live", 6 * 3600)):
        monkeypatch.setenv("SDOH_MODE", mode)
        built = {s.name: s for s in build_sensors(refresh_jobs)}
        assert {built[n].minimum_interval_seconds for n in NEW_VINTAGE_SENSORS.values()} == {seconds}
        assert set(built) == {*NEW_VINTAGE_SENSORS.values(), FAILURE_SENSOR}


def test_plan_vintages_first_sight_records_and_live_leaves_history_alone() -> None:
    def v(key: str, fp: str = "f1") -> FoundVintage:
        return FoundVintage(key, fp, "", "")

    found = [v("2016"), v("2022"), v("2023", "f2"), v("2024")]
    snapshot = plan_vintages(found, {"2022", "2023"}, {"2023": "f1"}, "snapshot")
    assert [x.key for x in snapshot.new] == ["2016", "2024"]
    assert [x.key for x in snapshot.changed] == ["2023"]
    assert [x.key for x in snapshot.recorded] == ["2022"]
    live = plan_vintages(found, {"2022", "2023"}, {"2023": "f1"}, "live")
    assert [x.key for x in live.new] == ["2024"] and [x.key for x in live.older] == ["2016"]
    assert [x.key for x in plan_vintages(found, set(), {}, "live").new] == ["2024"]  # no partitions: the newest only
    deleted = plan_vintages([v("2024")], {"2023"}, {"2024": "f1"}, "snapshot")
    assert deleted.to_run == [] and [x.key for x in deleted.not_readded] == ["2024"]


# --- snapshot mode ------------------------------------------------------------------------------------------------


def test_snapshot_sensor_adds_a_new_vintage_folder_once(
    snapshot_dir: Path, tmp_path: Path, instance_before_2024: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    """census_api/2024 (ACS 2020-24) is left out of the copy, then linked in: the sensor notices the new folder."""
    instance = instance_before_2024
    copy = linked_snapshot(
        snapshot_dir, tmp_path / "snapshot", expand=("", "census_api"), leave_out=("census_api/2024",)
    )
    monkeypatch.setenv("SDOH_SNAPSHOT_DIR", str(copy))
    monkeypatch.setenv("SDOH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SDOH_MODE", "snapshot")
    name = NEW_VINTAGE_SENSORS["census_api"]
    partitions = BY_SOURCE["census_api"].name

    first = evaluate(name, instance)
    assert first.run_requests == [] and not first.dynamic_partitions_requests
    assert "none new or changed; fingerprints recorded for 2017, 2018, 2019, 2020, 2021, 2022, 2023" in (
        first.skip_message or ""
    )
    assert sorted(read_cursor(first.cursor)["snapshot"]) == ["2017", "2018", "2019", "2020", "2021", "2022", "2023"]

    (copy / "census_api" / "2024").symlink_to(snapshot_dir / "census_api" / "2024")
    second = evaluate(name, instance, first.cursor)
    [request] = second.run_requests
    assert request.tags["dagster/asset_partition_range_start"] == "2024"
    assert request.job_name in (None, "refresh_census_api")  # the sensor's one job
    assert defs.resolve_sensor_def(name).job_name == "refresh_census_api"
    fingerprint = read_cursor(second.cursor)["snapshot"]["2024"]
    assert request.run_key == f"census_api:2024:{fingerprint}"
    assert request.tags["sdoh/vintage_state"] == "new"
    [added] = second.dynamic_partitions_requests
    assert (added.partitions_def_name, list(added.partition_keys)) == (partitions, ["2024"])
    assert "2024" not in instance.get_dynamic_partitions(partitions)
    apply_partitions(instance, second)
    assert "2024" in instance.get_dynamic_partitions(partitions)

    third = evaluate(name, instance, second.cursor)
    assert third.run_requests == [] and not third.dynamic_partitions_requests
    assert third.cursor == second.cursor


def test_snapshot_sensor_reruns_a_vintage_whose_file_changed(
    snapshot_dir: Path, tmp_path: Path, instance: dg.DagsterInstance, monkeypatch: pytest.MonkeyPatch
) -> None:
    copy = linked_snapshot(snapshot_dir, tmp_path / "snapshot", expand=("", "cdc_svi", "cdc_svi/2022"), leave_out=())
    monkeypatch.setenv("SDOH_SNAPSHOT_DIR", str(copy))
    monkeypatch.setenv("SDOH_DATA_DIR", str(tmp_path / "data"))
    name = NEW_VINTAGE_SENSORS["cdc_svi"]
    first = evaluate(name, instance)
    assert first.run_requests == []

    corrected = tmp_path / "SVI_2022_US_county.csv"  # CDC re-released 2022 (as it did for MP_CROWD)
    corrected.write_bytes((snapshot_dir / "cdc_svi/2022/SVI_2022_US_county.csv").read_bytes()[:4096])
    link = copy / "cdc_svi" / "2022" / "SVI_2022_US_county.csv"
    link.unlink()
    link.symlink_to(corrected)
    second = evaluate(name, instance, first.cursor)
    [request] = second.run_requests
    assert (
        request.tags["dagster/asset_partition_range_end"] == "2022" and request.tags["sdoh/vintage_state"] == "changed"
    )
    assert not second.dynamic_partitions_requests  # already a partition
    assert request.run_key != f"cdc_svi:2022:{read_cursor(first.cursor)['snapshot']['2022']}"
    assert evaluate(name, instance, second.cursor).run_requests == []


# --- live mode ----------------------------------------------------------------------------------------------------


@pytest.fixture
def live_census(snapshot_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[CensusReplayServer]:
    with CensusReplayServer(snapshot_dir, accepted_key=KEY) as server:
        server.serve_catalog(catalog_from_snapshot(snapshot_dir / "census_api", server.base_url))
        monkeypatch.setenv("SDOH_MODE", "live")
        monkeypatch.setenv("SDOH_SNAPSHOT_DIR", str(snapshot_dir))
        monkeypatch.setenv("SDOH_DATA_DIR", str(tmp_path / "data"))
        monkeypatch.setenv("SDOH_CENSUS_API_BASE_URL", server.base_url)
        monkeypatch.setenv("CENSUS_API_KEY", KEY)
        yield server


def test_live_census_sensor_adds_the_vintage_the_catalog_lists(
    live_census: CensusReplayServer,
    tmp_path: Path,
    instance_before_2024: dg.DagsterInstance,
    dagster_logs: SensorLogs,
) -> None:
    instance = instance_before_2024
    name = NEW_VINTAGE_SENSORS["census_api"]
    partitions = BY_SOURCE["census_api"].name
    first = evaluate(name, instance)
    [request] = first.run_requests
    assert request.tags["dagster/asset_partition_range_start"] == "2024" and request.tags["sdoh/mode"] == "live"
    [added] = first.dynamic_partitions_requests
    assert list(added.partition_keys) == ["2024"]
    apply_partitions(instance, first)
    assert "2024" in instance.get_dynamic_partitions(partitions)

    landing = tmp_path / "data" / "raw" / "discovery" / "census_api"
    [landed] = [p for p in landing.iterdir() if p.suffix == ".json" and not p.name.endswith(".meta.json")]
    assert json.loads(landed.read_text())["dataset"], "the catalog was not landed before it was parsed"
    [catalog_request] = live_census.data_requests
    assert catalog_request.path == "/data.json"

    second = evaluate(name, instance, first.cursor)
    assert second.run_requests == [] and not second.dynamic_partitions_requests
    assert len(live_census.data_requests) == 2

    shown = [dagster_logs.text, first.cursor or "", request.run_key or "", json.dumps(request.tags)]
    shown += [p.name for p in landing.iterdir()] + [p.read_text() for p in landing.iterdir()]
    assert not [text for text in shown if KEY in text], "the API key leaked"
    assert (
        f"census_api: new vintage 2024 (modified 2026-12-01) at {live_census.base_url}.json: adding partition "
        "census_api_vintage=2024 and requesting refresh_census_api"
    ) in dagster_logs.text


def test_live_census_sensor_reports_a_4xx_and_skips(
    live_census: CensusReplayServer, instance: dg.DagsterInstance, dagster_logs: SensorLogs
) -> None:
    live_census.enqueue(CannedResponse(400, "error: unknown/unsupported dataset"))
    result = evaluate(NEW_VINTAGE_SENSORS["census_api"], instance)
    assert result.run_requests == []
    assert "answered HTTP 400 after 1 attempt" in (result.skip_message or "")
    assert "unknown/unsupported dataset" in (result.skip_message or "")
    assert "census_api discovery (live): Census API dataset catalog: GET " in dagster_logs.text
    assert KEY not in (result.skip_message or "") + dagster_logs.text


# --- run failures -------------------------------------------------------------------------------------------------


class _Webhook:
    """A loopback HTTP server that records every POST body (the alert webhook stand-in)."""

    def __init__(self, status: int = 204) -> None:
        self.status = status
        self.received: list[tuple[str, dict]] = []
        self.arrived = threading.Event()

    def __enter__(self) -> _Webhook:
        webhook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                webhook.received.append((self.path, json.loads(body)))
                self.send_response(webhook.status)
                self.send_header("Content-Length", "0")
                self.end_headers()
                webhook.arrived.set()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._httpd, self._thread = start_loopback(Handler, "alert-webhook")
        return self

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}{path}"

    def __exit__(self, *exc: object) -> None:
        stop_loopback(self._httpd, self._thread)


PARSE_ERROR = (
    "census_api/2018/acs/acs5/county/B19013.json: record geoid=53033 (King County, Washington) field "
    "B19013_001E has non-numeric value '89,418'"
)


@dg.op
def land_county_incomes() -> None:
    raise SourceError(PARSE_ERROR)


@dg.op
def stage_other_tables() -> int:
    return 1


@dg.job
def tiny_refresh() -> None:
    land_county_incomes()
    stage_other_tables()


@pytest.fixture(scope="module")
def failed_run(module_instance: dg.DagsterInstance) -> tuple[dg.DagsterRun, dg.DagsterEvent]:
    """``tiny_refresh`` run once in process on the test instance: its run and its RUN_FAILURE event."""
    result = tiny_refresh.execute_in_process(instance=module_instance, raise_on_error=False)
    assert not result.success
    return result.dagster_run, result.get_run_failure_event()


def failure_context(instance: dg.DagsterInstance, failed: tuple[dg.DagsterRun, dg.DagsterEvent]):
    run, event = failed
    return dg.build_run_status_sensor_context(
        sensor_name=FAILURE_SENSOR, dagster_instance=instance, dagster_run=run, dagster_event=event
    )


def test_failure_sensor_writes_the_alert_and_posts_it(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    dagster_logs: SensorLogs,
    module_instance: dg.DagsterInstance,
    failed_run: tuple[dg.DagsterRun, dg.DagsterEvent],
) -> None:
    alerts = tmp_path / "alerts" / "failures.jsonl"
    with _Webhook() as webhook:
        monkeypatch.setenv("SDOH_DATA_DIR", str(tmp_path / "data"))
        monkeypatch.setenv("SDOH_ALERT_FILE", str(alerts))
        monkeypatch.setenv("SDOH_ALERT_WEBHOOK_URL", webhook.url("/hooks/T0/B0?token=hook-secret-77"))
        context = failure_context(module_instance, failed_run)
        run_id = context.dagster_run.run_id
        defs.resolve_sensor_def(FAILURE_SENSOR)(context)
        assert webhook.arrived.wait(5)

    [line] = alerts.read_text().splitlines()
    alert = json.loads(line)
    assert alert["job"] == "tiny_refresh" and alert["run_id"] == run_id
    assert alert["failed_steps"] == ["land_county_incomes"]
    assert alert["error"] == {"step": "land_county_incomes", "type": "SourceError", "message": PARSE_ERROR}
    assert alert["link"] == f"/runs/{run_id}"
    assert alert["summary"].startswith(f"run {run_id} of tiny_refresh failed: 1 step(s) failed (land_county_incomes)")
    [(path, posted)] = webhook.received
    assert posted == alert and path == "/hooks/T0/B0?token=hook-secret-77"
    assert alert["summary"] in dagster_logs.text
    assert "hook-secret-77" not in dagster_logs.text and "/hooks/T0" not in dagster_logs.text


def test_failure_sensor_survives_a_webhook_that_is_down(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    dagster_logs: SensorLogs,
    module_instance: dg.DagsterInstance,
    failed_run: tuple[dg.DagsterRun, dg.DagsterEvent],
) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("SDOH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("SDOH_ALERT_FILE", raising=False)
    monkeypatch.setenv("SDOH_ALERT_WEBHOOK_URL", f"http://127.0.0.1:{port}/hook?token=down-secret-12")
    defs.resolve_sensor_def(FAILURE_SENSOR)(failure_context(module_instance, failed_run))
    alert = json.loads((tmp_path / "data" / "alerts.jsonl").read_text())  # the default file
    assert alert["error"]["message"] == PARSE_ERROR
    assert f"alert webhook http://127.0.0.1:{port}/… failed: ConnectionError" in dagster_logs.text
    assert "down-secret-12" not in dagster_logs.text


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        (
            "SDOH_ALERT_WEBHOOK_URL",
            "hooks.example.org/T0?token=x",
            "SDOH_ALERT_WEBHOOK_URL must be an http:// or https:// URL",
        ),
        (
            "SDOH_ALERT_WEBHOOK_URL",
            "ftp://hooks.example.org/x",
            "SDOH_ALERT_WEBHOOK_URL must be an http:// or https:// URL",
        ),
        ("SDOH_ALERT_FILE", "{tmp}", "SDOH_ALERT_FILE must be a file to append alerts to"),
    ],
)
def test_alert_settings_are_checked_in_one_line(tmp_path: Path, variable: str, value: str, message: str) -> None:
    with pytest.raises(ValueError) as error:
        settings_from_env({variable: value.format(tmp=tmp_path)})
    assert str(error.value).startswith(message) and "\n" not in str(error.value)
    assert "token=x" not in str(error.value)
    settings = settings_from_env({"SDOH_DATA_DIR": str(tmp_path)})
    assert settings.alerts_path == tmp_path / "alerts.jsonl" and settings.alert_webhook_url is None
    assert "token" not in repr(settings_from_env({"SDOH_ALERT_WEBHOOK_URL": "https://h.example.org/x?token=y"}))
