"""Methods checked against tables others published: the CDC/ATSDR SVI recomputed from its own inputs, and the
disparity measures checked by hand on one county."""

from __future__ import annotations

import math

import duckdb
import pytest

from tests.conftest import county_record

Z90 = 1.645
THEMES = {
    "rpl_themes": "overall",
    "rpl_theme1": "theme 1",
    "rpl_theme2": "theme 2",
    "rpl_theme3": "theme 3",
    "rpl_theme4": "theme 4",
}


@pytest.fixture(scope="module")
def warehouse(first_release):
    settings, results = first_release
    assert all(r.success for r in results)
    con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    yield con
    con.close()


@pytest.mark.parametrize("vintage_year", ["2022", "2018"])
def test_svi_ranks_reproduce_cdc_published_ranks(warehouse, vintage_year) -> None:
    """All U.S. counties ranked together (CDC's county files): the pipeline's RPL_THEMES and RPL_THEME1-4 from
    CDC's own EP_ inputs equal CDC's published ranks (raw columns RPL_*) for >= 99.5% of counties to 4 decimals,
    and the rest within 0.0001; every county that differs is named in the failure message."""
    rows = warehouse.execute(
        """
        select p.variable, p.geoid, p.estimate as published, r.estimate as recomputed
        from staging.stg_cdc_svi__estimates as p
        left join intermediate.int_svi_ranks as r
            on r.vintage_year = p.vintage_year and r.geoid = p.geoid and r.variable = p.variable
            and r.scope = 'national'
        where p.vintage_year = ? and p.variable in ('rpl_themes', 'rpl_theme1', 'rpl_theme2', 'rpl_theme3', 'rpl_theme4')
            and p.estimate is not null
        """,
        [vintage_year],
    ).fetchall()
    assert len(rows) >= 5 * 3141
    for variable, label in THEMES.items():
        theme_rows = [r for r in rows if r[0] == variable]
        differ = [r for r in theme_rows if r[3] is None or round(r[3], 4) != round(r[2], 4)]
        far = [r for r in differ if r[3] is None or abs(r[3] - r[2]) > 0.0001 + 1e-12]
        names = ", ".join(f"{g} (CDC {p}, ours {q})" for _, g, p, q in differ)
        assert len(differ) <= 0.005 * len(theme_rows), f"{vintage_year} {label}: {len(differ)} counties differ: {names}"
        assert not far, f"{vintage_year} {label}: counties off by more than 0.0001: {names}"


def test_svi_state_scope_ranks_within_each_state(warehouse) -> None:
    """Ranked within Washington's 39 counties, the most vulnerable county has rank 1 and the least 0."""
    lo, hi, n = warehouse.execute(
        """select min(estimate), max(estimate), count(*) from intermediate.int_svi_ranks
           where vintage_year = '2022' and scope = 'state' and variable = 'rpl_themes' and geoid like '53%'"""
    ).fetchone()
    assert (lo, hi, n) == (0.0, 1.0, 39)


def test_published_svi_indicators_for_both_scopes(published) -> None:
    king = dict(
        published.execute(
            """select indicator_id, estimate from latest_indicator_values
               where geoid = '53033' and vintage = '2018-2022' and indicator_id like 'svi_overall_%'"""
        ).fetchall()
    )
    assert king["svi_overall_national"] == 0.3761  # PROVENANCE.md: King County RPL_THEMES 2022
    assert 0 <= king["svi_overall_state"] <= 1


def _s1701(snapshot_dir, geoid: str, variables: list[str]) -> dict[str, float]:
    record = county_record(snapshot_dir, "census_api/2018/acs/acs5/subject/county/S1701.json", geoid)
    return {v: float(record[v]) for v in variables}


def test_yakima_poverty_rate_ratio_moe_and_significance_by_hand(published, snapshot_dir) -> None:
    """Yakima County WA (53077), poverty 2014-2018 (S1701 column C03 = percent below poverty), race alone groups.

    From S1701.json: AIAN alone S1701_C03_015E/M, White alone S1701_C03_013E/M. White alone has the lowest rate of
    the eligible race-alone groups, so it is the reference. RR = aian / white; MOE(RR) = sqrt(MOE_a² + RR²·MOE_w²)
    / white (ACS ratio formula); RD = aian - white, MOE(RD) = sqrt(MOE_a² + MOE_w²); significant when
    |RD| / sqrt((MOE_a/1.645)² + (MOE_w/1.645)²) > 1.645."""
    cells = _s1701(snapshot_dir, "53077", ["S1701_C03_015E", "S1701_C03_015M", "S1701_C03_013E", "S1701_C03_013M"])
    a, moe_a = cells["S1701_C03_015E"], cells["S1701_C03_015M"]
    w, moe_w = cells["S1701_C03_013E"], cells["S1701_C03_013M"]
    rr = a / w
    rr_moe = math.sqrt(moe_a**2 + rr**2 * moe_w**2) / w
    z = abs(a - w) / math.sqrt((moe_a / Z90) ** 2 + (moe_w / Z90) ** 2)
    row = published.execute(
        """select reference_group, estimate, reference_estimate, rate_ratio, rate_ratio_moe, rate_difference,
                  rate_difference_moe, significant
           from latest_disparities where indicator_id = 'poverty_rate' and vintage = '2014-2018' and geoid = '53077'
             and group_set = 'race_alone' and group_id = 'aian'"""
    ).fetchone()
    assert row[0] == "white" and (row[1], row[2]) == (a, w)
    assert row[3] == pytest.approx(rr) and row[4] == pytest.approx(rr_moe)
    assert row[5] == pytest.approx(a - w) and row[6] == pytest.approx(math.sqrt(moe_a**2 + moe_w**2))
    assert row[7] is (z > Z90)


