"""What the UI's GraphQL API serves about each asset: the owners, tags, kinds, group and code version that
assets/asset_attributes.py sets, and no asset whose stored materialization was built from other code."""

from __future__ import annotations

import pytest

from pipelines.definitions import build_definitions

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

QUERY = """
{
  assetNodes {
    assetKey { path }
    groupName
    opVersion
    kinds
    owners { ... on TeamAssetOwner { team } ... on UserAssetOwner { email } }
    tags { key value }
    assetMaterializations(limit: 1) { runId tags { key value } }
  }
}
"""


def test_the_ui_serves_every_assets_attributes(webserver) -> None:
    served = {"/".join(n["assetKey"]["path"]): n for n in webserver.graphql(QUERY)["assetNodes"]}
    graph = build_definitions().resolve_asset_graph()
    expected = {k.to_user_string(): graph.get(k) for k in graph.get_all_asset_keys()}
    assert served.keys() == expected.keys()
    for name, node in served.items():
        defined = expected[name]
        tags = {t["key"]: t["value"] for t in node["tags"]}
        assert node["groupName"] == defined.group_name, name
        assert node["opVersion"] == defined.code_version, name
        assert set(node["kinds"]) == set(defined.kinds), name
        assert [o.get("team") or o.get("email") for o in node["owners"]] == [
            o.removeprefix("team:") for o in defined.owners
        ], name
        assert (tags["layer"], tags["source"]) == (defined.tags["layer"], defined.tags["source"]), name
        if defined.tags["layer"] == "report":  # rendered by its own run, which first_release leaves out
            assert node["assetMaterializations"] == [], name
            continue
        # the stored run built every asset from the code it now has (the UI would say "code version changed")
        [materialization] = node["assetMaterializations"]
        assert materialization["runId"] in webserver.run_ids, name
        recorded = {t["key"]: t["value"] for t in materialization["tags"]}
        assert recorded.get("dagster/code_version") == defined.code_version, name
