"""marts/fct_disparities.sql run on small hand-made inputs (GENERATED for this test, not real data), so each rule
of config/disparities.yaml can be checked by hand arithmetic: the two references (the total population and the
fixed reference group of the set, each row saying which), reliability marks, missing references, the exact
self-comparison, and the summary measures by their cited definitions (index of disparity against the total,
Pearcy and Keppel 2002; between-group variance and Theil index with total-population shares and the total's rate,
Harper and Lynch 2005), with exclusions and population coverage. One real county is checked by hand in
tests/assets/test_methods.py."""

from __future__ import annotations

import math

import duckdb
import pytest

from tests.sql.sql_harness import by_key, connect, fetch, model_sql

Z = 1.645

# indicator, geoid, group, estimate, moe, denominator, suppressed, reliability  (hand-made)
VALUES = [
    # A: every group eligible and the groups partition the total (coverage 1); the total's rate is the
    #    population-weighted mean of the groups: 0.5 x 10 + 0.3 x 20 + 0.2 x 15 = 14
    ("poverty", "A", "total", 14.0, 1.0, 2000.0, False, "high"),
    ("poverty", "A", "white_nh", 10.0, 1.0, 1000.0, False, "high"),
    ("poverty", "A", "black_nh", 20.0, 4.0, 600.0, False, "medium"),
    ("poverty", "A", "hispanic", 15.0, 2.0, 400.0, False, "high"),
    #    race-alone groups of the same county, in their own set (reference group white)
    ("poverty", "A", "white", 11.0, 1.0, 1300.0, False, "high"),
    ("poverty", "A", "black", 19.0, 4.0, 700.0, False, "medium"),
    # B: hispanic of low reliability and asian_nh suppressed are excluded from the summaries (still listed)
    ("poverty", "B", "total", 14.0, 1.0, 2000.0, False, "high"),
    ("poverty", "B", "white_nh", 10.0, 1.0, 1000.0, False, "high"),
    ("poverty", "B", "black_nh", 20.0, 4.0, 600.0, False, "medium"),
    ("poverty", "B", "hispanic", 15.0, 8.0, 300.0, False, "low"),
    ("poverty", "B", "asian_nh", None, None, None, True, "unknown"),
    # C: no total row at this geography, and the fixed reference group suppressed
    ("poverty", "C", "white_nh", None, None, None, True, "unknown"),
    ("poverty", "C", "black_nh", 20.0, 4.0, 100.0, False, "medium"),
    ("poverty", "C", "hispanic", 15.0, 2.0, 200.0, False, "high"),
    # D: total and white_nh of medium reliability (not reliable by the default rule `reference_reliability: [high]`)
    ("poverty", "D", "total", 14.0, 4.0, 2000.0, False, "medium"),
    ("poverty", "D", "white_nh", 10.0, 3.0, 1000.0, False, "medium"),
    ("poverty", "D", "black_nh", 20.0, 4.0, 1000.0, False, "medium"),
    # G: an estimate-only table (no MOE, reliability unknown): 0.5 x 9 + 0.5 x 15 = 12
    ("poverty", "G", "total", 12.0, None, 1800.0, False, "unknown"),
    ("poverty", "G", "white_nh", 9.0, None, 900.0, False, "unknown"),
    ("poverty", "G", "hispanic", 15.0, None, 900.0, False, "unknown"),
    # higher is better, a direct value published without counts (a median): no between-group variance or Theil
    ("income", "A", "total", 50_000.0, 1_000.0, None, False, "high"),
    ("income", "A", "white_nh", 55_000.0, 1_500.0, None, False, "high"),
    ("income", "A", "black_nh", 40_000.0, 2_000.0, None, False, "high"),
    # a source with no white_nh group at all (hispanic and black_nh only)
    ("no_white", "A", "total", 30.0, 2.0, 500.0, False, "high"),
    ("no_white", "A", "black_nh", 40.0, 5.0, 100.0, False, "medium"),
    ("no_white", "A", "hispanic", 25.0, 3.0, 200.0, False, "high"),
    # a neutral indicator never gets a disparity
    ("share", "A", "total", 100.0, 0.0, None, False, "high"),
    ("share", "A", "white_nh", 60.0, 1.0, None, False, "high"),
    ("share", "A", "black_nh", 40.0, 1.0, None, False, "high"),
]
SETS = {
    "race_ethnicity": ["white_nh", "black_nh", "hispanic", "asian_nh", "other_nh"],
    "race_alone": ["white", "black"],
}
DEFAULT_REFERENCES = {"race_ethnicity": "white_nh", "race_alone": "white"}


