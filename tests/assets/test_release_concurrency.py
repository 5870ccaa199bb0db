"""Readers, crashes and concurrent writers against the real publishing code, on GENERATED warehouses
(tests/assets/tiny_warehouse.py), in separate processes as they would be in production:

- a dashboard-like reader queries the published DuckDB file in a loop while refreshes publish (one succeeding,
  one failing its audit, twice over): zero reader errors, every query sees exactly one complete release;
- a publish killed with SIGKILL while it writes leaves the latest release readable and unchanged, and the next
  publish succeeds and leaves nothing behind.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from assets.publish.publishing import AuditFailed
from assets.publish.release_store import read_ledger
from assets.publish.release_writer import PUBLISHED_DB, list_releases, verify_release
from assets.settings import PROJECT_ROOT, settings_from_env
from tests.assets.test_release_lifecycle import published_bytes
from tests.assets.tiny_warehouse import build_tiny_warehouse, publish_tiny, tiny_settings, value_rows

READER = textwrap.dedent(
    """
    import json, sys, time
    import duckdb
    db, stop_file, out = sys.argv[1], sys.argv[2], sys.argv[3]
    seen, errors, queries = [], [], 0
    import os
    while not os.path.exists(stop_file):
        try:
            con = duckdb.connect(db, read_only=True)
            try:
                # one query, one snapshot of the file: the release ids and the row count latest_* serves
                rows = con.execute(
                    "select list(distinct release_id), count(*), "
                    "(select indicator_values_rows from releases where is_latest) "
                    "from latest_indicator_values"
                ).fetchone()
            finally:
                con.close()
            seen.append([rows[0], rows[1], rows[2]])
            queries += 1
        except Exception as e:  # any error is a failure of the published layer
            errors.append(repr(e))
        time.sleep(0.002)
    json.dump({"queries": queries, "errors": errors, "seen": seen}, open(out, "w"))
    """
)


def _rows(extra: int, moe: float = 2.0) -> list[dict]:
    rows = value_rows(extra_counties=extra)
    return [{**r, "moe": moe} if r["indicator_id"] == "median_household_income" else r for r in rows]


def test_a_reader_sees_exactly_one_complete_release_while_refreshes_succeed_and_fail(tmp_path: Path) -> None:
    settings = tiny_settings(settings_from_env({}), tmp_path)
    build_tiny_warehouse(settings.warehouse_path, _rows(3000))
    publish_tiny(settings)
    stop, out = tmp_path / "stop", tmp_path / "reader.json"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(settings.published_dir / PUBLISHED_DB), str(stop), str(out)],
        cwd=PROJECT_ROOT,
    )
    try:
        time.sleep(0.5)
        outcomes = []
        for i in range(2):
            # a refresh that succeeds: more counties, so each release has its own row count
            build_tiny_warehouse(settings.warehouse_path, _rows(3000 + 500 * (i + 1), moe=3.0 + i))
            outcomes.append(publish_tiny(settings).status)
            # a refresh that fails its audit: one percentage of 140
            bad = _rows(3000 + 500 * (i + 1), moe=3.0 + i)
            bad[0] = {**bad[0], "numerator": 1400.0, "estimate": 140.0, "ci_low": 138.0, "ci_high": 142.0}
            build_tiny_warehouse(settings.warehouse_path, bad)
            with pytest.raises(AuditFailed):
                publish_tiny(settings)
            outcomes.append("failed_audit")
        time.sleep(0.3)
    finally:
        stop.write_text("stop")
        reader.wait(timeout=60)
    assert outcomes == ["published", "failed_audit", "published", "failed_audit"]
    report = json.loads(out.read_text())
    releases = {
        r.release_id: r.manifest["tables"]["indicator_values"]["rows"] for r in list_releases(settings.published_dir)
    }
    assert len(releases) == 3
    assert report["errors"] == []
    assert report["queries"] > 20
    for ids, count, manifest_rows in report["seen"]:
        assert len(ids) == 1, ids  # exactly one release behind latest_*
        assert count == releases[ids[0]] == manifest_rows  # and all of it
    # The reader saw more than one release come and go (it ran across the swaps).
    assert len({ids[0] for ids, _, _ in report["seen"]}) >= 2


PUBLISHER = textwrap.dedent(
    """
    import sys
    from dataclasses import replace
    from pathlib import Path
    from assets.settings import settings_from_env
    from tests.assets.tiny_warehouse import publish_tiny
    settings = replace(settings_from_env({}), data_dir=Path(sys.argv[1]), writer_lock_wait_seconds=30.0)
    publish_tiny(settings)
    """
)


@pytest.mark.parametrize("stage", ["staging", "swapping"])
def test_a_publish_killed_mid_write_leaves_latest_intact_and_the_next_cleans_up(tmp_path: Path, stage) -> None:
    """SIGKILL while the release is staged (``releases/.incomplete-*`` exists) or while the published file is being
    rebuilt (``.sdoh_published.duckdb.*.tmp`` exists)."""
    settings = tiny_settings(settings_from_env({}), tmp_path)
    build_tiny_warehouse(settings.warehouse_path, _rows(20000))
    first = publish_tiny(settings).release
    before = published_bytes(settings.published_dir)
    build_tiny_warehouse(settings.warehouse_path, _rows(20000, moe=9.0))
    marker = (
        (lambda: list((settings.published_dir / "releases").glob(".incomplete-*")))
        if stage == "staging"
        else (lambda: list(settings.published_dir.glob(f".{PUBLISHED_DB}.*.tmp")))
    )
    killed_at = None
    for _attempt in range(5):  # the window is short; try again if the publish finished before the kill
        proc = subprocess.Popen([sys.executable, "-c", PUBLISHER, str(settings.data_dir)], cwd=PROJECT_ROOT)
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:
            if marker():
                os.kill(proc.pid, signal.SIGKILL)
                killed_at = stage
                break
            time.sleep(0.001)
        proc.wait(timeout=60)
        if killed_at:
            break
        # it finished: undo to the one-release state and try again
        for release in list_releases(settings.published_dir)[1:]:
            import shutil

            shutil.rmtree(release.path)
        from assets.publish.release_store import rebuild_published_db

        rebuild_published_db(settings.published_dir)
        before = published_bytes(settings.published_dir)
    assert killed_at == stage, "never caught the publish mid-write"
    assert proc.returncode == -signal.SIGKILL
    # The published file still serves the first release, readable.
    import duckdb

    con = duckdb.connect(str(settings.published_dir / PUBLISHED_DB), read_only=True)
    try:
        latest = con.execute("select distinct release_id from latest_indicator_values").fetchall()
    finally:
        con.close()
    leftovers = [p for p in settings.published_dir.rglob(".*") if p.name != ".writer.lock"]
    assert leftovers, "the kill left nothing behind to clean (it came too late)"
    if stage == "staging":
        assert latest == [(first.release_id,)]
        assert {k: v for k, v in published_bytes(settings.published_dir).items() if "/." not in f"/{k}"} == {
            k: v for k, v in before.items() if "/." not in f"/{k}"
        }
    else:  # the new release folder may already be in place; the live file was not touched
        assert latest == [(first.release_id,)]
        assert (settings.published_dir / PUBLISHED_DB).read_bytes() == before[PUBLISHED_DB]
    for release in list_releases(settings.published_dir):
        assert verify_release(release) == []
    # The next publish succeeds (the dead process's lock is gone) and leaves no leftovers.
    outcome = publish_tiny(settings)
    assert outcome.status in ("published", "unchanged")
    assert outcome.leftovers_removed
    assert not [p for p in settings.published_dir.rglob(".*")]
    con = duckdb.connect(str(settings.published_dir / PUBLISHED_DB), read_only=True)
    try:
        assert con.execute("select release_id from releases where is_latest").fetchone()[0] == (
            list_releases(settings.published_dir)[-1].release_id
        )
    finally:
        con.close()
    assert read_ledger(settings.published_dir)[-1]["status"] in ("published", "unchanged")
