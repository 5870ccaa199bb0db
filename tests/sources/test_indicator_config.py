"""Indicator configuration is data; mistakes in it are clear errors naming file, indicator and field."""

from __future__ import annotations

import shutil

import pytest

from assets.settings import CONFIG_DIR
from sources.indicator_config import ConfigError, load_disparity_settings, load_project_config


def test_shipped_config_expands_to_groups_and_variables() -> None:
    config = load_project_config(CONFIG_DIR)
    spec = config.indicator_variables
    # poverty 2015-19 total = sum of iterations A-G: 7 numerator and 14 denominator variables per state.
    total = spec.filter(
        (spec["indicator_id"] == "poverty_rate")
        & (spec["vintage_year"] == "2019")
        & (spec["group_id"] == "total")
        & (spec["state"] == "53")
    )
    assert sorted(total.filter(total["role"] == "numerator")["variable"]) == [f"B17001{c}_002" for c in "ABCDEFG"]
    assert total.filter(total["role"] == "denominator").height == 14


def _broken(tmp_path, old: str, new: str, file: str = "indicators.yaml"):
    """A copy of config/ with one edit to one file (default indicators.yaml)."""
    target = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, target)
    path = target / file
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return target


def test_unknown_group_is_named(tmp_path) -> None:
    with pytest.raises(ConfigError, match=r"indicator 'poverty_rate'.*unknown group 'whte'"):
        load_project_config(
            _broken(tmp_path, "white:    {value: [S1701_C03_013]}", "whte:    {value: [S1701_C03_013]}")
        )


def test_unknown_method_is_named(tmp_path) -> None:
    with pytest.raises(ConfigError, match=r"field `method` has value 'ratio'"):
        load_project_config(_broken(tmp_path, "        method: direct\n", "        method: ratio\n"))


# --- CDC PLACES: every measure of both releases, from the measure table in config/indicators.yaml ----------------

PLACES_2022 = "cdc_places/2022/PLACES__County_Data__GIS_Friendly_Format___2022_release.csv"
PLACES_2023 = "cdc_places/2023/PLACES__Local_Data_for_Better_Health__County_Data_2023_release_CA.csv"
# The ten PLACES indicator ids published before the measure table; releases are diffed by id, so they must stay.
PUBLISHED_PLACES_BASES = (
    "diabetes",
    "current_asthma",
    "high_blood_pressure",
    "frequent_mental_distress",
    "no_health_insurance_18_64",
)
PUBLISHED_PLACES_IDS = {base + suffix for base in PUBLISHED_PLACES_BASES for suffix in ("", "_age_adjusted")}


def _places_measures_in_files(snapshot_dir) -> dict[str, dict[str, str]]:
    """Measure prefix -> {release: BRFSS year}, read from the snapshot files: the 2022 GIS file's header
    (<MEASURE>_CrudePrev; its years are GIS_DATA_YEARS, the file has no year column) and the 2023 long file's
    MeasureId and Year columns."""
    import csv

    from sources.cdc_places.common import GIS_DATA_YEARS

    measures: dict[str, dict[str, str]] = {}
    with open(snapshot_dir / PLACES_2022, newline="", encoding="utf-8-sig") as f:
        header = next(csv.reader(f))
    years = GIS_DATA_YEARS["2022"]
    for column in header:
        if column.endswith("_CrudePrev"):
            measure = column.removesuffix("_CrudePrev")
            measures.setdefault(measure, {})["2022"] = years.get(measure, years["*"])
    with open(snapshot_dir / PLACES_2023, newline="", encoding="utf-8-sig") as f:
        long_years = {(r["MeasureId"], r["Year"]) for r in csv.DictReader(f)}
    for measure, year in long_years:
        assert measures.setdefault(measure, {}).get("2023") in (None, year), f"{measure} has two years in 2023"
        measures[measure]["2023"] = year
    return measures