def run_model(
    overrides: dict[str, dict[str, str]] | None = None, min_population_coverage: float = 0.9
) -> duckdb.DuckDBPyConnection:
    con = connect()
    for schema in ("marts", "seeds"):
        con.execute(f"create schema {schema}")
    con.execute(
        """create table marts.fct_indicator_values (indicator_id varchar, vintage varchar, geo_type varchar,
           geo_vintage varchar, geoid varchar, geo_name varchar, group_id varchar, estimate double, moe double,
           denominator double, suppressed boolean, reliability varchar, suppression_reason varchar)"""
    )
    con.executemany(
        "insert into marts.fct_indicator_values values (?, '2018-2022', 'county', '2023', ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (i, g, "area " + g, grp, e, m, d, s, r, "denominator below 20" if s else None)
            for i, g, grp, e, m, d, s, r in VALUES
        ],
    )
    con.execute(
        """create table seeds.seed_indicators as select * from (values
           ('poverty', 'lower_is_better'), ('income', 'higher_is_better'), ('no_white', 'lower_is_better'),
           ('share', 'neutral')) as t(indicator_id, direction)"""
    )
    con.execute("create table seeds.seed_disparity_group_sets (group_set varchar, group_id varchar)")
    con.executemany(
        "insert into seeds.seed_disparity_group_sets values (?, ?)",
        [(s, g) for s, groups in SETS.items() for g in groups],
    )
    con.execute(
        "create table seeds.seed_disparity_reference_groups (indicator_id varchar, group_set varchar, reference_group varchar)"
    )
    references = [(None, s, g) for s, g in DEFAULT_REFERENCES.items()]
    references += [(i, s, g) for i, per_set in (overrides or {}).items() for s, g in per_set.items()]
    con.executemany("insert into seeds.seed_disparity_reference_groups values (?, ?, ?)", references)
    con.execute(
        """create table seeds.seed_disparity_settings as select ['high'] as reference_reliability,
           ['high', 'medium', 'unknown'] as eligible_reliability, 2 as min_groups_for_summary,
           ?::double as min_population_coverage, 1.645 as significance_z""",
        [min_population_coverage],
    )
    con.execute(f"create table result as {model_sql('marts/fct_disparities.sql')}")
    return con


def rows(con, where: str) -> dict[tuple[str, str], dict]:
    """(reference_type, group_id) -> row; a duplicate is an error (the grain)."""
    return by_key(fetch(con, f"select * from result where {where}"), "reference_type", "group_id")


def summary(con, indicator: str, geoid: str, group_set: str = "race_ethnicity") -> dict:
    got = rows(
        con,
        f"indicator_id = '{indicator}' and geoid = '{geoid}' and group_set = '{group_set}' and row_type = 'summary'",
    )
    assert list(got) == [("total", "all")]
    return got[("total", "all")]


@pytest.fixture(scope="module")
def default_run():
    con = run_model()
    yield con
    con.close()


def test_grain_and_both_references_for_every_group(default_run) -> None:
    """One row per group and reference type; every group row names its reference; neutral indicators have none."""
    by_key(
        fetch(default_run, "select * from result"),
        "indicator_id", "geoid", "group_set", "row_type", "reference_type", "group_id",
    )  # fmt: skip
    a = rows(default_run, "indicator_id = 'poverty' and geoid = 'A' and row_type = 'group'")
    assert {(t, g): r["reference_group"] for (t, g), r in a.items()} == {
        ("total", "white_nh"): "total",
        ("total", "black_nh"): "total",
        ("total", "hispanic"): "total",
        ("total", "white"): "total",
        ("total", "black"): "total",
        ("group", "white_nh"): "white_nh",
        ("group", "black_nh"): "white_nh",
        ("group", "hispanic"): "white_nh",
        ("group", "white"): "white",  # race_alone set: its own fixed reference group
        ("group", "black"): "white",
    }
    assert default_run.execute("select count(*) from result where indicator_id = 'share'").fetchone()[0] == 0


