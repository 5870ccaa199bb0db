"""One strict parser for Census Data API answers, live or snapshot: a long Polars frame of cells.

Numbers are parsed from the API's strings; annotation codes and nulls become a null value with the reason. A header
that lacks a requested variable, or a value that is neither a number, an annotation code nor null, is a
:class:`CensusResponseError` naming the source, the record, the field and the value.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from sources.census_api.spec import GEOGRAPHY_COLUMNS, CensusRequest
from sources.core.acs_codes import ANNOTATION_CODES, ANNOTATION_SYMBOLS, NULL_IN_RESPONSE
from sources.core.errors import SourceError


class CensusResponseError(SourceError):
    """A response was answered but its content breaks the contract (missing variable, non-numeric value)."""


@dataclass(frozen=True)
class FetchedResponse:
    """Raw bytes of one answered request, where they were read or landed, and how they are shown in provenance."""

    request: CensusRequest
    body: bytes
    source_path: Path
    sha256: str
    url: str  # without the key
    shown: str = ""  # relative to the snapshot or landing folder


def parse_response(response: FetchedResponse, decoded: dict[str, object] | None = None) -> pl.DataFrame:
    """Parse one API response (snapshot or live) into a long frame: one row per geography x requested variable.

    Columns: vintage, dataset, table, variable, geo_level, geoid, geo_name, raw_value, value, annotation.
    Numbers are parsed from strings; annotation codes and nulls become a null ``value`` with the reason in
    ``annotation``. A ``get=group(<table>)`` answer also has each variable's annotation column (``<var>A``: EA, MA)
    and GEO_ID: unrequested columns are ignored, except that a null value whose annotation column holds a symbol
    (``-``, ``N``, ``(X)``, ``**``, ``***``, ``*****``) gets that symbol's reason instead of "null in response"; a
    number beside a symbol stays a number (the symbol never turns a published value into a missing one). A header that lacks a requested variable, or a value that is neither a number, an
    annotation code nor null, is an error naming the source, the record, the field and the value.
    """
    request = response.request
    source = str(response.source_path)
    try:
        rows = (
            decoded[response.sha256]
            if decoded is not None and response.sha256 in decoded
            else json.loads(response.body)
        )
        if decoded is not None:
            decoded[response.sha256] = rows
    except json.JSONDecodeError as exc:
        raise CensusResponseError(f"{source}: not a JSON response for {request.describe()}: {exc}") from None
    if not isinstance(rows, list) or not rows or not all(isinstance(r, list) for r in rows):
        raise CensusResponseError(f"{source}: expected a JSON array of arrays (header first) for {request.describe()}")
    header = rows[0]
    geo_columns = GEOGRAPHY_COLUMNS[request.geography]
    missing = [v for v in ("NAME", *request.variables, *geo_columns) if v not in header]
    if missing:
        raise CensusResponseError(
            f"{source}: response for {request.describe()} lacks requested variable(s) {', '.join(missing)}"
        )
    width = len(header)
    for n, row in enumerate(rows[1:], start=2):
        if len(row) != width:
            raise CensusResponseError(f"{source}: record {n} has {len(row)} fields, header has {width}")
    # The rows go to Polars as they are (a column per header field, built in Rust), then only the needed columns
    # are kept: no Python loop over cells. A header may repeat a name (never a requested one): positions are kept.
    wanted = ["NAME", *geo_columns, *request.variables, *(f"{v}A" for v in request.variables if f"{v}A" in header)]
    index = {name: i for i, name in enumerate(header)}
    position = {name: index[name] for name in dict.fromkeys(wanted)}
    columns = list(zip(*rows[1:], strict=True)) or [()] * width  # transposed in C, one tuple per header field
    cells = pl.DataFrame(
        {name: pl.Series(name, columns[i], dtype=pl.String) for name, i in position.items()}, height=len(rows) - 1
    )
    frame = cells.select(
        pl.concat_str([pl.col(c).fill_null("") for c in geo_columns]).alias("geoid"),
        pl.col("NAME").alias("geo_name"),
        *request.variables,
    )
    long = frame.unpivot(
        index=["geoid", "geo_name"],
        on=list(request.variables),
        variable_name="variable",
        value_name="raw_value",
    )
    # the annotation column beside each requested variable (group() answers), in the same stacking order
    symbols = (
        cells.with_columns(
            pl.lit(None, dtype=pl.String).alias(f"{v}A") for v in request.variables if f"{v}A" not in position
        )
        .select(f"{v}A" for v in request.variables)
        .unpivot(value_name="symbol")["symbol"]
    )
    long = long.with_columns(symbols.str.strip_chars())
    symbol_reason = pl.col("symbol").replace_strict(
        {s: ANNOTATION_CODES[code] + f" (annotation {s!r})" for s, code in ANNOTATION_SYMBOLS.items()},
        default=pl.lit("annotation ") + pl.col("symbol") + pl.lit(" (not a documented Census symbol)"),
    )
    long = long.with_columns(
        pl.col("raw_value").str.strip_chars().replace_strict(ANNOTATION_CODES, default=None).alias("annotation")
    ).with_columns(
        pl.when(pl.col("raw_value").is_null() & pl.col("symbol").is_not_null() & (pl.col("symbol") != ""))
        .then(symbol_reason)
        .when(pl.col("raw_value").is_null())
        .then(pl.lit(NULL_IN_RESPONSE))
        .otherwise(pl.col("annotation"))
        .alias("annotation"),
    )
    numeric = pl.col("raw_value").str.strip_chars().cast(pl.Float64, strict=False)
    long = long.with_columns(
        pl.when(pl.col("annotation").is_null()).then(numeric).otherwise(None).alias("value"),
    )
    bad = long.filter(pl.col("annotation").is_null() & pl.col("value").is_null())
    if bad.height:
        first = bad.row(0, named=True)
        raise CensusResponseError(
            f"{source}: record geoid={first['geoid']} ({first['geo_name']}) field {first['variable']} "
            f"has non-numeric value {first['raw_value']!r}"
            + (f" (and {bad.height - 1} more)" if bad.height > 1 else "")
        )
    return long.select(
        pl.lit(request.vintage).alias("vintage_year"),
        pl.lit(request.dataset).alias("dataset"),
        pl.lit(request.table).alias("table"),
        "variable",
        pl.lit(request.geography).alias("geo_level"),
        "geoid",
        "geo_name",
        "raw_value",
        "value",
        "annotation",
    )


def parse_table(responses: list[FetchedResponse]) -> pl.DataFrame:
    """Parse the several calls that answer one table and stack them; a variable answered twice is an error."""
    decoded: dict[str, object] = {}  # the calls of a wide table answered with the same bytes are decoded once
    frames = [parse_response(r, decoded) for r in responses]
    table = pl.concat(frames, how="vertical") if len(frames) > 1 else frames[0]
    dupes = table.group_by("variable", "geoid").len().filter(pl.col("len") > 1)
    if dupes.height:
        row = dupes.row(0, named=True)
        raise CensusResponseError(
            f"{responses[0].request.describe()}: geography {row['geoid']} variable {row['variable']} appears {row['len']} times"
        )
    return table
