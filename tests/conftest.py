"""Shared fixtures: the real snapshot (read in place) and whole-graph runs in a temporary working folder."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import pytest

from assets.settings import Settings, settings_from_env

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

PUBLISHED_DB = "sdoh_published.duckdb"

# Tests that need `approved_run` (a second whole-graph run, about a minute) go to one pytest-xdist worker under
# `--dist loadgroup` (make test), so it is built once per session, not once per worker. Tests that need only
# `first_release` spread over both workers (it is built once and shared through a file lock; see the fixture). The marker is added before
# pytest-xdist's own collection hook reads it (tryfirst), or the grouping silently does not happen.
GROUPED_FIXTURES = {"approved_run"}


GRAPH_FIXTURES = {"first_release", "approved_run"}


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Group the approved_run tests, and order the session so the two workers never wait for each other: the
    approved_run group first (its worker builds the whole graph, then the second run), then every test that needs
    no whole-graph run (the other worker runs them meanwhile), then the tests that read the first run, the
    webserver's first."""

    def needs(item: pytest.Item) -> set[str]:
        return GRAPH_FIXTURES & set(getattr(item, "fixturenames", ()))

    for item in items:
        if GROUPED_FIXTURES & needs(item):
            item.add_marker(pytest.mark.xdist_group("approved_run"))

    def rank(item: pytest.Item) -> int:
        if GROUPED_FIXTURES & needs(item):
            return 0
        if not needs(item):
            return 1
        # the browser/GraphQL chain (one group: a webserver, then its tests) first among the graph tests, so it
        # does not end the session alone on one worker while the other is idle
        return 2 if "webserver" in getattr(item, "fixturenames", ()) else 3

    items.sort(key=rank)


@pytest.fixture(scope="session")
def snapshot_dir() -> Path:
    path = settings_from_env().snapshot_dir
    if not (path / "PROVENANCE.md").is_file():
        pytest.fail(
            f"the real-data snapshot is missing at {path}: put ../shared beside the checkout or set SDOH_SNAPSHOT_DIR"
        )
    return path


@contextmanager
def settings_environment(settings: Settings) -> Iterator[None]:
    """The SDOH_* environment variables that make the code location (which reads its settings from the environment,
    as the UI, the daemon and `sdoh` do) use `settings`; restored afterwards."""
    values = {
        "SDOH_SNAPSHOT_DIR": str(settings.snapshot_dir),
        "SDOH_DATA_DIR": str(settings.data_dir),
        "SDOH_MODE": settings.mode,
        "SDOH_CENSUS_API_BASE_URL": settings.census_api_base_url,
        "SDOH_CONFIG_DIR": str(settings.config_dir),
        "SDOH_CENSUS_GEO_BASE_URL": settings.census_geo_base_url,
    }
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def run_release_job(settings: Settings, instance_dir: Path, **refresh: Any) -> list:
    """Land every source and build and publish, as `make run` does (``sdoh refresh``'s runs of the code location,
    in process), on the Dagster instance stored in ``instance_dir`` (SQLite, like `make run`'s; kept so tests can
    copy it). Returns each run's outcome (``pipelines.launch.RunOutcome``), in order."""
    import io

    from pipelines.refresh import execute_plan, plan_refresh

    out = io.StringIO()
    with settings_environment(settings), instance_at(instance_dir) as instance:
        runs = plan_refresh(instance, settings, **refresh)
        outcomes = execute_plan(instance, runs, settings.data_dir / "logs", out=out, err=out)
    if not all(o.success for o in outcomes) or len(outcomes) < len(runs):
        print(out.getvalue()[-5000:])
    from pipelines.launch import RunOutcome

    return outcomes + [RunOutcome(f"not started: {r.label}", False) for r in runs[len(outcomes) :]]


def instance_at(instance_dir: Path) -> dg.DagsterInstance:
    """A Dagster instance whose storage (run, event log, schedule SQLite files) lives in ``instance_dir``."""
    instance_dir.mkdir(parents=True, exist_ok=True)
    return dg.DagsterInstance.local_temp(tempdir=str(instance_dir), overrides={"telemetry": {"enabled": False}})


def instance_dir_of(settings: Settings) -> Path:
    """Where a working folder made by these fixtures keeps its Dagster instance (beside data/, as `make run` keeps
    data/dagster_home)."""
    return settings.data_dir / "dagster_instance"


