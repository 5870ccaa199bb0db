"""Release layer: publish the checked marts as a new immutable release and refresh the published DuckDB file."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from assets.provenance import SOURCE_FILES_KEY
from assets.publish.map_export import write_map_exports
from assets.publish.release_writer import PUBLISHED_DB, rebuild_published_db, write_release
from assets.resources import SdohSources
from assets.settings import EXPECTATIONS_DIR, SQL_DIR
from assets.source_registry import SOURCE_ASSET_KEYS
from expectations.gx_checks import suite_check_keys
from sources.core.hashing import sha256_file


def _verified_checks(context: dg.AssetExecutionContext) -> list[str]:
    """Refuse to publish unless every check of the whole graph passed on the materialization it is about to publish.

    Asked of the Dagster instance, not assumed from this run: for each check of the code location, its latest
    evaluation must not be a blocking (ERROR) failure, and it must have evaluated the asset's latest
    materialization (a check that ran on an older table proves nothing about the one published). A run that
    selects this asset alone publishes only when every table it reads was checked that way; otherwise it fails,
    naming each check and what to run. Returns the checks that passed, for the manifest.
    """
    keys = sorted(suite_check_keys(EXPECTATIONS_DIR), key=lambda k: k.to_user_string())
    records = context.instance.event_log_storage.get_latest_asset_check_execution_by_key(keys)
    problems, passed = [], []
    for key in keys:
        record = records.get(key)
        event = record.event.dagster_event if record is not None and record.event is not None else None
        evaluation = event.event_specific_data if event is not None else None
        name = key.to_user_string()
        if not isinstance(evaluation, dg.AssetCheckEvaluation):
            problems.append(f"{name} has never run")
            continue
        if not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR:
            problems.append(f"{name} failed: {evaluation.description or 'see the check in the UI'}")
            continue
        latest = context.instance.fetch_materializations(key.asset_key, limit=1).records
        target = evaluation.target_materialization_data
        if latest and (target is None or target.storage_id != latest[0].storage_id):
            problems.append(f"{name} checked an older materialization of {key.asset_key.to_user_string()}")
            continue
        passed.append(name)
    if problems:
        raise dg.Failure(
            "not publishing: every check must have passed on the tables being published; "
            + "; ".join(problems)
            + ". Materialize the whole graph (make run, or the build_and_publish_release job)",
        )
    return passed


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
    checks_passed = _verified_checks(context)  # first: nothing is read or written for an unchecked release
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
            "checks_passed": checks_passed,
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
