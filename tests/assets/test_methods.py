"""Methods checked against tables others published: the CDC/ATSDR SVI recomputed from its own inputs, and the
disparity measures checked by hand on one county."""

from __future__ import annotations

import json
import math
from pathlib import Path

import duckdb
import pytest
import yaml

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

    From S1701.json: AIAN alone S1701_C03_015E/M, White alone S1701_C03_013E/M. White alone is the race-alone set's
    fixed reference group (config/disparities.yaml reference_groups). RR = aian / white; MOE(RR) = sqrt(MOE_a² + RR²·MOE_w²)
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
             and group_set = 'race_alone' and reference_type = 'group' and group_id = 'aian'"""
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
    with each reference that has a value (low reliability too, with its MOE), and no suppressed group carries a
    ratio. Every group has one row per reference type."""
    mismatched = published.execute(
        """with counts as (
               select indicator_id, vintage, geo_type, geoid, group_set,
                      count(*) filter (where eligible) as n_eligible, count(*) filter (where not eligible) as n_other
               from latest_disparities where row_type = 'group' and reference_type = 'total' group by all
           )
           select count(*) from latest_disparities as s inner join counts as c
               using (indicator_id, vintage, geo_type, geoid, group_set)
           where s.row_type = 'summary'
             and (s.n_groups_in_summary <> c.n_eligible or s.n_groups_excluded <> c.n_other)"""
    ).fetchone()[0]
    assert mismatched == 0
    per_type = dict(
        published.execute(
            """select reference_type, count(*) from latest_disparities where row_type = 'group' group by 1"""
        ).fetchall()
    )
    assert per_type["total"] == per_type["group"] > 0
    compared = dict(
        published.execute(
            """select coalesce(split_part(exclusion_reason, ':', 1), 'eligible'), count(*)
               from latest_disparities
               where row_type = 'group' and reference_estimate is not null and rate_difference is not null
               group by 1"""
        ).fetchall()
    )
    assert compared.get("reliability low", 0) > 1000 and "suppressed" not in compared
    missing = published.execute(
        """select count(*) from latest_disparities
           where row_type = 'group' and reference_estimate is not null and estimate is not null
             and (rate_difference is null or comparison_note like 'no comparison%')"""
    ).fetchone()[0]
    assert missing == 0
    # every row without a comparison says why
    unexplained = published.execute(
        """select count(*) from latest_disparities
           where row_type = 'group' and rate_difference is null and comparison_note not like 'no comparison: %'"""
    ).fetchone()[0]
    assert unexplained == 0


def test_wa_achs_share_one_reference_per_indicator(published) -> None:
    """The nine Washington ACHs are compared with the same references for an indicator (the audit found five
    different most-favourable groups for one indicator): the total and the set's fixed group."""
    references = published.execute(
        """select indicator_id, group_set, reference_type, count(distinct reference_group)
           from latest_disparities where geo_type = 'ach' and geoid like 'wa-%' and row_type = 'group'
           group by all having count(distinct reference_group) <> 1"""
    ).fetchall()
    assert references == []
    fixed = dict(
        published.execute(
            """select distinct group_set, reference_group from latest_disparities
               where geo_type = 'ach' and geoid like 'wa-%' and reference_type = 'group'"""
        ).fetchall()
    )
    assert fixed == {"race_alone": "white", "race_ethnicity": "white_nh"}


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


