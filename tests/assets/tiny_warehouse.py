"""A GENERATED, hand-made warehouse shaped like the real one's marts and seeds, small enough to publish in well under
a second: what the release lifecycle tests (write-audit-publish, retention, concurrency) publish from.

Every number here is made up for the tests and marked so in the tables (geo names read "GENERATED ..."). Two
indicators (a percent with numerator and denominator, a dollar median), two counties and one ACH region, two
groups, one vintage; ``extra_counties`` adds generated counties to make a bigger table (for the crash test).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import duckdb
import polars as pl

from assets.settings import CONFIG_DIR, Settings

INDICATORS = {"poverty_rate": "percent", "median_household_income": "dollars"}
REGION = "test-ach"
ROW_SCHEMA = {
    "indicator_id": pl.String,
    "geo_type": pl.String,
    "geoid": pl.String,
    "group_id": pl.String,
    **{c: pl.Float64 for c in ("numerator", "numerator_moe", "denominator", "denominator_moe")},
    **{c: pl.Float64 for c in ("estimate", "moe", "ci_low", "ci_high")},
}


def value_rows(extra_counties: int = 0) -> list[dict]:
    """Indicator values (hand arithmetic: poverty_rate = 100 * numerator / denominator)."""
    geos = [("county", "99001"), ("county", "99003"), ("ach", REGION)]
    geos += [("county", f"98{i:03d}") for i in range(extra_counties)]
    rows = []
    for geo_type, geoid in geos:
        for group_id, num, den, income in (("total", 120.0, 1000.0, 55000.0), ("hispanic", 45.0, 300.0, 41000.0)):
            rows.append(
                {
                    "indicator_id": "poverty_rate",
                    "geo_type": geo_type,
                    "geoid": geoid,
                    "group_id": group_id,
                    "numerator": num,
                    "numerator_moe": 20.0,
                    "denominator": den,
                    "denominator_moe": 30.0,
                    "estimate": 100 * num / den,
                    "moe": 2.0,
                    "ci_low": 100 * num / den - 2.0,
                    "ci_high": 100 * num / den + 2.0,
                }
            )
            rows.append(
                {
                    "indicator_id": "median_household_income",
                    "geo_type": geo_type,
                    "geoid": geoid,
                    "group_id": group_id,
                    "numerator": None,
                    "numerator_moe": None,
                    "denominator": None,
                    "denominator_moe": None,
                    "estimate": income,
                    "moe": 1500.0,
                    "ci_low": income - 1500.0,
                    "ci_high": income + 1500.0,
                }
            )
    return rows


def build_tiny_warehouse(path: Path, rows: list[dict] | None = None) -> Path:
    """Write the marts and seeds the publish step reads into a new DuckDB file at ``path``."""
    rows = value_rows() if rows is None else rows
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    con = duckdb.connect(str(path))
    try:
        con.execute("create schema marts; create schema seeds")
        frame = pl.DataFrame(rows, schema=ROW_SCHEMA)  # noqa: F841 - read by name below
        con.execute(
            """
            create table marts.fct_indicator_values as
            select
                indicator_id, '2018-2022' as vintage, 2018 as period_start_year, 2022 as period_end_year,
                geo_type, '2020' as geo_vintage, geoid,
                'GENERATED ' || geoid as geo_name, group_id,
                numerator, numerator_moe, denominator, denominator_moe, estimate, moe, ci_low, ci_high,
                90.0 as ci_level, 10.0 as cv, 'high' as reliability, false as suppressed,
                null::varchar as suppression_reason, null::varchar as estimate_note, 'GENERATED test row' as method,
                'acs' as moe_kind, null::varchar as moe_method, null::varchar as aggregated_by
            from frame
            """
        )
        con.execute(
            "create table marts.dim_indicator_catalog as select * from (values "
            + ", ".join(f"('{i}', '{u}', 'GENERATED', 'lower_is_better')" for i, u in INDICATORS.items())
            + ") t(indicator_id, unit, label, direction)"
        )
        con.execute(
            f"""
            create table marts.dim_geographies as
            select distinct geo_type, '2020' as geo_vintage, geoid, geo_name as name, '99' as state_fips,
                'GENERATED state' as state_name,
                case when geo_type = 'county' then geoid end as county_geoid,
                case when geo_type = 'county' then geo_name end as county_name,
                '{REGION}' as ach_id, 'GENERATED region' as ach_name, null::varchar as map_layer
            from marts.fct_indicator_values
            """
        )
        con.execute(
            """
            create table marts.fct_disparities as
            select indicator_id, vintage, geo_type, geo_vintage, geoid, 'race' as group_set, 'group' as row_type,
                group_id, 'total' as reference_group, estimate / 12.0 as rate_ratio
            from marts.fct_indicator_values where indicator_id = 'poverty_rate'
            """
        )
        con.execute(
            "create table marts.dim_groups as select * from (values ('total', 'All people (GENERATED)', 1), "
            "('white_nh', 'White alone, not Hispanic or Latino (GENERATED)', 2)) t(group_id, group_label, sort_order)"
        )
        con.execute(
            "create table seeds.seed_indicators as select * from (values "
            + ", ".join(f"('{i}')" for i in INDICATORS)
            + ") t(indicator_id)"
        )
        con.execute(f"create table seeds.seed_ach_regions as select '{REGION}' as ach_id")
        con.execute(
            "create table seeds.seed_neighborhoods (neighborhood_id varchar, name varchar, source_file varchar)"
        )
    finally:
        con.close()
    return path


def tiny_settings(base: Settings, folder: Path, keep_last: int | None = None) -> Settings:
    """Settings for a working folder ``folder`` (its own config copy when the retention is changed)."""
    settings = replace(base, data_dir=folder / "data", writer_lock_wait_seconds=30.0)
    if keep_last is not None:
        import shutil

        config = folder / "config"
        shutil.copytree(CONFIG_DIR, config)
        text = (config / "releases.yaml").read_text()
        (config / "releases.yaml").write_text(text.replace("keep_last: 10", f"keep_last: {keep_last}"))
        settings = replace(settings, config_dir=config)
    return settings


def publish_tiny(settings: Settings, provenance: dict | None = None, **kwargs):
    """Publish the working folder's warehouse through the real write-audit-publish code (no Dagster)."""
    from assets.publish.publishing import publish_from_warehouse

    con = duckdb.connect(str(settings.warehouse_path))
    try:
        return publish_from_warehouse(
            con, settings, provenance or {"mode": "GENERATED test"}, log=lambda _: None, **kwargs
        )
    finally:
        con.close()
