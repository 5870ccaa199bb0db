"""Staging models that set MOEs, on hand-made raw cells: staging/stg_census_api__estimates.sql (estimate and MOE
paired by suffix, controlled estimates' MOE 0, decennial counts' MOE 0, unknown MOEs left null, open-ended medians
stored as no estimate, period and tract vintage) and the 95% -> 90% conversion of published limits in
staging/stg_wa_doh__life_expectancy.sql and staging/stg_cdc_places__estimates.sql (MOE = 1.645 x (upper - lower) /
(2 x 1.96)).

All cells are GENERATED for this test (made-up values on real-looking variable ids), not real data."""

from __future__ import annotations

from typing import Any

import duckdb
import pytest

from tests.sql.sql_harness import RELIABILITY_RULES, by_key, connect, create_rules, create_table, run_model

CONTROLLED = "-555555555: estimate is controlled; no sampling error (MOE 0)"
RAW_COLUMNS = {
    "vintage_year": "varchar",
    "dataset": "varchar",
    "table": "varchar",
    "variable": "varchar",
    "geo_level": "varchar",
    "geoid": "varchar",
    "geo_name": "varchar",
    "value": "double",
    "annotation": "varchar",
    "source_file": "varchar",
}
DATASETS = [
    {"dataset": "acs/acs5", "estimate_suffix": "E", "moe_suffix": "M", "sampling_error": True},
    {"dataset": "acs/acs5/subject", "estimate_suffix": "E", "moe_suffix": "M", "sampling_error": True},
    {"dataset": "dec/pl", "estimate_suffix": "N", "moe_suffix": None, "sampling_error": False},
    {"dataset": "dec/sf1", "estimate_suffix": "", "moe_suffix": None, "sampling_error": False},
]


def cell(variable: str, value: float | None, annotation: str | None = None, **overrides: Any) -> dict[str, Any]:
    """One raw.census_api_raw cell (ACS 2018-2022, county 53001, table = the variable's prefix, unless overridden)."""
    row = {
        "vintage_year": "2022",
        "dataset": "acs/acs5",
        "table": variable.split("_")[0],
        "variable": variable,
        "geo_level": "county",
        "geoid": "53001",
        "geo_name": "Adams County",
        "value": value,
        "annotation": annotation,
        "source_file": f"GENERATED/{variable.split('_')[0]}.json",
    }
    return row | overrides


CELLS = [
    cell("B01001_001E", 5000.0),
    cell("B01001_001M", 120.0),
    # controlled: the API's -555555555 code on the MOE
    cell("B01001_002E", 2500.0),
    cell("B01001_002M", None, "-555555555"),
    # controlled: a null MOE for a variable config/census_api.yaml lists as controlled
    cell("B03002_001E", 5000.0),
    cell("B03002_001M", None, "null in response"),
    # a null MOE for any other variable stays unknown
    cell("B03002_003E", 300.0),
    cell("B03002_003M", None, "null in response"),
    # open-ended medians (B19013 and its race iterations), only when there is no MOE
    cell("B19013_001E", 250001.0),
    cell("B19013_001M", None, "-333333333"),
    cell("B19013A_001E", 2499.0),
    cell("B19013A_001M", None, "-333333333"),
    cell("B19013B_001E", 250001.0),  # with an MOE: a plain number
    cell("B19013B_001M", 12000.0),
    cell("B19301_001E", 250001.0),  # another table: a plain number
    cell("B19301_001M", 9000.0),
    # a missing estimate
    cell("B01001_003E", None, "-666666666"),
    cell("B01001_003M", None, "-222222222"),
    # a subject-table cell without an MOE column
    cell("S1701_C03_001E", 12.5, dataset="acs/acs5/subject"),
    # decennial counts (N suffix in 2020, no suffix in 2010) on tracts
    cell("P1_001N", 4000.0, vintage_year="2020", dataset="dec/pl", geo_level="tract", geoid="53001000100"),
    cell("P001001", 3900.0, vintage_year="2010", dataset="dec/sf1", geo_level="tract", geoid="53001000100"),
    # an ACS 2015-2019 tract is a 2010 tract
    cell("B01001_001E", 1200.0, vintage_year="2019", geo_level="tract", geoid="53001000100"),
    cell("B01001_001M", 90.0, vintage_year="2019", geo_level="tract", geoid="53001000100"),
]


