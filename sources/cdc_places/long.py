"""CDC PLACES, the long format: CDC's "County Data" CSV export and the same dataset through the Socrata API (JSON
keys are the CSV's column names lower-cased), one row per county x measure x crude/age-adjusted, with numeric limits,
the BRFSS ``Year`` and a footnote that explains a missing value; and the landed Socrata pages it is read from."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import polars as pl

from sources.cdc_places.common import (
    LANDED_FILE_KEY,
    LANDED_RECORD_KEY,
    LANDED_SHA256_KEY,
    LONG_REQUIRED,
    MEASURE_ID,
    VALUE_TYPES,
    PlacesError,
    Rows,
    check_bracket,
    county_name,
    parse_fips,
    parse_percent,
    parse_population,
)
from sources.core.hashing import sha256_bytes, sha256_file
from sources.core.landing import LandedFile
from sources.core.patterns import YEAR


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
    file_digest = sha256_file(source_path) if source_path.is_file() else None
    records_digest = hashlib.sha256()  # of records that came from no single file
    has_lines = hasattr(records, "line_num")  # a csv.DictReader: name physical lines
    rows = Rows()
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
        geoid = parse_fips(where, "LocationID", values["LocationID"].strip())
        year = values["Year"].strip()
        if not YEAR.fullmatch(year):
            raise PlacesError(f"{where} field Year has value {values['Year']!r}")
        measure = values["MeasureId"].strip()
        if not MEASURE_ID.fullmatch(measure):
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
        population = parse_population(where, "TotalPopulation", values["TotalPopulation"])
        raw_value = _text(fields, "Data_Value", where)
        raw_low = _text(fields, "Low_Confidence_Limit", where)
        raw_high = _text(fields, "High_Confidence_Limit", where)
        if raw_value.strip():
            estimate = parse_percent(where, "Data_Value", raw_value)
            for name, raw in (("Low_Confidence_Limit", raw_low), ("High_Confidence_Limit", raw_high)):
                if not raw.strip():
                    raise PlacesError(f"{where} {_field(fields, name, raw)} beside Data_Value {raw_value!r}")
            low = parse_percent(where, "Low_Confidence_Limit", raw_low)
            high = parse_percent(where, "High_Confidence_Limit", raw_high)
            check_bracket(
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
            vintage_year=year,
            variable=f"{measure.lower()}_{kind}",
            geoid=geoid,
            geo_name=county_name(location, state, geoid) if location and state else (location or None),
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


def read_landed_pages(files: Iterable[LandedFile | Path]) -> list[dict[str, Any]]:
    """The records of landed Socrata pages, in order, each tagged with its page (``LANDED_*_KEY``) for the parser.

    A page whose bytes no longer match the sha256 it was landed with, or that is not a JSON array of objects, is
    an error naming the file.
    """
    records: list[dict[str, Any]] = []
    for item in files:
        path = item.path if isinstance(item, LandedFile) else Path(item)
        body = path.read_bytes()
        digest = sha256_bytes(body)
        expected = item.sha256 if isinstance(item, LandedFile) else None
        if expected is not None and digest != expected:
            raise PlacesError(f"{path}: sha256 is {digest}, but the page was landed with {expected}")
        if expected is None and digest[:16] not in path.name:
            raise PlacesError(f"{path}: sha256 {digest[:16]}... is not the hash in the landed name")
        for number, record in enumerate(page_records(path, body), start=1):
            records.append(
                {**record, LANDED_FILE_KEY: str(path), LANDED_SHA256_KEY: digest, LANDED_RECORD_KEY: str(number)}
            )
    return records


def page_records(path: Path, body: bytes | None = None) -> list[dict[str, Any]]:
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
