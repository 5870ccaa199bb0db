"""The `sdoh` command line (pipelines/cli.py). `sdoh refresh` / `python -m pipelines.cli release` (what `make run`
calls): one line per step, the full log in a file, and a failed run that ENDS with the error a person can act on (file,
record, field, value), the log's path and that no release was published.

The whole-CLI test runs the real command in a subprocess on a copy of a published working folder and a snapshot made
of symlinks to the real one, with one file swapped for a GENERATED bad copy (King County's 2018 median household
income MOE): the whole job runs until it stops (about 40 s). A parse error's wording (file, record, field, value) is
shown at the Dagster level in tests/assets/test_bad_input.py and through the console on a tiny in-memory job here;
a second whole-CLI run for it cost 45 s of CI and showed nothing more. The rest are fast: every command's help and
options, a bad setting in one line for every command, the refresh options (with the build itself stubbed), the
project's .env, and that the CLI starts without importing Dagster, DuckDB, geopandas or Great Expectations.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from assets.settings import PROJECT_ROOT
from pipelines.run_output import RunConsole, user_error
from sources.core.errors import SourceError
from tests.conftest import copy_working_state, published_hashes, replace_with_generated, symlinked_snapshot

B19013_2018 = "census_api/2018/acs/acs5/county/B19013.json"
KING = "53033"
DEBUG_LINE = re.compile(r"\bDEBUG\b")


def _with_king_county_cell(snapshot_dir: Path, target: Path, column: str, value: str) -> Path:
    """A symlinked snapshot whose 2018 B19013 county file is GENERATED: the real one with King County's `column` set
    to `value`."""
    bad = symlinked_snapshot(snapshot_dir, target)
    rows = json.loads((snapshot_dir / B19013_2018).read_text())
    header = rows[0]
    [king] = [r for r in rows[1:] if r[header.index("state")] + r[header.index("county")] == KING]
    king[header.index(column)] = value
    replace_with_generated(bad / B19013_2018, json.dumps(rows))
    return bad


def _release(tmp_path: Path, snapshot: Path | None = None, *options: str, **env: str) -> subprocess.CompletedProcess:
    """The real command (``release``, as `make run` calls it, with `options`), on a working folder and Dagster
    instance of this test's own."""
    environ = {
        **os.environ,
        "SDOH_DATA_DIR": str(tmp_path / "data"),
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
        "PYTHONPATH": str(PROJECT_ROOT),  # this checkout's `pipelines`, whatever the venv's editable install points to
        "SDOH_MODE": "snapshot",
        **({"SDOH_SNAPSHOT_DIR": str(snapshot)} if snapshot else {}),
        **env,
    }
    environ.pop("SDOH_CONFIG_DIR", None)
    return subprocess.run(
        [sys.executable, "-m", "pipelines.cli", "release", *options],
        cwd=PROJECT_ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=1200,
    )


def _assert_stopped_and_explained(
    run: subprocess.CompletedProcess, tmp_path: Path, published_before: dict[str, str] | None = None
) -> tuple[str, str]:
    """Non-zero exit; no DEBUG line anywhere on the console; the last lines end with the log path and 'no release';
    nothing published (or, given the published folder's file hashes before the run, every byte as it was).
    Returns (the last five lines of stderr, the log's text)."""
    assert run.returncode == 1, run.stderr[-3000:]
    assert not DEBUG_LINE.search(run.stdout), "DEBUG lines on stdout"
    assert not DEBUG_LINE.search(run.stderr), "DEBUG lines on stderr"
    assert "Error occurred while executing op" not in run.stdout + run.stderr
    last = run.stderr.strip().splitlines()[-5:]
    tail = "\n".join(last)
    assert last[-1] == "no release was published; the earlier releases are unchanged"
    [log_line] = [line for line in last if line.startswith("full log: ")]
    log = Path(log_line.removeprefix("full log: "))
    assert log.parent == tmp_path / "data" / "logs" and log.is_file()
    starts = [line for line in run.stdout.splitlines() if line.startswith("run ") and f"log {log})" in line]
    assert starts, "the log's path is said when its run starts too"
    text = log.read_text()
    assert " DEBUG " in text and " INFO " in text and "STEP_FAILURE" in text
    releases = tmp_path / "data" / "published" / "releases"
    if published_before is None:
        assert not releases.exists() or not any(releases.iterdir())
    else:
        assert published_hashes(tmp_path / "data" / "published") == published_before
    return tail, text


