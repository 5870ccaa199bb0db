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
re-encoded file still reads. Live mode downloads HUD's county zip with ``sources/http_download.py`` (landed before
use); :func:`chas_live_files` then extracts the needed tables into the landing folder under content-hashed
names. No Dagster import.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import tempfile
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

import polars as pl

from sources.project_config import ConfigError, load_yaml

ID_COLUMNS = ("source", "sumlevel", "geoid", "name", "st", "cnty")
COUNTY_SUMLEVEL = "050"
FALLBACK_ENCODING = "cp1252"  # HUD's encoding; see the module docstring
LINE_TYPES = ("Total", "Subtotal", "Detail")
DICTIONARY_KEY_COLUMNS = ("Column Name", "Line_Type")

_DATA_COLUMN = re.compile(r"^T(?P<table>\w+?)_(?P<kind>est|moe)(?P<n>\d+)$")
_RELEASE = re.compile(r"^(?P<start>\d{4})thru(?P<end>\d{4})$")
_NUMBER = re.compile(r"^\d+(?:\.\d+)?$")  # counts and MOEs: never negative, never empty
_CODE = re.compile(r"^[a-z0-9][a-z0-9_]*$")
_GEOID_FIELD = re.compile(r"^0500000US(?P<code>\d{5})$")

DICTIONARY_SCHEMA = {
    "hud_column": pl.String,
    "moe_column": pl.String,
    "line_type": pl.String,
    "variable": pl.String,
    "label": pl.String,
}
TABLE_SCHEMA = {
    "vintage": pl.String,
    "period": pl.String,
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


class ChasError(ValueError):
    """A CHAS file or dictionary breaks its contract; the message names file, record, field and value."""


@dataclass(frozen=True)
class ChasTableSpec:
    """One table's entry in ``config/hud_chas.yaml``: where it is and how its dictionary labels become codes."""

    table: int
    title: str
    snapshot: str  # relative to the snapshot folder
    dictionary: str  # relative to the snapshot folder (both modes read it there)
    member: str  # file name inside HUD's live zip, matched regardless of folder
    label_map: dict[str, dict[str, Any]]  # dimension code -> {header: dictionary column, labels: {label: code}}


@dataclass(frozen=True)
class ChasConfig:
    release: str  # HUD's period name, e.g. 2018thru2022
    live_url: str
    landing_relpath: str
    missing_markers: dict[str, str]
    tables: dict[int, ChasTableSpec]


def load_chas_config(path: Path) -> ChasConfig:
    """Read and check ``config/hud_chas.yaml``; a malformed entry is a ConfigError naming file, table and field."""
    raw = load_yaml(Path(path))
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    for key in ("release", "live", "tables"):
        if key not in raw:
            raise ConfigError(f"{path}: missing `{key}`")
    if not _RELEASE.match(str(raw["release"])):
        raise ConfigError(f"{path}: field release has value {raw['release']!r}; expected e.g. '2018thru2022'")
    live = raw["live"] or {}
    if not isinstance(live, dict) or not live.get("url") or not live.get("landing_relpath"):
        raise ConfigError(f"{path}: `live` needs `url` and `landing_relpath`")
    markers = raw.get("missing_markers") or {}
    if not isinstance(markers, dict) or not all(isinstance(v, str) and v for v in markers.values()):
        raise ConfigError(f"{path}: `missing_markers` must map each marker to a non-empty reason")
    tables: dict[int, ChasTableSpec] = {}
    for key, entry in (raw["tables"] or {}).items():
        if not isinstance(key, int) or not isinstance(entry, dict):
            raise ConfigError(f"{path}: tables entry {key!r} must be a table number with a mapping")
        for field in ("title", "snapshot", "dictionary", "member", "label_map"):
            if not entry.get(field):
                raise ConfigError(f"{path}: table {key} lacks field `{field}`")
        _check_label_map(entry["label_map"], f"{path}: table {key}")
        tables[key] = ChasTableSpec(
            table=key,
            title=str(entry["title"]),
            snapshot=str(entry["snapshot"]),
            dictionary=str(entry["dictionary"]),
            member=str(entry["member"]),
            label_map={
                dim: {"header": spec["header"], "labels": dict(spec["labels"])}
                for dim, spec in entry["label_map"].items()
            },
        )
    if not tables:
        raise ConfigError(f"{path}: `tables` is empty")
    return ChasConfig(
        release=str(raw["release"]),
        live_url=str(live["url"]),
        landing_relpath=str(live["landing_relpath"]),
        missing_markers={str(k): v for k, v in markers.items()},
        tables=tables,
    )


def read_chas_dictionary(path: Path, label_map: Mapping[str, Mapping[str, Any]]) -> pl.DataFrame:
    """Column name -> variable code for one table, from HUD's dictionary sheet (saved as CSV).

    ``label_map`` is one table's ``label_map`` from ``config/hud_chas.yaml``: for each dimension, in the order its
    code appears in the variable, the dictionary column (``header``) and the code of each label (``labels``).
    Every dimension column of the sheet must be mapped (an unmapped one would give two columns the same code),
    every label must be known, and no two columns may end up with the same code.

    Returns one row per estimate column, in dictionary order: hud_column (``T9_est67``), moe_column
    (``T9_moe67``), line_type (Total, Subtotal or Detail: HUD's own marking of which cells are sums of others),
    variable (``renter_hispanic_gt50``), label (HUD's labels joined by " | "), then one column per dimension
    holding that dimension's code (``tenure``, ``race``, ``cost_burden`` for table 9).
    """
    _check_label_map(label_map, f"label map for {path}")
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ChasError(f"{path}: not UTF-8 text ({exc})") from None
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if not header or tuple(header[:2]) != DICTIONARY_KEY_COLUMNS:
        raise ChasError(f"{path}: header is {header!r}; expected it to start with {list(DICTIONARY_KEY_COLUMNS)!r}")
    dimension_headers = [h for h in header[2:] if h.strip()]
    wanted = {dim: spec["header"] for dim, spec in label_map.items()}
    unmapped = [h for h in dimension_headers if h not in wanted.values()]
    if unmapped:
        raise ChasError(f"{path}: dimension column(s) {unmapped!r} have no label map in config/hud_chas.yaml")
    absent = [h for h in wanted.values() if h not in dimension_headers]
    if absent:
        raise ChasError(f"{path}: the label map names column(s) {absent!r}, which the dictionary lacks")
    position = {h: i for i, h in enumerate(header) if h.strip()}
    rows: list[dict[str, str]] = []
    seen_columns: dict[str, int] = {}
    seen_variables: dict[str, tuple[int, str]] = {}
    prefix: str | None = None
    for fields in reader:
        line = reader.line_num
        if not any(f.strip() for f in fields):
            continue  # HUD's sheets end in blank rows
        if len(fields) < len(header) or any(f.strip() for f in fields[len(header) :]):
            raise ChasError(f"{path}: row {line} has {len(fields)} fields, header has {len(header)}")
        if any(fields[i].strip() for i, h in enumerate(header) if not h.strip()):
            raise ChasError(f"{path}: row {line} has a value under an unnamed column")
        column = fields[0].strip()
        match = _DATA_COLUMN.match(column)
        if not match or match["kind"] != "est":
            raise ChasError(f"{path}: row {line} field Column Name has value {column!r}; expected e.g. 'T9_est1'")
        if prefix is None:
            prefix = match["table"]
        elif match["table"] != prefix:
            raise ChasError(f"{path}: row {line} field Column Name has value {column!r}; other rows are table {prefix}")
        if column in seen_columns:
            raise ChasError(f"{path}: row {line} repeats column {column} (first on row {seen_columns[column]})")
        seen_columns[column] = line
        line_type = fields[1].strip()
        if line_type not in LINE_TYPES:
            raise ChasError(f"{path}: row {line} ({column}) field Line_Type has value {line_type!r}")
        codes: dict[str, str] = {}
        labels: list[str] = []
        for dim, spec in label_map.items():
            label = fields[position[spec["header"]]].strip()
            if label not in spec["labels"]:
                raise ChasError(
                    f"{path}: row {line} ({column}) field {spec['header']} has unknown label {label!r}; "
                    f"config/hud_chas.yaml knows {sorted(spec['labels'])!r}"
                )
            codes[dim] = spec["labels"][label]
            labels.append(label)
        variable = "_".join(codes.values())
        if variable in seen_variables:
            other_line, other_column = seen_variables[variable]
            raise ChasError(
                f"{path}: row {line} ({column}) gets variable {variable!r}, already given to {other_column} on row "
                f"{other_line}: the label map does not tell them apart"
            )
        seen_variables[variable] = (line, column)
        rows.append(
            {
                "hud_column": column,
                "moe_column": f"T{prefix}_moe{match['n']}",
                "line_type": line_type,
                "variable": variable,
                "label": " | ".join(labels),
                **codes,
            }
        )
    if not rows:
        raise ChasError(f"{path}: the dictionary lists no columns")
    return pl.DataFrame(rows, schema={**DICTIONARY_SCHEMA, **dict.fromkeys(label_map, pl.String)})


def parse_chas_table(
    path: Path, table: int, dictionary: pl.DataFrame, *, missing_markers: Mapping[str, str] | None = None
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
    out: dict[str, list[Any]] = {
        k: [] for k in ("variable", "hud_column", "geoid", "geo_name", "estimate", "moe", "annotation")
    }
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
        geo_name = fields[index["name"]].strip()
        for hud_column, moe_column, variable, est_at, moe_at in specs:
            estimate, est_reason = _value(record, hud_column, fields[est_at], markers)
            moe, moe_reason = _value(record, moe_column, fields[moe_at], markers)
            reasons = [r for r in (est_reason, f"moe {moe_reason}" if moe_reason else None) if r]
            out["variable"].append(variable)
            out["hud_column"].append(hud_column)
            out["geoid"].append(geoid)
            out["geo_name"].append(geo_name)
            out["estimate"].append(estimate)
            out["moe"].append(moe)
            out["annotation"].append("; ".join(reasons) if reasons else None)
    if release is None:
        raise ChasError(f"{path}: the file has a header but no records")
    found = _RELEASE.match(release[0])
    assert found is not None  # checked on the first record
    frame = pl.DataFrame(out, schema={k: TABLE_SCHEMA[k] for k in out})
    return frame.select(
        pl.lit(found["end"]).alias("vintage"),
        pl.lit(f"{found['start']}-{found['end']}").alias("period"),
        pl.lit(f"hud_chas/table{table}").alias("dataset"),
        pl.col("variable"),
        pl.col("hud_column"),
        pl.lit("county").alias("geo_level"),
        pl.col("geoid", "geo_name", "estimate", "moe", "annotation"),
        pl.lit(str(path)).alias("source_file"),
        pl.lit(hashlib.sha256(body).hexdigest()).alias("source_sha256"),
    )


def chas_live_files(zip_path: Path, landing_dir: Path, tables: Iterable[int] | Mapping[int, str]) -> dict[int, Path]:
    """Extract the tables' CSVs from a landed HUD zip into ``landing_dir``; return table number -> landed path.

    ``tables`` maps each table number to its member file name (``ChasTableSpec.member``); plain table numbers
    use HUD's layout, ``Table<N>.csv``. A member is found by file name (case-insensitive) in whatever folder the
    zip keeps it; none or more than one match is a ChasError listing what the zip holds. Each lands as
    ``<stem>.<sha256[:16]>.csv`` with a ``.meta.json`` sidecar naming the zip (and its sha256) and member, like
    every landed file: an existing landed file of that name has the same bytes and is left alone.
    """
    zip_path = Path(zip_path)
    members_by_table = dict(tables) if isinstance(tables, Mapping) else {n: f"Table{n}.csv" for n in tables}
    zip_sha256 = _sha256_file(zip_path)
    try:
        archive = zipfile.ZipFile(zip_path)
    except zipfile.BadZipFile as exc:
        raise ChasError(f"{zip_path}: not a zip archive ({exc})") from None
    landed: dict[int, Path] = {}
    with archive:
        members = [
            info.filename
            for info in archive.infolist()
            if not info.is_dir() and not info.filename.startswith("__MACOSX/")
        ]
        for table, name in members_by_table.items():
            matches = [m for m in members if PurePosixPath(m).name.lower() == name.lower()]
            if len(matches) != 1:
                listed = ", ".join(members[:30]) + (f" and {len(members) - 30} more" if len(members) > 30 else "")
                found = "no member" if not matches else f"{len(matches)} members ({', '.join(matches)})"
                raise ChasError(
                    f"{zip_path}: table {table}: {found} named {name}; the zip holds: {listed or 'nothing'}"
                )
            body = archive.read(matches[0])
            digest = hashlib.sha256(body).hexdigest()
            stem, suffix = PurePosixPath(name).stem, PurePosixPath(name).suffix or ".csv"
            target = Path(landing_dir) / f"{stem}.{digest[:16]}{suffix}"
            _write_once(target, body)
            meta = {
                "zip": str(zip_path),
                "zip_sha256": zip_sha256,
                "member": matches[0],
                "sha256": digest,
                "bytes": len(body),
                "extracted_at": datetime.now(UTC).isoformat(timespec="seconds"),
            }
            meta_path = target.with_name(target.name + ".meta.json")
            if not meta_path.exists():
                _write_once(meta_path, json.dumps(meta, indent=2).encode())
            landed[table] = target
    return landed


# --- helpers ------------------------------------------------------------------------------------------------------


def _check_label_map(label_map: Any, where: str) -> None:
    """A label map is {dimension code: {header: str, labels: {label: code}}} with lower-case codes."""
    if not isinstance(label_map, Mapping) or not label_map:
        raise ConfigError(f"{where}: label_map must be a non-empty mapping of dimension -> header and labels")
    headers: list[str] = []
    for dim, spec in label_map.items():
        if not isinstance(dim, str) or not _CODE.match(dim):
            raise ConfigError(f"{where}: label_map dimension {dim!r} must be a lower-case code")
        if not isinstance(spec, Mapping) or not isinstance(spec.get("header"), str) or not spec["header"]:
            raise ConfigError(f"{where}: label_map dimension {dim} needs `header` (the dictionary's column name)")
        labels = spec.get("labels")
        if not isinstance(labels, Mapping) or not labels:
            raise ConfigError(f"{where}: label_map dimension {dim} needs `labels` (dictionary label -> code)")
        for label, code in labels.items():
            if not isinstance(label, str) or not isinstance(code, str) or not _CODE.match(code):
                raise ConfigError(f"{where}: label_map dimension {dim} label {label!r} has code {code!r}")
        headers.append(spec["header"])
    if len(set(headers)) != len(headers):
        raise ConfigError(f"{where}: label_map names a dictionary column twice ({headers!r})")


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
        match = _DATA_COLUMN.match(column)
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
    if not _NUMBER.match(value):
        raise ChasError(f"{record} field {field} has value {raw!r}")
    return float(value), None


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _write_once(target: Path, body: bytes) -> None:
    """Write through a temporary file and rename, never over an existing file (same name means same bytes)."""
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(body)
        Path(tmp_name).replace(target)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
