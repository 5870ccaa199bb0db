"""intermediate/int_indicator_components_aggregated.sql on hand-made inputs: counts summed after allocation (a split
tract contributes its area share, MOE of the sum with each part's MOE times its factor), population-weighted means
and their MOE, 95% limits of means of sources that publish them, the coverage rules (all of the population for
counts, min_population_coverage for the rest, tract-boundary coverage of overlay areas) and the notes saying why a
value is missing.

All inputs are GENERATED for this test (made-up tracts A-F, counties and areas), not real data. Tracts A, B, C
(populations 1,000, 3,000 and 40) make county 53001 (4,040 people); neighborhood N1 holds all of A and a quarter of
B (1,000 + 750 = 1,750 people); aiannh 0001 holds half of A but tract boundaries cover only 8 of its 10 km²;
neighborhood N2 holds unpopulated tracts D (2.0 km²) and E (half of 3.0 km²)."""

from __future__ import annotations

import math
from typing import Any

import duckdb
import pytest

from tests.sql.sql_harness import ALLOCATION_RULES, RELIABILITY_RULES, by_key, connect, create_rules, create_table
from tests.sql.sql_harness import run_model as run

MODEL = "intermediate/int_indicator_components_aggregated.sql"
Z90, Z95 = RELIABILITY_RULES["z_90"], RELIABILITY_RULES["z_95"]
MEAN_NOTE = "population-weighted mean of tract values"

COMPONENT_COLUMNS = {
    "indicator_id": "varchar",
    "vintage_year": "varchar",
    "vintage": "varchar",
    "geo_level": "varchar",
    "geo_vintage": "varchar",
    "geoid": "varchar",
    "group_id": "varchar",
    "role": "varchar",
    "method": "varchar",
    "moe_kind": "varchar",
    "moe_published": "boolean",
    "scale": "double",
    "aggregation": "varchar",
    "aggregation_note": "varchar",
    "estimate": "double",
    "moe": "double",
}
ALLOCATION_COLUMNS = {
    "from_geo_level": "varchar",
    "from_geo_vintage": "varchar",
    "from_geoid": "varchar",
    "to_geo_type": "varchar",
    "to_geo_vintage": "varchar",
    "to_geoid": "varchar",
    "allocation_factor": "double",
    "allocated_population": "double",
    "weight": "double",
    "weight_method": "varchar",
    "by_boundary": "boolean",
    "in_tract_vintage": "boolean",
}
XWALK_COLUMNS = {
    "tract_vintage": "varchar",
    "area_type": "varchar",
    "area_geoid": "varchar",
    "intersection_km2": "double",
}
BOUNDARY_COLUMNS = {"geo_type": "varchar", "geoid": "varchar", "area_km2": "double"}

# indicator -> method, aggregation, moe_kind, aggregation_note, role
INDICATORS = {
    "cnt": ("count", "sum", "published", None, "value"),
    "cnt_partial": ("count", "sum", "published", None, "value"),
    "cnt_none": ("count", "sum", "published", None, "value"),
    "rate": ("proportion", "sum", "published", None, "numerator"),
    "mean": ("direct", "population_weighted_mean", "published", MEAN_NOTE, "value"),
    "le": ("direct", "population_weighted_mean", "published_ci95", MEAN_NOTE, "value"),
    "median": ("direct", "none", "published", "medians are not aggregated", "value"),
    "cnty": ("count", "sum", "published", None, "value"),
}
# indicator -> tract (or county for cnty) -> (estimate, moe)
VALUES: dict[str, dict[str, tuple[float | None, float | None]]] = {
    "cnt": {"A": (100.0, 30.0), "B": (50.0, 40.0), "C": (0.0, 20.0)},
    "cnt_partial": {"A": (100.0, 30.0), "B": (50.0, 40.0), "C": (None, None)},
    "cnt_none": {"A": (None, None), "B": (None, None), "C": (None, None)},
    "rate": {"A": (20.0, 8.0), "B": (30.0, 10.0), "C": (None, None)},
    "mean": {
        "A": (10.0, 2.0),
        "B": (20.0, 4.0),
        "C": (None, None),
        "D": (30.0, 5.0),
        "E": (10.0, 2.0),
        "F": (5.0, 1.0),
    },
    "le": {"A": (80.0, 1.645), "B": (76.0, 3.29), "C": (70.0, None)},
    "median": {"A": (50_000.0, 5_000.0), "B": (60_000.0, 6_000.0), "C": (55_000.0, 4_000.0)},
    "cnty": {"53001": (500.0, 40.0), "53003": (300.0, 30.0)},
}


