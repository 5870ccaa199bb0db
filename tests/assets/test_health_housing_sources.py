"""CDC PLACES, HUD CHAS and CDC/ATSDR SVI beside the ACS: published values checked against the raw files by hand."""

from __future__ import annotations

import csv
import json
import math
from collections import defaultdict

import pytest

Z90, Z95 = 1.645, 1.96
CA_COUNTIES, WA_COUNTIES = 58, 39
ISSUE_12_INDICATORS = [
    # PLACES
    "diabetes",
    "current_asthma",
    "high_blood_pressure",
    "frequent_mental_distress",
    "no_health_insurance_18_64",
    # HUD CHAS table 9, owners and renters together and apart
    "cost_burden_30_plus_households",
    "cost_burden_30_plus_owners",
    "cost_burden_30_plus_renters",
    "severe_cost_burden_50_plus_households",
    "severe_cost_burden_50_plus_owners",
    "severe_cost_burden_50_plus_renters",
    # SVI (ACS 2018-22)
    "no_vehicle",
    "crowded_housing",
    "disability",
    "limited_english",
    "uninsured_svi",
]


def test_catalog_has_at_least_15_indicators_from_at_least_4_sources(published) -> None:
    rows = published.execute(
        "select indicator_id, source, vintages, mixes_vintages from latest_indicator_catalog"
    ).fetchall()
    families = {
        next(f for f in ("U.S. Census Bureau", "CDC PLACES", "HUD", "CDC/ATSDR", "Washington State") if s.startswith(f))
        for _, s, _, _ in rows
    }
    assert len(rows) >= 15 and len(families) >= 4, (len(rows), families)
    catalog = {r[0]: r for r in rows}
    assert set(ISSUE_12_INDICATORS) <= set(catalog)
    # PLACES mixes BRFSS years across its two releases, and the catalog says so.
    assert catalog["diabetes"][2] == "2020, 2021" and catalog["diabetes"][3] is True
    assert catalog["severe_cost_burden_50_plus_renters"][2] == "2018-2022"


@pytest.mark.parametrize("indicator", ISSUE_12_INDICATORS)
def test_every_issue_12_indicator_covers_every_ca_and_wa_county_and_ach(published, indicator) -> None:
    ca, wa, ach = published.execute(
        """select count(distinct geoid) filter (where geo_type = 'county' and geoid like '06%'),
                  count(distinct geoid) filter (where geo_type = 'county' and geoid like '53%'),
                  count(distinct geoid) filter (where geo_type = 'ach' and geoid like 'wa-%' and estimate is not null)
           from latest_indicator_values where indicator_id = ? and group_id = 'total'""",
        [indicator],
    ).fetchone()
    assert (ca, wa, ach) == (CA_COUNTIES, WA_COUNTIES, 9)


def test_king_county_places_diabetes_equals_the_raw_record(published, snapshot_dir) -> None:
    """2022 release, King County WA (53033): DIABETES_CrudePrev / DIABETES_Crude95CI and the age-adjusted pair, as
    CDC printed them in the GIS-friendly CSV (cells read below): crude 7.1 "( 6.6,  7.5)", age-adjusted 7.0
    "( 6.5,  7.4)". The 90% MOE is derived: 1.645 x (7.5 - 6.6) / (2 x 1.96) = 0.37768."""
    path = snapshot_dir / "cdc_places/2022/PLACES__County_Data__GIS_Friendly_Format___2022_release.csv"
    with open(path, newline="", encoding="utf-8-sig") as f:
        raw = next(r for r in csv.DictReader(f) if r["CountyFIPS"] == "53033")
    assert (raw["DIABETES_CrudePrev"], raw["DIABETES_Crude95CI"]) == ("7.1", "( 6.6,  7.5)")
    assert (raw["DIABETES_AdjPrev"], raw["DIABETES_Adj95CI"]) == ("7.0", "( 6.5,  7.4)")
    for indicator, (estimate, low, high) in {
        "diabetes": (7.1, 6.6, 7.5),
        "diabetes_age_adjusted": (7.0, 6.5, 7.4),
    }.items():
        row = published.execute(
            """select estimate, ci_low, ci_high, ci_level, moe, method from latest_indicator_values
               where indicator_id = ? and vintage = '2020' and geo_type = 'county' and geoid = '53033'""",
            [indicator],
        ).fetchone()
        assert row[:4] == (estimate, low, high, 0.95)
        assert row[4] == pytest.approx(Z90 * (high - low) / (2 * Z95))
        assert "95% limits" in row[5]


