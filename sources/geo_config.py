"""Geography configuration: ACH regions, user-drawn neighborhoods, the tribal-data policy and geography settings.

Regions and neighborhoods are data in ``config/`` so a user adds one without touching code. This module reads
and checks them: a region that names an unknown county, a neighborhood id that no file defines, a polygon that is
not valid, or a tribal approval that names no tribal government is a :class:`ConfigError` naming the file, the
entry, the field and the value. Geometry checks use shapely (imported inside the function that needs it, so the
code location does not pay for it). No Dagster import.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from sources.core.config_io import load_yaml
from sources.core.errors import ConfigError

_REGION_ID = re.compile(r"^[a-z][a-z0-9-]*$")
_COUNTY = re.compile(r"^\d{5}$")
_AIANNH = re.compile(r"^\d{4}$")


@dataclass(frozen=True)
class Neighborhood:
    neighborhood_id: str
    name: str
    example: bool
    source_file: str
    geometry_geojson: dict[str, Any]


@dataclass(frozen=True)
class GeoConfig:
    """Everything geographic the pipeline reads from ``config/``."""

    settings: dict[str, Any]
    regions: (
        pl.DataFrame
    )  # ach_id, name, state_fips, geo_vintage (the region definition's vintage), example, built_from
    region_members: pl.DataFrame  # ach_id, member_geo_type (county|neighborhood), member_geoid
    neighborhoods: list[Neighborhood]
    tribal_policy: pl.DataFrame  # aiannh_geoid, name, approved_by, approval_reference, approved_on
    tribal_default: str

    @property
    def equal_area_crs(self) -> str:
        return str(self.settings["equal_area_crs"])

    @property
    def boundary_layers(self) -> dict[str, dict[str, Any]]:
        return dict(self.settings["boundary_layers"])

    @property
    def population_weights(self) -> pl.DataFrame:
        rows = [
            {"geo_vintage": str(v), "dataset": spec["dataset"], "variable": spec["variable"]}
            for v, spec in self.settings["population_weights"].items()
        ]
        return pl.DataFrame(rows)

    @property
    def allocation_rules(self) -> pl.DataFrame:
        rules = self.settings["allocation"]
        return pl.DataFrame(
            {
                "min_area_share": [float(rules["min_area_share"])],
                "min_population_coverage": [float(rules["min_population_coverage"])],
            }
        )


def load_geo_config(config_dir: Path) -> GeoConfig:
    """Read and check config/geographies.yaml, ach_regions.yaml, the neighborhood files and the tribal policy."""
    config_dir = Path(config_dir)
    settings = _load_settings(config_dir / "geographies.yaml")
    neighborhoods = _load_neighborhoods(config_dir, config_dir / "ach_regions.yaml")
    regions, members = _load_regions(config_dir / "ach_regions.yaml", {n.neighborhood_id for n in neighborhoods})
    policy, default = _load_tribal_policy(config_dir / "tribal_data_policy.yaml")
    return GeoConfig(settings, regions, members, neighborhoods, policy, default)


def check_region_counties(config: GeoConfig, known_counties: set[str], path: Path) -> None:
    """Every county a region names must exist in the Census county boundaries (2017 or 2023)."""
    for row in config.region_members.filter(pl.col("member_geo_type") == "county").iter_rows(named=True):
        if row["member_geoid"] not in known_counties:
            raise ConfigError(
                f"{path}: region {row['ach_id']!r} field `counties` has value {row['member_geoid']!r}, "
                "which is not a county in the Census county boundaries (2017 or 2023)"
            )


def check_tribal_areas_exist(config: GeoConfig, known_areas: set[str], path: Path) -> None:
    """Every approved area must be an AIANNH area of the boundaries (a typo must not approve nothing silently)."""
    for geoid in config.tribal_policy["aiannh_geoid"]:
        if geoid not in known_areas:
            raise ConfigError(
                f"{path}: approved area field `aiannh_geoid` has value {geoid!r}, which is not an AIANNH area "
                "in the Census boundaries"
            )


def check_tribal_approvals(config: GeoConfig, tribes_by_area: dict[str, list[str]], path: Path) -> None:
    """An approval must name one of the tribal governments the crosswalk associates with the area (if it knows it)."""
    for row in config.tribal_policy.iter_rows(named=True):
        known = tribes_by_area.get(row["aiannh_geoid"])
        if known and _norm(row["approved_by"]) not in {_norm(t) for t in known}:
            raise ConfigError(
                f"{path}: approved area {row['aiannh_geoid']!r} field `approved_by` has value "
                f"{row['approved_by']!r}; the tribes associated with this area are {known}"
            )


def _norm(text: str) -> str:
    return " ".join(text.lower().split())


def _load_settings(path: Path) -> dict[str, Any]:
    raw = load_yaml(path)
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping")
    for key in ("equal_area_crs", "boundary_layers", "population_weights", "allocation", "tract_relationship"):
        if key not in raw:
            raise ConfigError(f"{path}: missing `{key}`")
    for name, layer in raw["boundary_layers"].items():
        for key in ("geo_type", "geo_vintage", "snapshot", "id_field"):
            if not layer.get(key):
                raise ConfigError(f"{path}: boundary layer {name!r} has no `{key}`")
    for key in ("min_area_share", "min_population_coverage"):
        value = raw["allocation"].get(key)
        if not isinstance(value, int | float) or not 0 <= value <= 1:
            raise ConfigError(f"{path}: allocation field `{key}` has value {value!r}; expected a share in [0, 1]")
    return raw


def _load_neighborhoods(config_dir: Path, regions_path: Path) -> list[Neighborhood]:
    from shapely.geometry import shape
    from shapely.validation import explain_validity

    raw = load_yaml(regions_path) or {}
    found: dict[str, Neighborhood] = {}
    for rel in raw.get("neighborhood_files") or []:
        path = config_dir / rel
        try:
            collection = json.loads(path.read_text())
        except FileNotFoundError:
            raise ConfigError(f"{regions_path}: neighborhood file {rel!r} not found at {path}") from None
        except json.JSONDecodeError as exc:
            raise ConfigError(f"{path}: not valid GeoJSON: {exc}") from None
        if collection.get("type") != "FeatureCollection":
            raise ConfigError(f"{path}: expected a GeoJSON FeatureCollection")
        for n, feature in enumerate(collection.get("features") or [], start=1):
            props = feature.get("properties") or {}
            nid = props.get("id")
            where = f"{path}: feature #{n}"
            if not nid or not _REGION_ID.match(str(nid)):
                raise ConfigError(f"{where} field `id` has value {nid!r}; expected lower-case words joined by '-'")
            if nid in found:
                raise ConfigError(f"{where}: neighborhood id {nid!r} is defined twice")
            if not props.get("name"):
                raise ConfigError(f"{where} ({nid}) has no `name`")
            geometry = feature.get("geometry")
            if not geometry or geometry.get("type") not in ("Polygon", "MultiPolygon"):
                kind = (geometry or {}).get("type")
                raise ConfigError(
                    f"{where} ({nid}) field `geometry` has type {kind!r}; expected Polygon or MultiPolygon"
                )
            try:
                geom = shape(geometry)
            except Exception as exc:  # shapely raises several types for malformed coordinates
                raise ConfigError(f"{where} ({nid}) field `geometry` cannot be read: {exc}") from None
            if not geom.is_valid:
                raise ConfigError(f"{where} ({nid}) field `geometry` is not a valid polygon: {explain_validity(geom)}")
            minx, miny, maxx, maxy = geom.bounds
            if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
                raise ConfigError(
                    f"{where} ({nid}) field `geometry` has bounds {geom.bounds}; GeoJSON is longitude/latitude"
                )
            if geom.area == 0:
                raise ConfigError(f"{where} ({nid}) field `geometry` has zero area")
            found[nid] = Neighborhood(nid, str(props["name"]), bool(props.get("example", False)), rel, geometry)
    return list(found.values())


def _load_regions(path: Path, neighborhood_ids: set[str]) -> tuple[pl.DataFrame, pl.DataFrame]:
    raw = load_yaml(path)
    entries = raw.get("regions") if isinstance(raw, dict) else None
    if not entries:
        raise ConfigError(f"{path}: expected a top-level `regions` list")
    regions: list[dict[str, Any]] = []
    members: list[dict[str, Any]] = []
    seen: set[str] = set()
    for n, entry in enumerate(entries, start=1):
        rid = entry.get("id")
        if not rid or not _REGION_ID.match(str(rid)):
            raise ConfigError(
                f"{path}: region #{n} field `id` has value {rid!r}; expected lower-case words joined by '-'"
            )
        where = f"{path}: region {rid!r}"
        if rid in seen:
            raise ConfigError(f"{where} is defined twice")
        seen.add(rid)
        for key in ("name", "state"):
            if not entry.get(key):
                raise ConfigError(f"{where} has no `{key}`")
        counties = entry.get("counties") or []
        hoods = entry.get("neighborhoods") or []
        if bool(counties) == bool(hoods):
            raise ConfigError(f"{where} must list exactly one of `counties` or `neighborhoods`")
        for county in counties:
            if not isinstance(county, str) or not _COUNTY.match(county):
                raise ConfigError(f"{where} field `counties` has value {county!r}; expected a quoted 5-digit FIPS")
            members.append({"ach_id": rid, "member_geo_type": "county", "member_geoid": county})
        for hood in hoods:
            if hood not in neighborhood_ids:
                raise ConfigError(
                    f"{where} field `neighborhoods` has value {hood!r}, which no file under `neighborhood_files` defines"
                )
            members.append({"ach_id": rid, "member_geo_type": "neighborhood", "member_geoid": hood})
        regions.append(
            {
                "ach_id": rid,
                "name": str(entry["name"]),
                "state_fips": str(entry["state"]),
                "geo_vintage": str(entry.get("vintage") or ""),
                "example": bool(entry.get("example", False)),
                "built_from": "counties" if counties else "neighborhoods",
            }
        )
    member_frame = pl.DataFrame(members)
    dupes = member_frame.group_by("ach_id", "member_geoid").len().filter(pl.col("len") > 1)
    if dupes.height:
        row = dupes.row(0, named=True)
        raise ConfigError(f"{path}: region {row['ach_id']!r} lists {row['member_geoid']!r} twice")
    return pl.DataFrame(regions), member_frame


def _load_tribal_policy(path: Path) -> tuple[pl.DataFrame, str]:
    raw = load_yaml(path)
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping with `default` and `approved_areas`")
    default = raw.get("default")
    if default != "withhold":
        raise ConfigError(
            f"{path}: field `default` has value {default!r}; only `withhold` is supported (publication needs an approval)"
        )
    rows = []
    for n, entry in enumerate(raw.get("approved_areas") or [], start=1):
        geoid = str(entry.get("aiannh_geoid", ""))
        where = f"{path}: approved area #{n}"
        if not _AIANNH.match(geoid):
            raise ConfigError(f"{where} field `aiannh_geoid` has value {geoid!r}; expected a quoted 4-digit GEOID")
        for key in ("approved_by", "approval_reference", "approved_on"):
            if not entry.get(key):
                raise ConfigError(
                    f"{where} ({geoid}) has no `{key}`: an approval names the tribal government and its act"
                )
        rows.append(
            {
                "aiannh_geoid": geoid,
                "name": str(entry.get("name") or ""),
                "approved_by": str(entry["approved_by"]),
                "approval_reference": str(entry["approval_reference"]),
                "approved_on": str(entry["approved_on"]),
            }
        )
    schema = dict.fromkeys(("aiannh_geoid", "name", "approved_by", "approval_reference", "approved_on"), pl.String)
    frame = pl.DataFrame(rows, schema=schema)
    dupes = frame.group_by("aiannh_geoid").len().filter(pl.col("len") > 1)
    if dupes.height:
        raise ConfigError(f"{path}: area {dupes['aiannh_geoid'][0]!r} is approved twice")
    return frame, default
