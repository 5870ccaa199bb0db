"""Published indicator values checked against hand arithmetic on the real snapshot files."""

from __future__ import annotations

import math

import pytest

from tests.conftest import county_record

CA_COUNTIES, WA_COUNTIES = 58, 39
Z90 = 1.645


def one(con, sql: str, *params):
    rows = con.execute(sql, list(params)).fetchall()
    assert len(rows) == 1, f"expected one row, got {len(rows)}: {sql} {params}"
    return rows[0]


def test_every_ca_and_wa_county_has_every_indicator_for_total_and_six_groups(published) -> None:
    """Must-show: 58 CA and 39 WA counties for each of the 5 indicators, total and >= 6 race/ethnicity groups."""
    families = {
        "poverty_rate": "poverty_rate",
        "median_household_income": "median_household_income",
        "unemployment_rate": "unemployment_rate",
        "uninsured_rate": "uninsured_rate",
        "population_share": "population_share",
    }
    for indicator in families:
        rows = published.execute(
            """
            select group_id,
                   count(distinct geoid) filter (where geoid like '06%') as ca,
                   count(distinct geoid) filter (where geoid like '53%') as wa
            from latest_indicator_values
            where indicator_id = ? and geo_type = 'county'
            group by group_id
            """,
            [indicator],
        ).fetchall()
        complete = {g for g, ca, wa in rows if ca == CA_COUNTIES and wa == WA_COUNTIES}
        assert "total" in complete, indicator
        assert len(complete - {"total"}) >= 6, (indicator, sorted(complete))


def test_king_county_median_household_income_2014_2018(published) -> None:
    """B19013_001E = "89418", B19013_001M = "784" for King County (53033) in 2018/acs/acs5/county/B19013.json.

    Direct estimate: 89,418 ± 784; CV = 784 / 1.645 / 89,418 * 100 = 0.5330 %; 90% CI 88,634 to 90,202.
    """
    est, moe, low, high, cv, rel, level = one(
        published,
        """select estimate, moe, ci_low, ci_high, cv, reliability, ci_level from latest_indicator_values
           where indicator_id = 'median_household_income' and vintage = '2014-2018' and geoid = '53033'
             and group_id = 'total'""",
    )
    assert (est, moe) == (89418, 784)
    assert (low, high) == (88634, 90202)
    assert cv == pytest.approx(784 / Z90 / 89418 * 100)
    assert cv == pytest.approx(0.5330, abs=1e-4)
    assert rel == "high" and level == pytest.approx(0.90)


def test_yakima_hispanic_population_share_2014_2018_with_proportion_moe(published) -> None:
    """Yakima County (53077), 2018/acs/acs5/county/B03002.json:
    B03002_001E = 249325 (MOE null: controlled, -555555555 in the API, so 0), B03002_012E = 121944 (MOE null:
    controlled, 0), B03002_004E = 1935 with B03002_004M = 326.

    Hispanic share p = 121944 / 249325 = 0.489097 (48.9097 %); proportion MOE = sqrt(0² − p²·0²) / 249325 = 0.
    Non-Hispanic Black share p = 1935 / 249325 = 0.0077609; MOE = sqrt(326² − p²·0²) / 249325 = 0.0013075,
    i.e. 0.77609 % ± 0.13075 %.
    """
    est, moe, num, den, method = one(
        published,
        """select estimate, moe, numerator, denominator, method from latest_indicator_values
           where indicator_id = 'population_share' and vintage = '2014-2018' and geoid = '53077'
             and group_id = 'hispanic'""",
    )
    assert (num, den) == (121944, 249325)
    assert est == pytest.approx(121944 / 249325 * 100)
    assert est == pytest.approx(48.9097, abs=1e-4)
    assert moe == 0
    assert "proportion formula" in method

    est, moe, rel = one(
        published,
        """select estimate, moe, reliability from latest_indicator_values
           where indicator_id = 'population_share' and vintage = '2014-2018' and geoid = '53077'
             and group_id = 'black_nh'""",
    )
    p = 1935 / 249325
    assert est == pytest.approx(p * 100)
    assert moe == pytest.approx(math.sqrt(326**2 - p**2 * 0**2) / 249325 * 100)
    assert moe == pytest.approx(0.13075, abs=1e-5)
    # CV = 0.13075 / 1.645 / 0.77609 * 100 = 10.24 % -> high (< 12 %)
    assert rel == "high"


