"""The checks compiled to DuckDB SQL (expectations/sql_checks.py) give Great Expectations' own outcome.

A small hand-made table (GENERATED here, no snapshot data) has known bad rows for each of the eight expectation
types the suites use, with row conditions in the suites' pandas syntax. The same suite runs the way the checks ran
before (GX 1.24 on a pandas copy, through an ephemeral context: the reference) and the new way (in DuckDB, through
``run_suite_in_duckdb``); every expectation must agree on success, unexpected count, example values and failing
records, and the failure message built from them. The hand counts are stated beside each expectation, so a broken
compiler and a changed GX both fail here. Every suite in expectations/suites must also still load as a GX suite.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

import duckdb
import pytest

from expectations.gx_checks import (
    CHECKED,
    ROW,
    ExpectationOutcome,
    SuiteOutcome,
    _parameters,
    load_suite,
    run_suite_in_duckdb,
)
from expectations.sql_checks import translate_condition

SUITES = Path(__file__).resolve().parents[2] / "expectations" / "suites"

# GENERATED test rows: (source_file, geoid, geo_level, variable, estimate, moe, annotation, n, a, b)
ROWS = [
    ("f1", "53033", "county", "ep_a", 5.0, 1.0, None, 1, 2.0, 1.0),
    ("f1", "5303", "county", "ep_a", -1.0, None, "x", 2, 2.0, 3.0),
    ("f2", "53033", "tract", "ep_pci", 150.0, 2.0, None, None, "NaN", 1.0),
    ("f2", "53033", "county", "ep_b", -666666666.0, -2.0, "x", 4, 1.0, None),
    ("f3", None, "county", "other", None, None, None, 5, 5.0, 9.0),
    ("f4", "53077", "county", "ep_b", "NaN", 3.0, None, 6, 4.0, 4.0),
]
KNOWN = ["53033", "53077"]


def _exp(kind: str, **kwargs: Any) -> dict[str, Any]:
    return {"type": kind, "kwargs": kwargs, "meta": {"severity": "critical"}}


# (expectation, expected unexpected_count: the hand count)
CASES = [
    # geoid null in row 5 only -> 1
    (_exp("expect_column_values_to_not_be_null", column="geoid"), 1),
    # estimate missing in row 5 (NULL) and row 6 (NaN: pandas calls it missing) -> 2
    (_exp("expect_column_values_to_not_be_null", column="estimate"), 2),
    # rows with an estimate (1, 2, 3, 4) must have no annotation; rows 2 and 4 have "x" -> 2
    (
        _exp(
            "expect_column_values_to_be_null",
            column="annotation",
            row_condition="estimate.notnull()",
            condition_parser="pandas",
        ),
        2,
    ),
    # rows with no estimate (5 NULL, 6 NaN) must say why: neither does -> 2
    (
        _exp(
            "expect_column_values_to_not_be_null",
            column="annotation",
            row_condition="estimate.isnull()",
            condition_parser="pandas",
        ),
        2,
    ),
    # county rows 1, 2, 4, 6 (row 5's geoid is missing: skipped); "5303" is 4 digits -> 1
    (
        _exp(
            "expect_column_values_to_match_regex",
            column="geoid",
            regex="^[0-9]{5}$",
            row_condition='geo_level=="county"',
            condition_parser="pandas",
        ),
        1,
    ),
    # geoid in the known set (a $PARAMETER read from another table): "5303" -> 1
    (_exp("expect_column_values_to_be_in_set", column="geoid", value_set={"$PARAMETER": "known"}), 1),
    # geo_level in {"county"}: row 3 is a tract -> 1
    (_exp("expect_column_values_to_be_in_set", column="geo_level", value_set=["county"]), 1),
    # annotation codes as numbers (int codes against a float column): row 4 -> 1
    (_exp("expect_column_values_to_not_be_in_set", column="estimate", value_set=[-666666666, -999]), 1),
    # ep_ variables except ep_pci between 0 and 100: rows 1, 2, 4, 6 in scope, row 6 NaN skipped; -1 and
    # -666666666 out -> 2
    (
        _exp(
            "expect_column_values_to_be_between",
            column="estimate",
            min_value=0,
            max_value=100,
            row_condition="variable.str.startswith('ep_') and variable != 'ep_pci'",
            condition_parser="pandas",
        ),
        2,
    ),
    # moe >= 0: row 4 is -2 -> 1
    (_exp("expect_column_values_to_be_between", column="moe", min_value=0), 1),
    # integer column n: 1, 2, 4, 5, 6 present, strictly above 1 -> row 1 fails -> 1
    (_exp("expect_column_values_to_be_between", column="n", min_value=1, strict_min=True), 1),
    # (source_file, geoid) unique: rows 3 and 4 share (f2, 53033); both count -> 2
    (_exp("expect_compound_columns_to_be_unique", column_list=["geo_level", "source_file", "geoid"]), 0),
    (_exp("expect_compound_columns_to_be_unique", column_list=["source_file", "geoid"]), 2),
    # a >= b where both present: row 2 (2 < 3) and row 5 (5 < 9); row 3 NaN and row 4 NULL skipped -> 2
    (
        _exp(
            "expect_column_pair_values_a_to_be_greater_than_b",
            column_A="a",
            column_B="b",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
        ),
        2,
    ),
    # b strictly greater than a (GX keeps one expectation per type and columns): rows 1 (1 < 2) and 6 (4 = 4) -> 2
    (
        _exp(
            "expect_column_pair_values_a_to_be_greater_than_b",
            column_A="b",
            column_B="a",
            or_equal=False,
            ignore_row_if="either_value_is_missing",
        ),
        2,
    ),
]


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(
        "create table t (source_file varchar, geoid varchar, geo_level varchar, variable varchar, estimate double, "
        "moe double, annotation varchar, n integer, a double, b double)"
    )
    con.executemany("insert into t values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", ROWS)
    con.execute("create table known (geoid varchar)")
    con.executemany("insert into known values (?)", [(g,) for g in KNOWN])
    con.execute(f"create temp view {CHECKED} as select *, rowid as {ROW} from t")
    return con


def _suite() -> dict[str, Any]:
    return {
        "name": "handmade",
        "meta": {
            "asset": "t",
            "table": "t",
            "record_columns": ["source_file", "geoid", "n"],
            "parameters": {"known": {"table": "known", "column": "geoid"}},
        },
        "expectations": [cfg for cfg, _ in CASES],
    }


def _gx_on_pandas(suite: dict[str, Any], frame: Any, parameters: dict[str, list[Any]]) -> SuiteOutcome:
    """The checks as they ran before: GX 1.24 on a pandas frame through an ephemeral context (the reference)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.core.expectation_suite import ExpectationSuite
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    context = gx.get_context(mode="ephemeral")
    batch = context.data_sources.add_pandas("frames").add_dataframe_asset(suite["name"])
    gx_suite = ExpectationSuite(name=suite["name"])
    for exp in suite["expectations"]:
        gx_suite.add_expectation_configuration(
            ExpectationConfiguration(type=exp["type"], kwargs=exp["kwargs"], meta=exp["meta"])
        )
    validation = context.validation_definitions.add(
        gx.ValidationDefinition(
            name="v", data=batch.add_batch_definition_whole_dataframe("whole"), suite=context.suites.add(gx_suite)
        )
    )
    result = validation.run(
        batch_parameters={"dataframe": frame},
        expectation_parameters=parameters,
        result_format={
            "result_format": "SUMMARY",
            "unexpected_index_column_names": suite["meta"]["record_columns"],
            "partial_unexpected_count": 5,
        },
    )
    outcomes = []
    for r in result.results:
        cfg = r.expectation_config
        outcomes.append(
            ExpectationOutcome(
                expectation=cfg.type,
                column=cfg.kwargs.get("column") or (",".join(cfg.kwargs.get("column_list") or []) or None),
                severity="critical",
                success=bool(r.success),
                unexpected_count=r.result.get("unexpected_count"),
                examples=list(r.result.get("partial_unexpected_list") or []),
                records=[dict(x) for x in r.result.get("partial_unexpected_index_list") or []],
            )
        )
    return SuiteOutcome(suite["name"], "t", len(frame), outcomes)


