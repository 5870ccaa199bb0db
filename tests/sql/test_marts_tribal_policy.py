"""marts/fct_indicator_values.sql and marts/rpt_tribal_data_policy.sql on hand-made rows: a tribal area's (aiannh)
rows are published only when seeds.seed_tribal_data_policy approves the area; every other geography passes through
unchanged, and the report counts what was computed and withheld.

All rows are GENERATED for this test (made-up areas 0010, 0020 and values), not real data."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import duckdb
import pytest

from tests.sql.sql_harness import connect, create_table, fetch, run_model

VALUE_COLUMNS = {
    "indicator_id": "varchar",
    "vintage": "varchar",
    "geo_type": "varchar",
    "geoid": "varchar",
    "geo_name": "varchar",
    "estimate": "double",
}
POLICY_COLUMNS = {
    "aiannh_geoid": "varchar",
    "approved_by": "varchar",
    "approval_reference": "varchar",
    "approved_on": "varchar",
}


def value(indicator_id: str, geo_type: str, geoid: str, estimate: float) -> dict[str, Any]:
    """One intermediate.int_indicator_values row (only the columns these marts touch, plus a value)."""
    return {
        "indicator_id": indicator_id,
        "vintage": "2014-2018",
        "geo_type": geo_type,
        "geoid": geoid,
        "geo_name": f"{geo_type} {geoid}",
        "estimate": estimate,
    }


VALUES = [
    value("poverty", "county", "53001", 12.0),
    value("poverty", "aiannh", "0010", 20.0),  # approved
    value("income", "aiannh", "0010", 40_000.0),
    value("poverty", "aiannh", "0020", 30.0),  # not approved: withheld
    value("income", "aiannh", "0020", 35_000.0),
    value("unemployment", "aiannh", "0020", 8.0),
    value("poverty", "neighborhood", "0020", 15.0),  # same id, not a tribal area: published
]
POLICY = [
    {
        "aiannh_geoid": "0010",
        "approved_by": "Example Tribal Council",
        "approval_reference": "Resolution 1",
        "approved_on": "2024-01-01",
    },
    {
        "aiannh_geoid": "0030",
        "approved_by": "Another Council",
        "approval_reference": "Agreement 2",
        "approved_on": "2024-02-01",
    },  # approved but nothing computed
]


@pytest.fixture(scope="module")
def con() -> Iterator[duckdb.DuckDBPyConnection]:
    c = connect()
    create_table(c, "intermediate.int_indicator_values", VALUE_COLUMNS, VALUES)
    create_table(c, "seeds.seed_tribal_data_policy", POLICY_COLUMNS, POLICY)
    yield c
    c.close()


def test_unapproved_tribal_areas_are_withheld(con) -> None:
    """7 computed rows - 3 of the unapproved aiannh 0020 = 4 published; approved 0010 keeps both rows; the
    neighborhood that happens to be called 0020 is not a tribal area and stays; rows are unchanged (select *)."""
    published = run_model(con, "marts/fct_indicator_values.sql")
    keys = sorted((r["indicator_id"], r["geo_type"], r["geoid"]) for r in published)
    assert keys == [
        ("income", "aiannh", "0010"),
        ("poverty", "aiannh", "0010"),
        ("poverty", "county", "53001"),
        ("poverty", "neighborhood", "0020"),
    ]
    # the mart adds the period's years beside the vintage ("2014-2018" -> 2014, 2018) and changes nothing else
    assert {(r.pop("period_start_year"), r.pop("period_end_year")) for r in published} == {(2014, 2018)}
    assert sorted(published, key=lambda r: (r["indicator_id"], r["geo_type"])) == sorted(
        (v for v in VALUES if (v["geo_type"], v["geoid"]) != ("aiannh", "0020")),
        key=lambda r: (r["indicator_id"], r["geo_type"]),
    )


def test_policy_report_counts_rows(con) -> None:
    """0010: published, 2 computed, 0 withheld, with its approval; 0020: withheld, 3 computed, 3 withheld; the
    approved 0030 has no computed rows and no report row."""
    run_model(con, "marts/rpt_tribal_data_policy.sql")
    report = {r["aiannh_geoid"]: r for r in fetch(con, "select * from marts.rpt_tribal_data_policy")}
    assert set(report) == {"0010", "0020"}
    approved, withheld = report["0010"], report["0020"]
    assert (approved["status"], approved["rows_computed"], approved["rows_withheld"]) == ("published", 2, 0)
    assert (approved["approved_by"], approved["approval_reference"], approved["approved_on"]) == (
        "Example Tribal Council",
        "Resolution 1",
        "2024-01-01",
    )
    assert approved["name"] == "aiannh 0010"
    assert (withheld["status"], withheld["rows_computed"], withheld["rows_withheld"]) == ("withheld", 3, 3)
    assert withheld["approved_by"] is None
