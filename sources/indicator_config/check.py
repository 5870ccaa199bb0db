"""Check config/indicators.yaml: every indicator and measurement against its contract, before anything is expanded.

A definition that names an unknown group, role, method or MOE kind is a :class:`ConfigError` naming the file, the
indicator, the measurement and the field. The result is a list of checked, typed measurements that
:mod:`sources.indicator_config.expand` turns into rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sources.core.config_io import load_yaml
from sources.core.errors import ConfigError
from sources.indicator_config.measure_table import expand_measure_tables

METHODS = {"direct": ("value",), "count": ("value",), "proportion": ("numerator", "denominator")}
# published: the source publishes a 90% MOE (ACS); not_published: estimates only (reliability unknown);
# census_count: a decennial count, no sampling error (MOE 0); published_ci95: the source publishes 95% limits;
# not_applicable: a value this pipeline computes that has no sampling MOE (a percentile rank).
MOE_KINDS = ("published", "not_published", "census_count", "published_ci95", "not_applicable")
AGGREGATIONS = ("sum", "population_weighted_mean", "none")
DIRECTIONS = ("lower_is_better", "higher_is_better", "neutral")
CATALOG_FIELDS = ("label", "description", "unit", "direction", "universe", "source")
# Census API datasets name variables like B19013_001 or S1701_C03_001; other sources use lower_snake names.
_CENSUS_DATASET_PREFIXES = ("acs/", "dec/")
_CENSUS_VARIABLE = re.compile(r"^[A-Z]{1,3}\d{1,6}[A-Z]{0,2}(_(C\d{2}_)?\d{3,4})?$")
_OTHER_VARIABLE = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class Measurement:
    """One checked measurement: where an indicator's numbers come from for some vintages, and how to compute them."""

    dataset: str
    table: str | None
    geo_level: str
    vintages: tuple[str, ...]
    places: tuple[tuple[str | None, str | None], ...]  # (state, county) filters
    roles_by_group: dict[str, dict[str, list[str]]]  # group id -> role -> signed variable ids
    method: str
    moe_kind: str
    aggregation: str
    aggregation_note: str | None
    scale: float
    unavailable_groups: dict[str, str]  # group id -> why the source has no value for it (published as such)


@dataclass(frozen=True)
class Indicator:
    """One checked indicator: its catalog fields and measurements."""

    indicator_id: str
    fields: dict[str, str]
    measurements: tuple[Measurement, ...]


def check_indicators(path: Path, iteration: dict[str, str | None]) -> list[Indicator]:
    """Read and check config/indicators.yaml; ``iteration`` maps each group id to its race-iteration letter."""
    raw = load_yaml(path)
    entries = raw.get("indicators") if isinstance(raw, dict) else None
    if not entries:
        raise ConfigError(f"{path}: expected a top-level `indicators` list")
    entries = expand_measure_tables(entries, path)  # a `measure_table` entry stands for one entry per measure
    seen: set[str] = set()
    checked = []
    for entry in entries:
        ind = entry.get("id")
        where = f"{path}: indicator {ind!r}"
        if not ind or not re.fullmatch(r"[a-z][a-z0-9_]*", ind):
            raise ConfigError(f"{path}: indicator id {ind!r} must be lower_snake_case")
        if ind in seen:
            raise ConfigError(f"{where} is defined twice")
        seen.add(ind)
        for field in (*CATALOG_FIELDS, "measurements"):
            if not entry.get(field):
                raise ConfigError(f"{where} has no `{field}`")
        if entry["direction"] not in DIRECTIONS:
            raise ConfigError(
                f"{where} field `direction` has value {entry['direction']!r}; expected one of {DIRECTIONS}"
            )
        measurements = tuple(
            _check_measurement(m, iteration, f"{where} measurement #{n}")
            for n, m in enumerate(entry["measurements"], start=1)
        )
        checked.append(Indicator(ind, {f: entry[f] for f in CATALOG_FIELDS}, measurements))
    return checked