def test_group_against_the_total(default_run) -> None:
    """Geography A, total 14 ± 1 (high, reliable).
    black_nh 20 ± 4: RR = 20 / 14 = 1.428571, MOE sqrt(4² + 1.428571²·1²) / 14 = sqrt(18.0408) / 14 = 0.303389;
    RD = 6, MOE sqrt(4² + 1²) = sqrt(17) = 4.1231; z = 6 / sqrt((4/1.645)² + (1/1.645)²) = 6 x 1.645 / 4.1231 =
    2.394 > 1.645: significant.
    hispanic 15 ± 2: RR = 1.071429, MOE sqrt(4 + 1.071429²) / 14 = 2.268912 / 14 = 0.162065; RD = 1 ± sqrt(5) = 2.2361;
    z = 1.645 / 2.2361 = 0.736: not significant."""
    got = rows(
        default_run, "indicator_id = 'poverty' and geoid = 'A' and row_type = 'group' and reference_type = 'total'"
    )
    black, hispanic = got[("total", "black_nh")], got[("total", "hispanic")]
    assert (black["reference_estimate"], black["reference_moe"], black["reference_reliable"]) == (14.0, 1.0, True)
    assert black["rate_ratio"] == pytest.approx(20 / 14)
    assert black["rate_ratio_moe"] == pytest.approx(math.sqrt(16 + (20 / 14) ** 2) / 14)
    assert black["rate_ratio_moe"] == pytest.approx(0.303389, abs=1e-6)
    assert (black["rate_difference"], black["rate_difference_moe"]) == (6.0, pytest.approx(math.sqrt(17)))
    assert black["significant"] is True and black["comparison_note"] is None
    assert hispanic["rate_ratio"] == pytest.approx(15 / 14)
    assert hispanic["rate_ratio_moe"] == pytest.approx(math.sqrt(4 + (15 / 14) ** 2) / 14)
    assert hispanic["rate_ratio_moe"] == pytest.approx(0.162065, abs=1e-6)
    assert hispanic["rate_difference_moe"] == pytest.approx(math.sqrt(5))
    assert hispanic["significant"] is False


def test_group_against_the_fixed_reference_group(default_run) -> None:
    """Geography A, white_nh 10 ± 1 (high).
    black_nh: RR = 2, MOE sqrt(16 + 2²·1) / 10 = sqrt(20) / 10 = 0.4472; RD = 10 ± sqrt(17): z = 3.99, significant.
    hispanic: RR = 1.5, MOE sqrt(4 + 1.5²) / 10 = 0.25; RD = 5 ± sqrt(5): z = 5 x 1.645 / 2.2361 = 3.68, significant.
    white_nh with itself: ratio 1, difference 0, MOEs 0, not significant, and the note says so."""
    got = rows(
        default_run, "indicator_id = 'poverty' and geoid = 'A' and row_type = 'group' and reference_type = 'group'"
    )
    black, hispanic, white = got[("group", "black_nh")], got[("group", "hispanic")], got[("group", "white_nh")]
    assert (black["rate_ratio"], black["rate_difference"]) == (2.0, 10.0)
    assert black["rate_ratio_moe"] == pytest.approx(math.sqrt(20) / 10)
    assert black["rate_difference_moe"] == pytest.approx(math.sqrt(17))
    assert black["significant"] is True
    assert (hispanic["rate_ratio"], hispanic["rate_ratio_moe"]) == (1.5, pytest.approx(0.25))
    assert hispanic["significant"] is True
    assert (white["rate_ratio"], white["rate_ratio_moe"], white["rate_difference"], white["rate_difference_moe"]) == (
        1.0,
        0.0,
        0.0,
        0.0,
    )
    assert white["significant"] is False and white["comparison_note"] == "the reference group itself"
    # race_alone: black 19 ± 4 against white 11 ± 1: RR = 1.727273, MOE sqrt(16 + 1.727273²) / 11
    black_alone = got[("group", "black")]
    assert black_alone["rate_ratio"] == pytest.approx(19 / 11)
    assert black_alone["rate_ratio_moe"] == pytest.approx(math.sqrt(16 + (19 / 11) ** 2) / 11)