def test_disparities_cover_every_wa_ach_and_ca_wa_county(published) -> None:
    geos = published.execute(
        """select geo_type, count(distinct geoid) from latest_disparities
           where (geo_type = 'county' and (geoid like '06%' or geoid like '53%')) or (geo_type = 'ach' and geoid like 'wa-%')
           group by 1 order by 1"""
    ).fetchall()
    assert geos == [("ach", 9), ("county", 97)]
    per_indicator = published.execute(
        """select indicator_id, count(distinct geoid) from latest_disparities
           where geo_type = 'county' and (geoid like '06%' or geoid like '53%') group by 1"""
    ).fetchall()
    for indicator in ("poverty_rate", "unemployment_rate", "uninsured_rate", "severe_cost_burden_50_plus_renters"):
        assert dict(per_indicator)[indicator] == 97, indicator
    # rows are not placeholders: poverty has a group compared with a reference in every county and every ACH
    compared = dict(
        published.execute(
            """select geo_type, count(distinct geoid) from latest_disparities
               where indicator_id = 'poverty_rate' and row_type = 'group' and group_id <> reference_group
                 and rate_ratio is not null
                 and ((geo_type = 'county' and (geoid like '06%' or geoid like '53%'))
                      or (geo_type = 'ach' and geoid like 'wa-%'))
               group by 1"""
        ).fetchall()
    )
    assert compared == {"county": 97, "ach": 9}


def test_summaries_count_exactly_the_eligible_groups_and_every_valued_group_is_compared(published) -> None:
    """Each summary row uses the set's eligible groups and counts the others; every group with a value is compared
    with the reference (low reliability too, with its MOE), and no suppressed group carries a ratio."""
    mismatched = published.execute(
        """with counts as (
               select indicator_id, vintage, geo_type, geoid, group_set,
                      count(*) filter (where eligible) as n_eligible, count(*) filter (where not eligible) as n_other
               from latest_disparities where row_type = 'group' group by all
           )
           select count(*) from latest_disparities as s inner join counts as c
               using (indicator_id, vintage, geo_type, geoid, group_set)
           where s.row_type = 'summary'
             and (s.n_groups_in_summary <> c.n_eligible or s.n_groups_excluded <> c.n_other)"""
    ).fetchone()[0]
    assert mismatched == 0
    compared = dict(
        published.execute(
            """select coalesce(split_part(exclusion_reason, ':', 1), 'eligible'), count(*)
               from latest_disparities
               where row_type = 'group' and reference_group is not null and rate_difference is not null
               group by 1"""
        ).fetchall()
    )
    assert compared.get("reliability low", 0) > 1000 and "suppressed" not in compared
    missing = published.execute(
        """select count(*) from latest_disparities
           where row_type = 'group' and reference_group is not null and estimate is not null
             and rate_difference is null"""
    ).fetchone()[0]
    assert missing == 0


def test_no_published_number_where_suppressed_and_every_row_has_reliability(published) -> None:
    bad = published.execute(
        """select count(*) from latest_indicator_values
           where suppressed and (estimate is not null or moe is not null or numerator is not null
                                 or numerator_moe is not null or denominator is not null
                                 or denominator_moe is not null or ci_low is not null or ci_high is not null
                                 or cv is not null)"""
    ).fetchone()[0]
    missing = published.execute(
        "select count(*) from latest_indicator_values where reliability is null or reliability not in ('high', 'medium', 'low', 'unknown')"
    ).fetchone()[0]
    assert (bad, missing) == (0, 0)