def component(indicator_id: str, unit: str, estimate: float | None, moe: float | None) -> dict[str, Any]:
    """One intermediate.int_indicator_components row; tracts of 2020, counties for the county-sourced `cnty`."""
    method, aggregation, moe_kind, note, role = INDICATORS[indicator_id]
    county = indicator_id == "cnty"
    return {
        "indicator_id": indicator_id,
        "vintage_year": "2022",
        "vintage": "2018-2022",
        "geo_level": "county" if county else "tract",
        "geo_vintage": None if county else "2020",
        "geoid": unit,
        "group_id": "total",
        "role": role,
        "method": method,
        "moe_kind": moe_kind,
        "moe_published": True,
        "scale": 100.0 if method == "proportion" else 1.0,
        "aggregation": aggregation,
        "aggregation_note": note,
        "estimate": estimate,
        "moe": moe,
    }


def allocation(
    unit: str, to_type: str, to_geoid: str, factor: float, population: float | None, weight: float | None
) -> dict[str, Any]:
    """One intermediate.int_geo_allocation row (tract of 2020, or a county when the unit is a 5-digit GEOID)."""
    county = len(unit) == 5 and unit.isdigit()
    return {
        "from_geo_level": "county" if county else "tract",
        "from_geo_vintage": None if county else "2020",
        "from_geoid": unit,
        "to_geo_type": to_type,
        "to_geo_vintage": {"neighborhood": "2024", "aiannh": "2019", "ach": "2023"}.get(to_type),
        "to_geoid": to_geoid,
        "allocation_factor": factor,
        "allocated_population": population,
        "weight": weight,
        "weight_method": "population" if population else "area",
    }


ALLOCATION = [
    allocation("A", "county", "53001", 1.0, 1000.0, 1000.0),
    allocation("B", "county", "53001", 1.0, 3000.0, 3000.0),
    allocation("C", "county", "53001", 1.0, 40.0, 40.0),
    allocation("A", "neighborhood", "N1", 1.0, 1000.0, 1000.0),
    allocation("B", "neighborhood", "N1", 0.25, 750.0, 750.0),
    allocation("A", "aiannh", "0001", 0.5, 500.0, 500.0),
    allocation("D", "neighborhood", "N2", 1.0, 0.0, 2.0),  # no population: weight = 1.0 x 2.0 km²
    allocation("E", "neighborhood", "N2", 0.5, 0.0, 1.5),  # 0.5 x 3.0 km²
    allocation("F", "aiannh", "0002", 1.0, None, None),  # neither population nor area known
    allocation("53001", "ach", "ach_x", 1.0, 4040.0, 4040.0),
    allocation("53003", "ach", "ach_x", 1.0, 2000.0, 2000.0),
]
XWALK = [
    # N1: 2020 tracts cover 3 + 1 = 4 of 4 km²; the 2010 tracts only 2 km² (the better vintage counts)
    {"tract_vintage": "2020", "area_type": "neighborhood", "area_geoid": "N1", "intersection_km2": 3.0},
    {"tract_vintage": "2020", "area_type": "neighborhood", "area_geoid": "N1", "intersection_km2": 1.0},
    {"tract_vintage": "2010", "area_type": "neighborhood", "area_geoid": "N1", "intersection_km2": 2.0},
    # aiannh 0001: 8 of 10 km²
    {"tract_vintage": "2020", "area_type": "aiannh", "area_geoid": "0001", "intersection_km2": 8.0},
]
BOUNDARIES = [
    {"geo_type": "neighborhood", "geoid": "N1", "area_km2": 4.0},
    {"geo_type": "aiannh", "geoid": "0001", "area_km2": 10.0},
]


