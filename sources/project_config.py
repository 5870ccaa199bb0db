"""The project's own configuration files (config/*.yaml), read and checked, expanded into tidy frames.

Indicator definitions are data: this module turns them into the variable specification the SQL models join
against, and into the Census API request plan. A definition that names an unknown group, role or method is a
clear error naming the file, the indicator and the field. No Dagster import.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from sources.census_api import CensusRequest, plan_calls

METHODS = {"direct": ("value",), "count": ("value",), "proportion": ("numerator", "denominator")}
# published: the source publishes a 90% MOE (ACS); not_published: estimates only (reliability unknown);
# census_count: a decennial count, no sampling error (MOE 0); published_ci95: the source publishes 95% limits;
# not_applicable: a value this pipeline computes that has no sampling MOE (a percentile rank).
MOE_KINDS = ("published", "not_published", "census_count", "published_ci95", "not_applicable")
AGGREGATIONS = ("sum", "population_weighted_mean", "none")
DIRECTIONS = ("lower_is_better", "higher_is_better", "neutral")
CENSUS_DATASET_PREFIXES = ("acs/", "dec/")
_VARIABLE = re.compile(r"^[A-Z]{1,3}\d{1,6}[A-Z]{0,2}(_(C\d{2}_)?\d{3,4})?$")
_OTHER_VARIABLE = re.compile(r"^[a-z][a-z0-9_]*$")


def is_census_dataset(dataset: str) -> bool:
    return dataset.startswith(CENSUS_DATASET_PREFIXES)


class ConfigError(ValueError):
    """A configuration file breaks its contract; the message names the file, the entry and the field."""


def load_yaml(path: Path) -> Any:
    try:
        return yaml.safe_load(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"{path}: configuration file not found") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None


@dataclass(frozen=True)
class ProjectConfig:
    groups: pl.DataFrame
    indicators: pl.DataFrame
    indicator_variables: pl.DataFrame
    reliability: dict[str, Any]
    controlled_moe_variables: pl.DataFrame
    census_datasets: pl.DataFrame
    open_ended_values: pl.DataFrame

    def census_requests(self) -> list[CensusRequest]:
        """Every Census API call the indicators need, with estimate and (where published) MOE variables."""
        suffix = {r["dataset"]: r for r in self.census_datasets.iter_rows(named=True)}
        spec = self.indicator_variables.filter(
            pl.col("dataset").map_elements(is_census_dataset, return_dtype=pl.Boolean)
        )
        calls: list[CensusRequest] = []
        keys = ["vintage", "dataset", "geo_level", "state", "county", "table"]
        spec = spec.unique(["vintage", "dataset", "geo_level", "state", "county", "table", "variable", "request_moe"])
        for key, part in spec.sort(keys, nulls_last=False).group_by(keys, maintain_order=True):
            vintage, dataset, geo_level, state, county, table = key
            if dataset not in suffix:
                raise ConfigError(f"config/census_api.yaml: dataset {dataset!r} is not listed under `datasets`")
            variables: list[str] = []
            for row in part.sort("variable").iter_rows(named=True):
                variables.append(f"{row['variable']}{suffix[dataset]['estimate_suffix'] or ''}")
                if row["request_moe"]:
                    variables.append(f"{row['variable']}{suffix[dataset]['moe_suffix']}")
            calls.extend(
                plan_calls(
                    vintage, dataset, geo_level, table, variables, state=state, county=county[2:] if county else None
                )
            )
        return calls


def load_project_config(config_dir: Path) -> ProjectConfig:
    config_dir = Path(config_dir)
    groups = _load_groups(config_dir / "race_ethnicity_groups.yaml")
    indicators, variables = _load_indicators(config_dir / "indicators.yaml", groups)
    reliability = load_yaml(config_dir / "reliability.yaml")
    census = load_yaml(config_dir / "census_api.yaml")
    controlled = pl.DataFrame(
        census.get("controlled_moe_variables") or [],
        schema={"dataset": pl.String, "geo_level": pl.String, "variable": pl.String},
    )
    datasets = pl.DataFrame(
        [
            {
                "dataset": name,
                "estimate_suffix": spec.get("estimate_suffix") or "",
                "moe_suffix": spec.get("moe_suffix"),
                "sampling_error": bool(spec.get("sampling_error", True)),
            }
            for name, spec in (census.get("datasets") or {}).items()
        ],
        schema={
            "dataset": pl.String,
            "estimate_suffix": pl.String,
            "moe_suffix": pl.String,
            "sampling_error": pl.Boolean,
        },
    )
    open_ended = _load_open_ended_values(census.get("open_ended_values") or [], config_dir / "census_api.yaml")
    return ProjectConfig(groups, indicators, variables, reliability, controlled, datasets, open_ended)


def _load_open_ended_values(rows: list[dict[str, Any]], path: Path) -> pl.DataFrame:
    """Published values that stand for an open-ended interval (e.g. B19013's 250001 = "250,000+"), so staging can
    turn them into a missing estimate with its meaning instead of a number."""
    fields = ("dataset", "table_prefix", "code", "meaning")
    for n, row in enumerate(rows):
        missing = [f for f in fields if row.get(f) in (None, "")]
        if missing:
            raise ConfigError(f"{path}: open_ended_values entry #{n + 1} has no {', '.join(missing)}")
        if not isinstance(row["code"], (int, float)):
            raise ConfigError(f"{path}: open_ended_values entry #{n + 1}: code {row['code']!r} is not a number")
    return pl.DataFrame(
        [{f: (float(r[f]) if f == "code" else str(r[f])) for f in fields} for r in rows],
        schema={"dataset": pl.String, "table_prefix": pl.String, "code": pl.Float64, "meaning": pl.String},
    )


def _load_groups(path: Path) -> pl.DataFrame:
    raw = load_yaml(path)
    rows = raw.get("groups") if isinstance(raw, dict) else None
    if not rows:
        raise ConfigError(f"{path}: expected a top-level `groups` list")
    for n, row in enumerate(rows):
        for field in ("id", "label"):
            if not row.get(field):
                raise ConfigError(f"{path}: group #{n + 1} has no `{field}`")
    frame = pl.DataFrame(
        [
            {
                "group_id": r["id"],
                "group_label": r["label"],
                "iteration": r.get("iteration"),
                "includes_hispanic": bool(r.get("includes_hispanic", True)),
            }
            for r in rows
        ]
    )
    dupes = frame.group_by("group_id").len().filter(pl.col("len") > 1)
    if dupes.height:
        raise ConfigError(f"{path}: group id {dupes['group_id'][0]!r} is defined twice")
    return frame


def _load_indicators(path: Path, groups: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    raw = load_yaml(path)
    entries = raw.get("indicators") if isinstance(raw, dict) else None
    if not entries:
        raise ConfigError(f"{path}: expected a top-level `indicators` list")
    iteration = {r["group_id"]: r["iteration"] for r in groups.iter_rows(named=True)}
    catalog: list[dict[str, Any]] = []
    variables: list[dict[str, Any]] = []
    seen: set[str] = set()
    for entry in entries:
        ind = entry.get("id")
        where = f"{path}: indicator {ind!r}"
        if not ind or not re.fullmatch(r"[a-z][a-z0-9_]*", ind):
            raise ConfigError(f"{path}: indicator id {ind!r} must be lower_snake_case")
        if ind in seen:
            raise ConfigError(f"{where} is defined twice")
        seen.add(ind)
        for field in ("label", "description", "unit", "direction", "universe", "source", "measurements"):
            if not entry.get(field):
                raise ConfigError(f"{where} has no `{field}`")
        if entry["direction"] not in DIRECTIONS:
            raise ConfigError(
                f"{where} field `direction` has value {entry['direction']!r}; expected one of {DIRECTIONS}"
            )
        methods: set[str] = set()
        for m_no, m in enumerate(entry["measurements"], start=1):
            mwhere = f"{where} measurement #{m_no}"
            method = m.get("method")
            if method not in METHODS:
                raise ConfigError(f"{mwhere} field `method` has value {method!r}; expected one of {list(METHODS)}")
            methods.add(method)
            if m.get("moe") not in MOE_KINDS:
                raise ConfigError(f"{mwhere} field `moe` has value {m.get('moe')!r}; expected one of {MOE_KINDS}")
            aggregation = m.get("aggregation", "none" if method == "direct" else "sum")
            if aggregation not in AGGREGATIONS:
                raise ConfigError(
                    f"{mwhere} field `aggregation` has value {aggregation!r}; expected one of {AGGREGATIONS}"
                )
            if method == "direct" and aggregation == "sum":
                raise ConfigError(f"{mwhere}: a published rate or median cannot be aggregated by summing")
            if aggregation == "none" and method == "direct" and not m.get("aggregation_note"):
                raise ConfigError(f"{mwhere}: say why it is not aggregated in `aggregation_note`")
            census = is_census_dataset(str(m.get("dataset", "")))
            places = _places(m, mwhere)
            roles_by_group = _expand_groups(m, iteration, mwhere)
            for vintage in m.get("vintages") or []:
                if not re.fullmatch(r"\d{4}", str(vintage)):
                    raise ConfigError(f"{mwhere} field `vintages` has value {vintage!r}; expected a 4-digit year")
                for state, county in places:
                    for group_id, roles in roles_by_group.items():
                        missing = [r for r in METHODS[method] if not roles.get(r)]
                        extra = [r for r in roles if r not in METHODS[method]]
                        if missing or extra:
                            raise ConfigError(
                                f"{mwhere} group {group_id!r}: method {method} needs roles {METHODS[method]}, "
                                f"got {sorted(roles)}"
                            )
                        for role, names in roles.items():
                            for signed in names:
                                sign = -1.0 if signed.startswith("-") else 1.0
                                variable = signed.lstrip("-")
                                if not (_VARIABLE if census else _OTHER_VARIABLE).match(variable):
                                    raise ConfigError(
                                        f"{mwhere} group {group_id!r} role {role}: bad variable id {variable!r}"
                                    )
                                variables.append(
                                    {
                                        "indicator_id": ind,
                                        "vintage": str(vintage),
                                        "dataset": m["dataset"],
                                        "table": str(m.get("table") or variable.split("_")[0]),
                                        "geo_level": m["geo_level"],
                                        "state": state,
                                        "county": county,
                                        "group_id": group_id,
                                        "role": role,
                                        "variable": variable,
                                        "sign": sign,
                                        "method": method,
                                        "moe_kind": m["moe"],
                                        "moe_published": m["moe"] not in ("not_published", "not_applicable"),
                                        "request_moe": m["moe"] == "published",
                                        "scale": float(m.get("scale", 1)),
                                        "aggregation": aggregation,
                                        "aggregation_note": " ".join(str(m.get("aggregation_note") or "").split())
                                        or None,
                                    }
                                )
        catalog.append(
            {
                "indicator_id": ind,
                "label": entry["label"],
                "description": " ".join(str(entry["description"]).split()),
                "unit": entry["unit"],
                "direction": entry["direction"],
                "universe": entry["universe"],
                "source": entry["source"],
                "methods": ", ".join(sorted(methods)),
            }
        )
    spec = pl.DataFrame(
        variables, schema_overrides={"state": pl.String, "county": pl.String, "aggregation_note": pl.String}
    )
    key = ["indicator_id", "vintage", "dataset", "geo_level", "state", "county", "group_id", "role", "variable"]
    dupes = spec.group_by(key).len().filter(pl.col("len") > 1)
    if dupes.height:
        row = dupes.row(0, named=True)
        raise ConfigError(
            f"{path}: indicator {row['indicator_id']!r} lists {row['variable']} twice for {row['group_id']}"
        )
    return pl.DataFrame(catalog), spec


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


def load_svi_themes(config_dir: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """config/svi.yaml: (vintage, theme, variable, reverse) rows and the ranking scopes to compute."""
    path = Path(config_dir) / "svi.yaml"
    raw = load_yaml(path)
    scopes = raw.get("ranking_scopes") or []
    for scope in scopes:
        if scope not in ("national", "state"):
            raise ConfigError(f"{path}: field `ranking_scopes` has value {scope!r}; expected national or state")
    rows = []
    for vintage, themes in (raw.get("themes") or {}).items():
        if set(map(int, themes)) != {1, 2, 3, 4}:
            raise ConfigError(f"{path}: vintage {vintage!r} must define themes 1-4, got {sorted(themes)}")
        for theme, variables in themes.items():
            for entry in variables:
                spec = entry if isinstance(entry, dict) else {"variable": entry}
                variable = str(spec.get("variable", ""))
                if not re.fullmatch(r"ep_[a-z0-9]+", variable):
                    raise ConfigError(
                        f"{path}: vintage {vintage!r} theme {theme} has variable {variable!r}; expected ep_<name>"
                    )
                rows.append(
                    {
                        "vintage": str(vintage),
                        "theme": int(theme),
                        "variable": variable,
                        "reverse": bool(spec.get("reverse", False)),
                    }
                )
    themes_frame = pl.DataFrame(rows)
    dupes = themes_frame.group_by("vintage", "variable").len().filter(pl.col("len") > 1)
    if dupes.height:
        raise ConfigError(f"{path}: vintage {dupes['vintage'][0]!r} lists {dupes['variable'][0]} in two themes")
    return themes_frame, pl.DataFrame({"scope": [str(s) for s in scopes]}, schema={"scope": pl.String})


def load_disparity_settings(config_dir: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """config/disparities.yaml: one row of settings, and (group_set, group_id) membership."""
    path = Path(config_dir) / "disparities.yaml"
    raw = load_yaml(path)
    groups = {
        r["group_id"] for r in _load_groups(Path(config_dir) / "race_ethnicity_groups.yaml").iter_rows(named=True)
    }
    reference = str(raw.get("reference") or "most_favourable")
    if reference != "most_favourable" and reference not in groups:
        raise ConfigError(f"{path}: field `reference` has value {reference!r}; expected most_favourable or a group id")
    fallback = raw.get("fallback_reference")
    if fallback is not None and fallback not in groups:
        raise ConfigError(f"{path}: field `fallback_reference` has value {fallback!r}, which is not a group id")
    levels = _reliability_levels(raw, "eligible_reliability", path, default=["high", "medium", "unknown"])
    reference_levels = _reliability_levels(raw, "reference_reliability", path, default=["high", "medium"])
    outside = sorted(set(reference_levels) - set(levels))
    if outside:
        raise ConfigError(
            f"{path}: field `reference_reliability` has {outside}, which `eligible_reliability` does not allow"
        )
    min_groups = raw.get("min_groups_for_summary", 2)
    if not isinstance(min_groups, int) or isinstance(min_groups, bool) or min_groups < 2:
        raise ConfigError(f"{path}: field `min_groups_for_summary` has value {min_groups!r}; expected an integer >= 2")
    members = []
    for set_id, ids in (raw.get("group_sets") or {}).items():
        for group_id in ids:
            if group_id not in groups:
                raise ConfigError(f"{path}: group set {set_id!r} names unknown group {group_id!r}")
            members.append({"group_set": str(set_id), "group_id": group_id})
    settings = pl.DataFrame(
        {
            "reference": [reference],
            "fallback_reference": [fallback],
            "eligible_reliability": [levels],
            "reference_reliability": [reference_levels],
            "min_groups_for_summary": [min_groups],
            "significance_z": [float(raw.get("significance_z", 1.645))],
        },
        schema={
            "reference": pl.String,
            "fallback_reference": pl.String,
            "eligible_reliability": pl.List(pl.String),
            "reference_reliability": pl.List(pl.String),
            "min_groups_for_summary": pl.Int64,
            "significance_z": pl.Float64,
        },
    )
    return settings, pl.DataFrame(members)


def _reliability_levels(raw: dict[str, Any], field: str, path: Path, default: list[str]) -> list[str]:
    levels = [str(x) for x in (raw.get(field) if raw.get(field) is not None else default)]
    for level in levels:
        if level not in ("high", "medium", "low", "unknown"):
            raise ConfigError(f"{path}: field `{field}` has value {level!r}; expected high, medium, low or unknown")
    if not levels:
        raise ConfigError(f"{path}: field `{field}` is empty")
    return levels