def run_selection(
    settings: Settings,
    selection: dg.AssetSelection,
    instance: dg.DagsterInstance | None = None,
    run_config: dict | None = None,
    partition: str | None = None,
) -> dg.ExecuteInProcessResult:
    """Materialize only `selection` of the project's own Definitions, in process, as "materialize selected" in the
    UI does: the selected assets with their checks, and checks the selection names on unselected assets (these read
    the tables already in the warehouse). A fresh ephemeral instance unless one is given."""
    from pipelines.definitions import build_definitions

    defs = build_definitions(settings)
    graph = defs.resolve_asset_graph()
    keys = selection.resolve(graph)
    job = defs.resolve_implicit_global_asset_job_def().get_subset(
        asset_selection=keys, asset_check_selection=selection.resolve_checks(graph)
    )
    if instance is not None:
        tags = partition_tags(instance, settings, keys, partition)
        return job.execute_in_process(instance=instance, raise_on_error=False, run_config=run_config, tags=tags)
    with dg.DagsterInstance.ephemeral() as fresh:
        tags = partition_tags(fresh, settings, keys, partition)
        return job.execute_in_process(instance=fresh, raise_on_error=False, run_config=run_config, tags=tags)


def partition_tags(
    instance: dg.DagsterInstance, settings: Settings, keys: set[dg.AssetKey], partition: str | None = None
) -> dict[str, str]:
    """Tags that make a run of `keys` land every configured vintage of the one partitioned raw asset among them
    (a run holds at most one partitioned asset), as `sdoh refresh` does; or only `partition`, as
    `sdoh refresh --source S --vintage V` does."""
    from assets.partitions import BY_ASSET, partition_range_tags, sync_configured_partitions

    partitioned = [BY_ASSET[k.path[-1]] for k in keys if k.path[-1] in BY_ASSET]
    if not partitioned:
        return {}
    assert len(partitioned) == 1, f"one run lands one partitioned source, not {[p.source for p in partitioned]}"
    sync_configured_partitions(instance, settings.config_dir)
    if partition is not None:
        return {"dagster/partition": partition}
    return partition_range_tags(instance.get_dynamic_partitions(partitioned[0].name))


def copy_working_state(settings: Settings, data_dir: Path, *, published: bool = True, **changes) -> Settings:
    """`settings` moved to a new working folder holding a COPY of its warehouse (and of its published releases
    unless ``published=False``), with any other setting changed by `changes`.

    The warehouse is copied byte for byte, never linked: DuckDB writes its file in place, so a link would let a
    test's run change the state other tests read. The published folder's release files and DuckDB file are HARD
    LINKS (a release is never written again once promoted; the published DuckDB file is replaced by ``os.replace``,
    never written in place), which spares ~250 MB of writes per copy; everything else in it (the ledger, appended to;
    the pins) is copied."""
    shutil.copytree(settings.warehouse_path.parent, data_dir / settings.warehouse_path.parent.name)
    if published:
        root = settings.published_dir
        shutil.copytree(root, data_dir / root.name, copy_function=lambda s, t: _link_immutable(root, s, t))
    if instance_dir_of(settings).is_dir():  # the Dagster instance that knows how those tables were built
        shutil.copytree(instance_dir_of(settings), data_dir / instance_dir_of(settings).name)
    return replace(settings, data_dir=data_dir, **changes)


def _link_immutable(published_dir: Path, source: str, target: str) -> None:
    """copytree's copy function for a published folder: hard links for the files written once (release files, the
    published DuckDB file), copies for the rest."""
    inside = Path(source).relative_to(published_dir)
    if inside.as_posix() == PUBLISHED_DB or inside.parts[0] == "releases":
        os.link(source, target)
    else:
        shutil.copy2(source, target)


def published_hashes(published_dir: Path) -> dict[str, str]:
    """sha256 of the published DuckDB file and of every file of every release (the ledger of attempts, which records
    a refused run, left out): what must stay byte-identical when a run publishes nothing."""
    from sources.core.hashing import sha256_file

    files = [published_dir / PUBLISHED_DB, *sorted(p for p in (published_dir / "releases").rglob("*") if p.is_file())]
    return {str(p.relative_to(published_dir)): sha256_file(p) for p in files}


