"""CDC PLACES: model-based county prevalence estimates (percent of adults) with 95% confidence intervals.

Why a module of its own: CDC publishes the same county estimates in two shapes, and the pipeline needs one.
- The GIS-friendly CSV is wide: per county, ``<MEASURE>_CrudePrev``, ``<MEASURE>_Crude95CI``, ``<MEASURE>_AdjPrev``
  and ``<MEASURE>_Adj95CI``, with each interval as padded text such as ``"( 6.6,  7.5)"``. It has no year and no
  footnote column.
- The long format (the "County Data" CSV export, and the same dataset through the Socrata API at data.cdc.gov, whose
  JSON keys are the CSV's column names lower-cased) has one row per county x measure x crude/age-adjusted, with
  numeric confidence limits, the BRFSS ``Year`` and a footnote that explains a missing value.
Both are read into one long frame with the columns in ``COLUMNS`` (one row per county x variable), so a PLACES
indicator looks the same whichever file or API it came from.

Strictness, as in ``sources/wa_doh_life_expectancy.py``: an interval that is not ``(low, high)``, a value that is not
a number, a missing column or field, a county FIPS that is not 4-5 digits, limits that do not bracket the estimate,
or a county/variable that appears twice is a ``PlacesError`` naming the file or source, the record (line number and
county FIPS), the field and the value. A missing value is never guessed: in the long format it must come with a
footnote, which becomes the row's ``annotation``; in the GIS file (no footnotes) a blank value with a blank
interval is a null with ``GIS_BLANK``.

Data years: one PLACES release mixes BRFSS years. ``vintage`` (and ``period``) is the BRFSS year of each estimate,
not the release: the long format states it per row (``Year``); for the GIS file it comes from ``GIS_DATA_YEARS``.

Live mode (``fetch_socrata``) pages through the Socrata dataset and lands every page, by content hash, with the
rules of ``sources/http_download.py`` (which it reuses), before anything parses it. An app token travels only in the
``X-App-Token`` header: never in a URL, landed metadata, an error or a log.

No Dagster import: the assets call this module.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import polars as pl
import requests

from sources.http_download import REDACTED, DownloadError, LandedFile, download_to_landing

DATASET = "cdc_places"
GEO_LEVEL = "county"

COLUMNS: dict[str, pl.DataType] = {
    "vintage": pl.String(),
    "period": pl.String(),
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

TOKEN_HEADER = "X-App-Token"
_DATASET_ID = re.compile(r"[a-z0-9]{4}-[a-z0-9]{4}")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_CI = re.compile(r"\s*\(\s*(\d+(?:\.\d+)?)\s*,\s*(\d+(?:\.\d+)?)\s*\)\s*")
_POPULATION = re.compile(r"\d+|\d{1,3}(?:,\d{3})+")
_FIPS = re.compile(r"\d{4,5}")
_YEAR = re.compile(r"\d{4}")
_MEASURE = re.compile(r"[A-Za-z0-9_]+")


class PlacesError(ValueError):
    """A PLACES file or record breaks its contract; the message names file/source, record, field and value."""


# --- the GIS-friendly (wide) county CSV -----------------------------------------------------------------------------


def parse_places_gis(path: Path, release: str, *, data_years: Mapping[str, str] | None = None) -> pl.DataFrame:
    """One row per county x measure x crude/age-adjusted from CDC's GIS-friendly county CSV; columns ``COLUMNS``.

    ``data_years`` maps a measure id (``DIABETES``) to its BRFSS year, ``"*"`` for all others; by default it is
    ``GIS_DATA_YEARS[release]``. ``geoid`` is the 5-digit county FIPS (a dropped leading zero is restored).
    """
    years = dict(data_years) if data_years is not None else GIS_DATA_YEARS.get(str(release))
    if years is None:
        raise ValueError(
            f"no BRFSS data years are recorded for PLACES release {release!r} (GIS files carry none): "
            f"pass data_years or add the release to GIS_DATA_YEARS"
        )
    body = Path(path).read_bytes()
    digest = hashlib.sha256(body).hexdigest()
    reader = csv.reader(io.StringIO(body.decode("utf-8-sig"), newline=""))
    header = next(reader, None)
    if not header:
        raise PlacesError(f"{path}: line 1 (header) is empty")
    measures = _gis_measures(path, header)
    for measure in measures:
        if measure not in years and "*" not in years:
            raise PlacesError(f"{path}: line 1 (header) field {measure}_CrudePrev: no BRFSS year for {measure}")
    index = {name: i for i, name in enumerate(header)}
    rows = _Rows()
    for fields in reader:
        line = reader.line_num
        if not fields:
            continue
        if len(fields) != len(header):
            raise PlacesError(f"{path}: line {line} has {len(fields)} fields, the header has {len(header)}")
        raw_fips = fields[index["CountyFIPS"]].strip()
        where = f"{path}: line {line} (county {raw_fips})"
        geoid = _fips(where, "CountyFIPS", raw_fips)
        population = _population(where, "TotalPopulation", fields[index["TotalPopulation"]])
        geo_name = _county_name(fields[index["CountyName"]].strip(), fields[index["StateDesc"]].strip(), geoid)
        for measure in measures:
            year = years.get(measure, years.get("*"))
            for value_suffix, ci_suffix, kind in GIS_KINDS:
                value_field, ci_field = f"{measure}_{value_suffix}", f"{measure}_{ci_suffix}"
                raw_value, raw_ci = fields[index[value_field]], fields[index[ci_field]]
                if not raw_value.strip() and not raw_ci.strip():
                    estimate = low = high = None
                    annotation = GIS_BLANK
                else:
                    if not raw_value.strip() or not raw_ci.strip():
                        blank, other = (value_field, ci_field) if not raw_value.strip() else (ci_field, value_field)
                        raise PlacesError(
                            f"{where} field {blank} has value {fields[index[blank]]!r} "
                            f"but {other} has value {fields[index[other]]!r}"
                        )
                    estimate = _percent(where, value_field, raw_value)
                    low, high = _ci_text(where, ci_field, raw_ci)
                    _check_bracket(where, f"{value_field}/{ci_field}", estimate, low, high, (raw_value, raw_ci))
                    annotation = None
                rows.add(
                    vintage=year,
                    variable=f"{measure.lower()}_{kind}",
                    geoid=geoid,
                    geo_name=geo_name,
                    estimate=estimate,
                    ci_low_95=low,
                    ci_high_95=high,
                    total_population=population,
                    annotation=annotation,
                    source_file=str(path),
                    source_sha256=digest,
                )
    return rows.frame(str(path), str(release))


def _gis_measures(path: Path, header: list[str]) -> list[str]:
    """The measure ids of a GIS header, in file order; every measure needs its four columns."""
    seen = set()
    for name in header:
        if name in seen:
            raise PlacesError(f"{path}: line 1 (header) field {name!r} appears twice")
        seen.add(name)
    for name in GIS_ID_COLUMNS:
        if name not in seen:
            raise PlacesError(f"{path}: line 1 (header) field {name!r} is missing; the header has {len(header)} fields")
    suffixes = [s for v, c, _ in GIS_KINDS for s in (v, c)]
    measures: list[str] = []
    for name in header:
        if name in GIS_ID_COLUMNS or name in GIS_OPTIONAL_COLUMNS:
            continue
        measure, _, suffix = name.rpartition("_")
        if suffix not in suffixes or not _MEASURE.fullmatch(measure):
            raise PlacesError(
                f"{path}: line 1 (header) field {name!r} is not <MEASURE>_<{'|'.join(suffixes)}> nor one of "
                f"{', '.join(GIS_ID_COLUMNS + GIS_OPTIONAL_COLUMNS)}"
            )
        if measure not in measures:
            measures.append(measure)
    for measure in measures:
        for suffix in suffixes:
            if f"{measure}_{suffix}" not in seen:
                raise PlacesError(
                    f"{path}: line 1 (header) field {measure}_{suffix} is missing "
                    f"(the header has other {measure} columns); the header has {len(header)} fields"
                )
    if not measures:
        raise PlacesError(f"{path}: line 1 (header) has no <MEASURE>_CrudePrev fields")
    return measures


def _ci_text(where: str, field: str, raw: str) -> tuple[float, float]:
    match = _CI.fullmatch(raw)
    if not match:
        raise PlacesError(f"{where} field {field} has value {raw!r}, which is not a '(low, high)' interval")
    low, high = float(match.group(1)), float(match.group(2))
    if not 0.0 <= low <= high <= 100.0:
        raise PlacesError(f"{where} field {field} has value {raw!r}: not 0 <= low <= high <= 100 percent")
    return low, high


# --- the long format: CDC's CSV export and Socrata JSON -------------------------------------------------------------


def parse_places_long(records: Iterable[Mapping[str, Any]], source: str, release: str) -> pl.DataFrame:
    """One row per record of CDC's long county format (CSV rows or Socrata JSON records); columns ``COLUMNS``.

    Keys are matched case-insensitively (``Data_Value`` or ``data_value``). A field that is absent or blank counts
    as blank (Socrata leaves null fields out of a record); ``Year``, ``LocationID``, ``MeasureId``,
    ``DataValueTypeID`` and ``TotalPopulation`` must be filled, a blank ``Data_Value`` needs a
    ``Data_Value_Footnote`` (it becomes the annotation) and a filled one needs both confidence limits.

    Records from ``read_landed_pages`` carry their landed page, so ``source_file``/``source_sha256`` name that page;
    otherwise they name ``source`` and, when ``source`` is a file (a CSV read with ``csv.DictReader``), its sha256,
    else the sha256 of the records as canonical JSON lines. Pass the ``csv.DictReader`` itself to get line numbers
    in errors.
    """
    source_path = Path(source)
    file_digest = hashlib.sha256(source_path.read_bytes()).hexdigest() if source_path.is_file() else None
    records_digest = hashlib.sha256()
    has_lines = hasattr(records, "line_num")  # a csv.DictReader: name physical lines
    rows = _Rows()
    for number, record in enumerate(records, start=1):
        fields = _lower_keys(source, number, record)
        if file_digest is None:
            records_digest.update(json.dumps(record, sort_keys=True, ensure_ascii=False, default=str).encode())
            records_digest.update(b"\n")
        origin, origin_sha = source, file_digest
        label = f"line {records.line_num}" if has_lines else f"record {number}"  # type: ignore[attr-defined]
        if LANDED_FILE_KEY.lower() in fields:
            origin = str(fields[LANDED_FILE_KEY.lower()])
            origin_sha = str(fields[LANDED_SHA256_KEY.lower()])
            label = f"record {fields[LANDED_RECORD_KEY.lower()]}"
        raw_fips = _text(fields, "LocationID", f"{origin}: {label}")
        where = f"{origin}: {label} (county {raw_fips})"
        values = {name: _text(fields, name, where) for name in LONG_REQUIRED}
        for name, raw in values.items():
            if not raw.strip():
                raise PlacesError(f"{where} {_field(fields, name, raw)}")
        geoid = _fips(where, "LocationID", values["LocationID"].strip())
        year = values["Year"].strip()
        if not _YEAR.fullmatch(year):
            raise PlacesError(f"{where} field Year has value {values['Year']!r}")
        measure = values["MeasureId"].strip()
        if not _MEASURE.fullmatch(measure):
            raise PlacesError(f"{where} field MeasureId has value {values['MeasureId']!r}")
        kind = VALUE_TYPES.get(values["DataValueTypeID"].strip())
        if kind is None:
            raise PlacesError(
                f"{where} field DataValueTypeID has value {values['DataValueTypeID']!r}; "
                f"expected one of {', '.join(VALUE_TYPES)}"
            )
        unit = _text(fields, "Data_Value_Unit", where).strip()
        if unit and unit != "%":
            raise PlacesError(f"{where} field Data_Value_Unit has value {unit!r}; expected '%'")
        population = _population(where, "TotalPopulation", values["TotalPopulation"])
        raw_value = _text(fields, "Data_Value", where)
        raw_low = _text(fields, "Low_Confidence_Limit", where)
        raw_high = _text(fields, "High_Confidence_Limit", where)
        if raw_value.strip():
            estimate = _percent(where, "Data_Value", raw_value)
            for name, raw in (("Low_Confidence_Limit", raw_low), ("High_Confidence_Limit", raw_high)):
                if not raw.strip():
                    raise PlacesError(f"{where} {_field(fields, name, raw)} beside Data_Value {raw_value!r}")
            low = _percent(where, "Low_Confidence_Limit", raw_low)
            high = _percent(where, "High_Confidence_Limit", raw_high)
            _check_bracket(
                where, "Low_Confidence_Limit/High_Confidence_Limit", estimate, low, high, (raw_value, raw_low, raw_high)
            )
            annotation = None
        else:
            footnote = _text(fields, "Data_Value_Footnote", where).strip()
            symbol = _text(fields, "Data_Value_Footnote_Symbol", where).strip()
            if not footnote:
                raise PlacesError(
                    f"{where} {_field(fields, 'Data_Value', raw_value)} and Data_Value_Footnote gives no reason"
                )
            if raw_low.strip() or raw_high.strip():
                raise PlacesError(
                    f"{where} field Low_Confidence_Limit/High_Confidence_Limit has value ({raw_low!r}, {raw_high!r}) "
                    f"but Data_Value is blank"
                )
            estimate = low = high = None
            annotation = f"{symbol}: {footnote}" if symbol else footnote
        location = _text(fields, "LocationName", where).strip()
        state = _text(fields, "StateDesc", where).strip()
        rows.add(
            vintage=year,
            variable=f"{measure.lower()}_{kind}",
            geoid=geoid,
            geo_name=_county_name(location, state, geoid) if location and state else (location or None),
            estimate=estimate,
            ci_low_95=low,
            ci_high_95=high,
            total_population=population,
            annotation=annotation,
            source_file=origin,
            source_sha256=origin_sha,
        )
    frame = rows.frame(source, str(release))
    return frame.with_columns(pl.col("source_sha256").fill_null(records_digest.hexdigest()))


def _field(fields: Mapping[str, Any], name: str, raw: str) -> str:
    """``field X has value '...'``, or ``field X is missing`` when the record has no such key."""
    return f"field {name} has value {raw!r}" if name.lower() in fields else f"field {name} is missing"


def _lower_keys(source: str, number: int, record: Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(record, Mapping):
        raise PlacesError(f"{source}: record {number} is a {type(record).__name__}, not an object")
    fields: dict[str, Any] = {}
    for key, value in record.items():
        if key is None:  # csv.DictReader puts surplus cells under None
            raise PlacesError(f"{source}: record {number} has more fields than the header ({value!r})")
        lowered = str(key).lower()
        if lowered in fields:
            raise PlacesError(f"{source}: record {number} has field {key!r} twice (keys differ only in case)")
        fields[lowered] = value
    return fields


def _text(fields: Mapping[str, Any], name: str, where: str) -> str:
    """A field's text: '' when absent or null; anything but text is an error."""
    value = fields.get(name.lower())
    if value is None:
        return ""
    if not isinstance(value, str):
        raise PlacesError(f"{where} field {name} has value {value!r}, which is not text")
    return value


