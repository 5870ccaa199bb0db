"""The raw asset in live mode, end to end in Dagster, against the loopback Census API replay server."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import duckdb
from dagster_duckdb import DuckDBResource

from assets.partitions import CENSUS_API, partition_range_tags, sync_configured_partitions
from assets.raw.census_api_raw import census_api_raw
from assets.resources import SdohSources
from assets.settings import CONFIG_DIR
from sources.census_api import plan_requests
from sources.indicator_config import load_project_config
from tests.sources.census_replay_server import CensusReplayServer

KEY = "test-key-live-asset-42"
# Two consecutive vintages landed as one partition range, as `sdoh refresh` lands every configured vintage: 41 of the
# 158 configured calls (county tables and subject tables of 2014-2018 and 2013-2017), which exercise every code path
# of the live landing; all 158 cost this suite ~35 s more and prove nothing further (the snapshot runs parse them all).
VINTAGES = ["2017", "2018"]


def test_census_api_raw_live_lands_every_response_of_its_vintages_and_parses_like_the_snapshot(
    snapshot_dir: Path, tmp_path: Path
) -> None:
    config = load_project_config(CONFIG_DIR)
    calls = [
        c
        for c in plan_requests(config.indicator_variables, config.census_datasets, config.identities)
        if c.vintage in VINTAGES
    ]
    warehouse = tmp_path / "warehouse.duckdb"
    with CensusReplayServer(snapshot_dir, accepted_key=KEY) as server, dg.instance_for_test() as instance:
        # a range of vintages in one run, as `sdoh refresh` lands a partitioned source
        sync_configured_partitions(instance, CONFIG_DIR)
        keys = instance.get_dynamic_partitions(CENSUS_API.name)
        assert keys[keys.index(VINTAGES[0]) : keys.index(VINTAGES[-1]) + 1] == VINTAGES
        result = dg.materialize(
            [census_api_raw],
            instance=instance,
            tags=partition_range_tags(VINTAGES),
            resources={
                "sdoh": SdohSources(
                    snapshot_dir=str(snapshot_dir),
                    data_dir=str(tmp_path / "data"),
                    mode="live",
                    census_api_base_url=server.base_url,
                    census_api_key=KEY,
                ),
                "warehouse": DuckDBResource(database=str(warehouse)),
            },
        )
        requests_made = list(server.data_requests)
    assert result.success
    # One HTTP call per planned call, each with the key, never more than 49 fields (NAME included): the census
    # package sends that many as one call.
    assert len(calls) == 41 and len(requests_made) == len(calls)
    assert all(len(r.get_variables) <= 49 for r in requests_made)
    assert all(r.params["key"] == [KEY] for r in requests_made)

    landed = sorted((tmp_path / "data" / "raw" / "census_api").rglob("*.json"))
    bodies = [p for p in landed if not p.name.endswith(".meta.json")]
    assert len(bodies) == len(calls)
    assert all(KEY not in p.read_text() for p in landed if p.name.endswith(".meta.json"))

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        king = con.execute(
            """select value from raw.census_api_raw where vintage_year = '2018' and geoid = '53033'
               and variable in ('B19013_001E', 'B19013_001M') order by variable"""
        ).fetchall()
        modes = con.execute("select distinct mode from raw.census_api_raw").fetchall()
        sources = {r[0] for r in con.execute("select distinct source_file from raw.census_api_raw").fetchall()}
    finally:
        con.close()
    assert king == [(89418.0,), (784.0,)]  # King County median household income 2014-2018: 89,418 ± 784
    assert modes == [("live",)]
    assert sources == {str(p.relative_to(tmp_path / "data" / "raw")) for p in bodies}
    metadata = result.asset_materializations_for_node("census_api_raw")[0].metadata
    assert KEY not in str(metadata)
