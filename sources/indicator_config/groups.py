"""config/race_ethnicity_groups.yaml: the race/ethnicity group vocabulary every indicator and disparity uses."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from sources.core.config_io import load_yaml
from sources.core.errors import ConfigError


def load_groups(path: Path) -> pl.DataFrame:
    """One row per group: group_id, group_label, iteration (the ACS race-iteration letter), includes_hispanic."""
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
