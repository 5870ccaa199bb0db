"""The ACH equity profiles (assets/reports/) rendered from the session's release (`profiles`, tests/reports/conftest.py):
every page opens in headless Chromium without console errors or network requests, a chart plots exactly the
published rows, captions claim a difference only where the release's significance flag does, the PDFs open, and
profiles.csv has the documented columns. Screenshots and PDF facts are kept as test artifacts
($SDOH_TEST_ARTIFACTS/profiles, default data/test-artifacts/profiles).
"""

from __future__ import annotations

import csv
import html
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest
import yaml

from assets.reports import profile_captions as words
from assets.settings import PROJECT_ROOT
from tests.chromium import artifacts_dir, chromium_or_skip
from tests.ci_installs import APT_READY_ENV, wait_ready_file
from tests.reports.cdp import Browser
from tests.reports.conftest import PDF_REGIONS

pytestmark = [pytest.mark.xdist_group("profiles")]

REGIONS = {
    "wa-better-health-together",
    "wa-cascade-pacific-action-alliance",
    "wa-elevate-health",
    "wa-greater-health-now",
    "wa-healthierhere",
    "wa-north-central",
    "wa-north-sound",
    "wa-olympic",
    "wa-swach",
    "ca-example-inland-empire",
    "ca-example-los-angeles-county",
    "ca-example-la-east-south",
}
SCREENSHOTS = PDF_REGIONS  # two Washington ACHs and one California example


def _release(profiles) -> duckdb.DuckDBPyConnection:
    """The release's own Parquet, opened independently of the profile code."""
    con = duckdb.connect()
    for name in ("indicator_values", "disparities"):
        con.execute(f"create view {name} as select * from read_parquet('{profiles.release_dir / (name + '.parquet')}')")
    return con


def test_every_region_has_a_page_and_the_index_links_them(profiles) -> None:
    assert {p.ach_id for p in profiles.rendered} == REGIONS
    index = (profiles.out_dir / "index.html").read_text()
    for ach_id in REGIONS:
        assert f'href="{ach_id}.html"' in index
        page = profiles.page(ach_id)
        assert profiles.release_id in page
        # self-contained: no script to run, nothing fetched (a JSON data block is not executed)
        assert not re.search(r"<script(?![^>]*application/json)", page), ach_id
        assert not re.search(r"""(src|href)=["']https?:""", page), ach_id
        assert "@import" not in page and "url(http" not in page, ach_id
    timing = {"profiles": len(profiles.rendered), "seconds": round(profiles.seconds, 1), "pdfs": profiles.pdf}
    (artifacts_dir("profiles") / "render.json").write_text(json.dumps(timing) + "\n")  # what rendering costs the suite


def test_pages_show_labels_not_raw_group_ids(profiles) -> None:
    """What partners read (captions, chart labels, table cells) names groups by label: `nhpi_nh` never appears as
    text outside attributes and the charts' JSON."""
    for ach_id in REGIONS:
        page = profiles.page(ach_id)
        visible = re.sub(r"<script\b.*?</script>|<[^>]+>", " ", page, flags=re.S)
        ids = re.findall(r"\b(?:white_nh|black_nh|aian_nh|asian_nh|nhpi_nh|other_multi_nh|multi_nh)\b", visible)
        assert not ids, f"{ach_id} shows raw group ids {sorted(set(ids))}"


def test_profiles_table_has_the_documented_columns(profiles) -> None:
    documented = yaml.safe_load((PROJECT_ROOT / "assets" / "reports" / "tables.yaml").read_text())["ach_profiles"]
    with (profiles.out_dir / "profiles.csv").open(newline="") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
    assert reader.fieldnames == list(documented["columns"])
    assert {r["ach_id"] for r in rows} == REGIONS
    assert {r["release_id"] for r in rows} == {profiles.release_id}


def _spec(page: str, chart_id: str) -> dict:
    found = re.search(
        rf'<script type="application/json" class="vega-lite-spec" data-chart="{chart_id}">(.*?)</script>', page, re.S
    )
    assert found, f"no chart {chart_id}"
    return json.loads(found.group(1).replace("<\\/", "</"))