@pytest.fixture(scope="module")
def out() -> dict[tuple[str, str], dict[str, Any]]:
    con: duckdb.DuckDBPyConnection = connect()
    create_rules(con, "seeds.seed_allocation_rules", ALLOCATION_RULES)
    create_rules(con, "seeds.seed_reliability_rules", {"z_90": Z90, "z_95": Z95})
    components = [component(i, u, e, m) for i, units in VALUES.items() for u, (e, m) in units.items()]
    create_table(con, "intermediate.int_indicator_components", COMPONENT_COLUMNS, components)
    create_table(con, "intermediate.int_geo_allocation", ALLOCATION_COLUMNS, ALLOCATION)
    create_table(con, "geographies.xwalk_tract_areas", XWALK_COLUMNS, XWALK)
    create_table(con, "geographies.geo_boundaries", BOUNDARY_COLUMNS, BOUNDARIES)
    rows = run(con, MODEL)
    con.close()
    return by_key(rows, "indicator_id", "geoid")


def test_counts_summed_into_a_county(out) -> None:
    """cnt, county 53001 = 100 + 50 + 0 = 150, MOE sqrt(30² + 40² + 20²) = sqrt(2,900) = 53.852; full coverage,
    so no note."""
    row = out["cnt", "53001"]
    assert row["estimate"] == 150.0
    assert row["moe"] == pytest.approx(math.sqrt(2900))
    assert (row["n_units"], row["n_units_universe"], row["population_coverage"]) == (3, 3, 1.0)
    assert (row["geo_type"], row["from_geo_level"], row["geo_vintage"], row["boundary_coverage"]) == (
        "county",
        "tract",
        None,
        1.0,
    )
    assert row["aggregation_method"] == "aggregated from 3 tracts: counts summed, MOE of the sum by the ACS formula"
    assert row["aggregated_by"] == "sum"
    assert row["estimate_note"] is None
    assert row["published_ci_low"] is None and row["published_ci_level"] is None


def test_split_tract_contributes_its_area_share(out) -> None:
    """cnt, neighborhood N1 = 1 x 100 + 0.25 x 50 = 112.5; MOE sqrt(30² + (0.25 x 40)²) = sqrt(900 + 100) = 31.623
    (the factor is a constant, so it scales the MOE). Boundary coverage is the better tract vintage, 4/4 = 1 (not
    (4 + 2) / 4)."""
    row = out["cnt", "N1"]
    assert row["estimate"] == 112.5
    assert row["moe"] == pytest.approx(math.sqrt(1000))
    assert (row["n_units"], row["n_units_universe"], row["population_coverage"], row["boundary_coverage"]) == (
        2,
        2,
        1.0,
        1.0,
    )
    assert row["geo_vintage"] == "2024"
    assert row["aggregation_method"] == (
        "aggregated from 2 tracts: counts summed (a split tract contributes its area share), "
        "MOE of the sum by the ACS formula"
    )


def test_counts_need_all_of_the_population(out) -> None:
    """cnt_partial, 53001: tract C (40 of 4,040 people) has no data: coverage 4,000 / 4,040 = 0.990 < 0.999999, so
    no count; cnt_none: no tract has data."""
    row = out["cnt_partial", "53001"]
    assert row["population_coverage"] == pytest.approx(4000 / 4040)
    assert (row["estimate"], row["moe"], row["n_units"]) == (None, None, 2)
    assert row["estimate_note"] == ("no value: the tracts with data hold 99.0% of the area's population (needs 100.0%)")
    none = out["cnt_none", "53001"]
    assert (none["estimate"], none["n_units"], none["population_coverage"]) == (None, 0, 0.0)
    assert none["estimate_note"] == "no value: none of the 3 tracts in the area has data"
    assert out["cnt_none", "N1"]["estimate_note"] == "no value: none of the 2 tracts in the area has data"


