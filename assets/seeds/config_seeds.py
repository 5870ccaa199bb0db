"""Seeds: the project's config/*.yaml loaded into the warehouse so SQL models can join against them."""

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from assets.warehouse import replace_table, table_metadata
from pipelines.settings import CONFIG_DIR
from sources.project_config import load_project_config

SEEDS = {
    "seed_indicators": "Indicator catalog entries from config/indicators.yaml (label, unit, direction, universe, source).",
    "seed_indicator_variables": (
        "One row per indicator x vintage x dataset x geography level x state x group x role x ACS variable, "
        "expanded from config/indicators.yaml."
    ),
    "seed_race_ethnicity_groups": "Race/ethnicity group vocabulary from config/race_ethnicity_groups.yaml.",
    "seed_reliability_rules": "CV thresholds, suppression minimums and confidence level from config/reliability.yaml.",
    "seed_controlled_moe_variables": "Variables whose null MOE in the snapshot is the API's -555555555 (controlled), from config/census_api.yaml.",
}


@dg.multi_asset(
    specs=[dg.AssetSpec(name, group_name="seeds", kinds={"duckdb"}, description=text) for name, text in SEEDS.items()],
)
def config_seeds(warehouse: DuckDBResource):
    """Load every config seed; a config error stops the run here with the file and field named."""
    config = load_project_config(CONFIG_DIR)
    rules = config.reliability
    frames = {
        "seed_indicators": config.indicators,
        "seed_indicator_variables": config.indicator_variables,
        "seed_race_ethnicity_groups": config.groups,
        "seed_reliability_rules": pl.DataFrame(
            {
                "high_below_cv_pct": [float(rules["reliability"]["high_below_cv_pct"])],
                "low_above_cv_pct": [float(rules["reliability"]["low_above_cv_pct"])],
                "min_denominator": [float(rules["suppression"]["min_denominator"])],
                "min_numerator": [float(rules["suppression"]["min_numerator"])],
                "acs_level": [float(rules["confidence"]["acs_level"])],
                "z_90": [float(rules["confidence"]["z_90"])],
            }
        ),
        "seed_controlled_moe_variables": config.controlled_moe_variables,
    }
    with warehouse.get_connection() as con:
        for name, frame in frames.items():
            replace_table(con, f"seeds.{name}", frame)
            yield dg.MaterializeResult(asset_key=name, metadata=table_metadata(con, f"seeds.{name}"))