def _plotted(spec: dict) -> list[dict]:
    """The rows a (layered) chart plots: its data, inline or named in the spec's datasets."""
    data = spec.get("data") or next(layer["data"] for layer in spec["layer"] if "data" in layer)
    return data["values"] if "values" in data else spec["datasets"][data["name"]]


def test_a_chart_plots_exactly_the_published_rows(profiles) -> None:
    """The bars of the first group chart of Greater Health Now (estimate and 90% MOE per group) are the release's
    indicator_values rows for that indicator, period and region, read here straight from the Parquet."""
    page = profiles.page("wa-greater-health-now")
    values = _plotted(_spec(page, "chart-0-groups"))
    indicator, vintage = {v["indicator_id"] for v in values}, {v["vintage"] for v in values}
    assert len(indicator) == 1 and len(vintage) == 1
    published = (
        _release(profiles)
        .execute(
            "select group_id, estimate, moe from indicator_values where geo_type = 'ach' and geoid = ? "
            "and indicator_id = ? and vintage = ? and group_id <> 'total'",
            ["wa-greater-health-now", indicator.pop(), vintage.pop()],
        )
        .fetchall()
    )
    assert len(published) >= 5
    plotted = {v["group_id"]: (v["estimate"], v["moe"]) for v in values}
    assert plotted == {g: (e, m) for g, e, m in published}
    # the error bars span the published 90% interval, and the table under the chart shows the same values
    assert all(v["low"] is None or v["low"] <= v["estimate"] <= v["high"] for v in values if v["estimate"] is not None)
    table = re.search(r'<table class="chart-data" data-chart="chart-0-groups">(.*?)</table>', page, re.S).group(1)
    for _, estimate, moe in published:
        if estimate is not None:
            assert words.fmt_value(estimate, "percent") in html.unescape(table)
            assert words.fmt_moe(moe, "percent") in html.unescape(table)


def test_captions_claim_a_difference_only_where_the_release_flags_one(profiles) -> None:
    """Every caption on every page against the release's `significant` flag for that group, reference, indicator
    and period: significant -> "times as likely"; not significant -> "not statistically different", never "times";
    not testable -> neither."""
    con = _release(profiles)
    seen = {True: 0, False: 0, None: 0}
    for ach_id in REGIONS:
        page = profiles.page(ach_id)
        for block in re.finditer(
            r'<ul class="captions" data-indicator="([^"]+)" data-vintage="([^"]+)">(.*?)</ul>', page, re.S
        ):
            indicator, vintage, items = block.groups()
            for groups, reference, text in re.findall(
                r'<li data-groups="([^"]*)" data-reference="([^"]*)">(.*?)</li>', items, re.S
            ):
                text = html.unescape(re.sub(r"<[^>]+>", "", text))
                for group in groups.split():
                    [(significant, ratio)] = con.execute(
                        "select significant, rate_ratio from disparities where geo_type = 'ach' and geoid = ? "
                        "and indicator_id = ? and vintage = ? and row_type = 'group' and reference_type = 'group' "
                        "and group_id = ? and reference_group = ?",
                        [ach_id, indicator, vintage, group, reference],
                    ).fetchall()
                    seen[significant] += 1
                    if significant is True:
                        assert f"{words.fmt_ratio(ratio)} times" in text, (ach_id, text)
                    else:
                        assert "times as likely" not in text and "times that of" not in text, (ach_id, text)
                    if significant is False:
                        assert "not statistically different" in text, (ach_id, text)
    assert seen[True] >= 10 and seen[False] >= 10, seen  # both kinds are really on the pages


def test_caption_wording_on_hand_made_rows() -> None:
    row = {
        "group_id": "hispanic",
        "reference_group": "white_nh",
        "estimate": 31.4,
        "reference_estimate": 25.8,
        "rate_ratio": 1.2169,
        "rate_ratio_moe": 0.0833,
        "significant": True,
    }
    args = ("Yakima", "percent", "to spend more than 30% of income on housing", "households", "Hispanic", "White")
    assert words.disparity_caption(row, *args) == (
        "Hispanic households of Yakima are 1.22 times as likely as White households to spend more than 30% of "
        "income on housing (31.4% vs 25.8%; ratio's 90% MOE ±0.08)."
    )
    same = words.disparity_caption({**row, "significant": False}, *args)
    assert "not statistically different" in same and "times" not in same
    untested = words.disparity_caption({**row, "significant": None}, *args)
    assert "could not be tested" in untested and "times" not in untested


