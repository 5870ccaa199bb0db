"""`sdoh status`: nothing on a fresh clone (and nothing created), then what a Dagster instance recorded: time, run,
rows, partitions, stale assets, and the latest release. Materializations are GENERATED with
`report_runless_asset_event` on a test instance; no asset runs."""

from __future__ import annotations

import re
import time
from pathlib import Path

import dagster as dg

from pipelines.cli import main


def test_fresh_clone_says_nothing_materialized_and_creates_nothing(tmp_path: Path, monkeypatch, capsys) -> None:
    home = tmp_path / "dagster_home"
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    monkeypatch.setenv("SDOH_DATA_DIR", str(tmp_path / "data"))
    assert main(["status"]) == 0
    out = capsys.readouterr().out
    assert f"nothing materialized yet (Dagster instance: {home})" in out
    assert "no release published yet" in out
    assert not home.exists() and not (tmp_path / "data").exists()


def test_an_empty_instance_says_nothing_materialized(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("SDOH_DATA_DIR", str(tmp_path / "data"))
    with dg.instance_for_test(temp_dir=str(tmp_path)):
        assert main(["status"]) == 0
    assert "nothing materialized yet" in capsys.readouterr().out


def _line(out: str, asset: str) -> str:
    [line] = [line for line in out.splitlines() if re.match(rf"\s+{asset}\s", line)]
    return line


def test_materializations_rows_partitions_and_stale(tiny_release, tmp_path: Path, capsys) -> None:
    """census_api_raw materialized with a row count (partition 2018), then stg_census_api__estimates from it, then
    census_api_raw again (partition 2019): the staging table is now older than its input, so stale. The release is
    the GENERATED tiny one (tests/pipelines/conftest.py)."""
    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        raw = dg.AssetKey("census_api_raw")
        instance.report_runless_asset_event(
            dg.AssetMaterialization(raw, partition="2018", metadata={"dagster/row_count": 1234})
        )
        time.sleep(0.01)
        instance.report_runless_asset_event(dg.AssetMaterialization("stg_census_api__estimates"))
        time.sleep(0.01)
        instance.report_runless_asset_event(
            dg.AssetMaterialization(raw, partition="2019", metadata={"dagster/row_count": 5678})
        )
        [record] = instance.fetch_materializations(raw, limit=1).records
        assert main(["status"]) == 0
    out = capsys.readouterr().out
    raw_line = _line(out, "census_api_raw")
    assert "5,678" in raw_line and "2: 2018, 2019" in raw_line and raw_line.rstrip().endswith("ok")
    assert record.run_id[:8] in raw_line
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", raw_line)
    assert _line(out, "stg_census_api__estimates").rstrip().endswith("stale: older than census_api_raw")
    assert _line(out, "fct_indicator_values").rstrip().endswith("never materialized")
    from assets.build_graph import build_assets
    from assets.publish.published_release import published_release
    from assets.reports.ach_profiles import ach_profiles

    n_assets = sum(len(list(d.keys)) for d in (*build_assets(), published_release, ach_profiles))
    assert f"2 of {n_assets} assets materialized; 1 stale" in out
    [release] = [p.name for p in (tiny_release.published_dir / "releases").iterdir()]
    assert f"latest release {release}" in out and "indicator_values 12" in out
