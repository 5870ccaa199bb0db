"""``sdoh export --ach ID``: one ACH region's slice of a release, in a folder of its own.

What belongs to the region is read from the release's ``geographies`` table: the region's own row
(``geo_type = 'ach'``) and every geography whose ``parents`` list names it (``ach:<id>``): its counties, its tracts
(both tract vintages) and, for a region drawn from neighborhoods, those neighborhoods. The folder gets those
geographies, their ``indicator_values`` and ``disparities`` (as CSV, Parquet or both), the whole
``indicator_catalog`` (what each indicator means), a GeoJSON of the region's geographies when the release has map
exports, and ``manifest.json`` + ``README.txt`` naming the release, its source vintages and every file's rows.
Reads only the release folder (never the working warehouse), so any retained release can be exported.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pipelines.cli_common import CliError, console, find_release, load_settings, simple_table

FORMATS = ("csv", "parquet", "both")
REGION_TABLES = ("geographies", "indicator_values", "disparities")
MAP_FILE = "map_geographies.parquet"  # assets/publish/map_export.py: every geography with a boundary


def _literal(text: str) -> str:
    """``text`` as a SQL string literal (DuckDB cannot bind parameters in CREATE VIEW or COPY)."""
    return "'" + text.replace("'", "''") + "'"


def _files(release: Any) -> dict[str, str]:
    return {name: str(release.path / entry["file"]) for name, entry in release.manifest["tables"].items()}


def _region_rows(con: Any, table: str) -> str:
    """The query of ``table``'s rows about the region's geographies: matched on geo_type, geo_vintage and geoid (on
    geo_type and geoid where a table has no geo_vintage)."""
    columns = {row[0] for row in con.execute(f"describe {table}").fetchall()}
    keys = [c for c in ("geo_type", "geo_vintage", "geoid") if c in columns]
    return f"select * from {table} semi join members using ({', '.join(keys)}) order by all"


def _region_geojson(release: Any, ach: str, target: Path) -> int | None:
    """The region's geographies with their boundaries and latest values (from the release's GeoParquet map export),
    as GeoJSON; None when the release has no map export. Returns the number of features."""
    source = release.path / MAP_FILE
    if MAP_FILE not in release.manifest.get("exports", {}) or not source.is_file():
        return None
    import geopandas as gpd

    frame = gpd.read_parquet(source)
    parents = frame["parents"].fillna("").str.split(";")
    member = parents.map(lambda names: f"ach:{ach}" in names)
    region = frame[((frame["geo_type"] == "ach") & (frame["geoid"] == ach)) | member]
    region = region.dropna(axis="columns", how="all")
    if region.empty:
        return 0
    region.to_file(target, driver="GeoJSON")
    return len(region)


def run(ach: str, out_dir: Path | None, output: str, release_given: str | None) -> int:
    import duckdb

    if output not in FORMATS:
        raise CliError(f"--format must be one of {', '.join(FORMATS)}, got {output!r}", code=2)
    settings = load_settings()
    release = find_release(settings, release_given or "latest")
    files = _files(release)
    con = duckdb.connect()
    try:
        for name, path in files.items():
            con.execute(f"create view {name} as select * from read_parquet({_literal(path)})")
        regions = con.execute("select geoid, name from geographies where geo_type = 'ach' order by geoid").fetchall()
        names = dict(regions)
        if ach not in names:
            raise CliError(
                f"no ACH region {ach!r} in release {release.release_id}; valid ids: {', '.join(names) or 'none'}",
                code=2,
            )
        con.execute(
            f"""
            create temp table members as
            select geo_type, geo_vintage, geoid from geographies
            where (geo_type = 'ach' and geoid = {_literal(ach)}) or list_contains(parents, {_literal("ach:" + ach)})
            """
        )
        target = out_dir or settings.data_dir / "exports" / f"{ach}_{release.release_id}"
        target.mkdir(parents=True, exist_ok=True)
        queries = {name: _region_rows(con, name) for name in REGION_TABLES if name in files}
        if "indicator_catalog" in files:
            queries["indicator_catalog"] = "select * from indicator_catalog order by indicator_id"
        written: dict[str, dict[str, Any]] = {}
        suffixes = {"csv": ["csv"], "parquet": ["parquet"], "both": ["csv", "parquet"]}[output]
        for name, query in queries.items():
            rows = con.execute(f"select count(*) from ({query})").fetchone()[0]
            for suffix in suffixes:
                path = target / f"{name}.{suffix}"
                options = "format csv, header" if suffix == "csv" else "format parquet, compression zstd"
                con.execute(f"copy ({query}) to {_literal(str(path))} ({options})")
                written[path.name] = {"table": name, "rows": int(rows)}
        by_type = dict(
            con.execute("select geo_type, count(*) from members group by geo_type order by geo_type").fetchall()
        )
    finally:
        con.close()
    features = _region_geojson(release, ach, target / "geographies.geojson")
    if features:
        written["geographies.geojson"] = {"table": "geographies with boundaries and latest values", "rows": features}
    manifest = {
        "ach_id": ach,
        "ach_name": names[ach],
        "release_id": release.release_id,
        "release_created_at": release.manifest.get("created_at"),
        "code_version": release.manifest.get("code_version"),
        "mode": release.manifest.get("mode"),
        "vintages": release.manifest.get("vintages") or {},
        "geographies_by_type": by_type,
        "files": written,
        "exported_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    (target / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    (target / "README.txt").write_text(_readme(manifest, features))
    out = console()
    table = simple_table("file", "rows", "what", right=("rows",), title=f"{ach} ({names[ach]})")
    for file_name, facts in written.items():
        table.add_row(file_name, f"{facts['rows']:,}", facts["table"])
    out.print(table)
    out.print(f"release {release.release_id}; wrote {target}")
    return 0


def _readme(manifest: dict[str, Any], features: int | None) -> str:
    by_type = ", ".join(f"{n} {t}" for t, n in manifest["geographies_by_type"].items())
    vintages = [f"  {k}: {', '.join(v) if isinstance(v, list) else v}" for k, v in manifest["vintages"].items() if v]
    lines = [
        f"SDOH equity indicators for {manifest['ach_name']} ({manifest['ach_id']})",
        "",
        f"From release {manifest['release_id']} (created {manifest['release_created_at']}, "
        f"code {manifest['code_version']}, {manifest['mode']} mode); exported {manifest['exported_at']}.",
        f"Geographies: the region itself and its members ({by_type}).",
        "",
        "Files (rows):",
        *[f"  {name}: {facts['rows']:,} ({facts['table']})" for name, facts in manifest["files"].items()],
        "",
        "indicator_values and disparities hold the rows of these geographies only; indicator_catalog is the whole",
        "catalog of the release (what each indicator means, its unit and sources).",
    ]
    if features is None:
        lines.append("No GeoJSON: this release has no map export.")
    lines += [
        "",
        "Source vintages:",
        *vintages,
        "",
        "Column meanings: docs/data_dictionary.md in the project. Every value carries its 90% margin of error and a",
        "reliability flag; see docs/methods.md.",
        "",
    ]
    return "\n".join(lines)
