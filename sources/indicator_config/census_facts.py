"""config/census_api.yaml: facts about Census API responses the SQL models need as data (controlled MOEs,
open-ended medians, estimate/MOE suffixes per dataset)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import polars as pl

from sources.core.config_io import load_yaml
from sources.core.errors import ConfigError


def load_census_facts(path: Path) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(controlled_moe_variables, census_datasets, open_ended_values) frames."""
    census = load_yaml(path)
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
    return controlled, datasets, _load_open_ended_values(census.get("open_ended_values") or [], path)


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
