"""HUD CHAS (Comprehensive Housing Affordability Strategy) county tables: dictionary-coded, strictly parsed, long.

HUD publishes each CHAS table as one wide CSV per summary level (``050/Table9.csv`` for counties): six identifying
columns (``source, sumlevel, geoid, name, st, cnty``), then ``T9_est1 ... T9_est73`` and ``T9_moe1 ... T9_moe73``.
A column's meaning is only in HUD's data dictionary, one sheet per table, where each ``T9_estN`` row gives a
line type (Total, Subtotal, Detail) and one label per dimension (tenure, race/ethnicity, cost burden...).

Why the dictionary is read rather than column numbers written down: HUD reorders and rewords columns between
releases, and a hard-coded ``T9_est67`` would then silently mean something else. Here ``config/hud_chas.yaml`` maps
each dictionary LABEL to a short code and :func:`read_chas_dictionary` builds a variable code per column
(``T9_est67`` -> ``renter_hispanic_gt50``); a label the config does not know is an error, not a guess.

Why strict: these counts feed disparity indicators, so a cell that is not a number, an estimate without its MOE
(or the reverse), a county code that is not five digits or a row of another summary level is a :class:`ChasError`
naming the file, the record (line number and geoid), the field and the value, never a silent null.

HUD writes the files in Windows-1252 ("Doña Ana County" is byte 0xF1), not UTF-8; UTF-8 is tried first so a
re-encoded file still reads. Live mode downloads HUD's county zip and extracts the needed tables, each landed under a
content-hashed name before it is read (``sources/hud_chas/spec.py`` says where; ``sources/core`` does it). This
module parses; ``dictionary`` reads HUD's data dictionary. No Dagster import.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from pathlib import Path

import polars as pl

from sources.core.errors import SourceError
from sources.core.hashing import sha256_bytes
from sources.core.landing import LandedFile
from sources.core.patterns import UNSIGNED_DECIMAL

ID_COLUMNS = ("source", "sumlevel", "geoid", "name", "st", "cnty")
COUNTY_SUMLEVEL = "050"
FALLBACK_ENCODING = "cp1252"  # HUD's encoding; see the module docstring
LINE_TYPES = ("Total", "Subtotal", "Detail")
DICTIONARY_KEY_COLUMNS = ("Column Name", "Line_Type")

DATA_COLUMN = re.compile(r"^T(?P<table>\w+?)_(?P<kind>est|moe)(?P<n>\d+)$")
_RELEASE = re.compile(r"^(?P<start>\d{4})thru(?P<end>\d{4})$")
_GEOID_FIELD = re.compile(r"^0500000US(?P<code>\d{5})$")

DICTIONARY_SCHEMA = {
    "hud_column": pl.String,
    "moe_column": pl.String,
    "line_type": pl.String,
    "variable": pl.String,
    "label": pl.String,
}
TABLE_SCHEMA = {
    "vintage_year": pl.String,
    "vintage": pl.String,
    "dataset": pl.String,
    "variable": pl.String,
    "hud_column": pl.String,
    "geo_level": pl.String,
    "geoid": pl.String,
    "geo_name": pl.String,
    "estimate": pl.Float64,
    "moe": pl.Float64,
    "annotation": pl.String,
    "source_file": pl.String,
    "source_sha256": pl.String,
}


class ChasError(SourceError):
    """A CHAS file or dictionary breaks its contract; the message names file, record, field and value."""


def parse_chas_table(
    path: Path,
    table: int,
    dictionary: pl.DataFrame,
    *,
    missing_markers: Mapping[str, str] | None = None,
    shown: str | None = None,
) -> pl.DataFrame:
    """One row per county and dictionary column: vintage, period, dataset, variable, hud_column, geo_level, geoid,
    geo_name, estimate, moe, annotation, source_file, source_sha256.

    ``dictionary`` comes from :func:`read_chas_dictionary` for the same table. Vintage and period come from the
    file's own ``source`` column (``2018thru2022`` -> vintage 2022, period 2018-2022), so a file of another
    release cannot be labelled with this one's years. ``moe`` is HUD's (90%) margin of error from the matching
    ``T<table>_moeN`` column. ``missing_markers`` (``config/hud_chas.yaml``; empty for HUD's county files) lists
    values that become null with a reason in ``annotation``; annotation is null whenever estimate and moe are
    both present. Everything else that is not a non-negative number is a :class:`ChasError`.
    """
    path = Path(path)
    markers = dict(missing_markers or {})
    body = path.read_bytes()
    text = _decode(body, path)
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header:
        raise ChasError(f"{path}: the file is empty")
    header = [h.strip() for h in header]
    index = _check_header(path, header, table, dictionary)
    specs = [
        (row["hud_column"], row["moe_column"], row["variable"], index[row["hud_column"]], index[row["moe_column"]])
        for row in dictionary.select("hud_column", "moe_column", "variable").iter_rows(named=True)
    ]
    release: tuple[str, int] | None = None
    seen: dict[str, int] = {}
    records: list[list[str]] = []  # the data rows, checked field by field below in one vectorized pass
    lines: list[int] = []
    geoids: list[str] = []
    names: list[str] = []
    for fields in reader:
        line = reader.line_num
        if not fields:
            raise ChasError(f"{path}: line {line} is empty")
        geoid = _record_geoid(path, line, header, index, fields)
        record = f"{path}: line {line} (geoid {geoid})"
        for field in ID_COLUMNS:
            if not fields[index[field]].strip():
                raise ChasError(f"{record} field {field} has value {fields[index[field]]!r}")
        source = fields[index["source"]].strip()
        if release is None:
            if not _RELEASE.match(source):
                raise ChasError(f"{record} field source has value {source!r}; expected e.g. '2018thru2022'")
            release = (source, line)
        elif source != release[0]:
            raise ChasError(f"{record} field source has value {source!r}; line {release[1]} has {release[0]!r}")
        sumlevel = fields[index["sumlevel"]].strip()
        if sumlevel != COUNTY_SUMLEVEL:
            raise ChasError(f"{record} field sumlevel has value {sumlevel!r}; expected {COUNTY_SUMLEVEL!r} (county)")
        if geoid in seen:
            raise ChasError(f"{record} repeats the county on line {seen[geoid]}")
        seen[geoid] = line
        records.append(fields)
        lines.append(line)
        geoids.append(geoid)
        names.append(fields[index["name"]].strip())
    if release is None:
        raise ChasError(f"{path}: the file has a header but no records")
    found = _RELEASE.match(release[0])
    assert found is not None  # checked on the first record
    frame = _cells(path, records, lines, geoids, names, specs, markers)
    return frame.select(
        pl.lit(found["end"]).alias("vintage_year"),
        pl.lit(f"{found['start']}-{found['end']}").alias("vintage"),
        pl.lit(f"hud_chas/table{table}").alias("dataset"),
        pl.col("variable"),
        pl.col("hud_column"),
        pl.lit("county").alias("geo_level"),
        pl.col("geoid", "geo_name", "estimate", "moe", "annotation"),
        pl.lit(shown or str(path)).alias("source_file"),
        pl.lit(sha256_bytes(body)).alias("source_sha256"),
    )


def _cells(
    path: Path,
    records: list[list[str]],
    lines: list[int],
    geoids: list[str],
    names: list[str],
    specs: list[tuple[str, str, str, int, int]],
    markers: Mapping[str, str],
) -> pl.DataFrame:
    """One row per county x dictionary column (county order, then dictionary order), estimate and MOE parsed.

    Vectorized in Polars (the fields are transposed in C, never looped over one by one in Python): a value is a
    missing marker (null, with the marker's reason) or an unsigned decimal; anything else is a :class:`ChasError`
    naming the first such cell in file order (line, geoid, field, value), as a cell-by-cell parser would."""
    columns = list(zip(*records, strict=True))
    n = len(records)
    rows = pl.Series("row", range(n), dtype=pl.Int64)
    parts = []
    for k, (hud_column, moe_column, variable, est_at, moe_at) in enumerate(specs):
        parts.append(
            pl.DataFrame(
                {
                    "row": rows,
                    "spec": pl.repeat(k, n, dtype=pl.Int32, eager=True),
                    "variable": pl.repeat(variable, n, dtype=pl.String, eager=True),
                    "hud_column": pl.repeat(hud_column, n, dtype=pl.String, eager=True),
                    "moe_column": pl.repeat(moe_column, n, dtype=pl.String, eager=True),
                    "raw_estimate": pl.Series(columns[est_at] if n else [], dtype=pl.String),
                    "raw_moe": pl.Series(columns[moe_at] if n else [], dtype=pl.String),
                }
            )
        )
    long = pl.concat(parts).sort("row", "spec") if parts else pl.DataFrame()
    pattern = "^(?:" + UNSIGNED_DECIMAL.pattern + ")$"
    marker_map = dict(markers)

    def parsed(raw: str) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
        value = pl.col(raw).str.strip_chars()
        is_marker = value.is_in(list(marker_map)) if marker_map else pl.lit(False)
        reason = value.replace_strict(marker_map, default=None) if marker_map else pl.lit(None, dtype=pl.String)
        number = pl.when(is_marker).then(None).otherwise(value.cast(pl.Float64, strict=False))
        bad = ~is_marker & ~value.str.contains(pattern)
        return number, pl.when(is_marker).then(reason).otherwise(None), bad

    est, est_reason, est_bad = parsed("raw_estimate")
    moe, moe_reason, moe_bad = parsed("raw_moe")
    if not long.height:
        return pl.DataFrame(
            schema={
                k: TABLE_SCHEMA[k]
                for k in ("variable", "hud_column", "geoid", "geo_name", "estimate", "moe", "annotation")
            }
        )
    long = long.with_columns(
        est.alias("estimate"),
        moe.alias("moe"),
        est_reason.alias("est_reason"),
        moe_reason.alias("moe_reason"),
        est_bad.alias("est_bad"),
        moe_bad.alias("moe_bad"),
    )
    bad = long.filter(pl.col("est_bad") | pl.col("moe_bad"))
    if bad.height:
        first = bad.row(0, named=True)
        row = first["row"]
        field, raw = (
            (first["hud_column"], first["raw_estimate"])
            if first["est_bad"]
            else (first["moe_column"], first["raw_moe"])
        )
        raise ChasError(f"{path}: line {lines[row]} (geoid {geoids[row]}) field {field} has value {raw!r}")
    counties = pl.DataFrame({"row": rows, "geoid": geoids, "geo_name": names}, schema_overrides={"geoid": pl.String})
    return (
        long.join(counties, on="row", how="left", maintain_order="left")
        .select(
            "variable",
            "hud_column",
            "geoid",
            "geo_name",
            "estimate",
            "moe",
            pl.concat_str(
                [pl.col("est_reason"), pl.lit("moe ") + pl.col("moe_reason")], separator="; ", ignore_nulls=True
            ).alias("annotation"),
        )
        .with_columns(
            pl.when(pl.col("annotation") == "").then(None).otherwise(pl.col("annotation")).alias("annotation")
        )
    )


def parse_chas_file(
    landed: LandedFile, table: int, dictionary: pl.DataFrame, missing_markers: Mapping[str, str]
) -> pl.DataFrame:
    """Parse one landed (or snapshot) table file, naming it in ``source_file`` as people see it."""
    return parse_chas_table(landed.path, table, dictionary, missing_markers=missing_markers, shown=landed.shown)


# --- helpers ------------------------------------------------------------------------------------------------------


def _decode(body: bytes, path: Path) -> str:
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return body.decode(FALLBACK_ENCODING)
    except UnicodeDecodeError as exc:
        raise ChasError(f"{path}: neither UTF-8 nor {FALLBACK_ENCODING} text ({exc})") from None


def _check_header(path: Path, header: list[str], table: int, dictionary: pl.DataFrame) -> dict[str, int]:
    """Column positions; every estimate has its MOE and the reverse, and the dictionary covers exactly the file."""
    duplicated = sorted({h for h in header if header.count(h) > 1})
    if duplicated:
        raise ChasError(f"{path}: column(s) {duplicated} appear more than once in the header")
    index = {h: i for i, h in enumerate(header)}
    missing = [c for c in ID_COLUMNS if c not in index]
    if missing:
        raise ChasError(f"{path}: header lacks column(s) {missing}; expected {list(ID_COLUMNS)} first")
    numbers: dict[str, set[str]] = {"est": set(), "moe": set()}
    for column in header:
        if column in ID_COLUMNS:
            continue
        match = DATA_COLUMN.match(column)
        if not match or match["table"] != str(table):
            raise ChasError(f"{path}: unexpected column {column!r} for table {table}")
        numbers[match["kind"]].add(match["n"])
    for kind, other in (("est", "moe"), ("moe", "est")):
        unpaired = sorted(numbers[kind] - numbers[other], key=int)
        if unpaired:
            n = unpaired[0]
            raise ChasError(f"{path}: column T{table}_{kind}{n} has no matching column T{table}_{other}{n}")
    wrong = dictionary.filter(~pl.col("hud_column").str.starts_with(f"T{table}_est"))
    if wrong.height:
        raise ChasError(f"{path}: the dictionary describes {wrong['hud_column'][0]}, not a column of table {table}")
    listed = set(dictionary["hud_column"])
    for n in sorted(numbers["est"], key=int):
        if f"T{table}_est{n}" not in listed:
            raise ChasError(f"{path}: column T{table}_est{n} is not in the dictionary, so it has no variable code")
    for column in dictionary["hud_column"]:
        if column not in index:
            raise ChasError(f"{path}: the dictionary lists column {column}, which the file lacks")
    return index


def _record_geoid(path: Path, line: int, header: list[str], index: dict[str, int], fields: list[str]) -> str:
    """The 5-digit county code from st + cnty (zero padded), checked against HUD's own geoid column."""
    st = fields[index["st"]].strip() if index["st"] < len(fields) else ""
    cnty = fields[index["cnty"]].strip() if index["cnty"] < len(fields) else ""
    shown = f"{st}{cnty}" or "?"
    if len(fields) != len(header):
        missing = f": field {header[len(fields)]} is missing" if len(fields) < len(header) else ""
        raise ChasError(
            f"{path}: line {line} (geoid {shown}) has {len(fields)} fields, header has {len(header)}{missing}"
        )
    for field, value, width in (("st", st, 2), ("cnty", cnty, 3)):
        if not re.fullmatch(rf"\d{{1,{width}}}", value):
            raise ChasError(f"{path}: line {line} (geoid {shown}) field {field} has value {value!r}")
    geoid = st.zfill(2) + cnty.zfill(3)
    raw_geoid = fields[index["geoid"]].strip()
    match = _GEOID_FIELD.match(raw_geoid)
    if not match or match["code"] != geoid:
        raise ChasError(
            f"{path}: line {line} (geoid {geoid}) field geoid has value {raw_geoid!r}; expected '0500000US{geoid}'"
        )
    return geoid


def _value(record: str, field: str, raw: str, markers: Mapping[str, str]) -> tuple[float | None, str | None]:
    value = raw.strip()
    if value in markers:
        return None, markers[value]
    if not UNSIGNED_DECIMAL.fullmatch(value):
        raise ChasError(f"{record} field {field} has value {raw!r}")
    return float(value), None