def _check_measurement(m: dict[str, Any], iteration: dict[str, str | None], mwhere: str) -> Measurement:
    method = m.get("method")
    if method not in METHODS:
        raise ConfigError(f"{mwhere} field `method` has value {method!r}; expected one of {list(METHODS)}")
    if m.get("moe") not in MOE_KINDS:
        raise ConfigError(f"{mwhere} field `moe` has value {m.get('moe')!r}; expected one of {MOE_KINDS}")
    aggregation = m.get("aggregation", "none" if method == "direct" else "sum")
    if aggregation not in AGGREGATIONS:
        raise ConfigError(f"{mwhere} field `aggregation` has value {aggregation!r}; expected one of {AGGREGATIONS}")
    if method == "direct" and aggregation == "sum":
        raise ConfigError(f"{mwhere}: a published rate or median cannot be aggregated by summing")
    if aggregation == "none" and method == "direct" and not m.get("aggregation_note"):
        raise ConfigError(f"{mwhere}: say why it is not aggregated in `aggregation_note`")
    places = _places(m, mwhere)
    roles_by_group = _expand_groups(m, iteration, mwhere)
    unavailable = _unavailable_groups(m, iteration, roles_by_group, mwhere)
    vintages = []
    for vintage in m.get("vintages") or []:
        if not re.fullmatch(r"\d{4}", str(vintage)):
            raise ConfigError(f"{mwhere} field `vintages` has value {vintage!r}; expected a 4-digit year")
        vintages.append(str(vintage))
    census = str(m.get("dataset", "")).startswith(_CENSUS_DATASET_PREFIXES)
    for group_id, roles in roles_by_group.items():
        missing = [r for r in METHODS[method] if not roles.get(r)]
        extra = [r for r in roles if r not in METHODS[method]]
        if vintages and (missing or extra):
            raise ConfigError(
                f"{mwhere} group {group_id!r}: method {method} needs roles {METHODS[method]}, got {sorted(roles)}"
            )
        for role, names in roles.items():
            for signed in names:
                variable = signed.lstrip("-")
                if not (_CENSUS_VARIABLE if census else _OTHER_VARIABLE).match(variable):
                    raise ConfigError(f"{mwhere} group {group_id!r} role {role}: bad variable id {variable!r}")
    return Measurement(
        dataset=m["dataset"],
        table=str(m["table"]) if m.get("table") else None,
        geo_level=m["geo_level"],
        vintages=tuple(vintages),
        places=tuple(places),
        roles_by_group=roles_by_group,
        method=method,
        moe_kind=m["moe"],
        aggregation=aggregation,
        aggregation_note=" ".join(str(m.get("aggregation_note") or "").split()) or None,
        scale=float(m.get("scale", 1)),
        unavailable_groups=unavailable,
    )


def _unavailable_groups(
    m: dict[str, Any], iteration: dict[str, str | None], defined: dict[str, Any], where: str
) -> dict[str, str]:
    """`unavailable_groups`: group id -> the reason the source has no value for that group in these vintages (a
    table missing from the source, no all-races table); the pipeline publishes a row with no value and the reason."""
    raw = m.get("unavailable_groups") or {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{where} field `unavailable_groups` must map group ids to reasons")
    out = {}
    for group_id, reason in raw.items():
        if group_id not in iteration:
            raise ConfigError(f"{where} field `unavailable_groups` names unknown group {group_id!r}")
        if group_id in defined:
            raise ConfigError(f"{where}: group {group_id!r} is both defined and listed in `unavailable_groups`")
        text = " ".join(str(reason or "").split())
        if not text:
            raise ConfigError(f"{where} field `unavailable_groups` gives no reason for group {group_id!r}")
        out[group_id] = text
    return out


def _places(m: dict[str, Any], where: str) -> list[tuple[str | None, str | None]]:
    """(state, county) filters of a measurement: `counties` (5-digit FIPS) for tract data, else `states`."""
    counties = [str(c) for c in m.get("counties") or []]
    for county in counties:
        if not re.fullmatch(r"\d{5}", county):
            raise ConfigError(f"{where} field `counties` has value {county!r}; expected a quoted 5-digit FIPS")
    if counties:
        return [(c[:2], c) for c in counties]
    states = [str(s) for s in m.get("states") or []]
    for state in states:
        if not re.fullmatch(r"\d{2}", state):
            raise ConfigError(f"{where} field `states` has value {state!r}; expected a quoted 2-digit FIPS")
    if m.get("geo_level") == "tract" and not states:
        raise ConfigError(f"{where}: tract data need `states` or `counties` (the Census API answers tracts by state)")
    return [(s, None) for s in states] or [(None, None)]


def _expand_groups(m: dict[str, Any], iteration: dict[str, str | None], where: str) -> dict[str, dict[str, list[str]]]:
    """Group id -> role -> variables, from explicit `groups`, a `template`, and `total_from_groups`."""
    out: dict[str, dict[str, list[str]]] = {}
    for group_id, roles in (m.get("groups") or {}).items():
        if group_id not in iteration:
            raise ConfigError(f"{where} names unknown group {group_id!r}")
        out[group_id] = {role: list(names) for role, names in roles.items()}
    template = m.get("template") or {}
    for group_id in m.get("template_groups") or []:
        if group_id not in iteration:
            raise ConfigError(f"{where} field `template_groups` names unknown group {group_id!r}")
        letter = iteration[group_id]
        uses_letter = any("{iteration}" in t for names in template.values() for t in names)
        if uses_letter and not letter:
            raise ConfigError(f"{where}: group {group_id!r} has no race-iteration letter, so `template` cannot apply")
        if group_id in out:
            raise ConfigError(f"{where}: group {group_id!r} is both explicit and templated")
        out[group_id] = {
            role: [t.format(iteration=letter, group=group_id) for t in names] for role, names in template.items()
        }
    parts = m.get("total_from_groups")
    if parts:
        if "total" in out:
            raise ConfigError(f"{where}: `total_from_groups` given but group 'total' is also defined")
        total: dict[str, list[str]] = {}
        for group_id in parts:
            if group_id not in out:
                raise ConfigError(f"{where} field `total_from_groups` names group {group_id!r} that is not defined")
            for role, names in out[group_id].items():
                total.setdefault(role, []).extend(names)
        out["total"] = total
    if not out:
        raise ConfigError(f"{where} defines no groups")
    return out
