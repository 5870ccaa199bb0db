"""Web map layers (assets/publish/map_export.py) and the geometry in the published DuckDB file.

The overlap check and the config validation run on GENERATED squares and config text; the layer tests read the
session's first release (the real snapshot, tests/conftest.py) and measure its files independently of the code that
wrote them: a layer per geography type and boundary vintage, no two features of a layer overlapping, RFC 7946
GeoJSON with rounded coordinates, the same values as the published tables.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from assets.publish.map_export import LayerOverlap, MapConfigError, _check_no_overlaps, load_map_settings
from assets.settings import CONFIG_DIR


def _squares(*boxes: tuple[float, float, float, float]):
    import shapely

    return np.array([shapely.box(*b) for b in boxes])


def test_overlap_check_names_a_polygon_inside_another_and_ignores_neighbours() -> None:
    """GENERATED squares: A (0,0)-(2,2) and B (2,0)-(4,2) share only an edge; C (0.5,0.5)-(1,1) lies wholly inside
    A (0.25 / 0.25 = 100% of the smaller); D (4,0)-(5,1) overlaps B by a 0.005 x 1 sliver: 0.005 / 1 = 0.5% of D."""
    neighbours = _squares((0, 0, 2, 2), (2, 0, 4, 2))
    _check_no_overlaps("test", ["A", "B"], neighbours, 0.01)
    with pytest.raises(LayerOverlap, match=r"map layer test: 1 pair\(s\).*A and C \(100%\)"):
        _check_no_overlaps("test", ["A", "B", "C"], _squares((0, 0, 2, 2), (2, 0, 4, 2), (0.5, 0.5, 1, 1)), 0.01)
    sliver = _squares((0, 0, 2, 2), (2, 0, 4, 2), (3.995, 0, 5, 1))
    _check_no_overlaps("test", ["A", "B", "D"], sliver, 0.01)  # 0.5% <= 1%
    with pytest.raises(LayerOverlap, match=r"B and D \(0%\)|B and D \(1%\)"):
        _check_no_overlaps("test", ["A", "B", "D"], sliver, 0.001)  # 0.5% > 0.1%


def test_map_config_errors_name_the_file_field_and_value(tmp_path: Path) -> None:
    text = (CONFIG_DIR / "maps.yaml").read_text()
    (tmp_path / "maps.yaml").write_text(text.replace("coordinate_decimals: 5", "coordinate_decimals: 17"))
    with pytest.raises(MapConfigError, match=r"maps.yaml: coordinate_decimals must be an integer from 3 to 8, got 17"):
        load_map_settings(tmp_path)
    (tmp_path / "maps.yaml").write_text(text.replace("  tract: 0.0003", "  tract: 3"))
    with pytest.raises(MapConfigError, match=r"simplify_tolerance_degrees.tract must be .* got 3"):
        load_map_settings(tmp_path)


def _release_folder(published, first_release) -> Path:
    settings, _ = first_release
    release_id = published.execute("select release_id from releases where is_latest").fetchone()[0]
    return settings.published_dir / "releases" / release_id


def test_one_web_layer_per_type_and_boundary_vintage_without_overlaps(published, first_release) -> None:
    """Every map_layer of the published geographies has its file, with exactly its features; the 2017 Connecticut
    counties and the 2023 planning regions are separate layers (they overlapped in one layer before), as are 2010
    and 2020 tracts; within each layer no two features share more than 1% of the smaller one's area (measured here
    with shapely on the file's own polygons)."""
    import geopandas as gpd
    import shapely

    folder = _release_folder(published, first_release)
    expected = dict(
        published.execute(
            "select map_layer, count(*) from latest_geographies where map_layer is not null group by 1"
        ).fetchall()
    )
    assert {"county_2023", "county_2017", "tract_2020", "tract_2010", "ach_2024"} <= set(expected)
    files = {p.name.removeprefix("map_").removesuffix(".geojson"): p for p in folder.glob("map_*.geojson")}
    assert set(files) == set(expected)
    connecticut = {"09001", "09110"}  # Fairfield County (2017) and the Capitol Planning Region (2023)
    for layer, path in files.items():
        frame = gpd.read_file(path)
        assert len(frame) == expected[layer], layer
        assert set(frame["map_layer"]) == {layer}
        assert frame.geometry.is_valid.all() and not frame.geometry.is_empty.any(), layer
        assert len(connecticut & set(frame["geoid"])) <= 1, layer
        geoms = frame.geometry.values
        left, right = shapely.STRtree(geoms).query(geoms, predicate="intersects")
        pairs = left < right
        shared = shapely.area(shapely.intersection(geoms[left[pairs]], geoms[right[pairs]]))
        smaller = np.minimum(shapely.area(geoms[left[pairs]]), shapely.area(geoms[right[pairs]]))
        assert not (shared > 0.01 * smaller).any(), f"{layer}: overlapping features"


