"""HUD CHAS: the release, tables and label maps the pipeline reads (config/hud_chas.yaml), and where their bytes
come from: the snapshot's CSVs, or live HUD's county zip (landed) with each table extracted and landed."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sources.core.config_io import load_yaml
from sources.core.errors import ConfigError
from sources.core.files import SourceFile, ZipMember

_RELEASE = re.compile(r"^(?P<start>\d{4})thru(?P<end>\d{4})$")
_CODE = re.compile(r"^[a-z0-9][a-z0-9_]*$")


@dataclass(frozen=True)
class ChasTableSpec:
    """One table's entry in ``config/hud_chas.yaml``: where it is and how its dictionary labels become codes."""

    table: int
    title: str
    snapshot: str  # relative to the snapshot folder
    dictionary: str  # relative to the snapshot folder (both modes read it there)
    member: str  # file name inside HUD's live zip, matched regardless of folder
    label_map: dict[str, dict[str, Any]]  # dimension code -> {header: dictionary column, labels: {label: code}}


@dataclass(frozen=True)
class ChasConfig:
    release: str  # HUD's period name, e.g. 2018thru2022
    live_url: str
    landing_relpath: str
    missing_markers: dict[str, str]
    tables: dict[int, ChasTableSpec]


def table_source(config: ChasConfig, table: int) -> SourceFile:
    """Table ``table``'s CSV: in the snapshot, or extracted from HUD's landed zip in live mode."""
    spec = config.tables[table]
    stem = spec.member.rsplit(".", 1)[0]
    return SourceFile(
        f"HUD CHAS table {table}",
        spec.snapshot,
        ZipMember(config.live_url, config.landing_relpath, spec.member, f"hud_chas/{stem}.csv"),
    )


def dictionary_source(config: ChasConfig, table: int) -> SourceFile:
    """HUD's dictionary sheet for a table: the snapshot in both modes (it describes the release, not a run)."""
    return SourceFile(f"HUD CHAS table {table} dictionary", config.tables[table].dictionary, live=None)


def load_chas_config(path: Path) -> ChasConfig:
    """Read and check ``config/hud_chas.yaml``; a malformed entry is a ConfigError naming file, table and field."""
    raw = load_yaml(Path(path))
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    for key in ("release", "live", "tables"):
        if key not in raw:
            raise ConfigError(f"{path}: missing `{key}`")
    if not _RELEASE.match(str(raw["release"])):
        raise ConfigError(f"{path}: field release has value {raw['release']!r}; expected e.g. '2018thru2022'")
    live = raw["live"] or {}
    if not isinstance(live, dict) or not live.get("url") or not live.get("landing_relpath"):
        raise ConfigError(f"{path}: `live` needs `url` and `landing_relpath`")
    markers = raw.get("missing_markers") or {}
    if not isinstance(markers, dict) or not all(isinstance(v, str) and v for v in markers.values()):
        raise ConfigError(f"{path}: `missing_markers` must map each marker to a non-empty reason")
    tables: dict[int, ChasTableSpec] = {}
    for key, entry in (raw["tables"] or {}).items():
        if not isinstance(key, int) or not isinstance(entry, dict):
            raise ConfigError(f"{path}: tables entry {key!r} must be a table number with a mapping")
        for field in ("title", "snapshot", "dictionary", "member", "label_map"):
            if not entry.get(field):
                raise ConfigError(f"{path}: table {key} lacks field `{field}`")
        check_label_map(entry["label_map"], f"{path}: table {key}")
        tables[key] = ChasTableSpec(
            table=key,
            title=str(entry["title"]),
            snapshot=str(entry["snapshot"]),
            dictionary=str(entry["dictionary"]),
            member=str(entry["member"]),
            label_map={
                dim: {"header": spec["header"], "labels": dict(spec["labels"])}
                for dim, spec in entry["label_map"].items()
            },
        )
    if not tables:
        raise ConfigError(f"{path}: `tables` is empty")
    return ChasConfig(
        release=str(raw["release"]),
        live_url=str(live["url"]),
        landing_relpath=str(live["landing_relpath"]),
        missing_markers={str(k): v for k, v in markers.items()},
        tables=tables,
    )


def check_label_map(label_map: Any, where: str) -> None:
    """A label map is {dimension code: {header: str, labels: {label: code}}} with lower-case codes."""
    if not isinstance(label_map, Mapping) or not label_map:
        raise ConfigError(f"{where}: label_map must be a non-empty mapping of dimension -> header and labels")
    headers: list[str] = []
    for dim, spec in label_map.items():
        if not isinstance(dim, str) or not _CODE.match(dim):
            raise ConfigError(f"{where}: label_map dimension {dim!r} must be a lower-case code")
        if not isinstance(spec, Mapping) or not isinstance(spec.get("header"), str) or not spec["header"]:
            raise ConfigError(f"{where}: label_map dimension {dim} needs `header` (the dictionary's column name)")
        labels = spec.get("labels")
        if not isinstance(labels, Mapping) or not labels:
            raise ConfigError(f"{where}: label_map dimension {dim} needs `labels` (dictionary label -> code)")
        for label, code in labels.items():
            if not isinstance(label, str) or not isinstance(code, str) or not _CODE.match(code):
                raise ConfigError(f"{where}: label_map dimension {dim} label {label!r} has code {code!r}")
        headers.append(spec["header"])
    if len(set(headers)) != len(headers):
        raise ConfigError(f"{where}: label_map names a dictionary column twice ({headers!r})")