def test_bad_mode_says_so_in_one_line(tmp_path: Path) -> None:
    run = _release(tmp_path, SDOH_MODE="bogus")
    assert run.returncode == 2
    assert run.stderr == "error: SDOH_MODE must be one of ('snapshot', 'live'), got 'bogus'\n"
    assert run.stdout == ""


EVERY_COMMAND = [
    ["refresh"],
    ["release"],
    ["status"],
    ["query", "select 1"],
    ["export", "--ach", "wa-olympic"],
    ["docs"],
    ["compare", "a", "b"],
    ["releases", "list"],
    ["releases", "show", "latest"],
    ["releases", "diff", "a", "b"],
    ["releases", "verify"],
    ["releases", "pin", "a"],
    ["releases", "unpin", "a"],
    ["releases", "prune", "--dry-run"],
]


@pytest.mark.parametrize("command", EVERY_COMMAND, ids=" ".join)
def test_every_command_says_a_bad_setting_in_one_line(command, capsys, monkeypatch) -> None:
    from pipelines.cli import main

    monkeypatch.setenv("SDOH_WRITER_LOCK_WAIT", "soon")
    assert main(command) == 2
    captured = capsys.readouterr()
    assert captured.err == "error: SDOH_WRITER_LOCK_WAIT must be a number of seconds, got 'soon'\n"
    assert captured.out == ""


def test_a_bad_mode_in_process_too(capsys, monkeypatch) -> None:
    from pipelines.cli import main

    monkeypatch.setenv("SDOH_MODE", "bogus")
    assert main(["releases", "list"]) == 2
    assert capsys.readouterr().err == "error: SDOH_MODE must be one of ('snapshot', 'live'), got 'bogus'\n"


# -- help, options, the refresh seam, .env, startup cost (fast) --------------------------------------------------

HELP_NAMES = {
    (): ["refresh", "release", "status", "query", "export", "report", "docs", "compare", "releases"],
    ("refresh",): ["--source", "--vintage", "--live", "--accept-row-drops", "--no-wait", "--no-profiles"],
    ("release",): ["--live", "--accept-row-drops", "--no-wait"],
    ("status",): ["--help"],
    ("query",): ["sql", "--format", "--release", "--max-rows"],
    ("export",): ["--ach", "--out", "--format", "--release"],
    ("report",): ["--ach", "--all", "--release", "--out", "--no-pdf"],
    ("docs",): ["--help"],
    ("compare",): ["first", "second"],
    ("releases",): ["list", "show", "diff", "verify", "pin", "unpin", "prune"],
    ("releases", "list"): ["--attempts"],
    ("releases", "show"): ["release"],
    ("releases", "diff"): ["old", "new"],
    ("releases", "verify"): ["release"],
    ("releases", "pin"): ["release", "--note"],
    ("releases", "unpin"): ["release"],
    ("releases", "prune"): ["--keep", "--dry-run"],
}


@pytest.mark.parametrize("command", list(HELP_NAMES), ids=lambda c: " ".join(c) or "sdoh")
def test_help_names_every_subcommand_and_option(command, capsys, monkeypatch) -> None:
    from pipelines.cli import main

    monkeypatch.setenv("COLUMNS", "200")  # the help's boxes are as wide as the terminal
    assert main([*command, "--help"]) == 0
    out = capsys.readouterr().out
    assert f"Usage: sdoh {' '.join(command)}".rstrip() in out
    for name in HELP_NAMES[command]:
        assert re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", out), f"{name} missing from {command} --help"


def test_help_works_with_a_bad_setting(capsys, monkeypatch) -> None:
    from pipelines.cli import main

    monkeypatch.setenv("SDOH_MODE", "bogus")
    assert main(["refresh", "--help"]) == 0
    assert "--source" in capsys.readouterr().out


