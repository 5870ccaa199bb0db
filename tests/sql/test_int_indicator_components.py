"""intermediate/int_indicator_components.sql on hand-made inputs: the join of source estimates to the indicator
variable spec (vintage, dataset, level, variable, state and county filters), signed sums, the MOE of a sum by the
ACS rule (largest MOE among zero cells once; a controlled estimate's MOE of 0 adds nothing), missing estimates and
unknown MOEs, published limits and the annotations.

Every number below is GENERATED for this test (made-up variables T01_001... and counties), not real data."""

from __future__ import annotations

import math
from typing import Any

import duckdb
import pytest

from tests.sql.sql_harness import by_key, connect, create_table, run_model

MODEL = "intermediate/int_indicator_components.sql"
CONTROLLED = "-555555555: estimate is controlled; no sampling error (MOE 0)"

SPEC_COLUMNS = {
    "indicator_id": "varchar",
    "vintage_year": "varchar",
    "dataset": "varchar",
    "geo_level": "varchar",
    "state": "varchar",
    "county": "varchar",
    "group_id": "varchar",
    "role": "varchar",
    "variable": "varchar",
    "sign": "double",
    "method": "varchar",
    "moe_kind": "varchar",
    "moe_published": "boolean",
    "scale": "double",
    "aggregation": "varchar",
    "aggregation_note": "varchar",
}
ESTIMATE_COLUMNS = {
    "vintage_year": "varchar",
    "vintage": "varchar",
    "dataset": "varchar",
    "variable": "varchar",
    "geo_level": "varchar",
    "geo_vintage": "varchar",
    "geoid": "varchar",
    "geo_name": "varchar",
    "estimate": "double",
    "moe": "double",
    "estimate_annotation": "varchar",
    "moe_annotation": "varchar",
    "published_ci_low": "double",
    "published_ci_high": "double",
    "published_ci_level": "double",
}


def spec(indicator_id: str, role: str, variable: str, sign: float = 1.0, **overrides: Any) -> dict[str, Any]:
    """One seeds.seed_indicator_variables row (a proportion's count from ACS 2022 county data unless overridden)."""
    row = {
        "indicator_id": indicator_id,
        "vintage_year": "2022",
        "dataset": "acs/acs5",
        "geo_level": "county",
        "group_id": "total",
        "role": role,
        "variable": variable,
        "sign": sign,
        "method": "proportion",
        "moe_kind": "published",
        "moe_published": True,
        "scale": 100.0,
        "aggregation": "sum",
    }
    return row | overrides


def estimate(geoid: str, variable: str, value: float | None, moe: float | None, **overrides: Any) -> dict[str, Any]:
    """One intermediate.int_source_estimates row (ACS 2018-2022 county unless overridden)."""
    row = {
        "vintage_year": "2022",
        "vintage": "2018-2022",
        "dataset": "acs/acs5",
        "variable": variable,
        "geo_level": "county",
        "geoid": geoid,
        "geo_name": f"County {geoid}",
        "estimate": value,
        "moe": moe,
    }
    return row | overrides


SPEC = [
    # poverty numerator = T01_002 + T01_003 - T01_004, denominator = T01_001
    spec("poverty", "numerator", "T01_002"),
    spec("poverty", "numerator", "T01_003"),
    spec("poverty", "numerator", "T01_004", -1.0),
    spec("poverty", "denominator", "T01_001"),
    # a direct value published with 95% limits, one variable
    spec("life", "value", "LE_001", method="direct", moe_kind="published_ci95", scale=1.0, dataset="wa_doh/le"),
    # a count of two variables whose sources both carry limits: a sum has no published limits
    spec("two_part", "value", "LE_001", method="count", scale=1.0, dataset="wa_doh/le"),
    spec("two_part", "value", "LE_002", method="count", scale=1.0, dataset="wa_doh/le"),
    # measured only in state 53, or only in county 53033
    spec("wa_only", "value", "T02_001", method="direct", scale=1.0, state="53"),
    spec("king_only", "value", "T02_001", method="direct", scale=1.0, county="53033"),
    # a tract-level count
    spec("tract_count", "value", "P1_001", method="count", geo_level="tract", dataset="dec/pl", vintage_year="2020"),
]