def test_yakima_hispanic_renter_severe_cost_burden_from_table_9_cells(published, snapshot_dir) -> None:
    """HUD CHAS 2018-2022 table 9, Yakima County WA (53077), Hispanic renter households.

    Cells (HUD's dictionary): T9_est65 / 66 / 67 renter Hispanic cost burden <= 30% / > 30-50% / > 50%; T9_moeN
    beside each. The denominator is the households whose burden was computed, the sum of the three burden cells
    (not est64 all - est68 not computed: HUD rounds each cell, so that difference can fall below the burden cells).
    Snapshot: 9,900 ± 725, 3,430 ± 497, 2,500 ± 540: denominator 15,830, MOE sqrt(725² + 497² + 540²) =
    sqrt(1,064,234) = 1,031.62 (ACS sum formula); rate 2,500 / 15,830 = 15.793%.
    MOE(p) = sqrt(MOE(num)² - p² MOE(den)²) / den (proportion formula), x 100.
    """
    path = snapshot_dir / "hud_chas/2018thru2022/050/Table9.csv"
    with open(path, newline="", encoding="cp1252") as f:
        raw = next(r for r in csv.DictReader(f) if r["st"] + r["cnty"] == "53077")
    est = {n: float(raw[f"T9_est{n}"]) for n in (65, 66, 67)}
    moe = {n: float(raw[f"T9_moe{n}"]) for n in (65, 66, 67)}
    assert (est, moe) == ({65: 9900, 66: 3430, 67: 2500}, {65: 725, 66: 497, 67: 540})
    num, den = est[67], est[65] + est[66] + est[67]
    num_moe = moe[67]
    den_moe = math.sqrt(moe[65] ** 2 + moe[66] ** 2 + moe[67] ** 2)  # no zero cell: every MOE counts
    assert den == 15_830 and den_moe == pytest.approx(1031.62, abs=0.01)
    p = num / den
    radicand = num_moe**2 - p**2 * den_moe**2
    expected_moe = math.sqrt(radicand if radicand >= 0 else num_moe**2 + p**2 * den_moe**2) / den * 100
    row = published.execute(
        """select numerator, numerator_moe, denominator, denominator_moe, estimate, moe, ci_level, reliability
           from latest_indicator_values where indicator_id = 'severe_cost_burden_50_plus_renters'
             and geo_type = 'county' and geoid = '53077' and group_id = 'hispanic'"""
    ).fetchone()
    assert row[0] == num and row[1] == pytest.approx(num_moe)
    assert row[2] == den and row[3] == pytest.approx(den_moe)
    assert row[4] == pytest.approx(100 * p) and row[5] == pytest.approx(expected_moe)
    assert row[6] == pytest.approx(0.90) and row[7] in ("high", "medium", "low")


def test_ach_places_value_is_the_population_weighted_mean_of_its_counties(published) -> None:
    """HealthierHere is King County alone, so its crude diabetes prevalence equals King County's (weight 1)."""
    king, ach = (
        published.execute(
            """select estimate from latest_indicator_values where indicator_id = 'diabetes' and vintage = '2020'
               and geo_type = ? and geoid = ?""",
            [geo_type, geoid],
        ).fetchone()[0]
        for geo_type, geoid in (("county", "53033"), ("ach", "wa-healthierhere"))
    )
    assert ach == pytest.approx(king)


def test_release_records_each_source_vintage(published, first_release) -> None:
    import json

    settings, _ = first_release
    release_id, places, chas = published.execute(
        "select release_id, places_release, chas_vintage from releases order by created_at desc limit 1"
    ).fetchone()
    assert places == "2022, 2023" and chas == "2018-2022"
    manifest = json.loads((settings.published_dir / "releases" / release_id / "manifest.json").read_text())
    assert manifest["vintages"]["cdc_svi"] == ["2014-2018", "2016-2020", "2018-2022"]
    assert manifest["vintages"]["cdc_places"] == ["2019", "2020", "2021"]
    assert "mixes source periods" in manifest["vintages_note"]


# --- every PLACES measure of both releases (measure table in config/indicators.yaml) --------------------------------

PLACES_2022 = "cdc_places/2022/PLACES__County_Data__GIS_Friendly_Format___2022_release.csv"
PLACES_2023 = "cdc_places/2023/PLACES__Local_Data_for_Better_Health__County_Data_2023_release_CA.csv"


def _places_row(published, indicator: str, vintage: str, geo_type: str, geoid: str) -> list[tuple]:
    return published.execute(
        """select estimate, ci_low, ci_high, ci_level, moe, method from latest_indicator_values
           where indicator_id = ? and vintage = ? and geo_type = ? and geoid = ? and group_id = 'total'""",
        [indicator, vintage, geo_type, geoid],
    ).fetchall()


def test_the_published_catalog_is_the_configured_indicators(published) -> None:
    """Counted from config, not written down: every configured indicator (PLACES: two per measure of the measure
    table) is in the catalog and has values, and nothing else is."""
    from assets.settings import CONFIG_DIR
    from sources.indicator_config import load_project_config

    configured = set(load_project_config(CONFIG_DIR).indicators["indicator_id"])
    catalog = {r[0] for r in published.execute("select indicator_id from latest_indicator_catalog").fetchall()}
    with_values = {
        r[0]
        for r in published.execute(
            "select distinct indicator_id from latest_indicator_values where estimate is not null"
        ).fetchall()
    }
    assert catalog == with_values == configured


