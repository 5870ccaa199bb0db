"""Every asset carries owners, its layer and source tags, kinds, a code version and column docs
(assets/asset_attributes.py), and the documented columns are exactly those of the table the asset writes."""

from __future__ import annotations

import re
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from assets import asset_attributes
from assets.asset_attributes import COLUMN_SCHEMA, TABLE_NAME, apply_attributes, code_version, load_attributes
from assets.settings import PROJECT_ROOT
from pipelines.definitions import build_definitions
from tests.conftest import instance_at

defs = build_definitions()

LAYERS = {"raw", "seed", "geography", "staging", "intermediate", "mart", "release", "report"}
SOURCES = set(load_attributes()["source_values"])
PUBLISHED_PREFIX = "sdoh_published."


def _nodes():
    graph = defs.resolve_asset_graph()
    return [graph.get(k) for k in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string())]


def test_every_asset_has_owners_tags_kinds_a_code_version_and_column_docs() -> None:
    assert {"census_api", "cdc_places", "cdc_svi", "hud_chas", "wa_doh", "census_geo", "config", "multiple"} <= SOURCES
    nodes = _nodes()
    assert len(nodes) >= 44
    for node in nodes:
        name = node.key.to_user_string()
        assert node.owners, name
        assert all(o.startswith("team:") or "@" in o for o in node.owners), (name, node.owners)
        assert node.tags.get("layer") in LAYERS, (name, node.tags)
        assert node.tags.get("source") in SOURCES, (name, node.tags)
        assert node.kinds and "duckdb" in node.kinds, (name, node.kinds)
        assert re.fullmatch(r"[0-9a-f]{16}", node.code_version or ""), (name, node.code_version)
        schema = node.metadata.get(COLUMN_SCHEMA)
        assert isinstance(schema, dg.TableSchema) and schema.columns, name
        undocumented = [c.name for c in schema.columns if not (c.description or "").strip()]
        assert not undocumented, f"{name}: columns without a description: {undocumented}"
        assert node.metadata.get(TABLE_NAME), name
    assert {n.tags["layer"] for n in nodes} == LAYERS
    assert {n.tags["source"] for n in nodes} == SOURCES


def test_layers_and_sources_of_some_assets() -> None:
    """Raw and staging assets are grouped by their source; the other layers keep their own group."""
    by_name = {n.key.to_user_string(): n for n in _nodes()}
    expected = {
        "census_api_raw": ("raw", "census_api", "census_api"),
        "stg_cdc_places__estimates": ("staging", "cdc_places", "cdc_places"),
        "stg_cdc_svi__estimates": ("staging", "cdc_svi", "cdc_svi"),
        "int_svi_ranks": ("intermediate", "cdc_svi", "intermediate"),
        "int_source_estimates": ("intermediate", "multiple", "intermediate"),
        "seed_indicators": ("seed", "config", "seeds"),
        "geo_boundaries": ("geography", "census_geo", "geographies"),
        "xwalk_tract_areas": ("geography", "census_geo", "geographies"),
        "fct_indicator_values": ("mart", "multiple", "marts"),
        "published_release": ("release", "multiple", "publish"),
    }
    found = {k: (by_name[k].tags["layer"], by_name[k].tags["source"], by_name[k].group_name) for k in expected}
    assert found == expected


def test_documented_columns_are_the_columns_each_asset_writes(first_release, published) -> None:
    """For every asset: the table named in its definition is the table its materialization says it wrote, and the
    documented columns, in order, are that table's columns in the warehouse (or, for the release, in the published
    file) built by the session's whole-graph run. The report layer (ach_profiles) is not in that run (its own run
    renders it after publishing): tests/reports/test_ach_profiles.py compares its documented columns with the
    profiles.csv a render of the same release writes."""
    settings, [run] = first_release
    assert run.success, "the main job failed on the real snapshot"
    warehouse = duckdb.connect(str(settings.warehouse_path), read_only=True)
    problems = []
    try:
        with instance_at(run.instance_dir) as instance:
            for node in _nodes():
                if node.tags.get("layer") == "report":
                    continue
                name = node.key.to_user_string()
                table = str(node.metadata[TABLE_NAME])
                documented = [c.name for c in node.metadata[COLUMN_SCHEMA].columns]
                con = published if table.startswith(PUBLISHED_PREFIX) else warehouse
                actual = [r[0] for r in con.execute(f"describe {table}").fetchall()]
                if documented != actual:
                    problems.append(
                        f"{name} ({table}): undocumented {[c for c in actual if c not in documented]}, "
                        f"not in the table {[c for c in documented if c not in actual]}, documented order {documented}"
                        f" vs {actual}"
                    )
                [record] = instance.fetch_materializations(node.key, limit=1).records
                assert record.run_id in run.run_ids, name
                recorded = record.asset_materialization.metadata
                if TABLE_NAME in recorded:  # what the asset says it wrote (the publish step writes files, not one)
                    assert recorded[TABLE_NAME].value == table, name
                    assert [c.name for c in recorded[COLUMN_SCHEMA].schema.columns] == actual, name
    finally:
        warehouse.close()
    assert not problems, "\n".join(problems)


