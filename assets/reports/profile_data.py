"""What an ACH region's equity profile shows, read from ONE published release (its Parquet files), never from the
working warehouse: the region and its parts, values by group and period, disparities, the other regions of its
state, SVI ranks, the map geometries, and the release's manifest (id, source vintages, tribal-data policy counts).

Why a release and not the warehouse: a profile is handed to partners as a statement of a versioned release, so it
must be reproducible from that release alone (``sdoh report --release ID`` re-renders any retained release), and it
must never show a number the release does not hold. The queries are SQL files in ``dbt_like_sql/reports/`` run by
DuckDB over views of the release's Parquet; this module only shapes their rows. No Dagster here (the asset module
``assets/reports/ach_profiles.py`` is a thin wrapper), and nothing heavy is imported at module level.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assets.settings import SQL_DIR
from sources.core.config_io import parse_yaml

REPORT_SQL = SQL_DIR / "reports"
RELEASE_TABLES = ("indicator_values", "indicator_catalog", "geographies", "disparities", "groups")
MAP_FILE = "map_geographies.parquet"
PROFILES_CONFIG = "profiles.yaml"


class ProfileError(ValueError):
    """The profiles cannot be rendered as asked (unknown region or indicator, a release without its tables)."""


@dataclass(frozen=True)
class GroupIndicator:
    """An indicator charted by race/ethnicity (config/profiles.yaml ``group_indicators``)."""

    indicator_id: str
    likely: str  # finishes "... N times as likely as ... <likely>"
    people: str  # who is counted: residents, households, adults 25 and over


@dataclass(frozen=True)
class MapSpec:
    indicator_id: str
    levels: tuple[str, ...]


@dataclass(frozen=True)
class ProfileConfig:
    group_indicators: tuple[GroupIndicator, ...]
    maps: tuple[MapSpec, ...]
    max_maps: int
    compare_indicators: tuple[str, ...]
    svi_indicators: tuple[str, ...]
    group_short_labels: dict[str, str]

    @property
    def all_indicators(self) -> list[str]:
        ids = [g.indicator_id for g in self.group_indicators] + [m.indicator_id for m in self.maps]
        return list(dict.fromkeys([*ids, *self.compare_indicators, *self.svi_indicators]))


def load_profile_config(config_dir: Path) -> ProfileConfig:
    """config/profiles.yaml, checked for shape (an unknown indicator is caught against the release's catalog)."""
    path = config_dir / PROFILES_CONFIG
    raw = parse_yaml(path.read_text()) or {}
    try:
        groups = tuple(
            GroupIndicator(str(g["indicator"]), str(g["likely"]), str(g.get("people") or "residents"))
            for g in raw.get("group_indicators") or []
        )
        maps = tuple(
            MapSpec(str(m["indicator"]), tuple(m.get("levels") or ("county", "tract", "neighborhood")))
            for m in raw.get("maps") or []
        )
    except (KeyError, TypeError) as error:
        raise ProfileError(f"{path}: an entry lacks {error}") from None
    return ProfileConfig(
        group_indicators=groups,
        maps=maps,
        max_maps=int(raw.get("max_maps", 4)),
        compare_indicators=tuple(raw.get("compare_indicators") or ()),
        svi_indicators=tuple(raw.get("svi_indicators") or ()),
        group_short_labels={str(k): str(v) for k, v in (raw.get("group_short_labels") or {}).items()},
    )


@dataclass
class RegionData:
    """Everything one profile page shows, as rows (dicts) read from the release."""

    region: dict[str, Any]
    members: list[dict[str, Any]]
    values: list[dict[str, Any]]  # region and parts, every group and period
    disparities: list[dict[str, Any]]
    state_regions: list[dict[str, Any]]
    catalog: dict[str, dict[str, Any]]
    release_id: str
    manifest: dict[str, Any]
    short_labels: dict[str, str] = field(default_factory=dict)

    @property
    def parts(self) -> list[dict[str, Any]]:
        """The counties (or, for a region drawn from neighborhoods, the neighborhoods) the region is made of."""
        for kind in ("county", "neighborhood"):
            found = [m for m in self.members if m["geo_type"] == kind]
            if found:
                return found
        return []

    def label(self, group_id: str, fallback: str | None = None) -> str:
        return self.short_labels.get(group_id) or fallback or group_id

    def region_values(self, indicator_id: str) -> list[dict[str, Any]]:
        return [v for v in self.values if v["is_region"] and v["indicator_id"] == indicator_id]


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class ReleaseReader:
    """DuckDB views over one release folder's Parquet tables (read-only: the release is never written)."""

    def __init__(self, release_dir: Path) -> None:
        import duckdb

        self.path = Path(release_dir)
        manifest_file = self.path / "manifest.json"
        if not manifest_file.is_file():
            raise ProfileError(f"{self.path} is not a release folder (no manifest.json)")
        self.manifest: dict[str, Any] = json.loads(manifest_file.read_text())
        self.release_id = str(self.manifest["release_id"])
        self.con = duckdb.connect()
        tables = self.manifest.get("tables", {})
        for name in RELEASE_TABLES:
            file = self.path / tables.get(name, {}).get("file", f"{name}.parquet")
            if not file.is_file():
                raise ProfileError(f"release {self.release_id} has no {name} table ({file})")
            self.con.execute(f"create view {name} as select * from read_parquet({_literal(str(file))})")
        self._catalog: dict[str, dict[str, Any]] | None = None
        self._map: Any = None
        self._narrowed: tuple[str, ...] | None = None

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> ReleaseReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _rows(self, sql: str) -> list[dict[str, Any]]:
        cursor = self.con.execute(sql)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def _report(self, name: str) -> list[dict[str, Any]]:
        return self._rows((REPORT_SQL / f"{name}.sql").read_text())

    def _set(self, name: str, value: Any) -> None:
        if isinstance(value, list | tuple):
            items = ", ".join(_literal(str(v)) for v in value) or "NULL"
            self.con.execute(f"set variable {name} = [{items}]::varchar[]")
        else:
            self.con.execute(f"set variable {name} = {_literal(str(value))}")

    def catalog(self) -> dict[str, dict[str, Any]]:
        if self._catalog is None:
            self._catalog = {r["indicator_id"]: r for r in self._rows("select * from indicator_catalog")}
        return self._catalog

    def regions(self) -> list[dict[str, Any]]:
        """Every ACH region of the release: Washington's first, examples last, then by name."""
        return self._rows(
            "select geoid, name, state_fips, example from geographies where geo_type = 'ach' "
            "order by example, state_fips desc, name"
        )

    def _narrow(self, indicators: list[str]) -> None:
        """The two big tables cut once to the configured indicators (in memory), so each region's queries scan a few
        thousand rows, not the release's millions."""
        if self._narrowed == tuple(indicators):
            return
        self._set("indicators", indicators)
        for name in ("indicator_values", "disparities"):
            file = self.path / self.manifest.get("tables", {}).get(name, {}).get("file", f"{name}.parquet")
            self.con.execute(f"drop view if exists {name}")
            self.con.execute(
                f"create or replace temp table {name} as select * from read_parquet({_literal(str(file))}) "
                "where list_contains(getvariable('indicators'), indicator_id)"
            )
        self._narrowed = tuple(indicators)

    def region_data(self, ach_id: str, config: ProfileConfig) -> RegionData:
        known = {r["geoid"]: r for r in self.regions()}
        if ach_id not in known:
            raise ProfileError(
                f"no ACH region {ach_id!r} in release {self.release_id}; valid ids: {', '.join(sorted(known))}"
            )
        unknown = [i for i in config.all_indicators if i not in self.catalog()]
        if unknown:
            raise ProfileError(
                f"config/{PROFILES_CONFIG} names indicators release {self.release_id} does not have: "
                f"{', '.join(unknown)} (see its indicator_catalog)"
            )
        self._narrow(config.all_indicators)
        self._set("ach_id", ach_id)
        self._set("state_fips", known[ach_id]["state_fips"] or "")
        members = self._report("profile_members")
        self.con.execute("create or replace temp table members as " + (REPORT_SQL / "profile_members.sql").read_text())
        region = next(m for m in members if m["is_region"])
        return RegionData(
            region={**region, "example": bool(known[ach_id]["example"])},
            members=[m for m in members if not m["is_region"]],
            values=self._report("profile_values"),
            disparities=self._report("profile_disparities"),
            state_regions=self._report("profile_state_regions"),
            catalog=self.catalog(),
            release_id=self.release_id,
            manifest=self.manifest,
            short_labels=config.group_short_labels,
        )

    def map_frame(self, ach_id: str, geo_type: str) -> Any:
        """The region's parts of one geography type with their boundaries (GeoDataFrame, WKB geometry decoded), from
        the release's GeoParquet map export; None when the release has none. geopandas is imported here only."""
        if self._map is None:
            source = self.path / MAP_FILE
            if not source.is_file():
                return None
            import geopandas as gpd

            columns = ["geo_type", "geo_vintage", "geoid", "name", "parents", "geometry"]
            frame = gpd.read_parquet(source, columns=columns)  # read once per release: every region's maps
            frame = frame[frame["parents"].fillna("").str.contains("ach:", regex=False)]  # parts of some region
            self._map = (frame, frame["parents"].str.split(";"))
        frame, parents = self._map
        member = parents.map(lambda names: f"ach:{ach_id}" in names)
        return frame[(frame["geo_type"] == geo_type) & member].reset_index(drop=True)