def test_summary_measures_by_their_definitions(default_run) -> None:
    """Geography A, race_ethnicity: total R = mu = 14 (denominator 2,000); white_nh 10 (1,000), black_nh 20 (600),
    hispanic 15 (400): shares of the TOTAL p = 0.5, 0.3, 0.2; coverage = 2,000 / 2,000 = 1.
    - max/min = 20 / 10 = 2;
    - index of disparity (Pearcy & Keppel 2002) = (|10-14| + |20-14| + |15-14|) / 3 / 14 x 100 = 11 / 3 / 14 x 100
      = 26.1905;
    - between-group variance = 0.5 x (10-14)² + 0.3 x (20-14)² + 0.2 x (15-14)² = 8 + 10.8 + 0.2 = 19.0;
    - Theil = 0.5 x (10/14) ln(10/14) + 0.3 x (20/14) ln(20/14) + 0.2 x (15/14) ln(15/14)
      = 0.5 x 0.714286 x (-0.336472) + 0.3 x 1.428571 x 0.356675 + 0.2 x 1.071429 x 0.068993
      = -0.120169 + 0.152861 + 0.014784 = 0.047477."""
    s = summary(default_run, "poverty", "A")
    assert (s["reference_type"], s["reference_group"], s["reference_estimate"]) == ("total", "total", 14.0)
    assert s["max_min_ratio"] == 2.0
    assert s["index_of_disparity"] == pytest.approx(11 / 3 / 14 * 100)
    assert s["index_of_disparity"] == pytest.approx(26.1905, abs=1e-4)
    assert s["between_group_variance"] == pytest.approx(19.0)
    theil = (
        0.5 * (10 / 14) * math.log(10 / 14) + 0.3 * (20 / 14) * math.log(20 / 14) + 0.2 * (15 / 14) * math.log(15 / 14)
    )
    assert s["theil_index"] == pytest.approx(theil)
    assert s["theil_index"] == pytest.approx(0.047477, abs=1e-6)
    assert (s["population_coverage"], s["n_groups_in_summary"], s["n_groups_excluded"]) == (1.0, 3, 0)
    assert s["comparison_note"] is None
    # race_alone: white 11 (1,300), black 19 (700) against 14: ID = (3 + 5) / 2 / 14 x 100 = 28.5714;
    # BGV = 0.65 x 9 + 0.35 x 25 = 14.6
    alone = summary(default_run, "poverty", "A", "race_alone")
    assert alone["index_of_disparity"] == pytest.approx(8 / 2 / 14 * 100)
    assert alone["between_group_variance"] == pytest.approx(0.65 * 9 + 0.35 * 25)


def test_excluded_groups_and_population_coverage(default_run) -> None:
    """Geography B: hispanic (15 ± 8, low) and asian_nh (suppressed) are left out; white_nh (1,000) and black_nh
    (600) cover 1,600 / 2,000 = 0.8 of the total, below min_population_coverage 0.9: no between-group variance or
    Theil index, and the note says so. The index of disparity needs no counts: (|10-14| + |20-14|) / 2 / 14 x 100
    = 35.7143 (J = 2). hispanic is still compared with both references: against the total RR = 15 / 14, MOE
    sqrt(64 + (15/14)²) / 14 = 8.071428 / 14 = 0.576531."""
    s = summary(default_run, "poverty", "B")
    assert s["population_coverage"] == pytest.approx(0.8)
    assert s["between_group_variance"] is None and s["theil_index"] is None
    assert "the eligible groups cover 80.0% of the total population, below 90.0%" in s["comparison_note"]
    assert s["index_of_disparity"] == pytest.approx(10 / 2 / 14 * 100)
    assert (s["n_groups_in_summary"], s["n_groups_excluded"]) == (2, 2)
    assert s["excluded_groups"] == "asian_nh (suppressed: denominator below 20); hispanic (reliability low)"
    got = rows(default_run, "indicator_id = 'poverty' and geoid = 'B' and row_type = 'group'")
    hispanic = got[("total", "hispanic")]
    assert (hispanic["eligible"], hispanic["exclusion_reason"]) == (False, "reliability low")
    assert hispanic["rate_ratio_moe"] == pytest.approx(math.sqrt(64 + (15 / 14) ** 2) / 14)
    assert hispanic["rate_ratio_moe"] == pytest.approx(0.576531, abs=1e-6)
    asian = got[("group", "asian_nh")]
    assert asian["rate_ratio"] is None and asian["significant"] is None
    assert asian["comparison_note"] == "no comparison: the group is suppressed: denominator below 20"