def failure_summary(result: dg.ExecuteInProcessResult) -> str:
    """Failed steps' errors and failed checks' descriptions, for an assertion message."""
    texts = [f"{e.step_key}: {e.step_failure_data.error.message}" for e in result.all_events if e.is_step_failure]
    texts += [
        f"{e.event_specific_data.asset_check_key.to_user_string()}: {e.event_specific_data.description}"
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION" and not e.event_specific_data.passed
    ]
    return "\n".join(texts)[:5000]


def steps_started(result: dg.ExecuteInProcessResult) -> set[str]:
    """Step keys that began executing in the run (an asset's step key is its name; a check's is
    ``<asset>_<check>``). A step Dagster skips because something upstream failed never starts."""
    return {e.step_key for e in result.all_events if e.event_type_value == "STEP_START"}


def assets_materialized(result: dg.ExecuteInProcessResult) -> set[str]:
    return {e.asset_key.to_user_string() for e in result.all_events if e.is_step_materialization}


@pytest.fixture(scope="session")
def make_settings(snapshot_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Settings]:
    def _make(name: str, snapshot: Path | None = None) -> Settings:
        base = settings_from_env({})
        return replace(
            base, snapshot_dir=snapshot or snapshot_dir, data_dir=tmp_path_factory.mktemp(name), mode="snapshot"
        )

    return _make


@dataclass(frozen=True)
class RecordedRun:
    """What tests need of the main job's run, read back from the Dagster instance it was stored in, so every
    pytest-xdist worker can use the one run (an ExecuteInProcessResult lives only in the process that ran it)."""

    run_ids: tuple[str, ...]
    success: bool
    instance_dir: Path

    @property
    def run_id(self) -> str:
        """The last run: the one that built the marts and published."""
        return self.run_ids[-1]

    def asset_materializations_for_node(self, name: str) -> list[dg.AssetMaterialization]:
        """The asset's materializations by these runs, newest first (one per partition for a raw source)."""
        with instance_at(self.instance_dir) as instance:
            records = instance.fetch_materializations(dg.AssetKey(name), limit=50).records
            return [r.asset_materialization for r in records if r.run_id in self.run_ids]


@pytest.fixture(scope="session")
def first_release(snapshot_dir: Path, tmp_path_factory: pytest.TempPathFactory, worker_id: str):
    """The main job on the real snapshot with the shipped config: one release in a fresh working folder.

    The whole graph is materialized from scratch ONCE per test session, here: the first pytest-xdist worker to need
    it builds it under a file lock in the session's shared temporary folder; the other waits and reads the same
    folder (the pattern pytest-xdist documents for session fixtures that must run once). Tests never write into it:
    they copy it (``copy_working_state``) or open it read-only. `approved_run` publishes a second release into a
    copy of this folder. The run's Dagster instance is stored in the folder (``instance_dir_of``), so a copy of the
    folder carries the materializations and check results its tables came from, as `make run`'s data/dagster_home
    does."""
    from filelock import FileLock

    shared = tmp_path_factory.getbasetemp()
    shared = shared.parent if worker_id != "master" else shared
    settings = replace(settings_from_env({}), snapshot_dir=snapshot_dir, data_dir=shared / "first_release")
    record = shared / "first_release.json"
    with FileLock(str(shared / "first_release.lock")):
        if not record.is_file():
            # profiles=False: the equity profiles' own run is left out (tests/reports renders them once from this
            # release), so every test that needs the whole graph does not wait for twelve pages and their PDFs
            outcomes = run_release_job(settings, instance_dir_of(settings), profiles=False)
            success = all(o.success for o in outcomes)
            record.write_text(json.dumps({"run_ids": [o.run_id for o in outcomes], "success": success}))
    facts = json.loads(record.read_text())
    return settings, [RecordedRun(tuple(facts["run_ids"]), facts["success"], instance_dir_of(settings))]


@pytest.fixture(scope="session")
def published(first_release: tuple[Settings, list]) -> duckdb.DuckDBPyConnection:
    settings, results = first_release
    assert all(r.success for r in results), "the main job failed on the real snapshot"
    con = duckdb.connect(str(settings.published_dir / PUBLISHED_DB), read_only=True)
    yield con
    con.close()