@pytest.fixture(scope="module")
def census() -> dict[tuple[str, str, str], dict[str, Any]]:
    con: duckdb.DuckDBPyConnection = connect()
    create_table(con, "raw.census_api_raw", RAW_COLUMNS, CELLS)
    create_table(
        con,
        "seeds.seed_census_datasets",
        {"dataset": "varchar", "estimate_suffix": "varchar", "moe_suffix": "varchar", "sampling_error": "boolean"},
        DATASETS,
    )
    create_table(
        con,
        "seeds.seed_controlled_moe_variables",
        {"dataset": "varchar", "geo_level": "varchar", "variable": "varchar"},
        [{"dataset": "acs/acs5", "geo_level": "county", "variable": "B03002_001"}],
    )
    create_table(
        con,
        "seeds.seed_open_ended_values",
        {"dataset": "varchar", "table_prefix": "varchar", "code": "double", "meaning": "varchar"},
        [
            {"dataset": "acs/acs5", "table_prefix": "B19013", "code": 2499.0, "meaning": "2,500 dollars or less"},
            {"dataset": "acs/acs5", "table_prefix": "B19013", "code": 250001.0, "meaning": "250,000 dollars or more"},
        ],
    )
    rows = run_model(con, "staging/stg_census_api__estimates.sql")
    con.close()
    return by_key(rows, "vintage_year", "geoid", "variable")


def test_estimate_and_moe_paired_by_suffix(census) -> None:
    """B01001_001E 5,000 and B01001_001M 120 become one row B01001_001: 5,000 ± 120, period 2018-2022."""
    row = census["2022", "53001", "B01001_001"]
    assert (row["estimate"], row["moe"], row["estimate_annotation"], row["moe_annotation"]) == (
        5000.0,
        120.0,
        None,
        None,
    )
    assert (row["vintage"], row["geo_vintage"], row["table"]) == ("2018-2022", None, "B01001")
    assert len(census) == 13  # one row per estimate cell (13 of the 23 cells)


def test_controlled_estimates_get_moe_zero(census) -> None:
    """A -555555555 MOE, or a null MOE of a variable configured as controlled, is 0 with the reason."""
    for variable in ("B01001_002", "B03002_001"):
        row = census["2022", "53001", variable]
        assert (row["moe"], row["moe_annotation"]) == (0.0, CONTROLLED)


def test_other_missing_moes_stay_unknown(census) -> None:
    """B03002_003's null MOE is not listed as controlled: unknown (null), never 0; a subject cell without an MOE
    column is 'not published'."""
    row = census["2022", "53001", "B03002_003"]
    assert (row["estimate"], row["moe"], row["moe_annotation"]) == (300.0, None, "null in response")
    subject = census["2022", "53001", "S1701_C03_001"]
    assert (subject["estimate"], subject["moe"]) == (12.5, None)
    assert subject["moe_annotation"] == "not published: the source table carries estimates only"


def test_open_ended_medians_are_no_estimate(census) -> None:
    """B19013's 250001 and B19013A's 2499 without an MOE mean 'or more' / 'or less': no estimate, with the meaning;
    250001 with an MOE (B19013B) or in B19301 (not an open-ended table) is a number."""
    high = census["2022", "53001", "B19013_001"]
    assert (high["estimate"], high["moe"]) == (None, None)
    assert high["estimate_annotation"] == "-333333333: 250,000 dollars or more (published as 250001)"
    low = census["2022", "53001", "B19013A_001"]
    assert low["estimate_annotation"] == "-333333333: 2,500 dollars or less (published as 2499)"
    plain = census["2022", "53001", "B19301_001"]
    assert (plain["estimate"], plain["moe"], plain["estimate_annotation"]) == (250001.0, 9000.0, None)
    with_moe = census["2022", "53001", "B19013B_001"]
    assert (with_moe["estimate"], with_moe["moe"], with_moe["estimate_annotation"]) == (250001.0, 12000.0, None)