def test_king_county_hispanic_uninsured_rate_2015_2019_from_c27001i_cells(published) -> None:
    """2019/acs/acs5/county/53/C27001I.json, King County (053033):
    under 19: total 73832, no insurance 2774; 19-64: total 129201, none 35043; 65+: total 7995, none 388.
    Uninsured = 2774 + 35043 + 388 = 38205 of 73832 + 129201 + 7995 = 211028 -> 18.1042 %.
    The file has estimates only, so the MOE is null and reliability `unknown`, never an invented MOE.
    """
    est, moe, num, den, rel, method = one(
        published,
        """select estimate, moe, numerator, denominator, reliability, method from latest_indicator_values
           where indicator_id = 'uninsured_rate' and vintage = '2015-2019' and geoid = '53033'
             and group_id = 'hispanic'""",
    )
    assert (num, den) == (2774 + 35043 + 388, 73832 + 129201 + 7995) == (38205, 211028)
    assert est == pytest.approx(38205 / 211028 * 100)
    assert est == pytest.approx(18.1042, abs=1e-4)
    assert moe is None and rel == "unknown"
    assert "no MOE" in method

    # The 19-64 band alone: 35043 / 129201 = 27.1229 %
    est = one(
        published,
        """select estimate from latest_indicator_values where indicator_id = 'uninsured_rate_19_to_64'
           and vintage = '2015-2019' and geoid = '53033' and group_id = 'hispanic'""",
    )[0]
    assert est == pytest.approx(35043 / 129201 * 100)


def test_estimate_only_values_never_carry_an_moe_and_every_row_has_reliability(published) -> None:
    """No MOE is invented for B17001/C27001 (estimates only); every published row has a reliability value."""
    invented = published.execute(
        """select count(*) from latest_indicator_values
           where vintage = '2015-2019' and (indicator_id = 'poverty_rate' or indicator_id like 'uninsured%')
             and (moe is not null or cv is not null or reliability <> 'unknown')"""
    ).fetchone()[0]
    assert invented == 0
    missing = published.execute("select count(*) from latest_indicator_values where reliability is null").fetchone()[0]
    assert missing == 0


def test_suppressed_rows_carry_no_numbers_and_say_why(published) -> None:
    """Small-number suppression (config/reliability.yaml: denominator < 20 or numerator < 11)."""
    leaked, unexplained, total = published.execute(
        """select count(*) filter (where estimate is not null or moe is not null or numerator is not null
                                     or denominator is not null),
                  count(*) filter (where suppression_reason is null),
                  count(*)
           from latest_indicator_values where suppressed"""
    ).fetchone()
    assert total > 0
    assert leaked == 0 and unexplained == 0


def test_poverty_rate_published_by_s1701_matches_the_api_cell(published) -> None:
    """2018/acs/acs5/subject/county/S1701.json, Los Angeles (06037): S1701_C03_020E = 19.7, _020M = 0.2 (Hispanic)."""
    est, moe = one(
        published,
        """select estimate, moe from latest_indicator_values where indicator_id = 'poverty_rate'
           and vintage = '2014-2018' and geoid = '06037' and group_id = 'hispanic'""",
    )
    assert (est, moe) == (19.7, 0.2)


