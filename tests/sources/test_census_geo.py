"""Boundary files: CRS rules, make_valid repairs, equal-area areas and the tract relationship file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from assets.settings import CONFIG_DIR
from sources.census_geo import (
    BoundaryError,
    add_equal_area_km2,
    read_boundary_layer,
    read_tract_relationship,
)
from sources.geo_config import load_geo_config
from tests.sources.boundary_files import snapshot_layer


@pytest.fixture(scope="module")
def layers():
    return load_geo_config(CONFIG_DIR).boundary_layers


def test_county_layer_is_repaired_and_measured_in_an_equal_area_projection(layers, snapshot_dir: Path) -> None:
    spec = layers["county_2023"]
    frame, stats = read_boundary_layer("county_2023", spec, snapshot_layer(snapshot_dir, "county_2023", spec))
    assert stats["features_read"] == 3233  # PROVENANCE.md: 3,233 counties in the 2023 us-atlas file
    assert stats["repaired_make_valid"] > 0 and frame.geometry.dropna().is_valid.all()
    frame = add_equal_area_km2(frame, "EPSG:6933")
    king = frame.loc[frame["geoid"] == "53033", "area_km2"].item()
    # King County, WA: 5,479 km² of land and 496 km² of water (Census gazetteer); the cartographic boundary is
    # clipped to the shoreline and simplified, so its area lies between land and land + water.
    assert 5_300 < king < 6_000
    assert "09110" in set(frame["geoid"]) and "09001" not in set(frame["geoid"])  # CT planning regions in 2023


def test_topojson_without_a_declared_crs_is_an_error(layers, snapshot_dir: Path) -> None:
    spec = {**layers["county_2017"]}
    spec.pop("declared_crs")
    with pytest.raises(BoundaryError, match=r"has no CRS and config/geographies.yaml declares none"):
        read_boundary_layer("county_2017", spec, snapshot_layer(snapshot_dir, "county_2017", spec))


def test_malformed_geoid_is_named(layers, tmp_path: Path) -> None:
    bad = tmp_path / "tracts.geojson"
    bad.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}},
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"GEOID": "5303300010"},  # generated bad input: 10 digits
                        "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]},
                    }
                ],
            }
        )
    )
    with pytest.raises(BoundaryError, match=r"field GEOID has value '5303300010'; expected 11 digits"):
        read_boundary_layer("tract_2010", layers["tract_2010"], [bad])


def test_relationship_file_parts(snapshot_dir: Path) -> None:
    frame = read_tract_relationship(snapshot_dir / "census_geo/relationship/tab20_tract20_tract10_CA_WA.csv")
    first = frame.filter((frame["tract_2020"] == "06001400100") & (frame["tract_2010"] == "06001400100")).row(
        0, named=True
    )
    # First line of the file: 2020 tract 06001400100 (6,945,857 m² land) ∩ 2010 tract 06001400100 = 6,889,104 m².
    assert first["land_m2_tract_2020"] == 6_945_857 and first["land_m2_part"] == 6_889_104
    assert set(frame["tract_2020"].str.slice(0, 2)) == {"06", "53"}  # the file's CA and WA 2020 tracts


def test_relationship_file_with_a_bad_area_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "rel.csv"  # generated bad input
    bad.write_text(
        "GEOID_TRACT_20,AREALAND_TRACT_20,AREAWATER_TRACT_20,GEOID_TRACT_10,AREALAND_TRACT_10,AREAWATER_TRACT_10,"
        "AREALAND_PART,AREAWATER_PART\n06001400100,6945857.0,0.0,06001400100,abc,0.0,6889104.0,0.0\n"
    )
    with pytest.raises(BoundaryError, match=r"record 2 field AREALAND_TRACT_10 has value 'abc'"):
        read_tract_relationship(bad)
