"""intermediate/int_geo_allocation.sql on hand-made geographies: nesting (tract -> county by GEOID prefix, tract and
county -> ACH region by county membership), boundary overlays by area share with the sliver threshold and the cap
at 1, the relationship-file route for tracts without a boundary of their own, and population or area weights.

All inputs are GENERATED for this test (made-up tracts, populations, areas and shares), not real data:
2020 tracts T1-T5 have boundaries (T1 4,000 people, T2 1,000, T3 0 people on 3 km², T4 2,000 in county 53003, T5 a
boundary without a population row); T6 (53003, 100 people) has no 2020 boundary. 2010 tract S1 (3,500 people) has
no 2010 boundary; S2 (900 people) has one. ACH region ach_x is counties 53001 and 53003; ach_n is built from a
neighborhood."""

from __future__ import annotations

from typing import Any

import duckdb
import pytest

from tests.sql.sql_harness import ALLOCATION_RULES, by_key, connect, create_rules, create_table, run_model

MODEL = "intermediate/int_geo_allocation.sql"

T1, T2, T3, T4, T5, T6 = "53001000100", "53001000200", "53001000300", "53003000100", "53001000400", "53003000200"
S1, S2, S9 = "53001000101", "53001000201", "53001000900"

ESTIMATE_COLUMNS = {
    "dataset": "varchar",
    "variable": "varchar",
    "geo_level": "varchar",
    "geo_vintage": "varchar",
    "geoid": "varchar",
    "estimate": "double",
}
WEIGHT_COLUMNS = {"geo_vintage": "varchar", "dataset": "varchar", "variable": "varchar"}
BOUNDARY_COLUMNS = {"geo_type": "varchar", "geo_vintage": "varchar", "geoid": "varchar", "area_km2": "double"}
XWALK_COLUMNS = {
    "tract_vintage": "varchar",
    "tract_geoid": "varchar",
    "area_type": "varchar",
    "area_geoid": "varchar",
    "area_share": "double",
}
RELATIONSHIP_COLUMNS = {
    "tract_2020": "varchar",
    "tract_2010": "varchar",
    "land_m2_tract_2020": "double",
    "land_m2_tract_2010": "double",
    "land_m2_part": "double",
}
MEMBER_COLUMNS = {"ach_id": "varchar", "member_geo_type": "varchar", "member_geoid": "varchar"}

POPULATION_VARIABLE = {"2020": ("dec/pl", "P1_001"), "2010": ("dec/sf1", "P001001")}


def population(geo_vintage: str, geoid: str, people: float, **overrides: Any) -> dict[str, Any]:
    """A tract population in intermediate.int_source_estimates (the census variable of its tract vintage)."""
    dataset, variable = POPULATION_VARIABLE[geo_vintage]
    row = {"dataset": dataset, "variable": variable, "geo_level": "tract", "geo_vintage": geo_vintage}
    return row | {"geoid": geoid, "estimate": people} | overrides


def tract_boundary(geo_vintage: str, geoid: str, km2: float) -> dict[str, Any]:
    return {"geo_type": "tract", "geo_vintage": geo_vintage, "geoid": geoid, "area_km2": km2}


def overlay(tract_vintage: str, tract: str, area_type: str, area: str, share: float) -> dict[str, Any]:
    return {
        "tract_vintage": tract_vintage,
        "tract_geoid": tract,
        "area_type": area_type,
        "area_geoid": area,
        "area_share": share,
    }


def part(tract_2020: str, tract_2010: str, land_2020: float, land_2010: float, land_part: float) -> dict[str, Any]:
    """A row of the Census 2020-2010 tract relationship file (land m²)."""
    return {
        "tract_2020": tract_2020,
        "tract_2010": tract_2010,
        "land_m2_tract_2020": land_2020,
        "land_m2_tract_2010": land_2010,
        "land_m2_part": land_part,
    }


