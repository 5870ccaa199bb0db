"""The project's indicator configuration (config/*.yaml): read, checked, expanded into tidy frames for the seeds.

``check`` validates config/indicators.yaml into typed measurements; ``expand`` turns them into the catalog and the
variable spec; ``groups``, ``census_facts``, ``svi_themes`` and ``disparities`` read the other files. No Dagster
import; no agency module imports this package (the Census request plan lives in ``sources/census_api/plan.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from sources.core.config_io import load_yaml
from sources.core.errors import ConfigError
from sources.indicator_config.census_facts import load_census_facts
from sources.indicator_config.check import check_indicators
from sources.indicator_config.disparities import load_disparity_settings
from sources.indicator_config.expand import catalog_frame, unavailable_groups_frame, variable_spec
from sources.indicator_config.groups import load_groups
from sources.indicator_config.identities import load_identities
from sources.indicator_config.svi_themes import load_svi_themes


@dataclass(frozen=True)
class ProjectConfig:
    groups: pl.DataFrame
    indicators: pl.DataFrame
    indicator_variables: pl.DataFrame
    reliability: dict[str, Any]
    controlled_moe_variables: pl.DataFrame
    census_datasets: pl.DataFrame
    open_ended_values: pl.DataFrame
    unavailable_groups: pl.DataFrame
    identities: pl.DataFrame


def load_project_config(config_dir: Path) -> ProjectConfig:
    config_dir = Path(config_dir)
    groups = load_groups(config_dir / "race_ethnicity_groups.yaml")
    iteration = {r["group_id"]: r["iteration"] for r in groups.iter_rows(named=True)}
    path = config_dir / "indicators.yaml"
    indicators = check_indicators(path, iteration)
    reliability = load_yaml(config_dir / "reliability.yaml")
    controlled, datasets, open_ended = load_census_facts(config_dir / "census_api.yaml")
    return ProjectConfig(
        groups,
        catalog_frame(indicators),
        variable_spec(indicators, str(path)),
        reliability,
        controlled,
        datasets,
        open_ended,
        unavailable_groups_frame(indicators),
        load_identities(config_dir / "checks.yaml"),
    )


__all__ = [
    "ConfigError",
    "ProjectConfig",
    "load_disparity_settings",
    "load_project_config",
    "load_svi_themes",
    "load_yaml",
]
