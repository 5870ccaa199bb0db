"""WA DOH life expectancy files: real values read as published, markers become reasons, bad cells are named."""

from __future__ import annotations

from pathlib import Path

import pytest

from sources.wa_doh import LifeExpectancyError, life_expectancy_path, parse_life_expectancy


def test_reads_the_2016_2020_tracts(snapshot_dir: Path) -> None:
    frame = parse_life_expectancy(life_expectancy_path(snapshot_dir, "2020"), "2020")
    assert frame.height == 1458  # 1,458 tract lines; the "State Total" line is not a tract
    adams = frame.filter(frame["geoid"] == "53001950100").row(0, named=True)
    # "Adams","53001950100","76.55","73.33","79.78" in Life_Expectancy_at_Birth_16_20.csv
    assert (adams["estimate"], adams["ci_low_95"], adams["ci_high_95"]) == (76.55, 73.33, 79.78)
    assert adams["vintage"] == "2016-2020" and adams["geo_name"] == "Census Tract 9501, Adams County, Washington"
    benton = frame.filter(frame["geoid"] == "53005010807").row(0, named=True)
    assert benton["estimate"] is None and benton["annotation"] == "--: no data collected (WA DOH)"


def _bad_file(tmp_path: Path, line: str) -> Path:
    path = tmp_path / "Life_Expectancy_at_Birth_16_20.csv"  # generated bad input
    path.write_text(
        '"County Name","Census Tract","Life Expectancy","Lower CI","Upper CI"\n'
        '"n/a","State Total","80.34","80.3","80.39"\n' + line + "\n"
    )
    return path


def test_non_numeric_value_is_named(tmp_path: Path) -> None:
    with pytest.raises(
        LifeExpectancyError, match=r"record 3 \(tract 53001950100\) field Life Expectancy has value 'n/a'"
    ):
        parse_life_expectancy(_bad_file(tmp_path, '"Adams","53001950100","n/a","73.33","79.78"'), "2020")


def test_limits_that_do_not_bracket_the_estimate_are_named(tmp_path: Path) -> None:
    with pytest.raises(LifeExpectancyError, match=r"field Lower CI/Upper CI has value \('79.78', '73.33'\)"):
        parse_life_expectancy(_bad_file(tmp_path, '"Adams","53001950100","76.55","79.78","73.33"'), "2020")


def test_tract_outside_washington_is_named(tmp_path: Path) -> None:
    with pytest.raises(LifeExpectancyError, match=r"record 3 field Census Tract has value '06001400100'"):
        parse_life_expectancy(_bad_file(tmp_path, '"Adams","06001400100","76.55","73.33","79.78"'), "2020")
