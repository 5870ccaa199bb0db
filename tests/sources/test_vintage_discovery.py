"""Vintage discovery (sources/*/discovery.py, sources/core/probe.py, pipelines/discovery.py): which vintages each
source has, in the snapshot folder (read in place) and live, against loopback servers; never the internet.

Live answers come from real HTTP servers on 127.0.0.1: the Census replay server (tests/sources/census_replay_server.py)
serving a catalog GENERATED from the snapshot's census_api/ folder names, and a static file host
(tests/sources/file_server.py) serving small generated files and JSON with ETag/Last-Modified. Each test checks what
the server received, what was landed, and what discovery made of it.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from assets.settings import settings_from_env
from pipelines.discovery import discover
from sources.cdc_places.discovery import live_places_releases
from sources.cdc_svi.discovery import live_svi_releases, svi_candidates
from sources.census_api.discovery import CATALOG_RELPATH, live_census_vintages, snapshot_census_vintages
from sources.census_api.fetch import PACKAGE_BASE_URL
from sources.core.http import LandingSession, RetrySettings
from sources.core.landing import sidecar_path
from sources.core.vintages import folder_fingerprint
from sources.hud_chas.discovery import chas_candidates, live_chas_periods
from tests.sources.census_replay_server import CannedResponse, CensusReplayServer, catalog_from_snapshot
from tests.sources.file_server import FileServer, ServedFile

KEY = "discovery-test-key-987"
TOKEN = "socrata-test-token-654"
FAST = RetrySettings(max_retries=3, backoff_factor=0.001, backoff_jitter=0.0, backoff_max=0.05, timeout_seconds=5.0)
CONFIG_DIR = settings_from_env().config_dir
TODAY = date(2026, 12, 1)  # the project's "now": SVI 2024 and CHAS 2019thru2023 / 2020thru2024 may be out
SVI_HOST = "https://svi.cdc.gov"
HUD_HOST = "https://www.huduser.gov"
SOCRATA_HOST = "https://data.cdc.gov"


def landed_files(landing: Path) -> list[Path]:
    return sorted(p for p in landing.rglob("*") if p.is_file())


def assert_secret_nowhere(landing: Path, secret: str, *texts: str) -> None:
    for path in landed_files(landing):
        assert secret not in path.name, f"secret in a landed name: {path}"
        assert secret not in path.read_text(errors="replace"), f"secret in landed {path}"
    for text in texts:
        assert secret not in text


# --- snapshot ---------------------------------------------------------------------------------------------------


def test_snapshot_vintages_of_every_source_are_the_folders_that_hold_their_data(snapshot_dir: Path) -> None:
    settings = settings_from_env({"SDOH_SNAPSHOT_DIR": str(snapshot_dir)})
    found = {source: discover(source, settings).keys for source in ("census_api", "cdc_places", "cdc_svi", "hud_chas")}
    # census_api/2010 holds only dec/sf1 (no acs/acs5): not an ACS 5-year vintage; cdc_svi/docs is not a release
    assert found == {
        "census_api": ["2017", "2018", "2019", "2020", "2021", "2022", "2023", "2024"],
        "cdc_places": ["2022", "2023"],
        "cdc_svi": ["2018", "2020", "2022"],
        "hud_chas": ["2018thru2022"],
    }
    census = {v.key: v for v in snapshot_census_vintages(snapshot_dir).vintages}
    assert census["2024"].evidence == "34 files, 39.4 MB"  # county and state group() responses of PROVENANCE.md
    assert census["2024"].where == str(snapshot_dir / "census_api" / "2024")


def test_folder_fingerprint_changes_with_a_file_and_follows_symlinks(tmp_path: Path, snapshot_dir: Path) -> None:
    real = snapshot_dir / "cdc_svi" / "2022"
    linked = tmp_path / "2022"
    linked.mkdir()
    (linked / "SVI_2022_US_county.csv").symlink_to(real / "SVI_2022_US_county.csv")
    assert folder_fingerprint(linked) == folder_fingerprint(real)  # a copy made of links looks like the files

    (linked / "README.txt").write_text("a note added beside the data\n")
    with_note = folder_fingerprint(linked)
    assert with_note != folder_fingerprint(real)
    os.utime(linked / "README.txt", ns=(1, 1))
    assert folder_fingerprint(linked) != with_note  # same name and size, new mtime: changed
    assert folder_fingerprint(linked) == folder_fingerprint(linked)


# --- live: Census API catalog -----------------------------------------------------------------------------------


@pytest.fixture
def census_server(snapshot_dir: Path) -> Iterator[CensusReplayServer]:
    with CensusReplayServer(snapshot_dir, accepted_key=KEY) as server:
        server.serve_catalog(catalog_from_snapshot(snapshot_dir / "census_api", server.base_url))
        yield server


def census_session(landing: Path, server: CensusReplayServer, key: str = KEY) -> LandingSession:
    return LandingSession(landing, FAST, secrets={"key": key}, rewrites={PACKAGE_BASE_URL: server.base_url})


def test_census_catalog_is_landed_then_parsed_into_acs5_vintages(
    census_server: CensusReplayServer, tmp_path: Path
) -> None:
    landing = tmp_path / "raw"
    with census_session(landing, census_server) as session:
        discovery = live_census_vintages(session)

    assert discovery.problems == []
    # only c_dataset == ["acs", "acs5"]: 2010 (dec/sf1 only) is absent, 2020's dec/pl and the subject tables add none
    assert discovery.keys == ["2017", "2018", "2019", "2020", "2021", "2022", "2023", "2024"]
    [request] = census_server.data_requests
    assert request.path == "/data.json" and request.params["key"] == [KEY]
    [landed] = [p for p in landed_files(landing) if not p.name.endswith(".meta.json")]
    assert landed.parent == landing / Path(CATALOG_RELPATH).parent and landed.name.startswith("data.")
    assert json.loads(landed.read_text())["description"].startswith("GENERATED")
    meta = json.loads(sidecar_path(landed).read_text())
    assert meta["url"] == f"{census_server.base_url}.json" and meta["status"] == 200
    assert {v.where for v in discovery.vintages} == {meta["url"]}
    assert_secret_nowhere(landing, KEY, *discovery.problems)


def test_census_catalog_fingerprint_follows_the_modified_date(
    census_server: CensusReplayServer, snapshot_dir: Path, tmp_path: Path
) -> None:
    with census_session(tmp_path / "raw", census_server) as session:
        before = {v.key: v.fingerprint for v in live_census_vintages(session).vintages}
        catalog = catalog_from_snapshot(snapshot_dir / "census_api", census_server.base_url)
        for entry in catalog["dataset"]:
            if entry["c_vintage"] == 2023:
                entry["modified"] = "2027-01-15"  # the Bureau re-released 2019-2023
        census_server.serve_catalog(catalog)
        after = {v.key: v.fingerprint for v in live_census_vintages(session).vintages}
    assert [k for k in before if before[k] != after[k]] == ["2023"]


def test_census_catalog_4xx_is_a_clear_problem_tried_once(census_server: CensusReplayServer, tmp_path: Path) -> None:
    landing = tmp_path / "raw"
    census_server.enqueue(CannedResponse(403, "<html><body><h1>Forbidden</h1>key suspended</body></html>"))
    with census_session(landing, census_server) as session:
        discovery = live_census_vintages(session)

    assert discovery.vintages == []
    [problem] = discovery.problems
    assert problem.startswith("Census API dataset catalog: GET ")
    assert "answered HTTP 403 after 1 attempt" in problem and "key suspended" in problem
    assert len(census_server.data_requests) == 1  # a 4xx is not retried
    assert any(p.name.endswith(".http403") for p in landed_files(landing))  # the error page is landed too
    assert_secret_nowhere(landing, KEY, problem)


def test_census_invalid_key_page_is_reported_not_parsed(census_server: CensusReplayServer, tmp_path: Path) -> None:
    with census_session(tmp_path / "raw", census_server, key="not-the-key") as session:
        discovery = live_census_vintages(session)
    [problem] = discovery.problems
    assert "is not JSON" in problem and "Invalid Key" in problem
    assert "not-the-key" not in problem


def test_census_catalog_5xx_is_retried_by_the_session(census_server: CensusReplayServer, tmp_path: Path) -> None:
    busy = CannedResponse(503, "<html><body>Service Unavailable</body></html>", content_type="text/html")
    census_server.enqueue(busy, busy)
    with census_session(tmp_path / "raw", census_server) as session:
        discovery = live_census_vintages(session)
    assert discovery.problems == []
    assert "2024" in discovery.keys
    assert [r.path for r in census_server.data_requests] == ["/data.json"] * 3


def test_census_live_without_a_key_asks_nothing(tmp_path: Path, snapshot_dir: Path) -> None:
    settings = settings_from_env(
        {"SDOH_MODE": "live", "SDOH_DATA_DIR": str(tmp_path), "SDOH_SNAPSHOT_DIR": str(snapshot_dir)}
    )
    discovery = discover("census_api", settings, environ={})
    assert discovery.vintages == []
    assert discovery.problems == [
        "live mode needs a Census API key: set CENSUS_API_KEY (https://api.census.gov/data/key_signup.html)"
    ]
    assert not (tmp_path / "raw").exists()


# --- live: SVI and CHAS downloads, probed ---------------------------------------------------------------------------


def svi_path(year: str) -> str:
    return f"/Documents/Data/{year}/csv/states_counties/SVI_{year}_US_county.csv"


def chas_path(period: str) -> str:
    return f"/PORTAL/datasets/cp/{period}-050-csv.zip"


def generated_csv(year: str) -> ServedFile:
    return ServedFile(f"ST,STATE,FIPS\n1,Alabama,1001\n# generated for a loopback test ({year})\n".encode())


def test_svi_probe_finds_a_new_release_by_head_and_fingerprints_its_etag(tmp_path: Path) -> None:
    files = {svi_path(y): generated_csv(y) for y in ("2018", "2020", "2022", "2024")}
    landing = tmp_path / "raw"
    with FileServer(files) as server, LandingSession(landing, FAST, rewrites={SVI_HOST: server.base_url}) as session:
        first = live_svi_releases(session, CONFIG_DIR / "cdc_svi.yaml", today=TODAY)
        server.put(svi_path("2022"), ServedFile(b"corrected\n", etag='"svi-2022-corrected"'))
        second = live_svi_releases(session, CONFIG_DIR / "cdc_svi.yaml", today=TODAY)

    assert first.problems == [] and first.keys == ["2018", "2020", "2022", "2024"]
    assert {r.method for r in server.requests} == {"HEAD"}  # no body was downloaded
    found = {v.key: v for v in first.vintages}
    assert found["2024"].evidence.startswith(f"ETag {files[svi_path('2024')].tag}, Last-Modified Tue, 01 Jul 2025")
    assert found["2024"].where == f"{server.base_url}{svi_path('2024')}"
    changed = {v.key for v in second.vintages if v.fingerprint != found[v.key].fingerprint}
    assert changed == {"2022"}
    heads = [p for p in landed_files(landing) if p.name.startswith("SVI_2024") and not p.name.endswith(".meta.json")]
    assert heads, "the HEAD answer was not landed"
    record = json.loads(heads[0].read_text())
    assert (
        record["method"] == "HEAD"
        and record["status"] == 200
        and record["headers"]["ETag"] == files[svi_path("2024")].tag
    )


def test_svi_guessed_next_release_absent_is_silent_but_a_configured_one_is_reported(tmp_path: Path) -> None:
    candidates = svi_candidates(CONFIG_DIR / "cdc_svi.yaml", today=date(2027, 3, 1))
    assert [(c.key, c.expected) for c in candidates] == [
        ("2018", True),
        ("2020", True),
        ("2022", True),
        ("2024", False),
        ("2026", False),
    ]
    files = {svi_path(y): generated_csv(y) for y in ("2018", "2022")}  # 2020 is missing; 2024, 2026 not out yet
    with (
        FileServer(files) as server,
        LandingSession(tmp_path / "raw", FAST, rewrites={SVI_HOST: server.base_url}) as session,
    ):
        discovery = live_svi_releases(session, CONFIG_DIR / "cdc_svi.yaml", today=date(2027, 3, 1))
    assert discovery.keys == ["2018", "2022"]
    [problem] = discovery.problems
    assert problem.startswith("cdc_svi 2020: HEAD ") and "answered HTTP 404 after 1 attempt(s)" in problem


def test_probe_retries_5xx_then_reads_the_answer(tmp_path: Path) -> None:
    files = {svi_path(y): generated_csv(y) for y in ("2018", "2020", "2022")}
    with (
        FileServer(files) as server,
        LandingSession(tmp_path / "raw", FAST, rewrites={SVI_HOST: server.base_url}) as session,
    ):
        server.enqueue(svi_path("2022"), 503, 502)
        discovery = live_svi_releases(session, CONFIG_DIR / "cdc_svi.yaml", today=date(2024, 6, 1))
    assert discovery.problems == [] and discovery.keys == ["2018", "2020", "2022"]
    assert len(server.seen(svi_path("2022"), "HEAD")) == 3
    landed = [p.name for p in landed_files(tmp_path / "raw") if p.name.startswith("SVI_2022")]
    assert any(n.endswith(".http503") for n in landed) and any(n.endswith(".http502") for n in landed)


def test_chas_probe_falls_back_to_a_ranged_get_when_head_is_refused(tmp_path: Path) -> None:
    assert [c.key for c in chas_candidates(CONFIG_DIR / "hud_chas.yaml", ["2018thru2022"], TODAY)] == [
        "2018thru2022",
        "2019thru2023",
        "2020thru2024",
    ]
    big = ServedFile(b"PK" + b"\0" * 100_000, etag='"chas-2019thru2023"')
    files = {chas_path("2018thru2022"): ServedFile(b"PK\0\0"), chas_path("2019thru2023"): big}
    with (
        FileServer(files, refuse_head=True) as server,
        LandingSession(tmp_path / "raw", FAST, rewrites={HUD_HOST: server.base_url}) as session,
    ):
        discovery = live_chas_periods(session, CONFIG_DIR / "hud_chas.yaml", today=TODAY)

    assert discovery.problems == []
    assert discovery.keys == ["2018thru2022", "2019thru2023"]  # 2020thru2024: 404, not published yet
    found = {v.key: v for v in discovery.vintages}
    assert found["2019thru2023"].evidence.startswith('ETag "chas-2019thru2023", Last-Modified ')
    assert found["2019thru2023"].evidence.endswith("100002 bytes")  # the size from Content-Range, body not read
    ranged = server.seen(chas_path("2019thru2023"), "GET")
    assert len(ranged) == 1 and ranged[0].headers.get("Range") == "bytes=0-0"
    assert len(server.seen(chas_path("2019thru2023"), "HEAD")) == 1


# --- live: CDC PLACES on Socrata ------------------------------------------------------------------------------------


def view(dataset_id: str, rows_updated_at: int) -> ServedFile:
    body = {"id": dataset_id, "name": "generated Socrata view metadata", "rowsUpdatedAt": rows_updated_at}
    return ServedFile(json.dumps(body).encode(), content_type="application/json")


def catalog(*releases: tuple[str, str]) -> ServedFile:
    results = [
        {
            "resource": {
                "id": i,
                "name": f"PLACES: Local Data for Better Health, County Data {y} release",
                "data_updated_at": f"{y}-08-30T12:00:00.000Z",
            }
        }
        for y, i in releases
    ]
    results.append({"resource": {"id": "aaaa-bbbb", "name": "PLACES: County Data (GIS Friendly Format), 2024 release"}})
    return ServedFile(
        json.dumps({"results": results, "resultSetSize": len(results)}).encode(), content_type="application/json"
    )


def test_places_configured_releases_by_rows_updated_and_a_newer_release_from_the_catalog(tmp_path: Path) -> None:
    files = {
        "/api/views/duw2-7jbt.json": view("duw2-7jbt", 1_667_000_000),
        "/api/views/swc5-untb.json": view("swc5-untb", 1_693_000_000),
        "/api/catalog/v1": catalog(("2023", "swc5-untb"), ("2024", "fu4u-a9bh")),
    }
    landing = tmp_path / "raw"
    with (
        FileServer(files) as server,
        LandingSession(
            landing, FAST, secret_headers={"X-App-Token": TOKEN}, rewrites={SOCRATA_HOST: server.base_url}
        ) as session,
    ):
        discovery = live_places_releases(session, SOCRATA_HOST, {"2022": "duw2-7jbt", "2023": "swc5-untb"})

    assert discovery.problems == []
    assert discovery.keys == ["2022", "2023", "2024"]
    found = {v.key: v for v in discovery.vintages}
    assert found["2023"].evidence == "dataset swc5-untb, rows updated 2023-08-25T21:46:40+00:00"
    assert found["2024"].evidence.startswith("dataset fu4u-a9bh (not in config/cdc_places.yaml)")
    [search] = server.seen("/api/catalog/v1")
    assert "County+Data" in search.query and "only=dataset" in search.query
    assert all(r.headers.get("X-App-Token") == TOKEN for r in server.requests)
    assert_secret_nowhere(landing, TOKEN)


def test_places_catalog_failure_does_not_hide_the_configured_releases(tmp_path: Path) -> None:
    files = {"/api/views/duw2-7jbt.json": view("duw2-7jbt", 1_667_000_000)}
    with (
        FileServer(files) as server,
        LandingSession(tmp_path / "raw", FAST, rewrites={SOCRATA_HOST: server.base_url}) as session,
    ):
        discovery = live_places_releases(session, SOCRATA_HOST, {"2022": "duw2-7jbt"})
    assert discovery.keys == ["2022"]
    [problem] = discovery.problems
    assert problem.startswith("PLACES release search in the portal's catalog: GET ") and "HTTP 404" in problem


def test_discovery_is_fast_enough_for_a_sensor_tick(snapshot_dir: Path) -> None:
    settings = settings_from_env({"SDOH_SNAPSHOT_DIR": str(snapshot_dir)})
    started = time.perf_counter()
    for source in ("census_api", "cdc_places", "cdc_svi", "hud_chas"):
        discover(source, settings)
    assert time.perf_counter() - started < 2.0
