"""The publish step asks the Dagster instance whether every check of the graph passed on the tables it is about to
publish, and whether every table is newer than its inputs, so selecting `published_release` alone cannot publish
unchecked, stale or bad tables. Each test works on a COPY of the good working state `first_release` left,
including the Dagster instance that recorded how its tables were built (as `make run`'s data/dagster_home does)."""

from __future__ import annotations

import shutil

import dagster as dg
import pytest

from assets.publish.release_store import read_ledger
from assets.publish.release_writer import list_releases
from assets.raw.freshness import freshness_check_keys
from assets.settings import EXPECTATIONS_DIR
from expectations.gx_checks import suite_check_keys
from tests.conftest import (
    copy_working_state,
    instance_at,
    instance_dir_of,
    published_hashes,
    replace_with_generated,
    run_selection,
    symlinked_snapshot,
)

PUBLISH_ALONE = dg.AssetSelection.assets("published_release")


@pytest.fixture
def good_copy(first_release, tmp_path):
    settings, results = first_release
    assert all(r.success for r in results), "the main job failed on the real snapshot"
    copy = copy_working_state(settings, tmp_path / "data")
    yield copy, results[0], [r.release_id for r in list_releases(copy.published_dir)]
    shutil.rmtree(copy.data_dir, ignore_errors=True)


def _failure_text(result: dg.ExecuteInProcessResult) -> str:
    return "\n".join(e.step_failure_data.error.to_string() for e in result.all_events if e.is_step_failure)


def test_publishing_alone_in_a_fresh_instance_refuses_naming_every_check(good_copy) -> None:
    """The tables are good but this instance never saw them built or checked: the publish step refuses, naming each
    of the graph's checks as never run and the tables as never materialized, and no release is added."""
    settings, _, before = good_copy
    with dg.DagsterInstance.ephemeral() as instance:
        result = run_selection(settings, PUBLISH_ALONE, instance)
    assert not result.success
    text = _failure_text(result)
    assert "not publishing" in text and "Materialize the whole graph" in text
    assert "fct_indicator_values has never been materialized" in text
    assert [r.release_id for r in list_releases(settings.published_dir)] == before
    assert read_ledger(settings.published_dir)[-1]["status"] == "refused"


def test_publishing_alone_after_a_checked_run_is_provably_checked_and_publishes_nothing_new(good_copy) -> None:
    """On the instance that built and checked the tables, publishing alone passes every guard; the content equals
    the latest release's, so it publishes nothing new and says so. The latest release's manifest names every
    upstream materialization (all from the first refresh's runs) and every check's result on exactly that
    materialization."""
    settings, first_run, before = good_copy
    with instance_at(instance_dir_of(settings)) as instance:
        result = run_selection(settings, PUBLISH_ALONE, instance)
        assert result.success, _failure_text(result)
        [published] = result.asset_materializations_for_node("published_release")
        assert published.metadata["new_release"].value is False
        assert published.metadata["release_id"].value == before[-1]
        manifest = list_releases(settings.published_dir)[-1].manifest
        latest = {
            m["asset"]: instance.fetch_materializations(dg.AssetKey(m["asset"]), limit=1).records[0].storage_id
            for m in manifest["materializations"]
        }
    assert [r.release_id for r in list_releases(settings.published_dir)] == before
    assert read_ledger(settings.published_dir)[-1]["status"] == "unchanged"
    assert {m["run_id"] for m in manifest["materializations"]} == set(first_run.run_ids)  # all six runs
    assert {"fct_indicator_values", "census_api_raw", "seed_indicators"} <= set(latest)
    assert all(latest[m["asset"]] == m["storage_id"] for m in manifest["materializations"])
    keys = {k.to_user_string() for k in [*suite_check_keys(EXPECTATIONS_DIR), *freshness_check_keys()]}
    assert {c["check"] for c in manifest["checks"]} == keys
    for check in manifest["checks"]:
        asset = check["check"].split(":")[0]
        assert check["evaluated_materialization"]["storage_id"] == latest[asset], check["check"]
        assert check["passed"] or check["severity"] == "WARN"


WA_DOH = "wa_doh/life_expectancy_tract/Life_Expectancy_at_Birth_16_20.csv"


def test_publishing_alone_after_a_run_blocked_by_bad_input_refuses(good_copy, snapshot_dir, tmp_path) -> None:
    """The bypass: a run on a snapshot whose Adams County tract 53001950100 life expectancy reads 850.1 years
    (GENERATED from the real file) writes the raw and staging tables, and the blocking check on staging fails, so
    nothing downstream runs. Launching the publish asset alone on the same instance then refuses: the check failed
    on the table it would publish from, and the tables downstream are older than the staging table they would come
    from. Nothing published changes; the ledger records the refusal."""
    from dataclasses import replace

    settings, _, before = good_copy
    text = (snapshot_dir / WA_DOH).read_text(encoding="utf-8-sig")
    real = '"Adams","53001950100","76.55","73.33","79.78"'
    assert real in text
    bad = symlinked_snapshot(snapshot_dir, tmp_path / "snapshot")
    replace_with_generated(bad / WA_DOH, text.replace(real, '"Adams","53001950100","850.1","820.0","880.2"'))
    bad_settings = replace(settings, snapshot_dir=bad)
    published = published_hashes(settings.published_dir)
    with instance_at(instance_dir_of(settings)) as instance:
        blocked = run_selection(
            bad_settings,
            dg.AssetSelection.assets(
                "wa_doh_life_expectancy_raw", "stg_wa_doh__life_expectancy", "int_source_estimates"
            ),
            instance,
        )
        assert not blocked.success
        result = run_selection(bad_settings, PUBLISH_ALONE, instance)
    assert not result.success
    failure = _failure_text(result)
    assert "stg_wa_doh__life_expectancy:gx_stg_wa_doh__life_expectancy failed" in failure and "53001950100" in failure
    assert "int_source_estimates is older than its input stg_wa_doh__life_expectancy" in failure, failure[:6000]
    assert [r.release_id for r in list_releases(settings.published_dir)] == before
    assert published_hashes(settings.published_dir) == published
    refused = read_ledger(settings.published_dir)[-1]
    assert refused["status"] == "refused" and "stg_wa_doh__life_expectancy" in refused["reasons"][0]


def test_a_check_that_ran_on_an_older_table_does_not_count(good_copy) -> None:
    """The life-expectancy staging table is materialized again after its check ran (here: recorded as a new
    materialization): the check evaluated the older table, so publishing alone refuses and says so."""
    settings, _, before = good_copy
    check = dg.AssetCheckKey(dg.AssetKey("stg_wa_doh__life_expectancy"), "gx_stg_wa_doh__life_expectancy")
    with instance_at(instance_dir_of(settings)) as instance:
        instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=check.asset_key))
        result = run_selection(settings, PUBLISH_ALONE, instance)
    assert not result.success
    text = _failure_text(result)
    assert f"{check.to_user_string()} checked an older materialization of stg_wa_doh__life_expectancy" in text
    assert [r.release_id for r in list_releases(settings.published_dir)] == before
