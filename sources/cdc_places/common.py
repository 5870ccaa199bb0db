"""CDC PLACES: what both formats share: the output columns, the error type, cell checks and the row builder."""

from __future__ import annotations

import re
from typing import Any

import polars as pl

from sources.core.errors import SourceError
from sources.core.patterns import COUNTY_FIPS_LOOSE, UNSIGNED_DECIMAL

DATASET = "cdc_places"
GEO_LEVEL = "county"

COLUMNS: dict[str, pl.DataType] = {
    "vintage_year": pl.String(),
    "vintage": pl.String(),
    "dataset": pl.String(),
    "release": pl.String(),
    "variable": pl.String(),
    "geo_level": pl.String(),
    "geoid": pl.String(),
    "geo_name": pl.String(),
    "estimate": pl.Float64(),
    "ci_low_95": pl.Float64(),
    "ci_high_95": pl.Float64(),
    "total_population": pl.Int64(),
    "annotation": pl.String(),
    "source_file": pl.String(),
    "source_sha256": pl.String(),
}

# BRFSS year behind each measure of a GIS-friendly file, by release ("*" = every other measure). The 2022 release
# "uses 2020 BRFSS data for 25 measures and 2019 BRFSS data for 4 measures (high blood pressure, taking high blood
# pressure medication, high cholesterol, and cholesterol screening)" (CDC's description of the 2022 county dataset
# on catalog.data.gov; CDC counts COREM and COREW as one measure, so the file has 30 measure prefixes). The 21 New
# Jersey counties are blank for exactly those four: New Jersey's 2019 BRFSS missed the minimum for inclusion.
GIS_DATA_YEARS: dict[str, dict[str, str]] = {
    "2022": {"*": "2020", "BPHIGH": "2019", "BPMED": "2019", "CHOLSCREEN": "2019", "HIGHCHOL": "2019"},
}
GIS_ID_COLUMNS = ("StateAbbr", "StateDesc", "CountyName", "CountyFIPS", "TotalPopulation")
GIS_OPTIONAL_COLUMNS = ("Geolocation",)
GIS_KINDS = (("CrudePrev", "Crude95CI", "crude"), ("AdjPrev", "Adj95CI", "age_adjusted"))
GIS_BLANK = "blank in CDC's GIS-friendly file: no estimate published for this county and measure"

VALUE_TYPES = {"CrdPrv": "crude", "AgeAdjPrv": "age_adjusted"}

# Fields of the long format, by their CSV names (matched case-insensitively, so Socrata's keys match too).
LONG_REQUIRED = ("Year", "LocationID", "MeasureId", "DataValueTypeID", "TotalPopulation")

# Keys ``read_landed_pages`` adds to each record so the parser can name the landed page (not Socrata fields: those
# never start with "@").
LANDED_FILE_KEY = "@landed_file"
LANDED_SHA256_KEY = "@landed_sha256"
LANDED_RECORD_KEY = "@landed_record"

CI_TEXT = re.compile(r"\s*\(\s*(\d+(?:\.\d+)?)\s*,\s*(\d+(?:\.\d+)?)\s*\)\s*")
_POPULATION = re.compile(r"\d+|\d{1,3}(?:,\d{3})+")
MEASURE_ID = re.compile(r"[A-Za-z0-9_]+")


class PlacesError(SourceError):
    """A PLACES file or record breaks its contract; the message names file/source, record, field and value."""


class Rows:
    """Column lists for the output frame; duplicates (same county and variable) are an error."""

    def __init__(self) -> None:
        self.columns: dict[str, list[Any]] = {
            name: [] for name in COLUMNS if name not in ("vintage", "dataset", "release", "geo_level")
        }
        self.keys: dict[tuple[str, str], str] = {}

    def add(self, **row: Any) -> None:
        key = (row["geoid"], row["variable"])
        if key in self.keys:
            raise PlacesError(
                f"{row['source_file']}: county {key[0]} variable {key[1]} appears twice "
                f"(BRFSS years {self.keys[key]} and {row['vintage_year']})"
            )
        self.keys[key] = row["vintage_year"]
        for name, values in self.columns.items():
            values.append(row[name])

    def frame(self, source: str, release: str) -> pl.DataFrame:
        if not self.keys:
            raise PlacesError(f"{source}: no records")
        frame = pl.DataFrame(self.columns, schema={name: COLUMNS[name] for name in self.columns})
        return frame.with_columns(
            pl.col("vintage_year").alias("vintage"),
            pl.lit(DATASET).alias("dataset"),
            pl.lit(release).alias("release"),
            pl.lit(GEO_LEVEL).alias("geo_level"),
        ).select(list(COLUMNS))


def parse_fips(where: str, field: str, raw: str) -> str:
    if not COUNTY_FIPS_LOOSE.fullmatch(raw):
        raise PlacesError(f"{where} field {field} has value {raw!r}, which is not a 4-5 digit county FIPS")
    return raw.zfill(5)


def parse_population(where: str, field: str, raw: str) -> int:
    text = raw.strip()
    if not _POPULATION.fullmatch(text):
        raise PlacesError(f"{where} field {field} has value {raw!r}")
    return int(text.replace(",", ""))


def parse_percent(where: str, field: str, raw: str) -> float:
    text = raw.strip()
    if not UNSIGNED_DECIMAL.fullmatch(text):
        raise PlacesError(f"{where} field {field} has value {raw!r}")
    value = float(text)
    if value > 100.0:
        raise PlacesError(f"{where} field {field} has value {raw!r}, over 100 percent")
    return value


def check_bracket(where: str, field: str, estimate: float, low: float, high: float, raw: tuple[str, ...]) -> None:
    if not low <= estimate <= high:
        raise PlacesError(
            f"{where} field {field} has value ({low}, {high}), which does not bracket the estimate {estimate} "
            f"(cells {', '.join(repr(r) for r in raw)})"
        )


def county_name(name: str, state: str, geoid: str) -> str:
    """``King County, Washington`` from CDC's bare county name, in the Census Bureau's style where it is certain.

    Louisiana has parishes; county codes 510 and up are independent cities (Virginia, Baltimore, St. Louis, Carson
    City); Alaska's boroughs, census areas and municipalities cannot be told apart from the name, and neither can
    a name that already says what it is, so those are kept as given. One name in CDC's 2022 file is UTF-8 read as
    Latin-1 and written again (``DoÃ±a Ana``); it is repaired when reversing that gives valid UTF-8.
    """
    name = repair_double_utf8(name)
    state = repair_double_utf8(state)
    known = (" County", " Parish", " Borough", " Census Area", " Municipality", " city")
    if geoid.startswith(("02", "11")) or name.endswith(known):
        return f"{name}, {state}"
    if geoid.startswith("22"):
        return f"{name} Parish, {state}"
    if int(geoid[2:]) >= 510:  # "Baltimore City" as given, "Colonial Heights" -> "Colonial Heights city"
        return f"{name}, {state}" if name.endswith(" City") else f"{name} city, {state}"
    return f"{name} County, {state}"  # Virginia's "Charles City" and "James City" are counties


def repair_double_utf8(text: str) -> str:
    if "Ã" not in text and "Â" not in text:
        return text
    try:
        return text.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text