def test_proportion_counts_need_min_population_coverage(out) -> None:
    """rate numerator, 53001: A + B = 20 + 30 = 50, MOE sqrt(8² + 10²) = sqrt(164) = 12.806; coverage 0.990 >= 0.95
    is enough for a non-count, and the note gives the share."""
    row = out["rate", "53001"]
    assert row["role"] == "numerator"
    assert (row["estimate"], row["n_units"], row["n_units_universe"]) == (50.0, 2, 3)
    assert row["moe"] == pytest.approx(math.sqrt(164))
    assert row["estimate_note"] == "2 of 3 tracts have data, holding 99.0% of the area's population"


def test_population_weighted_mean(out) -> None:
    """mean, 53001: weights 1,000 and 3,000 (C has no value): (1,000 x 10 + 3,000 x 20) / 4,000 = 17.5; MOE
    sqrt((1,000 x 2)² + (3,000 x 4)²) / 4,000 = sqrt(148,000,000) / 4,000 = 3.0414.
    N1: weights are allocated populations 1,000 and 0.25 x 3,000 = 750: (10,000 + 15,000) / 1,750 = 14.2857; MOE
    sqrt(2,000² + 3,000²) / 1,750 = sqrt(13,000,000) / 1,750 = 2.0603."""
    county = out["mean", "53001"]
    assert county["estimate"] == 17.5
    assert county["moe"] == pytest.approx(math.sqrt(148e6) / 4000)
    assert county["moe"] == pytest.approx(3.0414, abs=1e-4)
    assert county["aggregation_method"] == f"aggregated from 2 tracts: {MEAN_NOTE}"
    assert county["aggregated_by"] == "population_weighted_mean"
    assert county["estimate_note"] == "2 of 3 tracts have data, holding 99.0% of the area's population"
    assert county["published_ci_low"] is None  # a 90% MOE source gets no 95% limits
    n1 = out["mean", "N1"]
    assert n1["estimate"] == pytest.approx(25_000 / 1_750)
    assert n1["moe"] == pytest.approx(math.sqrt(13e6) / 1750)


def test_area_weights_where_the_area_has_no_population(out) -> None:
    """mean, N2 (no population): area weights 2.0 and 1.5: (2 x 30 + 1.5 x 10) / 3.5 = 75 / 3.5 = 21.4286; MOE
    sqrt((2 x 5)² + (1.5 x 2)²) / 3.5 = sqrt(109) / 3.5 = 2.9829; coverage by weight 3.5 / 3.5 = 1."""
    row = out["mean", "N2"]
    assert row["estimate"] == pytest.approx(75 / 3.5)
    assert row["moe"] == pytest.approx(math.sqrt(109) / 3.5)
    assert row["population_coverage"] == 1.0
    assert row["aggregation_method"] == (
        f"aggregated from 2 tracts: {MEAN_NOTE} (no population in the area: weighted by area)"
    )


def test_means_of_95_percent_sources_get_95_percent_limits(out) -> None:
    """le, N1: mean (1,000 x 80 + 750 x 76) / 1,750 = 137,000 / 1,750 = 78.2857; MOE sqrt((1,000 x 1.645)² +
    (750 x 3.29)²) / 1,750 = sqrt(2,706,025 + 6,088,556.25) / 1,750 = 1.69461; 95% limits mean ± 1.96 / 1.645 x
    1.69461 = ± 2.01911. 53001: C's MOE is unknown, so the mean (80,000 + 228,000 + 2,800) / 4,040 = 76.9307 has
    neither MOE nor limits."""
    n1 = out["le", "N1"]
    moe = math.sqrt(1645**2 + 2467.5**2) / 1750
    assert n1["estimate"] == pytest.approx(137_000 / 1_750)
    assert n1["moe"] == pytest.approx(moe)
    assert n1["published_ci_low"] == pytest.approx(137_000 / 1_750 - 2.01911, abs=1e-5)
    assert n1["published_ci_high"] == pytest.approx(137_000 / 1_750 + Z95 / Z90 * moe)
    assert float(n1["published_ci_level"]) == 0.95
    county = out["le", "53001"]
    assert county["estimate"] == pytest.approx(310_800 / 4_040)
    assert (county["moe"], county["published_ci_low"], county["published_ci_high"]) == (None, None, None)
    assert county["published_ci_level"] is None