ESTIMATES = [
    # 53001: the worked signed sum, a controlled cell among them
    estimate("53001", "T01_001", 1000.0, 60.0),
    estimate("53001", "T01_002", 120.0, 30.0),
    estimate("53001", "T01_003", 80.0, 40.0),
    estimate("53001", "T01_004", 50.0, 0.0, moe_annotation=CONTROLLED),
    # same variable in another vintage, another dataset and at tract level: must not join into 53001's denominator
    estimate("53001", "T01_001", 9000.0, 1.0, vintage_year="2021", vintage="2017-2021"),
    estimate("53001", "T01_001", 700.0, 1.0, dataset="acs/acs5/subject"),
    estimate("53001", "T01_001", 50.0, 1.0, geo_level="tract"),
    # 53003: zero cells
    estimate("53003", "T01_001", 500.0, 35.0),
    estimate("53003", "T01_002", 40.0, 20.0),
    estimate("53003", "T01_003", 0.0, 25.0, moe_annotation="zero estimate"),
    estimate("53003", "T01_004", 0.0, 15.0, moe_annotation="zero estimate"),
    # 53005: two missing estimates
    estimate("53005", "T01_001", 800.0, 50.0),
    estimate("53005", "T01_002", 30.0, 12.0),
    estimate("53005", "T01_003", None, None, estimate_annotation="-666666666: too few sample observations"),
    estimate("53005", "T01_004", None, None, estimate_annotation="null in response"),
    # 53007: one unknown MOE (twice the same reason, once in the output)
    estimate("53007", "T01_001", 900.0, None, moe_annotation="null in response"),
    estimate("53007", "T01_002", 100.0, None, moe_annotation="null in response"),
    estimate("53007", "T01_003", 20.0, 9.0),
    estimate("53007", "T01_004", 10.0, 4.0),
    # life expectancy and its second variable, with published 95% limits
    *(
        estimate(g, v, e, m, dataset="wa_doh/le", published_ci_low=lo, published_ci_high=hi, published_ci_level=0.95)
        for g, v, e, m, lo, hi in [
            ("53001", "LE_001", 78.4, 1.2, 77.0, 79.8),
            ("53001", "LE_002", 10.0, 2.0, 7.6, 12.4),
        ]
    ),
    # state and county filters
    estimate("53001", "T02_001", 5.0, 1.0),
    estimate("53033", "T02_001", 7.0, 2.0),
    estimate("06001", "T02_001", 9.0, 3.0),
    # a 2020 tract count (decennial: MOE 0)
    estimate(
        "53001950100",
        "P1_001",
        3000.0,
        0.0,
        geo_level="tract",
        geo_vintage="2020",
        dataset="dec/pl",
        vintage_year="2020",
        vintage="2020",
        moe_annotation="decennial census count: not a sample estimate (MOE 0)",
    ),
]


@pytest.fixture(scope="module")
def out() -> dict[tuple[str, str, str], dict[str, Any]]:
    con: duckdb.DuckDBPyConnection = connect()
    create_table(con, "seeds.seed_indicator_variables", SPEC_COLUMNS, SPEC)
    create_table(con, "intermediate.int_source_estimates", ESTIMATE_COLUMNS, ESTIMATES)
    rows = run_model(con, MODEL)
    con.close()
    return by_key(rows, "indicator_id", "geoid", "role")


def test_signed_sum_and_moe_with_a_controlled_cell(out) -> None:
    """53001 numerator = 120 + 80 - 50 = 150; MOE sqrt(30² + 40² + 0²) = sqrt(900 + 1,600) = 50 (a subtracted cell's
    MOE adds like any other; the controlled cell's MOE 0 adds nothing and its reason is kept). The denominator is
    T01_001 of vintage 2022, dataset acs/acs5, county level only: 1,000 ± 60, not 1,000 + 9,000 + 700 + 50."""
    num = out["poverty", "53001", "numerator"]
    assert (num["estimate"], num["moe"], num["n_variables"]) == (150.0, 50.0, 3)
    assert num["moe_annotation"] == CONTROLLED
    assert num["estimate_annotation"] is None
    den = out["poverty", "53001", "denominator"]
    assert (den["estimate"], den["moe"], den["n_variables"]) == (1000.0, 60.0, 1)
    # spec columns and source labels pass through
    assert (num["method"], num["moe_kind"], num["moe_published"], num["scale"], num["aggregation"]) == (
        "proportion",
        "published",
        True,
        100.0,
        "sum",
    )
    assert (num["vintage_year"], num["vintage"], num["geo_level"], num["geo_name"], num["group_id"]) == (
        "2022",
        "2018-2022",
        "county",
        "County 53001",
        "total",
    )


