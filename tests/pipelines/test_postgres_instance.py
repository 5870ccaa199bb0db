"""The team deployment's Dagster instance (config/deploy/dagster.yaml) against a real PostgreSQL server.

`sdoh refresh`'s runs of the main job, on the real snapshot, on an instance made from exactly that file in a
temporary DAGSTER_HOME, with the DAGSTER_PG_* variables pointing at a PostgreSQL server this module starts on
loopback (tests/pipelines/postgres_server.py). Then psycopg2, not Dagster, reads the server's tables: the runs must be
there with status SUCCESS, their events in ``event_logs``, and the release the last run published must name, in its
manifest, materializations whose storage ids are rows of that ``event_logs`` table (the publish step asked the
Postgres instance which materializations it publishes).
"""

from __future__ import annotations

import io
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from assets.partitions import PARTITIONED_SOURCES
from assets.settings import CONFIG_DIR, Settings
from pipelines.launch import RunOutcome
from pipelines.refresh import MAIN_JOB
from tests.conftest import settings_environment
from tests.pipelines.postgres_server import PostgresServer, running_postgres

DEPLOY_INSTANCE = CONFIG_DIR / "deploy" / "dagster.yaml"

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("postgres_instance")]


@pytest.fixture(scope="module")
def postgres() -> Iterator[PostgresServer]:
    with running_postgres() as server:
        yield server


@pytest.fixture(scope="module")
def team_home(postgres: PostgresServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A DAGSTER_HOME holding config/deploy/dagster.yaml byte for byte, with the DAGSTER_PG_* variables set (and
    put back afterwards), as the containers of docker-compose.yaml have them."""
    home = tmp_path_factory.mktemp("team_dagster_home")
    shutil.copyfile(DEPLOY_INSTANCE, home / "dagster.yaml")
    values = {**postgres.env(), "DAGSTER_HOME": str(home)}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in values.items():
            patch.setenv(name, value)
        yield home


def refresh_on(instance: dg.DagsterInstance, settings: Settings) -> list[RunOutcome]:
    """`sdoh refresh`'s runs on ``instance`` (as tests/conftest.py's run_release_job does on a SQLite one)."""
    from pipelines.refresh import execute_plan, plan_refresh

    out = io.StringIO()
    with settings_environment(settings):
        runs = plan_refresh(instance, settings)
        outcomes = execute_plan(instance, runs, settings.data_dir / "logs", out=out, err=out)
    if len(outcomes) < len(runs) or not all(o.success for o in outcomes):
        print(out.getvalue()[-5000:])
    return outcomes


@pytest.fixture(scope="module")
def team_release(team_home: Path, make_settings) -> tuple[Settings, list[RunOutcome], dict]:
    settings = make_settings("team_release")
    with dg.DagsterInstance.get() as instance:
        # the instance is the file's: Postgres storage, one run at a time
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert type(instance.event_log_storage).__name__ == "PostgresEventLogStorage"
        assert type(instance.schedule_storage).__name__ == "PostgresScheduleStorage"
        assert instance.get_concurrency_config().run_queue_config.max_concurrent_runs == 1
        outcomes = refresh_on(instance, settings)
    from assets.publish.release_writer import list_releases

    releases = list_releases(settings.published_dir)
    assert len(releases) == 1, f"expected one release in a fresh working folder, found {len(releases)}"
    return settings, outcomes, releases[0].manifest


def test_the_main_job_runs_on_the_postgres_instance_and_its_runs_are_in_postgres(
    team_release: tuple[Settings, list[RunOutcome], dict], postgres: PostgresServer
) -> None:
    _, outcomes, manifest = team_release
    # sdoh refresh = 1 run (boundaries, config, what needs no vintage) + 1 per partitioned source + 1 build and publish
    assert len(PARTITIONED_SOURCES) == 4
    assert len(outcomes) == 1 + 4 + 1
    assert all(o.success for o in outcomes), [o.run_id for o in outcomes if not o.success]
    run_ids = [o.run_id for o in outcomes]

    con = postgres.connect()
    try:
        with con.cursor() as cur:
            cur.execute("select run_id, status, pipeline_name from runs where run_id = any(%s)", (run_ids,))
            runs = {run_id: (status, job) for run_id, status, job in cur.fetchall()}
            # Dagster stores RUN_SUCCESS under its old name, PIPELINE_SUCCESS (DagsterEventType's value); log
            # messages (context.log) are rows without an event type.
            cur.execute(
                "select run_id, count(dagster_event_type), count(*) filter (where dagster_event_type = %s) "
                "from event_logs where run_id = any(%s) group by run_id",
                (dg.DagsterEventType.RUN_SUCCESS.value, run_ids),
            )
            events = {run_id: (total, successes) for run_id, total, successes in cur.fetchall()}
            storage_ids = [m["storage_id"] for m in manifest["materializations"]]
            cur.execute(
                "select id, run_id, dagster_event_type, asset_key from event_logs where id = any(%s)", (storage_ids,)
            )
            rows = {storage_id: (run_id, kind, key) for storage_id, run_id, kind, key in cur.fetchall()}
    finally:
        con.close()

    assert set(runs) == set(run_ids), "a run of the refresh is missing from Postgres's runs table"
    assert {status for status, _ in runs.values()} == {"SUCCESS"}
    assert runs[run_ids[-1]][1] == MAIN_JOB  # the last run builds and publishes
    assert [runs[r][1] for r in run_ids[1:5]] == [f"refresh_{p.source}" for p in PARTITIONED_SOURCES]
    assert set(events) == set(run_ids), "a run has no events in Postgres's event_logs table"
    # each run's own events, one RUN_SUCCESS each; and what the console read back equals what Postgres holds
    assert all(successes == 1 for _, successes in events.values())
    for outcome in outcomes:
        assert events[outcome.run_id][0] == len(outcome.all_events)

    # The manifest's lineage came from this instance: each storage id is that materialization's row in Postgres.
    assert manifest["materializations"], "the release names no materializations"
    assert set(rows) == set(storage_ids)
    for m in manifest["materializations"]:
        run_id, kind, key = rows[m["storage_id"]]
        assert (run_id, kind) == (m["run_id"], "ASSET_MATERIALIZATION")
        assert json.loads(key) == m["asset"].split("/")
        assert run_id in run_ids


def test_the_release_is_published_and_the_instance_knows_it(
    team_release: tuple[Settings, list[RunOutcome], dict], team_home: Path
) -> None:
    import duckdb

    settings, outcomes, manifest = team_release
    con = duckdb.connect(str(settings.published_dir / "sdoh_published.duckdb"), read_only=True)
    try:
        latest = con.execute("select release_id from releases where is_latest").fetchall()
    finally:
        con.close()
    assert latest == [(manifest["release_id"],)]
    with dg.DagsterInstance.get() as instance:
        assert os.environ["DAGSTER_HOME"] == str(team_home)
        [record] = instance.fetch_materializations(dg.AssetKey("published_release"), limit=1).records
    assert record.run_id == outcomes[-1].run_id
