"""Every asset that builds the tables a release publishes (everything but the release itself), and their lineage.

``pipelines/definitions.py`` assembles the code location from :data:`BUILD_ASSETS` plus the publish asset. The publish
asset reads :func:`parents_by_asset` to prove that every table it publishes was built from its inputs' latest
materializations: a Dagster job that selects the publish asset alone only knows that asset's direct parents, so the
lineage comes from the asset definitions themselves.
"""

from __future__ import annotations

from functools import cache

import dagster as dg

from assets.asset_attributes import apply_attributes
from assets.geographies.xwalk_tract_areas import xwalk_tract_areas
from assets.seeds.config_seeds import config_seeds
from assets.settings import SQL_DIR
from assets.source_registry import SOURCE_ASSETS
from assets.sql_models import build_model_assets


@cache
def build_assets() -> tuple[dg.AssetsDefinition, ...]:
    """Every asset but the release, with owners, tags, kinds, group, code version and column docs applied
    (``assets/asset_attributes.py``)."""
    return tuple(apply_attributes([*SOURCE_ASSETS, config_seeds, xwalk_tract_areas, *build_model_assets(SQL_DIR)]))


def parents_by_asset() -> dict[dg.AssetKey, frozenset[dg.AssetKey]]:
    """Each asset's direct inputs (asset keys), for every asset in :func:`build_assets`."""
    parents: dict[dg.AssetKey, frozenset[dg.AssetKey]] = {}
    for definition in build_assets():
        for key in definition.keys:
            parents[key] = frozenset(definition.asset_deps.get(key, ()))
    return parents


def ancestors(keys: set[dg.AssetKey]) -> set[dg.AssetKey]:
    """``keys`` and every asset upstream of them, through :func:`parents_by_asset`."""
    parents = parents_by_asset()
    seen: set[dg.AssetKey] = set()
    todo = list(keys)
    while todo:
        key = todo.pop()
        if key not in seen:
            seen.add(key)
            todo.extend(parents.get(key, ()))
    return seen
