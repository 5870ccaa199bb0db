"""The code location loads, validates with Dagster's own command, and its graph is what the SQL says."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from assets.settings import PROJECT_ROOT, SQL_DIR
from assets.sql_models import discover_models


def test_dg_check_defs_loads_the_code_location_without_warnings(tmp_path: Path) -> None:
    """`make validate`: Dagster's current tooling (dg, configured in pyproject.toml's [tool.dg]) loads the code
    location, and says nothing on stderr (`dagster definitions validate` warned that it is superseded by dg)."""
    env = {
        **os.environ,
        "DAGSTER_HOME": str(tmp_path),
        "GX_ANALYTICS_ENABLED": "false",
        "SDOH_DATA_DIR": str(tmp_path / "data"),
        "VIRTUAL_ENV": str(PROJECT_ROOT / ".venv"),  # as `make validate` sets it: dg warns when it is another venv
    }
    (tmp_path / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    dg = Path(sys.executable).parent / "dg"
    result = subprocess.run(
        [str(dg), "check", "defs"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All definitions loaded successfully." in result.stdout
    assert result.stderr == ""


def test_dg_and_the_workspace_file_name_the_same_code_location() -> None:
    import tomllib

    import yaml

    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["tool"]["dg"]["project"]
    [entry] = yaml.safe_load((PROJECT_ROOT / "workspace.yaml").read_text())["load_from"]
    module = entry["python_module"]
    assert (project["code_location_target_module"], project["code_location_name"]) == (
        module["module_name"],
        module["location_name"],
    )


def test_asset_graph_and_sql_dependencies(tmp_path: Path) -> None:
    from assets.settings import settings_from_env
    from pipelines.definitions import build_definitions

    defs = build_definitions(settings_from_env({"SDOH_DATA_DIR": str(tmp_path)}))
    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert keys == {
        "census_api_raw",
        "wa_doh_life_expectancy_raw",
        "cdc_places_raw",
        "hud_chas_raw",
        "cdc_svi_raw",
        "ref_county_geoids",
        "geo_boundaries",
        "ref_tract_relationship",
        "xwalk_tract_areas",
        "seed_indicators",
        "seed_indicator_variables",
        "seed_race_ethnicity_groups",
        "seed_reliability_rules",
        "seed_controlled_moe_variables",
        "seed_open_ended_values",
        "seed_census_datasets",
        "seed_ach_regions",
        "seed_ach_region_members",
        "seed_neighborhoods",
        "seed_tribal_data_policy",
        "seed_population_weights",
        "seed_allocation_rules",
        "seed_svi_theme_variables",
        "seed_svi_ranking_scopes",
        "seed_disparity_settings",
        "seed_disparity_group_sets",
        "seed_disparity_reference_groups",
        "seed_indicator_unavailable_groups",
        "seed_source_identities",
        "int_svi_ranks",
        "fct_disparities",
        "stg_census_api__estimates",
        "stg_wa_doh__life_expectancy",
        "stg_cdc_places__estimates",
        "stg_hud_chas__estimates",
        "stg_cdc_svi__estimates",
        "int_source_estimates",
        "int_indicator_components",
        "int_geo_allocation",
        "int_indicator_components_aggregated",
        "int_source_identities",
        "int_indicator_quality_notes",
        "int_indicator_values",
        "fct_indicator_values",
        "dim_indicator_catalog",
        "dim_geographies",
        "dim_groups",
        "rpt_map_features",
        "rpt_tribal_data_policy",
        "rpt_source_periods",
        "published_release",
        "ach_profiles",
    }
    # Every table a SQL model reads is produced by an asset of the graph (no dangling edge).
    for model in discover_models(SQL_DIR):
        for table in model.upstream:
            assert table.split(".")[1] in keys, f"{model.path} reads {table}, which no asset produces"
    fct = graph.get(next(k for k in graph.get_all_asset_keys() if k.to_user_string() == "fct_indicator_values"))
    assert {p.to_user_string() for p in fct.parent_keys} == {"int_indicator_values", "seed_tribal_data_policy"}
    values = graph.get(next(k for k in graph.get_all_asset_keys() if k.to_user_string() == "int_indicator_values"))
    assert {p.to_user_string() for p in values.parent_keys} == {
        "int_indicator_components",
        "int_indicator_components_aggregated",
        "geo_boundaries",
        "ref_county_geoids",
        "seed_reliability_rules",
        "seed_indicators",
        "seed_indicator_unavailable_groups",
        "int_indicator_quality_notes",
    }
    stacked = graph.get(next(k for k in graph.get_all_asset_keys() if k.to_user_string() == "int_source_estimates"))
    staging = {k for k in keys if k.startswith("stg_")}
    assert {p.to_user_string() for p in stacked.parent_keys} == staging | {"int_svi_ranks"}  # union_models
    checks = {k.to_user_string() for k in graph.asset_check_keys}
    assert checks == {
        "census_api_raw:gx_census_api_raw",
        "stg_census_api__estimates:gx_stg_census_api__estimates",
        "stg_wa_doh__life_expectancy:gx_stg_wa_doh__life_expectancy",
        "int_geo_allocation:gx_int_geo_allocation",
        "stg_cdc_places__estimates:gx_stg_cdc_places__estimates",
        "stg_hud_chas__estimates:gx_stg_hud_chas__estimates",
        "stg_cdc_svi__estimates:gx_stg_cdc_svi__estimates",
        "seed_ach_region_members:gx_seed_ach_region_members",
        "int_source_estimates:gx_int_source_estimates__coverage",
        "int_source_estimates:gx_int_source_estimates__domains",
        "int_source_identities:gx_int_source_identities",
        "int_source_estimates:gx_int_source_estimates__vintage_geographies",
        "fct_indicator_values:gx_fct_indicator_values",
        "fct_indicator_values:gx_fct_indicator_values__coverage",
        "dim_geographies:gx_dim_geographies",
        "fct_disparities:gx_fct_disparities",
        # non-blocking freshness of the vintage-partitioned sources (config/operations.yaml `freshness`)
        "census_api_raw:newest_vintage_is_recent",
        "cdc_places_raw:newest_vintage_is_recent",
        "cdc_svi_raw:newest_vintage_is_recent",
        "hud_chas_raw:newest_vintage_is_recent",
    }


def test_code_location_import_stays_light() -> None:
    """great_expectations, geopandas and the equity profiles' renderers (altair, vl-convert, matplotlib) are imported
    only where used, not when the UI loads definitions."""
    heavy = ("great_expectations", "geopandas", "altair", "vl_convert", "matplotlib")
    code = f"import sys, pipelines.definitions; print([m for m in {heavy!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr
