"""CDC/ATSDR Social Vulnerability Index (SVI), county tables: strictly parsed into the pipeline's long frame.

CDC publishes one wide CSV per release (UTF-8 with a byte-order mark): identifying columns (``ST, STATE, ST_ABBR,
STCNTY, COUNTY, FIPS, LOCATION, AREA_SQMI``), then the index's variables by prefix: ``E_`` ACS estimates, ``M_``
their MOEs, ``EP_`` percentages, ``MP_`` their MOEs, ``EPL_`` percentile ranks, ``SPL_`` theme sums, ``RPL_`` theme
ranks and ``F_`` flags. Every variable column is kept as published (lower-cased: ``EP_NOVEH`` -> ``ep_noveh``);
the identifying columns, ``AREA_SQMI`` and any other column without one of those prefixes are not index
variables and are left out (FIPS, ST and LOCATION, or COUNTY and STATE, give geoid and geo_name).

Why the MOE column is null here: CDC publishes MOEs as variables of their own (``M_NOVEH`` beside ``E_NOVEH``,
``MP_NOVEH`` beside ``EP_NOVEH``), so they are kept as rows and paired downstream, where the pairing rule is data.

Missing values: CDC writes -999 where a value could not be computed (Rio Arriba County NM in 2018), and ACS
annotation codes come through in a few cells (a -555555555 ``M_GROUPQ`` in 2022). Each becomes a null estimate
with the reason in ``annotation``, never a number: read as numbers they would wreck every rank. ACS codes get the
same reasons as in the Census API parser (both take them from ``sources/core/acs_codes.py``), so downstream rules
treat them alike.

Why strict: a county code that is not 1-5 digits, a county listed twice, or a value that is not a number (or is
negative without being one of those codes) is an :class:`SviError` naming the file, the record (line number and
FIPS), the field and the value. CDC stores codes without leading zeros in 2022 (``1001``): FIPS is zero-padded to
5 digits and ST to 2, and the two must agree. No Dagster import.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import polars as pl

from sources.core.acs_codes import ANNOTATION_CODES
from sources.core.errors import SourceError
from sources.core.hashing import sha256_bytes
from sources.core.landing import LandedFile
from sources.core.patterns import SIGNED_NUMBER

DATASET = "cdc_svi"
VARIABLE_PREFIXES = ("E", "M", "EP", "MP", "EPL", "SPL", "RPL", "F")
REQUIRED_VARIABLES = ("E_TOTPOP",)  # the population every county-level weighting needs
SVI_MISSING = "-999"
MISSING_CODES: dict[float, str] = {
    float(SVI_MISSING): f"{SVI_MISSING}: missing (CDC SVI)",
    **{float(code): reason for code, reason in ANNOTATION_CODES.items()},
}

_VARIABLE = re.compile(rf"^(?:{'|'.join(VARIABLE_PREFIXES)})_[A-Z0-9]+$")
_FIPS = re.compile(r"^\d{1,5}$")
_ST = re.compile(r"^\d{1,2}$")
_VINTAGE = re.compile(r"^\d{4}$")
_PERIOD = re.compile(r"^\d{4}-\d{4}$")

SCHEMA = {
    "vintage_year": pl.String,
    "vintage": pl.String,
    "dataset": pl.String,
    "variable": pl.String,
    "geo_level": pl.String,
    "geoid": pl.String,
    "geo_name": pl.String,
    "estimate": pl.Float64,
    "moe": pl.Float64,
    "annotation": pl.String,
    "source_file": pl.String,
    "source_sha256": pl.String,
}


class SviError(SourceError):
    """A CDC SVI file breaks its contract; the message names file, record, field and value."""


def parse_svi(path: Path, vintage: str, period: str, shown: str | None = None) -> pl.DataFrame:
    """One row per county and variable: vintage, period, dataset, variable, geo_level, geoid, geo_name, estimate,
    moe (always null; see the module docstring), annotation, source_file, source_sha256.

    ``variable`` is the CDC column name lower-cased, for every E_, M_, EP_, MP_, EPL_, SPL_, RPL_ and F_ column
    present (E_TOTPOP must be). ``estimate`` is null only for -999 and ACS annotation codes, with the reason in
    ``annotation`` (for example "-999: missing (CDC SVI)"); otherwise annotation is null. ``shown`` is the path
    written to ``source_file`` (relative to the snapshot or landing folder); errors name the real path.
    """
    path = Path(path)
    vintage, period = str(vintage), str(period)
    if not _VINTAGE.match(vintage) or not _PERIOD.match(period):
        raise SviError(f"{path}: vintage {vintage!r} / period {period!r} must look like '2022' / '2018-2022'")
    body = path.read_bytes()
    try:
        text = body.decode("utf-8-sig")  # CDC writes a byte-order mark; utf-8-sig drops it (and reads files without)
    except UnicodeDecodeError as exc:
        raise SviError(f"{path}: not UTF-8 text ({exc})") from None
    reader = csv.reader(io.StringIO(text))
    header = [h.strip() for h in next(reader, [])]
    if not header:
        raise SviError(f"{path}: the file is empty")
    duplicated = sorted({h for h in header if header.count(h) > 1})
    if duplicated:
        raise SviError(f"{path}: column(s) {duplicated} appear more than once in the header")
    index = {h: i for i, h in enumerate(header)}
    needed = ["FIPS", "ST", *REQUIRED_VARIABLES] + ([] if "LOCATION" in index else ["COUNTY", "STATE"])
    missing = [c for c in needed if c not in index]
    if missing:
        raise SviError(f"{path}: header lacks column(s) {missing}")
    variables = [(h, h.lower(), i) for i, h in enumerate(header) if _VARIABLE.match(h)]

    out: dict[str, list] = {k: [] for k in ("variable", "geoid", "geo_name", "estimate", "annotation")}
    seen: dict[str, int] = {}
    for fields in reader:
        line = reader.line_num
        if not any(f.strip() for f in fields):
            continue  # a blank line holds no record
        raw_fips = fields[index["FIPS"]].strip() if index["FIPS"] < len(fields) else ""
        if len(fields) != len(header):
            gap = f": field {header[len(fields)]} is missing" if len(fields) < len(header) else ""
            raise SviError(
                f"{path}: line {line} (FIPS {raw_fips or '?'}) has {len(fields)} fields, header has {len(header)}{gap}"
            )
        if not _FIPS.match(raw_fips):
            raise SviError(f"{path}: line {line} (FIPS {raw_fips or '?'}) field FIPS has value {raw_fips!r}")
        geoid = raw_fips.zfill(5)
        record = f"{path}: line {line} (FIPS {geoid})"
        st = fields[index["ST"]].strip()
        if not _ST.match(st) or st.zfill(2) != geoid[:2]:
            raise SviError(f"{record} field ST has value {st!r}; the FIPS code's state is {geoid[:2]}")
        if geoid in seen:
            raise SviError(f"{record} field FIPS has value {raw_fips!r}, already on line {seen[geoid]}")
        seen[geoid] = line
        if "LOCATION" in index:
            geo_name = fields[index["LOCATION"]].strip()
            if not geo_name:
                raise SviError(f"{record} field LOCATION has value {fields[index['LOCATION']]!r}")
        else:
            county, state = fields[index["COUNTY"]].strip(), fields[index["STATE"]].strip()
            if not county or not state:
                raise SviError(f"{record} field COUNTY/STATE has value {(county, state)!r}")
            geo_name = f"{county}, {state}"
        for column, variable, at in variables:
            estimate, reason = _value(record, column, fields[at])
            out["variable"].append(variable)
            out["geoid"].append(geoid)
            out["geo_name"].append(geo_name)
            out["estimate"].append(estimate)
            out["annotation"].append(reason)
    if not seen:
        raise SviError(f"{path}: the file has a header but no records")
    frame = pl.DataFrame(out, schema={k: SCHEMA[k] for k in out})
    return frame.select(
        pl.lit(vintage).alias("vintage_year"),
        pl.lit(period).alias("vintage"),
        pl.lit(DATASET).alias("dataset"),
        pl.col("variable"),
        pl.lit("county").alias("geo_level"),
        pl.col("geoid", "geo_name", "estimate"),
        pl.lit(None, dtype=pl.Float64).alias("moe"),
        pl.col("annotation"),
        pl.lit(shown or str(path)).alias("source_file"),
        pl.lit(sha256_bytes(body)).alias("source_sha256"),
    )


def _value(record: str, field: str, raw: str) -> tuple[float | None, str | None]:
    """A number, or None with the reason for a missing-value code; anything else names the cell."""
    value = raw.strip()
    if not SIGNED_NUMBER.fullmatch(value):
        raise SviError(f"{record} field {field} has value {raw!r}")
    number = float(value)
    if number in MISSING_CODES:
        return None, MISSING_CODES[number]
    if number < 0:
        raise SviError(f"{record} field {field} has value {raw!r}: negative, and not a known missing-value code")
    return number, None


def parse_svi_file(landed: LandedFile, vintage: str, period: str) -> pl.DataFrame:
    """Parse one landed (or snapshot) SVI file, naming it in ``source_file`` as people see it."""
    return parse_svi(landed.path, vintage, period, landed.shown)
