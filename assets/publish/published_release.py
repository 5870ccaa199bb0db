"""Release layer: publish the checked marts as a new immutable release and refresh the published DuckDB file."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from assets.publish.release_writer import PUBLISHED_DB, rebuild_published_db, sha256_file, write_release
from pipelines.resources import SdohSettings
from pipelines.settings import CONFIG_DIR


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
    deps=["fct_indicator_values", "dim_indicator_catalog", "census_api_raw"],
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
            "select distinct source_file, source_sha256 from raw.census_api_raw order by source_file"
        ).fetchall()
        acs_vintages = [
            r[0]
            for r in con.execute("select distinct period from staging.stg_census_api__estimates order by 1").fetchall()
        ]
        provenance = {
            "mode": settings.mode,
            "vintages": {"acs": acs_vintages, "places": None, "chas": None},
            "source_root": "snapshot (SDOH_SNAPSHOT_DIR)" if settings.mode == "snapshot" else "landed (data/raw)",
            "source_files": [{"path": p, "sha256": h} for p, h in sources],
            "config_files": {p.name: sha256_file(p) for p in sorted(CONFIG_DIR.glob("*.yaml"))},
            "checks_passed": _checks_passed_in_run(context),
        }
        release = write_release(con, settings.published_dir, provenance)
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
            "source_files": len(sources),
            "acs_vintages": ", ".join(acs_vintages),
            "code_version": release.manifest["code_version"],
        }
    )