# --- live mode: the Socrata API at data.cdc.gov ---------------------------------------------------------------------


def fetch_socrata(
    base_url: str,
    dataset_id: str,
    landing_dir: Path,
    *,
    where: str | None = None,
    app_token: str | None = None,
    page_size: int = 50000,
    session: requests.Session | None = None,
    max_retries: int = 4,
    backoff_factor: float = 0.5,
    backoff_jitter: float = 0.5,
    backoff_max: float = 20.0,
    timeout_seconds: float = 120.0,
) -> list[LandedFile]:
    """Page through ``{base_url}/resource/{dataset_id}.json`` and land every page; return the landed pages.

    Each GET asks for ``$limit=page_size``, ``$offset`` and ``$order=:id`` (a stable order, so pages neither skip nor
    repeat rows), plus ``$where`` if given; paging stops at the first page with fewer rows than the limit. Every
    body lands at ``landing_dir/cdc_places/<dataset_id>/page_<offset>.<sha256[:16]>.json`` with a ``.meta.json``
    sidecar (``download_to_landing``: retries of 429/5xx, connection errors and cut-off bodies with backoff and
    jitter, Retry-After capped at ``backoff_max``, failed bodies landed as ``.http<status>``) before it is read.
    ``app_token`` is sent as the ``X-App-Token`` header only and removed from any error message; a ``session`` passed
    in gets it for the duration of the call only. Parse the pages with ``read_landed_pages`` and
    ``parse_places_long``.
    """
    if not _DATASET_ID.fullmatch(dataset_id):
        raise ValueError(f"dataset_id {dataset_id!r} is not a Socrata id such as 'swc5-untb'")
    if page_size < 1:
        raise ValueError(f"page_size must be at least 1, not {page_size}")
    own_session = session is None
    http = session if session is not None else requests.Session()
    previous_token = http.headers.get(TOKEN_HEADER)
    if app_token:
        http.headers[TOKEN_HEADER] = app_token
    landed: list[LandedFile] = []
    try:
        offset = 0
        while True:
            params = {"$limit": str(page_size), "$offset": str(offset), "$order": ":id"}
            if where:
                params["$where"] = where
            url = f"{base_url.rstrip('/')}/resource/{dataset_id}.json?" + urlencode(params, safe="$:", quote_via=quote)
            try:
                page = download_to_landing(
                    url,
                    landing_dir,
                    f"cdc_places/{dataset_id}/page_{offset:09d}.json",
                    session=http,
                    max_retries=max_retries,
                    backoff_factor=backoff_factor,
                    backoff_jitter=backoff_jitter,
                    backoff_max=backoff_max,
                    timeout_seconds=timeout_seconds,
                )
            except DownloadError as exc:
                raise DownloadError(_scrub(str(exc), app_token)) from None
            count = len(_page_records(page.path))
            if count == page_size and landed and page.sha256 == landed[-1].sha256:
                raise PlacesError(
                    f"{page.path}: page at $offset={offset} repeats the previous page; the server ignores $offset"
                )
            landed.append(page)
            if count < page_size:
                return landed
            offset += page_size
    finally:
        if app_token:
            if previous_token is None:
                http.headers.pop(TOKEN_HEADER, None)
            else:
                http.headers[TOKEN_HEADER] = previous_token
        if own_session:
            http.close()


