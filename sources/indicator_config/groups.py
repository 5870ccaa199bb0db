"""config/race_ethnicity_groups.yaml: the race/ethnicity group vocabulary every indicator and disparity uses."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from sources.core.config_io import load_yaml
from sources.core.errors import ConfigError


def load_groups(path: Path) -> pl.DataFrame:
    """One row per group: group_id, group_label, iteration (the ACS race-iteration letter), includes_hispanic,
    parent_group_id (the broader group a detailed group belongs to, else null), sort_order (the config's order)."""
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
                "parent_group_id": r.get("parent"),
                "sort_order": n,
            }
            for n, r in enumerate(rows, start=1)
        ],
        schema_overrides={"iteration": pl.String, "parent_group_id": pl.String},
    )
    dupes = frame.group_by("group_id").len().filter(pl.col("len") > 1)
    if dupes.height:
        raise ConfigError(f"{path}: group id {dupes['group_id'][0]!r} is defined twice")
    known = set(frame["group_id"])
    for row in frame.filter(pl.col("parent_group_id").is_not_null()).iter_rows(named=True):
        if row["parent_group_id"] not in known or row["parent_group_id"] == row["group_id"]:
            raise ConfigError(
                f"{path}: group {row['group_id']!r} field parent has value {row['parent_group_id']!r}, "
                "which is not another group's id"
            )
    return frame