def county_record(snapshot_dir: Path, relpath: str, geoid: str) -> dict[str, str | None]:
    """One county's record of a snapshot Census API response (header -> cell as written), found by state+county."""
    rows = json.loads((snapshot_dir / relpath).read_text())
    header = rows[0]
    row = next(r for r in rows[1:] if r[header.index("state")] + r[header.index("county")] == geoid)
    return dict(zip(header, row, strict=True))


def symlinked_snapshot(snapshot_dir: Path, target: Path) -> Path:
    """A copy of the snapshot made of symlinks, so a test can swap one file for a generated bad one."""
    shutil.copytree(snapshot_dir, target, copy_function=os.symlink)
    return target


def replace_with_generated(path: Path, text: str, encoding: str = "utf-8") -> None:
    """Swap one file of a symlinked snapshot for generated text (the real file behind the link is not touched)."""
    path.unlink()
    path.write_text(text, encoding=encoding)


# Two hand-drawn rectangles over real Los Angeles County 2020 tracts (coordinates typed by hand, lon/lat):
# A lies inside tract 06037302302; B straddles the border of tracts 06037302302 and 06037302401.
TEST_NEIGHBORHOODS = {
    "test-inside-one-tract": [-118.2631, 34.1397, -118.2611, 34.1417],
    "test-across-two-tracts": [-118.2641, 34.1361, -118.2601, 34.1391],
}
YAKAMA_APPROVAL = """default: withhold
approved_areas:
  - aiannh_geoid: "4690"
    name: Yakama Nation
    approved_by: Confederated Tribes and Bands of the Yakama Nation
    approval_reference: "TEST FIXTURE: not a real approval"
    approved_on: "2026-11-23"
"""


def write_test_config(target: Path) -> Path:
    """The shipped config with the test neighborhoods in place of the examples and Yakama approved."""
    from assets.settings import CONFIG_DIR

    shutil.copytree(CONFIG_DIR, target)
    features = [
        {
            "type": "Feature",
            "properties": {"id": nid, "name": nid, "example": True},
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]],
            },
        }
        for nid, (x0, y0, x1, y1) in TEST_NEIGHBORHOODS.items()
    ]
    (target / "neighborhoods" / "la_example_neighborhoods.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": features})
    )
    regions = target / "ach_regions.yaml"
    text = regions.read_text()
    old = "      - la-example-boyle-heights\n      - la-example-watts\n"
    assert old in text
    regions.write_text(text.replace(old, "".join(f"      - {nid}\n" for nid in TEST_NEIGHBORHOODS)))
    (target / "tribal_data_policy.yaml").write_text(YAKAMA_APPROVAL)
    return target


# The only files write_test_config changes: the neighborhoods, the ACH regions built from them, the tribal policy.
TEST_CONFIG_CHANGES = {
    "ach_regions.yaml",
    "neighborhoods/la_example_neighborhoods.geojson",
    "tribal_data_policy.yaml",
}


def _changed_config_files(config_dir: Path) -> set[str]:
    from assets.settings import CONFIG_DIR

    def files(root: Path) -> dict[str, bytes]:
        return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}

    shipped, test = files(CONFIG_DIR), files(config_dir)
    return {name for name in shipped.keys() | test.keys() if shipped.get(name) != test.get(name)}


def _table_rows(warehouse: Path, tables: list[str]) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return {t: con.execute(f"select * from {t} order by all").fetchall() for t in tables}
    finally:
        con.close()


