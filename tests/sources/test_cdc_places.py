"""CDC PLACES (sources/cdc_places.py): real values read as published, bad cells named, live paging end to end.

The real files are read in place from the snapshot. Bad input is generated in ``tmp_path`` from the real files by
changing one cell (or dropping one column). The live test runs ``fetch_socrata`` against a stdlib HTTP server on
127.0.0.1 (never the internet) that serves the snapshot's 2023 California rows as Socrata JSON.
"""

from __future__ import annotations

import csv
import json
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import polars as pl
import pytest

from sources.cdc_places import (
    COLUMNS,
    GIS_BLANK,
    PlacesError,
    fetch_socrata,
    parse_places_gis,
    parse_places_long,
    read_landed_pages,
)
from sources.core.errors import FetchError as DownloadError
from sources.core.http import LandingSession, RetrySettings
from tests.sources.loopback import start_loopback, stop_loopback

GIS_2022 = "cdc_places/2022/PLACES__County_Data__GIS_Friendly_Format___2022_release.csv"
LONG_2023_CA = "cdc_places/2023/PLACES__Local_Data_for_Better_Health__County_Data_2023_release_CA.csv"
KING_LINE = 1558  # King County, WA (53033) is on line 1,558 of the 2022 GIS file
TOKEN = "app-token-SECRET-7f3a"
DATASET_ID = "h3ej-a9ec"
WHERE = "stateabbr='CA'"
FAST = {"backoff_factor": 0.001, "backoff_jitter": 0.0, "backoff_max": 0.05}


def socrata_pages(
    base_url: str,
    dataset_id: str,
    landing: Path,
    *,
    where: str | None = None,
    app_token: str | None = None,
    page_size: int = 50000,
    **retry: float,
):
    """Live paging as the pipeline does it: fetch_socrata on a landing session carrying the app token as a header."""
    secret_headers = {"X-App-Token": app_token} if app_token else None
    with LandingSession(landing, RetrySettings(**retry), secret_headers=secret_headers) as session:  # type: ignore[arg-type]
        return fetch_socrata(session, base_url, dataset_id, where=where, page_size=page_size)


def read_long_csv(path: Path, release: str = "2023") -> pl.DataFrame:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return parse_places_long(csv.DictReader(handle), str(path), release)