def test_the_cli_starts_without_the_heavy_libraries() -> None:
    """`sdoh --help` imports typer and the CLI modules only (Dagster alone takes ~1.5 s to import)."""
    code = (
        "import sys, pipelines.cli; "
        "print(sorted(m for m in ('dagster', 'duckdb', 'geopandas', 'great_expectations', 'polars') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "[]", out.stderr


def test_the_console_script_is_declared() -> None:
    import tomllib

    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"]
    assert project["scripts"] == {"sdoh": "pipelines.cli:main"}


def test_refresh_sources_are_the_registrys_raw_sources() -> None:
    from assets.source_registry import REFRESHABLE_SOURCES, SOURCE_ASSET_KEYS
    from pipelines.cli import SOURCES

    assert tuple(REFRESHABLE_SOURCES) == SOURCES
    # every asset that reads upstream files can be refreshed through one of them
    assert {k.to_user_string() for k in SOURCE_ASSET_KEYS} == {
        a for assets in REFRESHABLE_SOURCES.values() for a in assets
    }


@pytest.fixture
def stubbed_release(monkeypatch):
    """pipelines.refresh.run_refresh (plans and executes the runs) replaced by a recorder of its options and mode."""
    from pipelines import refresh

    calls = []

    def fake(settings, *, source, vintage, accept_row_drops, no_wait, profiles):
        calls.append(
            {"accept_row_drops": accept_row_drops, "no_wait": no_wait, "mode": settings.mode}
            | ({"source": source} if source else {})
            | ({"vintage": vintage} if vintage else {})
            | ({} if profiles else {"profiles": False})
        )
        return 0

    monkeypatch.setattr(refresh, "run_refresh", fake)
    monkeypatch.delenv("SDOH_MODE", raising=False)
    return calls


@pytest.mark.parametrize("name", ["refresh", "release"])
def test_refresh_and_its_alias_build_and_publish_everything(name, stubbed_release) -> None:
    from pipelines.cli import main

    assert main([name]) == 0
    assert main([name, "--accept-row-drops", "--no-wait", "--live"]) == 0
    assert stubbed_release == [
        {"accept_row_drops": False, "no_wait": False, "mode": "snapshot"},
        {"accept_row_drops": True, "no_wait": True, "mode": "live"},  # --live: SDOH_MODE=live for the command
    ]
    assert "SDOH_MODE" not in os.environ  # and only for the command
    assert main([name, "--no-profiles"]) == 0
    assert stubbed_release[-1] == {"accept_row_drops": False, "no_wait": False, "mode": "snapshot", "profiles": False}


def test_source_and_vintage_reach_the_refresh(stubbed_release) -> None:
    from pipelines.cli import main

    assert main(["refresh", "--source", "cdc_svi"]) == 0
    assert main(["refresh", "--source", "census_api", "--vintage", "2018"]) == 0
    assert [{k: c.get(k) for k in ("source", "vintage")} for c in stubbed_release] == [
        {"source": "cdc_svi", "vintage": None},
        {"source": "census_api", "vintage": "2018"},
    ]


def test_an_unknown_source_lists_the_sources(stubbed_release, capsys) -> None:
    from pipelines.cli import main

    assert main(["refresh", "--source", "census"]) == 2
    assert capsys.readouterr().err == (
        "error: unknown source 'census'; one of: census_api, cdc_places, cdc_svi, hud_chas, wa_doh, census_geo\n"
    )
    assert stubbed_release == []


def test_the_projects_env_file_is_read_and_the_environment_wins(tmp_path: Path, monkeypatch, capsys) -> None:
    """Settings from the project's .env (as `dg dev` reads it) when the environment does not set them."""
    from pipelines import settings_check
    from pipelines.cli import main

    project = tmp_path / "project"
    project.mkdir()
    (project / ".env").write_text(f"# a comment\nSDOH_DATA_DIR={tmp_path / 'from_env_file'}\nSDOH_MODE=bogus\n")
    monkeypatch.setattr(settings_check, "ENV_DIR", project)
    monkeypatch.delenv("SDOH_DATA_DIR", raising=False)
    monkeypatch.delenv("SDOH_MODE", raising=False)
    assert main(["releases", "list"]) == 2  # the file's SDOH_MODE is read ...
    assert capsys.readouterr().err == "error: SDOH_MODE must be one of ('snapshot', 'live'), got 'bogus'\n"
    monkeypatch.setenv("SDOH_MODE", "snapshot")  # ... and the environment wins over it
    assert main(["releases", "list"]) == 0
    assert f"no releases under {tmp_path / 'from_env_file' / 'published' / 'releases'}" in capsys.readouterr().out


def test_failed_blocking_check_ends_the_run_naming_asset_record_field_and_value(
    first_release, snapshot_dir: Path, tmp_path: Path
):
    """End to end, on a COPY of the working folder the main job left (its release and warehouse): King County's 2018
    median household income MOE written -784, and the ACS 2014-2018 vintage refreshed alone
    (`release --source census_api --vintage 2018`, one run of refresh_census_api). It parses; the blocking Great
    Expectations check on stg_census_api__estimates fails; everything downstream is skipped; nothing that does not
    depend on the Census API runs at all; published_release never runs; every byte of the published folder stays
    as it was. The run's last lines give the check's own failures (table, column, record with its source file,
    value), then the log and that nothing was published."""
    settings, results = first_release
    assert all(r.success for r in results), "the main job failed on the real snapshot"
    copy = copy_working_state(settings, tmp_path / "data")
    before = published_hashes(copy.published_dir)
    bad = _with_king_county_cell(snapshot_dir, tmp_path / "snapshot", "B19013_001M", "-784")
    run = _release(tmp_path, bad, "--source", "census_api", "--vintage", "2018")
    tail, _ = _assert_stopped_and_explained(run, tmp_path, published_before=before)
    assert re.search(r"^run 1/1: refresh census_api 2018 \(\d+ steps", run.stdout, re.MULTILINE), run.stdout[:2000]
    check = "stg_census_api__estimates:gx_stg_census_api__estimates"
    assert f"check {check} failed" in tail
    assert (
        "stg_census_api__estimates: expect_column_values_to_be_between on column 'moe': 1 unexpected value(s), "
        "e.g. moe=-784.0, source_file=census_api/2018/acs/acs5/county/B19013.json, vintage=2014-2018, geoid=53033, "
        "variable=B19013_001 (a margin of error is never negative)"
    ) in tail
    assert re.search(r"^\[\s*\d+/\d+\] check gx_stg_census_api__estimates\s+FAILED\s", run.stdout, re.MULTILINE)
    assert re.search(r"^\[\s*\d+/\d+\] stg_census_api__estimates\s+ok\s", run.stdout, re.MULTILINE)
    assert re.search(r"^\[\s*\d+/\d+\] census_api_raw\s+ok\s.*\d rows$", run.stdout, re.MULTILINE)  # one vintage
    for unaffected in ("cdc_places_raw", "hud_chas_raw", "stg_cdc_svi__estimates", "geo_boundaries"):
        assert not re.search(rf"^\[\s*\d+/\d+\] {unaffected}\s", run.stdout, re.MULTILINE), unaffected
    for skipped in ("int_source_estimates", "fct_indicator_values", "published_release"):
        assert not re.search(rf"^\[\s*\d+/\d+\] {skipped}\s", run.stdout, re.MULTILINE), skipped


# -- the console on a tiny job (fast) ----------------------------------------------------------------------------


@dg.asset
def counted() -> dg.MaterializeResult:
    return dg.MaterializeResult(metadata={"dagster/row_count": 12345})


@dg.asset_check(asset=counted, blocking=True)
def counted_is_sane() -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        passed=False,
        severity=dg.AssetCheckSeverity.ERROR,
        description="first failure",
        metadata={"failures": dg.MetadataValue.text("first failure\nsecond failure: geoid=53033 value=-1")},
    )


