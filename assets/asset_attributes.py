"""Owners, tags, kinds, group, code version and column docs of every asset, applied in one place.

The assets declare what they do (their function, description, dependencies); what the catalog says about them is
data, applied here to the finished definitions with ``map_asset_specs`` so no asset module has to repeat it:

- owners, the ``layer`` and ``source`` tags, extra kinds and the graph's groups: ``config/asset_attributes.yaml``;
- column docs (``dagster/column_schema``) and the table name of each Python asset: ``assets/<layer>/tables.yaml``,
  beside the modules that write those tables, as a SQL model's columns are in its own header;
- a Python asset's code version: the sha256 of its module's source and of the files the YAML says it reads (config
  files, the parser package); SQL models keep the hash of their SQL.

Only files are read (about 60 small ones, a few milliseconds), never a warehouse or a snapshot, so loading the code
location stays fast. A Python asset without column docs, or with an unknown layer or source, is an error naming the
file to edit.
"""

from __future__ import annotations

import hashlib
import inspect
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import dagster as dg
import yaml

from assets.settings import CONFIG_DIR, PROJECT_ROOT
from sources.core.config_io import parse_yaml

ATTRIBUTES_FILE = CONFIG_DIR / "asset_attributes.yaml"
TABLE_DOCS = "assets/*/tables.yaml"  # from the project root
COLUMN_SCHEMA = "dagster/column_schema"
TABLE_NAME = "dagster/table_name"
KIND_TAG = "dagster/kind/"


@dataclass(frozen=True)
class TableDoc:
    """One Python asset's table: where it is, its grain and what each column holds (``assets/<layer>/tables.yaml``)."""

    asset: str
    table: str
    grain: str
    columns: dict[str, str]
    path: Path
    description: str | None = None  # for the data dictionary, when the table needs other words than its asset

    @property
    def column_schema(self) -> dg.TableSchema:
        return dg.TableSchema(columns=[dg.TableColumn(name, description=text) for name, text in self.columns.items()])


def _read_yaml(path: Path) -> Any:
    try:
        return parse_yaml(path.read_text())
    except yaml.YAMLError as error:
        raise ValueError(f"{path}: not valid YAML: {error}") from None


@cache
def load_attributes(path: Path = ATTRIBUTES_FILE) -> dict[str, Any]:
    config = _read_yaml(path) or {}
    for key in ("owners", "layers", "kinds", "sources", "source_values", "groups", "reads"):
        if key not in config:
            raise ValueError(f"{path}: no `{key}`")
    bad = {a: s for a, s in config["sources"].items() if s not in config["source_values"]}
    if bad:
        raise ValueError(f"{path}: `sources` names values not in `source_values`: {bad}")
    return config


@cache
def load_table_docs(root: Path = PROJECT_ROOT) -> dict[str, TableDoc]:
    """Every Python asset's table docs, by asset name, from ``assets/*/tables.yaml``."""
    docs: dict[str, TableDoc] = {}
    for path in sorted(root.glob(TABLE_DOCS)):
        for asset, entry in (_read_yaml(path) or {}).items():
            for key in ("table", "grain", "columns"):
                if not (entry or {}).get(key):
                    raise ValueError(f"{path}: `{asset}` has no `{key}`")
            if asset in docs:
                raise ValueError(f"{path}: `{asset}` is documented twice (also in {docs[asset].path})")
            columns = {str(k): " ".join(str(v).split()) for k, v in entry["columns"].items()}
            text = " ".join(str(entry.get("description") or "").split()) or None
            docs[asset] = TableDoc(
                asset, str(entry["table"]), " ".join(str(entry["grain"]).split()), columns, path, text
            )
    return docs


def code_version(module_file: Path, reads: Iterable[str], root: Path = PROJECT_ROOT) -> str:
    """sha256 of a module's source and of every file the ``reads`` globs match (relative to ``root``), first 16 hex
    digits. Each file is hashed with its path, in sorted order, so the result depends on content and names only."""
    files = {Path(module_file).resolve()}
    for pattern in reads:
        matched = sorted(root.glob(pattern))
        if not matched:
            raise ValueError(f"{ATTRIBUTES_FILE}: `reads` pattern {pattern!r} matches no file under {root}")
        files.update(p.resolve() for p in matched if p.is_file())
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def _module_file(definition: dg.AssetsDefinition) -> Path:
    fn = definition.op.compute_fn
    return Path(inspect.getsourcefile(getattr(fn, "decorated_fn", fn)))


