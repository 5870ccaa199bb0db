"""The Dagster UI as a data engineer opens it, in headless Chromium, on the session's webserver (tests/e2e/conftest.py):
the asset graph, an asset's checks and the runs page. Each page is opened in one browser tab (tests/chromium.py) and
waited for until it shows what it must (the graph is laid out in a web worker, after the page's load event), up to
two minutes; its screenshot and DOM are kept as test artifacts ($SDOH_TEST_ARTIFACTS, default
data/test-artifacts/screenshots) and the text is checked for what the page must show.

Debian's chromium (``apt-get install chromium``; .ci/run installs it). Without it the test is skipped locally and
fails in CI.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.chromium import artifacts_dir, chromium_or_skip, chromium_tab, visible_text

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

WIDTH, HEIGHT = 1600, 1000
PAGE_TIMEOUT = 120  # seconds for a page to show what it must; a few on a quiet machine
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


@dataclass(frozen=True)
class Page:
    name: str
    url: str
    dom: str
    screenshot: Path

    @property
    def text(self) -> str:
        """The page's text, roughly: tags dropped (the graph's labels sit in SVG), whitespace collapsed."""
        return visible_text(self.dom)

    @property
    def graph_text(self) -> str:
        """The text drawn in the asset graph itself (its nodes are HTML in SVG foreignObjects), not the sidebar's
        list of groups, which shows before the graph is laid out."""
        return visible_text(" ".join(re.findall(r"<foreignObject\b.*?</foreignObject>", self.dom, flags=re.S)))


# JavaScript: the text of the asset graph's nodes (see Page.graph_text)
GRAPH_TEXT_JS = "Array.from(document.querySelectorAll('svg foreignObject')).map(e => e.textContent).join(' ')"


def render_pages(browser: str, pages: dict[str, tuple[str, str]]) -> dict[str, Page]:
    """Open every ``{name: (url, JavaScript condition)}`` in turn in one tab, waiting until the condition holds (or
    PAGE_TIMEOUT passes), saving ``<name>.png`` and ``<name>.html``."""
    out = artifacts_dir("screenshots")
    rendered = {}
    with chromium_tab(browser, WIDTH, HEIGHT) as tab:
        for name, (url, done) in pages.items():
            tab.open(url, done, PAGE_TIMEOUT)  # what is missing after it is named by the asserts
            dom = tab.dom()
            (out / f"{name}.html").write_text(dom)
            tab.screenshot(out / f"{name}.png")
            rendered[name] = Page(name, url, dom, out / f"{name}.png")
    return rendered


def shows_all(texts, where: str = "document.body.innerText") -> str:
    """A JavaScript condition: every text is in ``where`` (an expression giving a string)."""
    return " && ".join(f"({where}).includes({json.dumps(t)})" for t in texts)


@pytest.fixture(scope="module")
def browser() -> str:
    return chromium_or_skip()


def test_asset_graph_asset_checks_and_runs_pages(browser, webserver) -> None:
    check = "gx_stg_census_api__estimates"
    pages = render_pages(
        browser,
        {
            "asset_graph": (f"{webserver.url}/asset-groups", shows_all(GROUPS, GRAPH_TEXT_JS)),
            "asset_checks": (
                f"{webserver.url}/assets/stg_census_api__estimates?view=checks",
                shows_all([check, "Passed"]),
            ),
            "runs": (f"{webserver.url}/runs", shows_all([webserver.run_id, "Success"], "document.body.innerHTML")),
        },
    )
    for page in pages.values():
        assert page.screenshot.stat().st_size > 20_000, f"{page.name}: blank screenshot {page.screenshot}"
        errors = [e for e in ERROR_TEXTS if e in page.text]
        assert not errors, f"{page.name} ({page.url}) shows {errors}; see {page.screenshot}"

    graph = pages["asset_graph"].text
    assert "Global asset lineage" in graph
    drawn = pages["asset_graph"].graph_text
    missing = [g for g in GROUPS if not re.search(rf"\b{g}\b", drawn)]
    assert not missing, f"groups missing from the graph: {missing}; see {pages['asset_graph'].screenshot}"
    # ("Materialize all…" is the UI's button that opens the partition dialog, not a label)
    assert "…" not in graph.replace("Materialize all…", ""), "a label of the default graph view is cut short"

    checks = pages["asset_checks"].text
    assert "stg_census_api__estimates" in checks
    assert check in checks and "blocking" in checks
    assert "Passed" in checks, (
        f"the check's latest result is not shown as passed; see {pages['asset_checks'].screenshot}"
    )

    runs = pages["runs"]
    assert webserver.run_id in runs.dom, f"run {webserver.run_id} is not listed; see {runs.screenshot}"
    assert "build_and_publish_release" in runs.text and "Success" in runs.text
