"""The publish step asks the Dagster instance whether every check of the graph passed on the tables it is about to
publish, so selecting `published_release` alone cannot publish unchecked or stale tables. Each test works on a COPY
of the good working state `first_release` left, in a fresh instance, and shows no release is added."""

from __future__ import annotations

import shutil

import dagster as dg
import pytest

from assets.publish.release_writer import list_releases
from assets.source_registry import SOURCE_ASSET_KEYS
from tests.conftest import copy_working_state, run_selection


@pytest.fixture
def good_copy(first_release, tmp_path):
    settings, results = first_release
    assert all(r.success for r in results), "the main job failed on the real snapshot"
    copy = copy_working_state(settings, tmp_path / "data")
    yield copy, results[0], [r.release_id for r in list_releases(copy.published_dir)]
    shutil.rmtree(copy.data_dir, ignore_errors=True)


def _failure_text(result: dg.ExecuteInProcessResult) -> str:
    return "\n".join(e.step_failure_data.error.to_string() for e in result.all_events if e.is_step_failure)


def _record_source_materializations(instance: dg.DagsterInstance, first_run: dg.ExecuteInProcessResult) -> None:
    """The instance knows the source assets' materializations (as a long-lived `dagster dev` instance would)."""
    for key in SOURCE_ASSET_KEYS:
        [record] = first_run.asset_materializations_for_node(key.path[-1])
        instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=key, metadata=record.metadata))


def test_publishing_alone_without_checks_refuses_naming_every_check(good_copy) -> None:
    """The tables are good and the instance knows where they came from, but no check has run on them: the publish
    step refuses, naming each of the graph's 7 checks as never run, and no release is added."""
    settings, first_run, before = good_copy
    with dg.DagsterInstance.ephemeral() as instance:
        _record_source_materializations(instance, first_run)
        result = run_selection(settings, dg.AssetSelection.assets("published_release"), instance)
    assert not result.success
    text = _failure_text(result)
    assert "not publishing: every check must have passed on the tables being published" in text
    assert text.count("has never run") == 7 and "census_api_raw:gx_census_api_raw has never run" in text
    assert [r.release_id for r in list_releases(settings.published_dir)] == before


def test_a_check_that_ran_on_an_older_table_does_not_count(good_copy) -> None:
    """The life-expectancy staging check passes, then its table is materialized again (here: recorded as a new
    materialization): the check evaluated the older table, so publishing alone refuses and says so."""
    settings, first_run, before = good_copy
    check = dg.AssetCheckKey(dg.AssetKey("stg_wa_doh__life_expectancy"), "gx_stg_wa_doh__life_expectancy")
    with dg.DagsterInstance.ephemeral() as instance:
        _record_source_materializations(instance, first_run)
        instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=check.asset_key))
        checked = run_selection(settings, dg.AssetSelection.checks(check), instance)
        assert checked.success
        instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=check.asset_key))
        result = run_selection(settings, dg.AssetSelection.assets("published_release"), instance)
    assert not result.success
    text = _failure_text(result)
    assert f"{check.to_user_string()} checked an older materialization of stg_wa_doh__life_expectancy" in text
    assert "census_api_raw:gx_census_api_raw has never run" in text
    assert [r.release_id for r in list_releases(settings.published_dir)] == before
