"""Write immutable, versioned releases: staged, audited, then promoted (write-audit-publish).

A release is a folder ``<published>/releases/<release_id>/`` holding one Parquet file per published table, a
``manifest.json`` (row counts, sha256 of every file, content hash of every table, source files with their
sha256, vintages, code version, the checks and the audit it passed) and a README. It is written under a hidden
staging name, audited there (:mod:`assets.publish.release_audit`), and only then renamed into place, so a
half-written or failed release never appears, and an existing release is never touched again. The published DuckDB
file and the release lifecycle (pins, retention, ledger) live in :mod:`assets.publish.release_store`. No Dagster
import: the publish asset, the CLI and the tests call these functions.
"""

from __future__ import annotations

import hashlib
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

from assets.settings import PROJECT_ROOT
from sources.core.hashing import sha256_file

PUBLISHED_DB = "sdoh_published.duckdb"
CONTENT_DIGITS = 10  # significant digits of floating-point numbers in table_content_hashes
# How table_content_hashes reads a table; recorded in each manifest. A release recorded with another method has its
# hashes computed again when compared (v1 hashed each row's text with md5: ~4x slower, same meaning).
CONTENT_HASH_METHOD = "v2: sum of duckdb hash() of each row, floats rounded to 10 significant digits"
# published table name -> warehouse table
PUBLISHED_TABLES = {
    "indicator_values": "marts.fct_indicator_values",
    "indicator_catalog": "marts.dim_indicator_catalog",
    "geographies": "marts.dim_geographies",
    "disparities": "marts.fct_disparities",
    "groups": "marts.dim_groups",
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


STAGING_PREFIX = ".incomplete-"


def stage_release(
    con: duckdb.DuckDBPyConnection,
    published_dir: Path,
    provenance: dict[str, Any],
    now: datetime | None = None,
    exporter: Exporter | None = None,
) -> Release:
    """Write-audit-publish, step 1: copy the published tables out of the warehouse into a STAGING folder
    ``releases/.incomplete-<release_id>/`` that no reader looks at (names starting with a dot are never listed).

    The manifest records every file's sha256 and every table's content hash (:func:`table_content_hashes`), so the
    publish step can tell an unchanged release from a new one. :func:`promote_release` makes it a release;
    :func:`discard_staged` removes it when the audit fails.
    """
    now = now or datetime.now(UTC)
    releases_dir = published_dir / "releases"
    releases_dir.mkdir(parents=True, exist_ok=True)
    version = code_version()
    release_id = new_release_id(releases_dir, now, version)
    staging = releases_dir / f"{STAGING_PREFIX}{release_id}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        tables: dict[str, Any] = {}
        for name, source in PUBLISHED_TABLES.items():
            target = staging / f"{name}.parquet"
            con.execute(
                f"copy (select '{release_id}'::varchar as release_id, {_published_columns(name)} from {source} "
                "order by all) "
                f"to '{target}' (format parquet, compression zstd)"
            )
            rows = con.execute(f"select count(*) from {source}").fetchone()[0]
            tables[name] = {"file": target.name, "rows": int(rows), "sha256": sha256_file(target)}
        for name, digest in table_content_hashes(staging).items():
            tables[name]["content_sha256"] = digest
        exports = exporter(con, staging, release_id) if exporter else {}
        for file_name, facts in exports.items():
            facts["sha256"] = sha256_file(staging / file_name)
        manifest = {
            "release_id": release_id,
            "created_at": now.isoformat(timespec="seconds"),
            "code_version": version,
            "tables": tables,
            "content_hash_method": CONTENT_HASH_METHOD,
            "exports": exports,
            **provenance,
        }
        _write_manifest(staging, manifest)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return Release(release_id, staging, manifest)


def _write_manifest(folder: Path, manifest: dict[str, Any]) -> None:
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=False) + "\n")
    (folder / "README.md").write_text(_release_readme(manifest))


def record_audit(staged: Release, audit: dict[str, Any]) -> Release:
    """Add the published-layer audit's outcome to a staged release's manifest (before it is promoted)."""
    manifest = {**staged.manifest, "audit": audit}
    _write_manifest(staged.path, manifest)
    return Release(staged.release_id, staged.path, manifest)


def promote_release(staged: Release) -> Release:
    """Write-audit-publish, last step: rename the audited staging folder into place (atomic; never overwrites)."""
    final = staged.path.parent / staged.release_id
    os.rename(staged.path, final)
    return Release(staged.release_id, final, staged.manifest)


def discard_staged(staged: Release) -> None:
    shutil.rmtree(staged.path, ignore_errors=True)


