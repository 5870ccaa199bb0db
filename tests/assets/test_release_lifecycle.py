"""Write-audit-publish and the release lifecycle on a small GENERATED warehouse (tests/assets/tiny_warehouse.py),
through the real publishing code: unchanged content publishes nothing, a failed audit changes no byte of what is
published, retention keeps the latest and pinned releases, leftovers of a crash are cleaned, and publishing cost
does not grow with the number of releases (older releases are read from their Parquet)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import duckdb
import pytest

from assets.publish.publishing import AuditFailed
from assets.publish.release_store import (
    LEDGER_FILE,
    read_ledger,
    rebuild_published_db,
    set_pin,
)
from assets.publish.release_writer import PUBLISHED_DB, list_releases, verify_release
from assets.settings import settings_from_env
from tests.assets.tiny_warehouse import build_tiny_warehouse, publish_tiny, tiny_settings, value_rows


def published_bytes(published_dir: Path) -> dict[str, bytes]:
    """Every byte of the published DuckDB file and of every release (the ledger, a log of attempts, left out)."""
    return {
        p.relative_to(published_dir).as_posix(): p.read_bytes()
        for p in sorted(published_dir.rglob("*"))
        if p.is_file() and p.name != LEDGER_FILE
    }


@pytest.fixture
def folder(tmp_path: Path):
    settings = tiny_settings(settings_from_env({}), tmp_path)
    build_tiny_warehouse(settings.warehouse_path)
    return settings


def _query(settings, sql: str):
    con = duckdb.connect(str(settings.published_dir / PUBLISHED_DB), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_first_publish_writes_a_release_and_the_published_file(folder) -> None:
    outcome = publish_tiny(folder)
    assert outcome.status == "published"
    [release] = list_releases(folder.published_dir)
    assert verify_release(release) == []
    # 3 geographies x 2 groups x 2 indicators = 12 rows, the tiny warehouse's count
    assert release.manifest["tables"]["indicator_values"]["rows"] == 12
    assert release.manifest["audit"]["audits"] == [
        "release_completeness",
        "release_row_drops",
        "release_values_in_domain",
    ]
    assert _query(folder, "select count(*), min(release_id) from latest_indicator_values") == [(12, release.release_id)]
    # hand arithmetic: Hispanic poverty in county 99001 = 100 * 45 / 300 = 15.0
    assert _query(
        folder,
        "select estimate from latest_indicator_values where geoid = '99001' and group_id = 'hispanic' "
        "and indicator_id = 'poverty_rate'",
    ) == [(15.0,)]
    assert [e["status"] for e in read_ledger(folder.published_dir)] == ["published"]


def test_unchanged_content_publishes_no_new_release_and_says_so(folder) -> None:
    first = publish_tiny(folder)
    before = published_bytes(folder.published_dir)
    again = publish_tiny(folder)
    assert again.status == "unchanged" and again.release.release_id == first.release.release_id
    assert [r.release_id for r in list_releases(folder.published_dir)] == [first.release.release_id]
    assert published_bytes(folder.published_dir) == before
    last = read_ledger(folder.published_dir)[-1]
    assert last["status"] == "unchanged" and first.release.release_id in last["reasons"][0]


def _rewrite(settings, rows) -> None:
    build_tiny_warehouse(settings.warehouse_path, rows)


def test_a_changed_value_publishes_a_new_latest_and_the_old_one_stays_readable_from_parquet(folder) -> None:
    first = publish_tiny(folder)
    rows = value_rows()
    rows[0] = {**rows[0], "numerator": 130.0, "estimate": 13.0, "ci_low": 11.0, "ci_high": 15.0}
    _rewrite(folder, rows)
    second = publish_tiny(folder)
    assert second.status == "published"
    assert _query(folder, "select release_id from releases where is_latest") == [(second.release.release_id,)]
    # The DuckDB file holds only the served release's rows; the older one is read from its Parquet by all_*.
    assert _query(folder, "select distinct release_id from indicator_values") == [(second.release.release_id,)]
    assert sorted(_query(folder, "select release_id, count(*) from all_indicator_values group by 1")) == sorted(
        [(first.release.release_id, 12), (second.release.release_id, 12)]
    )


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        # a percentage of 140: numerator 1400 of 1000
        (
            {"numerator": 1400.0, "estimate": 140.0, "ci_low": 138.0, "ci_high": 142.0},
            ["poverty_rate 2018-2022 county 99001 total", "estimate = 140.0", "a percent outside 0-100"],
        ),
        # "NaN" stored as a margin of error
        ({"moe": float("nan")}, ["county 99001 total", "moe = nan", "not a number"]),
        # an interval that excludes its own estimate (capped at 100 below an estimate of 12)
        ({"ci_high": 10.0}, ["ci_low, estimate, ci_high = 10.0, 12.0, 10.0", "does not contain its estimate"]),
        # a negative margin of error
        ({"numerator_moe": -3.0}, ["numerator_moe = -3.0", "a negative margin of error"]),
    ],
    ids=["percent-140", "nan-moe", "interval-excludes-estimate", "negative-moe"],
)
def test_a_value_outside_its_domain_fails_the_audit_and_changes_no_published_byte(folder, change, expected) -> None:
    first = publish_tiny(folder)
    before = published_bytes(folder.published_dir)
    rows = value_rows()
    rows[0] = {**rows[0], **change}  # county 99001, total, poverty_rate
    _rewrite(folder, rows)
    with pytest.raises(AuditFailed) as failed:
        publish_tiny(folder)
    text = str(failed.value)
    assert "release_values_in_domain" in text and "the latest release is unchanged" in text
    for part in expected:
        assert part in text, (part, text)
    assert published_bytes(folder.published_dir) == before
    assert [r.release_id for r in list_releases(folder.published_dir)] == [first.release.release_id]
    assert not list((folder.published_dir / "releases").glob(".*")), "the staged release was left behind"
    last = read_ledger(folder.published_dir)[-1]
    assert last["status"] == "failed_audit" and any("release_values_in_domain" in r for r in last["reasons"])


def test_a_dollar_median_of_zero_fails_the_audit(folder) -> None:
    rows = value_rows()
    rows[1] = {**rows[1], "estimate": 0.0, "ci_low": 0.0, "ci_high": 0.0}  # median_household_income, 99001 total
    _rewrite(folder, rows)
    with pytest.raises(AuditFailed, match=r"median_household_income 2018-2022 county 99001 total: estimate = 0.0"):
        publish_tiny(folder)
    assert not (folder.published_dir / PUBLISHED_DB).exists() and list_releases(folder.published_dir) == []


def test_a_configured_indicator_or_region_missing_fails_the_completeness_audit(folder) -> None:
    publish_tiny(folder)
    before = published_bytes(folder.published_dir)
    rows = [r for r in value_rows() if r["indicator_id"] != "median_household_income" and r["geo_type"] != "ach"]
    _rewrite(folder, rows)
    with pytest.raises(AuditFailed) as failed:
        publish_tiny(folder, accept_row_drops=True)  # not a row drop to accept: configured things are missing
    text = str(failed.value)
    assert "median_household_income" in text and "a configured indicator (config/indicators.yaml) has no values" in text
    assert (
        "test-ach" in text and "a configured ACH region (config/ach_regions.yaml) is not a published geography" in text
    )
    assert published_bytes(folder.published_dir) == before


def test_rows_falling_beyond_the_tolerance_block_unless_accepted(folder) -> None:
    """One of the two counties (99003) vanishes: poverty_rate county rows 4 -> 2 (2 groups each) and county
    geographies 2 -> 1, 50% drops, beyond config/releases.yaml's 2%."""
    publish_tiny(folder)
    before = published_bytes(folder.published_dir)
    _rewrite(folder, [r for r in value_rows() if r["geoid"] != "99003"])
    with pytest.raises(AuditFailed) as failed:
        publish_tiny(folder)
    text = str(failed.value)
    assert "poverty_rate 2018-2022 county: rows = 4 -> 2: rows fell by 50.0% since the previous release" in text
    assert "geographies: county 2020: rows = 2 -> 1: geographies fell by 50.0%" in text and "--accept-row-drops" in text
    assert published_bytes(folder.published_dir) == before
    accepted = publish_tiny(folder, accept_row_drops=True)
    assert accepted.status == "published" and accepted.release.manifest["accepted_row_drops"] is True
    assert "skipped release_row_drops" in accepted.release.manifest["audit"]["summary"]