POPULATIONS = [
    population("2020", T1, 4000.0),
    population("2020", T2, 1000.0),
    population("2020", T3, 0.0),
    population("2020", T4, 2000.0),
    population("2020", T6, 100.0),
    population("2010", S1, 3500.0),
    population("2010", S2, 900.0),
    # decoys: another variable, a county row and another dataset must not count as tract population
    population("2020", T1, 99_999.0, variable="P1_002"),
    population("2020", "53001", 88_888.0, geo_level="county"),
    population("2020", T2, 77_777.0, dataset="acs/acs5"),
    # S9: an ACS tract of the 2010 vintage with neither a 2010 census count nor a 2010 boundary (as 06037137000 in the
    # ACS 2014-18 file, which uses the 2010 tracts as corrected in 2012)
    population("2010", S9, 260.0, dataset="acs/acs5", variable="B25070_001E"),
]
BOUNDARIES = [
    tract_boundary("2020", T1, 2.0),
    tract_boundary("2020", T2, 5.0),
    tract_boundary("2020", T3, 3.0),
    tract_boundary("2020", T4, 1.0),
    tract_boundary("2020", T5, 4.0),
    tract_boundary("2010", S2, 5.5),
    {"geo_type": "neighborhood", "geo_vintage": "2024", "geoid": "N1", "area_km2": 9.0},
    {"geo_type": "aiannh", "geo_vintage": "2019", "geoid": "A001", "area_km2": 50.0},
    {"geo_type": "ach", "geo_vintage": "2023", "geoid": "ach_x", "area_km2": 500.0},
]
XWALK = [
    overlay("2020", T1, "neighborhood", "N1", 0.6),
    overlay("2020", T1, "neighborhood", "N2", 0.4),
    overlay("2020", T2, "neighborhood", "N1", 1.0),
    overlay("2020", T3, "neighborhood", "N1", 1.0000002),  # generalization noise above 1: capped
    overlay("2020", T5, "neighborhood", "N2", 0.5),  # no population: half of its 4 km²
    overlay("2020", T1, "aiannh", "A001", 0.0005),  # sliver below min_area_share 0.001: dropped
    overlay("2020", T4, "aiannh", "A001", 0.001),  # exactly the minimum: kept
    overlay("2010", S2, "neighborhood", "N1", 0.25),
]
RELATIONSHIP = [
    part(T1, S1, 2000.0, 1000.0, 300.0),  # 30% of S1's land lies in T1
    part(T2, S1, 5000.0, 1000.0, 700.0),  # 70% in T2
    part(T2, S2, 5000.0, 550.0, 500.0),  # S2 has its own boundary: never routed through the file
    part(T6, S2, 100.0, 550.0, 50.0),  # half of T6's land lies in S2
]
MEMBERS = [
    {"ach_id": "ach_x", "member_geo_type": "county", "member_geoid": "53001"},
    {"ach_id": "ach_x", "member_geo_type": "county", "member_geoid": "53003"},
    {"ach_id": "ach_n", "member_geo_type": "neighborhood", "member_geoid": "N1"},
]


@pytest.fixture(scope="module")
def out() -> dict[tuple[str | None, str, str, str], dict[str, Any]]:
    con: duckdb.DuckDBPyConnection = connect()
    create_rules(con, "seeds.seed_allocation_rules", {"min_area_share": ALLOCATION_RULES["min_area_share"]})
    create_table(con, "intermediate.int_source_estimates", ESTIMATE_COLUMNS, POPULATIONS)
    create_table(
        con,
        "seeds.seed_population_weights",
        WEIGHT_COLUMNS,
        [{"geo_vintage": v, "dataset": d, "variable": var} for v, (d, var) in POPULATION_VARIABLE.items()],
    )
    create_table(con, "geographies.geo_boundaries", BOUNDARY_COLUMNS, BOUNDARIES)
    create_table(con, "geographies.xwalk_tract_areas", XWALK_COLUMNS, XWALK)
    create_table(con, "geographies.ref_tract_relationship", RELATIONSHIP_COLUMNS, RELATIONSHIP)
    create_table(con, "seeds.seed_ach_region_members", MEMBER_COLUMNS, MEMBERS)
    rows = run_model(con, MODEL)
    con.close()
    return by_key(rows, "from_geo_vintage", "from_geoid", "to_geo_type", "to_geoid")