def test_yakima_renter_severe_cost_burden_against_both_references_by_hand(published) -> None:
    """REAL case: Yakima County WA (53077), renters paying more than 50% of income, HUD CHAS 2018-2022 (table 9),
    race/ethnicity set. Values as published in indicator_values (percent = 100 x numerator / denominator; the 90%
    MOE by the ACS proportion formula from the CHAS cell MOEs, checked in tests/assets/test_indicator_values.py):

        group           numerator / denominator   rate %     MOE      reliability   share p_j = d_j / 31,630
        total           6,455 / 31,630            20.4078    2.4514   high
        aian_nh           140 /    825            16.9697   11.1625   medium        0.02608
        black_nh           85 /    335            25.3731   15.8404   medium        0.01059
        hispanic        2,500 / 15,830            15.7928    3.2523   medium        0.50047
        other_multi_nh    325 /  1,170            27.7778    7.1411   medium        0.03699
        white_nh        3,335 / 13,120            25.4192    4.2310   high          0.41480
        asian_nh           55 /    280  19.6429 (low: not in the summary); nhpi_nh 15 / 70 21.4286 (low: not in it)

    Group rows (ACS ratio formula MOE(RR) = sqrt(MOE_g² + RR²·MOE_ref²) / ref; MOE(RD) = sqrt(MOE_g² + MOE_ref²);
    significant when |RD| / (MOE(RD) / 1.645) > 1.645):
    - white_nh vs total: RR = 25.4192 / 20.4078 = 1.24556, MOE sqrt(4.2310² + 1.24556²·2.4514²) / 20.4078 = 0.25567;
      RD = 5.0114 ± sqrt(4.2310² + 2.4514²) = 4.8899; z = 5.0114 x 1.645 / 4.8899 = 1.686 > 1.645: significant.
    - hispanic vs total: RR = 0.77386 ± 0.18449; RD = -4.6150 ± 4.0727; z = 1.864: significant.
    - hispanic vs white_nh: RR = 15.7928 / 25.4192 = 0.62129, MOE sqrt(3.2523² + 0.62129²·4.2310²) / 25.4192
      = 0.16451; RD = -9.6264 ± sqrt(3.2523² + 4.2310²) = 5.3365; z = 2.967: significant.
    - black_nh vs total: RR = 1.24330 ± 0.79043; RD = 4.9653 ± 16.0289; z = 0.510: not significant.
    Summary (five eligible groups, J = 5; R = mu = 20.4078, the total's rate):
    - index of disparity = (3.4381 + 4.9653 + 4.6150 + 7.3699 + 5.0114) / 5 / 20.4078 x 100
      = 25.3998 / 5 / 20.4078 x 100 = 24.892;
    - between-group variance = sum p_j (y_j - 20.4078)² = 0.3083 + 0.2611 + 10.6594 + 2.0092 + 10.4171 = 23.655;
    - Theil = sum p_j (y_j / 20.4078) ln(y_j / 20.4078)
      = -0.004001 + 0.002868 - 0.099289 + 0.015523 + 0.113450 = 0.028550;
    - population coverage = (825 + 335 + 15,830 + 1,170 + 13,120) / 31,630 = 31,280 / 31,630 = 0.98893 >= 0.9;
    - max/min = 27.7778 / 15.7928 = 1.75889."""
    published_values = {
        g: (n, d, e, m, r)
        for g, n, d, e, m, r in published.execute(
            """select group_id, numerator, denominator, estimate, moe, reliability from latest_indicator_values
               where indicator_id = 'severe_cost_burden_50_plus_renters' and vintage = '2018-2022'
                 and geo_type = 'county' and geoid = '53077'"""
        ).fetchall()
    }
    table = {  # group: (numerator, denominator, MOE of the percent, reliability), from the docstring
        "total": (6455, 31630, 2.4514, "high"),
        "aian_nh": (140, 825, 11.1625, "medium"),
        "black_nh": (85, 335, 15.8404, "medium"),
        "hispanic": (2500, 15830, 3.2523, "medium"),
        "other_multi_nh": (325, 1170, 7.1411, "medium"),
        "white_nh": (3335, 13120, 4.2310, "high"),
    }
    for group, (n, d, moe, reliability) in table.items():
        got = published_values[group]
        assert (got[0], got[1], got[4]) == (n, d, reliability), group
        assert got[2] == pytest.approx(100 * n / d) and got[3] == pytest.approx(moe, abs=5e-5), group
    assert published_values["asian_nh"][4] == published_values["nhpi_nh"][4] == "low"

    rate = {g: 100 * n / d for g, (n, d, _, _) in table.items()}
    moe = {g: m for g, (_, _, m, _) in table.items()}
    total = rate.pop("total")
    assert total == pytest.approx(20.4078, abs=5e-5)

    def compare(group: str, ref: float, ref_moe: float) -> tuple[float, float, float, float, bool]:
        rr = rate[group] / ref
        rd = rate[group] - ref
        rd_moe = math.sqrt(moe[group] ** 2 + ref_moe**2)
        return rr, math.sqrt(moe[group] ** 2 + rr**2 * ref_moe**2) / ref, rd, rd_moe, abs(rd) / (rd_moe / Z90) > Z90

    expected = {
        ("total", "white_nh"): compare("white_nh", total, moe["total"]),
        ("total", "hispanic"): compare("hispanic", total, moe["total"]),
        ("total", "black_nh"): compare("black_nh", total, moe["total"]),
        ("group", "hispanic"): compare("hispanic", rate["white_nh"], moe["white_nh"]),
    }
    # the numbers of the docstring (to 1e-4: the MOEs above are rounded to 4 decimals)
    assert expected[("total", "white_nh")][:4] == pytest.approx((1.24556, 0.25567, 5.0114, 4.8899), abs=1e-4)
    assert expected[("total", "hispanic")][:4] == pytest.approx((0.77386, 0.18449, -4.6150, 4.0727), abs=1e-4)
    assert expected[("group", "hispanic")][:4] == pytest.approx((0.62129, 0.16451, -9.6264, 5.3365), abs=1e-4)
    assert [e[4] for e in expected.values()] == [True, True, False, True]
    got = {
        (t, g): r
        for t, g, *r in published.execute(
            """select reference_type, group_id, rate_ratio, rate_ratio_moe, rate_difference, rate_difference_moe,
                      significant, reference_group, reference_reliable
               from latest_disparities
               where indicator_id = 'severe_cost_burden_50_plus_renters' and vintage = '2018-2022'
                 and geo_type = 'county' and geoid = '53077' and group_set = 'race_ethnicity' and row_type = 'group'"""
        ).fetchall()
    }
    for key, values in expected.items():
        assert got[key][:4] == pytest.approx(values[:4], abs=1e-4), key
        assert got[key][4] is values[4], key
        assert got[key][5:] == ["total" if key[0] == "total" else "white_nh", True], key

    shares = {g: table[g][1] / 31630 for g in rate}
    summary = {
        "max_min_ratio": max(rate.values()) / min(rate.values()),
        "index_of_disparity": sum(abs(r - total) for r in rate.values()) / len(rate) / total * 100,
        "between_group_variance": sum(shares[g] * (r - total) ** 2 for g, r in rate.items()),
        "theil_index": sum(shares[g] * (r / total) * math.log(r / total) for g, r in rate.items()),
        "population_coverage": 31280 / 31630,
    }
    assert summary == pytest.approx(
        {
            "max_min_ratio": 1.75889,
            "index_of_disparity": 24.892,
            "between_group_variance": 23.655,
            "theil_index": 0.028550,
            "population_coverage": 0.98893,
        },
        abs=5e-4,
    )
    row = published.execute(
        """select reference_group, reference_estimate, max_min_ratio, index_of_disparity, between_group_variance,
                  theil_index, population_coverage, n_groups_in_summary, n_groups_excluded, excluded_groups
           from latest_disparities
           where indicator_id = 'severe_cost_burden_50_plus_renters' and vintage = '2018-2022' and geoid = '53077'
             and group_set = 'race_ethnicity' and row_type = 'summary'"""
    ).fetchone()
    assert row[0] == "total" and row[1] == pytest.approx(total)
    assert dict(zip(summary, row[2:7], strict=True)) == pytest.approx(summary)
    assert (row[7], row[8]) == (5, 2)
    assert row[9] == "asian_nh (reliability low); nhpi_nh (reliability low)"