def test_zero_cells_count_only_the_largest_moe_once(out) -> None:
    """53003 numerator = 40 + 0 - 0 = 40; MOE sqrt(20² + max(25, 15)²) = sqrt(400 + 625) = sqrt(1,025) = 32.0156,
    not sqrt(400 + 625 + 225) = 35.36 (ACS rule for many zero cells)."""
    num = out["poverty", "53003", "numerator"]
    assert num["estimate"] == 40.0
    assert num["moe"] == pytest.approx(math.sqrt(1025))
    assert num["moe"] == pytest.approx(32.0156, abs=1e-4)
    assert num["moe_annotation"] == "zero estimate"


def test_a_missing_estimate_voids_the_sum_and_says_why(out) -> None:
    """53005: T01_003 and T01_004 have no estimate, so the numerator has neither estimate nor MOE (not 30 ± 12), and
    the reasons are listed by variable, sorted."""
    num = out["poverty", "53005", "numerator"]
    assert num["estimate"] is None and num["moe"] is None
    assert num["n_variables"] == 3
    assert num["estimate_annotation"] == "T01_003: -666666666: too few sample observations; T01_004: null in response"
    assert out["poverty", "53005", "denominator"]["estimate"] == 800.0


def test_an_unknown_moe_voids_only_the_moe(out) -> None:
    """53007 numerator = 100 + 20 - 10 = 110, MOE unknown because T01_002's is (not sqrt(9² + 4²) = 9.85); the
    denominator 900 likewise; the repeated reason appears once."""
    num = out["poverty", "53007", "numerator"]
    assert (num["estimate"], num["moe"]) == (110.0, None)
    assert num["moe_annotation"] == "null in response"
    den = out["poverty", "53007", "denominator"]
    assert (den["estimate"], den["moe"]) == (900.0, None)


def test_published_limits_only_for_single_variable_components(out) -> None:
    """life (one variable) keeps 77.0-79.8 at 0.95; two_part = 78.4 + 10.0 = 88.4, MOE sqrt(1.2² + 2²) =
    sqrt(1.44 + 4) = 2.3324, and no limits: limits of parts do not add."""
    life = out["life", "53001", "value"]
    assert (life["estimate"], life["moe"]) == (78.4, 1.2)
    assert (life["published_ci_low"], life["published_ci_high"], life["published_ci_level"]) == (77.0, 79.8, 0.95)
    two = out["two_part", "53001", "value"]
    assert two["estimate"] == pytest.approx(88.4)
    assert two["moe"] == pytest.approx(math.sqrt(5.44))
    assert (two["published_ci_low"], two["published_ci_high"], two["published_ci_level"]) == (None, None, None)


def test_state_and_county_filters(out) -> None:
    """T02_001 exists for 53001, 53033 and 06001: wa_only (state 53) gets the two Washington counties, king_only
    (county 53033) only King."""
    assert {g for i, g, _ in out if i == "wa_only"} == {"53001", "53033"}
    assert {g for i, g, _ in out if i == "king_only"} == {"53033"}
    assert out["king_only", "53033", "value"]["estimate"] == 7.0


def test_tract_rows_keep_their_geography_vintage(out) -> None:
    """A 2020-tract decennial count: 3,000 ± 0, geo_vintage 2020; nothing else reaches tract level (the spec's
    tract rows name only P1_001)."""
    row = out["tract_count", "53001950100", "value"]
    assert (row["estimate"], row["moe"], row["geo_level"], row["geo_vintage"]) == (3000.0, 0.0, "tract", "2020")
    # poverty 4 counties x 2 roles, life 1, two_part 1, wa_only 2, king_only 1, tract_count 1
    assert len(out) == 8 + 1 + 1 + 2 + 1 + 1
