"""The Dagster UI as a data engineer opens it, in headless Chromium, on the session's webserver (tests/e2e/conftest.py):
the asset graph, an asset's checks and the runs page. Each page is rendered once (JavaScript run, GraphQL answered)
into a screenshot and the DOM; the screenshots are kept as test artifacts ($SDOH_TEST_ARTIFACTS, default
data/test-artifacts/screenshots) and the DOM is checked for what the page must show.

Debian's chromium (``apt-get install chromium``; .ci/run installs it). Without it the test is skipped locally and
fails in CI.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from assets.settings import PROJECT_ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
WINDOW = "1600,1000"
BUDGET_MS = 15000  # virtual time for the page's scripts and GraphQL queries; real time is a few seconds
ERROR_TEXTS = (
    "An unexpected error occurred",
    "Unexpected error",
    "Something went wrong",
    "Error loading",
    "Unable to load",
    "Failed to load",
    "PythonError",
)
# every group of the graph's default view (groups collapsed), as config/asset_attributes.yaml lays them out
GROUPS = (
    "census_api",
    "cdc_places",
    "cdc_svi",
    "hud_chas",
    "wa_doh",
    "seeds",
    "geographies",
    "intermediate",
    "marts",
    "publish",
)


def artifacts_dir() -> Path:
    path = Path(os.environ.get("SDOH_TEST_ARTIFACTS") or PROJECT_ROOT / "data" / "test-artifacts") / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


@dataclass(frozen=True)
class Page:
    name: str
    url: str
    dom: str
    screenshot: Path
    seconds: float

    def text(self) -> str:
        """The page's visible text, roughly: tags dropped, whitespace collapsed."""
        return " ".join(
            re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style)\b.*?</\1>", " ", self.dom, flags=re.S)).split()
        )


def _start(name: str, url: str, out: Path, profile: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",  # CI runs as root
            "--disable-gpu",
            "--hide-scrollbars",
            f"--user-data-dir={profile / name}",
            f"--window-size={WINDOW}",
            f"--virtual-time-budget={BUDGET_MS}",
            f"--screenshot={out / f'{name}.png'}",
            "--dump-dom",
            url,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def render_pages(pages: dict[str, str]) -> dict[str, Page]:
    """Render every {name: url} at once (one Chromium each), saving ``<name>.png`` and ``<name>.html``."""
    out = artifacts_dir()
    with tempfile.TemporaryDirectory() as profile:
        started = time.monotonic()
        running = {name: _start(name, url, out, Path(profile)) for name, url in pages.items()}
        rendered = {}
        for name, process in running.items():
            dom, _ = process.communicate(timeout=120)
            assert process.returncode == 0, f"chromium failed on {pages[name]}"
            (out / f"{name}.html").write_text(dom)
            rendered[name] = Page(name, pages[name], dom, out / f"{name}.png", time.monotonic() - started)
    return rendered


@pytest.fixture(scope="module")
def browser() -> str:
    # .ci/run installs chromium while the tests run and touches this file when apt-get is done (or failed)
    ready = os.environ.get("SDOH_BROWSER_READY_FILE")
    if ready:
        deadline = time.monotonic() + 600
        while not Path(ready).exists() and time.monotonic() < deadline:
            time.sleep(1)
        if Path(ready).is_file() and Path(ready).read_text().strip() not in ("", "0"):
            pytest.fail(
                f"installing chromium failed (apt-get exit {Path(ready).read_text().strip()}); see .ci/run's log"
            )
    if not Path(CHROMIUM).is_file():
        if os.environ.get("CI"):
            pytest.fail(f"chromium is missing at {CHROMIUM}: .ci/run installs it (apt-get install chromium)")
        pytest.skip(f"chromium is not installed ({CHROMIUM}); apt-get install chromium to run the browser test")
    return CHROMIUM


def test_asset_graph_asset_checks_and_runs_pages(browser, webserver) -> None:
    check = "gx_stg_census_api__estimates"
    pages = render_pages(
        {
            "asset_graph": f"{webserver.url}/asset-groups",
            "asset_checks": f"{webserver.url}/assets/stg_census_api__estimates?view=checks",
            "runs": f"{webserver.url}/runs",
        }
    )
    for page in pages.values():
        assert page.screenshot.stat().st_size > 20_000, f"{page.name}: blank screenshot {page.screenshot}"
        shown = page.text()
        errors = [e for e in ERROR_TEXTS if e in shown]
        assert not errors, f"{page.name} ({page.url}) shows {errors}; see {page.screenshot}"

    graph = pages["asset_graph"].text()
    assert "Global asset lineage" in graph
    missing = [g for g in GROUPS if not re.search(rf"\b{g}\b", graph)]
    assert not missing, f"groups missing from the graph: {missing}; see {pages['asset_graph'].screenshot}"
    # ("Materialize all…" is the UI's button that opens the partition dialog, not a label)
    assert "…" not in graph.replace("Materialize all…", ""), "a label of the default graph view is cut short"

    checks = pages["asset_checks"].text()
    assert "stg_census_api__estimates" in checks
    assert check in checks and "blocking" in checks
    assert "Passed" in checks, (
        f"the check's latest result is not shown as passed; see {pages['asset_checks'].screenshot}"
    )

    runs = pages["runs"]
    assert webserver.run_id in runs.dom, f"run {webserver.run_id} is not listed; see {runs.screenshot}"
    assert "build_and_publish_release" in runs.text() and "Success" in runs.text()
