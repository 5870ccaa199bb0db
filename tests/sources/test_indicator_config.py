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


def _broken(tmp_path, old: str, new: str):
    target = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, target)
    path = target / "indicators.yaml"
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


# config/disparities.yaml (sources/indicator_config/disparities.py)


def _disparities(tmp_path, old: str, new: str):
    target = tmp_path / "config"
    shutil.copytree(CONFIG_DIR, target)
    path = target / "disparities.yaml"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new, 1))
    return target


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