def test_catalog_documents_the_disparities_of_each_indicator(published) -> None:
    """The catalog says which group sets each indicator is compared in, its two references (the total and the
    fixed group of each set) and which measures exist and why any is missing, and its row counts match the
    disparities table; every indicator states its measures ("none" with the reason)."""
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
    assert reference.startswith("total population (group total) and the fixed reference group of each set")
    assert "(race_ethnicity: white_nh)" in reference and "reliability is high" in reference
    assert "rate ratio" in measures and "index of disparity" in measures and "Theil index (where" in measures
    assert "(race_alone: white; race_ethnicity: white_nh)" in catalog["poverty_rate"][1]
    assert "the source publishes group counts and" in catalog["poverty_rate"][2]
    assert (
        "no between-group variance or Theil index: the source publishes no group counts"
        in (catalog["median_household_income"][2])
    )
    assert catalog["population"] == (
        None,
        "none: neutral indicator (no favourable direction)",
        "none: neutral indicator (no favourable direction)",
        0,
    )
    # every catalog row states its disparity measures
    assert all(c[2] for c in catalog.values())
    no_groups = {i for i, c in catalog.items() if c[2] == "none: no race/ethnicity groups"}
    assert "svi_overall_national" in no_groups


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


def _chas_t9(snapshot_dir, geoid: str, columns: range) -> tuple[dict[int, float], dict[int, float]]:
    """HUD CHAS 2018-2022 table 9 cells (estimates and MOEs) of one county, as the snapshot CSV writes them."""
    import csv

    path = snapshot_dir / "hud_chas/2018thru2022/050/Table9.csv"
    with open(path, newline="", encoding="cp1252") as f:
        raw = next(r for r in csv.DictReader(f) if r["st"] + r["cnty"] == geoid)
    return {n: float(raw[f"T9_est{n}"]) for n in columns}, {n: float(raw[f"T9_moe{n}"]) for n in columns}


