"""Release layer: write-audit-publish. The checked marts become a new immutable release only when every check passed
on exactly the tables being published and the staged release passes its own audit; then the published DuckDB file
is rebuilt and swapped in. Anything else is refused, recorded in the ledger, and the latest release stays as it was.
"""

from functools import partial
from typing import Any

import dagster as dg
from dagster_duckdb import DuckDBResource

from assets.asset_attributes import apply_attributes
from assets.build_graph import ancestors, build_assets, parents_by_asset
from assets.provenance import SOURCE_FILES_KEY
from assets.publish.map_export import write_map_exports
from assets.publish.publishing import AuditFailed, PublishOutcome, publish_from_warehouse
from assets.publish.release_store import append_ledger
from assets.publish.release_writer import PUBLISHED_DB
from assets.raw.freshness import freshness_check_keys
from assets.resources import SdohSources
from assets.settings import EXPECTATIONS_DIR, SQL_DIR
from assets.source_registry import SOURCE_ASSET_KEYS
from assets.writer_lock import hold_writer_lock
from expectations.gx_checks import suite_check_keys
from sources.core.hashing import sha256_file

WHAT_TO_RUN = "Materialize the whole graph (make run, or the build_and_publish_release job in the UI)"


class Refused(dg.Failure):
    """The publish step refused: nothing was written, the latest release is unchanged."""


def _latest_materializations(context: dg.AssetExecutionContext) -> dict[dg.AssetKey, Any]:
    """The latest materialization record (or None) of every asset upstream of the release, asked of the instance once
    for both the lineage and the checks."""
    upstream = ancestors(set(context.assets_def.asset_deps[context.asset_key]))
    latest = {}
    for key in sorted(upstream, key=str):
        records = context.instance.fetch_materializations(key, limit=1).records
        latest[key] = records[0] if records else None
    return latest


def _lineage(latest: dict[dg.AssetKey, Any]) -> tuple[list[dict[str, Any]], list[str]]:
    """Every asset upstream of the release has a materialization newer than each of its inputs' latest ones.

    Asked of the Dagster instance. If a source was materialized again after the tables built from it (for example a
    raw asset selected alone in the UI), the marts no longer come from the source files the manifest would list, so
    publishing refuses and names the assets to rebuild. Returns each upstream asset's latest materialization (for
    the manifest) and the problems found.
    """
    parents = parents_by_asset()
    problems, found = [], []
    for key, record in latest.items():
        name = key.to_user_string()
        if record is None:
            problems.append(f"{name} has never been materialized")
            continue
        found.append(
            {
                "asset": name,
                "run_id": record.run_id,
                "storage_id": record.storage_id,
                "materialized_at": record.timestamp,
            }
        )
        for parent in sorted(parents.get(key, ()), key=lambda k: k.to_user_string()):
            parent_record = latest.get(parent)
            # Timestamps, not storage ids: SQLite instances number events per run, so ids from two runs do not order.
            if parent_record is not None and parent_record.timestamp > record.timestamp:
                problems.append(
                    f"{name} is older than its input {parent.to_user_string()} (materialized again since); "
                    f"rebuild what {parent.to_user_string()} feeds"
                )
    return found, problems


def _checks(
    context: dg.AssetExecutionContext, latest: dict[dg.AssetKey, Any]
) -> tuple[list[dict[str, Any]], list[str]]:
    """Refuse to publish unless every check of the whole graph passed on the materialization it is about to publish.

    Asked of the Dagster instance, not assumed from this run: for each check of the code location, its latest
    evaluation must not be a blocking (ERROR) failure, and it must have evaluated the asset's latest
    materialization (a check that ran on an older table proves nothing about the one published). A run that
    selects this asset alone publishes only when every table it reads was checked that way; otherwise it fails,
    naming each check and what to run. Returns every check's evaluation (passed, or failed with WARN severity),
    naming the materialization it evaluated (for the manifest), and the problems found.
    """
    keys = sorted([*suite_check_keys(EXPECTATIONS_DIR), *freshness_check_keys()], key=lambda k: k.to_user_string())
    records = context.instance.event_log_storage.get_latest_asset_check_execution_by_key(keys)
    problems, evaluated = [], []
    for key in keys:
        record = records.get(key)
        event = record.event.dagster_event if record is not None and record.event is not None else None
        evaluation = event.event_specific_data if event is not None else None
        name = key.to_user_string()
        if not isinstance(evaluation, dg.AssetCheckEvaluation):
            problems.append(
                f"{name} has never run"
                if record is None
                else f"{name} did not run in its latest execution (run {record.run_id}: {record.status.value.lower()},"
                " its table was not written or an upstream check blocked it)"
            )
            continue
        if not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.ERROR:
            problems.append(f"{name} failed: {evaluation.description or 'see the check in the UI'}")
            continue
        if key.asset_key not in latest:  # a check on an asset the release does not read: asked for it alone
            records = context.instance.fetch_materializations(key.asset_key, limit=1).records
            latest[key.asset_key] = records[0] if records else None
        materialized = latest[key.asset_key]
        target = evaluation.target_materialization_data
        if materialized is not None and (target is None or target.storage_id != materialized.storage_id):
            problems.append(f"{name} checked an older materialization of {key.asset_key.to_user_string()}")
            continue
        evaluated.append(
            {
                "check": name,
                "passed": bool(evaluation.passed),
                "severity": None if evaluation.passed else evaluation.severity.value,
                "description": evaluation.description,
                "evaluated_materialization": {
                    "run_id": target.run_id if target else None,
                    "storage_id": target.storage_id if target else None,
                },
                "check_run_id": record.run_id,
            }
        )
    return evaluated, problems