def test_values_that_are_not_aggregated(out) -> None:
    """A median is never aggregated, whatever the coverage: no value and the configured reason."""
    row = out["median", "53001"]
    assert (row["estimate"], row["moe"]) == (None, None)
    assert row["aggregation_method"] == "not aggregated: medians are not aggregated"
    assert row["aggregated_by"] == "none"
    assert row["estimate_note"] == "no value: medians are not aggregated"


def test_overlay_areas_need_tract_boundary_coverage(out) -> None:
    """aiannh 0001: tract boundaries cover 8 / 10 = 80% of it (< 95%), so no value even though its one tract has
    data (population coverage 1)."""
    row = out["cnt", "0001"]
    assert (row["boundary_coverage"], row["population_coverage"]) == (0.8, 1.0)
    assert (row["estimate"], row["moe"]) == (None, None)
    assert row["estimate_note"] == "no value: tract boundaries in the source cover 80.0% of the area (needs 95.0%)"
    assert row["geo_vintage"] == "2019"


def test_unknown_coverage_gives_no_value(out) -> None:
    """aiannh 0002: its tract has neither population nor area, so the coverage is unknown and there is no value."""
    row = out["mean", "0002"]
    assert (row["population_coverage"], row["estimate"]) == (None, None)
    assert row["estimate_note"].startswith("no value: the tracts with data hold an unknown share")


def test_counties_summed_into_an_ach_region(out) -> None:
    """cnty (county-level source), ach_x = 500 + 300 = 800, MOE sqrt(40² + 30²) = 50; coverage by county population
    (4,040 + 2,000) / 6,040 = 1."""
    row = out["cnty", "ach_x"]
    assert (row["estimate"], row["moe"], row["from_geo_level"], row["n_units"]) == (800.0, 50.0, "county", 2)
    assert row["population_coverage"] == 1.0 and row["estimate_note"] is None
    assert row["aggregation_method"].endswith(": counts summed, MOE of the sum by the ACS formula")


def test_county_plural_in_the_method_text(out) -> None:
    """The method text for county sources reads 'aggregated from 2 counties', not '2 countys'."""
    assert out["cnty", "ach_x"]["aggregation_method"].startswith("aggregated from 2 counties:")


def test_one_row_per_target_reached(out) -> None:
    """Every (indicator, target) that a unit with a component row reaches, and nothing else: 53001, N1 and 0001 from
    A/B/C for the 7 tract indicators except mean, which also reaches N2 and 0002; ach_x for cnty."""
    expected = {(i, g) for i in INDICATORS if i not in ("cnty",) for g in ("53001", "N1", "0001")}
    expected |= {("mean", "N2"), ("mean", "0002"), ("cnty", "ach_x")}
    assert set(out) == expected