def test_los_angeles_coronary_heart_disease_2023_release_equals_the_csv_cells(published, snapshot_dir) -> None:
    """2023 release (long file, BRFSS 2021), Los Angeles (06037), measure CHD, as CDC wrote the two rows:
    Crude prevalence 4.9, limits 4.3-5.6; Age-adjusted prevalence 4.6, limits 4.0-5.2.
    90% MOE = 1.645 x (upper - lower) / (2 x 1.96): crude 1.645 x 1.3 / 3.92 = 0.54554; age-adjusted
    1.645 x 1.2 / 3.92 = 0.50357."""
    with open(snapshot_dir / PLACES_2023, newline="", encoding="utf-8-sig") as f:
        cells = {
            r["DataValueTypeID"]: (r["Year"], r["Data_Value"], r["Low_Confidence_Limit"], r["High_Confidence_Limit"])
            for r in csv.DictReader(f)
            if r["LocationID"] == "06037" and r["MeasureId"] == "CHD"
        }
    assert cells == {"CrdPrv": ("2021", "4.9", "4.3", "5.6"), "AgeAdjPrv": ("2021", "4.6", "4.0", "5.2")}
    for indicator, (estimate, low, high) in {
        "coronary_heart_disease": (4.9, 4.3, 5.6),
        "coronary_heart_disease_age_adjusted": (4.6, 4.0, 5.2),
    }.items():
        [row] = _places_row(published, indicator, "2021", "county", "06037")
        assert row[:4] == (estimate, low, high, 0.95)
        assert row[4] == pytest.approx(Z90 * (high - low) / (2 * Z95))
        assert "95% limits" in row[5]
    assert _places_row(published, "coronary_heart_disease", "2021", "county", "06037")[0][4] == pytest.approx(
        1.645 * 1.3 / 3.92
    )


def test_a_brfss_year_both_releases_publish_is_one_value_not_two_added(published, snapshot_dir) -> None:
    """DENTAL is BRFSS 2020 in both releases. Los Angeles' cells are the same in both files: 2022 GIS
    DENTAL_CrudePrev 59.6 "(56.6, 62.7)"; 2023 long CrdPrv 59.6, 56.6-62.7. The published value is 59.6 with those
    limits, once (two matched source rows would be added: 119.2)."""
    with open(snapshot_dir / PLACES_2022, newline="", encoding="utf-8-sig") as f:
        gis = next(r for r in csv.DictReader(f) if r["CountyFIPS"] == "06037")
    with open(snapshot_dir / PLACES_2023, newline="", encoding="utf-8-sig") as f:
        long = next(
            r
            for r in csv.DictReader(f)
            if r["LocationID"] == "06037" and r["MeasureId"] == "DENTAL" and r["DataValueTypeID"] == "CrdPrv"
        )
    assert (gis["DENTAL_CrudePrev"], gis["DENTAL_Crude95CI"]) == ("59.6", "(56.6, 62.7)")
    assert (long["Year"], long["Data_Value"], long["Low_Confidence_Limit"], long["High_Confidence_Limit"]) == (
        "2020",
        "59.6",
        "56.6",
        "62.7",
    )
    [row] = _places_row(published, "dental_visit", "2020", "county", "06037")
    assert row[:4] == (59.6, 56.6, 62.7, 0.95)


def test_king_county_current_smoking_2022_release_equals_the_raw_cells(published, snapshot_dir) -> None:
    """2022 release (GIS-friendly file, BRFSS 2020), King County WA (53033): CSMOKING_CrudePrev 9.6,
    CSMOKING_Crude95CI "( 7.8, 11.5)", CSMOKING_AdjPrev 9.5, CSMOKING_Adj95CI "( 7.7, 11.2)".
    90% MOE: crude 1.645 x (11.5 - 7.8) / 3.92 = 1.55268; age-adjusted 1.645 x 3.5 / 3.92 = 1.46875."""
    with open(snapshot_dir / PLACES_2022, newline="", encoding="utf-8-sig") as f:
        raw = next(r for r in csv.DictReader(f) if r["CountyFIPS"] == "53033")
    assert (raw["CSMOKING_CrudePrev"], raw["CSMOKING_Crude95CI"]) == ("9.6", "( 7.8, 11.5)")
    assert (raw["CSMOKING_AdjPrev"], raw["CSMOKING_Adj95CI"]) == ("9.5", "( 7.7, 11.2)")
    for indicator, (estimate, low, high, moe) in {
        "current_smoking": (9.6, 7.8, 11.5, 1.645 * 3.7 / 3.92),
        "current_smoking_age_adjusted": (9.5, 7.7, 11.2, 1.645 * 3.5 / 3.92),
    }.items():
        [row] = _places_row(published, indicator, "2020", "county", "53033")
        assert row[:4] == (estimate, low, high, 0.95)
        assert row[4] == pytest.approx(moe) == pytest.approx(Z90 * (high - low) / (2 * Z95))
    # BRFSS 2021 exists only for California (2023 release): no 2021 value for King County
    assert _places_row(published, "current_smoking", "2021", "county", "53033") == []


