"""Fixtures for the command-line tests: no developer's ``.env`` leaks in, and a small GENERATED published release."""

from __future__ import annotations

import os
from pathlib import Path

import duckdb
import pytest

from assets.settings import Settings, settings_from_env
from pipelines import settings_check
from tests.assets.tiny_warehouse import REGION, build_tiny_warehouse, publish_tiny, tiny_settings

# The tiny warehouse's three geographies (tests/assets/tiny_warehouse.py) and which belong to its ACH region: the
# region itself and county 99001; county 99003 does not.
MEMBERS = {("ach", REGION), ("county", "99001")}
OUTSIDER = ("county", "99003")


@pytest.fixture(autouse=True)
def no_project_env(tmp_path_factory: pytest.TempPathFactory):
    """The CLI reads the project's .env: point it at an empty folder, and afterwards put os.environ back exactly as
    it was, whatever a test's .env put into it. (No monkeypatch here: this fixture is set up before a test's
    monkeypatch, so it is torn down after it, and its restore comes last.)"""
    env_dir = settings_check.ENV_DIR
    settings_check.ENV_DIR = tmp_path_factory.mktemp("no_env")
    before = dict(os.environ)
    yield
    settings_check.ENV_DIR = env_dir
    os.environ.clear()
    os.environ.update(before)


def _square(x: float, y: float):
    from shapely.geometry import box

    return box(x, y, x + 1, y + 1)


def _map_exporter(con: duckdb.DuckDBPyConnection, folder: Path, release_id: str) -> dict[str, dict]:
    """A GENERATED stand-in for assets/publish/map_export.py: the three geographies as unit squares."""
    import geopandas as gpd

    rows = con.execute("select geo_type, geo_vintage, geoid, name, parents from marts.dim_geographies").fetchall()
    frame = gpd.GeoDataFrame(
        {
            "release_id": release_id,
            "geo_type": [r[0] for r in rows],
            "geo_vintage": [r[1] for r in rows],
            "geoid": [r[2] for r in rows],
            "name": [r[3] for r in rows],
            "parents": [";".join(r[4]) for r in rows],
        },
        geometry=[_square(i, 0) for i in range(len(rows))],
        crs="EPSG:4326",
    )
    frame.to_parquet(folder / "map_geographies.parquet", index=False)
    return {"map_geographies.parquet": {"features": len(frame), "geo_type": "all", "format": "GeoParquet"}}


@pytest.fixture(scope="module")
def tiny_published(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A working folder with one GENERATED release published through the real write-audit-publish code: the tiny
    warehouse (two counties, one ACH region, 12 indicator values), its geographies given ``parents`` (county 99001
    in the region, 99003 not) and a GeoParquet map export. Built once per test module; tests only read it."""
    settings = tiny_settings(settings_from_env({}), tmp_path_factory.mktemp("tiny_release"))
    build_tiny_warehouse(settings.warehouse_path)
    con = duckdb.connect(str(settings.warehouse_path))
    try:
        con.execute(
            f"""
            create or replace table marts.dim_geographies as
            select *, case when geoid = '99001' then ['ach:{REGION}'] else []::varchar[] end as parents
            from marts.dim_geographies
            """
        )
    finally:
        con.close()
    outcome = publish_tiny(settings, exporter=_map_exporter)
    assert outcome.status == "published"
    return settings


@pytest.fixture
def tiny_release(tiny_published: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """:func:`tiny_published`, with SDOH_DATA_DIR pointing at it for the command under test."""
    monkeypatch.setenv("SDOH_DATA_DIR", str(tiny_published.data_dir))
    monkeypatch.setenv("SDOH_MODE", "snapshot")
    monkeypatch.delenv("SDOH_CONFIG_DIR", raising=False)
    return tiny_published