@pytest.mark.parametrize(
    ("geoid", "group", "first", "cells", "moe_pct", "reliability"),
    [
        # Muskingum County OH, AIAN renters: T9_est54 all, 55 <=30%, 56 >30-50%, 57 >50%, 58 not computed
        ("39119", "aian_nh", 54, ((20, 26), (0, 29), (15, 24), (10, 16), (0, 29)), 200.20, "low"),
        # Hamilton County OH, NHPI renters: T9_est59 all, 60 <=30%, 61 >30-50%, 62 >50%, 63 not computed
        ("39061", "nhpi_nh", 59, ((125, 79), (0, 29), (35, 53), (95, 82), (0, 29)), 108.53, "low"),
    ],
)
def test_chas_renter_cost_burden_denominator_is_the_sum_of_burden_cells(
    published, snapshot_dir, geoid, group, first, cells, moe_pct, reliability
) -> None:
    """HUD rounds every table 9 cell on its own. The old denominator all - not computed fell below the burden cells:
    Muskingum AIAN renters 25 / (20 - 0) = 125%; Hamilton NHPI renters 130 / (125 - 0) = 104.0% ± 34.6, 'medium',
    CI 69.4-100 (the cap left the estimate outside). Denominator now = <=30% + >30-50% + >50% cells:
    - Muskingum: numerator 15 + 10 = 25 (MOE sqrt(24² + 16²) = sqrt(832) = 28.84); denominator 0 + 15 + 10 = 25,
      MOE sqrt(24² + 16² + 29²) = sqrt(1,673) = 40.90 (the zero cell's MOE counted once); p = 1: radicand 832 -
      1,673 < 0, so the ratio formula: sqrt(832 + 1,673) / 25 = 2.0020 -> 100% ± 200.20, CV 121.7: low; CI 0-100.
    - Hamilton: numerator 35 + 95 = 130 (MOE sqrt(53² + 82²) = sqrt(9,533) = 97.64); denominator 0 + 35 + 95 = 130,
      MOE sqrt(53² + 82² + 29²) = sqrt(10,374) = 101.85; radicand 9,533 - 10,374 < 0: sqrt(19,907) / 130 = 1.0853
      -> 100% ± 108.53, CV 66.0: low (it was 'medium'); CI 0-100."""
    est, moe = _chas_t9(snapshot_dir, geoid, range(first, first + 5))
    all_, le30, gt30, gt50, not_computed = range(first, first + 5)
    assert [(est[n], moe[n]) for n in range(first, first + 5)] == list(cells)
    num, den = est[gt30] + est[gt50], est[le30] + est[gt30] + est[gt50]
    assert num / (est[all_] - est[not_computed]) > 1  # the old rule's rate, above 100%
    num_moe = math.sqrt(moe[gt30] ** 2 + moe[gt50] ** 2)
    den_moe = math.sqrt(moe[le30] ** 2 + moe[gt30] ** 2 + moe[gt50] ** 2)  # le30 is the only zero cell
    p = num / den
    assert num_moe**2 - p**2 * den_moe**2 < 0  # ratio formula
    expected_moe = math.sqrt(num_moe**2 + p**2 * den_moe**2) / den * 100
    assert expected_moe == pytest.approx(moe_pct, abs=0.005)
    row = published.execute(
        """select numerator, numerator_moe, denominator, denominator_moe, estimate, moe, ci_low, ci_high, reliability
           from latest_indicator_values where indicator_id = 'cost_burden_30_plus_renters' and vintage = '2018-2022'
             and geo_type = 'county' and geoid = ? and group_id = ?""",
        [geoid, group],
    ).fetchone()
    assert row[0] == num and row[1] == pytest.approx(num_moe)
    assert row[2] == den and row[3] == pytest.approx(den_moe)
    assert row[4] == pytest.approx(100.0) and row[5] == pytest.approx(expected_moe)
    assert (row[6], row[7], row[8]) == (0.0, 100.0, reliability)


