"""Write-audit-publish, the part that needs no Dagster: stage, audit, compare, promote, prune, rebuild, record.

The publish asset calls :func:`publish_from_warehouse` after it has proven (from the Dagster instance) that every
check passed on the tables it reads; the tests call it directly to race publishes against readers. It takes the
working folder's writer lock (re-entrantly, so a run that already holds it goes on), and every outcome is a line in
the ledger: ``published``, ``unchanged`` (content equal to the latest release, told from the warehouse before a file
is written: nothing new is written),
``failed_audit`` (the staged tables broke an audit: the staged folder is deleted, the latest release and the
published DuckDB file are untouched, byte for byte) or ``failed`` (an error while publishing).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from assets.publish.release_audit import AuditResult, audit_staged_release
from assets.publish.release_store import (
    append_ledger,
    clean_leftovers,
    load_policy,
    prune,
    rebuild_published_db,
    serves_latest,
)
from assets.publish.release_writer import (
    Exporter,
    Release,
    content_hashes,
    discard_staged,
    list_releases,
    promote_release,
    record_audit,
    stage_release,
    warehouse_content_hashes,
)
from assets.settings import Settings
from assets.writer_lock import hold_writer_lock

ROW_DROPS_AUDIT = "release_row_drops"


class AuditFailed(RuntimeError):
    """The staged release failed the published-layer audit; nothing was published."""

    def __init__(self, release_id: str, failed: list[AuditResult]) -> None:
        self.release_id = release_id
        self.failed = failed
        self.lines = [line for r in failed for line in r.lines()]
        hint = (
            "\nIf rows were removed on purpose (an indicator or region taken out of config/), publish with "
            "`python -m pipelines.cli release --accept-row-drops`."
            if any(r.audit == ROW_DROPS_AUDIT for r in failed)
            else ""
        )
        super().__init__(
            f"not publishing release {release_id}: the published-layer audit failed "
            f"({', '.join(r.audit for r in failed)}); the latest release is unchanged.\n" + "\n".join(self.lines) + hint
        )


@dataclass
class PublishOutcome:
    status: str  # "published" or "unchanged"
    release: Release  # the new release, or the latest one when unchanged
    pruned: list[str] = field(default_factory=list)
    leftovers_removed: list[str] = field(default_factory=list)


def publish_from_warehouse(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    provenance: dict[str, Any],
    *,
    run_id: str | None = None,
    accept_row_drops: bool = False,
    exporter: Exporter | None = None,
    log: Callable[[str], None] = print,
) -> PublishOutcome:
    """Publish the warehouse's marts as a new release, or nothing if they equal the latest release's content."""
    published_dir = settings.published_dir
    policy = load_policy(settings.config_dir)
    with hold_writer_lock(settings.data_dir, run_id=run_id, wait_seconds=settings.writer_lock_wait_seconds):
        leftovers = clean_leftovers(published_dir)
        for item in leftovers:
            log(f"removed what an interrupted publish left behind: {item}")
        releases = list_releases(published_dir)
        previous = releases[-1] if releases else None
        if previous is not None and warehouse_content_hashes(con) == content_hashes(previous):
            # nothing new: decided from the warehouse, before writing a file (see warehouse_content_hashes)
            return _unchanged(published_dir, previous, run_id, leftovers, log)
        staged = stage_release(
            con, published_dir, {**provenance, "accepted_row_drops": accept_row_drops}, exporter=exporter
        )
        try:
            log(f"staged release {staged.release_id}; auditing it")
            skip = frozenset({ROW_DROPS_AUDIT}) if accept_row_drops else frozenset()
            results = audit_staged_release(con, staged, previous, policy.max_row_drop_share, skip=skip)
            failed = [r for r in results if r.problems]
            if failed:
                raise AuditFailed(staged.release_id, failed)
            staged_hashes = {n: t["content_sha256"] for n, t in staged.manifest["tables"].items()}
            if previous is not None and content_hashes(previous) == staged_hashes:
                discard_staged(staged)
                return _unchanged(published_dir, previous, run_id, leftovers, log)
            staged = record_audit(
                staged,
                {
                    "summary": f"{len(results)} audits passed"
                    + (f", skipped {', '.join(sorted(skip))}" if skip else ""),
                    "audits": [r.audit for r in results],
                    "skipped": sorted(skip),
                    "previous_release": previous.release_id if previous else None,
                },
            )
            release = promote_release(staged)
        except AuditFailed as failure:
            discard_staged(staged)
            append_ledger(
                published_dir, "failed_audit", run_id=run_id, release_id=staged.release_id, reasons=failure.lines
            )
            raise
        except BaseException as error:
            discard_staged(staged)
            append_ledger(
                published_dir,
                "failed",
                run_id=run_id,
                release_id=staged.release_id,
                reasons=[f"{type(error).__name__}: {error}"],
            )
            raise
        log(f"wrote release {release.release_id} to {release.path}")
        pruned = [r.release_id for r in prune(published_dir, policy.keep_last)]
        db = rebuild_published_db(published_dir)
        append_ledger(
            published_dir,
            "published",
            run_id=run_id,
            release_id=release.release_id,
            pruned=pruned,
            leftovers_removed=leftovers,
        )
        log(f"published {db}" + (f"; pruned {', '.join(pruned)} (config/releases.yaml keep_last)" if pruned else ""))
        return PublishOutcome("published", release, pruned, leftovers)


def _unchanged(
    published_dir: Path, previous: Release, run_id: str | None, leftovers: list[str], log: Callable[[str], None]
) -> PublishOutcome:
    """Nothing new to publish: say so in the ledger and the log; the latest release stays as it is."""
    append_ledger(
        published_dir,
        "unchanged",
        run_id=run_id,
        release_id=previous.release_id,
        reasons=[f"the tables' content equals the latest release {previous.release_id}'s"],
    )
    log(f"no new release: the tables equal the latest release {previous.release_id} (content hashes)")
    if not serves_latest(published_dir):  # a crash between promoting a release and swapping the file
        rebuild_published_db(published_dir)
        log(f"rebuilt {published_dir / 'sdoh_published.duckdb'}: it did not serve {previous.release_id}")
    return PublishOutcome("unchanged", previous, leftovers_removed=leftovers)
