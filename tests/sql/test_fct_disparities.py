"""marts/fct_disparities.sql run on small hand-made inputs (GENERATED for this test, not real data), so each rule
of config/disparities.yaml can be checked by hand arithmetic: the reference choice (reliable groups first, a
configured group and its fallback, direction), comparisons for groups of any reliability, the exact
self-comparison, exclusions and the summary measures. The published tables are checked on the real snapshot in
tests/assets/test_methods.py."""

from __future__ import annotations

import math

import duckdb
import pytest

from tests.sql.sql_harness import connect, model_sql

Z = 1.645

# indicator, geoid, group, estimate, moe, denominator, suppressed, reliability  (hand-made)
VALUES = [
    # geography A: white_nh (high) and black_nh (medium) are eligible; hispanic is of low reliability;
    # asian_nh is suppressed
    ("poverty", "A", "white_nh", 10.0, 1.0, 1000.0, False, "high"),
    ("poverty", "A", "black_nh", 20.0, 4.0, 500.0, False, "medium"),
    ("poverty", "A", "hispanic", 15.0, 8.0, 300.0, False, "low"),
    ("poverty", "A", "asian_nh", None, None, None, True, "unknown"),
    # geography B: estimate-only values (no MOE, reliability unknown) for every group
    ("poverty", "B", "white_nh", 12.0, None, 800.0, False, "unknown"),
    ("poverty", "B", "black_nh", 9.0, None, 400.0, False, "unknown"),
    ("poverty", "B", "hispanic", 11.0, None, 600.0, False, "unknown"),
    # geography C: a reliable group and a more favourable group without an MOE
    ("poverty", "C", "white_nh", 10.0, 1.0, 1000.0, False, "high"),
    ("poverty", "C", "other_nh", 5.0, None, 100.0, False, "unknown"),
    # geography E: white_nh of low reliability
    ("poverty", "E", "white_nh", 8.0, 5.0, 50.0, False, "low"),
    ("poverty", "E", "hispanic", 14.0, 2.0, 900.0, False, "high"),
    ("poverty", "E", "black_nh", 18.0, 3.0, 300.0, False, "medium"),
    # higher is better: the highest income is the most favourable
    ("income", "A", "white_nh", 50_000.0, 1_000.0, None, False, "high"),
    ("income", "A", "black_nh", 40_000.0, 2_000.0, None, False, "high"),
    # a neutral indicator never gets a disparity
    ("share", "A", "white_nh", 60.0, 1.0, None, False, "high"),
    ("share", "A", "black_nh", 40.0, 1.0, None, False, "high"),
]
GROUPS = ["white_nh", "black_nh", "hispanic", "asian_nh", "other_nh"]


