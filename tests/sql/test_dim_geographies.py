"""marts/dim_geographies.sql on hand-made inputs: one row per published geography, with the boundary of its own
vintage (name, area, state), its parents (a tract's county and ACH regions, a county's regions, a neighborhood's
regions), the census population of the right vintage (2020, or 2010 for 2010 tracts; total group only) and the
example flag.

All inputs are GENERATED for this test (made-up geographies, names, areas and counts), not real data."""

from __future__ import annotations

from typing import Any

import duckdb
import pytest

from tests.sql.sql_harness import by_key, connect, create_table, run_model

TRACT, TRACT_B = "53001000100", "53001000200"

FACT_COLUMNS = {
    "indicator_id": "varchar",
    "vintage": "varchar",
    "geo_type": "varchar",
    "geo_vintage": "varchar",
    "geoid": "varchar",
    "geo_name": "varchar",
    "group_id": "varchar",
    "estimate": "double",
}
BOUNDARY_COLUMNS = {
    "geo_type": "varchar",
    "geo_vintage": "varchar",
    "geoid": "varchar",
    "name": "varchar",
    "state_fips": "varchar",
    "area_km2": "double",
    "geometry_wkb": "blob",
}
ALLOCATION_COLUMNS = {
    "from_geo_level": "varchar",
    "from_geo_vintage": "varchar",
    "from_geoid": "varchar",
    "to_geo_type": "varchar",
    "to_geoid": "varchar",
    "allocation_factor": "double",
}


def fact(geo: tuple[str, str, str], indicator_id: str, vintage: str, estimate: float, **extra: str) -> dict[str, Any]:
    """One marts.fct_indicator_values row for geography (geo_type, geo_vintage, geoid); group total by default."""
    geo_type, geo_vintage, geoid = geo
    row = {
        "indicator_id": indicator_id,
        "vintage": vintage,
        "geo_type": geo_type,
        "geo_vintage": geo_vintage,
        "geoid": geoid,
        "geo_name": f"published name {geoid}",
        "group_id": "total",
        "estimate": estimate,
    }
    return row | extra


def boundary(
    geo: tuple[str, str, str], name: str | None, state: str | None, km2: float, polygon: bool = True
) -> dict[str, Any]:
    """One geographies.geo_boundaries row (geometry_wkb is a stand-in blob, or null without a polygon)."""
    geo_type, geo_vintage, geoid = geo
    return {
        "geo_type": geo_type,
        "geo_vintage": geo_vintage,
        "geoid": geoid,
        "name": name,
        "state_fips": state,
        "area_km2": km2,
        "geometry_wkb": b"\x01" if polygon else None,
    }


def parent(vintage: str, tract: str, to_type: str, to_geoid: str, factor: float = 1.0) -> dict[str, Any]:
    """One intermediate.int_geo_allocation row from a tract."""
    return {
        "from_geo_level": "tract",
        "from_geo_vintage": vintage,
        "from_geoid": tract,
        "to_geo_type": to_type,
        "to_geoid": to_geoid,
        "allocation_factor": factor,
    }


COUNTY = ("county", "2023", "53001")
CT_COUNTY = ("county", "2017", "09001")
TRACT_2020, TRACT_2010, TRACT_B_2010 = ("tract", "2020", TRACT), ("tract", "2010", TRACT), ("tract", "2010", TRACT_B)
ACH, HOOD, TRIBAL = ("ach", "2023", "ach_x"), ("neighborhood", "2024", "N1"), ("aiannh", "2019", "A001")