def test_a_tract_outside_its_vintage_is_summed_into_its_county_and_unallocated_to_overlays() -> None:
    """GENERATED inputs (2010 tract vintage): county 53001 holds tracts A (1,000 people) and B (3,000) and tract Z,
    (GEOIDs 53001000100, 53001000200, 53001000900) which has data but is not a 2010 census tract (int_geo_allocation: nested by GEOID prefix, no population,
    in_tract_vintage false; as 06037137000 in the ACS 2014-18 file). Neighborhood N1 holds all of A and half of B
    (by boundary); Z has no boundary, so it reaches no overlay area. Proportion `burden`:
    A 40 ± 10 of 100 ± 20, B 60 ± 12 of 300 ± 25, Z 217 ± 30 of 260 ± 35.
    - county 53001: numerator 40 + 60 + 217 = 317, denominator 100 + 300 + 260 = 660 (Z is counted); population
      coverage 4,000 / 4,000 = 1 (Z has no population to add); the note names Z as summed in without population.
    - N1: numerator 40 + 0.5 x 60 = 70, denominator 100 + 0.5 x 300 = 250; the note says Z is unallocated and holds
      260 of the county's 660 denominator households: 260 / 660 = 39.394%. The same note on both roles."""
    con: duckdb.DuckDBPyConnection = connect()
    create_rules(con, "seeds.seed_allocation_rules", ALLOCATION_RULES)
    create_rules(con, "seeds.seed_reliability_rules", {"z_90": Z90, "z_95": Z95})
    a, b, z = "53001000100", "53001000200", "53001000900"
    values = {a: ((40.0, 10.0), (100.0, 20.0)), b: ((60.0, 12.0), (300.0, 25.0)), z: ((217.0, 30.0), (260.0, 35.0))}
    base = component("rate", a, 0.0, 0.0) | {"indicator_id": "burden", "vintage_year": "2018", "vintage": "2014-2018"}
    components = [
        base | {"geoid": unit, "geo_vintage": "2010", "role": role, "estimate": e, "moe": m}
        for unit, pair in values.items()
        for role, (e, m) in zip(("numerator", "denominator"), pair, strict=True)
    ]
    # a median (not aggregated) of the same tracts: its rows say only why they have no value
    components += [
        component("median", unit, 50_000.0, 5_000.0)
        | {"vintage_year": "2018", "vintage": "2014-2018", "geoid": unit}
        | {"geo_vintage": "2010"}
        for unit in (a, z)
    ]

    def alloc(unit: str, to_type: str, to_geoid: str, factor: float, people: float | None, **flags: Any) -> dict:
        row = allocation(unit, to_type, to_geoid, factor, people, people) | {"from_geo_vintage": "2010"}
        return row | {"by_boundary": to_type == "neighborhood", "in_tract_vintage": True} | flags

    rows = [
        alloc(a, "county", "53001", 1.0, 1000.0),
        alloc(b, "county", "53001", 1.0, 3000.0),
        alloc(z, "county", "53001", 1.0, None, in_tract_vintage=False, weight_method="none"),
        alloc(a, "neighborhood", "N1", 1.0, 1000.0),
        alloc(b, "neighborhood", "N1", 0.5, 1500.0),
    ]
    create_table(con, "intermediate.int_indicator_components", COMPONENT_COLUMNS, components)
    create_table(con, "intermediate.int_geo_allocation", ALLOCATION_COLUMNS, rows)
    create_table(con, "geographies.xwalk_tract_areas", XWALK_COLUMNS, [])
    create_table(con, "geographies.geo_boundaries", BOUNDARY_COLUMNS, [])
    rows_out = run(con, MODEL)
    out = by_key([r for r in rows_out if r["indicator_id"] == "burden"], "geoid", "role")
    con.close()

    county_num, county_den = out["53001", "numerator"], out["53001", "denominator"]
    assert (county_num["estimate"], county_den["estimate"]) == (317.0, 660.0)
    assert county_den["moe"] == pytest.approx(math.sqrt(20**2 + 25**2 + 35**2))
    assert (county_den["n_units"], county_den["n_units_universe"], county_den["population_coverage"]) == (3, 3, 1.0)
    assert county_den["estimate_note"] == (
        "tract(s) 53001000900 with data are not 2010 census tracts: their counts are summed in by GEOID prefix, but they have "
        "no 2010 census population, so the population share leaves them out"
    )
    n1_num, n1_den = out["N1", "numerator"], out["N1", "denominator"]
    assert (n1_num["estimate"], n1_den["estimate"]) == (70.0, 250.0)
    assert round(100 * 260 / 660, 3) == 39.394
    expected_note = (
        "unallocated: 1 2010-vintage tract(s) with data in county 53001 (53001000900) are not 2010 census tracts and have no "
        "boundary to place them by, so they are left out of this area whether or not they lie in it; they hold 260 "
        "of the county's 660 in the denominator (39.394% unallocated)"
    )
    assert n1_num["estimate_note"] == expected_note
    assert n1_den["estimate_note"] == expected_note
    medians = by_key([r for r in rows_out if r["indicator_id"] == "median"], "geoid")
    assert set(medians) == {"53001", "N1"}
    assert all(r["estimate_note"] == "no value: medians are not aggregated" for r in medians.values())
