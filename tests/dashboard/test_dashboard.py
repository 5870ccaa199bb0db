"""The dashboard (docs/dashboard/, Streamlit) on the session's release, in headless Chromium.

Starts the app on a loopback port against the published DuckDB file of `first_release` (SDOH_PUBLISHED_DB), opens
one ACH page (Elevate Health, Pierce County) in Chromium over the DevTools protocol (the page draws its content
from websocket messages after load, which ``--dump-dom`` does not wait for), saves its screenshot and DOM under
$SDOH_TEST_ARTIFACTS/dashboard/ (default data/test-artifacts), and matches numbers shown on the page to the
published table queried here independently with duckdb.

Needs the dashboard's environment (docs/dashboard/.venv, `make dashboard-install`; .ci/run builds it in the
background and writes its exit code to SDOH_DASHBOARD_READY_FILE) and Debian's chromium. Without either the test is
skipped locally and fails in CI (CI=true).
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
import requests

from assets.settings import PROJECT_ROOT
from tests.chromium import artifacts_dir, chromium_or_skip, chromium_tab, visible_text
from tests.ci_installs import wait_ready_file
from tests.conftest import PUBLISHED_DB

DASHBOARD = PROJECT_ROOT / "docs" / "dashboard"
DASHBOARD_PYTHON = DASHBOARD / ".venv" / "bin" / "python"
ACH_ID = "wa-elevate-health"
INDICATOR = "uninsured_rate"
STARTUP_SECONDS = 60


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _missing(message: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def dashboard_python() -> Path:
    wait_ready_file("SDOH_DASHBOARD_READY_FILE", "the dashboard's environment")
    if not DASHBOARD_PYTHON.is_file():
        _missing(f"the dashboard's environment is missing ({DASHBOARD_PYTHON}): make dashboard-install")
    return DASHBOARD_PYTHON


@pytest.fixture(scope="module")
def chromium() -> str:
    return chromium_or_skip()


@pytest.fixture(scope="module")
def dashboard(dashboard_python: Path, first_release, tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """The app served on a free loopback port, reading the session's published file; stopped afterwards."""
    settings, [run] = first_release
    assert run.success, "the main job failed on the real snapshot"
    db = settings.published_dir / PUBLISHED_DB
    port = free_port()
    log = tmp_path_factory.mktemp("dashboard") / "streamlit.log"
    env = {**os.environ, "SDOH_PUBLISHED_DB": str(db), "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    command = [str(dashboard_python), "-m", "streamlit", "run", "app.py"]
    command += ["--server.address", "127.0.0.1", "--server.port", str(port), "--server.headless", "true"]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=DASHBOARD, env=env, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if process.poll() is not None:
                pytest.fail(f"streamlit exited with {process.returncode}:\n{log.read_text()[-3000:]}")
            try:
                if requests.get(f"{url}/_stcore/health", timeout=2).ok:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"streamlit did not answer within {STARTUP_SECONDS}s:\n{log.read_text()[-3000:]}")
            time.sleep(0.25)
        yield url, db
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _cells(html: str) -> list[str]:
    return [
        " ".join(re.sub(r"<[^>]+>", " ", c).split()) for c in re.findall(r"<t[hd]\b[^>]*>(.*?)</t[hd]>", html, re.S)
    ]


def table_after(dom: str, marker: str) -> list[list[str]]:
    """The rows (cell texts) of the first table after ``marker`` in the DOM."""
    start = dom.index(marker)
    table = dom[dom.index("<table", start) : dom.index("</table>", start)]
    return [_cells(row) for row in re.findall(r"<tr\b[^>]*>(.*?)</tr>", table, re.S)]


def test_ach_page_shows_the_published_values(chromium: str, dashboard: tuple[str, Path]) -> None:
    url, db = dashboard
    started = time.monotonic()
    out = artifacts_dir("dashboard")
    # done: every table drawn (the counties' table is the page's last element) and nothing still running
    done = (
        "document.body.innerText.includes('Counties') && document.querySelectorAll('table').length >= 7"
        " && !document.querySelector('[data-testid=stStatusWidget]')"
    )
    with chromium_tab(chromium) as tab:
        tab.call("Page.navigate", url=f"{url}/{ACH_ID}")
        rendered = tab.wait_for(done, timeout=60)
        dom = tab.dom()
        (out / f"{ACH_ID}.html").write_text(dom)
        tab.screenshot(out / f"{ACH_ID}.png", "[data-testid=stMainBlockContainer]")
    seconds = time.monotonic() - started
    screenshot = out / f"{ACH_ID}.png"
    assert rendered, f"the page did not finish drawing within 60 s; see {screenshot}"
    assert screenshot.stat().st_size > 50_000, f"blank screenshot {screenshot}"
    text = visible_text(dom)
    for error in ("Traceback", "Error", "No published file"):
        assert error not in text, f"the page shows {error!r}; see {screenshot}"

    # The published rows, read here without the dashboard's code: the latest release's uninsured rate at the
    # region, in the newest period with a value there, for all people and for Hispanic or Latino people, with the
    # labels of the release's groups table.
    with duckdb.connect(str(db), read_only=True) as con:
        region, counties = con.execute(
            """
            select a.name, list(c.name order by c.name)
            from geographies a
            join geographies c on c.release_id = a.release_id and c.geo_type = 'county'
                and list_contains(c.parents, 'ach:' || a.geoid)
            where a.release_id = (select release_id from releases where is_latest)
                and a.geo_type = 'ach' and a.geoid = ?
            group by a.name
            """,
            [ACH_ID],
        ).fetchone()
        rows = con.execute(
            """
            select v.vintage, g.group_label, v.estimate, v.moe, v.reliability
            from indicator_values v
            join groups g on g.release_id = v.release_id and g.group_id = v.group_id
            where v.release_id = (select release_id from releases where is_latest)
                and v.geo_type = 'ach' and v.geoid = ? and v.indicator_id = ? and v.group_id in ('total', 'hispanic')
                and v.vintage = (
                    select vintage from indicator_values
                    where release_id = v.release_id and geo_type = 'ach' and geoid = v.geoid
                        and indicator_id = v.indicator_id and estimate is not null
                    order by period_end_year desc, vintage desc limit 1
                )
            order by g.sort_order
            """,
            [ACH_ID, INDICATOR],
        ).fetchall()
    assert len(rows) == 2 and all(r[2] is not None for r in rows), rows

    assert region in text, f"the region's name {region!r} is not on the page; see {screenshot}"
    county_rows = table_after(dom, ">Counties<")
    assert [r[0] for r in county_rows[1:]] == counties, county_rows

    shown = {r[0]: r for r in table_after(dom, INDICATOR)}
    assert f"{rows[0][0]} · percent" in text, f"period {rows[0][0]} not shown; see {screenshot}"
    for _vintage, label, estimate, moe, reliability in rows:
        assert label in shown, f"no row for {label!r} in the {INDICATOR} table: {list(shown)}; see {screenshot}"
        assert shown[label][1:4] == [f"{estimate:.1f}%", f"±{moe:.1f}%", reliability], (
            f"{label}: page shows {shown[label][1:4]}, published {estimate}, ±{moe}, {reliability}"
        )
    print(f"dashboard page {ACH_ID} rendered and checked in {seconds:.1f} s; screenshot {screenshot}")
