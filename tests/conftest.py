"""Shared fixtures: the real snapshot (read in place) and whole-graph runs in a temporary working folder."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from assets.settings import Settings, settings_from_env

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

PUBLISHED_DB = "sdoh_published.duckdb"


@pytest.fixture(scope="session")
def snapshot_dir() -> Path:
    path = settings_from_env().snapshot_dir
    if not (path / "PROVENANCE.md").is_file():
        pytest.fail(
            f"the real-data snapshot is missing at {path}: put ../shared beside the checkout or set SDOH_SNAPSHOT_DIR"
        )
    return path


def run_release_job(settings: Settings) -> dg.ExecuteInProcessResult:
    """Materialize every asset and run every check in process, as `make run` does."""
    from pipelines.definitions import build_definitions

    job = build_definitions(settings).resolve_job_def("build_and_publish_release")
    with dg.DagsterInstance.ephemeral() as instance:
        return job.execute_in_process(instance=instance, raise_on_error=False)


@pytest.fixture(scope="session")
def make_settings(snapshot_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Settings]:
    def _make(name: str, snapshot: Path | None = None) -> Settings:
        base = settings_from_env({})
        return replace(
            base, snapshot_dir=snapshot or snapshot_dir, data_dir=tmp_path_factory.mktemp(name), mode="snapshot"
        )

    return _make


@pytest.fixture(scope="session")
def two_releases(make_settings: Callable[..., Settings]) -> tuple[Settings, list[dg.ExecuteInProcessResult]]:
    """The main job run twice on the real snapshot, into one working folder."""
    settings = make_settings("two_releases")
    results = [run_release_job(settings), run_release_job(settings)]
    return settings, results


@pytest.fixture(scope="session")
def published(two_releases: tuple[Settings, list]) -> duckdb.DuckDBPyConnection:
    settings, results = two_releases
    assert all(r.success for r in results), "the main job failed on the real snapshot"
    con = duckdb.connect(str(settings.published_dir / PUBLISHED_DB), read_only=True)
    yield con
    con.close()


def county_record(snapshot_dir: Path, relpath: str, geoid: str) -> dict[str, str | None]:
    """One county's record of a snapshot Census API response (header -> cell as written), found by state+county."""
    rows = json.loads((snapshot_dir / relpath).read_text())
    header = rows[0]
    row = next(r for r in rows[1:] if r[header.index("state")] + r[header.index("county")] == geoid)
    return dict(zip(header, row, strict=True))


def symlinked_snapshot(snapshot_dir: Path, target: Path) -> Path:
    """A copy of the snapshot made of symlinks, so a test can swap one file for a generated bad one."""
    shutil.copytree(snapshot_dir, target, copy_function=os.symlink)
    return target


def replace_with_generated(path: Path, text: str) -> None:
    path.unlink()
    path.write_text(text)


# Two hand-drawn rectangles over real Los Angeles County 2020 tracts (coordinates typed by hand, lon/lat):
# A lies inside tract 06037302302; B straddles the border of tracts 06037302302 and 06037302401.
TEST_NEIGHBORHOODS = {
    "test-inside-one-tract": [-118.2631, 34.1397, -118.2611, 34.1417],
    "test-across-two-tracts": [-118.2641, 34.1361, -118.2601, 34.1391],
}
YAKAMA_APPROVAL = """default: withhold
approved_areas:
  - aiannh_geoid: "4690"
    name: Yakama Nation
    approved_by: Confederated Tribes and Bands of the Yakama Nation
    approval_reference: "TEST FIXTURE: not a real approval"
    approved_on: "2026-11-23"
"""


def write_test_config(target: Path) -> Path:
    """The shipped config with the test neighborhoods in place of the examples and Yakama approved."""
    from assets.settings import CONFIG_DIR

    shutil.copytree(CONFIG_DIR, target)
    features = [
        {
            "type": "Feature",
            "properties": {"id": nid, "name": nid, "example": True},
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]],
            },
        }
        for nid, (x0, y0, x1, y1) in TEST_NEIGHBORHOODS.items()
    ]
    (target / "neighborhoods" / "la_example_neighborhoods.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": features})
    )
    regions = target / "ach_regions.yaml"
    text = regions.read_text()
    old = "      - la-example-boyle-heights\n      - la-example-watts\n"
    assert old in text
    regions.write_text(text.replace(old, "".join(f"      - {nid}\n" for nid in TEST_NEIGHBORHOODS)))
    (target / "tribal_data_policy.yaml").write_text(YAKAMA_APPROVAL)
    return target


@pytest.fixture(scope="session")
def approved_run(make_settings: Callable[..., Settings], tmp_path_factory: pytest.TempPathFactory):
    """The main job with test neighborhoods and the Yakama Nation area approved for publication."""
    settings = make_settings("approved_run")
    settings = replace(settings, config_dir=write_test_config(tmp_path_factory.mktemp("config") / "config"))
    result = run_release_job(settings)
    assert result.success, "the main job failed with the test config"
    con = duckdb.connect(str(settings.published_dir / PUBLISHED_DB), read_only=True)
    yield settings, con
    con.close()


@pytest.fixture(scope="session")
def published_run_metadata(two_releases: tuple[Settings, list[dg.ExecuteInProcessResult]]):
    """The first release's run: each registered source asset's materialization metadata, and that release's manifest."""
    from assets.publish.release_writer import list_releases
    from assets.source_registry import SOURCE_ASSET_KEYS

    settings, results = two_releases
    first = results[0]
    metadata = {key: first.asset_materializations_for_node(key.path[-1])[0].metadata for key in SOURCE_ASSET_KEYS}
    return metadata, list_releases(settings.published_dir)[0].manifest
