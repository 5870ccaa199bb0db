"""HUD's CHAS data dictionary: column name -> variable code, built from the dictionary's labels and the label map."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import polars as pl

from sources.hud_chas.parse import DATA_COLUMN, DICTIONARY_KEY_COLUMNS, DICTIONARY_SCHEMA, LINE_TYPES, ChasError
from sources.hud_chas.spec import check_label_map


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
    check_label_map(label_map, f"label map for {path}")
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
        match = DATA_COLUMN.match(column)
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