def read_landed_pages(files: Iterable[LandedFile | Path]) -> list[dict[str, Any]]:
    """The records of landed Socrata pages, in order, each tagged with its page (``LANDED_*_KEY``) for the parser.

    A page whose bytes no longer match the sha256 it was landed with, or that is not a JSON array of objects, is
    an error naming the file.
    """
    records: list[dict[str, Any]] = []
    for item in files:
        path = item.path if isinstance(item, LandedFile) else Path(item)
        body = path.read_bytes()
        digest = hashlib.sha256(body).hexdigest()
        expected = item.sha256 if isinstance(item, LandedFile) else None
        if expected is not None and digest != expected:
            raise PlacesError(f"{path}: sha256 is {digest}, but the page was landed with {expected}")
        if expected is None and digest[:16] not in path.name:
            raise PlacesError(f"{path}: sha256 {digest[:16]}... is not the hash in the landed name")
        for number, record in enumerate(_page_records(path, body), start=1):
            records.append(
                {**record, LANDED_FILE_KEY: str(path), LANDED_SHA256_KEY: digest, LANDED_RECORD_KEY: str(number)}
            )
    return records


def _page_records(path: Path, body: bytes | None = None) -> list[dict[str, Any]]:
    raw = path.read_bytes() if body is None else body
    try:
        page = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise PlacesError(f"{path}: not a JSON page of records: {exc}") from None
    if not isinstance(page, list):
        raise PlacesError(f"{path}: expected a JSON array of records, got a {type(page).__name__}")
    for number, record in enumerate(page, start=1):
        if not isinstance(record, dict):
            raise PlacesError(f"{path}: record {number} is a {type(record).__name__}, not an object")
    return page