@pytest.fixture(scope="session")
def approved_run(first_release: tuple[Settings, list[RecordedRun]], make_settings, tmp_path_factory):
    """The graph with test neighborhoods and the Yakama Nation area approved, published as a release.

    Shortcut, and why it is sound. The test config differs from the shipped one only in ``TEST_CONFIG_CHANGES``
    (asserted). The assets upstream of ``int_indicator_components`` other than seeds (``reused``: the five raw
    source assets, the staging models, ``int_svi_ranks``, ``int_source_estimates``, ``int_indicator_components``)
    cannot see those files:
      - the raw source assets read the snapshot and config files this test leaves alone (indicators,
        race_ethnicity_groups, reliability, census_api, cdc_places, hud_chas, cdc_svi YAML, as read in
        ``assets/raw/``); none reads ach_regions, the neighborhoods or the tribal policy;
      - the others are SQL over those raw tables and seeds. Asserted: no boundary asset is among them, nothing but
        seeds feeds them from outside, and those seed tables come out of this run identical.
    So their tables are the ones `first_release` wrote from the same snapshot, and the working folder starts from a
    COPY of that warehouse and of its published folder, so this run publishes the folder's second release (what
    the release lifecycle tests read: a second release beside the first). The run materializes everything else (config seeds,
    boundaries, crosswalk, allocation, indicator values, marts, the release) with their checks. The Dagster instance
    is copied with the folder, so it knows the reused tables' materializations and their checks' evaluations on
    exactly those materializations (the publish step lists the release's source files from them, refuses a table
    older than its inputs, and accepts a check only on the materialization it publishes). Asserted from the manifest:
    every check of the graph passed or only warned, as `make run` requires. The test config drops one of the three example neighborhoods, so the run accepts that row drop (as
    `release --accept-row-drops` would).
    """
    from assets.publish.release_writer import list_releases
    from pipelines.definitions import build_definitions

    good, results = first_release
    assert all(r.success for r in results), "the main job failed on the real snapshot"
    config_dir = write_test_config(tmp_path_factory.mktemp("config") / "config")
    assert _changed_config_files(config_dir) == TEST_CONFIG_CHANGES
    settings = copy_working_state(good, make_settings("approved_run").data_dir, config_dir=config_dir)

    graph = build_definitions(settings).resolve_asset_graph()
    reused = dg.AssetSelection.assets("int_indicator_components").upstream() - dg.AssetSelection.groups("seeds")
    reused_keys = reused.resolve(graph)
    assert not [k for k in reused_keys if graph.get(k).group_name == "geographies"], "boundaries read the config"
    inputs = set().union(*(graph.get(k).parent_keys for k in reused_keys)) - reused_keys
    assert all(graph.get(k).group_name == "seeds" for k in inputs), "a reused table reads more than seeds"
    seed_tables = sorted(f"seeds.{k.to_user_string()}" for k in inputs)
    seeds_before = _table_rows(settings.warehouse_path, seed_tables)

    changed_seeds = {"seed_ach_regions", "seed_ach_region_members", "seed_neighborhoods", "seed_tribal_data_policy"}
    assert not changed_seeds & {k.to_user_string() for k in inputs}, "a reused table reads a seed this config changes"
    # Not rebuilt: the reused tables and the seeds only they read. The instance copied with the folder knows how
    # they were built (first_release's run), so the publish step sees every table newer than its inputs.
    # Their checks are not run again either: the publish step requires each check's latest evaluation to be on the
    # very materialization it publishes, and first_release's evaluations are (the instance was copied), so the
    # manifest still lists every check of the graph (asserted below).
    # (the equity profiles are not part of what a release needs: tests/reports renders them from first_release)
    selection = dg.AssetSelection.all() - reused - dg.AssetSelection.assets(*inputs, "ach_profiles")
    with instance_at(instance_dir_of(settings)) as instance:
        # The test config replaces the three example neighborhoods with two: their rows drop on purpose.
        accept = {"ops": {"published_release": {"config": {"accept_row_drops": True}}}}
        result = run_selection(settings, selection, instance, run_config=accept)
    assert result.success, "the graph failed with the test config: " + failure_summary(result)
    assert not {k.to_user_string() for k in reused_keys} & assets_materialized(result)
    assert not {k.to_user_string() for k in inputs} & assets_materialized(result)
    assert _table_rows(settings.warehouse_path, seed_tables) == seeds_before, "the reused tables' seeds changed"
    first, release = list_releases(settings.published_dir)  # the copied first release, then this run's
    assert first.release_id == list_releases(good.published_dir)[0].release_id
    checked = release.manifest["checks_passed"] + release.manifest["checks_warned"]
    assert sorted(checked) == sorted(k.to_user_string() for k in graph.asset_check_keys)
    con = duckdb.connect(str(settings.published_dir / PUBLISHED_DB), read_only=True)
    yield settings, con
    con.close()


@pytest.fixture(scope="session")
def published_run_metadata(first_release: tuple[Settings, list[RecordedRun]]):
    """The first release's run: each registered source asset's materialization metadata, and that release's manifest."""
    from assets.publish.release_writer import list_releases
    from assets.source_registry import SOURCE_ASSET_KEYS

    settings, results = first_release
    first = results[0]
    metadata = {key: first.asset_materializations_for_node(key.path[-1])[0].metadata for key in SOURCE_ASSET_KEYS}
    return metadata, list_releases(settings.published_dir)[0].manifest