def test_hamilton_nhpi_renters_are_no_longer_called_significantly_worse(published) -> None:
    """Hamilton County OH (39061), NHPI renters with cost burden: 100% ± 108.53 is low reliability, so the
    disparities table does not call it a significant difference (the old 104.0% ± 34.6 'medium' row was)."""
    rows = published.execute(
        """select significant from latest_disparities where indicator_id = 'cost_burden_30_plus_renters'
             and vintage = '2018-2022' and geoid = '39061' and group_id = 'nhpi_nh' and row_type <> 'summary'"""
    ).fetchall()
    assert all(not r[0] for r in rows)


def test_no_chas_rate_above_100_and_no_interval_excludes_its_estimate(published) -> None:
    """Over every published row: no cost-burden percent above 100 (46 before the denominator rule), and
    ci_low <= estimate <= ci_high wherever all three are present (46 CHAS rows had ci_high 100 below the estimate)."""
    over, outside = published.execute(
        """select count(*) filter (where indicator_id like '%cost_burden%' and estimate > 100),
                  count(*) filter (where estimate < ci_low or estimate > ci_high)
           from latest_indicator_values"""
    ).fetchone()
    assert (over, outside) == (0, 0)


def test_la_tract_outside_the_2010_tracts_is_summed_into_the_county_and_stated_unallocated(
    published, snapshot_dir
) -> None:
    """ACS 2014-2018 B25070 (2018/acs/acs5/tract/06/037/B25070.json) has tract 06037137000 (the 2010 tracts as
    corrected in 2012), which is neither a 2010 Census tract nor a 2010 boundary here (the 2010 counts have
    06037930401). Its cells: _001E 302, _011E 42 (not computed), _007E..._010E 0, 28, 29, 160: denominator
    302 - 42 = 260, numerator 0 + 28 + 29 + 160 = 217. Before, it reached no area at all: Los Angeles County's
    rent burden summed 2,339 tracts and left these 260 households out, while the note read 99.9% coverage.
    Now the county (and the county-built region) sum every tract with data in the file, 137000 included, and
    every neighborhood of the county says it is unallocated with 260 / county denominator."""
    rows = json.loads((snapshot_dir / "census_api/2018/acs/acs5/tract/06/037/B25070.json").read_text())
    header = rows[0]
    cells = [{h: v for h, v in zip(header, r, strict=True)} for r in rows[1:]]
    tract = next(c for c in cells if c["tract"] == "137000")
    assert (tract["B25070_001E"], tract["B25070_011E"]) == ("302", "42")
    assert [tract[f"B25070_0{n:02d}E"] for n in range(7, 11)] == ["0", "28", "29", "160"]
    names = ["B25070_001E", "B25070_011E", *(f"B25070_0{n:02d}E" for n in range(7, 11))]
    complete = [c for c in cells if all(c[n] is not None for n in names)]
    den = sum(float(c["B25070_001E"]) - float(c["B25070_011E"]) for c in complete)
    num = sum(sum(float(c[f"B25070_0{n:02d}E"]) for n in range(7, 11)) for c in complete)
    for geo_type, geoid in (("county", "06037"), ("ach", "ca-example-los-angeles-county")):
        row = published.execute(
            """select numerator, denominator, estimate_note from latest_indicator_values
               where indicator_id = 'rent_burden_30_plus' and vintage = '2014-2018' and geo_type = ? and geoid = ?
                 and group_id = 'total'""",
            [geo_type, geoid],
        ).fetchone()
        assert (row[0], row[1]) == (num, den), geo_type
        assert "06037137000 with data are not 2010 census tracts" in row[2]
    share = 100 * 260 / den  # 260 / 1,704,771 = 0.015%
    assert f"{share:.3f}" == "0.015"
    notes = dict(
        published.execute(
            """select vintage || ' ' || geoid, estimate_note from latest_indicator_values
               where indicator_id = 'rent_burden_30_plus' and vintage in ('2014-2018', '2015-2019')
                 and geo_type = 'neighborhood' and geoid like 'la-%' and group_id = 'total'"""
        ).fetchall()
    )
    assert len(notes) == 6  # three Los Angeles example neighborhoods x two periods on 2010 tracts
    for key, note in notes.items():
        assert note.startswith(
            "unallocated: 1 2010-vintage tract(s) with data in county 06037 (06037137000) are not 2010 census tracts"
        ), key
        if key.startswith("2014-2018"):
            assert note.endswith(
                f"they hold 260 of the county's {den:.0f} in the denominator ({share:.3f}% unallocated)"
            )