def _plain(value: Any) -> Any:
    """Compare NaN as NaN and numpy scalars as Python values."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return "NaN"
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return "NA" if str(value) == "<NA>" else value


def test_pushdown_gives_great_expectations_own_outcome(con) -> None:
    suite = _suite()
    new = run_suite_in_duckdb(con, CHECKED, suite, _parameters(suite))
    before = _gx_on_pandas(suite, con.execute("select * from t").df(), {"known": KNOWN})
    assert new.rows == before.rows == 6
    assert [(o.expectation, o.column) for o in new.outcomes] == [(o.expectation, o.column) for o in before.outcomes]
    for got, ref in zip(new.outcomes, before.outcomes, strict=True):
        what = (got.expectation, got.column)
        assert got.error is None, (what, got.error)
        assert (got.success, got.unexpected_count) == (ref.success, ref.unexpected_count), what
        assert _plain(got.examples) == _plain(ref.examples), what
        assert _plain(got.records) == _plain(ref.records), what
        assert got.message("handmade") == ref.message("handmade"), what
    # and the hand counts (the reference agreeing with a wrong count would still fail here)
    by_config = {json.dumps(cfg, sort_keys=True): n for cfg, n in CASES}
    counts = [by_config[json.dumps(cfg, sort_keys=True)] for cfg, _ in CASES]
    assert sorted(o.unexpected_count for o in new.outcomes) == sorted(counts)


def test_failure_message_names_record_field_and_value(con) -> None:
    suite = _suite()
    outcome = run_suite_in_duckdb(con, CHECKED, suite, _parameters(suite))
    moe = next(o for o in outcome.outcomes if o.column == "moe")
    # row 4: moe -2.0, first the checked column, then the record columns in their order
    assert moe.message("handmade") == (
        "handmade: expect_column_values_to_be_between on column 'moe': 1 unexpected value(s), "
        "e.g. moe=-2.0, source_file=f2, geoid=53033, n=4"
    )
    pair = next(o for o in outcome.outcomes if o.expectation.endswith("a_to_be_greater_than_b"))
    # rows 2 and 5 in table order; row 5's missing geoid shows as pandas showed it (nan)
    assert [r["source_file"] for r in pair.records] == ["f1", "f3"]
    assert "a=5.0, source_file=f3, geoid=nan, n=5, b=9.0" in pair.message("handmade")


def test_missing_column_is_a_failure_that_says_so(con) -> None:
    suite = _suite() | {"expectations": [_exp("expect_column_values_to_not_be_null", column="nope")]}
    [outcome] = run_suite_in_duckdb(con, CHECKED, suite, {}).outcomes
    assert not outcome.success and outcome.unexpected_count is None
    assert "could not run" in outcome.message("handmade") and "nope" in outcome.message("handmade")


def test_row_conditions_keep_pandas_truth_values() -> None:
    def missing(c: str) -> str:
        return f'"{c}" is null'

    assert (
        translate_condition('geo_level=="county"', missing)
        == """((not ("geo_level" is null) and "geo_level" = 'county'))"""
    )
    # != is true for a missing value, as in pandas
    assert (
        translate_condition("variable != 'ep_pci'", missing) == """((("variable" is null) or "variable" <> 'ep_pci'))"""
    )
    with pytest.raises(ValueError, match=r"not supported|unexpected|cannot read"):
        translate_condition("variable.str.contains('x')", missing)


@pytest.mark.parametrize("path", sorted(SUITES.glob("*.json")), ids=lambda p: p.stem)
def test_every_suite_still_loads_in_great_expectations_and_compiles(path: Path) -> None:
    from great_expectations.core.expectation_suite import ExpectationSuite
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    suite = load_suite(path)  # raises if an expectation or row condition cannot be compiled to SQL
    gx_suite = ExpectationSuite(name=suite["name"])
    for exp in suite["expectations"]:
        gx_suite.add_expectation_configuration(ExpectationConfiguration(type=exp["type"], kwargs=exp["kwargs"]))
    assert len(gx_suite.expectations) == len(suite["expectations"])
