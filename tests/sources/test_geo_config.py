"""Geography config is data; a wrong county, an invalid polygon or an approval without a tribe is a clear error."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from assets.settings import CONFIG_DIR
from sources.census_geo import read_tribes_by_area
from sources.core.errors import ConfigError
from sources.geo_config import check_region_counties, check_tribal_approvals, check_tribal_areas_exist, load_geo_config


def _config(tmp_path: Path) -> Path:
    target = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, target)
    return target


def test_shipped_config_has_nine_wa_regions_and_example_ca_regions() -> None:
    geo = load_geo_config(CONFIG_DIR)
    wa = geo.regions.filter(geo.regions["state_fips"] == "53")
    ca = geo.regions.filter(geo.regions["state_fips"] == "06")
    assert wa.height == 9 and not wa["example"].any()
    assert ca.height >= 2 and ca["example"].all()
    assert set(ca["built_from"]) == {"counties", "neighborhoods"}
    assert geo.tribal_default == "withhold" and geo.tribal_policy.height == 0


def test_region_naming_an_unknown_county_is_an_error(tmp_path: Path) -> None:
    config = _config(tmp_path)
    path = config / "ach_regions.yaml"
    path.write_text(path.read_text().replace('"53077"  # Yakima County', '"53999"  # no such county'))
    geo = load_geo_config(config)
    with pytest.raises(ConfigError, match=r"region 'wa-greater-health-now' field `counties` has value '53999'"):
        known = set(geo.region_members["member_geoid"]) - {"53999"}
        check_region_counties(geo, known, path)


def test_invalid_neighborhood_polygon_is_an_error(tmp_path: Path) -> None:
    config = _config(tmp_path)
    path = config / "neighborhoods" / "la_example_neighborhoods.geojson"
    collection = json.loads(path.read_text())
    # A bow tie: the ring crosses itself.
    collection["features"][1]["geometry"]["coordinates"] = [
        [[-118.25, 33.93], [-118.23, 33.95], [-118.23, 33.93], [-118.25, 33.95], [-118.25, 33.93]]
    ]
    path.write_text(json.dumps(collection))
    with pytest.raises(ConfigError, match=r"feature #2 \(la-example-watts\) field `geometry` is not a valid polygon"):
        load_geo_config(config)


def test_region_naming_an_unknown_neighborhood_is_an_error(tmp_path: Path) -> None:
    config = _config(tmp_path)
    path = config / "ach_regions.yaml"
    path.write_text(path.read_text().replace("- la-example-watts", "- la-example-wats"))
    with pytest.raises(ConfigError, match=r"field `neighborhoods` has value 'la-example-wats'"):
        load_geo_config(config)


def test_tribal_approval_must_name_the_tribal_government(tmp_path: Path, snapshot_dir: Path) -> None:
    config = _config(tmp_path)
    path = config / "tribal_data_policy.yaml"
    path.write_text(
        'default: withhold\napproved_areas:\n  - {aiannh_geoid: "4690", approval_reference: x, approved_on: "2026-01-01"}\n'
    )
    with pytest.raises(ConfigError, match=r"approved area #1 \(4690\) has no `approved_by`"):
        load_geo_config(config)
    path.write_text(
        'default: withhold\napproved_areas:\n  - {aiannh_geoid: "4690", approved_by: Washington State, '
        'approval_reference: x, approved_on: "2026-01-01"}\n'
    )
    geo = load_geo_config(config)
    with pytest.raises(ConfigError, match=r"'4690' field `approved_by` has value 'Washington State'"):
        check_tribal_approvals(geo, read_tribes_by_area(snapshot_dir), path)


def test_publishing_by_default_is_refused(tmp_path: Path) -> None:
    config = _config(tmp_path)
    (config / "tribal_data_policy.yaml").write_text("default: publish\napproved_areas: []\n")
    with pytest.raises(ConfigError, match=r"field `default` has value 'publish'"):
        load_geo_config(config)


def test_approval_of_an_area_that_does_not_exist_is_an_error(tmp_path: Path) -> None:
    config = _config(tmp_path)
    path = config / "tribal_data_policy.yaml"
    path.write_text(
        'default: withhold\napproved_areas:\n  - {aiannh_geoid: "4609", approved_by: X, '
        'approval_reference: x, approved_on: "2026-01-01"}\n'
    )
    with pytest.raises(ConfigError, match=r"`aiannh_geoid` has value '4609', which is not an AIANNH area"):
        check_tribal_areas_exist(load_geo_config(config), {"4690", "4290"}, path)