def test_every_page_opens_in_chromium_without_console_errors_or_network(profiles) -> None:
    """Each page and the index, loaded from disk in headless Chromium (DevTools Protocol): no console error or
    warning, no uncaught exception, no error log entry, no request other than file:/data:. Full-page screenshots of
    two Washington ACHs and one California example are kept."""
    browser = chromium_or_skip()
    shots = artifacts_dir("profiles")
    problems = {}
    with Browser(browser) as chromium:
        # the client really sees errors: a page with a console error, an exception and an external image
        bad = profiles.out_dir.parent / "bad.html"
        bad.write_text(
            '<html><body><img src="http://127.0.0.1:9/x.png"><script>console.error("boom"); '
            "null.x;</script></body></html>"
        )
        seen = chromium.open(bad.as_uri())
        assert any("boom" in e for e in seen.errors) and any("exception" in e for e in seen.errors), seen
        assert seen.external_requests == ["http://127.0.0.1:9/x.png"]
        for name in sorted([*REGIONS, "index"]):
            screenshot = shots / f"{name}.png" if name in SCREENSHOTS else None
            report = chromium.open((profiles.out_dir / f"{name}.html").as_uri(), screenshot)
            if report.errors or report.external_requests:
                problems[name] = report.errors + report.external_requests
            if screenshot:
                assert screenshot.stat().st_size > 50_000, f"blank screenshot {screenshot}"
                assert report.height > 2000, (name, report.height)
    assert not problems, problems


def test_the_pdfs_open(profiles) -> None:
    """pdftoppm renders every page of every PDF (poppler-utils; .ci/run installs it); the page count equals the one
    profiles.csv records. Page counts and sizes are written to $SDOH_TEST_ARTIFACTS/profiles/pdfs.json."""
    if not profiles.pdf:
        pytest.skip("no PDFs: chromium is not installed")
    wait_ready_file(APT_READY_ENV, "poppler-utils (apt-get)")  # .ci/run may still be installing it
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        if os.environ.get("CI"):
            pytest.fail("pdftoppm is missing: .ci/run installs poppler-utils")
        pytest.skip("pdftoppm is not installed (apt-get install poppler-utils)")
    facts = {}
    printed = [p for p in profiles.rendered if p.pdf is not None]
    assert {p.ach_id for p in printed} == set(PDF_REGIONS)
    for p in printed:
        out = profiles.out_dir.parent / f"ppm-{p.ach_id}"
        out.mkdir()
        done = subprocess.run(
            [pdftoppm, "-r", "20", "-png", str(p.pdf), str(out / "page")], capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, (p.ach_id, done.stderr)
        images = sorted(out.glob("page*.png"))
        assert len(images) == p.pdf_pages >= 1, (p.ach_id, len(images), p.pdf_pages)
        facts[p.ach_id] = {"pages": p.pdf_pages, "bytes": p.pdf_bytes}
    (artifacts_dir("profiles") / "pdfs.json").write_text(json.dumps(facts, indent=1) + "\n")
    print(json.dumps(facts))


def test_sdoh_report_renders_one_region(profiles, monkeypatch, tmp_path: Path, capsys) -> None:
    """`sdoh report --ach ID --release <folder> --out DIR --no-pdf`: one page and the index, from a release folder."""
    from pipelines.cli import main

    monkeypatch.setenv("SDOH_DATA_DIR", str(tmp_path / "data"))
    region = "ca-example-la-east-south"  # the smallest page: the test is about the command, not the page
    args = ["report", "--ach", region, "--release", str(profiles.release_dir), "--out", str(tmp_path / "o")]
    assert main([*args, "--no-pdf"]) == 0
    assert (tmp_path / "o" / f"{region}.html").is_file() and (tmp_path / "o" / "index.html").is_file()
    assert main(["report", "--ach", "wa-nowhere", "--release", str(profiles.release_dir), "--no-pdf"]) == 2
    assert "no ACH region 'wa-nowhere'" in capsys.readouterr().err