def test_partial_coverage_is_not_renormalised() -> None:
    """min_population_coverage 0.75: geography B's two groups (coverage 0.8) give the partial sums over the TOTAL
    population's shares and rate, not shares renormalised over the groups summed:
    BGV = 0.5 x (10-14)² + 0.3 x (20-14)² = 8 + 10.8 = 18.8 (renormalised it would be 0.625 x 16 + 0.375 x 36 = 23.5
    around 13.75); Theil = 0.5 x (10/14) ln(10/14) + 0.3 x (20/14) ln(20/14) = -0.120169 + 0.152861 = 0.032692."""
    con = run_model(min_population_coverage=0.75)
    s = summary(con, "poverty", "B")
    assert s["between_group_variance"] == pytest.approx(18.8)
    assert s["theil_index"] == pytest.approx(0.5 * (10 / 14) * math.log(10 / 14) + 0.3 * (20 / 14) * math.log(20 / 14))
    assert s["theil_index"] == pytest.approx(0.032692, abs=1e-6)
    assert s["comparison_note"] is None
    con.close()


def test_missing_references_say_why(default_run) -> None:
    """Geography C has no total row and white_nh is suppressed: groups are listed, not compared, with the reason;
    the summary has no index of disparity, variance or Theil index (no total rate), but still max/min = 20 / 15.
    The no_white indicator has no white_nh group at all: the row says the source has none."""
    got = rows(default_run, "indicator_id = 'poverty' and geoid = 'C' and row_type = 'group'")
    black_total, black_group = got[("total", "black_nh")], got[("group", "black_nh")]
    assert black_total["rate_ratio"] is None and black_total["reference_reliable"] is None
    assert black_total["comparison_note"] == "no comparison: reference total has no row at this geography"
    assert black_group["rate_difference"] is None and black_group["reference_group"] == "white_nh"
    assert black_group["comparison_note"] == "no comparison: reference white_nh suppressed: denominator below 20"
    s = summary(default_run, "poverty", "C")
    assert s["index_of_disparity"] is None and s["between_group_variance"] is None
    assert s["max_min_ratio"] == pytest.approx(20 / 15)
    assert (
        "no index of disparity, between-group variance or Theil index: reference total has no row"
        in (s["comparison_note"])
    )
    no_white = rows(default_run, "indicator_id = 'no_white' and row_type = 'group' and reference_type = 'group'")
    assert no_white[("group", "black_nh")]["comparison_note"] == (
        "no comparison: the source has no white_nh value for this indicator and period"
    )
    # against the total it is compared: 40 / 30
    total = rows(default_run, "indicator_id = 'no_white' and row_type = 'group' and reference_type = 'total'")
    assert total[("total", "black_nh")]["rate_ratio"] == pytest.approx(40 / 30)