def _scrub(text: str, token: str | None) -> str:
    if not token:
        return text
    for form in {token, quote(token, safe="")}:
        text = text.replace(form, REDACTED)
    return text


# --- shared helpers -------------------------------------------------------------------------------------------------


class _Rows:
    """Column lists for the output frame; duplicates (same county and variable) are an error."""

    def __init__(self) -> None:
        self.columns: dict[str, list[Any]] = {
            name: [] for name in COLUMNS if name not in ("period", "dataset", "release", "geo_level")
        }
        self.keys: dict[tuple[str, str], str] = {}

    def add(self, **row: Any) -> None:
        key = (row["geoid"], row["variable"])
        if key in self.keys:
            raise PlacesError(
                f"{row['source_file']}: county {key[0]} variable {key[1]} appears twice "
                f"(vintages {self.keys[key]} and {row['vintage']})"
            )
        self.keys[key] = row["vintage"]
        for name, values in self.columns.items():
            values.append(row[name])

    def frame(self, source: str, release: str) -> pl.DataFrame:
        if not self.keys:
            raise PlacesError(f"{source}: no records")
        frame = pl.DataFrame(self.columns, schema={name: COLUMNS[name] for name in self.columns})
        return frame.with_columns(
            pl.col("vintage").alias("period"),
            pl.lit(DATASET).alias("dataset"),
            pl.lit(release).alias("release"),
            pl.lit(GEO_LEVEL).alias("geo_level"),
        ).select(list(COLUMNS))


