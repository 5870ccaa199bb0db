"""Write immutable, versioned releases and rebuild the published DuckDB file from them.

A release is a folder ``<published>/releases/<release_id>/`` holding one Parquet file per published table, a
``manifest.json`` (row counts, sha256 of every file, source files with their sha256, vintages, code version)
and a README. It is written under a temporary name and renamed into place, so a half-written release never
appears, and an existing release is never touched again.

``sdoh_published.duckdb`` is a pure function of the release folders: it is rebuilt beside the live file and
swapped in with ``os.replace``, so a reader holding the old file keeps a consistent view and never meets a
write lock. No Dagster import: the publish asset and the tests call these functions.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from assets.settings import PROJECT_ROOT, SQL_DIR
from sources.core.hashing import sha256_file

PUBLISHED_DB = "sdoh_published.duckdb"
CONTENT_DIGITS = 10  # significant digits of floating-point numbers in table_content_hashes
# published table name -> warehouse table
PUBLISHED_TABLES = {
    "indicator_values": "marts.fct_indicator_values",
    "indicator_catalog": "marts.dim_indicator_catalog",
    "geographies": "marts.dim_geographies",
    "disparities": "marts.fct_disparities",
}
# Mart columns that are not (yet) part of the published contract (docs/data_dictionary.md): codes the catalog is
# derived from. Publishing them is a contract change, made deliberately, not by adding a column to a mart.
UNPUBLISHED_COLUMNS = {"indicator_values": ("moe_kind", "moe_method", "aggregated_by")}
# Writes extra files (map exports) into the release folder; returns {file name: facts about it}.
Exporter = Callable[[duckdb.DuckDBPyConnection, Path, str], dict[str, dict[str, Any]]]


@dataclass(frozen=True)
class Release:
    release_id: str
    path: Path
    manifest: dict[str, Any]


def code_version() -> str:
    """The git commit of the code that built a release (``-dirty`` when the work tree has changes)."""
    try:
        out = subprocess.run(
            ["git", "describe", "--always", "--dirty", "--abbrev=12"],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
        return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def new_release_id(releases_dir: Path, now: datetime, version: str) -> str:
    """``YYYY-MM-DD-HHMMSS-<commit>``, suffixed ``-2``, ``-3``... if that name is taken."""
    base = f"{now:%Y-%m-%d-%H%M%S}-{version.split('-dirty')[0][:12] or 'nogit'}"
    candidate, n = base, 1
    while (releases_dir / candidate).exists():
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def write_release(
    con: duckdb.DuckDBPyConnection,
    published_dir: Path,
    provenance: dict[str, Any],
    now: datetime | None = None,
    exporter: Exporter | None = None,
) -> Release:
    """Copy the published tables out of the warehouse into a new immutable release folder."""
    now = now or datetime.now(UTC)
    releases_dir = published_dir / "releases"
    releases_dir.mkdir(parents=True, exist_ok=True)
    version = code_version()
    release_id = new_release_id(releases_dir, now, version)
    staging = releases_dir / f".incomplete-{release_id}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        tables: dict[str, Any] = {}
        for name, source in PUBLISHED_TABLES.items():
            target = staging / f"{name}.parquet"
            hidden = UNPUBLISHED_COLUMNS.get(name)
            columns = f"* exclude ({', '.join(hidden)})" if hidden else "*"
            con.execute(
                f"copy (select '{release_id}'::varchar as release_id, {columns} from {source} order by all) "
                f"to '{target}' (format parquet, compression zstd)"
            )
            rows = con.execute(f"select count(*) from {source}").fetchone()[0]
            tables[name] = {"file": target.name, "rows": int(rows), "sha256": sha256_file(target)}
        exports = exporter(con, staging, release_id) if exporter else {}
        for file_name, facts in exports.items():
            facts["sha256"] = sha256_file(staging / file_name)
        manifest = {
            "release_id": release_id,
            "created_at": now.isoformat(timespec="seconds"),
            "code_version": version,
            "tables": tables,
            "exports": exports,
            **provenance,
        }
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=False) + "\n")
        (staging / "README.md").write_text(_release_readme(manifest))
        final = releases_dir / release_id
        os.rename(staging, final)  # atomic; fails rather than overwrite an existing release
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return Release(release_id, final, manifest)


def list_releases(published_dir: Path) -> list[Release]:
    releases_dir = published_dir / "releases"
    found = []
    for manifest_path in sorted(releases_dir.glob("*/manifest.json")):
        if manifest_path.parent.name.startswith("."):
            continue
        manifest = json.loads(manifest_path.read_text())
        found.append(Release(manifest["release_id"], manifest_path.parent, manifest))
    return sorted(found, key=lambda r: (r.manifest["created_at"], r.release_id))


def verify_release(release: Release) -> list[str]:
    """Files whose sha256 no longer matches the manifest (an empty list means the release is intact)."""
    problems = []
    for name, entry in release.manifest["tables"].items():
        path = release.path / entry["file"]
        if not path.is_file():
            problems.append(f"{release.release_id}/{entry['file']}: missing")
        elif sha256_file(path) != entry["sha256"]:
            problems.append(f"{release.release_id}/{entry['file']}: sha256 differs from manifest ({name})")
    for file_name, entry in release.manifest.get("exports", {}).items():
        path = release.path / file_name
        if not path.is_file():
            problems.append(f"{release.release_id}/{file_name}: missing")
        elif sha256_file(path) != entry["sha256"]:
            problems.append(f"{release.release_id}/{file_name}: sha256 differs from manifest (map export)")
    return problems


def table_content_hashes(release_path: Path, significant_digits: int = CONTENT_DIGITS) -> dict[str, str]:
    """sha256 of each published table's content, independent of the release it sits in.

    The rows (``release_id`` left out) in a total order, written as CSV, with every floating-point number written to
    ``significant_digits`` significant digits: DuckDB sums in parallel, so two runs of the same code on the same
    inputs can differ in the last bit of a sum (about 1e-16 relative); 10 digits are far finer than any published
    number's precision and far coarser than that noise. Two releases with equal hashes publish the same numbers.
    """
    import tempfile

    out = {}
    con = duckdb.connect()
    con.execute("set enable_progress_bar = false")
    try:
        for name in PUBLISHED_TABLES:
            path = Path(release_path) / f"{name}.parquet"
            if not path.is_file():
                continue
            columns = con.execute(f"describe select * exclude (release_id) from read_parquet('{path}')").fetchall()
            select = ", ".join(
                f'printf(\'%.{significant_digits}g\', "{c[0]}") as "{c[0]}"'
                if c[1] in ("DOUBLE", "FLOAT")
                else f'"{c[0]}"'
                for c in columns
            )
            with tempfile.TemporaryDirectory() as tmp:
                target = Path(tmp) / f"{name}.csv"
                con.execute(
                    f"copy (select {select} from read_parquet('{path}') order by all) "
                    f"to '{target}' (header, nullstr '\\N')"
                )
                out[name] = sha256_file(target)
    finally:
        con.close()
    return out


def rebuild_published_db(published_dir: Path) -> Path:
    """Build ``sdoh_published.duckdb`` from every release folder beside the live file, then swap it in."""
    releases = list_releases(published_dir)
    if not releases:
        raise ValueError(f"{published_dir}: no release to publish")
    for release in releases:
        problems = verify_release(release)
        if problems:
            raise ValueError("refusing to publish from a changed release: " + "; ".join(problems))
    final = published_dir / PUBLISHED_DB
    tmp = published_dir / f".{PUBLISHED_DB}.{os.getpid()}.tmp"
    tmp.unlink(missing_ok=True)
    try:
        con = duckdb.connect(str(tmp))
        try:
            con.execute(
                """
                create table releases (
                    release_id varchar primary key,
                    created_at timestamptz,
                    code_version varchar,
                    mode varchar,
                    acs_vintages varchar,
                    places_release varchar,
                    chas_vintage varchar,
                    indicator_values_rows bigint,
                    indicator_catalog_rows bigint,
                    geographies_rows bigint,
                    tribal_areas_withheld bigint,
                    tribal_rows_withheld bigint,
                    checks_passed varchar,
                    manifest_sha256 varchar,
                    path varchar
                )
                """
            )
            for r in releases:
                m = r.manifest
                con.execute(
                    "insert into releases values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        r.release_id,
                        m["created_at"],
                        m["code_version"],
                        m.get("mode"),
                        ", ".join(m.get("vintages", {}).get("acs", [])),
                        ", ".join(m.get("vintages", {}).get("places") or []) or None,
                        m.get("vintages", {}).get("chas"),
                        m["tables"]["indicator_values"]["rows"],
                        m["tables"]["indicator_catalog"]["rows"],
                        m["tables"].get("geographies", {}).get("rows"),
                        m.get("tribal_data_policy", {}).get("areas_withheld"),
                        m.get("tribal_data_policy", {}).get("indicator_rows_withheld"),
                        ", ".join(m.get("checks_passed", [])),
                        sha256_file(r.path / "manifest.json"),
                        str(r.path.relative_to(published_dir)),
                    ],
                )
            for name in PUBLISHED_TABLES:
                files = [
                    str(r.path / r.manifest["tables"][name]["file"]) for r in releases if name in r.manifest["tables"]
                ]
                con.execute(
                    f"create table {name} as select * from read_parquet($files, union_by_name = true)",
                    {"files": files},
                )
            for view in sorted((SQL_DIR / "published").glob("*.sql")):
                con.execute(view.read_text())
            con.execute("checkpoint")
        finally:
            con.close()
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)
    return final


def _release_readme(manifest: dict[str, Any]) -> str:
    lines = [
        f"# SDOH equity indicators, release {manifest['release_id']}",
        "",
        f"Built {manifest['created_at']} by code version `{manifest['code_version']}` in {manifest.get('mode')} mode.",
        "This folder never changes after it is written; `manifest.json` holds the sha256 of every file.",
        "",
        "| table | file | rows |",
        "|---|---|---|",
        *[f"| {name} | {t['file']} | {t['rows']:,} |" for name, t in manifest["tables"].items()],
        "",
        "Map exports (one feature per published geography with a boundary, latest total-group values):",
        "",
        *[
            f"- `{f}`: {e['format']}, {e['features']:,} features ({e['geo_type']})"
            for f, e in manifest.get("exports", {}).items()
        ],
        "",
        "Query with DuckDB: `select * from 'indicator_values.parquet' where geoid = '53033' limit 10;`",
        "Column meanings: the project's docs/data_dictionary.md. Sources and vintages: `manifest.json`.",
        "",
    ]
    return "\n".join(lines)