def test_tracts_nest_in_their_county_with_population_weights(out) -> None:
    """T1 -> 53001 with factor 1: 4,000 people, weight 4,000 (the decoy rows 99,999 / 88,888 / 77,777 are not
    population)."""
    row = out["2020", T1, "county", "53001"]
    assert (row["allocation_factor"], row["from_population"], row["allocated_population"], row["weight"]) == (
        1.0,
        4000.0,
        4000.0,
        4000.0,
    )
    assert (row["weight_method"], row["from_geo_level"], row["to_geo_vintage"]) == ("population", "tract", None)
    assert row["derivation"] == "tract within its county (GEOID prefix)"
    assert out["2020", T2, "county", "53001"]["from_population"] == 1000.0
    assert out["2020", T4, "county", "53003"]["from_population"] == 2000.0


def test_tracts_reach_county_built_regions_only(out) -> None:
    """Every tract of 53001 and 53003 (both vintages, and S9 outside its vintage) reaches ach_x with factor 1; nothing reaches ach_n, a
    neighborhood-built region, by county membership."""
    ach = {k[1] for k in out if k[2] == "ach" and k[0] is not None}
    assert ach == {T1, T2, T3, T4, T5, T6, S1, S2, S9}
    row = out["2020", T4, "ach", "ach_x"]
    assert (row["allocation_factor"], row["allocated_population"], row["to_geo_vintage"]) == (1.0, 2000.0, "2023")
    assert row["derivation"] == "tract within county 53003, a member of the region (config/ach_regions.yaml)"
    assert not any(k[3] == "ach_n" for k in out)


def test_counties_reach_regions_with_their_2020_tract_population(out) -> None:
    """53001 -> ach_x: 2020 tracts 4,000 + 1,000 + 0 (+ T5 unknown) = 5,000 (not + 3,500 + 900 of the 2010 tracts);
    53003: 2,000 + 100 = 2,100."""
    row = out[None, "53001", "ach", "ach_x"]
    assert (row["from_geo_level"], row["allocation_factor"], row["from_population"], row["weight"]) == (
        "county",
        1.0,
        5000.0,
        5000.0,
    )
    assert row["derivation"] == "county member of the region (config/ach_regions.yaml)"
    assert out[None, "53003", "ach", "ach_x"]["allocated_population"] == 2100.0


def test_split_tract_by_area_share(out) -> None:
    """T1 is 60% in N1 and 40% in N2: 0.6 x 4,000 = 2,400 and 0.4 x 4,000 = 1,600 people."""
    n1, n2 = out["2020", T1, "neighborhood", "N1"], out["2020", T1, "neighborhood", "N2"]
    assert (n1["allocation_factor"], n1["allocated_population"], n1["weight"]) == (0.6, 2400.0, 2400.0)
    assert (n2["allocation_factor"], n2["allocated_population"]) == (0.4, 1600.0)
    assert n1["derivation"] == "overlay of 2020 tract boundaries (area share)"
    assert (n1["to_geo_vintage"], n2["to_geo_vintage"]) == ("2024", None)


def test_area_weights_without_population(out) -> None:
    """T3 (0 people, 3 km²) in N1, share 1.0000002 capped at 1: weight 1 x 3 = 3 km², method area. T5 has no
    population row: its county weight is its area, 4 km², half of it in N2: 0.5 x 4 = 2 km²; population unknown."""
    t3 = out["2020", T3, "neighborhood", "N1"]
    assert (t3["allocation_factor"], t3["allocated_population"], t3["weight"], t3["weight_method"]) == (
        1.0,
        0.0,
        3.0,
        "area",
    )
    t5 = out["2020", T5, "county", "53001"]
    assert (t5["from_population"], t5["allocated_population"], t5["weight"], t5["weight_method"]) == (
        None,
        None,
        4.0,
        "area",
    )
    t5_n2 = out["2020", T5, "neighborhood", "N2"]
    assert (t5_n2["allocation_factor"], t5_n2["allocated_population"], t5_n2["weight"]) == (0.5, None, 2.0)


def test_sliver_threshold(out) -> None:
    """T1's 0.0005 share of A001 is below min_area_share 0.001 and dropped; T4's share of exactly 0.001 is kept:
    0.001 x 2,000 = 2 people."""
    assert ("2020", T1, "aiannh", "A001") not in out
    row = out["2020", T4, "aiannh", "A001"]
    assert (row["allocation_factor"], row["allocated_population"], row["to_geo_vintage"]) == (0.001, 2.0, "2019")