def _fips(where: str, field: str, raw: str) -> str:
    if not _FIPS.fullmatch(raw):
        raise PlacesError(f"{where} field {field} has value {raw!r}, which is not a 4-5 digit county FIPS")
    return raw.zfill(5)


def _population(where: str, field: str, raw: str) -> int:
    text = raw.strip()
    if not _POPULATION.fullmatch(text):
        raise PlacesError(f"{where} field {field} has value {raw!r}")
    return int(text.replace(",", ""))


def _percent(where: str, field: str, raw: str) -> float:
    text = raw.strip()
    if not _NUMBER.fullmatch(text):
        raise PlacesError(f"{where} field {field} has value {raw!r}")
    value = float(text)
    if value > 100.0:
        raise PlacesError(f"{where} field {field} has value {raw!r}, over 100 percent")
    return value


def _check_bracket(where: str, field: str, estimate: float, low: float, high: float, raw: tuple[str, ...]) -> None:
    if not low <= estimate <= high:
        raise PlacesError(
            f"{where} field {field} has value ({low}, {high}), which does not bracket the estimate {estimate} "
            f"(cells {', '.join(repr(r) for r in raw)})"
        )


def _county_name(name: str, state: str, geoid: str) -> str:
    """``King County, Washington`` from CDC's bare county name, in the Census Bureau's style where it is certain.

    Louisiana has parishes; county codes 510 and up are independent cities (Virginia, Baltimore, St. Louis, Carson
    City); Alaska's boroughs, census areas and municipalities cannot be told apart from the name, and neither can
    a name that already says what it is, so those are kept as given. One name in CDC's 2022 file is UTF-8 read as
    Latin-1 and written again (``DoÃ±a Ana``); it is repaired when reversing that gives valid UTF-8.
    """
    name = _repair_double_utf8(name)
    state = _repair_double_utf8(state)
    known = (" County", " Parish", " Borough", " Census Area", " Municipality", " city")
    if geoid.startswith(("02", "11")) or name.endswith(known):
        return f"{name}, {state}"
    if geoid.startswith("22"):
        return f"{name} Parish, {state}"
    if int(geoid[2:]) >= 510:  # "Baltimore City" as given, "Colonial Heights" -> "Colonial Heights city"
        return f"{name}, {state}" if name.endswith(" City") else f"{name} city, {state}"
    return f"{name} County, {state}"  # Virginia's "Charles City" and "James City" are counties


def _repair_double_utf8(text: str) -> str:
    if "Ã" not in text and "Â" not in text:
        return text
    try:
        return text.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text