def test_missing_estimate_keeps_both_reasons(census) -> None:
    row = census["2022", "53001", "B01001_003"]
    assert (row["estimate"], row["moe"]) == (None, None)
    assert (row["estimate_annotation"], row["moe_annotation"]) == ("-666666666", "-222222222")


def test_decennial_counts_and_tract_vintages(census) -> None:
    """Decennial counts have MOE 0 (not sample estimates), period = vintage; tracts of 2020+ data are 2020 tracts,
    earlier ones (ACS 2015-2019, the 2010 Census) 2010 tracts."""
    pl, sf1 = census["2020", "53001000100", "P1_001"], census["2010", "53001000100", "P001001"]
    for row, vintage in ((pl, "2020"), (sf1, "2010")):
        assert (row["moe"], row["vintage"], row["geo_vintage"]) == (0.0, vintage, vintage)
        assert row["moe_annotation"] == "decennial census count: not a sample estimate (MOE 0)"
    assert (pl["estimate"], sf1["estimate"]) == (4000.0, 3900.0)
    acs = census["2019", "53001000100", "B01001_001"]
    assert (acs["estimate"], acs["moe"], acs["vintage"], acs["geo_vintage"]) == (1200.0, 90.0, "2015-2019", "2010")


LIMIT_COLUMNS = {
    "vintage_year": "varchar",
    "vintage": "varchar",
    "dataset": "varchar",
    "variable": "varchar",
    "geo_level": "varchar",
    "geoid": "varchar",
    "geo_name": "varchar",
    "estimate": "double",
    "ci_low_95": "double",
    "ci_high_95": "double",
    "annotation": "varchar",
    "source_file": "varchar",
}


def limits_row(
    geoid: str, estimate: float | None, low: float | None, high: float | None, **extra: Any
) -> dict[str, Any]:
    """One raw row of a source that publishes 95% limits (WA DOH, CDC PLACES)."""
    row = {
        "vintage_year": "2020",
        "vintage": "2016-2020",
        "dataset": "made_up",
        "variable": "v",
        "geo_level": "tract",
        "geoid": geoid,
        "geo_name": geoid,
        "estimate": estimate,
        "ci_low_95": low,
        "ci_high_95": high,
    }
    return row | extra


@pytest.mark.parametrize(
    ("model", "raw_table", "extra_columns"),
    [
        ("staging/stg_wa_doh__life_expectancy.sql", "raw.wa_doh_life_expectancy_raw", {}),
        (
            "staging/stg_cdc_places__estimates.sql",
            "raw.cdc_places_raw",
            {"release": "varchar", "total_population": "bigint"},
        ),
    ],
)
def test_95_percent_limits_become_a_90_percent_moe(model: str, raw_table: str, extra_columns: dict[str, str]) -> None:
    """78.0 with limits 76.04-79.96: SE = 3.92 / 3.92 = 1, MOE 1.645 x 1 = 1.645. 7.0 with 6.6-7.5: 1.645 x 0.9 /
    3.92 = 0.37768. No estimate (a suppressed tract): no MOE; the limits are kept as published."""
    con = connect()
    create_rules(con, "seeds.seed_reliability_rules", {"z_90": RELIABILITY_RULES["z_90"], "z_95": 1.96})
    rows = [
        limits_row("A", 78.0, 76.04, 79.96),
        limits_row("B", 7.0, 6.6, 7.5),
        limits_row("C", None, None, None, annotation="** suppressed"),
    ]
    create_table(con, raw_table, LIMIT_COLUMNS | extra_columns, rows)
    out = by_key(run_model(con, model), "geoid")
    con.close()
    assert out["A"]["moe"] == pytest.approx(1.645)
    assert (out["A"]["published_ci_low"], out["A"]["published_ci_high"], out["A"]["published_ci_level"]) == (
        76.04,
        79.96,
        0.95,
    )
    assert out["A"]["moe_annotation"].startswith("derived from the published 95% limits")
    assert out["B"]["moe"] == pytest.approx(1.645 * 0.9 / 3.92)
    assert (out["C"]["estimate"], out["C"]["moe"], out["C"]["estimate_annotation"]) == (None, None, "** suppressed")
    assert (out["C"]["published_ci_level"], out["C"]["moe_annotation"]) == (None, None)


