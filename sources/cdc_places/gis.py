"""CDC PLACES, the GIS-friendly (wide) county CSV: per county, ``<MEASURE>_CrudePrev``, ``<MEASURE>_Crude95CI``,
``<MEASURE>_AdjPrev`` and ``<MEASURE>_Adj95CI``, intervals as padded text such as ``"( 6.6,  7.5)"``; no year and no
footnote column (BRFSS years come from ``GIS_DATA_YEARS``)."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from pathlib import Path

import polars as pl

from sources.cdc_places.common import (
    CI_TEXT,
    GIS_BLANK,
    GIS_DATA_YEARS,
    GIS_ID_COLUMNS,
    GIS_KINDS,
    GIS_OPTIONAL_COLUMNS,
    MEASURE_ID,
    PlacesError,
    Rows,
    check_bracket,
    county_name,
    parse_fips,
    parse_percent,
    parse_population,
)
from sources.core.hashing import sha256_bytes


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
    digest = sha256_bytes(body)
    reader = csv.reader(io.StringIO(body.decode("utf-8-sig"), newline=""))
    header = next(reader, None)
    if not header:
        raise PlacesError(f"{path}: line 1 (header) is empty")
    measures = _gis_measures(path, header)
    for measure in measures:
        if measure not in years and "*" not in years:
            raise PlacesError(f"{path}: line 1 (header) field {measure}_CrudePrev: no BRFSS year for {measure}")
    index = {name: i for i, name in enumerate(header)}
    rows = Rows()
    for fields in reader:
        line = reader.line_num
        if not fields:
            continue
        if len(fields) != len(header):
            raise PlacesError(f"{path}: line {line} has {len(fields)} fields, the header has {len(header)}")
        raw_fips = fields[index["CountyFIPS"]].strip()
        where = f"{path}: line {line} (county {raw_fips})"
        geoid = parse_fips(where, "CountyFIPS", raw_fips)
        population = parse_population(where, "TotalPopulation", fields[index["TotalPopulation"]])
        geo_name = county_name(fields[index["CountyName"]].strip(), fields[index["StateDesc"]].strip(), geoid)
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
                    estimate = parse_percent(where, value_field, raw_value)
                    low, high = _ci_text(where, ci_field, raw_ci)
                    check_bracket(where, f"{value_field}/{ci_field}", estimate, low, high, (raw_value, raw_ci))
                    annotation = None
                rows.add(
                    vintage_year=year,
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
        if suffix not in suffixes or not MEASURE_ID.fullmatch(measure):
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
    match = CI_TEXT.fullmatch(raw)
    if not match:
        raise PlacesError(f"{where} field {field} has value {raw!r}, which is not a '(low, high)' interval")
    low, high = float(match.group(1)), float(match.group(2))
    if not 0.0 <= low <= high <= 100.0:
        raise PlacesError(f"{where} field {field} has value {raw!r}: not 0 <= low <= high <= 100 percent")
    return low, high
