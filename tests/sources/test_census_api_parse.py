"""The one parser and the request planner, on real snapshot responses (snapshot mode)."""

from __future__ import annotations

import json

import pytest

from sources.census_api import (
    CensusApiError,
    CensusFetcher,
    CensusRequest,
    CensusResponseError,
    FetchedResponse,
    parse_response,
    parse_table,
    plan_calls,
)
from sources.core.acs_codes import NULL_IN_RESPONSE
from sources.core.files import SourceFiles
from sources.core.hashing import sha256_bytes


def SnapshotFetcher(snapshot_dir) -> CensusFetcher:
    """The census package in snapshot mode: answered with the snapshot's files, through the one seam."""
    return CensusFetcher(SourceFiles("snapshot", snapshot_dir, snapshot_dir / "unused-landing"))


def _king(frame, variable):
    row = frame.filter((frame["geoid"] == "53033") & (frame["variable"] == variable)).row(0, named=True)
    return row["value"], row["annotation"], row["raw_value"]


def test_snapshot_response_parses_to_numbers_with_geoids(snapshot_dir) -> None:
    """2018 B19013 county file: King County (53033) "89418" / "784" become 89418.0 / 784.0; 3,220 counties."""
    [call] = plan_calls("2018", "acs/acs5", "county", "B19013", ["B19013_001E", "B19013_001M"])
    frame = parse_table([SnapshotFetcher(snapshot_dir).fetch(call)])
    assert frame.height == 3220 * 2
    assert _king(frame, "B19013_001E") == (89418.0, None, "89418")
    assert _king(frame, "B19013_001M") == (784.0, None, "784")
    assert set(frame["geoid"].str.len_chars().unique()) == {5}


def test_null_values_become_null_with_a_reason(snapshot_dir) -> None:
    """B03002_001M is null for King County in the 2018 file (a controlled estimate in the API)."""
    [call] = plan_calls("2018", "acs/acs5", "county", "B03002", ["B03002_001E", "B03002_001M"])
    frame = parse_table([SnapshotFetcher(snapshot_dir).fetch(call)])
    value, annotation, raw = _king(frame, "B03002_001M")
    assert value is None and raw is None and annotation == NULL_IN_RESPONSE


def test_annotation_codes_never_become_numbers() -> None:
    """A live response carries codes such as -666666666 in place of numbers (GENERATED body, one record)."""
    request = CensusRequest("2018", "acs/acs5", "county", "B19013", ("B19013_001E", "B19013_001M"))
    body = json.dumps(
        [
            ["NAME", "B19013_001E", "B19013_001M", "state", "county"],
            ["X County, Y", "-666666666", "-222222222", "53", "001"],
        ]
    ).encode()
    frame = parse_response(FetchedResponse(request, body, "generated.json", sha256_bytes(body), ""))
    assert frame["value"].to_list() == [None, None]
    assert frame["annotation"].to_list()[0].startswith("-666666666")
    assert frame["annotation"].to_list()[1].startswith("-222222222")


def test_2024_group_answer_parses_with_annotation_columns_and_geo_id(snapshot_dir) -> None:
    """ACS 2020-24 county file answered to get=group(B17001B): E, EA, M, MA columns, then GEO_ID, NAME, state,
    county. Los Angeles (06037): B17001B_001E "746620" ±"4388", B17001B_002E "148100" ±"4427"; the annotation
    columns (null here) are read, not returned as variables; 3,222 counties (Puerto Rico included)."""
    variables = ["B17001B_001E", "B17001B_001M", "B17001B_002E", "B17001B_002M"]
    [call] = plan_calls("2024", "acs/acs5", "county", "B17001B", variables)
    assert call.snapshot_relpath == "2024/acs/acs5/county/B17001B.json"  # the national county file
    frame = parse_table([SnapshotFetcher(snapshot_dir).fetch(call)])
    assert frame.height == 3222 * 4 and frame["geoid"].n_unique() == 3222
    assert set(frame["variable"]) == set(variables)
    la = {r["variable"]: r for r in frame.filter(frame["geoid"] == "06037").iter_rows(named=True)}
    assert [la[v]["value"] for v in variables] == [746620.0, 4388.0, 148100.0, 4427.0]
    assert all(la[v]["annotation"] is None for v in variables)
    assert la["B17001B_001E"]["geo_name"] == "Los Angeles County, California"