def test_code_version_is_a_hash_of_the_module_and_what_it_reads(tmp_path: Path) -> None:
    module = tmp_path / "assets" / "thing.py"
    module.parent.mkdir()
    module.write_text("def thing(): ...\n")
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "a.yaml").write_text("a: 1\n")
    (tmp_path / "config" / "b.yaml").write_text("b: 1\n")
    first = code_version(module, ["config/*.yaml"], root=tmp_path)
    assert first == code_version(module, ["config/b.yaml", "config/a.yaml"], root=tmp_path)  # order-free
    assert first != code_version(module, ["config/a.yaml"], root=tmp_path)
    (tmp_path / "config" / "b.yaml").write_text("b: 2\n")
    changed = code_version(module, ["config/*.yaml"], root=tmp_path)
    assert changed != first
    module.write_text("def thing(): return 1\n")
    assert code_version(module, ["config/*.yaml"], root=tmp_path) not in (first, changed)
    with pytest.raises(ValueError, match="matches no file"):
        code_version(module, ["config/missing.yaml"], root=tmp_path)


def test_code_versions_differ_where_the_code_or_config_differs() -> None:
    nodes = {n.key.to_user_string(): n for n in _nodes()}
    seeds = {n.code_version for k, n in nodes.items() if k.startswith("seed_")}
    assert len(seeds) == 1  # one function loads every seed from the whole config
    python = ["census_api_raw", "cdc_places_raw", "cdc_svi_raw", "hud_chas_raw", "wa_doh_life_expectancy_raw"]
    assert len({nodes[k].code_version for k in python}) == len(python)


def test_reads_lists_the_config_files_each_python_asset_names() -> None:
    """A config file an asset module opens by name (``config_path / "x.yaml"``) is among the files its code version
    hashes (config/asset_attributes.yaml `reads`)."""
    reads = load_attributes()["reads"]
    for definition in (*_python_definitions(),):
        source = asset_attributes._module_file(definition).read_text()
        named = set(re.findall(r'(?:config_path|config_dir)\s*/\s*"([\w./-]+\.yaml)"', source))
        listed = {
            p.relative_to(PROJECT_ROOT / "config").as_posix()
            for g in reads[definition.node_def.name]
            for p in PROJECT_ROOT.glob(g)
            if p.is_relative_to(PROJECT_ROOT / "config")
        }
        assert named <= listed, (definition.node_def.name, named - listed)


def _python_definitions() -> list[dg.AssetsDefinition]:
    from assets.build_graph import build_assets
    from assets.publish.published_release import published_release

    return [d for d in (*build_assets(), published_release) if "sql_file" not in next(iter(d.specs)).metadata]


def test_owners_are_overridable_per_layer_and_per_asset(monkeypatch) -> None:
    """`owners` in config/asset_attributes.yaml: an asset's own entry, else its layer's, else the default."""
    from assets.build_graph import build_assets

    config = load_attributes()
    changed = {
        **config,
        "owners": {
            "default": ["team:default"],
            "layers": {"seed": ["team:config-stewards"]},
            "assets": {"cdc_svi_raw": ["svi.owner@example.org"]},
        },
    }
    monkeypatch.setattr(asset_attributes, "load_attributes", lambda: changed)
    originals = [d for d in build_assets() if d.node_def.name in ("cdc_svi_raw", "cdc_places_raw", "config_seeds")]
    owners = {spec.key.to_user_string(): spec.owners for d in apply_attributes(originals) for spec in d.specs}
    assert owners["cdc_svi_raw"] == ["svi.owner@example.org"]
    assert owners["cdc_places_raw"] == ["team:default"]
    assert owners["seed_indicators"] == ["team:config-stewards"]