def test_every_places_measure_of_each_release_is_a_crude_and_an_age_adjusted_indicator(snapshot_dir) -> None:
    """The expected set comes from the files, not from a list: every measure prefix of each release's file gives
    an indicator reading <measure>_crude and one reading <measure>_age_adjusted, with the BRFSS year of the measure
    in each release that has it as a vintage (and no other vintage)."""
    import polars as pl

    measures = _places_measures_in_files(snapshot_dir)
    assert len({m for m, r in measures.items() if "2022" in r}) == 30  # CDC counts COREM and COREW as one (29)
    assert len({m for m, r in measures.items() if "2023" in r}) == 37
    config = load_project_config(CONFIG_DIR)
    spec = config.indicator_variables.filter(pl.col("dataset") == "cdc_places")
    read = {
        (r["variable"], r["indicator_id"]): set(r["vintage_year"])
        for r in spec.group_by("variable", "indicator_id").agg("vintage_year").iter_rows(named=True)
    }
    by_variable = {variable: (indicator, vintages) for (variable, indicator), vintages in read.items()}
    assert len(by_variable) == len(read)  # each variable is read by one indicator
    expected_variables = {f"{m.lower()}{kind}" for m in measures for kind in ("_crude", "_age_adjusted")}
    assert set(by_variable) == expected_variables
    for measure, years in measures.items():
        crude, crude_years = by_variable[f"{measure.lower()}_crude"]
        adjusted, adjusted_years = by_variable[f"{measure.lower()}_age_adjusted"]
        assert adjusted == f"{crude}_age_adjusted", measure
        assert crude_years == adjusted_years == set(years.values()), (measure, crude_years, years)
    assert len(spec["indicator_id"].unique()) == 2 * len(measures)
    assert set(spec["indicator_id"]) >= PUBLISHED_PLACES_IDS
    # crude values are averaged to regions, age-adjusted ones are not, and the note says why
    methods = spec.select("indicator_id", "aggregation", "aggregation_note", "moe_kind", "method").unique()
    for row in methods.iter_rows(named=True):
        assert (row["method"], row["moe_kind"]) == ("direct", "published_ci95")
        if row["indicator_id"].endswith("_age_adjusted"):
            assert row["aggregation"] == "none" and "age distributions" in row["aggregation_note"]
        else:
            assert row["aggregation"] == "population_weighted_mean"
            assert "2020 Census population" in row["aggregation_note"]


def test_places_catalog_texts_are_cdcs_and_sources_name_release_and_scope(snapshot_dir) -> None:
    """Labels are CDC's `Measure` text (2023 long file), the universe is the population that text names, the
    description carries CDC's short name, `source` names each release with its BRFSS year and scope, and the
    direction is higher_is_better exactly for the prevention/screening/visit measures."""
    import csv

    from sources.core.config_io import load_yaml

    with open(snapshot_dir / PLACES_2023, newline="", encoding="utf-8-sig") as f:
        cdc = {r["MeasureId"]: (r["Measure"], r["Short_Question_Text"]) for r in csv.DictReader(f)}
    measures = _places_measures_in_files(snapshot_dir)
    catalog = {r["indicator_id"]: r for r in load_project_config(CONFIG_DIR).indicators.iter_rows(named=True)}
    spec = load_project_config(CONFIG_DIR).indicator_variables
    crude_ids = dict(
        spec.filter(spec["variable"].str.ends_with("_crude") & (spec["dataset"] == "cdc_places"))
        .select("variable", "indicator_id")
        .unique()
        .iter_rows()
    )
    scopes = {str(r["release"]): r["scope"] for r in load_yaml(CONFIG_DIR / "cdc_places.yaml")["releases"]}
    assert set(scopes) == {"2022", "2023"}
    higher = {"CHECKUP", "DENTAL", "CHOLSCREEN", "COLON_SCREEN", "MAMMOUSE", "CERVICAL", "COREM", "COREW", "BPMED"}
    for measure, years in measures.items():
        indicator = crude_ids[f"{measure.lower()}_crude"]
        label, short = cdc[measure]
        for ind, suffix in ((indicator, ""), (f"{indicator}_age_adjusted", " (age-adjusted)")):
            row = catalog[ind]
            assert row["label"] == label + suffix
            assert row["universe"].lower() in label.lower(), (measure, row["universe"])
            assert f'"{short}"' in row["description"] and f"PLACES measure {measure}" in row["description"]
            assert row["unit"] == "percent"
            assert row["direction"] == ("higher_is_better" if measure in higher else "lower_is_better"), measure
            assert row["source"].startswith("CDC PLACES")
            for release in ("2022", "2023"):
                named = f"{release} release (BRFSS {years[release]})" if release in years else f"{release} release"
                assert (named in row["source"]) == (release in years), (ind, row["source"])
            assert ("California counties only" in row["source"]) and (
                ("all U.S. counties" in row["source"]) == ("2022" in years)
            )
    # examples as CDC states them
    assert catalog["mammography"]["universe"] == "Women aged 50-74 years"
    assert catalog["all_teeth_lost"]["universe"] == "Adults aged >=65 years"
    assert catalog["taking_blood_pressure_medication"]["universe"] == "Adults aged >=18 years with high blood pressure"
    assert "more of the diagnosed are treated" in catalog["taking_blood_pressure_medication"]["description"]
    assert catalog["any_disability"]["source"] == "CDC PLACES: 2023 release (BRFSS 2021), California counties only"


def test_a_measure_table_row_without_a_field_is_named(tmp_path) -> None:
    old = 'short: "Coronary Heart Disease"\n        category: "Health Outcomes"\n'
    old += '        universe: "Adults aged >=18 years"\n        direction: lower_is_better\n'
    new = old.removesuffix("        direction: lower_is_better\n")
    with pytest.raises(ConfigError, match=r"measure_table 'cdc_places' row #\d+ \('CHD'\) has no `direction`"):
        load_project_config(_broken(tmp_path, old, new))