def content_hashes(release: Release) -> dict[str, str]:
    """A release's table content hashes: from its manifest, or computed again for releases written before they were
    kept or with another method (:data:`CONTENT_HASH_METHOD`)."""
    recorded = {n: t.get("content_sha256") for n, t in release.manifest["tables"].items()}
    if all(recorded.values()) and release.manifest.get("content_hash_method") == CONTENT_HASH_METHOD:
        return recorded
    return table_content_hashes(release.path)


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
    """sha256 of each published table's content, independent of the release it sits in and of row order.

    Each row (``release_id`` left out) is hashed with DuckDB's ``hash()`` of its cells, every floating-point number
    first rounded to ``significant_digits`` significant digits: DuckDB sums in parallel, so two runs of the same code
    on the same inputs can differ in the last bit of a sum (about 1e-16 relative); 10 digits are far finer than any
    published number's precision and far coarser than that noise. The table's digest is the sha256 of its column
    names and types, its row count and the sum of the rows' hashes (a multiset hash: rows in any order give the same
    sum; a changed, added, removed or duplicated row changes it, but for a 2^-64 chance). It runs inside DuckDB in
    parallel (about 0.6 s for 1.5 M rows of 34 columns on 2 cores; hashing each row's text with md5 took 4 s).
    ``hash()`` is DuckDB's and may change between DuckDB releases: then one release is published again with the same
    content, which is harmless. Two releases with equal hashes publish the same numbers.
    """
    con = duckdb.connect()
    con.execute("set enable_progress_bar = false")
    try:
        relations = {
            name: f"(select * exclude (release_id) from read_parquet('{Path(release_path) / f'{name}.parquet'}'))"
            for name in PUBLISHED_TABLES
            if (Path(release_path) / f"{name}.parquet").is_file()
        }
        return content_hashes_of(con, relations, significant_digits)
    finally:
        con.close()


def warehouse_content_hashes(
    con: duckdb.DuckDBPyConnection, significant_digits: int = CONTENT_DIGITS
) -> dict[str, str]:
    """The content hashes the warehouse's marts would have as a release (:func:`table_content_hashes` of the files
    :func:`stage_release` would write), computed in the warehouse without writing anything: when they equal the
    latest release's, the publish step has nothing new to write and skips staging (Parquet copies, map exports,
    audit), which took ~20 s of an unchanged refresh on the snapshot. A column type that a Parquet round trip would
    change makes them differ, and the release is then staged and compared as before."""
    return content_hashes_of(
        con,
        {name: f"(select {_published_columns(name)} from {source})" for name, source in PUBLISHED_TABLES.items()},
        significant_digits,
    )


def content_hashes_of(
    con: duckdb.DuckDBPyConnection, relations: dict[str, str], significant_digits: int = CONTENT_DIGITS
) -> dict[str, str]:
    """{name: content hash} of each relation (a table name or a parenthesized query); see table_content_hashes."""
    out = {}
    for name, source in relations.items():
        columns = con.execute(f"describe select * from {source}").fetchall()
        cells = [
            _rounded(f'"{c[0]}"', significant_digits) if c[1] in ("DOUBLE", "FLOAT") else f'"{c[0]}"' for c in columns
        ]
        count, total = con.execute(f"select count(*), sum(hash({', '.join(cells)})::hugeint) from {source}").fetchone()
        schema = ";".join(f"{c[0]}:{c[1]}" for c in columns)
        out[name] = hashlib.sha256(f"{schema}|{count}|{total or 0}".encode()).hexdigest()
    return out


def _published_columns(name: str) -> str:
    """The select list of a published table's columns (the mart's, less the unpublished ones)."""
    hidden = UNPUBLISHED_COLUMNS.get(name)
    return f"* exclude ({', '.join(hidden)})" if hidden else "*"


def _rounded(column: str, digits: int) -> str:
    """``column`` rounded to ``digits`` significant digits (zero, NaN, infinity and null unchanged)."""
    return (
        f"case when {column} = 0 or not isfinite({column}) then {column} "
        f"else round({column}, ({digits} - 1 - floor(log10(abs({column}))))::integer) end"
    )


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
            f"- `{f}`: {e['format']}, {e['features']:,} features ({e.get('map_layer') or e['geo_type']})"
            for f, e in manifest.get("exports", {}).items()
        ],
        "",
        "Query with DuckDB: `select * from 'indicator_values.parquet' where geoid = '53033' limit 10;`",
        "Column meanings: the project's docs/data_dictionary.md. Sources and vintages: `manifest.json`.",
        "",
    ]
    return "\n".join(lines)
