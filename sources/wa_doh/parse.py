"""Washington Tracking Network (WA Department of Health): life expectancy at birth by census tract, with 95% CIs.

The WTN portal exports one CSV per period (``Life_Expectancy_at_Birth_16_20.csv`` for 2016-2020) on 2010 census
tracts: a header, a "State Total" row, one row per tract, a blank line, then notes. The notes define the markers
a value may hold instead of a number: ``--`` no data collected, ``**`` suppressed to protect confidentiality,
``NR`` not reliable. Each becomes a null estimate with that reason, never a number. Anything else that is not a
number, a tract GEOID that is not 11 digits of Washington (53), or limits that do not bracket the estimate is an
error naming the file, the record, the field and the value.

WTN has no API with stable URLs, so both modes read the snapshot folder (``wa_doh/life_expectancy_tract/``; see
``spec.py``). No Dagster import.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import polars as pl

from sources.core.errors import SourceError
from sources.core.hashing import sha256_bytes

HEADER = ["County Name", "Census Tract", "Life Expectancy", "Lower CI", "Upper CI"]
MARKERS = {
    "--": "--: no data collected (WA DOH)",
    "**": "**: suppressed to protect confidentiality (WA DOH)",
    "NR": "NR: not reliable (WA DOH)",
}
DATASET = "wa_doh/life_expectancy"
VARIABLE = "life_expectancy_at_birth"


class LifeExpectancyError(SourceError):
    """A WTN life expectancy file breaks its contract; the message names file, record, field and value."""


def parse_life_expectancy(path: Path, vintage: str, shown: str | None = None) -> pl.DataFrame:
    """One row per tract: vintage, period, dataset, variable, geo_level, geoid, geo_name, estimate, ci_low_95,
    ci_high_95, annotation, source_file, source_sha256. The state total row is left out (it is not a tract)."""
    body = Path(path).read_bytes()
    text = body.decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header != HEADER:
        raise LifeExpectancyError(f"{path}: header is {header!r}; expected {HEADER!r}")
    end = int(vintage)
    rows = []
    for record, fields in enumerate(reader, start=2):
        if not fields or all(not f.strip() for f in fields):
            break  # the data block ends at the first blank line; notes follow
        if len(fields) != len(HEADER):
            raise LifeExpectancyError(f"{path}: record {record} has {len(fields)} fields, expected {len(HEADER)}")
        county, tract, estimate, lower, upper = (f.strip() for f in fields)
        if tract == "State Total":
            continue
        if not re.fullmatch(r"53\d{9}", tract):
            raise LifeExpectancyError(f"{path}: record {record} field Census Tract has value {tract!r}")
        values = {}
        reasons = []
        for field, raw in (("Life Expectancy", estimate), ("Lower CI", lower), ("Upper CI", upper)):
            if raw in MARKERS:
                values[field] = None
                reasons.append(MARKERS[raw])
                continue
            try:
                values[field] = float(raw)
            except ValueError:
                raise LifeExpectancyError(
                    f"{path}: record {record} (tract {tract}) field {field} has value {raw!r}"
                ) from None
        le, lo, hi = values["Life Expectancy"], values["Lower CI"], values["Upper CI"]
        if le is not None and (lo is None or hi is None or not lo <= le <= hi):
            raise LifeExpectancyError(
                f"{path}: record {record} (tract {tract}) field Lower CI/Upper CI has value ({lower!r}, {upper!r}), "
                f"which does not bracket the estimate {estimate!r}"
            )
        rows.append(
            {
                "geoid": tract,
                "geo_name": f"Census Tract {tract[5:9].lstrip('0') or '0'}"
                + (f".{tract[9:]}" if tract[9:] != "00" else "")
                + f", {county} County, Washington",
                "estimate": le,
                "ci_low_95": lo if le is not None else None,
                "ci_high_95": hi if le is not None else None,
                "annotation": "; ".join(dict.fromkeys(reasons)) if le is None else None,
            }
        )
    frame = pl.DataFrame(
        rows,
        schema={
            "geoid": pl.String,
            "geo_name": pl.String,
            "estimate": pl.Float64,
            "ci_low_95": pl.Float64,
            "ci_high_95": pl.Float64,
            "annotation": pl.String,
        },
    )
    dupes = frame.group_by("geoid").len().filter(pl.col("len") > 1)
    if dupes.height:
        raise LifeExpectancyError(f"{path}: tract {dupes['geoid'][0]} appears {dupes['len'][0]} times")
    return frame.select(
        pl.lit(str(vintage)).alias("vintage_year"),
        pl.lit(f"{end - 4}-{end}").alias("vintage"),
        pl.lit(DATASET).alias("dataset"),
        pl.lit(VARIABLE).alias("variable"),
        pl.lit("tract").alias("geo_level"),
        pl.all(),
        pl.lit(shown or str(path)).alias("source_file"),
        pl.lit(sha256_bytes(body)).alias("source_sha256"),
    )
