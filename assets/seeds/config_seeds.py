"""Seeds: the project's config/*.yaml loaded into the warehouse so SQL models can join against them."""

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from assets.resources import SdohSources
from assets.warehouse import replace_table, table_metadata
from sources.census_geo import read_tribes_by_area
from sources.geo_config import check_tribal_approvals, load_geo_config
from sources.indicator_config import load_disparity_settings, load_project_config, load_svi_themes

SEEDS = {
    "seed_indicators": "Indicator catalog entries from config/indicators.yaml (label, unit, direction, universe, source).",
    "seed_indicator_variables": (
        "One row per indicator x vintage x dataset x geography level x state x group x role x variable, "
        "expanded from config/indicators.yaml."
    ),
    "seed_race_ethnicity_groups": "Race/ethnicity group vocabulary from config/race_ethnicity_groups.yaml.",
    "seed_reliability_rules": "CV thresholds, suppression minimums and confidence levels from config/reliability.yaml.",
    "seed_controlled_moe_variables": "Variables whose null MOE in the snapshot is the API's -555555555 (controlled), from config/census_api.yaml.",
    "seed_open_ended_values": "Published values that stand for an open-ended interval (B19013's 2499 and 250001), from config/census_api.yaml.",
    "seed_census_datasets": "Per Census dataset: variable suffixes for estimate and MOE, and whether values carry sampling error (config/census_api.yaml).",
    "seed_ach_regions": "ACH regions from config/ach_regions.yaml: id, name, state, geo_vintage (the region definition's year), example flag, built from counties or neighborhoods.",
    "seed_ach_region_members": "The counties or neighborhoods that make up each ACH region (config/ach_regions.yaml).",
    "seed_neighborhoods": "User-drawn neighborhoods from the GeoJSON files listed in config/ach_regions.yaml (id, name, example flag, file).",
    "seed_tribal_data_policy": (
        "Tribal areas approved for publication and the tribal government that approved each "
        "(config/tribal_data_policy.yaml); every other tribal area is withheld."
    ),
    "seed_population_weights": "The Census variable that gives tract population for each tract geography vintage (config/geographies.yaml).",
    "seed_allocation_rules": "Sliver and population-coverage thresholds for tract allocation (config/geographies.yaml).",
    "seed_svi_theme_variables": "SVI theme membership per release (config/svi.yaml): which EP_ variables each theme sums, and which rank reversed.",
    "seed_disparity_settings": (
        "How disparities are measured (config/disparities.yaml): reliable-reference and eligible reliabilities, "
        "minimum groups and population coverage of the summaries, significance z."
    ),
    "seed_disparity_group_sets": "Group sets that partition the population, within which disparity summaries are computed (config/disparities.yaml).",
    "seed_disparity_reference_groups": (
        "The fixed reference group of each group set, and per-indicator overrides (config/disparities.yaml)."
    ),
    "seed_svi_ranking_scopes": "Scopes the SVI is ranked in (config/svi.yaml): national (all U.S. counties) and/or state.",
    "seed_indicator_unavailable_groups": (
        "Groups an indicator's source has no value for in some vintages, with the reason (config/indicators.yaml "
        "`unavailable_groups`): published as rows without a value that say why."
    ),
    "seed_source_identities": (
        "Arithmetic identities between published numbers (config/checks.yaml `race_iteration_identities`, "
        "`sum_identities`): one row per identity x term, with the tolerances."
    ),
}


@dg.multi_asset(
    specs=[dg.AssetSpec(name, group_name="seeds", kinds={"duckdb"}, description=text) for name, text in SEEDS.items()],
    can_subset=True,
)
def config_seeds(context: dg.AssetExecutionContext, sdoh: SdohSources, warehouse: DuckDBResource):
    """Load the selected config seeds (all of them in a whole-graph run). The whole configuration is read and checked
    whatever the selection: a config error stops the run here with the file and field named."""
    config_dir = sdoh.config_path
    config = load_project_config(config_dir)
    geo = load_geo_config(config_dir)
    check_tribal_approvals(geo, read_tribes_by_area(sdoh.settings.snapshot_dir), config_dir / "tribal_data_policy.yaml")
    rules = config.reliability
    svi_themes, svi_scopes = load_svi_themes(config_dir)
    disparity_settings, disparity_group_sets, disparity_reference_groups = load_disparity_settings(config_dir)
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
                "z_95": [float(rules["confidence"]["z_95"])],
            }
        ),
        "seed_controlled_moe_variables": config.controlled_moe_variables,
        "seed_open_ended_values": config.open_ended_values,
        "seed_census_datasets": config.census_datasets,
        "seed_ach_regions": geo.regions,
        "seed_ach_region_members": geo.region_members,
        "seed_neighborhoods": pl.DataFrame(
            [
                {
                    "neighborhood_id": n.neighborhood_id,
                    "name": n.name,
                    "example": n.example,
                    "source_file": n.source_file,
                }
                for n in geo.neighborhoods
            ],
            schema={"neighborhood_id": pl.String, "name": pl.String, "example": pl.Boolean, "source_file": pl.String},
        ),
        "seed_tribal_data_policy": geo.tribal_policy,
        "seed_population_weights": geo.population_weights,
        "seed_allocation_rules": geo.allocation_rules,
        "seed_svi_theme_variables": svi_themes,
        "seed_svi_ranking_scopes": svi_scopes,
        "seed_disparity_settings": disparity_settings,
        "seed_disparity_group_sets": disparity_group_sets,
        "seed_disparity_reference_groups": disparity_reference_groups,
        "seed_indicator_unavailable_groups": config.unavailable_groups,
        "seed_source_identities": config.identities.drop("request_vintages"),
    }
    with warehouse.get_connection() as con:
        selected = {key.to_user_string() for key in context.selected_asset_keys}
        for name, frame in frames.items():
            if name not in selected:
                continue
            replace_table(con, f"seeds.{name}", frame)
            yield dg.MaterializeResult(asset_key=name, metadata=table_metadata(con, f"seeds.{name}"))
