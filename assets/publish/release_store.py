"""The release lifecycle: the published DuckDB file, pins, retention, the ledger of publish attempts, leftovers.

Layout of ``<data_dir>/published/``::

    releases/<release_id>/      immutable releases (Parquet per table, manifest.json, README.md, map exports)
    sdoh_published.duckdb       what dashboards and analysts open (read-only); rebuilt and swapped in atomically
    pins.json                   releases kept forever and served in the DuckDB file beside the latest
    ledger.jsonl                one line per publish attempt: published, unchanged, refused (with reasons), pruned

The published DuckDB file holds the LATEST release and the PINNED ones as tables (``indicator_values``,
``geographies``, ...; the ``latest_*`` views pick the newest), so publishing costs the same whatever the number of
releases. Every other retained release stays readable from its Parquet through the ``all_*`` views. The file is built
beside the live one and swapped in with ``os.replace``: a reader holding the old file keeps a consistent view and
never meets a write lock, and a crash before the swap leaves the live file as it was.

Every function that changes this folder must run under the writer lock (:mod:`assets.writer_lock`). No Dagster
import: the publish asset, the CLI and the tests call these functions.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from assets.publish.release_writer import (
    PUBLISHED_DB,
    PUBLISHED_TABLES,
    STAGING_PREFIX,
    Release,
    list_releases,
    verify_release,
)
from assets.settings import SQL_DIR
from sources.core.config_io import parse_yaml
from sources.core.hashing import sha256_file

log = logging.getLogger(__name__)

PINS_FILE = "pins.json"
LEDGER_FILE = "ledger.jsonl"
DELETING_PREFIX = ".deleting-"


@dataclass(frozen=True)
class ReleasePolicy:
    """config/releases.yaml: retention, the row-drop tolerance of the audit, and the diff tolerances."""

    keep_last: int = 10
    max_row_drop_share: float = 0.02
    absolute_tolerance: float = 1e-9
    relative_tolerance: float = 1e-6


def load_policy(config_dir: Path) -> ReleasePolicy:
    path = Path(config_dir) / "releases.yaml"
    if not path.is_file():
        return ReleasePolicy()
    raw = parse_yaml(path.read_text()) or {}
    policy = ReleasePolicy(
        keep_last=int((raw.get("retention") or {}).get("keep_last", 10)),
        max_row_drop_share=float((raw.get("audit") or {}).get("max_row_drop_share", 0.02)),
        absolute_tolerance=float((raw.get("diff") or {}).get("absolute_tolerance", 1e-9)),
        relative_tolerance=float((raw.get("diff") or {}).get("relative_tolerance", 1e-6)),
    )
    if policy.keep_last < 1:
        raise ValueError(f"{path}: retention.keep_last must be at least 1, got {policy.keep_last}")
    if not 0 <= policy.max_row_drop_share < 1:
        raise ValueError(f"{path}: audit.max_row_drop_share must be in [0, 1), got {policy.max_row_drop_share}")
    return policy


# --- pins -------------------------------------------------------------------------------------------------------


def read_pins(published_dir: Path) -> dict[str, dict[str, Any]]:
    path = Path(published_dir) / PINS_FILE
    return json.loads(path.read_text()) if path.is_file() else {}


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def set_pin(published_dir: Path, release_id: str, pinned: bool, note: str | None = None) -> None:
    """Pin (keep forever, serve in the DuckDB file) or unpin a release; the caller rebuilds the published file."""
    known = {r.release_id for r in list_releases(published_dir)}
    if release_id not in known:
        raise KeyError(f"no release {release_id!r} under {published_dir / 'releases'}")
    pins = read_pins(published_dir)
    if pinned:
        pins[release_id] = {"pinned_at": _now(), "note": note}
    else:
        pins.pop(release_id, None)
    _write_atomically(Path(published_dir) / PINS_FILE, json.dumps(pins, indent=2, sort_keys=True) + "\n")


# --- ledger -----------------------------------------------------------------------------------------------------


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def append_ledger(published_dir: Path, status: str, **facts: Any) -> dict[str, Any]:
    """Record one publish attempt or lifecycle action (append-only; one JSON object per line)."""
    entry = {"at": _now(), "status": status, **facts}
    Path(published_dir).mkdir(parents=True, exist_ok=True)
    with open(Path(published_dir) / LEDGER_FILE, "a") as f:
        f.write(json.dumps(entry, sort_keys=False, default=str) + "\n")
        f.flush()
        os.fsync(f.fileno())
    return entry


def read_ledger(published_dir: Path) -> list[dict[str, Any]]:
    path = Path(published_dir) / LEDGER_FILE
    if not path.is_file():
        return []
    entries = []
    for line in path.read_text().splitlines():
        try:
            entries.append(json.loads(line))
        except json.JSONDecodeError:
            continue  # a line cut short by a crash
    return entries


# --- leftovers and retention -------------------------------------------------------------------------------------


def clean_leftovers(published_dir: Path) -> list[str]:
    """Remove what a crashed publish left: staging folders, half-deleted releases, temporary DuckDB files.

    Safe only under the writer lock (then no other publish is running). Returns what was removed, with sizes.
    """
    published_dir = Path(published_dir)
    removed = []
    releases_dir = published_dir / "releases"
    candidates = [
        *(releases_dir.glob(f"{STAGING_PREFIX}*") if releases_dir.is_dir() else []),
        *(releases_dir.glob(f"{DELETING_PREFIX}*") if releases_dir.is_dir() else []),
        *published_dir.glob(f".{PUBLISHED_DB}.*.tmp"),
        *published_dir.glob(f".{PUBLISHED_DB}.*.tmp.wal"),
        *published_dir.glob(f".{PINS_FILE}.*.tmp"),
    ]
    for path in sorted(candidates):
        size = _size(path)
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        removed.append(f"{path.relative_to(published_dir)} ({size / 1e6:.1f} MB)")
    return removed


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def releases_to_prune(published_dir: Path, keep_last: int) -> list[Release]:
    """Releases beyond the newest ``keep_last``, never the latest and never a pinned one."""
    releases = list_releases(published_dir)
    pins = read_pins(published_dir)
    keep = {r.release_id for r in releases[-keep_last:]} | set(pins)
    if releases:
        keep.add(releases[-1].release_id)
    return [r for r in releases if r.release_id not in keep]


def prune(published_dir: Path, keep_last: int, dry_run: bool = False) -> list[Release]:
    """Delete releases the retention policy no longer keeps (renamed aside first, so a crash leaves no half release
    that looks whole). The caller rebuilds the published file afterwards."""
    doomed = releases_to_prune(published_dir, keep_last)
    if dry_run:
        return doomed
    for release in doomed:
        aside = release.path.parent / f"{DELETING_PREFIX}{release.release_id}"
        os.rename(release.path, aside)
        shutil.rmtree(aside)
    return doomed


# --- the published DuckDB file -----------------------------------------------------------------------------------


def served_releases(
    published_dir: Path, releases: list[Release] | None = None, pins: dict[str, Any] | None = None
) -> list[Release]:
    """The releases whose tables the DuckDB file holds: the latest and the pinned ones."""
    releases = list_releases(published_dir) if releases is None else releases
    pins = read_pins(published_dir) if pins is None else pins
    if not releases:
        return []
    return [r for r in releases if r.release_id in pins or r is releases[-1]]


def rebuild_published_db(published_dir: Path) -> Path:
    """Build ``sdoh_published.duckdb`` beside the live file from the served releases, then swap it in.

    Cost grows with the number of SERVED releases (latest + pinned), not with all releases: older retained releases
    are views over their Parquet files (``all_*``), which read nothing until queried.
    """
    published_dir = Path(published_dir)
    releases = list_releases(published_dir)
    if not releases:
        raise ValueError(f"{published_dir}: no release to publish")
    pins = read_pins(published_dir)
    served = served_releases(published_dir, releases, pins)
    for release in served:
        problems = verify_release(release)
        if problems:
            raise ValueError("refusing to publish from a changed release: " + "; ".join(problems))
    served_ids = {r.release_id for r in served}
    archived = [r for r in releases if r.release_id not in served_ids]
    final = published_dir / PUBLISHED_DB
    tmp = published_dir / f".{PUBLISHED_DB}.{os.getpid()}.tmp"
    tmp.unlink(missing_ok=True)
    try:
        con = duckdb.connect(str(tmp), config={"storage_compatibility_version": PUBLISHED_STORAGE_VERSION})
        try:
            _create_releases_table(con, releases, served_ids, pins, published_dir)
            _create_attempts_table(con, read_ledger(published_dir))
            for name in PUBLISHED_TABLES:
                files = [
                    str(r.path / r.manifest["tables"][name]["file"]) for r in served if name in r.manifest["tables"]
                ]
                con.execute(
                    f"create table {name} as select * from read_parquet($files, union_by_name = true)",
                    {"files": files},
                )
                older = [
                    str((r.path / r.manifest["tables"][name]["file"]).resolve())
                    for r in archived
                    if name in r.manifest["tables"]
                ]
                union = (
                    f" union all by name select * from read_parquet({_sql_list(older)}, union_by_name = true)"
                    if older
                    else ""
                )
                con.execute(f"create view all_{name} as select * from {name}{union}")
            _create_geometries_table(con, served)
            for view in sorted((SQL_DIR / "published").glob("*.sql")):
                try:
                    con.execute(view.read_text())
                except duckdb.BinderException as error:
                    # a view reading columns that the served releases predate (the latest written by older code):
                    # the tables are still published; the view appears with the next release
                    log.warning("published view %s left out: %s", view.stem, str(error).splitlines()[0])
            con.execute("checkpoint")
        finally:
            con.close()
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)
        Path(f"{tmp}.wal").unlink(missing_ok=True)
    return final


def serves_latest(published_dir: Path) -> bool:
    """Whether the published DuckDB file exists and serves the newest release folder as latest."""
    releases = list_releases(published_dir)
    db = Path(published_dir) / PUBLISHED_DB
    if not releases or not db.is_file():
        return False
    try:
        con = duckdb.connect(str(db), read_only=True)
        try:
            row = con.execute("select release_id from releases where is_latest").fetchone()
        finally:
            con.close()
    except duckdb.Error:
        return False
    return row is not None and row[0] == releases[-1].release_id


MAP_GEOMETRIES_FILE = "map_geographies.parquet"
# The published file is read by other people's DuckDB clients (R, Node, DBeaver, BI tools), many a release or two
# behind this project's DuckDB 2.0, whose default storage format DuckDB 1.x cannot open ("version number 69, but we can
# only read versions between 64 and 68": the newest DuckDB for Node on npm, 1.5.6). Writing it in the 1.2 storage
# format lets every DuckDB from 1.2 on read it; nothing published needs a newer format (geometry is WKB, not GEOMETRY).
PUBLISHED_STORAGE_VERSION = "v1.2.0"  # assets/publish/map_export.py


def _create_geometries_table(con: duckdb.DuckDBPyConnection, served: list[Release]) -> None:
    """``geometries``: the served releases' boundaries as WKB (a BLOB any DuckDB client reads; ``ST_GeomFromWKB``
    in DuckDB's spatial extension, shapely or GDAL elsewhere), from each release's GeoParquet map export, with the
    web map layer that draws each one. A release without that export adds no rows."""
    files = [str(r.path / MAP_GEOMETRIES_FILE) for r in served if (r.path / MAP_GEOMETRIES_FILE).is_file()]
    if not files:
        con.execute(
            "create table geometries (release_id varchar, geo_type varchar, geo_vintage varchar, geoid varchar, "
            "map_layer varchar, geometry_wkb blob)"
        )
        return
    described = con.execute("describe select * from read_parquet($files, union_by_name = true)", {"files": files})
    present = {row[0] for row in described.fetchall()}
    layer = "map_layer" if "map_layer" in present else "null::varchar as map_layer"  # releases before map layers
    con.execute(
        f"create table geometries as select release_id, geo_type, geo_vintage, geoid, {layer}, "
        "geometry::blob as geometry_wkb from read_parquet($files, union_by_name = true) "
        "order by release_id, geo_type, geo_vintage, geoid",
        {"files": files},
    )


def _sql_list(paths: list[str]) -> str:
    return "[" + ", ".join("'" + p.replace("'", "''") + "'" for p in paths) + "]"


def _create_releases_table(
    con: duckdb.DuckDBPyConnection,
    releases: list[Release],
    served_ids: set[str],
    pins: dict[str, Any],
    published_dir: Path,
) -> None:
    con.execute(
        """
        create table releases (
            release_id varchar primary key,
            created_at timestamptz,
            code_version varchar,
            mode varchar,
            is_latest boolean,
            pinned boolean,
            served boolean,
            acs_vintages varchar,
            places_release varchar,
            chas_vintage varchar,
            indicator_values_rows bigint,
            indicator_catalog_rows bigint,
            geographies_rows bigint,
            tribal_areas_withheld bigint,
            tribal_rows_withheld bigint,
            checks_passed varchar,
            audit varchar,
            manifest_sha256 varchar,
            path varchar
        )
        """
    )
    latest = releases[-1].release_id
    for r in releases:
        m = r.manifest
        con.execute(
            "insert into releases values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                r.release_id,
                m["created_at"],
                m["code_version"],
                m.get("mode"),
                r.release_id == latest,
                r.release_id in pins,
                r.release_id in served_ids,
                ", ".join(m.get("vintages", {}).get("acs", [])),
                ", ".join(m.get("vintages", {}).get("places") or []) or None,
                m.get("vintages", {}).get("chas"),
                m["tables"]["indicator_values"]["rows"],
                m["tables"]["indicator_catalog"]["rows"],
                m["tables"].get("geographies", {}).get("rows"),
                m.get("tribal_data_policy", {}).get("areas_withheld"),
                m.get("tribal_data_policy", {}).get("indicator_rows_withheld"),
                ", ".join(_check_names(m)),
                (m.get("audit") or {}).get("summary"),
                sha256_file(r.path / "manifest.json"),
                str(r.path.relative_to(published_dir)),
            ],
        )


def _check_names(manifest: dict[str, Any]) -> list[str]:
    checks = manifest.get("checks_passed", [])
    return [c["check"] if isinstance(c, dict) else c for c in checks]


def _create_attempts_table(con: duckdb.DuckDBPyConnection, ledger: list[dict[str, Any]]) -> None:
    con.execute(
        "create table release_attempts (attempted_at timestamptz, status varchar, release_id varchar, run_id varchar, "
        "reasons varchar[], detail json)"
    )
    for e in ledger:
        reasons = e.get("reasons") or []
        con.execute(
            "insert into release_attempts values (?, ?, ?, ?, ?, ?)",
            [e.get("at"), e.get("status"), e.get("release_id"), e.get("run_id"), reasons, json.dumps(e, default=str)],
        )