def test_open_ended_median_is_no_estimate_and_says_what_was_published(published, snapshot_dir) -> None:
    """Santa Cruz County (06087), 2013-2017, B19013E (NHPI median household income): the snapshot cell is "250001"
    with no MOE, the Bureau's way of writing "250,000 or more" (config/census_api.yaml, open_ended_values). It is a
    bound, not an estimate: the published row has no estimate, reliability unknown and a note saying what the
    value meant, and no published median is 2499 or 250001."""
    record = county_record(snapshot_dir, "census_api/2017/acs/acs5/county/B19013E.json", "06087")
    assert (record["B19013E_001E"], record["B19013E_001M"]) == ("250001", None)
    estimate, moe, reliability, note = one(
        published,
        """select estimate, moe, reliability, estimate_note from latest_indicator_values
           where indicator_id = 'median_household_income' and vintage = '2013-2017' and geoid = '06087'
             and group_id = 'nhpi'""",
    )
    assert (estimate, moe, reliability) == (None, None, "unknown")
    assert "250,000 dollars or more (published as 250001)" in note
    coded = one(
        published,
        """select count(*) from latest_indicator_values
           where indicator_id = 'median_household_income' and estimate in (2499, 250001)""",
    )[0]
    assert coded == 0


def test_reliability_follows_the_cv_thresholds_on_every_row(published) -> None:
    """config/reliability.yaml defaults: high when CV < 12, medium when 12 <= CV <= 40, low above 40 (or a zero
    estimate with an MOE), unknown without an MOE; CV = (MOE / 1.645) / |estimate| x 100. Checked on every row."""
    wrong = one(
        published,
        """select count(*) from latest_indicator_values
           where reliability <> case
               when estimate is null or moe is null then 'unknown'
               when estimate = 0 and moe > 0 then 'low'
               when estimate = 0 then 'high'
               when moe / 1.645 / abs(estimate) * 100 < 12 then 'high'
               when moe / 1.645 / abs(estimate) * 100 <= 40 then 'medium'
               else 'low' end
             or (cv is not null and abs(cv - moe / 1.645 / abs(estimate) * 100) > 1e-9)""",
    )[0]
    assert wrong == 0


def test_king_county_education_2014_2018_from_s1501_cells(published, snapshot_dir) -> None:
    """King County WA (53033), 2018/acs/acs5/subject/county/S1501.json, non-Hispanic White adults 25+:
    S1501_C01_031E = 998992 ± 392 (population 25+), _032E = 968086 ± 1248 (high school or more),
    _033E = 552522 ± 4173 (bachelor's or more).

    Less than high school: numerator 998992 − 968086 = 30906, MOE sqrt(392² + 1248²) = 1308.116;
    p = 30906 / 998992 = 0.030937 (3.0937 %); MOE = sqrt(1308.116² − p²·392²) / 998992 = 0.0013094 (0.13094 %).
    Bachelor's or higher: p = 552522 / 998992 = 0.553080 (55.308 %); MOE = sqrt(4173² − p²·392²) / 998992 =
    0.0041716 (0.41716 %)."""
    est, moe, num, num_moe, den, rel = one(
        published,
        """select estimate, moe, numerator, numerator_moe, denominator, reliability from latest_indicator_values
           where indicator_id = 'less_than_high_school' and vintage = '2014-2018' and geoid = '53033'
             and group_id = 'white_nh'""",
    )
    assert (num, den) == (30906, 998992)
    assert num_moe == pytest.approx(math.sqrt(392**2 + 1248**2))
    p = 30906 / 998992
    assert est == pytest.approx(p * 100) and est == pytest.approx(3.0937, abs=1e-4)
    assert moe == pytest.approx(math.sqrt(1308.1162**2 - p**2 * 392**2) / 998992 * 100, rel=1e-6)
    assert moe == pytest.approx(0.13094, abs=1e-5)
    assert rel == "high"  # CV = 0.13094 / 1.645 / 3.0937 = 2.6 %

    est, moe = one(
        published,
        """select estimate, moe from latest_indicator_values
           where indicator_id = 'bachelors_or_higher' and vintage = '2014-2018' and geoid = '53033'
             and group_id = 'white_nh'""",
    )
    p = 552522 / 998992
    assert est == pytest.approx(55.308, abs=1e-3)
    assert moe == pytest.approx(math.sqrt(4173**2 - p**2 * 392**2) / 998992 * 100)

    # The all-races total is the sum of the seven race-alone groups (A-G cover everyone once; S1501 has no total
    # row among its race/ethnicity lines): C01_028, 034, 037, 040, 043, 046, 049 and their bachelor's cells (+2).
    cells = county_record(snapshot_dir, "census_api/2018/acs/acs5/subject/county/S1501.json", "53033")
    bases = [28, 34, 37, 40, 43, 46, 49]
    population = sum(float(cells[f"S1501_C01_{b:03d}E"]) for b in bases)
    bachelors = sum(float(cells[f"S1501_C01_{b + 2:03d}E"]) for b in bases)
    est, den = one(
        published,
        """select estimate, denominator from latest_indicator_values
           where indicator_id = 'bachelors_or_higher' and vintage = '2014-2018' and geoid = '53033'
             and group_id = 'total'""",
    )
    assert den == population and est == pytest.approx(bachelors / population * 100)

    # Hispanic adults 25+ (S1501_C01_052M) has no MOE in the snapshot for King County (null in 716 counties): the
    # rate is published with reliability unknown, never with an invented MOE.
    assert cells["S1501_C01_052M"] is None
    moe, rel = one(
        published,
        """select moe, reliability from latest_indicator_values
           where indicator_id = 'bachelors_or_higher' and vintage = '2014-2018' and geoid = '53033'
             and group_id = 'hispanic'""",
    )
    assert moe is None and rel == "unknown"