def run_model(reference: str = "most_favourable", fallback: str | None = "white_nh") -> duckdb.DuckDBPyConnection:
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
           ('poverty', 'lower_is_better'), ('income', 'higher_is_better'), ('share', 'neutral'))
           as t(indicator_id, direction)"""
    )
    con.execute("create table seeds.seed_disparity_group_sets (group_set varchar, group_id varchar)")
    con.executemany("insert into seeds.seed_disparity_group_sets values ('race_ethnicity', ?)", [(g,) for g in GROUPS])
    con.execute(
        """create table seeds.seed_disparity_settings as select ? as reference, ? as fallback_reference,
           ['high', 'medium', 'unknown'] as eligible_reliability, ['high', 'medium'] as reference_reliability,
           2 as min_groups_for_summary, 1.645 as significance_z""",
        [reference, fallback],
    )
    sql = model_sql("marts/fct_disparities.sql")
    con.execute(f"create table result as {sql}")
    return con


def rows(con, where: str) -> dict[str, dict]:
    cur = con.execute(f"select * from result where {where}")
    names = [d[0] for d in cur.description]
    return {r[names.index("group_id")]: dict(zip(names, r, strict=True)) for r in cur.fetchall()}


@pytest.fixture(scope="module")
def default_run():
    con = run_model()
    yield con
    con.close()


def test_group_rows_compare_every_group_with_a_value(default_run) -> None:
    """Geography A: reference white_nh (10 ± 1, the lowest eligible rate).
    black_nh 20 ± 4: RR = 2.0, MOE sqrt(4² + 2²·1²) / 10 = sqrt(20) / 10 = 0.4472; RD = 10, MOE sqrt(17) = 4.1231;
    z = 10 / sqrt((4/1.645)² + (1/1.645)²) = 3.99 > 1.645: significant.
    hispanic 15 ± 8 (low reliability: compared, not eligible): RR = 1.5, MOE sqrt(64 + 1.5²·1) / 10 = 0.8139;
    RD = 5 ± sqrt(65) = 8.0623; z = 5 / sqrt((8/1.645)² + (1/1.645)²) = 1.02: not significant.
    asian_nh is suppressed: no comparison. white_nh with itself: ratio 1, difference 0, both MOEs 0."""
    got = rows(default_run, "indicator_id = 'poverty' and geoid = 'A' and row_type = 'group'")
    assert {g["reference_group"] for g in got.values()} == {"white_nh"}
    black, hispanic, white, asian = got["black_nh"], got["hispanic"], got["white_nh"], got["asian_nh"]
    assert (black["rate_ratio"], black["rate_difference"]) == (2.0, 10.0)
    assert black["rate_ratio_moe"] == pytest.approx(math.sqrt(20) / 10)
    assert black["rate_difference_moe"] == pytest.approx(math.sqrt(17))
    assert black["significant"] is True and black["eligible"] is True
    assert (hispanic["rate_ratio"], hispanic["rate_difference"]) == (1.5, 5.0)
    assert hispanic["rate_ratio_moe"] == pytest.approx(math.sqrt(64 + 1.5**2) / 10)
    assert hispanic["rate_difference_moe"] == pytest.approx(math.sqrt(65))
    assert hispanic["significant"] is False
    assert (hispanic["eligible"], hispanic["exclusion_reason"]) == (False, "reliability low")
    assert asian["rate_ratio"] is None and asian["significant"] is None
    assert asian["exclusion_reason"].startswith("suppressed")
    assert (white["rate_ratio"], white["rate_ratio_moe"], white["rate_difference"], white["rate_difference_moe"]) == (
        1.0,
        0.0,
        0.0,
        0.0,
    )
    assert white["significant"] is False


def test_summary_of_two_eligible_groups_by_hand(default_run) -> None:
    """Geography A, eligible white_nh 10 (denominator 1,000) and black_nh 20 (500): max/min = 2; index of disparity
    = |20 - 10| / 1 / 10 x 100 = 100; weights 2/3, 1/3, mean mu = (10,000 + 10,000) / 1,500 = 13.333;
    between-group variance = 2/3 x (10 - 13.333)² + 1/3 x (20 - 13.333)² = 22.222; Theil = 2/3 x 0.75 x ln 0.75
    + 1/3 x 1.5 x ln 1.5 = 0.05889. Excluded: asian_nh (suppressed) and hispanic (low), counted."""
    summary = rows(default_run, "indicator_id = 'poverty' and geoid = 'A' and row_type = 'summary'")["all"]
    mu = 20_000 / 1_500
    assert summary["max_min_ratio"] == 2.0
    assert summary["index_of_disparity"] == pytest.approx(100.0)
    assert summary["between_group_variance"] == pytest.approx(2 / 3 * (10 - mu) ** 2 + 1 / 3 * (20 - mu) ** 2)
    assert summary["between_group_variance"] == pytest.approx(22.2222, abs=1e-4)
    theil = 2 / 3 * (10 / mu) * math.log(10 / mu) + 1 / 3 * (20 / mu) * math.log(20 / mu)
    assert summary["theil_index"] == pytest.approx(theil)
    assert summary["theil_index"] == pytest.approx(0.05889, abs=1e-5)
    assert (summary["n_groups_in_summary"], summary["n_groups_excluded"]) == (2, 2)
    assert (
        summary["excluded_groups"].startswith("asian_nh (suppressed")
        and "hispanic (reliability low)" in summary["excluded_groups"]
    )


def test_reference_prefers_reliable_groups_and_says_when_none_is(default_run) -> None:
    """Geography C: other_nh (5, no MOE) is more favourable than white_nh (10 ± 1, high), but the reference is chosen
    among reliable groups first: white_nh. Geography B: no group has an MOE, so the most favourable eligible group
    (black_nh, 9) is the reference and the rule says none is reliable; nothing is called significant."""
    c = rows(default_run, "indicator_id = 'poverty' and geoid = 'C' and row_type = 'group'")
    assert c["other_nh"]["reference_group"] == "white_nh"
    assert c["other_nh"]["rate_ratio"] == 0.5 and c["other_nh"]["rate_ratio_moe"] is None
    assert c["other_nh"]["reference_rule"] == "most favourable eligible group"
    b = rows(default_run, "indicator_id = 'poverty' and geoid = 'B'")
    assert b["white_nh"]["reference_group"] == "black_nh"
    assert "no eligible group has a reliable estimate" in b["white_nh"]["reference_rule"]
    assert {r["significant"] for g, r in b.items() if g not in ("black_nh", "all")} == {None}
    assert b["white_nh"]["rate_ratio"] == pytest.approx(12 / 9)


def test_direction_and_neutral_indicators(default_run) -> None:
    """Income is higher-is-better: white_nh 50,000 is the reference and black_nh's ratio is 0.8; the neutral share
    indicator has no rows."""
    income = rows(default_run, "indicator_id = 'income' and row_type = 'group'")
    assert income["black_nh"]["reference_group"] == "white_nh"
    assert income["black_nh"]["rate_ratio"] == pytest.approx(0.8)
    assert default_run.execute("select count(*) from result where indicator_id = 'share'").fetchone()[0] == 0


def test_configured_reference_and_its_fallback() -> None:
    """reference: white_nh, fallback_reference: hispanic. Geography A compares with white_nh; in geography E white_nh
    is of low reliability (not eligible), so hispanic (14 ± 2) is the reference: black_nh 18 / 14 = 1.2857."""
    con = run_model(reference="white_nh", fallback="hispanic")
    a = rows(con, "indicator_id = 'poverty' and geoid = 'A' and row_type = 'group'")
    assert a["black_nh"]["reference_group"] == "white_nh"
    assert a["black_nh"]["reference_rule"] == "configured group white_nh"
    e = rows(con, "indicator_id = 'poverty' and geoid = 'E' and row_type = 'group'")
    assert e["black_nh"]["reference_group"] == "hispanic"
    assert e["black_nh"]["reference_rule"] == "fallback group hispanic (white_nh not eligible)"
    assert e["black_nh"]["rate_ratio"] == pytest.approx(18 / 14)
    # white_nh itself, though not eligible, is still compared with the reference
    assert e["white_nh"]["rate_ratio"] == pytest.approx(8 / 14) and e["white_nh"]["eligible"] is False
    con.close()