# ---- ACS 2020-2024 (API vintage 2024): poverty and insurance with MOEs, identities ---------------------------------

ACS_2024_COUNTY = "census_api/2024/acs/acs5/county"


def _cells(snapshot_dir, table: str, geoid: str, names: list[str]) -> dict[str, float]:
    record = county_record(snapshot_dir, f"{ACS_2024_COUNTY}/{table}.json", geoid)
    return {n: float(record[n]) for n in names}


def test_north_central_ach_hispanic_poverty_2020_24_rate_and_moe_by_hand(published, snapshot_dir) -> None:
    """North Central ACH (Chelan 53007, Douglas 53017, Grant 53025, Okanogan 53047), Hispanic (B17001I), 2020-24.

    From the county files: below poverty _002E ±_002M and universe _001E ±_001M
      Chelan 2,687 ±780 of 22,398 ±120; Douglas 1,412 ±561 of 15,107 ±71;
      Grant 8,272 ±1,928 of 43,164 ±202; Okanogan 2,119 ±556 of 8,599 ±49.
    num = 2,687 + 1,412 + 8,272 + 2,119 = 14,490; MOE = sqrt(780² + 561² + 1928² + 556²) = sqrt(4,949,441) = 2,224.7
    den = 22,398 + 15,107 + 43,164 + 8,599 = 89,268; MOE = sqrt(120² + 71² + 202² + 49²) = sqrt(62,646) = 250.3
    p = 14,490 / 89,268 = 0.16232; MOE_p = sqrt(4,949,441 - 0.16232² x 62,646) / 89,268 = sqrt(4,947,791) / 89,268
    = 0.024918 (radicand positive: proportion formula); x 100: 16.23% ± 2.49."""
    counties = ["53007", "53017", "53025", "53047"]
    cells = [
        _cells(snapshot_dir, "B17001I", g, ["B17001I_001E", "B17001I_001M", "B17001I_002E", "B17001I_002M"])
        for g in counties
    ]
    num = sum(c["B17001I_002E"] for c in cells)
    den = sum(c["B17001I_001E"] for c in cells)
    num_moe = math.sqrt(sum(c["B17001I_002M"] ** 2 for c in cells))
    den_moe = math.sqrt(sum(c["B17001I_001M"] ** 2 for c in cells))
    assert (num, den) == (14490, 89268)  # the hand sums above
    assert (num_moe**2, den_moe**2) == (4949441, 62646)
    p = num / den
    moe_p = math.sqrt(num_moe**2 - p**2 * den_moe**2) / den
    assert round(100 * p, 2) == 16.23 and round(100 * moe_p, 2) == 2.49
    row = published.execute(
        """select numerator, numerator_moe, denominator, denominator_moe, estimate, moe, reliability, method,
                  estimate_note, quality_note
           from latest_indicator_values where indicator_id = 'poverty_rate' and vintage = '2020-2024'
             and geo_type = 'ach' and geoid = 'wa-north-central' and group_id = 'hispanic'"""
    ).fetchone()
    assert row[0] == num and row[2] == den
    assert row[1] == pytest.approx(num_moe) and row[3] == pytest.approx(den_moe)
    assert row[4] == pytest.approx(100 * p) and row[5] == pytest.approx(100 * moe_p)
    assert row[6] == "high"  # CV = 2.4918 / 1.645 / 16.232 x 100 = 9.3 < 12
    assert "aggregated from 4 count" in row[7] and row[7].endswith("MOE by the ACS proportion formula")
    assert row[8] is None and row[9] is None  # B17001I is in no failing identity