def test_la_vietnamese_population_share_2015_2019_from_b02015(published) -> None:
    """Los Angeles County (06037), 2019/acs/acs5/county/06/B02015.json: Vietnamese (Asian alone) B02015_022E =
    93446 ± 3254; total population B03001_001E = 10081570, MOE null (controlled at county level: 0).

    Share p = 93446 / 10081570 = 0.0092690 (0.92690 %); proportion MOE = sqrt(3254² − p²·0²) / 10081570 =
    0.00032277 (0.032277 %); CV = 0.032277 / 1.645 / 0.92690 = 2.1 % -> high."""
    est, moe, num, den, rel = one(
        published,
        """select estimate, moe, numerator, denominator, reliability from latest_indicator_values
           where indicator_id = 'population_share' and vintage = '2015-2019' and geoid = '06037'
             and group_id = 'asian_vietnamese'""",
    )
    assert (num, den) == (93446, 10081570)
    assert est == pytest.approx(0.92690, abs=1e-5)
    assert moe == pytest.approx(3254 / 10081570 * 100) and moe == pytest.approx(0.032277, abs=1e-6)
    assert rel == "high"
    # the detailed group is labelled and nested under its parent in the published groups table
    label, parent, detailed, sets = one(
        published,
        "select group_label, parent_group_id, is_detailed, group_sets from latest_groups where group_id = 'asian_vietnamese'",
    )
    assert label.startswith("Vietnamese") and parent == "asian" and detailed and sets is None


def test_every_published_group_id_is_labelled_and_periods_sort_as_years(published) -> None:
    """Every group id in the values and disparities has a row in `groups`; `period_start_year`/`period_end_year`
    are the vintage's years ("2014-2018" -> 2014, 2018; "2020" -> 2020, 2020)."""
    unlabelled = published.execute(
        """select distinct group_id from latest_indicator_values
           where group_id not in (select group_id from latest_groups)
           union
           select distinct group_id from latest_disparities
           where group_id <> 'all' and group_id not in (select group_id from latest_groups)"""
    ).fetchall()
    assert unlabelled == []
    periods = dict(
        published.execute(
            """select vintage, list(distinct [period_start_year, period_end_year]) from latest_indicator_values
               group by vintage"""
        ).fetchall()
    )
    assert periods["2014-2018"] == [[2014, 2018]] and periods["2020"] == [[2020, 2020]]
    for vintage, spans in periods.items():
        assert len(spans) == 1, f"vintage {vintage} has several periods {spans}"
        start, end = spans[0]
        assert vintage == (f"{start}-{end}" if start != end else str(start))