def _publish_distinct(settings, n: int, start: int = 0) -> list[str]:
    ids = []
    for i in range(start, start + n):
        rows = value_rows()
        rows[0] = {**rows[0], "numerator_moe": 20.0 + i}  # a different release each time
        _rewrite(settings, rows)
        ids.append(publish_tiny(settings).release.release_id)
    return ids


def test_retention_keeps_the_newest_n_and_pinned_releases(tmp_path) -> None:
    settings = tiny_settings(settings_from_env({}), tmp_path, keep_last=2)
    build_tiny_warehouse(settings.warehouse_path)
    first, second = _publish_distinct(settings, 2)
    set_pin(settings.published_dir, first, True, note="board report")
    rebuild_published_db(settings.published_dir)
    third, fourth = _publish_distinct(settings, 2, start=2)
    kept = [r.release_id for r in list_releases(settings.published_dir)]
    # keep_last 2 keeps third and fourth; first is pinned; second is pruned
    assert kept == [first, third, fourth]
    ledger = read_ledger(settings.published_dir)
    # third's publish keeps second (newest two: second, third); fourth's prunes it
    assert [e["pruned"] for e in ledger if e["status"] == "published"][-2:] == [[], [second]]
    # The pinned release is served from the DuckDB file beside the latest, both as tables.
    assert sorted(_query(settings, "select distinct release_id from indicator_values")) == sorted([(first,), (fourth,)])
    assert _query(settings, "select release_id, pinned, is_latest from releases order by created_at, release_id") == [
        (first, True, False),
        (third, False, False),
        (fourth, False, True),
    ]