def _sources(
    layer_of: Mapping[dg.AssetKey, str], parents: Mapping[dg.AssetKey, Iterable[dg.AssetKey]], config: dict[str, Any]
) -> dict[dg.AssetKey, str]:
    """The ``source`` tag of every asset: configured, ``config`` for seeds, else the one source its inputs share
    (seeds aside) or ``multiple``."""
    found: dict[dg.AssetKey, str] = {}

    def source(key: dg.AssetKey, seen: tuple[dg.AssetKey, ...] = ()) -> str:
        if key in found:
            return found[key]
        if key in seen:
            raise ValueError(f"cycle in the asset graph at {key.to_user_string()}")
        name = key.to_user_string()
        if name in config["sources"]:
            value = config["sources"][name]
        elif layer_of.get(key) == "seed":
            value = "config"
        else:
            inputs = {source(p, (*seen, key)) for p in parents.get(key, ()) if p in layer_of} - {"config"}
            if not inputs and not parents.get(key):
                raise ValueError(f"{ATTRIBUTES_FILE}: {name} reads no other asset; name its source under `sources`")
            value = inputs.pop() if len(inputs) == 1 else ("config" if not inputs else "multiple")
        found[key] = value
        return value

    for key in layer_of:
        source(key)
    return found


def apply_attributes(
    definitions: Sequence[dg.AssetsDefinition], upstream: Sequence[dg.AssetsDefinition] = ()
) -> list[dg.AssetsDefinition]:
    """``definitions`` with owners, tags, kinds, group, code version and column docs set on every asset.

    ``upstream`` are already-attributed assets that ``definitions`` read (their sources are taken from them: the
    publish asset reads the whole graph)."""
    config = load_attributes()
    docs = load_table_docs()
    everything = [*upstream, *definitions]
    layer_of: dict[dg.AssetKey, str] = {}
    for definition in everything:
        for spec in definition.specs:
            layer_of[spec.key] = _layer(spec, config)
    parents = {key: d.asset_deps.get(key, ()) for d in everything for key in d.keys}
    sources = _sources(layer_of, parents, config)
    attributed = []
    for definition in definitions:
        version = None
        if any(spec.code_version is None for spec in definition.specs):
            reads = config["reads"].get(definition.node_def.name)
            if reads is None:
                raise ValueError(
                    f"{ATTRIBUTES_FILE}: `reads` has no entry for {definition.node_def.name} (list the config files "
                    "and source package it reads, or [] for none)"
                )
            version = code_version(_module_file(definition), reads)
        attributed.append(
            definition.map_asset_specs(
                _spec_updater(config, docs, layer_of, sources, version),
            )
        )
    return attributed


def _layer(spec: dg.AssetSpec, config: dict[str, Any]) -> str:
    """The layer tag: already set (an upstream asset attributed before), or from the group the asset is declared in."""
    layer = spec.tags.get("layer") or config["layers"].get(spec.group_name)
    if layer is None:
        raise ValueError(
            f"{ATTRIBUTES_FILE}: {spec.key.to_user_string()} is in group {spec.group_name!r}, which `layers` "
            "does not name"
        )
    return layer


def _spec_updater(
    config: dict[str, Any],
    docs: Mapping[str, TableDoc],
    layer_of: Mapping[dg.AssetKey, str],
    sources: Mapping[dg.AssetKey, str],
    version: str | None,
) -> Callable[[dg.AssetSpec], dg.AssetSpec]:
    def update(spec: dg.AssetSpec) -> dg.AssetSpec:
        name = spec.key.to_user_string()
        layer, source = layer_of[spec.key], sources[spec.key]
        owners = config["owners"]
        metadata = dict(spec.metadata)
        if COLUMN_SCHEMA not in metadata:
            doc = docs.get(name)
            if doc is None:
                raise ValueError(f"{name} has no column docs: add it to the tables.yaml beside its module")
            metadata[COLUMN_SCHEMA] = doc.column_schema
            metadata[TABLE_NAME] = doc.table
        elif "sql_file" in metadata:  # a SQL model: its table is <folder>.<file stem>
            sql_file = Path(str(metadata["sql_file"]))
            metadata.setdefault(TABLE_NAME, f"{sql_file.parent.name}.{sql_file.stem}")
        group = source if layer in config["groups"]["by_source"] else spec.group_name
        return spec.replace_attributes(
            owners=list(owners["assets"].get(name) or owners["layers"].get(layer) or owners["default"]),
            tags={
                **{k: v for k, v in spec.tags.items() if not k.startswith(KIND_TAG)},
                "layer": layer,
                "source": source,
            },
            kinds={*spec.kinds, *config["kinds"].get(layer, ())},
            metadata=metadata,
            group_name=group,
            code_version=spec.code_version or version,
        )

    return update