def test_a_measure_table_vintage_for_an_unknown_release_is_named(tmp_path) -> None:
    old = '        direction: lower_is_better\n        vintages: {"2022": "2020", "2023": "2021"}\n      - measure: TEETHLOST'
    new = old.replace('"2023": "2021"', '"2024": "2022"')
    with pytest.raises(ConfigError, match=r"row #\d+ \('STROKE'\) field `vintages` names releases \['2024'\]"):
        load_project_config(_broken(tmp_path, old, new))


# config/disparities.yaml (sources/indicator_config/disparities.py)


def _disparities(tmp_path, old: str, new: str):
    return _broken(tmp_path, old, new, file="disparities.yaml")


def test_shipped_disparity_config_gives_the_fixed_references_and_settings() -> None:
    settings, members, references = load_disparity_settings(CONFIG_DIR)
    row = settings.row(0, named=True)
    assert row["reference_reliability"] == ["high"]
    assert row["eligible_reliability"] == ["high", "medium", "unknown"]
    assert (row["min_groups_for_summary"], row["min_population_coverage"], row["significance_z"]) == (2, 0.9, 1.645)
    assert references.rows() == [(None, "race_alone", "white"), (None, "race_ethnicity", "white_nh")]
    assert set(members.filter(members["group_set"] == "race_alone")["group_id"]) == {
        "white", "black", "aian", "asian", "nhpi", "other", "multi",
    }  # fmt: skip


def test_reference_group_override_is_read_per_indicator(tmp_path) -> None:
    config = _disparities(
        tmp_path,
        "reference_group_overrides: {}",
        "reference_group_overrides:\n  median_household_income: {race_ethnicity: hispanic}",
    )
    _, _, references = load_disparity_settings(config)
    assert ("median_household_income", "race_ethnicity", "hispanic") in references.rows()


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("  race_ethnicity: white_nh\n", "  race_ethnicity: white\n", r"`reference_groups.race_ethnicity` has value 'white', which is not a group of set 'race_ethnicity'"),
        ("  race_ethnicity: white_nh\n", "", r"`reference_groups` has no reference group for group set 'race_ethnicity'"),
        ("reference_group_overrides: {}", "reference_group_overrides: {povrty_rate: {race_alone: black}}", r"`reference_group_overrides.povrty_rate` names an indicator not in config/indicators.yaml"),
        ("reference_group_overrides: {}", "reference_group_overrides: {population_share: {race_ethnicity: hispanic}}", r"'population_share' is a neutral indicator"),
        ("reference_group_overrides: {}", "reference_group_overrides: {poverty_rate: {race_alone: white_nh}}", r"`reference_group_overrides.poverty_rate.race_alone` has value 'white_nh'"),
        ("reference_reliability: [high]", "reference_reliability: [hgh]", r"`reference_reliability` has value 'hgh'"),
        ("min_population_coverage: 0.9", "min_population_coverage: 90", r"`min_population_coverage` has value 90; expected a number in \(0, 1\]"),
        ("min_groups_for_summary: 2", "min_groups_for_summary: 1", r"`min_groups_for_summary` has value 1"),
        ("significance_z: 1.645", "significance_z: 1.645\nreference: most_favourable", r"key `reference` is no longer read"),
        ("significance_z: 1.645", "significance_z: 1.645\nreferenc_groups: {}", r"unknown key `referenc_groups`"),
        ("  race_alone: [white,", "  race_alone: [whte,", r"`group_sets.race_alone` names unknown group 'whte'"),
    ],
)  # fmt: skip
def test_disparity_config_errors_name_file_key_and_value(tmp_path, old, new, message) -> None:
    with pytest.raises(ConfigError, match=r"disparities\.yaml: .*" + message):
        load_disparity_settings(_disparities(tmp_path, old, new))


def test_unavailable_groups_need_a_reason_and_cannot_also_be_defined(tmp_path) -> None:
    """2020-24 county poverty lists total, white and white_nh as unavailable (no table in the snapshot)."""
    config = load_project_config(CONFIG_DIR)
    poverty = config.unavailable_groups.filter(config.unavailable_groups["indicator_id"] == "poverty_rate")
    assert sorted(poverty["group_id"]) == ["total", "white", "white_nh"] and set(poverty["vintage_year"]) == {"2024"}
    with pytest.raises(ConfigError, match=r"group 'hispanic' is both defined and listed in `unavailable_groups`"):
        load_project_config(
            _broken(
                tmp_path,
                "        unavailable_groups:\n          total:",
                "        unavailable_groups:\n          hispanic: gone\n          total:",
            )
        )
