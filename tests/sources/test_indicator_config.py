"""Indicator configuration is data; mistakes in it are clear errors naming file, indicator and field."""

from __future__ import annotations

import shutil

import pytest

from assets.settings import CONFIG_DIR
from sources.indicator_config import ConfigError, load_project_config


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
