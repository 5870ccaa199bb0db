"""Releases are versioned and immutable; the published DuckDB file is rebuilt from them."""

from __future__ import annotations

import json

from assets.publish.release_writer import list_releases, sha256_file, verify_release
from assets.settings import CONFIG_DIR
from sources.census_api import plan_requests
from sources.core.config_io import load_yaml
from sources.indicator_config import load_project_config


def test_a_second_release_leaves_the_first_untouched_and_becomes_latest(first_release, approved_run) -> None:
    """`approved_run` publishes into a copy of the first release's working folder: the folder then holds two
    releases, the first byte for byte as it was written (its manifest's checksums), both queryable in the rebuilt
    published DuckDB, the second the latest; each release's row counts are its manifest's."""
    settings, published = approved_run
    first_settings, _ = first_release
    releases = list_releases(settings.published_dir)
    assert len(releases) == 2
    first, second = releases
    assert first.release_id != second.release_id
    assert first.release_id == list_releases(first_settings.published_dir)[0].release_id

    # The first release's files still match the checksums written when it was created.
    assert verify_release(first) == [] and verify_release(second) == []
    for entry in first.manifest["tables"].values():
        assert sha256_file(first.path / entry["file"]) == entry["sha256"]

    rows = published.execute(
        "select release_id, is_latest, served from releases order by created_at, release_id"
    ).fetchall()
    assert rows == [(first.release_id, False, False), (second.release_id, True, True)]
    latest = published.execute("select distinct release_id from latest_indicator_values").fetchall()
    assert latest == [(second.release_id,)]
    # The file holds the latest release's rows; the first stays queryable from its Parquet through all_* views,
    # each release with the rows its manifest counts.
    held = published.execute("select distinct release_id from indicator_values").fetchall()
    assert held == [(second.release_id,)]
    counts = dict(published.execute("select release_id, count(*) from all_indicator_values group by 1").fetchall())
    for release in releases:
        assert counts[release.release_id] == release.manifest["tables"]["indicator_values"]["rows"] > 0


def test_manifest_names_sources_with_checksums_vintages_and_code_version(first_release, snapshot_dir) -> None:
    settings, _ = first_release
    release = list_releases(settings.published_dir)[-1]
    manifest = json.loads((release.path / "manifest.json").read_text())
    spec = load_project_config(CONFIG_DIR).indicator_variables  # the configured ACS years, derived (2024 added)
    acs_years = sorted(
        {int(y) for y, d in zip(spec["vintage_year"], spec["dataset"], strict=True) if d.startswith("acs/")}
    )
    assert acs_years[-1] == 2024 and manifest["vintages"]["acs"] == [f"{y - 4}-{y}" for y in acs_years]
    assert manifest["vintages"]["decennial_census"] == ["2010", "2020"]
    assert manifest["vintages"]["wa_doh"] == ["2016-2020"]
    assert manifest["code_version"]
    sources = {s["path"]: s["sha256"] for s in manifest["source_files"]}
    king = "census_api/2018/acs/acs5/county/B19013.json"
    assert sources[king] == sha256_file(snapshot_dir / king)
    config = load_project_config(CONFIG_DIR)
    calls = plan_requests(config.indicator_variables, config.census_datasets, config.identities)
    expected_files = {f"census_api/{c.snapshot_relpath}" for c in calls}
    expected_files.add("wa_doh/life_expectancy_tract/Life_Expectancy_at_Birth_16_20.csv")
    expected_files |= {r["snapshot"] for r in load_yaml(CONFIG_DIR / "cdc_places.yaml")["releases"]}
    chas_tables = load_yaml(CONFIG_DIR / "hud_chas.yaml")["tables"].values()
    expected_files |= {t["snapshot"] for t in chas_tables} | {t["dictionary"] for t in chas_tables}
    expected_files |= {v["snapshot"] for v in load_yaml(CONFIG_DIR / "cdc_svi.yaml")["vintages"].values()}
    chas = "hud_chas/2018thru2022/050/Table9.csv"
    assert sources[chas] == sha256_file(snapshot_dir / chas)
    boundaries = {p for p in sources if p.startswith(("census_geo/", "config/"))}
    assert set(sources) - boundaries == expected_files
    assert "census_geo/aiannh/2019/cb_2019_us_aiannh_500k.gpkg" in boundaries
    assert "census_geo/relationship/tab20_tract20_tract10_CA_WA.csv" in boundaries  # read by ref_tract_relationship
    assert all(sources[p] for p in boundaries)
    assert set(manifest["checks_passed"]) >= {
        "census_api_raw:gx_census_api_raw",
        "stg_census_api__estimates:gx_stg_census_api__estimates",
    }
    for name, entry in manifest["tables"].items():
        assert (release.path / entry["file"]).is_file(), name
        assert entry["rows"] > 0


def test_catalog_describes_every_indicator(published) -> None:
    rows = published.execute(
        "select indicator_id, unit, direction, uncertainty, vintages from latest_indicator_catalog order by 1"
    ).fetchall()
    ids = [r[0] for r in rows]
    assert {
        "poverty_rate",
        "median_household_income",
        "unemployment_rate",
        "uninsured_rate",
        "population_share",
    } <= set(ids)
    for indicator_id, unit, direction, uncertainty, vintages in rows:
        assert unit and direction and uncertainty and vintages, indicator_id


def test_releases_diff_of_two_real_releases_says_what_changed_per_indicator_and_geography(
    approved_run, capsys, monkeypatch
) -> None:
    """The approved-config release against the first one: the config replaced the three example neighborhoods with
    two test ones and approved the Yakama Nation area, so neighborhood rows are added and removed, tribal-area rows
    are added, and county rows are the same; every other table's content is compared too."""
    from pipelines.cli import main

    settings, _ = approved_run
    first, second = list_releases(settings.published_dir)
    monkeypatch.setenv("SDOH_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("SDOH_CONFIG_DIR", str(settings.config_dir))
    assert main(["releases", "diff", first.release_id, second.release_id]) == 0
    out = capsys.readouterr().out
    assert f"diff {first.release_id} -> {second.release_id}" in out
    assert "geographies" in out and "CHANGED" in out
    rows = [line.split() for line in out.splitlines() if line.startswith("  ")]
    lines = {tuple(r[:2]): r[2:6] for r in rows if len(r) >= 6}  # indicator, geo_type, added, removed, changed, same
    added, removed, _, _ = map(lambda s: int(s.replace(",", "")), lines[("population", "neighborhood")])
    assert added > 0 and removed > 0
    aiannh = [v for k, v in lines.items() if k[1] == "aiannh"]
    assert aiannh and all(int(v[0].replace(",", "")) > 0 and v[1] == "0" for v in aiannh)  # rows added only
    assert not [k for k in lines if k[1] == "county"], "county values changed between the two releases"