def test_poverty_2020_24_groups_without_a_table_say_why(published) -> None:
    """The snapshot has no county B17001 (all races), B17001A (White alone) or B17001H (White non-Hispanic) for
    2020-24: those groups are published as rows without a value, with the reason, in every county and ACH region
    that has 2020-24 poverty rows; the insurance tables lack only C27001H."""
    rows = published.execute(
        """select geo_type, group_id, count(*), count(estimate), count(*) filter (where estimate_note like 'no value: %B17001%')
           from latest_indicator_values
           where indicator_id = 'poverty_rate' and vintage = '2020-2024' and group_id in ('total', 'white', 'white_nh')
           group by all order by all"""
    ).fetchall()
    geographies = dict(
        published.execute(
            """select geo_type, count(distinct geoid) from latest_indicator_values
               where indicator_id = 'poverty_rate' and vintage = '2020-2024' group by all"""
        ).fetchall()
    )
    assert {r[0] for r in rows} == {"county", "ach"}
    for geo_type, _group, n, n_values, n_reasons in rows:
        assert n == geographies[geo_type] and n_values == 0 and n_reasons == n
    assert geographies["county"] == 3222
    note = published.execute(
        """select estimate_note from latest_indicator_values where indicator_id = 'uninsured_rate' and vintage = '2020-2024'
             and geoid = '53033' and group_id = 'white_nh'"""
    ).fetchone()[0]
    assert "C27001H" in note


def test_uninsured_2020_24_total_is_b27001_not_the_race_iterations(published, snapshot_dir) -> None:
    """King County (53033), all ages, 2020-24: the total is B27001's 18 "No health insurance coverage" cells
    (_005, _008, ... _029 male; _033, ... _057 female) over B27001_001, not the sum of C27001A-G."""
    uninsured = [f"B27001_{n:03d}E" for n in [*range(5, 30, 3), *range(33, 58, 3)]]
    cells = _cells(snapshot_dir, "B27001", "53033", [*uninsured, "B27001_001E"])
    row = published.execute(
        """select numerator, denominator from latest_indicator_values where indicator_id = 'uninsured_rate'
             and vintage = '2020-2024' and geo_type = 'county' and geoid = '53033' and group_id = 'total'"""
    ).fetchone()
    assert row == (sum(cells[v] for v in uninsured), cells["B27001_001E"])


def _race_identity_by_hand(snapshot_dir) -> dict[str, tuple[float, float, bool]]:
    """Per county: (sum of C27001A-G _001E, B27001_001E, sum of the eight squared MOEs)."""

    def table(name):
        rows = json.loads((snapshot_dir / ACS_2024_COUNTY / f"{name}.json").read_text())
        h = rows[0]
        return {r[h.index("state")] + r[h.index("county")]: dict(zip(h, r, strict=True)) for r in rows[1:]}

    parts = [(letter, table(f"C27001{letter}")) for letter in "ABCDEFG"]
    total = table("B27001")
    out = {}
    for geoid, t in total.items():
        s = sum(float(p[geoid][f"C27001{x}_001E"]) for x, p in parts)
        sq = sum(float(p[geoid][f"C27001{x}_001M"]) ** 2 for x, p in parts) + float(t["B27001_001M"]) ** 2
        out[geoid] = (s, float(t["B27001_001E"]), sq)
    return out