def test_tract_without_boundary_goes_through_the_relationship_file(out) -> None:
    """S1 (2010, no 2010 boundary): 300 / 1,000 of its land is in T1 and 700 / 1,000 in T2, so N1 = 0.3 x 0.6 +
    0.7 x 1.0 = 0.88 (3,080 people) and N2 = 0.3 x 0.4 = 0.12 (420 people); A001 = 0.3 x 0.0005 = 0.00015 is a
    sliver. T6 (2020, no 2020 boundary): 50 / 100 of its land in S2, S2 is 25% in N1: 0.125, 12.5 people."""
    n1, n2 = out["2010", S1, "neighborhood", "N1"], out["2010", S1, "neighborhood", "N2"]
    assert n1["allocation_factor"] == pytest.approx(0.88)
    assert n1["allocated_population"] == pytest.approx(3080.0)
    assert n2["allocation_factor"] == pytest.approx(0.12)
    assert n2["allocated_population"] == pytest.approx(420.0)
    assert n1["derivation"] == (
        "2010 tract -> 2020 tracts by land-area share (Census relationship file) -> overlay of 2020 tract boundaries"
    )
    assert ("2010", S1, "aiannh", "A001") not in out
    t6 = out["2020", T6, "neighborhood", "N1"]
    assert (t6["allocation_factor"], t6["allocated_population"], t6["weight_method"]) == (0.125, 12.5, "population")
    assert t6["derivation"].startswith("2020 tract -> 2010 tracts by land-area share")


def test_tracts_with_their_own_boundary_use_only_it(out) -> None:
    """S2 has a 2010 boundary: its N1 share is its own overlay's 0.25 (225 people), not 500 / 550 of it through T2
    (which lies fully in N1); T1 and T2 likewise never reach S1's areas through the file."""
    row = out["2010", S2, "neighborhood", "N1"]
    assert (row["allocation_factor"], row["allocated_population"]) == (0.25, 225.0)
    assert row["derivation"] == "overlay of 2010 tract boundaries (area share)"


def test_no_other_rows(out) -> None:
    """9 tracts (S9 included) x (county + ach_x) = 18; overlays T1 x 2, T2, T3, T4, T5, S2 = 7; relationship S1 x
    2, T6 = 3; counties -> ach_x 2: 30 rows."""
    assert len(out) == 30


def test_a_tract_with_data_outside_its_vintage_nests_by_prefix_and_is_marked(out) -> None:
    """S9 has ACS data under the 2010 tract vintage but no 2010 census count and no 2010 boundary. Before, it was
    in no row at all, so its counts vanished from the county and every region. It now nests in county 53001 (GEOID
    prefix) and in ach_x (53001 is a member), factor 1, with no population and no area (weight_method none,
    weight null), in_tract_vintage false; it has no boundary, so it reaches no overlay area."""
    rows = {k: v for k, v in out.items() if k[1] == S9}
    assert set(rows) == {("2010", S9, "county", "53001"), ("2010", S9, "ach", "ach_x")}
    for row in rows.values():
        assert (row["allocation_factor"], row["from_population"], row["allocated_population"], row["weight"]) == (
            1.0,
            None,
            None,
            None,
        )
        assert (row["weight_method"], row["in_tract_vintage"], row["by_boundary"]) == ("none", False, False)
        assert "not a 2010 tract (no 2010 census count or boundary)" in row["derivation"]
        assert "unallocated to overlay areas" in row["derivation"]


def test_in_vintage_and_overlay_flags(out) -> None:
    """T1 is a 2020 tract (in_tract_vintage true): nesting rows are not by boundary, its overlay rows are."""
    assert out["2020", T1, "county", "53001"]["in_tract_vintage"] is True
    assert out["2020", T1, "county", "53001"]["by_boundary"] is False
    assert out["2020", T1, "ach", "ach_x"]["by_boundary"] is False
    assert out["2020", T1, "neighborhood", "N1"]["by_boundary"] is True
    assert out[None, "53001", "ach", "ach_x"]["in_tract_vintage"] is True
