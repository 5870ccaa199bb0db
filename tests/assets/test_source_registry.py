"""assets/source_registry.py is the one list of assets that read upstream files: the publish step depends on each
and the release manifest lists their files. These tests fail when an asset that reads source files is left out."""

from __future__ import annotations

import importlib
import pkgutil
import re

import dagster as dg

import assets
import assets.raw
from assets.provenance import SOURCE_FILES_KEY
from assets.publish.published_release import published_release
from assets.settings import PROJECT_ROOT
from assets.source_registry import RAW_SOURCE_ASSETS, SOURCE_ASSET_KEYS
from pipelines.definitions import build_definitions


def _assets_defined_in(package) -> dict[str, list[dg.AssetsDefinition]]:
    found: dict[str, list[dg.AssetsDefinition]] = {}
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        module = importlib.import_module(info.name)
        found[info.name] = [v for v in vars(module).values() if isinstance(v, dg.AssetsDefinition)]
    return found


def test_every_raw_asset_is_registered() -> None:
    """Each asset defined in assets/raw/ is in RAW_SOURCE_ASSETS (a new source forgotten there fails here)."""
    defined = {a.key for found in _assets_defined_in(assets.raw).values() for a in found}
    assert defined, "no asset found under assets/raw"
    assert defined == {a.key for a in RAW_SOURCE_ASSETS}


def test_every_asset_that_reads_source_files_is_registered() -> None:
    """Any asset module that asks the source seam for bytes (``sdoh.files``) defines only registered assets."""
    readers = set()
    for path in sorted((PROJECT_ROOT / "assets").rglob("*.py")):
        if re.search(r"\bsdoh\.files\.(get|get_one|session)\(", path.read_text()):
            module = ".".join(path.relative_to(PROJECT_ROOT).with_suffix("").parts)
            readers |= {a.key for a in _assets_in(module)}
    assert readers, "no asset reads source files: the search is broken"
    assert readers <= set(SOURCE_ASSET_KEYS), (
        f"unregistered: {sorted(k.to_user_string() for k in readers - set(SOURCE_ASSET_KEYS))}"
    )


def _assets_in(module: str) -> list[dg.AssetsDefinition]:
    return [v for v in vars(importlib.import_module(module)).values() if isinstance(v, dg.AssetsDefinition)]


def test_publish_depends_on_every_registered_source_and_every_mart() -> None:
    graph = build_definitions().resolve_asset_graph()
    parents = graph.get(published_release.key).parent_keys
    assert set(SOURCE_ASSET_KEYS) <= parents
    marts = {k for k in graph.get_all_asset_keys() if graph.get(k).group_name == "marts"}
    assert marts and marts <= parents
    assert all(graph.has(k) for k in SOURCE_ASSET_KEYS)


def test_registered_assets_record_their_source_files(published_run_metadata) -> None:
    """In a real run on the snapshot, every registered asset's materialization lists the files it read, and the
    release manifest lists exactly the union of them."""
    metadata, manifest = published_run_metadata
    union = {}
    for key in SOURCE_ASSET_KEYS:
        rows = metadata[key][SOURCE_FILES_KEY].value
        assert rows, f"{key.to_user_string()} recorded no source files"
        union.update({r["path"]: r["sha256"] for r in rows})
    assert {r["path"]: r["sha256"] for r in manifest["source_files"]} == union
