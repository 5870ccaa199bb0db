"""CDC PLACES, HUD CHAS and CDC/ATSDR SVI beside the ACS: published values checked against the raw files by hand."""

from __future__ import annotations

import csv
import math

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
