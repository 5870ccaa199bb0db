"""HUD CHAS county tables: dictionary labels become variable codes, real cells read as published, bad input named.

Real values come from the snapshot (``hud_chas/2018thru2022``); every bad file here is generated in tmp_path.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import polars as pl
import pytest

from assets.settings import CONFIG_DIR
from sources.core.errors import ConfigError
from sources.hud_chas import (
    ChasConfig,
    ChasError,
    load_chas_config,
    parse_chas_table,
    read_chas_dictionary,
)

LOS_ANGELES = "06037"
KING = "53033"


@pytest.fixture(scope="module")
def config() -> ChasConfig:
    return load_chas_config(CONFIG_DIR / "hud_chas.yaml")


@pytest.fixture(scope="module")
def dictionaries(config: ChasConfig, snapshot_dir: Path) -> dict[int, pl.DataFrame]:
    return {t: read_chas_dictionary(snapshot_dir / s.dictionary, s.label_map) for t, s in config.tables.items()}


@pytest.fixture(scope="module")
def tables(config: ChasConfig, snapshot_dir: Path, dictionaries: dict[int, pl.DataFrame]) -> dict[int, pl.DataFrame]:
    return {
        t: parse_chas_table(snapshot_dir / s.snapshot, t, dictionaries[t], missing_markers=config.missing_markers)
        for t, s in config.tables.items()
    }


def _cell(frame: pl.DataFrame, geoid: str, variable: str) -> dict:
    rows = frame.filter((pl.col("geoid") == geoid) & (pl.col("variable") == variable))
    assert rows.height == 1, (geoid, variable, rows)
    return rows.row(0, named=True)


def _raw_row(path: Path, geoid: str) -> dict[str, str]:
    """The county's line of HUD's CSV as text (HUD writes Windows-1252)."""
    for row in csv.DictReader(io.StringIO(path.read_bytes().decode("cp1252"))):
        if row["st"] + row["cnty"] == geoid:
            return row
    raise AssertionError(f"{geoid} not in {path}")


def _manifest_sha256(snapshot_dir: Path, relpath: str) -> str:
    for line in (snapshot_dir / "MANIFEST.tsv").read_text().splitlines():
        path, _, sha = line.split("\t")
        if path == relpath:
            return sha
    raise AssertionError(f"{relpath} not in MANIFEST.tsv")


# --- the dictionary -----------------------------------------------------------------------------------------------


def test_config_points_at_real_files(config: ChasConfig, snapshot_dir: Path) -> None:
    assert sorted(config.tables) == [1, 8, 9]
    assert config.live_url == "https://www.huduser.gov/PORTAL/datasets/cp/2018thru2022-050-csv.zip"
    for table, spec in config.tables.items():
        assert (snapshot_dir / spec.snapshot).is_file() and (snapshot_dir / spec.dictionary).is_file()
        assert spec.member == f"Table{table}.csv"


def test_table9_columns_get_codes_from_labels(dictionaries: dict[int, pl.DataFrame]) -> None:
    d9 = dictionaries[9]
    codes = dict(zip(d9["hud_column"], d9["variable"], strict=True))
    # 13_Table_9.csv: T9_est67 = Renter occupied | Hispanic, any race | greater than 50%, and so on
    assert codes["T9_est1"] == "all_total_all"
    assert codes["T9_est2"] == "owner_total_all"
    assert codes["T9_est3"] == "owner_white_nh_all"
    assert codes["T9_est38"] == "renter_total_all"
    assert codes["T9_est64"] == "renter_hispanic_all"
    assert codes["T9_est67"] == "renter_hispanic_gt50"
    assert codes["T9_est68"] == "renter_hispanic_not_computed"
    assert codes["T9_est73"] == "renter_other_multi_nh_not_computed"
    assert d9.height == 73 and d9["variable"].n_unique() == 73
    # 1 total, 2 tenure subtotals + 2 x 7 race subtotals = 16 subtotals, 2 x 7 x 4 = 56 detail cells
    assert d9["line_type"].value_counts().sort("line_type").rows() == [("Detail", 56), ("Subtotal", 16), ("Total", 1)]
    row = d9.filter(pl.col("hud_column") == "T9_est67").row(0, named=True)
    assert (row["moe_column"], row["tenure"], row["race"], row["cost_burden"]) == (
        "T9_moe67",
        "renter",
        "hispanic",
        "gt50",
    )


def test_tables_1_and_8_get_codes_too(dictionaries: dict[int, pl.DataFrame]) -> None:
    d1, d8 = dictionaries[1], dictionaries[8]
    assert (d1.height, d1["variable"].n_unique(), d8.height, d8["variable"].n_unique()) == (147, 147, 133, 133)
    c1 = dict(zip(d1["hud_column"], d1["variable"], strict=True))
    c8 = dict(zip(d8["hud_column"], d8["variable"], strict=True))
    assert c1["T1_est1"] == "all_all_all_total"
    assert c1["T1_est75"] == "renter_all_all_total"
    # T1_est78: Renter | has 1 or more of the 4 housing unit problems | <= 30% of HAMFI | White alone, non-Hispanic
    assert c1["T1_est78"] == "renter_any_problem_hamfi_le30_white_nh"
    assert c1["T1_est147"] == "renter_no_problem_hamfi_gt100_hispanic"
    assert c8["T8_est1"] == "all_all_all_all"
    assert c8["T8_est68"] == "renter_all_all_all"
    # T8_est91: Renter | > 30% but <= 50% of HAMFI | greater than 50% | has complete plumbing and kitchen facilities
    assert c8["T8_est91"] == "renter_hamfi_gt30_le50_cb_gt50_complete_facilities"


# --- real values --------------------------------------------------------------------------------------------------


def test_table9_frame_shape_and_totals(tables: dict[int, pl.DataFrame], snapshot_dir: Path) -> None:
    t9 = tables[9]
    assert t9.columns == [
        "vintage_year",
        "vintage",
        "dataset",
        "variable",
        "hud_column",
        "geo_level",
        "geoid",
        "geo_name",
        "estimate",
        "moe",
        "annotation",
        "source_file",
        "source_sha256",
    ]
    assert t9.height == 3222 * 73  # 3,222 counties (with Puerto Rico) x 73 estimate columns
    assert t9["geoid"].n_unique() == 3222 and t9["geoid"].str.contains(r"^\d{5}$").all()
    assert t9.select("vintage_year", "vintage", "dataset", "geo_level").unique().rows() == [
        ("2022", "2018-2022", "hud_chas/table9", "county")
    ]
    assert t9["annotation"].null_count() == t9.height  # every cell of HUD's county file is a number
    assert t9["source_sha256"][0] == _manifest_sha256(snapshot_dir, "hud_chas/2018thru2022/050/Table9.csv")

    la = _cell(t9, LOS_ANGELES, "all_total_all")
    assert (la["estimate"], la["moe"], la["hud_column"]) == (3_363_095.0, 4_807.0, "T9_est1")
    assert la["geo_name"] == "Los Angeles County, California"
    # owner 1,552,165 + renter 1,810,930 = 3,363,095
    assert (
        _cell(t9, LOS_ANGELES, "owner_total_all")["estimate"] + _cell(t9, LOS_ANGELES, "renter_total_all")["estimate"]
        == 3_363_095.0
    )
    assert _cell(t9, KING, "all_total_all")["estimate"] == 916_270.0
    # King: owner 514,955 + renter 401,315 = 916,270; the seven renter race subtotals add to 401,305, ten short,
    # because HUD rounds every cell on its own (PROVENANCE.md)
    renter_races = t9.filter(
        (pl.col("geoid") == KING)
        & pl.col("variable").str.starts_with("renter_")
        & pl.col("variable").str.ends_with("_all")
    ).filter(pl.col("variable") != "renter_total_all")
    assert renter_races.height == 7 and renter_races["estimate"].sum() == 401_305.0
    assert _cell(t9, KING, "renter_total_all")["estimate"] == 401_315.0


def test_hispanic_renter_cost_burden_cells_match_the_raw_row(
    tables: dict[int, pl.DataFrame], config: ChasConfig, snapshot_dir: Path
) -> None:
    raw = _raw_row(snapshot_dir / config.tables[9].snapshot, LOS_ANGELES)
    t9 = tables[9]
    for column, variable in (
        ("67", "renter_hispanic_gt50"),
        ("64", "renter_hispanic_all"),
        ("68", "renter_hispanic_not_computed"),
    ):
        cell = _cell(t9, LOS_ANGELES, variable)
        assert cell["hud_column"] == f"T9_est{column}"
        assert (cell["estimate"], cell["moe"]) == (float(raw[f"T9_est{column}"]), float(raw[f"T9_moe{column}"]))
    # The raw row: T9_est67 219,150 (moe 3,685), T9_est64 781,310 (moe 5,631), T9_est68 12,375 (moe 992).
    assert (raw["T9_est67"], raw["T9_moe67"], raw["T9_est64"], raw["T9_moe64"]) == ("219150", "3685", "781310", "5631")
    assert (raw["T9_est68"], raw["T9_moe68"]) == ("12375", "992")
    # 219,150 / 781,310 = 0.2805: 28% of LA County's Hispanic renter households pay more than half their income.
    gt50 = _cell(t9, LOS_ANGELES, "renter_hispanic_gt50")["estimate"]
    assert round(gt50 / _cell(t9, LOS_ANGELES, "renter_hispanic_all")["estimate"], 4) == 0.2805
    # The four burden cells 344,735 + 205,045 + 219,150 + 12,375 = 781,305: 5 below the subtotal (rounding).
    parts = sum(_cell(t9, LOS_ANGELES, f"renter_hispanic_{b}")["estimate"] for b in ("le30", "gt30_le50", "gt50"))
    assert parts + _cell(t9, LOS_ANGELES, "renter_hispanic_not_computed")["estimate"] == 781_305.0


def test_totals_agree_across_tables_1_8_9(tables: dict[int, pl.DataFrame]) -> None:
    names = {
        1: ("all_all_all_total", "owner_all_all_total", "renter_all_all_total"),
        8: ("all_all_all_all", "owner_all_all_all", "renter_all_all_all"),
        9: ("all_total_all", "owner_total_all", "renter_total_all"),
    }
    la = {t: [_cell(tables[t], LOS_ANGELES, v)["estimate"] for v in vs] for t, vs in names.items()}
    assert la[1] == la[8] == la[9] == [3_363_095.0, 1_552_165.0, 1_810_930.0]
    # and for every county, estimates and MOEs alike
    wide = None
    for t, (total, _, _) in names.items():
        part = (
            tables[t].filter(pl.col("variable") == total).select("geoid", pl.struct("estimate", "moe").alias(f"t{t}"))
        )
        wide = part if wide is None else wide.join(part, on="geoid")
    assert wide is not None and wide.height == 3222
    assert wide.filter((pl.col("t1") != pl.col("t8")) | (pl.col("t1") != pl.col("t9"))).height == 0


def test_windows_1252_county_names_are_decoded(tables: dict[int, pl.DataFrame]) -> None:
    assert _cell(tables[9], "35013", "all_total_all")["geo_name"] == "Doña Ana County, New Mexico"


# --- generated bad input ------------------------------------------------------------------------------------------

GENERATED_DICTIONARY = (  # generated: a two-column cut of 13_Table_9.csv's layout
    "Column Name,Line_Type,Tenure,Race/ethnicity,Cost burden\n"
    "T9_est1,Total,Total: Occupied housing units,All,All\n"
    "T9_est2,Subtotal,Renter occupied,All,All\n"
    ",,,,\n"
)
HEADER = "source,sumlevel,geoid,name,st,cnty,T9_est1,T9_est2,T9_moe1,T9_moe2"
GOOD_LINE = '2018thru2022,050,0500000US06037,"Generated County, California",06,037,100,40,10,5'


def _dictionary(tmp_path: Path, config: ChasConfig, text: str = GENERATED_DICTIONARY) -> pl.DataFrame:
    path = tmp_path / "generated_Table_9_dictionary.csv"  # generated
    path.write_text(text)
    return read_chas_dictionary(path, config.tables[9].label_map)


def _table(tmp_path: Path, *lines: str, header: str = HEADER) -> Path:
    path = tmp_path / "Table9.csv"  # generated bad input
    path.write_text("\n".join([header, *lines]) + "\n")
    return path


def test_generated_good_file_parses(tmp_path: Path, config: ChasConfig) -> None:
    short = '2018thru2022,050,0500000US01001,"Generated County, Alabama",1,1,7,3,2,1'  # st/cnty zero padded
    frame = parse_chas_table(_table(tmp_path, GOOD_LINE, short), 9, _dictionary(tmp_path, config))
    assert frame.select("geoid", "variable", "estimate", "moe").rows() == [
        ("06037", "all_total_all", 100.0, 10.0),
        ("06037", "renter_total_all", 40.0, 5.0),
        ("01001", "all_total_all", 7.0, 2.0),
        ("01001", "renter_total_all", 3.0, 1.0),
    ]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (GOOD_LINE.replace(",40,", ",4O,"), r"line 2 \(geoid 06037\) field T9_est2 has value '4O'"),
        (GOOD_LINE.replace(",40,", ",,"), r"line 2 \(geoid 06037\) field T9_est2 has value ''"),
        (GOOD_LINE.replace(",40,", ",-40,"), r"line 2 \(geoid 06037\) field T9_est2 has value '-40'"),
        (GOOD_LINE.replace(",10,5", ",10,n/a"), r"line 2 \(geoid 06037\) field T9_moe2 has value 'n/a'"),
        (GOOD_LINE.replace(",06,037,", ",6A,037,"), r"line 2 \(geoid 6A037\) field st has value '6A'"),
        (GOOD_LINE.replace(",06,037,", ",06,0377,"), r"line 2 \(geoid 060377\) field cnty has value '0377'"),
        (
            GOOD_LINE.replace("0500000US06037", "0500000US06038"),
            r"line 2 \(geoid 06037\) field geoid has value '0500000US06038'",
        ),
        (GOOD_LINE.replace(",050,", ",140,"), r"line 2 \(geoid 06037\) field sumlevel has value '140'"),
        (GOOD_LINE.removesuffix(",5"), r"line 2 \(geoid 06037\) has 9 fields, header has 10: field T9_moe2 is missing"),
    ],
)
def test_bad_cells_are_named(tmp_path: Path, config: ChasConfig, line: str, message: str) -> None:
    with pytest.raises(ChasError, match=message):
        parse_chas_table(_table(tmp_path, line), 9, _dictionary(tmp_path, config))


def test_missing_moe_column_is_named(tmp_path: Path, config: ChasConfig) -> None:
    header = HEADER.removesuffix(",T9_moe2")
    with pytest.raises(ChasError, match="column T9_est2 has no matching column T9_moe2"):
        parse_chas_table(
            _table(tmp_path, GOOD_LINE.removesuffix(",5"), header=header), 9, _dictionary(tmp_path, config)
        )


def test_moe_without_estimate_is_named(tmp_path: Path, config: ChasConfig) -> None:
    with pytest.raises(ChasError, match="column T9_moe3 has no matching column T9_est3"):
        parse_chas_table(
            _table(tmp_path, GOOD_LINE + ",1", header=HEADER + ",T9_moe3"), 9, _dictionary(tmp_path, config)
        )


def test_column_missing_from_the_dictionary_is_named(tmp_path: Path, config: ChasConfig) -> None:
    header = "source,sumlevel,geoid,name,st,cnty,T9_est1,T9_est2,T9_est3,T9_moe1,T9_moe2,T9_moe3"
    line = '2018thru2022,050,0500000US06037,"Generated County, California",06,037,100,40,1,10,5,1'
    with pytest.raises(ChasError, match="column T9_est3 is not in the dictionary"):
        parse_chas_table(_table(tmp_path, line, header=header), 9, _dictionary(tmp_path, config))


def test_repeated_county_is_named(tmp_path: Path, config: ChasConfig) -> None:
    with pytest.raises(ChasError, match=r"line 3 \(geoid 06037\) repeats the county on line 2"):
        parse_chas_table(_table(tmp_path, GOOD_LINE, GOOD_LINE), 9, _dictionary(tmp_path, config))


def test_missing_marker_becomes_null_with_reason(tmp_path: Path, config: ChasConfig) -> None:
    markers = {"***": "***: generated test marker"}  # not a HUD marker: HUD's county files use none
    path = _table(tmp_path, GOOD_LINE.replace(",40,", ",***,").replace(",10,5", ",10,***"))
    frame = parse_chas_table(path, 9, _dictionary(tmp_path, config), missing_markers=markers)
    cell = _cell(frame, "06037", "renter_total_all")
    assert (cell["estimate"], cell["moe"]) == (None, None)
    assert cell["annotation"] == "***: generated test marker; moe ***: generated test marker"
    assert _cell(frame, "06037", "all_total_all")["annotation"] is None


def test_unknown_dictionary_label_is_named(tmp_path: Path, config: ChasConfig) -> None:
    text = GENERATED_DICTIONARY.replace("Renter occupied", "Renter-occupied")  # generated rewording
    with pytest.raises(ChasError, match=r"row 3 \(T9_est2\) field Tenure has unknown label 'Renter-occupied'"):
        _dictionary(tmp_path, config, text)


def test_unmapped_dictionary_column_is_named(tmp_path: Path, config: ChasConfig) -> None:
    text = "\n".join(  # generated: a fourth dimension the config does not map
        f"{line},{extra}"
        for line, extra in zip(GENERATED_DICTIONARY.splitlines(), ["Facilities", "All", "All", ""], strict=True)
    )
    with pytest.raises(ChasError, match=r"dimension column\(s\) \['Facilities'\] have no label map"):
        _dictionary(tmp_path, config, text)


def test_label_map_that_cannot_tell_columns_apart_is_an_error(tmp_path: Path, config: ChasConfig) -> None:
    label_map = json.loads(json.dumps(config.tables[9].label_map))
    label_map["tenure"]["labels"]["Renter occupied"] = "all"  # generated mistake: two labels, one code
    path = tmp_path / "generated_Table_9_dictionary.csv"
    path.write_text(GENERATED_DICTIONARY)
    with pytest.raises(ChasError, match=r"row 3 \(T9_est2\) gets variable 'all_total_all', already given to T9_est1"):
        read_chas_dictionary(path, label_map)


def test_bad_label_map_is_a_config_error(tmp_path: Path, config: ChasConfig) -> None:
    path = tmp_path / "generated_Table_9_dictionary.csv"
    path.write_text(GENERATED_DICTIONARY)
    with pytest.raises(ConfigError, match="label 'Owner occupied' has code 'Owner'"):
        read_chas_dictionary(path, {"tenure": {"header": "Tenure", "labels": {"Owner occupied": "Owner"}}})


# --- live zip -----------------------------------------------------------------------------------------------------


def _serve_zip(tmp_path: Path, members: dict[str, bytes]):
    """A loopback stand-in for HUD's download site serving one generated zip; returns (url, server, thread)."""
    import functools
    from http.server import SimpleHTTPRequestHandler

    from tests.sources.loopback import start_loopback

    site = tmp_path / "site"
    site.mkdir()
    with zipfile.ZipFile(site / "2018thru2022-050-csv.zip", "w") as archive:
        for name, body in members.items():
            archive.writestr(name, body)

    class Quiet(SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    httpd, thread = start_loopback(functools.partial(Quiet, directory=str(site)), "hud-replay")
    return f"http://127.0.0.1:{httpd.server_address[1]}/2018thru2022-050-csv.zip", httpd, thread


def test_live_zip_members_are_found_by_name_and_landed(tmp_path: Path, config: ChasConfig, snapshot_dir: Path) -> None:
    """Live mode through the one seam: HUD's zip (GENERATED around the real table 9, plus a decoy Table19.csv) is
    downloaded from a loopback server and landed, then table 9 is found by file name in its folder, extracted and
    landed under its content hash with a sidecar naming the zip and member."""
    from dataclasses import replace

    from sources.core.errors import SourceError
    from sources.core.files import SourceFiles
    from sources.hud_chas import table_source
    from tests.sources.loopback import stop_loopback

    real = (snapshot_dir / config.tables[9].snapshot).read_bytes()
    url, httpd, thread = _serve_zip(
        tmp_path,
        {"2018thru2022-050-csv/050/Table9.csv": real, "2018thru2022-050-csv/050/Table19.csv": b"not this one"},
    )
    landing = tmp_path / "landing"
    files = SourceFiles("live", snapshot_dir, landing)
    try:
        live = replace(config, live_url=url)
        landed = files.get_one(table_source(live, 9))
        again = files.get_one(table_source(live, 9))
        with pytest.raises(SourceError, match=r"no member named Table8.csv; the zip holds: .*Table9.csv"):
            files.get_one(table_source(live, 8))
    finally:
        stop_loopback(httpd, thread)
    sha = _manifest_sha256(snapshot_dir, "hud_chas/2018thru2022/050/Table9.csv")
    assert landed.path == landing / "hud_chas" / f"Table9.{sha[:16]}.csv"
    assert (
        landed.path.read_bytes() == real and landed.sha256 == sha and landed.shown == f"hud_chas/Table9.{sha[:16]}.csv"
    )
    meta = json.loads(landed.path.with_name(landed.path.name + ".meta.json").read_text())
    assert (meta["member"], meta["sha256"], meta["bytes"]) == ("2018thru2022-050-csv/050/Table9.csv", sha, len(real))
    assert meta["zip"].startswith("hud_chas/2018thru2022-050-csv.") and meta["zip"].endswith(".zip")
    assert again == landed  # same bytes, same name: nothing rewritten
    assert len(list((landing / "hud_chas").glob("2018thru2022-050-csv.*.zip"))) == 1


def test_live_zip_with_two_candidates_is_an_error(tmp_path: Path, snapshot_dir: Path) -> None:
    from sources.core.errors import SourceError
    from sources.core.files import SourceFile, SourceFiles, ZipMember
    from tests.sources.loopback import stop_loopback

    url, httpd, thread = _serve_zip(tmp_path, {"a/Table9.csv": b"x", "b/table9.csv": b"y"})  # generated
    try:
        spec = ZipMember(url, "hud_chas/generated.zip", "Table9.csv", "hud_chas/Table9.csv")
        with pytest.raises(SourceError, match="2 members"):
            SourceFiles("live", snapshot_dir, tmp_path / "landing").get(SourceFile("table 9", "unused", spec))
    finally:
        stop_loopback(httpd, thread)
