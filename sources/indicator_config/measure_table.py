"""Measure tables in config/indicators.yaml: one row per source measure, expanded into ordinary indicator entries.

A source that publishes many measures the same way (CDC PLACES: a prevalence per measure, crude and age-adjusted,
with 95% limits) is configured as one ``measure_table`` entry of the ``indicators`` list instead of two hand-written
entries per measure. :func:`expand_measure_tables` replaces that entry, where it stands in the list, with one entry
per measure x value type, with exactly the fields a hand-written entry has, so everything after it (the checks in
``check.py``, the catalog and variable spec in ``expand.py``) cannot tell the two apart.

Per row: ``measure`` (the source's measure code; the variables read are ``<measure lower-cased><variable_suffix>``),
``id`` (the first value type's indicator id; each value type appends its ``suffix``), ``label`` and ``short``
(the source's own texts), ``universe``, ``direction``, ``vintages`` (``{release: data year}``: the year of the
measure in each release that publishes it), optional ``note``. Table-wide: ``source``, ``releases``
(``{release: scope}``), ``dataset``, ``geo_level``, ``unit``, ``moe``, ``method`` (default ``direct``),
``year_name`` (what a release's data year is called in ``source``, e.g. BRFSS), ``description`` (a template
naming row fields, e.g. ``{measure}``, ``{short}``) and ``value_types`` (``suffix``,
``variable_suffix``, ``label_suffix``, ``text``, ``aggregation``, ``aggregation_note``).
"""

from __future__ import annotations

import re
from typing import Any

from sources.core.errors import ConfigError

TABLE_KEY = "measure_table"
TABLE_FIELDS = ("source", "releases", "dataset", "geo_level", "unit", "moe", "description", "value_types", "measures")
ROW_FIELDS = ("measure", "id", "label", "short", "universe", "direction", "vintages")
VALUE_TYPE_FIELDS = ("suffix", "variable_suffix", "label_suffix", "text", "aggregation")
_MEASURE = re.compile(r"[A-Z][A-Z0-9_]*")


def expand_measure_tables(entries: list[Any], path: object) -> list[Any]:
    """The ``indicators`` list with every ``measure_table`` entry replaced, in place, by the entries it stands for."""
    out: list[Any] = []
    for entry in entries:
        if isinstance(entry, dict) and TABLE_KEY in entry:
            out.extend(measure_table_entries(entry, f"{path}: {TABLE_KEY} {entry.get(TABLE_KEY)!r}"))
        else:
            out.append(entry)
    return out


def measure_table_entries(table: dict[str, Any], where: str) -> list[dict[str, Any]]:
    """The indicator entries of one measure table (crude and age-adjusted per PLACES measure, for instance)."""
    for field in TABLE_FIELDS:
        if table.get(field) in (None, "", [], {}):
            raise ConfigError(f"{where} has no `{field}`")
    for value_type in table["value_types"]:
        missing = [f for f in VALUE_TYPE_FIELDS if f not in value_type]
        if missing:
            raise ConfigError(f"{where} value type {value_type!r} lacks {missing}")
    releases = {str(k): str(v) for k, v in table["releases"].items()}
    year_name = str(table.get("year_name") or "data year")
    seen: set[str] = set()
    entries = []
    for n, row in enumerate(table["measures"], start=1):
        rwhere = f"{where} row #{n} ({row.get('measure')!r})" if isinstance(row, dict) else f"{where} row #{n}"
        if not isinstance(row, dict):
            raise ConfigError(f"{rwhere}: expected a mapping with fields {ROW_FIELDS}")
        for field in ROW_FIELDS:
            if not row.get(field):
                raise ConfigError(f"{rwhere} has no `{field}`")
        measure = str(row["measure"])
        if not _MEASURE.fullmatch(measure):
            raise ConfigError(f"{rwhere} field `measure` has value {measure!r}; expected the source's code, e.g. CHD")
        if measure in seen:
            raise ConfigError(f"{rwhere}: measure {measure} is listed twice")
        seen.add(measure)
        vintages = {str(k): str(v) for k, v in row["vintages"].items()}
        unknown = sorted(set(vintages) - set(releases))
        if unknown:
            raise ConfigError(f"{rwhere} field `vintages` names releases {unknown} not in the table's `releases`")
        for year in vintages.values():
            if not re.fullmatch(r"\d{4}", year):
                raise ConfigError(f"{rwhere} field `vintages` has value {year!r}; expected a 4-digit year")
        source = f"{table['source']}: " + "; ".join(
            f"{release} release ({year_name} {vintages[release]}), {scope}"
            for release, scope in releases.items()
            if release in vintages
        )
        note = " ".join(str(row.get("note") or "").split())
        fields = {str(k): str(v) for k, v in row.items() if not isinstance(v, (dict, list))}
        try:
            described = str(table["description"]).format(**fields)
        except KeyError as exc:
            raise ConfigError(f"{rwhere}: `description` names field {exc} that the row does not have") from None
        for value_type in table["value_types"]:
            measurement = {
                "vintages": sorted(set(vintages.values())),
                "dataset": table["dataset"],
                "geo_level": table["geo_level"],
                "method": table.get("method", "direct"),
                "moe": table["moe"],
                "aggregation": value_type["aggregation"],
                "groups": {"total": {"value": [measure.lower() + str(value_type["variable_suffix"])]}},
            }
            if value_type.get("aggregation_note"):
                measurement["aggregation_note"] = value_type["aggregation_note"]
            entries.append(
                {
                    "id": f"{row['id']}{value_type['suffix']}",
                    "label": f"{row['label']}{value_type['label_suffix']}",
                    "description": " ".join(
                        part for part in (f"{row['label']}: {value_type['text']}.", note, described) if part
                    ),
                    "unit": table["unit"],
                    "direction": row["direction"],
                    "universe": row["universe"],
                    "source": source,
                    "measurements": [measurement],
                }
            )
    return entries