ADAMS = "Adams County, Washington"  # the ACS style: the state's name after the county's
FACTS = [
    fact(COUNTY, "population", "2020", 800.0, group_id="hispanic", geo_name=ADAMS),  # a group, not the total
    fact(COUNTY, "population", "2018-2022", 4950.0),  # ACS, not the census count
    fact(COUNTY, "population", "2020", 5000.0, geo_name=ADAMS),
    fact(COUNTY, "poverty", "2018-2022", 12.0),
    fact(TRACT_2020, "population", "2020", 4000.0),
    fact(TRACT_2010, "population", "2010", 3900.0),  # same GEOID, 2010 tract
    # the API's name style changed: the newest period's name is published
    fact(TRACT_B_2010, "poverty", "2015-2019", 9.5, geo_name="Census Tract 2; Adams County; Washington"),
    fact(TRACT_B_2010, "poverty", "2010-2014", 9.0, geo_name="Census Tract 2, Adams County, Washington"),
    fact(ACH, "population", "2020", 7100.0),
    fact(HOOD, "poverty", "2018-2022", 11.0),
    fact(TRIBAL, "population", "2020", 300.0),
    fact(CT_COUNTY, "poverty", "2013-2017", 8.0),
]
BOUNDARIES = [
    boundary(COUNTY, "Adams County", "53", 4998.5),
    boundary(("county", "2017", "53001"), "Adams (2017 boundary)", "53", 1.0),  # another vintage: not used
    boundary(TRACT_2020, None, "53", 2.0),
    boundary(TRACT_2010, None, "53", 2.1),
    boundary(ACH, "ACH X", "53", 500.0, polygon=False),
    boundary(HOOD, "Neighborhood One", None, 9.0),
    boundary(TRIBAL, "Tribal Area", None, 50.0),
]
ALLOCATION = [
    parent("2020", TRACT, "county", "53001"),
    parent("2020", TRACT, "ach", "ach_x"),
    parent("2020", TRACT, "ach", "ach_n"),  # also in a neighborhood-built region
    parent("2020", TRACT, "neighborhood", "N1", 0.6),  # overlays are not parents
    parent("2010", TRACT, "county", "53001"),
    parent("2010", TRACT, "ach", "ach_x"),
    parent("2010", TRACT_B, "county", "53001"),
    parent("2010", TRACT_B, "ach", "ach_y", 0.3),  # less than half of the tract: not a parent
]
MEMBERS = [
    {"ach_id": "ach_z", "member_geo_type": "county", "member_geoid": "53001"},
    {"ach_id": "ach_x", "member_geo_type": "county", "member_geoid": "53001"},
    {"ach_id": "ach_x", "member_geo_type": "county", "member_geoid": "53003"},
    {"ach_id": "ach_n", "member_geo_type": "neighborhood", "member_geoid": "N1"},
]


@pytest.fixture(scope="module")
def out() -> dict[tuple[str, str, str], dict[str, Any]]:
    con: duckdb.DuckDBPyConnection = connect()
    create_table(con, "marts.fct_indicator_values", FACT_COLUMNS, FACTS)
    create_table(con, "geographies.geo_boundaries", BOUNDARY_COLUMNS, BOUNDARIES)
    create_table(con, "intermediate.int_geo_allocation", ALLOCATION_COLUMNS, ALLOCATION)
    create_table(
        con,
        "seeds.seed_ach_region_members",
        {"ach_id": "varchar", "member_geo_type": "varchar", "member_geoid": "varchar"},
        MEMBERS,
    )
    create_table(
        con,
        "seeds.seed_ach_regions",
        {"ach_id": "varchar", "name": "varchar", "example": "boolean", "built_from": "varchar"},
        [
            {"ach_id": "ach_x", "name": "ACH X", "example": False, "built_from": "counties"},
            {"ach_id": "ach_n", "name": "ACH N", "example": True, "built_from": "neighborhoods"},
        ],
    )
    create_table(
        con,
        "seeds.seed_neighborhoods",
        {"neighborhood_id": "varchar", "example": "boolean"},
        [{"neighborhood_id": "N1", "example": True}],
    )
    rows = run_model(con, "marts/dim_geographies.sql")
    con.close()
    return by_key(rows, "geo_type", "geo_vintage", "geoid")


def test_one_row_per_published_geography(out) -> None:
    """8 distinct geographies have rows in the fact table (53001 appears once despite 4 rows)."""
    assert set(out) == {COUNTY, CT_COUNTY, TRACT_2020, TRACT_2010, TRACT_B_2010, ACH, HOOD, TRIBAL}


def test_county(out) -> None:
    """53001: the 2023 boundary's name and area (not the 2017 one's), the 2020 census total 5,000 (not ACS 4,950 nor
    the Hispanic 800), and its two ACH regions sorted."""
    row = out[COUNTY]
    assert (row["name"], row["state_fips"], row["land_area_km2"], row["has_boundary"]) == (
        "Adams County",
        "53",
        4998.5,
        True,
    )
    assert (row["population"], row["population_vintage"]) == (5000.0, "2020")
    assert row["parents"] == ["ach:ach_x", "ach:ach_z"]
    assert row["example"] is False