def raw_rows(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8-sig") as handle:
        return list(csv.reader(handle))


def write_rows(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    return path


def one(frame: pl.DataFrame, geoid: str, variable: str) -> dict:
    return frame.filter((pl.col("geoid") == geoid) & (pl.col("variable") == variable)).row(0, named=True)


@pytest.fixture(scope="module")
def gis_2022(snapshot_dir: Path) -> pl.DataFrame:
    return parse_places_gis(snapshot_dir / GIS_2022, "2022")


@pytest.fixture(scope="module")
def long_2023(snapshot_dir: Path) -> pl.DataFrame:
    return read_long_csv(snapshot_dir / LONG_2023_CA)


# --- real values --------------------------------------------------------------------------------------------------


def test_king_county_diabetes_2022_equals_the_raw_cells(snapshot_dir: Path, gis_2022: pl.DataFrame) -> None:
    rows = raw_rows(snapshot_dir / GIS_2022)
    header, king = rows[0], rows[KING_LINE - 1]
    cells = dict(zip(header, king, strict=True))
    assert cells["CountyFIPS"] == "53033" and cells["CountyName"] == "King"
    # Raw cells on that line: DIABETES_CrudePrev 7.1, DIABETES_Crude95CI "( 6.6,  7.5)",
    #                         DIABETES_AdjPrev 7.0,   DIABETES_Adj95CI "( 6.5,  7.4)"; TotalPopulation 2274315.
    assert (cells["DIABETES_CrudePrev"], cells["DIABETES_Crude95CI"]) == ("7.1", "( 6.6,  7.5)")
    assert (cells["DIABETES_AdjPrev"], cells["DIABETES_Adj95CI"]) == ("7.0", "( 6.5,  7.4)")

    crude = one(gis_2022, "53033", "diabetes_crude")
    adjusted = one(gis_2022, "53033", "diabetes_age_adjusted")
    assert (crude["estimate"], crude["ci_low_95"], crude["ci_high_95"]) == (7.1, 6.6, 7.5)
    assert (adjusted["estimate"], adjusted["ci_low_95"], adjusted["ci_high_95"]) == (7.0, 6.5, 7.4)  # PROVENANCE: 7.0
    assert adjusted["estimate"] == float(cells["DIABETES_AdjPrev"])
    assert crude["estimate"] == float(cells["DIABETES_CrudePrev"])
    assert adjusted == {
        "vintage_year": "2020",
        "vintage": "2020",
        "dataset": "cdc_places",
        "release": "2022",
        "variable": "diabetes_age_adjusted",
        "geo_level": "county",
        "geoid": "53033",
        "geo_name": "King County, Washington",
        "estimate": 7.0,
        "ci_low_95": 6.5,
        "ci_high_95": 7.4,
        "total_population": int(cells["TotalPopulation"]),
        "annotation": None,
        "source_file": str(snapshot_dir / GIS_2022),
        "source_sha256": adjusted["source_sha256"],
    }
    assert len(adjusted["source_sha256"]) == 64


def test_2022_gis_frame_shape_years_blanks_and_names(gis_2022: pl.DataFrame) -> None:
    assert gis_2022.columns == list(COLUMNS)
    assert dict(gis_2022.schema) == COLUMNS
    assert gis_2022["geoid"].n_unique() == 3143
    measures = sorted({v.removesuffix("_age_adjusted").removesuffix("_crude") for v in gis_2022["variable"]})
    assert len(measures) == 30  # CDC's "29 measures" count COREM and COREW as one
    assert gis_2022.height == 3143 * 30 * 2
    # 2022 release: BRFSS 2020, except four measures asked only in odd years (2019)
    odd_year = {"bphigh", "bpmed", "cholscreen", "highchol"}
    years = gis_2022.with_columns(pl.col("variable").str.replace(r"_(crude|age_adjusted)$", "").alias("measure"))
    assert set(years.filter(pl.col("vintage_year") == "2019")["measure"].unique()) == odd_year
    assert (years["vintage_year"] == years["vintage"]).all()
    # blank cells (21 New Jersey counties and Alaska's 02063, 02066 for the four 2019 measures): nulls with a reason
    blank = gis_2022.filter(pl.col("estimate").is_null())
    assert blank.height == 23 * 4 * 2
    assert set(blank["annotation"]) == {GIS_BLANK}
    assert blank["ci_low_95"].is_null().all() and blank["ci_high_95"].is_null().all()
    assert gis_2022.filter(pl.col("estimate").is_not_null())["annotation"].is_null().all()
    names = dict(gis_2022.filter(pl.col("variable") == "diabetes_crude").select("geoid", "geo_name").iter_rows())
    assert names["05145"] == "White County, Arkansas"
    assert names["22089"] == "St. Charles Parish, Louisiana"
    assert names["51570"] == "Colonial Heights city, Virginia"
    assert names["51036"] == "Charles City County, Virginia"
    assert names["24510"] == "Baltimore City, Maryland"
    assert names["02020"] == "Anchorage, Alaska"
    assert names["35013"] == "Doña Ana County, New Mexico"  # the file has "DoÃ±a Ana" (UTF-8 decoded twice)


def test_los_angeles_diabetes_2023_equals_the_raw_cells(long_2023: pl.DataFrame) -> None:
    # 2021,CA,California,Los Angeles,...,Age-adjusted prevalence,11.7,,,10.4,13.2,9829544,06037,...,DIABETES,AgeAdjPrv
    adjusted = one(long_2023, "06037", "diabetes_age_adjusted")
    assert (adjusted["estimate"], adjusted["ci_low_95"], adjusted["ci_high_95"]) == (11.7, 10.4, 13.2)
    assert (adjusted["vintage_year"], adjusted["vintage"], adjusted["release"]) == ("2021", "2021", "2023")
    assert adjusted["geo_name"] == "Los Angeles County, California"
    assert adjusted["total_population"] == 9829544
    # ...,Crude prevalence,12.5,,,11.1,14.0,9829544,06037,...,DIABETES,CrdPrv
    crude = one(long_2023, "06037", "diabetes_crude")
    assert (crude["estimate"], crude["ci_low_95"], crude["ci_high_95"]) == (12.5, 11.1, 14.0)
    # COREM's Year is 2020 in the same release (asked in even years)
    assert one(long_2023, "06067", "corem_age_adjusted")["vintage_year"] == "2020"


def test_2023_ca_frame_shape(long_2023: pl.DataFrame) -> None:
    assert long_2023.columns == list(COLUMNS)
    assert dict(long_2023.schema) == COLUMNS
    assert long_2023["geoid"].n_unique() == 58
    assert long_2023["geoid"].str.starts_with("06").all()
    assert long_2023.height == 58 * 37 * 2


def test_the_2023_release_repeats_the_2022_brfss_2020_estimates_of_eight_measures(
    gis_2022: pl.DataFrame, long_2023: pl.DataFrame
) -> None:
    """The BRFSS year both releases publish for California (2020) holds eight even-year measures, with the same
    estimates and limits in both files (only CDC's county population differs), so staging keeping the later
    release's row (stg_cdc_places__estimates) loses nothing."""
    key = ["vintage_year", "geoid", "variable"]
    both = gis_2022.join(long_2023, on=key, suffix="_2023")
    measures = {v.removesuffix("_age_adjusted").removesuffix("_crude") for v in both["variable"]}
    assert measures == {"cervical", "colon_screen", "corem", "corew", "dental", "mammouse", "sleep", "teethlost"}
    assert set(both["vintage_year"]) == {"2020"} and both.height == 58 * 8 * 2
    for column in ("estimate", "ci_low_95", "ci_high_95"):
        assert (both[column] == both[f"{column}_2023"]).all(), column
    assert long_2023["estimate"].is_not_null().all() and long_2023["annotation"].is_null().all()
    assert set(long_2023["vintage_year"]) == {"2020", "2021"}


# --- generated bad input: GIS file --------------------------------------------------------------------------------


def gis_with(snapshot_dir: Path, tmp_path: Path, change: Callable[[list[list[str]]], None]) -> Path:
    """Generated: the real 2022 GIS file with one change, written to tmp_path."""
    rows = raw_rows(snapshot_dir / GIS_2022)
    change(rows)
    return write_rows(tmp_path / "PLACES_GIS_2022_generated.csv", rows)


def set_cell(rows: list[list[str]], line: int, column: str, value: str) -> None:
    rows[line - 1][rows[0].index(column)] = value


@pytest.mark.parametrize("bad_ci", ["(6.6 7.5)", "6.6-7.5", "( 6.6,  )", "[6.6, 7.5]"])
def test_gis_ci_text_that_does_not_parse_is_named(snapshot_dir: Path, tmp_path: Path, bad_ci: str) -> None:
    path = gis_with(snapshot_dir, tmp_path, lambda rows: set_cell(rows, KING_LINE, "DIABETES_Crude95CI", bad_ci))
    with pytest.raises(PlacesError) as caught:
        parse_places_gis(path, "2022")
    assert str(caught.value).startswith(
        f"{path}: line {KING_LINE} (county 53033) field DIABETES_Crude95CI has value {bad_ci!r}"
    )


def test_gis_non_numeric_value_is_named(snapshot_dir: Path, tmp_path: Path) -> None:
    path = gis_with(snapshot_dir, tmp_path, lambda rows: set_cell(rows, KING_LINE, "DIABETES_AdjPrev", "7.0%"))
    with pytest.raises(PlacesError, match=r"line 1558 \(county 53033\) field DIABETES_AdjPrev has value '7\.0%'"):
        parse_places_gis(path, "2022")


def test_gis_missing_column_is_named(snapshot_dir: Path, tmp_path: Path) -> None:
    def drop(rows: list[list[str]]) -> None:
        at = rows[0].index("DIABETES_Adj95CI")
        for row in rows:
            del row[at]

    path = gis_with(snapshot_dir, tmp_path, drop)
    with pytest.raises(PlacesError, match=r"line 1 \(header\) field DIABETES_Adj95CI is missing"):
        parse_places_gis(path, "2022")


@pytest.mark.parametrize("bad_fips", ["530330", "53O33", "533", ""])
def test_gis_bad_fips_is_named(snapshot_dir: Path, tmp_path: Path, bad_fips: str) -> None:
    path = gis_with(snapshot_dir, tmp_path, lambda rows: set_cell(rows, KING_LINE, "CountyFIPS", bad_fips))
    with pytest.raises(PlacesError) as caught:
        parse_places_gis(path, "2022")
    assert f"line {KING_LINE} (county {bad_fips}) field CountyFIPS has value {bad_fips!r}" in str(caught.value)


def test_gis_four_digit_fips_is_zero_padded(snapshot_dir: Path, tmp_path: Path) -> None:
    # generated: White County, AR written as 5145, the way spreadsheets drop the leading zero
    path = gis_with(snapshot_dir, tmp_path, lambda rows: set_cell(rows, 404, "CountyFIPS", "5145"))
    frame = parse_places_gis(path, "2022")
    assert one(frame, "05145", "diabetes_crude")["geo_name"] == "White County, Arkansas"


def test_gis_limits_that_do_not_bracket_the_estimate_are_named(snapshot_dir: Path, tmp_path: Path) -> None:
    path = gis_with(snapshot_dir, tmp_path, lambda rows: set_cell(rows, KING_LINE, "DIABETES_CrudePrev", "7.9"))
    with pytest.raises(
        PlacesError,
        match=r"line 1558 \(county 53033\) field DIABETES_CrudePrev/DIABETES_Crude95CI has value \(6\.6, 7\.5\), "
        r"which does not bracket the estimate 7\.9",
    ):
        parse_places_gis(path, "2022")


def test_gis_value_without_its_interval_is_named(snapshot_dir: Path, tmp_path: Path) -> None:
    path = gis_with(snapshot_dir, tmp_path, lambda rows: set_cell(rows, KING_LINE, "DIABETES_Crude95CI", ""))
    with pytest.raises(
        PlacesError, match=r"line 1558 \(county 53033\) field DIABETES_Crude95CI has value '' but DIABETES_CrudePrev"
    ):
        parse_places_gis(path, "2022")


def test_gis_release_without_known_data_years_is_refused(snapshot_dir: Path) -> None:
    with pytest.raises(ValueError, match=r"no BRFSS data years are recorded for PLACES release '2031'"):
        parse_places_gis(snapshot_dir / GIS_2022, "2031")


# --- generated bad input: long format ------------------------------------------------------------------------------


def long_with(snapshot_dir: Path, tmp_path: Path, change: Callable[[list[list[str]]], None]) -> tuple[Path, int]:
    """Generated: the real 2023 CA long file with one change; returns it and the line of LA's diabetes row."""
    rows = raw_rows(snapshot_dir / LONG_2023_CA)
    line = la_line(rows)
    change(rows)
    return write_rows(tmp_path / "PLACES_long_2023_CA_generated.csv", rows), line


def la_line(rows: list[list[str]]) -> int:
    """The line of Los Angeles (06037) diabetes, age-adjusted, in the long file's rows (line 1 is the header)."""
    header = rows[0]
    columns = [header.index(name) for name in ("LocationID", "MeasureId", "DataValueTypeID")]
    return 1 + next(
        n for n, row in enumerate(rows[1:], start=1) if [row[i] for i in columns] == ["06037", "DIABETES", "AgeAdjPrv"]
    )


def set_long(rows: list[list[str]], line: int, column: str, value: str) -> None:
    rows[line - 1][rows[0].index(column)] = value


def test_long_non_numeric_value_is_named(snapshot_dir: Path, tmp_path: Path) -> None:
    path, line = long_with(snapshot_dir, tmp_path, lambda rows: set_long(rows, la_line(rows), "Data_Value", "11.7 %"))
    with pytest.raises(PlacesError) as caught:
        read_long_csv(path)
    assert str(caught.value) == f"{path}: line {line} (county 06037) field Data_Value has value '11.7 %'"


def test_long_missing_column_is_named(snapshot_dir: Path, tmp_path: Path) -> None:
    def drop(rows: list[list[str]]) -> None:
        at = rows[0].index("Data_Value")
        for row in rows:
            del row[at]

    path, _ = long_with(snapshot_dir, tmp_path, drop)
    # line 2 is Calaveras (06009), the file's first record
    with pytest.raises(PlacesError, match=r"line 2 \(county 06009\) field Data_Value is missing"):
        read_long_csv(path)


@pytest.mark.parametrize("bad_fips", ["060370", "6O37", "637"])
def test_long_bad_fips_is_named(snapshot_dir: Path, tmp_path: Path, bad_fips: str) -> None:
    path, line = long_with(snapshot_dir, tmp_path, lambda rows: set_long(rows, la_line(rows), "LocationID", bad_fips))
    with pytest.raises(PlacesError) as caught:
        read_long_csv(path)
    assert f"line {line} (county {bad_fips}) field LocationID has value {bad_fips!r}" in str(caught.value)


def test_long_unknown_value_type_and_bad_limits_are_named(snapshot_dir: Path, tmp_path: Path) -> None:
    path, line = long_with(
        snapshot_dir, tmp_path, lambda rows: set_long(rows, la_line(rows), "DataValueTypeID", "AgeAdjMean")
    )
    with pytest.raises(
        PlacesError, match=rf"line {line} \(county 06037\) field DataValueTypeID has value 'AgeAdjMean'"
    ):
        read_long_csv(path)
    path, line = long_with(
        snapshot_dir, tmp_path, lambda rows: set_long(rows, la_line(rows), "High_Confidence_Limit", "11.0")
    )
    with pytest.raises(
        PlacesError, match=rf"line {line} \(county 06037\) field Low_Confidence_Limit/High_Confidence_Limit"
    ):
        read_long_csv(path)


def test_long_footnote_without_value_is_a_null_with_the_reason(snapshot_dir: Path, tmp_path: Path) -> None:
    footnote = "Estimates suppressed for population less than 50"  # generated footnote text

    def blank(rows: list[list[str]]) -> None:
        line = la_line(rows)
        for column in ("Data_Value", "Low_Confidence_Limit", "High_Confidence_Limit"):
            set_long(rows, line, column, "")
        set_long(rows, line, "Data_Value_Footnote_Symbol", "*")
        set_long(rows, line, "Data_Value_Footnote", footnote)

    path, _ = long_with(snapshot_dir, tmp_path, blank)
    row = one(read_long_csv(path), "06037", "diabetes_age_adjusted")
    assert (row["estimate"], row["ci_low_95"], row["ci_high_95"]) == (None, None, None)
    assert row["annotation"] == f"*: {footnote}"

    def blank_without_reason(rows: list[list[str]]) -> None:
        set_long(rows, la_line(rows), "Data_Value", "")

    path, line = long_with(snapshot_dir, tmp_path, blank_without_reason)
    with pytest.raises(
        PlacesError,
        match=rf"line {line} \(county 06037\) field Data_Value has value '' and Data_Value_Footnote gives no reason",
    ):
        read_long_csv(path)


def test_long_socrata_keys_match_case_insensitively_and_absent_nulls(snapshot_dir: Path) -> None:
    # generated records in Socrata's JSON shape: lower-case keys, null fields left out, a 4-digit location id
    base = {
        "year": "2021",
        "statedesc": "California",
        "locationname": "Alameda",
        "data_value_unit": "%",
        "totalpopulation": "1648556",
        "locationid": "6001",
        "measureid": "DIABETES",
    }
    records = [
        {**base, "datavaluetypeid": "CrdPrv", "data_value": "10.1", "low_confidence_limit": "8.6",
         "high_confidence_limit": "11.8"},
        {**base, "datavaluetypeid": "AgeAdjPrv", "data_value_footnote": "Data not available"},
    ]  # fmt: skip
    frame = parse_places_long(records, "generated-records", "2023")
    crude = one(frame, "06001", "diabetes_crude")
    assert (crude["estimate"], crude["ci_low_95"], crude["ci_high_95"]) == (10.1, 8.6, 11.8)
    assert crude["geo_name"] == "Alameda County, California" and crude["source_file"] == "generated-records"
    assert one(frame, "06001", "diabetes_age_adjusted")["annotation"] == "Data not available"
    with pytest.raises(PlacesError, match=r"generated-records: record 1 \(county 6001\) field MeasureId is missing"):
        parse_places_long([{k: v for k, v in records[0].items() if k != "measureid"}], "generated-records", "2023")


# --- live: Socrata paging against a loopback server ---------------------------------------------------------------


class SocrataReplay:
    """Serves rows as Socrata JSON pages honouring $limit/$offset; needs the token; answers 503 once at offset 2000."""

    def __init__(self, rows: list[dict], token: str) -> None:
        self.rows = rows
        self.token = token
        self.requests: list[dict[str, str]] = []
        self.failed_once = False
        self.lock = threading.Lock()

    def answer(self, target: str, headers: dict[str, str]) -> tuple[int, bytes]:
        parts = urlsplit(target)
        query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        with self.lock:
            self.requests.append(query)
            if parts.path != f"/resource/{DATASET_ID}.json":
                return 404, b'{"error": true, "message": "not found"}'
            if headers.get("X-App-Token") != self.token:
                given = headers.get("X-App-Token")
                return 403, json.dumps({"error": True, "message": f"invalid app token {given}"}).encode()
            if query.get("$order") != ":id" or query.get("$where") != WHERE:
                return 400, b'{"error": true, "message": "expected $order=:id and the $where"}'
            limit, offset = int(query["$limit"]), int(query["$offset"])
            if offset == 2000 and not self.failed_once:
                self.failed_once = True
                return 503, b"<html><body>503 Service Unavailable</body></html>"
            return 200, json.dumps(self.rows[offset : offset + limit]).encode()

    def __enter__(self) -> SocrataReplay:
        replay = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                status, body = replay.answer(self.path, dict(self.headers))
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd, self.thread = start_loopback(Handler, "socrata-replay")
        self.base_url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        return self

    def __exit__(self, *exc: object) -> None:
        stop_loopback(self.httpd, self.thread)


def socrata_rows(csv_path: Path) -> list[dict]:
    """Generated from the snapshot: each CSV row as Socrata writes it (lower-case keys, empty fields left out)."""
    out = []
    with csv_path.open(newline="", encoding="utf-8-sig") as handle:
        for row in csv.DictReader(handle):
            record = {k.lower(): v for k, v in row.items() if v != "" and k != "Geolocation"}
            lon, lat = row["Geolocation"].removeprefix("POINT (").removesuffix(")").split()
            record["geolocation"] = {"type": "Point", "coordinates": [float(lon), float(lat)]}
            out.append(record)
    return out


def test_live_pages_land_then_parse_like_the_csv(snapshot_dir: Path, tmp_path: Path, long_2023: pl.DataFrame) -> None:
    landing = tmp_path / "raw"
    with SocrataReplay(socrata_rows(snapshot_dir / LONG_2023_CA), TOKEN) as server:
        pages = socrata_pages(
            server.base_url, DATASET_ID, landing, where=WHERE, app_token=TOKEN, page_size=1000, max_retries=3, **FAST
        )

    # 4,292 rows: four full pages and one of 292; offset 2000 was asked twice (503, then 200)
    assert [q["$offset"] for q in server.requests] == ["0", "1000", "2000", "2000", "3000", "4000"]
    assert all(q["$limit"] == "1000" and q["$order"] == ":id" and q["$where"] == WHERE for q in server.requests)
    assert len(pages) == 5
    folder = landing / "cdc_places" / DATASET_ID
    data = sorted(p for p in folder.iterdir() if p.name.endswith(".json") and not p.name.endswith(".meta.json"))
    assert data == sorted(p.path for p in pages)
    assert [p.path.name.split(".")[0] for p in pages] == [f"page_{n * 1000:09d}" for n in range(5)]
    assert all(p.sha256[:16] in p.path.name for p in pages)
    assert len(list(folder.glob("*.http503"))) == 1  # the failed body was landed too
    for path in landing.rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path  # not in any .meta.json, nor any body
    for page in pages:
        meta = json.loads(page.path.with_name(page.path.name + ".meta.json").read_text())
        assert meta["sha256"] == page.sha256 and meta["status"] == 200 and "X-App-Token" not in json.dumps(meta)

    live = parse_places_live(pages)
    assert live.height == long_2023.height == 4292
    provenance = ["source_file", "source_sha256"]
    key = ["geoid", "variable"]
    assert live.drop(provenance).sort(key).equals(long_2023.drop(provenance).sort(key))
    assert set(live["source_file"]) == {str(p.path) for p in pages}
    assert set(live["source_sha256"]) == {p.sha256 for p in pages}


def parse_places_live(pages: list) -> pl.DataFrame:
    return parse_places_long(read_landed_pages(pages), "socrata", "2023")


def test_live_rejected_token_never_reaches_the_error(snapshot_dir: Path, tmp_path: Path) -> None:
    wrong = "wrong-token-SECRET-0000"
    with (
        SocrataReplay(socrata_rows(snapshot_dir / LONG_2023_CA)[:10], TOKEN) as server,
        pytest.raises(DownloadError) as caught,
    ):
        socrata_pages(server.base_url, DATASET_ID, tmp_path / "raw", where=WHERE, app_token=wrong, **FAST)
    message = str(caught.value)
    assert "HTTP 403" in message and "invalid app token" in message  # the server echoed the token it was sent
    assert wrong not in message


def test_landed_page_that_changed_on_disk_is_refused(snapshot_dir: Path, tmp_path: Path) -> None:
    with SocrataReplay(socrata_rows(snapshot_dir / LONG_2023_CA)[:10], TOKEN) as server:
        [page] = socrata_pages(server.base_url, DATASET_ID, tmp_path / "raw", where=WHERE, app_token=TOKEN, **FAST)
    page.path.write_text("[]")  # generated tampering
    with pytest.raises(PlacesError, match=rf"{page.path.name}: sha256 is [0-9a-f]{{64}}, but the page was landed with"):
        read_landed_pages([page])
