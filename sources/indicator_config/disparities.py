"""config/disparities.yaml: how disparities are measured (group sets, fixed reference groups, reliability rules,
summary thresholds). Every key is checked; an error names the file, the key and the value."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from sources.core.config_io import load_yaml
from sources.core.errors import ConfigError
from sources.indicator_config.groups import load_groups

RELIABILITIES = ("high", "medium", "low", "unknown")
KEYS = {
    "group_sets",
    "reference_groups",
    "reference_group_overrides",
    "reference_reliability",
    "eligible_reliability",
    "min_groups_for_summary",
    "min_population_coverage",
    "significance_z",
}
# keys of the old "most favourable group" reference, named so that an old config fails with a useful message
RETIRED = {
    "reference": "replaced by `reference_groups` (a fixed group per set) beside the total population",
    "fallback_reference": "removed: the fixed reference group is not replaced where it is unreliable, it is marked",
}


def load_disparity_settings(config_dir: Path) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """config/disparities.yaml as three seeds: one row of settings; (group_set, group_id) membership; and the fixed
    reference group per group set (indicator_id null) and per indicator override (indicator_id set)."""
    config_dir = Path(config_dir)
    path = config_dir / "disparities.yaml"
    raw = load_yaml(path) or {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping of settings, got {type(raw).__name__}")
    for key in raw:
        if key in RETIRED:
            raise ConfigError(f"{path}: key `{key}` is no longer read ({RETIRED[key]})")
        if key not in KEYS:
            raise ConfigError(f"{path}: unknown key `{key}`; expected one of {sorted(KEYS)}")
    groups = {r["group_id"] for r in load_groups(config_dir / "race_ethnicity_groups.yaml").iter_rows(named=True)}

    sets = raw.get("group_sets")
    if not isinstance(sets, dict) or not sets:
        raise ConfigError(f"{path}: key `group_sets` has value {sets!r}; expected a mapping of set id -> [group ids]")
    members: list[dict[str, str]] = []
    for set_id, ids in sets.items():
        if not isinstance(ids, list) or not ids:
            raise ConfigError(f"{path}: key `group_sets.{set_id}` has value {ids!r}; expected a list of group ids")
        for group_id in ids:
            if group_id not in groups or group_id == "total":
                raise ConfigError(f"{path}: key `group_sets.{set_id}` names unknown group {group_id!r}")
            members.append({"group_set": str(set_id), "group_id": str(group_id)})
    member_ids = {s: {str(g) for g in ids} for s, ids in sets.items()}

    references: list[dict[str, str | None]] = []
    defaults = raw.get("reference_groups")
    if not isinstance(defaults, dict):
        raise ConfigError(f"{path}: key `reference_groups` has value {defaults!r}; expected set id -> group id")
    for set_id in sets:
        if set_id not in defaults:
            raise ConfigError(f"{path}: key `reference_groups` has no reference group for group set {set_id!r}")
    for set_id, group_id in defaults.items():
        _check_member(path, f"reference_groups.{set_id}", set_id, group_id, member_ids)
        references.append({"indicator_id": None, "group_set": str(set_id), "reference_group": str(group_id)})

    overrides = raw.get("reference_group_overrides") or {}
    if not isinstance(overrides, dict):
        raise ConfigError(
            f"{path}: key `reference_group_overrides` has value {overrides!r}; expected indicator id -> {{set: group}}"
        )
    directions = _indicator_directions(config_dir)
    for indicator_id, per_set in overrides.items():
        key = f"reference_group_overrides.{indicator_id}"
        if indicator_id not in directions:
            raise ConfigError(f"{path}: key `{key}` names an indicator not in config/indicators.yaml")
        if directions[indicator_id] == "neutral":
            raise ConfigError(f"{path}: key `{key}`: {indicator_id!r} is a neutral indicator and has no disparities")
        if not isinstance(per_set, dict) or not per_set:
            raise ConfigError(f"{path}: key `{key}` has value {per_set!r}; expected group set -> group id")
        for set_id, group_id in per_set.items():
            _check_member(path, f"{key}.{set_id}", set_id, group_id, member_ids)
            references.append(
                {"indicator_id": str(indicator_id), "group_set": str(set_id), "reference_group": str(group_id)}
            )

    reference_levels = _reliability_levels(raw, "reference_reliability", path, default=["high"])
    levels = _reliability_levels(raw, "eligible_reliability", path, default=["high", "medium", "unknown"])
    min_groups = raw.get("min_groups_for_summary", 2)
    if not isinstance(min_groups, int) or isinstance(min_groups, bool) or min_groups < 2:
        raise ConfigError(f"{path}: key `min_groups_for_summary` has value {min_groups!r}; expected an integer >= 2")
    coverage = raw.get("min_population_coverage", 0.9)
    if not _number(coverage) or not 0 < coverage <= 1:
        raise ConfigError(f"{path}: key `min_population_coverage` has value {coverage!r}; expected a number in (0, 1]")
    z = raw.get("significance_z", 1.645)
    if not _number(z) or z <= 0:
        raise ConfigError(f"{path}: key `significance_z` has value {z!r}; expected a positive number")

    settings = pl.DataFrame(
        {
            "reference_reliability": [reference_levels],
            "eligible_reliability": [levels],
            "min_groups_for_summary": [min_groups],
            "min_population_coverage": [float(coverage)],
            "significance_z": [float(z)],
        },
        schema={
            "reference_reliability": pl.List(pl.String),
            "eligible_reliability": pl.List(pl.String),
            "min_groups_for_summary": pl.Int64,
            "min_population_coverage": pl.Float64,
            "significance_z": pl.Float64,
        },
    )
    reference_frame = pl.DataFrame(
        references, schema={"indicator_id": pl.String, "group_set": pl.String, "reference_group": pl.String}
    )
    return settings, pl.DataFrame(members), reference_frame


def _check_member(path: Path, key: str, set_id: Any, group_id: Any, member_ids: dict[Any, set[str]]) -> None:
    if set_id not in member_ids:
        raise ConfigError(f"{path}: key `{key}` names group set {set_id!r}, which `group_sets` does not define")
    if str(group_id) not in member_ids[set_id]:
        raise ConfigError(
            f"{path}: key `{key}` has value {group_id!r}, which is not a group of set {set_id!r} "
            f"({', '.join(sorted(member_ids[set_id]))})"
        )


def _indicator_directions(config_dir: Path) -> dict[str, str]:
    """indicator id -> direction, from config/indicators.yaml (validated in full by check_indicators)."""
    raw = load_yaml(config_dir / "indicators.yaml") or {}
    return {str(i.get("id")): str(i.get("direction")) for i in raw.get("indicators") or [] if isinstance(i, dict)}


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _reliability_levels(raw: dict[str, Any], field: str, path: Path, default: list[str]) -> list[str]:
    value = raw.get(field) if raw.get(field) is not None else default
    if not isinstance(value, list):
        raise ConfigError(f"{path}: key `{field}` has value {value!r}; expected a list of {', '.join(RELIABILITIES)}")
    levels = [str(x) for x in value]
    for level in levels:
        if level not in RELIABILITIES:
            raise ConfigError(f"{path}: key `{field}` has value {level!r}; expected high, medium, low or unknown")
    if not levels:
        raise ConfigError(f"{path}: key `{field}` is empty")
    return levels
