"""config/disparities.yaml: how disparities are measured (reference rule, eligibility, group sets)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from sources.core.config_io import load_yaml
from sources.core.errors import ConfigError
from sources.indicator_config.groups import load_groups


def load_disparity_settings(config_dir: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """config/disparities.yaml: one row of settings, and (group_set, group_id) membership."""
    path = Path(config_dir) / "disparities.yaml"
    raw = load_yaml(path)
    groups = {r["group_id"] for r in load_groups(Path(config_dir) / "race_ethnicity_groups.yaml").iter_rows(named=True)}
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