@dg.asset
def parsed() -> None:
    try:
        float("1,5")
    except ValueError as cause:
        raise SourceError("x/file.json: record geoid=53033 field F has non-numeric value '1,5'") from cause


@dg.asset(deps=[counted, parsed])
def downstream() -> None:  # pragma: no cover - never runs: both parents fail or are blocked
    raise AssertionError


def test_console_lines_and_failure_summary_on_a_tiny_job(tmp_path: Path) -> None:
    job = dg.Definitions(
        assets=[counted, parsed, downstream], asset_checks=[counted_is_sane], jobs=[dg.define_asset_job("tiny")]
    ).resolve_job_def("tiny")
    out, err = io.StringIO(), io.StringIO()
    console = RunConsole.for_job(job, tmp_path / "logs", out=out, err=err)
    with dg.DagsterInstance.ephemeral() as instance:
        result = console.execute(job, instance)
    assert not result.success and result.run_id == console.run_id
    # the run config stored with a CLI run stays valid for the main job as the UI has it (re-execute from the UI)
    from pipelines.definitions import build_definitions

    dg.validate_run_config(
        build_definitions().resolve_job_def("build_and_publish_release"), result.dagster_run.run_config
    )
    console.report_failure(result, 1.0)
    lines = out.getvalue().splitlines()
    assert len(lines) == 3  # counted, its check, parsed; downstream never starts
    assert any(re.match(r"\[\d/4\] counted\s+ok\s+\d+\.\d+s  12,345 rows$", line) for line in lines)
    assert any(re.match(r"\[\d/4\] check counted_is_sane\s+FAILED", line) for line in lines)
    assert any(re.match(r"\[\d/4\] parsed\s+FAILED", line) for line in lines)
    assert err.getvalue().splitlines() == [
        f"run {result.run_id} failed after 1s: 2 of 4 steps failed, 1 did not run "
        "(they need what a failed step or blocking check would have produced)",
        "parsed failed:",
        "    SourceError: x/file.json: record geoid=53033 field F has non-numeric value '1,5'",
        "check counted:counted_is_sane failed: counted was written, but nothing that reads it ran:",
        "    first failure",
        "    second failure: geoid=53033 value=-1",
        f"full log: {tmp_path / 'logs' / (result.run_id + '.log')}",
        "no release was published; the earlier releases are unchanged",
    ]
    log = (tmp_path / "logs" / f"{result.run_id}.log").read_text()
    assert "DEBUG" in log and "RUN_START" in log and "could not convert string to float" in log


