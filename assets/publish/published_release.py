"""Release layer: publish the checked marts as a new immutable release and refresh the published DuckDB file."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from assets.provenance import SOURCE_FILES_KEY
from assets.publish.map_export import write_map_exports
from assets.publish.release_writer import PUBLISHED_DB, rebuild_published_db, write_release
from assets.resources import SdohSources
from assets.settings import SQL_DIR
from assets.source_registry import SOURCE_ASSET_KEYS
from sources.core.hashing import sha256_file


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


MART_KEYS = tuple(dg.AssetKey(p.stem) for p in sorted((SQL_DIR / "marts").glob("*.sql")))


@dg.asset(
    group_name="publish",
    kinds={"duckdb", "parquet"},
    deps=[*MART_KEYS, *SOURCE_ASSET_KEYS],
    description=(
        "A new versioned release: data/published/releases/<release_id>/ (Parquet per table, manifest.json with "
        "row counts and sha256 of every file and source) and data/published/sdoh_published.duckdb rebuilt from "
        "all releases and swapped in atomically. Runs only after every blocking check upstream has passed. The "
        "manifest's source files come from the latest materialization of every asset in assets/source_registry.py."
    ),
)
def published_release(
    context: dg.AssetExecutionContext, sdoh: SdohSources, warehouse: DuckDBResource
) -> dg.MaterializeResult:
    settings = sdoh.settings
    sources = _source_files(context)
    with warehouse.get_connection() as con:
        periods = con.execute("select source, periods, releases from marts.rpt_source_periods").fetchall()
        vintages_by_source = {source: list(p) for source, p, _ in periods}
        places_releases = next((list(r) for source, _, r in periods if r is not None), [])
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
            "source_root": sdoh.files.origin,
            "source_files": sources,
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


def _source_files(context: dg.AssetExecutionContext) -> list[dict[str, str]]:
    """Every file the source-reading assets read, from their latest materializations (path and sha256, sorted)."""
    found: dict[str, str] = {}
    for key in SOURCE_ASSET_KEYS:
        event = context.instance.get_latest_materialization_event(key)
        entry = (
            event.asset_materialization.metadata.get(SOURCE_FILES_KEY)
            if event and event.asset_materialization
            else None
        )
        if entry is None:
            raise dg.Failure(
                f"not publishing: {key.to_user_string()} has no materialization recording its source files; "
                "materialize it first (make run materializes everything)"
            )
        for row in entry.value:
            found[row["path"]] = row["sha256"]
    return [{"path": p, "sha256": h} for p, h in sorted(found.items())]


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