def _beyond_tolerance(parts: float, total: float, sum_sq_moe: float) -> bool:
    """1.645 x SE of the difference = 1.645 x sqrt(sum of MOE²) / 1.645 = sqrt(sum of MOE²); and 1% of the total."""
    return abs(parts - total) > math.sqrt(sum_sq_moe) and abs(parts - total) > 0.01 * total


def test_identity_check_flags_the_c27001a_gap_and_not_identities_that_hold(warehouse, snapshot_dir) -> None:
    """C27001A-G _001 against B27001_001, 2020-24: California as the sum of its counties 37,141,090 vs 38,761,738
    (PROVENANCE.md), -4.2%, flagged; the counties flagged are exactly those the rule flags by hand. The sum-of-parts
    identities of C27001B (under 19 + 19-64 + 65+ = total) hold everywhere."""
    by_hand = _race_identity_by_hand(snapshot_dir)
    rows = warehouse.execute(
        """select geo_type, geoid, parts_value, total_value, holds, problem, note from intermediate.int_source_identities
           where identity_id = 'race:acs/acs5:C27001{i}_001' and vintage_year = '2024'"""
    ).fetchall()
    county = {r[1]: r for r in rows if r[0] == "county"}
    assert set(county) == set(by_hand)
    flagged = {g for g, v in by_hand.items() if _beyond_tolerance(*v)}
    assert {g for g, r in county.items() if not r[4]} == flagged and len(flagged) == 696
    ca = next(r for r in rows if r[:2] == ("state", "06"))
    assert (ca[2], ca[3], ca[4]) == (37141090, 38761738, False)
    assert "C27001[ABCDEFG]_001 = B27001_001 does not hold" in ca[5] and "C27001A" in ca[6]
    la = county["06037"]
    assert (la[2], la[3]) == by_hand["06037"][:2] and not la[4]
    # a county-built ACH region: the sums over its member counties (MOE² summed), judged by the same rule
    regions = yaml.safe_load((Path(__file__).resolve().parents[2] / "config" / "ach_regions.yaml").read_text())
    for region in [r for r in regions["regions"] if r.get("counties")]:
        members = [by_hand[c] for c in region["counties"]]
        s, t, sq = (sum(m[i] for m in members) for i in range(3))
        [ach] = [r for r in rows if r[:2] == ("ach", region["id"])]
        assert (ach[2], ach[3], ach[4]) == (s, t, not _beyond_tolerance(s, t, sq)), region["id"]
    held = warehouse.execute(
        """select count(*), count(*) filter (where holds) from intermediate.int_source_identities
           where identity_id = 'sum:acs/acs5:C27001B_001' and vintage_year = '2024'"""
    ).fetchone()
    assert held[0] >= 3222 and held[0] == held[1]


def test_values_from_tables_of_a_failing_identity_carry_a_quality_note(published, warehouse) -> None:
    """The note is generated from the identity check: Los Angeles uninsured White (C27001A) and total (B27001)
    2020-24 carry it; Hispanic (C27001I, in no race identity) and every 2015-19 row do not."""
    notes = dict(
        published.execute(
            """select group_id, quality_note from latest_indicator_values where indicator_id = 'uninsured_rate'
                 and vintage = '2020-2024' and geo_type = 'county' and geoid = '06037'"""
        ).fetchall()
    )
    assert "C27001[ABCDEFG]_001 = B27001_001 does not hold" in notes["white"]
    assert notes["total"] == notes["white"] and notes["hispanic"] is None
    flagged = warehouse.execute(
        """select count(*) from intermediate.int_source_identities
           where identity_id = 'race:acs/acs5:C27001{i}_001' and geo_type = 'county' and not holds"""
    ).fetchone()[0]
    noted = published.execute(
        """select count(distinct geoid) from latest_indicator_values where indicator_id = 'uninsured_rate_65_plus'
             and vintage = '2020-2024' and geo_type = 'county' and group_id = 'white' and quality_note is not null"""
    ).fetchone()[0]
    assert noted == flagged
    assert (
        published.execute(
            "select count(*) from latest_indicator_values where vintage <> '2020-2024' and quality_note is not null"
        ).fetchone()[0]
        == 0
    )
