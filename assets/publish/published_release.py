"""Release layer: publish the checked marts as a new immutable release and refresh the published DuckDB file."""

from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from assets.publish.map_export import write_map_exports
from assets.publish.release_writer import PUBLISHED_DB, rebuild_published_db, sha256_file, write_release
from pipelines.resources import SdohSettings


def _checks_passed_in_run(context: dg.AssetExecutionContext) -> list[str]:
    """Refuse to publish unless every data check ran in this same run and passed.

    Blocking checks already stop this asset when they fail; this also stops a run that selected the publish
    asset alone, whose upstream tables may have failed their checks in an earlier run.
    """
    expected = set(context.job_def.asset_layer.asset_graph.asset_check_keys)
    evaluations = {}
    for entry in context.instance.all_logs(context.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION):
        evaluation = entry.dagster_event.event_specific_data
        blocking_failure = not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR
        evaluations[evaluation.asset_check_key] = not blocking_failure
    missing = sorted(k.to_user_string() for k in expected if k not in evaluations)
    failed = sorted(k.to_user_string() for k, ok in evaluations.items() if not ok)
    if missing or failed:
        raise dg.Failure(
            "not publishing: every data check must run and pass in the same run as the release "
            f"(failed: {failed or 'none'}; not run: {missing or 'none'}). Materialize the whole graph: make run",
        )
    return sorted(k.to_user_string() for k in evaluations)


@dg.asset(
    group_name="publish",
    kinds={"duckdb", "parquet"},
    deps=[
        "fct_indicator_values",
        "dim_indicator_catalog",
        "dim_geographies",
        "fct_disparities",
        "rpt_map_features",
        "rpt_tribal_data_policy",
        "census_api_raw",
        "wa_doh_life_expectancy_raw",
        "stg_cdc_places__estimates",
        "cdc_places_raw",
        "hud_chas_raw",
        "cdc_svi_raw",
        "geo_boundaries",
    ],
    description=(
        "A new versioned release: data/published/releases/<release_id>/ (Parquet per table, manifest.json with "
        "row counts and sha256 of every file and source) and data/published/sdoh_published.duckdb rebuilt from "
        "all releases and swapped in atomically. Runs only after every blocking check upstream has passed."
    ),
)
def published_release(
    context: dg.AssetExecutionContext, sdoh: SdohSettings, warehouse: DuckDBResource
) -> dg.MaterializeResult:
    settings = sdoh.settings
    with warehouse.get_connection() as con:
        sources = con.execute(
            """
            select distinct source_file, source_sha256 from raw.census_api_raw
            union
            select distinct source_file, source_sha256 from raw.wa_doh_life_expectancy_raw
            union
            select distinct source_file, source_sha256 from raw.cdc_places_raw
            union
            select distinct source_file, source_sha256 from raw.hud_chas_raw
            union
            select distinct source_file, source_sha256 from raw.cdc_svi_raw
            order by source_file
            """
        ).fetchall()
        boundary_files = [
            r[0]
            for r in con.execute("select distinct source_file from geographies.geo_boundaries order by 1").fetchall()
        ]
        vintages = con.execute(
            """
            select
                case when dataset like 'acs/%' then 'acs' when dataset like 'dec/%' then 'decennial_census'
                     else split_part(dataset, '/', 1) end as source,
                list(distinct period order by period)
            from intermediate.int_source_estimates
            group by 1
            order by 1
            """
        ).fetchall()
        vintages_by_source = {source: periods for source, periods in vintages}
        places_releases = [
            r[0]
            for r in con.execute("select distinct release from staging.stg_cdc_places__estimates order by 1").fetchall()
        ]
        acs_vintages = vintages_by_source.get("acs", [])
        provenance = {
            "mode": settings.mode,
            "vintages": {
                **vintages_by_source,
                "places": places_releases,
                "chas": ", ".join(vintages_by_source.get("hud_chas", [])) or None,
            },
            "vintages_note": (
                "This release mixes source periods (see `vintages`): every indicator_values row carries its own "
                "`vintage`, and indicator_catalog lists each indicator's periods and whether they differ. Compare "
                "values of the same indicator and period; PLACES years are BRFSS model years of the named releases."
            ),
            "source_root": "snapshot (SDOH_SNAPSHOT_DIR)" if settings.mode == "snapshot" else "landed (data/raw)",
            "source_files": [{"path": p, "sha256": h} for p, h in sources]
            + [{"path": _shown(p, settings), "sha256": _sha_if_file(p, settings)} for p in boundary_files],
            "tribal_data_policy": _tribal_policy_summary(con),
            "config_files": {
                str(p.relative_to(settings.config_dir)): sha256_file(p)
                for p in sorted(settings.config_dir.rglob("*"))
                if p.is_file()
            },
            "checks_passed": _checks_passed_in_run(context),
        }
        release = write_release(con, settings.published_dir, provenance, exporter=write_map_exports)
    context.log.info(f"wrote release {release.release_id} to {release.path}")
    db = rebuild_published_db(settings.published_dir)
    context.log.info(f"published {db}")
    tables = release.manifest["tables"]
    return dg.MaterializeResult(
        metadata={
            "release_id": release.release_id,
            "release_path": dg.MetadataValue.path(str(release.path)),
            "published_db": dg.MetadataValue.path(str(settings.published_dir / PUBLISHED_DB)),
            "indicator_values_rows": tables["indicator_values"]["rows"],
            "indicator_catalog_rows": tables["indicator_catalog"]["rows"],
            "geographies_rows": tables["geographies"]["rows"],
            "map_exports": dg.MetadataValue.json(release.manifest["exports"]),
            "tribal_data_policy": dg.MetadataValue.json(release.manifest["tribal_data_policy"]),
            "source_files": len(sources),
            "acs_vintages": ", ".join(acs_vintages),
            "code_version": release.manifest["code_version"],
        }
    )


def _tribal_policy_summary(con) -> dict:
    """What the tribal-data policy withheld in this release (counts, never the withheld values)."""
    rows = con.sql("select * from marts.rpt_tribal_data_policy order by aiannh_geoid").pl()
    published = rows.filter(rows["status"] == "published")
    return {
        "default": "withhold",
        "policy_file": "config/tribal_data_policy.yaml",
        "areas_computed": rows.height,
        "areas_published": published.height,
        "areas_withheld": rows.height - published.height,
        "indicator_rows_withheld": int(rows["rows_withheld"].sum() or 0),
        "approved_areas": [
            {k: r[k] for k in ("aiannh_geoid", "name", "approved_by", "approval_reference", "approved_on")}
            for r in published.iter_rows(named=True)
        ],
    }


def _shown(path: str, settings) -> str:
    """A boundary file's path relative to the snapshot (or landing folder), as the other source files are shown."""
    for root in (settings.snapshot_dir, settings.landing_dir, settings.config_dir.parent):
        try:
            return str(Path(path.removeprefix("zip://").split("!")[0]).resolve().relative_to(Path(root).resolve()))
        except ValueError:
            continue
    return path


def _sha_if_file(path: str, settings) -> str | None:
    candidate = Path(path.removeprefix("zip://").split("!")[0])
    if not candidate.is_absolute():
        candidate = settings.config_dir.parent / candidate
    return sha256_file(candidate) if candidate.is_file() else None