def _verified(context: dg.AssetExecutionContext) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Lineage and checks, or :class:`Refused` listing every problem of both."""
    latest = _latest_materializations(context)
    lineage, stale = _lineage(latest)
    checks, unchecked = _checks(context, latest)
    if stale or unchecked:
        parts = []
        if unchecked:
            parts.append("every check must have passed on the tables being published; " + "; ".join(unchecked))
        if stale:
            parts.append("every table must be built from its inputs' latest materializations; " + "; ".join(stale))
        raise Refused("not publishing: " + ". And ".join(parts) + f". {WHAT_TO_RUN}")
    return lineage, checks


MART_KEYS = tuple(dg.AssetKey(p.stem) for p in sorted((SQL_DIR / "marts").glob("*.sql")))


class PublishConfig(dg.Config):
    """Launch-time options of the publish step (the UI's launchpad, or `pipelines.cli release` flags)."""

    accept_row_drops: bool = False  # publish although rows fell beyond config/releases.yaml's tolerance (recorded)


@dg.asset(
    group_name="publish",
    kinds={"duckdb", "parquet"},
    deps=[*MART_KEYS, *SOURCE_ASSET_KEYS],
    description=(
        "Write-audit-publish. Refuses unless every check of the graph passed on the latest materialization of its "
        "table and every upstream table is newer than its inputs (asked of the Dagster instance, so selecting this "
        "asset alone cannot publish unchecked data). Stages `data/published/releases/.incomplete-<id>/` (Parquet per "
        "table, manifest.json naming each upstream materialization, the checks on it, sha256 of every file and "
        "source), audits the staged tables (dbt_like_sql/audits/), then renames it into place and rebuilds "
        "data/published/sdoh_published.duckdb (latest + pinned releases) atomically. Content equal to the latest "
        "release publishes nothing new. Every attempt is a line in data/published/ledger.jsonl."
    ),
)
def published_release(
    context: dg.AssetExecutionContext, config: PublishConfig, sdoh: SdohSources, warehouse: DuckDBResource
) -> dg.MaterializeResult:
    settings = sdoh.settings
    with hold_writer_lock(  # already held for the run by the warehouse resource; taken here too, re-entrantly
        settings.data_dir, run_id=context.run_id, wait_seconds=settings.writer_lock_wait_seconds
    ):
        try:  # first: nothing is read or written for an unchecked release
            lineage, checks = _verified(context)
        except Refused as refused:
            append_ledger(settings.published_dir, "refused", run_id=context.run_id, reasons=[str(refused.description)])
            raise
        sources = _source_files(context)
        with warehouse.get_connection() as con:
            provenance = _provenance(con, sdoh, sources, checks, lineage)
            try:
                outcome = publish_from_warehouse(
                    con,
                    settings,
                    provenance,
                    run_id=context.run_id,
                    accept_row_drops=config.accept_row_drops,
                    exporter=partial(write_map_exports, config_dir=settings.config_dir),
                    log=context.log.info,
                )
            except AuditFailed as failed:
                raise Refused(str(failed)) from None
    return _result(outcome, settings.published_dir, sources)


# Owners, tags, kinds, code version and column docs (the `releases` table), as every other asset has them; its
# inputs are the whole graph, whose sources it takes.
[published_release] = apply_attributes([published_release], upstream=build_assets())


def _provenance(con, sdoh: SdohSources, sources, checks, lineage) -> dict[str, Any]:
    settings = sdoh.settings
    periods = con.execute("select source, periods, releases from marts.rpt_source_periods").fetchall()
    vintages_by_source = {source: list(p) for source, p, _ in periods}
    places_releases = next((list(r) for source, _, r in periods if r is not None), [])
    return {
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
        "checks_passed": [c["check"] for c in checks if c["passed"]],
        "checks_warned": [c["check"] for c in checks if not c["passed"]],
        "checks": checks,
        "materializations": lineage,
    }


def _result(outcome: PublishOutcome, published_dir, sources) -> dg.MaterializeResult:
    release = outcome.release
    tables = release.manifest["tables"]
    return dg.MaterializeResult(
        metadata={
            "release_id": release.release_id,
            "new_release": outcome.status == "published",
            "pruned_releases": ", ".join(outcome.pruned) or "none",
            "leftovers_removed": dg.MetadataValue.json(outcome.leftovers_removed),
            "release_path": dg.MetadataValue.path(str(release.path)),
            "published_db": dg.MetadataValue.path(str(published_dir / PUBLISHED_DB)),
            "indicator_values_rows": tables["indicator_values"]["rows"],
            "indicator_catalog_rows": tables["indicator_catalog"]["rows"],
            "geographies_rows": tables["geographies"]["rows"],
            "map_exports": dg.MetadataValue.json(release.manifest["exports"]),
            "tribal_data_policy": dg.MetadataValue.json(release.manifest["tribal_data_policy"]),
            "source_files": len(sources),
            "acs_vintages": ", ".join(release.manifest.get("vintages", {}).get("acs", [])),
            "code_version": release.manifest["code_version"],
            **_releases_table(published_dir / PUBLISHED_DB),
        }
    )


def _releases_table(published_db) -> dict[str, Any]:
    """The published file's `releases` table as it now is (the asset's own table: its columns, with their types, on
    the asset page), read with a read-only connection as any reader does."""
    import duckdb

    con = duckdb.connect(str(published_db), read_only=True)
    try:
        columns = con.execute("describe releases").fetchall()
    finally:
        con.close()
    return {
        "dagster/table_name": "sdoh_published.main.releases",
        "dagster/column_schema": dg.TableSchema(columns=[dg.TableColumn(c[0], type=str(c[1])) for c in columns]),
    }


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