def test_places_keeps_one_row_per_brfss_year_the_later_release_where_two_publish_it() -> None:
    """The 2023 PLACES release repeats the 2022 release's BRFSS 2020 estimates of some measures for California:
    staging keeps the 2023 row (one estimate per year, county and measure, or int_indicator_components would add
    the two); a year only one release has is kept as it is."""
    con = connect()
    create_rules(con, "seeds.seed_reliability_rules", {"z_90": RELIABILITY_RULES["z_90"], "z_95": 1.96})
    places = {"vintage_year": "2020", "vintage": "2020", "dataset": "cdc_places", "variable": "dental_crude"}
    rows = [
        limits_row("06037", 59.6, 56.6, 62.7, **places, release="2022", source_file="gis_2022.csv"),
        limits_row("06037", 59.6, 56.6, 62.7, **places, release="2023", source_file="long_2023.csv"),
        limits_row("53033", 70.1, 68.0, 72.0, **places, release="2022", source_file="gis_2022.csv"),
        limits_row(
            "06037",
            4.9,
            4.3,
            5.6,
            **(places | {"vintage_year": "2021", "vintage": "2021", "variable": "chd_crude"}),
            release="2023",
            source_file="long_2023.csv",
        ),
    ]
    create_table(con, "raw.cdc_places_raw", LIMIT_COLUMNS | {"release": "varchar", "total_population": "bigint"}, rows)
    out = run_model(con, "staging/stg_cdc_places__estimates.sql")
    con.close()
    kept = sorted((r["vintage_year"], r["geoid"], r["variable"], r["release"], r["estimate"]) for r in out)
    assert kept == [
        ("2020", "06037", "dental_crude", "2023", 59.6),
        ("2020", "53033", "dental_crude", "2022", 70.1),
        ("2021", "06037", "chd_crude", "2023", 4.9),
    ]


def test_every_staging_model_emits_the_source_estimate_contract() -> None:
    """int_source_estimates stacks every staging model on its own columns (union_models), so each staging model must
    document (and, checked when it is built, produce) all of them; a model that lacks one fails at load naming it."""
    from pathlib import Path

    from assets.sql_models import SqlModel, discover_models, read_model

    sql_dir = Path(__file__).resolve().parents[2] / "dbt_like_sql"
    contract = list(read_model(sql_dir / "intermediate" / "int_source_estimates.sql").columns)
    staging: list[SqlModel] = [m for m in discover_models(sql_dir) if m.schema == "staging"]
    assert len(staging) >= 5
    for model in staging:
        assert set(contract) <= set(model.columns), model.name
    unioned = read_model(sql_dir / "intermediate" / "int_source_estimates.sql")
    assert {f"staging.{m.name}" for m in staging} <= set(unioned.upstream)


def test_a_staging_model_missing_a_contract_column_is_named(tmp_path) -> None:
    """GENERATED models: a staging model without moe_annotation makes the union directive fail naming it."""
    import pytest as _pytest

    from assets.sql_models import read_model

    (tmp_path / "staging").mkdir()
    (tmp_path / "intermediate").mkdir()
    (tmp_path / "staging" / "stg_generated__estimates.sql").write_text(
        "/*\ndescription: generated\ngrain: geoid\ncolumns:\n  geoid: id\n  estimate: value\n*/\nselect 1"
    )
    target = tmp_path / "intermediate" / "int_stack.sql"
    target.write_text(
        "/*\ndescription: stack\ngrain: geoid\ncolumns:\n  geoid: id\n  moe_annotation: why\n*/\n"
        '{{ union_models("staging", "stg_*") }}'
    )
    with _pytest.raises(ValueError, match=r"stg_generated__estimates.sql: int_stack .* lacks \['moe_annotation'\]"):
        read_model(target)