def test_web_layers_are_rfc7946_rounded_and_smaller(published, first_release) -> None:
    """No legacy `crs` member, no coordinate with more than 5 decimals (config/maps.yaml), numbers to at most 9
    significant digits; the manifest states bytes and coordinates before and after simplification, and the tract
    layer lost coordinates to it."""
    folder = _release_folder(published, first_release)
    manifest = json.loads((folder / "manifest.json").read_text())
    for path in folder.glob("map_*.geojson"):
        text = path.read_text()
        document = json.loads(text)
        assert "crs" not in document, path.name
        coordinates = re.findall(r"-?\d+\.\d+", json.dumps(document["features"][0]["geometry"]))
        assert coordinates and all(len(c.split(".")[1]) <= 5 for c in coordinates), path.name
        facts = manifest["exports"][path.name]
        assert facts["bytes"] == path.stat().st_size
        assert facts["coordinates"] <= facts["coordinates_unsimplified"]
    tracts = manifest["exports"]["map_tract_2020.geojson"]
    assert tracts["coordinates"] < 0.95 * tracts["coordinates_unsimplified"]


def test_web_layer_values_are_the_published_ones(published, first_release) -> None:
    """King County (53033) in map_county_2023.geojson: the latest total median household income and its MOE, as
    latest_indicator_values has them (89,418 for 2014-2018 on the snapshot; tests/assets/test_geographies.py has
    the arithmetic), its ACH region and state as flat columns."""
    import geopandas as gpd

    folder = _release_folder(published, first_release)
    counties = gpd.read_file(folder / "map_county_2023.geojson")
    king = counties[counties["geoid"] == "53033"].iloc[0]
    estimate, moe, vintage = published.execute(
        """select estimate, moe, vintage from latest_indicator_values
           where indicator_id = 'median_household_income' and geo_type = 'county' and geoid = '53033'
             and group_id = 'total' and estimate is not null order by vintage desc limit 1"""
    ).fetchone()
    assert (king["median_household_income"], king["median_household_income__vintage"]) == (estimate, vintage)
    assert king["median_household_income"] == 89418
    assert king["median_household_income__moe"] == pytest.approx(moe, rel=1e-8)
    assert (king["ach_id"], king["state_name"], king["county_name"]) == ("wa-healthierhere", "Washington", "King")
    assert "parents" not in counties.columns


def test_published_geometries_are_the_release_boundaries_as_wkb(published, first_release) -> None:
    """latest_geometries has one WKB polygon per geography with a boundary, equal to the GeoParquet export's (King
    County compared shape for shape), and its map layer."""
    import geopandas as gpd
    import shapely

    count, with_boundary = published.execute(
        """select (select count(*) from latest_geometries),
                  (select count(*) from latest_geographies where has_boundary)"""
    ).fetchone()
    assert count == with_boundary > 10_000
    wkb, layer = published.execute(
        "select geometry_wkb, map_layer from latest_geometries where geo_type = 'county' and geoid = '53033'"
    ).fetchone()
    parquet = gpd.read_parquet(_release_folder(published, first_release) / "map_geographies.parquet")
    king = parquet[(parquet["geo_type"] == "county") & (parquet["geoid"] == "53033")].geometry.iloc[0]
    assert shapely.equals_exact(shapely.from_wkb(bytes(wkb)), king, tolerance=0)
    assert layer == "county_2023"


def test_labeled_views_have_every_row_and_the_labels(published) -> None:
    """latest_indicator_values_labeled has exactly latest_indicator_values' rows, each with its indicator's and
    group's label; a Los Angeles tract lies in Los Angeles County and in the county-built example region (not the
    neighborhood-built one); disparities get the period's years and the reference group's label on every row."""
    values, labeled, unlabeled = published.execute(
        """select (select count(*) from latest_indicator_values),
                  (select count(*) from latest_indicator_values_labeled),
                  (select count(*) from latest_indicator_values_labeled
                   where indicator_label is null or group_label is null)"""
    ).fetchone()
    assert values == labeled and unlabeled == 0
    row = published.execute(
        """select indicator_label, group_label, period_label, county_name, ach_id, state_name
           from latest_indicator_values_labeled
           where geo_type = 'tract' and geo_vintage = '2020' and geoid like '06037%'
             and indicator_id = 'median_household_income' and group_id = 'hispanic' and vintage = '2019-2023'
           limit 1"""
    ).fetchone()
    label = published.execute(
        "select label from latest_indicator_catalog where indicator_id = 'median_household_income'"
    ).fetchone()[0]
    assert row[0] == label and row[2] == "2019-2023"
    assert "Hispanic" in row[1]
    assert row[3:] == ("Los Angeles", "ca-example-los-angeles-county", "California")
    disparities, labeled_d, missing = published.execute(
        """select (select count(*) from latest_disparities),
                  (select count(*) from latest_disparities_labeled),
                  (select count(*) from latest_disparities_labeled
                   where period_start_year is null or reference_group_label is null or indicator_label is null)"""
    ).fetchone()
    assert disparities == labeled_d and missing == 0
