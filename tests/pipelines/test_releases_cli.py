"""`sdoh releases ...` on GENERATED releases (tests/assets/tiny_warehouse.py) published through the real code: the
tables they print, and the diff's lines in the shape tests/assets/test_release.py reads on two real releases."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from assets.publish.release_store import read_pins
from assets.publish.release_writer import list_releases
from assets.settings import settings_from_env
from pipelines.cli import main
from tests.assets.tiny_warehouse import build_tiny_warehouse, publish_tiny, tiny_settings, value_rows


@pytest.fixture
def two_releases(tmp_path: Path, monkeypatch):
    """A first release, then a second in which county 99001's Hispanic poverty numerator rose from 45 to 60 (rate
    15.0 -> 20.0) and a GENERATED county 98000 was added: poverty_rate county rows 1 changed, 2 added."""
    settings = tiny_settings(settings_from_env({}), tmp_path)
    build_tiny_warehouse(settings.warehouse_path)
    assert publish_tiny(settings).status == "published"
    rows = value_rows(extra_counties=1)
    for row in rows:
        if row["geoid"] == "99001" and row["group_id"] == "hispanic" and row["indicator_id"] == "poverty_rate":
            row.update(numerator=60.0, estimate=20.0, ci_low=18.0, ci_high=22.0)
    build_tiny_warehouse(settings.warehouse_path, rows)
    assert publish_tiny(settings).status == "published"
    monkeypatch.setenv("SDOH_DATA_DIR", str(settings.data_dir))
    monkeypatch.delenv("SDOH_CONFIG_DIR", raising=False)
    return settings, list_releases(settings.published_dir)


def test_list_marks_the_latest(two_releases, capsys) -> None:
    _, (first, second) = two_releases
    assert main(["releases", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    [header] = [line for line in lines if "release_id" in line]
    assert header.split()[:3] == ["release_id", "created", "(UTC)"]
    [old] = [line for line in lines if line.split()[:1] == [first.release_id]]
    [new] = [line for line in lines if line.split()[:1] == [second.release_id]]
    assert old.split()[3:5] == ["12", first.manifest["code_version"]]  # 12 values, no state
    assert new.split()[3:5] == ["16", "latest"]  # 12 + county 98000's 2 groups x 2 indicators


def test_diff_lines_per_indicator_and_geography_type(two_releases, capsys) -> None:
    """Parsed as tests/assets/test_release.py parses the diff of two real releases: lines indented two spaces,
    indicator_id and geo_type first, then added, removed, changed, same."""
    _, (first, second) = two_releases
    assert main(["releases", "diff", first.release_id, second.release_id]) == 0
    out = capsys.readouterr().out
    assert f"diff {first.release_id} -> {second.release_id}" in out
    assert "indicator_values" in out and "CHANGED" in out
    lines = {tuple(line.split()[:2]): line.split()[2:6] for line in out.splitlines() if line.startswith("  ")}
    added, removed, changed, same = (int(v.replace(",", "")) for v in lines[("poverty_rate", "county")])
    assert (added, removed, changed, same) == (2, 0, 1, 3)  # county 98000's two groups; 99001 hispanic
    assert lines[("median_household_income", "county")][:3] == ["2", "0", "0"]
    assert ("poverty_rate", "ach") not in lines  # the region's rows did not change


def test_show_verify_pin_unpin_and_prune(two_releases, capsys) -> None:
    settings, (first, second) = two_releases
    assert main(["releases", "show", "latest"]) == 0
    out = capsys.readouterr().out
    assert f"release {second.release_id}  (not pinned)" in out and "intact (sha256 match the manifest)" in out
    assert any(line.split()[:2] == ["indicator_values", "16"] for line in out.splitlines())  # 12 + 2 x 2
    assert main(["releases", "verify"]) == 0
    assert f"{first.release_id}: ok" in capsys.readouterr().out
    assert main(["releases", "pin", first.release_id, "--note", "GENERATED board report"]) == 0
    assert f"pinned {first.release_id}" in capsys.readouterr().out
    assert read_pins(settings.published_dir)[first.release_id]["note"] == "GENERATED board report"
    con = duckdb.connect(str(settings.published_dir / "sdoh_published.duckdb"), read_only=True)
    try:
        assert con.execute("select release_id from releases where pinned").fetchall() == [(first.release_id,)]
    finally:
        con.close()
    assert main(["releases", "unpin", first.release_id]) == 0
    assert first.release_id not in read_pins(settings.published_dir)
    assert main(["releases", "prune", "--keep", "1", "--dry-run"]) == 0
    assert capsys.readouterr().out.splitlines()[-2:] == [
        "would delete 1 release(s) (keep the newest 1, the latest and pinned ones):",
        f"  {first.release_id}",
    ]


def test_an_unknown_release_says_which_exist(two_releases, capsys) -> None:
    _, (_, second) = two_releases
    assert main(["releases", "show", "nope"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: no release 'nope' under ") and second.release_id in err and err.count("\n") == 1
