"""Boundary layers in live mode, end to end in Dagster, against a loopback server standing in for www2.census.gov.

The server answers the Census Bureau's cartographic-boundary URLs (config/geographies.yaml `live_path`) with zips
GENERATED here from the snapshot's own boundary files, rewritten as the Bureau ships them (zipped shapefiles with
GEOID and NAME fields; tracts one zip per state). The asset must download each zip, land it under data/raw with
its content hash in the name, and read the same features it reads from the snapshot.
"""

from __future__ import annotations

import functools
import zipfile
from http.server import SimpleHTTPRequestHandler
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from dagster_duckdb import DuckDBResource

from assets.geographies.geo_boundaries import geo_boundaries
from assets.geographies.ref_county_geoids import ref_county_geoids
from assets.geographies.ref_tract_relationship import ref_tract_relationship
from assets.resources import SdohSources
from assets.settings import CONFIG_DIR
from sources.census_geo import read_boundary_layer
from sources.geo_config import load_geo_config
from tests.sources.boundary_files import snapshot_layer
from tests.sources.loopback import start_loopback, stop_loopback


def _write_zip(frame, target: Path) -> None:
    """A zipped shapefile like the Census Bureau's (generated from snapshot geometries)."""
    stem = target.stem
    shp_dir = target.parent / f".{stem}"
    shp_dir.mkdir(parents=True)
    frame.rename(columns={"geoid": "GEOID", "name": "NAME"})[["GEOID", "NAME", "geometry"]].to_file(
        shp_dir / f"{stem}.shp"
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w") as zf:
        for part in sorted(shp_dir.iterdir()):
            zf.write(part, part.name)


@pytest.fixture(scope="module")
def census_geo_site(snapshot_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    site = tmp_path_factory.mktemp("www2")
    config = load_geo_config(CONFIG_DIR)
    expected: dict[str, int] = {}
    for name, spec in config.boundary_layers.items():
        frame, _ = read_boundary_layer(name, spec, snapshot_layer(snapshot_dir, name, spec))
        frame = frame[frame.geometry.notna()]
        expected[f"{spec['geo_type']} {spec['geo_vintage']}"] = len(frame)
        for state in spec.get("states") or [None]:
            part = frame if state is None else frame[frame["geoid"].str[:2] == state]
            _write_zip(part, site / spec["live_path"].format(state=state))
    relationship = config.settings["tract_relationship"]
    target = site / relationship["live_path"]
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes((snapshot_dir / relationship["snapshot"]).read_bytes())
    return site, expected


def test_boundaries_are_downloaded_landed_and_read_like_the_snapshot(census_geo_site, snapshot_dir, tmp_path) -> None:
    site, expected = census_geo_site
    requested: list[str] = []

    class Handler(SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            requested.append(self.path)

    httpd, thread = start_loopback(functools.partial(Handler, directory=str(site)), "www2-replay")
    try:
        result = dg.materialize(
            [geo_boundaries, ref_tract_relationship, ref_county_geoids],
            resources={
                "sdoh": SdohSources(
                    snapshot_dir=str(snapshot_dir),
                    data_dir=str(tmp_path / "data"),
                    mode="live",
                    census_geo_base_url=f"http://127.0.0.1:{httpd.server_address[1]}",
                ),
                "warehouse": DuckDBResource(database=str(tmp_path / "warehouse.duckdb")),
            },
        )
    finally:
        stop_loopback(httpd, thread)
    assert result.success
    assert any("cb_2020_06_tract_500k.zip" in p for p in requested)
    assert any("tab20_tract20_tract10_natl.txt" in p for p in requested)
    landed = sorted((tmp_path / "data" / "raw" / "census_geo").rglob("*.zip"))
    assert len(landed) == 6  # 2 county vintages, 2020 tracts for CA and WA, 2010 tracts for WA, AIANNH
    assert all(p.with_name(p.name + ".meta.json").is_file() for p in landed)
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True)
    try:
        counts = dict(
            con.execute(
                """select geo_type || ' ' || geo_vintage, count(*) from geographies.geo_boundaries
                   where geo_type in ('county', 'tract', 'aiannh') and geometry_wkb is not null group by 1"""
            ).fetchall()
        )
        assert counts == expected
        king = con.execute(
            "select name, area_km2 from geographies.geo_boundaries where geo_type = 'county' and geoid = '53033' "
            "and geo_vintage = '2023'"
        ).fetchone()
        assert king[0] == "King" and 5_300 < king[1] < 6_000
        assert con.execute("select count(*) from geographies.ref_tract_relationship").fetchone()[0] > 15_000
        # the county id reference is read from the same landed zips in live mode, not from the snapshot
        county_ids = dict(
            con.execute("select boundary_vintage, count(*) from geographies.ref_county_geoids group by 1").fetchall()
        )
        assert county_ids == {"2017": expected["county 2017"], "2023": expected["county 2023"]}
    finally:
        con.close()
    metadata = result.asset_materializations_for_node("geo_boundaries")[0].metadata
    assert metadata["mode"].value == "live"
    county_files = result.asset_materializations_for_node("ref_county_geoids")[0].metadata["source_files"].value
    assert sorted(f["path"].split("/")[1] for f in county_files) == ["county_2017", "county_2023"]