def test_better_health_together_obesity_is_the_population_weighted_mean_of_its_counties(
    published, snapshot_dir
) -> None:
    """Better Health Together (wa-better-health-together), OBESITY crude, 2022 release (BRFSS 2020), weighted by
    the 2020 Census county populations (P1_001N of census_api/2020/dec/pl/tract/53/P1.json added by county, as
    test_geographies.py does):
      county        2020 pop   OBESITY_CrudePrev  Crude95CI
      53001 Adams     20,613   37.2               (35.8, 38.5)
      53019 Ferry      7,178   33.1               (31.5, 34.6)
      53043 Lincoln   10,876   38.3               (36.4, 40.1)
      53051 Pend Or.  13,401   31.0               (29.3, 32.7)
      53063 Spokane  539,339   33.5               (32.1, 35.0)
      53065 Stevens   46,445   31.7               (30.2, 33.1)
    sum w = 637,852; sum w x = 766,803.6 + 237,591.8 + 416,550.8 + 415,431.0 + 18,067,856.5 + 1,472,306.5
    = 21,376,540.2; mean = 21,376,540.2 / 637,852 = 33.51332.
    MOE (counties independent): sqrt(sum (w x MOE_i)^2) / sum w with MOE_i = 1.645 x (hi - lo) / 3.92 = 1.03434;
    95% limits mean -+ 1.96 / 1.645 x MOE = 32.28091-34.74573. The age-adjusted indicator is not averaged."""
    p1 = json.loads((snapshot_dir / "census_api/2020/dec/pl/tract/53/P1.json").read_text())
    header = p1[0]
    i_pop, i_state, i_county = header.index("P1_001N"), header.index("state"), header.index("county")
    county_pop: dict[str, int] = defaultdict(int)
    for r in p1[1:]:
        county_pop[r[i_state] + r[i_county]] += int(r[i_pop])
    with open(snapshot_dir / "ach" / "wa_ach_county_membership.csv", newline="") as f:
        members = sorted(r["county_fips"] for r in csv.DictReader(f) if r["ach_id"] == "wa-better-health-together")
    with open(snapshot_dir / PLACES_2022, newline="", encoding="utf-8-sig") as f:
        cells = {
            r["CountyFIPS"]: (float(r["OBESITY_CrudePrev"]), r["OBESITY_Crude95CI"])
            for r in csv.DictReader(f)
            if r["CountyFIPS"] in members
        }
    hand = {
        "53001": (20_613, 37.2, 35.8, 38.5),
        "53019": (7_178, 33.1, 31.5, 34.6),
        "53043": (10_876, 38.3, 36.4, 40.1),
        "53051": (13_401, 31.0, 29.3, 32.7),
        "53063": (539_339, 33.5, 32.1, 35.0),
        "53065": (46_445, 31.7, 30.2, 33.1),
    }
    assert members == sorted(hand)
    for county, (pop, estimate, low, high) in hand.items():
        assert county_pop[county] == pop
        assert cells[county][0] == estimate
        assert [float(x) for x in cells[county][1].strip("() ").split(",")] == [low, high]
    total_w = sum(w for w, *_ in hand.values())
    total_wx = sum(w * x for w, x, _, _ in hand.values())
    assert total_w == 637_852 and total_wx == pytest.approx(21_376_540.2)
    mean = total_wx / total_w
    moe = math.sqrt(sum((w * Z90 * (hi - lo) / (2 * Z95)) ** 2 for w, _, lo, hi in hand.values())) / total_w
    assert mean == pytest.approx(33.51332, abs=1e-5) and moe == pytest.approx(1.03434, abs=1e-5)
    [row] = _places_row(published, "obesity", "2020", "ach", "wa-better-health-together")
    estimate, low, high, level, published_moe, method = row
    assert estimate == pytest.approx(mean) and published_moe == pytest.approx(moe)
    assert (low, high) == (pytest.approx(32.28091, abs=1e-5), pytest.approx(34.74573, abs=1e-5))
    assert level == pytest.approx(0.95) and "population-weighted mean" in method
    adjusted = _places_row(published, "obesity_age_adjusted", "2020", "ach", "wa-better-health-together")
    assert all(r[0] is None for r in adjusted)
