"""`sdoh export --ach ID`: the region's rows of a GENERATED release (three geographies, two of them the region's:
the region itself and county 99001; tests/pipelines/conftest.py), its GeoJSON, README and manifest."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb

from pipelines.cli import main
from tests.assets.tiny_warehouse import REGION
from tests.pipelines.conftest import MEMBERS, OUTSIDER


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="") as f:
        return list(csv.DictReader(f))


def test_exports_the_regions_rows_only(tiny_release, tmp_path: Path, capsys) -> None:
    out = tmp_path / "export"
    assert main(["export", "--ach", REGION, "--out", str(out)]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == [
        "README.txt",
        "disparities.csv",
        "geographies.csv",
        "geographies.geojson",
        "indicator_catalog.csv",
        "indicator_values.csv",
        "manifest.json",
    ]
    geographies = _csv(out / "geographies.csv")
    assert {(g["geo_type"], g["geoid"]) for g in geographies} == MEMBERS
    # 2 geographies x 2 groups x 2 indicators (12 in the release, 4 of them county 99003's)
    values = _csv(out / "indicator_values.csv")
    assert len(values) == 8 and {(v["geo_type"], v["geoid"]) for v in values} == MEMBERS
    hispanic = [v for v in values if v["geoid"] == "99001" and v["group_id"] == "hispanic"]
    assert [float(v["estimate"]) for v in hispanic if v["indicator_id"] == "poverty_rate"] == [15.0]  # 100 * 45 / 300
    disparities = _csv(out / "disparities.csv")  # poverty_rate only: 2 geographies x 2 groups
    assert len(disparities) == 4 and OUTSIDER not in {(d["geo_type"], d["geoid"]) for d in disparities}
    assert len(_csv(out / "indicator_catalog.csv")) == 2  # the whole catalog
    features = json.loads((out / "geographies.geojson").read_text())["features"]
    assert sorted((f["properties"]["geo_type"], f["properties"]["geoid"]) for f in features) == sorted(MEMBERS)
    manifest = json.loads((out / "manifest.json").read_text())
    [release] = [p.name for p in (tiny_release.published_dir / "releases").iterdir()]
    assert manifest["release_id"] == release and manifest["ach_id"] == REGION
    assert manifest["files"]["indicator_values.csv"]["rows"] == 8
    assert manifest["files"]["geographies.geojson"]["rows"] == 2
    assert manifest["geographies_by_type"] == {"ach": 1, "county": 1}
    readme = (out / "README.txt").read_text()
    assert release in readme and "indicator_values.csv: 8" in readme


def test_parquet_format_and_default_folder(tiny_release, capsys) -> None:
    assert main(["export", "--ach", REGION, "--format", "parquet"]) == 0
    [folder] = (tiny_release.data_dir / "exports").iterdir()
    assert folder.name.startswith(f"{REGION}_")
    assert not list(folder.glob("*.csv"))
    con = duckdb.connect()
    try:
        rows = con.execute(f"select distinct geoid from '{folder / 'indicator_values.parquet'}' order by 1").fetchall()
    finally:
        con.close()
    assert rows == [("99001",), (REGION,)]


def test_unknown_region_lists_the_valid_ids_in_one_line(tiny_release, tmp_path: Path, capsys) -> None:
    assert main(["export", "--ach", "no-such-region", "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: no ACH region 'no-such-region' in release ") and err.count("\n") == 1
    assert err.rstrip().endswith(f"valid ids: {REGION}")
    assert not (tmp_path / "x").exists()


def test_nothing_published_yet(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("SDOH_DATA_DIR", str(tmp_path))
    assert main(["export", "--ach", REGION]) == 1
    assert capsys.readouterr().err.startswith("error: nothing published yet")