def test_yakima_renter_severe_cost_burden_summary_measures_by_hand(published) -> None:
    """Yakima County (53077), renters paying more than 50% of income, CHAS 2018-2022, race/ethnicity set.

    Group counts (CHAS table 9, renters: severe burden / burden computed): aian_nh 140/826, asian_nh 55/280,
    nhpi_nh 15/70 are of low reliability and left out; black_nh 85/335 = 25.37%, hispanic 2,500/15,830 = 15.79%,
    other_multi_nh 325/1,165 = 27.90%, white_nh 3,335/13,125 = 25.41% are eligible. Hispanic is lowest (lower is
    better), so it is the reference.
    - max/min = 27.90 / 15.79 = 1.766;
    - index of disparity = mean(|25.37-15.79|, |27.90-15.79|, |25.41-15.79|) / 15.79 x 100 = 10.43 / 15.79 x 100 = 66.07;
    - weights p = denominators / 30,455; mean mu = 6,245 / 30,455 = 20.51%;
    - between-group variance = sum p (y - mu)²; Theil = sum p (y / mu) ln(y / mu) (Harper and Lynch 2005)."""
    groups = dict(
        (g, (n, d))
        for g, n, d in published.execute(
            """select group_id, numerator, denominator from latest_indicator_values
               where indicator_id = 'severe_cost_burden_50_plus_renters' and vintage = '2018-2022' and geoid = '53077'"""
        ).fetchall()
    )
    eligible = {
        "black_nh": (85, 335),
        "hispanic": (2500, 15830),
        "other_multi_nh": (325, 1165),
        "white_nh": (3335, 13125),
    }
    for group, counts in eligible.items():
        assert groups[group] == counts, group
    rates = {g: 100 * n / d for g, (n, d) in eligible.items()}
    total = sum(d for _, d in eligible.values())
    mu = 100 * sum(n for n, _ in eligible.values()) / total
    shares = {g: d / total for g, (_, d) in eligible.items()}
    reference = rates["hispanic"]
    others = [abs(r - reference) for g, r in rates.items() if g != "hispanic"]
    expected = {
        "max_min_ratio": max(rates.values()) / min(rates.values()),
        "index_of_disparity": sum(others) / len(others) / reference * 100,
        "between_group_variance": sum(shares[g] * (r - mu) ** 2 for g, r in rates.items()),
        "theil_index": sum(shares[g] * (r / mu) * math.log(r / mu) for g, r in rates.items()),
    }
    assert mu == pytest.approx(20.5056, abs=1e-4)
    assert expected["index_of_disparity"] == pytest.approx(66.07, abs=0.01)
    row = published.execute(
        """select reference_group, max_min_ratio, index_of_disparity, between_group_variance, theil_index,
                  n_groups_in_summary, n_groups_excluded, excluded_groups
           from latest_disparities
           where indicator_id = 'severe_cost_burden_50_plus_renters' and vintage = '2018-2022' and geoid = '53077'
             and group_set = 'race_ethnicity' and row_type = 'summary'"""
    ).fetchone()
    assert row[0] == "hispanic"
    assert dict(zip(expected, row[1:5], strict=True)) == pytest.approx(expected)
    assert (row[5], row[6]) == (4, 3)
    assert row[7] == "aian_nh (reliability low); asian_nh (reliability low); nhpi_nh (reliability low)"


def test_catalog_documents_the_disparities_of_each_indicator(published) -> None:
    """The catalog says which group sets each indicator is compared in, how the reference is chosen and which
    measures exist, and its row counts match the disparities table; neutral indicators have none."""
    catalog = {
        r[0]: r[1:]
        for r in published.execute(
            """select indicator_id, disparity_group_sets, disparity_reference, disparity_measures, n_disparity_rows
               from latest_indicator_catalog"""
        ).fetchall()
    }
    counts = dict(published.execute("select indicator_id, count(*) from latest_disparities group by 1").fetchall())
    assert {i: c[3] for i, c in catalog.items() if c[3]} == counts
    sets, reference, measures, _ = catalog["severe_cost_burden_50_plus_renters"]
    assert sets == "race_ethnicity"
    assert reference.startswith("most favourable eligible group")
    assert "rate ratio" in measures and "Theil index" in measures and "where every" not in measures
    assert "no between-group variance or Theil index" in catalog["median_household_income"][2]
    assert catalog["population"] == (None, None, None, 0)


def test_a_county_alone_in_its_state_gets_no_state_rank(published) -> None:
    """The District of Columbia (11001) is the only county-equivalent in its state: a percentile rank among one
    county is undefined (PERCENTRANK.INC divides by N - 1 = 0), so svi_*_state has no value and says why, while
    its national rank is published (2018-2022: CDC's RPL_THEMES for DC is in the raw table)."""
    rows = published.execute(
        """select indicator_id, estimate, estimate_note from latest_indicator_values
           where geoid = '11001' and vintage = '2018-2022' and indicator_id like 'svi_%'"""
    ).fetchall()
    state = [r for r in rows if r[0].endswith("_state")]
    national = [r for r in rows if r[0].endswith("_national")]
    assert len(state) == 5 and all(r[1] is None and "only county in its ranking group" in r[2] for r in state)
    assert len(national) == 5 and all(r[1] is not None for r in national)