def test_tracts_get_the_population_and_parents_of_their_vintage(out) -> None:
    """The same GEOID as a 2020 tract (4,000 people, 2020) and as a 2010 tract (3,900, 2010); parents county and ACH
    regions (the 2020 one also ach_n), not the neighborhood overlay; the second 2010 tract has no population and only its county (0.3 < 0.5 of
    it lies in ach_y). Without a boundary name, the published name is used (the newest period's)."""
    t20, t10, b10 = out[TRACT_2020], out[TRACT_2010], out[TRACT_B_2010]
    assert (t20["population"], t20["population_vintage"], t20["land_area_km2"]) == (4000.0, "2020", 2.0)
    assert (t10["population"], t10["population_vintage"], t10["land_area_km2"]) == (3900.0, "2010", 2.1)
    assert t10["parents"] == ["ach:ach_x", "county:53001"]
    assert t20["parents"] == ["ach:ach_n", "ach:ach_x", "county:53001"]
    assert t20["name"] == f"published name {TRACT}"
    assert (b10["population"], b10["parents"]) == (None, ["county:53001"])
    # no boundary: the published name of the newest period (2015-2019), whatever the row order
    assert b10["name"] == "Census Tract 2; Adams County; Washington"


def test_geography_without_boundary(out) -> None:
    """09001 (an old Connecticut county) has no boundary row: published name, state from the GEOID, no area, no
    boundary, no parents."""
    row = out[CT_COUNTY]
    assert (row["name"], row["state_fips"], row["land_area_km2"], row["has_boundary"], row["parents"]) == (
        "published name 09001",
        "09",
        None,
        False,
        [],
    )


def test_regions_neighborhoods_and_tribal_areas(out) -> None:
    """ach_x: 7,100 people, a boundary row without polygon (has_boundary false), no parents; N1: its region ach_n,
    an example, no population published; A001: 300 people, no parents, no state."""
    ach, hood, tribal = out[ACH], out[HOOD], out[TRIBAL]
    assert (ach["population"], ach["has_boundary"], ach["parents"], ach["example"], ach["name"]) == (
        7100.0,
        False,
        [],
        False,
        "ACH X",
    )
    assert (hood["parents"], hood["example"], hood["population"], hood["land_area_km2"]) == (
        ["ach:ach_n"],
        True,
        None,
        9.0,
    )
    assert (tribal["population"], tribal["parents"], tribal["state_fips"], tribal["has_boundary"]) == (
        300.0,
        [],
        None,
        True,
    )


def test_flat_parent_columns_for_dashboards(out) -> None:
    """One county and one ACH region per row, as columns: the county is its own county; the tracts lie in 53001
    (named by its 2023 boundary, "Adams County") and ach_x ("ACH X"; the 2020 tract also lies in ach_n, which sorts
    first but is built from neighborhoods, so the county-built ach_x is its flat region); the county lies in ach_x and ach_z, and the
    flat column holds the first by id (ach_x; ach_z has no seed row, so it could not be named anyway); an ACH region
    is its own region; the neighborhood lies in ach_n and in no county. State names come from the ACS county name
    "Adams County, Washington"; a state with no such name (09: "published name 09001") has none."""
    county, t20, b10, ach, hood = out[COUNTY], out[TRACT_2020], out[TRACT_B_2010], out[ACH], out[HOOD]
    flat = ("county_geoid", "county_name", "ach_id", "ach_name")
    assert tuple(county[c] for c in flat) == ("53001", "Adams County", "ach_x", "ACH X")
    assert tuple(t20[c] for c in flat) == ("53001", "Adams County", "ach_x", "ACH X")
    assert tuple(b10[c] for c in flat) == ("53001", "Adams County", None, None)
    assert tuple(ach[c] for c in flat) == (None, None, "ach_x", "ACH X")
    assert tuple(hood[c] for c in flat) == (None, None, "ach_n", "ACH N")
    assert (county["state_name"], t20["state_name"], out[CT_COUNTY]["state_name"]) == ("Washington",) * 2 + (None,)


def test_map_layer_per_type_and_boundary_vintage(out) -> None:
    """A layer per geography type and boundary vintage (county_2023, tract_2020 and tract_2010 apart); none without
    a polygon (the ACH row here, the old Connecticut county); a neighborhood-built region would get its own layer
    (ach_n has no row of its own here), a neighborhood its type's."""
    assert out[COUNTY]["map_layer"] == "county_2023"
    assert (out[TRACT_2020]["map_layer"], out[TRACT_2010]["map_layer"]) == ("tract_2020", "tract_2010")
    assert (out[ACH]["map_layer"], out[CT_COUNTY]["map_layer"]) == (None, None)
    assert out[HOOD]["map_layer"] == "neighborhood_2024"
