"""CDC SVI county tables: real values read as published, missing-value codes become reasons, bad cells are named.

Real values come from the snapshot (``cdc_svi/``); every bad file here is generated in tmp_path.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from assets.settings import CONFIG_DIR
from sources.cdc_svi import SviError, SviVintage, load_svi_config, parse_svi


@pytest.fixture(scope="module")
def config() -> dict[str, SviVintage]:
    return load_svi_config(CONFIG_DIR / "cdc_svi.yaml")


@pytest.fixture(scope="module")
def svi(config: dict[str, SviVintage], snapshot_dir: Path) -> dict[str, pl.DataFrame]:
    return {v: parse_svi(spec.snapshot_path(snapshot_dir), v, spec.period) for v, spec in config.items()}


def _cell(frame: pl.DataFrame, geoid: str, variable: str) -> dict:
    rows = frame.filter((pl.col("geoid") == geoid) & (pl.col("variable") == variable))
    assert rows.height == 1, (geoid, variable, rows)
    return rows.row(0, named=True)


def test_config_lists_three_vintages(config: dict[str, SviVintage], snapshot_dir: Path) -> None:
    assert {v: s.period for v, s in config.items()} == {"2022": "2018-2022", "2020": "2016-2020", "2018": "2014-2018"}
    assert all(s.snapshot_path(snapshot_dir).is_file() for s in config.values())
    assert (
        config["2022"].live_url == "https://svi.cdc.gov/Documents/Data/2022/csv/states_counties/SVI_2022_US_county.csv"
    )


def test_2022_frame_and_spot_values(svi: dict[str, pl.DataFrame]) -> None:
    f = svi["2022"]
    assert f.columns == [
        "vintage_year",
        "vintage",
        "dataset",
        "variable",
        "geo_level",
        "geoid",
        "geo_name",
        "estimate",
        "moe",
        "annotation",
        "source_file",
        "source_sha256",
    ]
    assert f.select("vintage_year", "vintage", "dataset", "geo_level").unique().rows() == [
        ("2022", "2018-2022", "cdc_svi", "county")
    ]
    assert f["moe"].null_count() == f.height  # MOEs are the M_/MP_ variables, paired downstream
    # PROVENANCE.md spot values: King County WA 0.3761, Los Angeles County 0.8629 (stored as FIPS "6037")
    assert _cell(f, "53033", "rpl_themes")["estimate"] == 0.3761
    la = _cell(f, "06037", "rpl_themes")
    assert (la["estimate"], la["geo_name"]) == (0.8629, "Los Angeles County, California")
    # 158 columns = 8 identifying columns (ST, STATE, ST_ABBR, STCNTY, COUNTY, FIPS, LOCATION, AREA_SQMI) + 150
    assert f["variable"].n_unique() == 150 and f.height == 3144 * 150
    assert {"e_totpop", "ep_noveh", "mp_noveh", "epl_noveh", "spl_themes", "f_total"} <= set(f["variable"])
    assert not {"area_sqmi", "stcnty", "fips", "st"} & set(f["variable"])


def test_county_counts(svi: dict[str, pl.DataFrame]) -> None:
    assert svi["2022"]["geoid"].n_unique() == 3144
    assert svi["2020"]["geoid"].n_unique() == 3143
    assert svi["2018"]["geoid"].n_unique() == 3142
    assert all(f["geoid"].str.contains(r"^\d{5}$").all() for f in svi.values())


def test_codes_without_leading_zeros_are_padded(svi: dict[str, pl.DataFrame]) -> None:
    # SVI_2022_US_county.csv: ST "1", FIPS "1001", "Autauga County, Alabama", E_TOTPOP 58761
    autauga = _cell(svi["2022"], "01001", "e_totpop")
    assert (autauga["estimate"], autauga["geo_name"]) == (58761.0, "Autauga County, Alabama")


def test_minus_999_in_2018_becomes_null_with_reason(svi: dict[str, pl.DataFrame]) -> None:
    # Rio Arriba County NM (35039), 2018: E_POV, E_UNEMP, E_PCI and everything built on them are -999
    rio = svi["2018"].filter(pl.col("geoid") == "35039")
    for variable in ("e_pov", "ep_pov", "rpl_theme1", "rpl_themes", "f_total"):
        cell = _cell(rio, "35039", variable)
        assert (cell["estimate"], cell["annotation"]) == (None, "-999: missing (CDC SVI)")
    assert rio.filter(pl.col("estimate").is_null()).height == 24  # the 24 cells of that row holding -999
    assert _cell(rio, "35039", "rpl_theme2")["estimate"] == 0.8758
    assert svi["2018"].filter(pl.col("annotation").is_not_null())["geoid"].unique().to_list() == ["35039"]


def test_the_one_acs_code_in_2022_becomes_null_with_reason(svi: dict[str, pl.DataFrame]) -> None:
    coded = svi["2022"].filter(pl.col("annotation").is_not_null())
    # District of Columbia (11001): M_GROUPQ -555555555 beside E_GROUPQ 28771
    assert coded.select("geoid", "variable", "estimate").rows() == [("11001", "m_groupq", None)]
    assert coded["annotation"][0] == "-555555555: estimate is controlled; no sampling error (MOE 0)"
    assert _cell(svi["2022"], "11001", "e_groupq")["estimate"] == 28771.0


def test_2020_inputs_have_no_ranks(svi: dict[str, pl.DataFrame]) -> None:
    f = svi["2020"]  # this file has no byte-order mark (2022 and 2018 have one): both read alike
    assert not f["variable"].str.contains(r"^(epl|spl|rpl|f)_").any()
    assert _cell(f, "53033", "e_totpop")["geo_name"] == "King County, Washington"


# --- generated bad input ------------------------------------------------------------------------------------------

HEADER = "ST,STATE,ST_ABBR,STCNTY,COUNTY,FIPS,LOCATION,AREA_SQMI,E_TOTPOP,M_TOTPOP,EP_NOVEH,MP_NOVEH,RPL_THEMES"
GOOD = '1,Alabama,AL,1001,Autauga County,1001,"Autauga County, Alabama",594.45,58761,0,4,1.1,0.2663'


def _file(tmp_path: Path, *lines: str, header: str = HEADER) -> Path:
    path = tmp_path / "SVI_2022_US_county.csv"  # generated bad input
    path.write_bytes(("\ufeff" + "\r\n".join([header, *lines]) + "\r\n").encode("utf-8"))
    return path


def test_generated_good_file_parses(tmp_path: Path) -> None:
    frame = parse_svi(_file(tmp_path, GOOD), "2022", "2018-2022")
    assert frame.select("geoid", "variable", "estimate").rows() == [
        ("01001", "e_totpop", 58761.0),
        ("01001", "m_totpop", 0.0),
        ("01001", "ep_noveh", 4.0),
        ("01001", "mp_noveh", 1.1),
        ("01001", "rpl_themes", 0.2663),
    ]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (GOOD.replace(",4,1.1,", ",four,1.1,"), r"line 2 \(FIPS 01001\) field EP_NOVEH has value 'four'"),
        (GOOD.replace(",4,1.1,", ",,1.1,"), r"line 2 \(FIPS 01001\) field EP_NOVEH has value ''"),
        (GOOD.replace(",4,1.1,", ",-4,1.1,"), r"line 2 \(FIPS 01001\) field EP_NOVEH has value '-4': negative"),
        (GOOD.replace(',1001,"', ',1001A,"'), r"line 2 \(FIPS 1001A\) field FIPS has value '1001A'"),
        (GOOD.replace(',1001,"', ',101001,"'), r"line 2 \(FIPS 101001\) field FIPS has value '101001'"),
        (GOOD.replace("1,Alabama", "2,Alabama", 1), r"line 2 \(FIPS 01001\) field ST has value '2'"),
        (
            GOOD.removesuffix(",0.2663"),
            r"line 2 \(FIPS 1001\) has 12 fields, header has 13: field RPL_THEMES is missing",
        ),
    ],
)
def test_bad_cells_are_named(tmp_path: Path, line: str, message: str) -> None:
    with pytest.raises(SviError, match=message):
        parse_svi(_file(tmp_path, line), "2022", "2018-2022")


def test_duplicated_fips_is_named(tmp_path: Path) -> None:
    padded = GOOD.replace("1,Alabama", "01,Alabama", 1).replace(',1001,"', ',01001,"')  # same county, padded
    with pytest.raises(SviError, match=r"line 3 \(FIPS 01001\) field FIPS has value '01001', already on line 2"):
        parse_svi(_file(tmp_path, GOOD, padded), "2022", "2018-2022")


def test_missing_population_column_is_named(tmp_path: Path) -> None:
    header = HEADER.replace("E_TOTPOP,", "")
    with pytest.raises(SviError, match=r"header lacks column\(s\) \['E_TOTPOP'\]"):
        parse_svi(_file(tmp_path, GOOD.replace(",58761,", ","), header=header), "2022", "2018-2022")