def test_user_error_skips_dagsters_wrapper() -> None:
    from dagster._utils.error import SerializableErrorInfo

    cause = SerializableErrorInfo(
        "sources.core.errors.SourceError: f.json: record r field x has value 'v'\n", [], "SourceError"
    )
    wrapper = SerializableErrorInfo(
        'dagster._core.errors.DagsterExecutionStepExecutionError: Error occurred while executing op "a":\n',
        [],
        "DagsterExecutionStepExecutionError",
        cause,
    )
    assert user_error(wrapper) == ("SourceError", "f.json: record r field x has value 'v'")


@pytest.mark.parametrize("message", ["plain", ""])
def test_user_error_keeps_a_lone_dagster_error(message: str) -> None:
    from dagster._utils.error import SerializableErrorInfo

    only = SerializableErrorInfo(
        f"dagster._core.errors.DagsterInvariantViolationError: {message}\n", [], "DagsterInvariantViolationError"
    )
    assert user_error(only) == ("DagsterInvariantViolationError", message)


def test_one_vintage_is_landed_as_a_range_of_one_key(tmp_path: Path) -> None:
    """`refresh --source S --vintage V` (and the sensors and schedules) tag the run with a partition range of one
    key, never `dagster/partition`: in a run tagged with one partition, Dagster records the checks of the
    unpartitioned assets the refresh job rebuilds against that partition, and the publish step then refuses them as
    "checked an older materialization" (seen with `refresh --source cdc_svi --vintage 2022`)."""
    from assets.settings import settings_from_env
    from pipelines.refresh import plan_refresh

    settings = settings_from_env({"SDOH_DATA_DIR": str(tmp_path / "data")})
    with dg.instance_for_test() as instance:
        [run] = plan_refresh(instance, settings, source="cdc_svi", vintage="2022")
        assert run.job_name == "refresh_cdc_svi" and run.asset_selection is None
        assert dict(run.tags) == {
            "dagster/asset_partition_range_start": "2022",
            "dagster/asset_partition_range_end": "2022",
        }
        # a vintage the instance does not know yet becomes a partition (lands no rows unless config uses it)
        [run] = plan_refresh(instance, settings, source="census_api", vintage="2024")
        assert "2024" in instance.get_dynamic_partitions("census_api_vintage")
        assert "dagster/partition" not in run.tags