def test_annotation_columns_of_a_group_answer_give_the_reason() -> None:
    """GENERATED group() answer (the snapshot's annotation columns are all null): a live answer puts the code in
    the value column and its symbol in the annotation column (EA/MA). Code and symbol: the code's reason. A null
    value with a symbol: the symbol's reason, not "null in response". A number beside a symbol stays a number."""
    request = CensusRequest("2024", "acs/acs5", "county", "C27001E", ("C27001E_001E", "C27001E_001M"))
    header = ["C27001E_001E", "C27001E_001EA", "C27001E_001M", "C27001E_001MA", "GEO_ID", "NAME", "state", "county"]
    body = json.dumps(
        [
            header,
            ["-666666666", "-", "-222222222", "**", "0500000US53001", "A County, Washington", "53", "001"],
            [None, "-", None, "*****", "0500000US53003", "B County, Washington", "53", "003"],
            ["12", None, None, "?", "0500000US53005", "C County, Washington", "53", "005"],
            ["40", None, "18", None, "0500000US53007", "D County, Washington", "53", "007"],
        ]
    ).encode()
    frame = parse_response(FetchedResponse(request, body, "generated.json", sha256_bytes(body), ""))
    cell = {(r["geoid"], r["variable"][-1]): (r["value"], r["annotation"]) for r in frame.iter_rows(named=True)}
    assert cell["53001", "E"][0] is None and cell["53001", "E"][1].startswith("-666666666")
    assert cell["53001", "M"][0] is None and cell["53001", "M"][1].startswith("-222222222")
    assert cell["53003", "E"] == (
        None,
        "-666666666: estimate could not be computed (too few sample observations) (annotation '-')",
    )
    assert cell["53003", "M"][1].startswith("-555555555") and "'*****'" in cell["53003", "M"][1]
    assert cell["53005", "E"] == (12.0, None)
    assert cell["53005", "M"] == (None, "annotation ? (not a documented Census symbol)")
    assert cell["53007", "E"] == (40.0, None) and cell["53007", "M"] == (18.0, None)
    assert set(frame["variable"]) == {"C27001E_001E", "C27001E_001M"}  # EA/MA/GEO_ID are not variables


def test_identity_terms_join_only_tables_already_fetched_in_their_vintages() -> None:
    """config/checks.yaml adds C27001x_001 and B27001_002/_030 to the 2024 calls of tables the indicators read;
    the 2019 snapshot files hold only the indicators' variables, so 2019 calls get nothing added."""
    from pathlib import Path

    import polars as pl

    from sources.census_api import plan_requests
    from sources.indicator_config import load_project_config

    config = load_project_config(Path(__file__).resolve().parents[2] / "config")
    spec = config.indicator_variables

    def variables(vintage: str, with_checks: bool) -> dict[str, set[str]]:
        wanted = spec.filter(pl.col("vintage_year") == vintage)
        calls = plan_requests(wanted, config.census_datasets, config.identities if with_checks else None)
        out: dict[str, set[str]] = {}
        for call in calls:
            out.setdefault(call.table, set()).update(call.variables)
        return out

    plain, checked = variables("2024", False), variables("2024", True)
    assert set(checked) == set(plain)  # no table of its own
    assert checked["C27001A"] - plain["C27001A"] == {"C27001A_001E", "C27001A_001M"}
    assert checked["B27001"] - plain["B27001"] == {"B27001_002E", "B27001_002M", "B27001_030E", "B27001_030M"}
    assert variables("2019", True) == variables("2019", False)


def test_missing_requested_variable_is_an_error_naming_it(snapshot_dir) -> None:
    [call] = plan_calls("2018", "acs/acs5", "county", "B19013", ["B19013_001E", "B19013_002E"])
    with pytest.raises(CensusResponseError, match=r"lacks requested variable.*B19013_002E"):
        parse_table([SnapshotFetcher(snapshot_dir).fetch(call)])


def test_non_numeric_value_is_an_error_naming_source_record_field_value() -> None:
    request = CensusRequest("2018", "acs/acs5", "county", "B19013", ("B19013_001E",))
    body = json.dumps(
        [["NAME", "B19013_001E", "state", "county"], ["King County, Washington", "n/a", "53", "033"]]
    ).encode()
    with pytest.raises(CensusResponseError) as err:
        parse_response(FetchedResponse(request, body, "generated.json", sha256_bytes(body), ""))
    message = str(err.value)
    assert "generated.json" in message and "geoid=53033" in message and "B19013_001E" in message and "'n/a'" in message


def test_plan_keeps_each_call_within_49_fields_and_the_tract_rule() -> None:
    """98 variables take 3 calls of NAME + 48, 48 and 2 variables: at most 49 fields, which the census package
    sends as one GET (more and it would split the call and add GEO_ID; the API's own limit is 50)."""
    variables = [f"B01001_{n:03d}{k}" for n in range(1, 50) for k in "EM"]  # 98 variables
    calls = plan_calls("2018", "acs/acs5", "county", "B01001", variables)
    assert [len(c.variables) for c in calls] == [48, 48, 2]
    assert all(len(c.query_params()["get"].split(",")) <= 49 for c in calls)
    assert [v for c in calls for v in c.variables] == variables
    with pytest.raises(ValueError, match="within a state"):
        plan_calls("2018", "acs/acs5", "tract", "B19013", ["B19013_001E"])
    tract = plan_calls("2018", "acs/acs5", "tract", "B19013", ["B19013_001E"], state="06", county="037")[0]
    assert tract.snapshot_relpath == "2018/acs/acs5/tract/06/037/B19013.json"
    assert tract.query_params()["in"] == "state:06 county:037"


def test_snapshot_without_the_file_names_what_it_expected(tmp_path) -> None:
    [call] = plan_calls("2031", "acs/acs5", "county", "B19013", ["B19013_001E"])
    with pytest.raises(CensusApiError, match=r"2031/acs/acs5/county/B19013\.json"):
        SnapshotFetcher(tmp_path).fetch(call)