def test_publishing_reads_only_the_served_releases(tmp_path) -> None:
    """Cost does not grow with the number of releases: with 5 releases and none pinned, the published file holds
    one release's rows (12), and its size stays that of a one-release file."""
    settings = tiny_settings(settings_from_env({}), tmp_path)
    build_tiny_warehouse(settings.warehouse_path)
    _publish_distinct(settings, 1)
    one = (settings.published_dir / PUBLISHED_DB).stat().st_size
    _publish_distinct(settings, 4, start=1)
    assert len(list_releases(settings.published_dir)) == 5
    assert _query(settings, "select count(*) from indicator_values") == [(12,)]
    assert _query(settings, "select count(*) from all_indicator_values") == [(60,)]
    assert (settings.published_dir / PUBLISHED_DB).stat().st_size <= one * 1.2


def test_leftovers_of_an_interrupted_publish_are_removed_by_the_next(folder) -> None:
    publish_tiny(folder)
    releases = folder.published_dir / "releases"
    (releases / ".incomplete-2026-01-01-000000-deadbeef").mkdir()
    (releases / ".incomplete-2026-01-01-000000-deadbeef" / "indicator_values.parquet").write_bytes(b"GENERATED")
    (folder.published_dir / f".{PUBLISHED_DB}.12345.tmp").write_bytes(b"GENERATED")
    rows = value_rows()
    rows[0] = {**rows[0], "moe": 2.5}
    _rewrite(folder, rows)
    outcome = publish_tiny(folder)
    assert sorted(outcome.leftovers_removed) == [
        f".{PUBLISHED_DB}.12345.tmp (0.0 MB)",
        "releases/.incomplete-2026-01-01-000000-deadbeef (0.0 MB)",
    ]
    assert not list(releases.glob(".*")) and not list(folder.published_dir.glob(".*.tmp"))


def test_manifest_records_content_hashes_and_the_audit(folder) -> None:
    release = publish_tiny(folder).release
    manifest = json.loads((release.path / "manifest.json").read_text())
    assert all(len(t["content_sha256"]) == 64 for t in manifest["tables"].values())
    assert manifest["audit"]["summary"] == "3 audits passed" and manifest["audit"]["previous_release"] is None


def test_labeled_views_join_labels_and_a_release_older_than_a_view_still_publishes(folder) -> None:
    """The tiny release's labeled view: 12 rows, each with its indicator's and group's label and the flat region
    column; the Hispanic rows have no group label (the tiny groups table lacks them). Then a warehouse written as
    older code wrote it (dim_groups without sort_order): the tables are published and the view that reads the
    missing column is left out, with a warning naming it, instead of the publish failing."""
    publish_tiny(folder)
    rows = _query(
        folder,
        "select count(*), count(indicator_label), count(group_label), min(ach_id), min(period_label) "
        "from latest_indicator_values_labeled",
    )
    assert rows == [(12, 12, 6, "test-ach", "2018-2022")]
    con = duckdb.connect(str(folder.warehouse_path))
    try:
        con.execute("alter table marts.dim_groups drop column sort_order")
        con.execute("update marts.fct_indicator_values set estimate = estimate + 1 where group_id = 'total'")
    finally:
        con.close()
    warnings: list[str] = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = lambda record: warnings.append(record.getMessage())  # type: ignore[method-assign]
    logger = logging.getLogger("assets.publish.release_store")
    logger.addHandler(handler)
    try:
        assert publish_tiny(folder).status == "published"
    finally:
        logger.removeHandler(handler)
    assert any("published view latest_indicator_values_labeled left out" in w for w in warnings), warnings
    names = {name for (name,) in _query(folder, "select table_name from information_schema.tables")}
    assert {"indicator_values", "groups", "latest_indicator_values", "latest_disparities_labeled"} <= names
    assert "latest_indicator_values_labeled" not in names


def test_the_published_file_is_in_a_storage_format_duckdb_1x_clients_open(folder) -> None:
    """Other people's DuckDB clients are often a release behind: DuckDB for Node 1.5.6 (the newest on npm) refuses
    DuckDB 2.0's default format ("version number 69, but we can only read versions between 64 and 68"). The
    published file's header (bytes 12-19 after the magic `DUCK` at 8-11) carries storage version 65, DuckDB 1.2's,
    which every DuckDB from 1.2 on opens."""
    import struct

    publish_tiny(folder)
    header = (folder.published_dir / PUBLISHED_DB).read_bytes()[:20]
    assert header[8:12] == b"DUCK"
    assert struct.unpack("<Q", header[12:20])[0] == 65