def test_unreliable_references_are_compared_and_marked(default_run) -> None:
    """Geography D: total 14 ± 4 and white_nh 10 ± 3 are of medium reliability: black_nh is compared with both, with
    the reference's MOE (against white_nh: RR = 2, MOE sqrt(16 + 4 x 9) / 10 = 0.7211), and each row says the
    reference is not reliable; the summary is computed and says the total is not reliable."""
    got = rows(default_run, "indicator_id = 'poverty' and geoid = 'D' and row_type = 'group'")
    black = got[("group", "black_nh")]
    assert black["reference_reliable"] is False and black["reference_reliability"] == "medium"
    assert (black["rate_ratio"], black["rate_ratio_moe"]) == (2.0, pytest.approx(math.sqrt(52) / 10))
    assert black["comparison_note"] == "reference not reliable: white_nh reliability medium (reliable: high)"
    assert got[("total", "black_nh")]["comparison_note"] == (
        "reference not reliable: total reliability medium (reliable: high)"
    )
    s = summary(default_run, "poverty", "D")
    assert s["index_of_disparity"] == pytest.approx(10 / 2 / 14 * 100)
    assert s["comparison_note"] == "total not reliable: reliability medium (reliable: high)"


def test_estimate_only_values_are_compared_never_tested(default_run) -> None:
    """Geography G, no MOEs: white_nh 9 vs total 12: RR = 0.75 with no MOE, significance null; the summary has
    BGV = 0.5 x (9-12)² + 0.5 x (15-12)² = 9 and Theil = 0.5 x 0.75 ln 0.75 + 0.5 x 1.25 ln 1.25 = -0.107881 + 0.139465 = 0.031584."""
    white = rows(default_run, "indicator_id = 'poverty' and geoid = 'G' and row_type = 'group'")[("total", "white_nh")]
    assert (white["rate_ratio"], white["rate_ratio_moe"], white["significant"]) == (0.75, None, None)
    assert white["comparison_note"] == (
        "reference not reliable: total reliability unknown (reliable: high); not tested: an MOE is unknown"
    )
    s = summary(default_run, "poverty", "G")
    assert s["between_group_variance"] == pytest.approx(9.0)
    assert s["theil_index"] == pytest.approx(0.5 * 0.75 * math.log(0.75) + 0.5 * 1.25 * math.log(1.25))
    assert s["theil_index"] == pytest.approx(0.031584, abs=1e-6)


def test_no_group_counts_no_variance_or_theil(default_run) -> None:
    """Income (higher is better, medians without counts): total 50,000; white_nh 55,000, black_nh 40,000.
    ID = (5,000 + 10,000) / 2 / 50,000 x 100 = 15; max/min = 55,000 / 40,000 = 1.375; black_nh against white_nh
    RR = 0.727273; no between-group variance or Theil index, and the note says why."""
    s = summary(default_run, "income", "A")
    assert s["index_of_disparity"] == pytest.approx(15.0)
    assert s["max_min_ratio"] == pytest.approx(1.375)
    assert s["between_group_variance"] is None and s["theil_index"] is None and s["population_coverage"] is None
    assert s["comparison_note"] == "no between-group variance or Theil index: the source publishes no group counts"
    black = rows(default_run, "indicator_id = 'income' and row_type = 'group'")[("group", "black_nh")]
    assert black["rate_ratio"] == pytest.approx(40 / 55)


def test_reference_group_override_per_indicator() -> None:
    """reference_group_overrides: {poverty: {race_ethnicity: hispanic}}: geography A's black_nh is compared with
    hispanic 15 ± 2: RR = 20 / 15 = 1.3333, MOE sqrt(16 + 1.3333² x 4) / 15 = 4.807402 / 15 = 0.320493; other indicators keep
    white_nh, and the total reference is unchanged."""
    con = run_model(overrides={"poverty": {"race_ethnicity": "hispanic"}})
    got = rows(con, "indicator_id = 'poverty' and geoid = 'A' and row_type = 'group'")
    black = got[("group", "black_nh")]
    assert black["reference_group"] == "hispanic"
    assert black["rate_ratio"] == pytest.approx(20 / 15)
    assert black["rate_ratio_moe"] == pytest.approx(math.sqrt(16 + (20 / 15) ** 2 * 4) / 15)
    assert black["rate_ratio_moe"] == pytest.approx(0.320493, abs=1e-6)
    assert got[("group", "hispanic")]["comparison_note"] == "the reference group itself"
    assert got[("group", "black")]["reference_group"] == "white"
    income = rows(con, "indicator_id = 'income' and row_type = 'group'")
    assert income[("group", "black_nh")]["reference_group"] == "white_nh"
    con.close()
