"""The equity profiles of `first_release`'s release, rendered ONCE per session (every region, HTML and PDF) into a
temporary folder, as the ach_profiles asset renders them; the tests read those files and query the release's Parquet
on their own to check them.

Every test module here marks itself with the pytest-xdist group `profiles`, so the session renders the profiles on one worker only.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from assets.settings import CONFIG_DIR
from tests.chromium import chromium_or_skip

PDF_REGIONS = ("wa-greater-health-now", "wa-healthierhere", "ca-example-inland-empire")


@dataclass(frozen=True)
class Profiles:
    out_dir: Path
    release_dir: Path
    release_id: str
    rendered: list  # profile_render.RenderedProfile
    seconds: float
    pdf: bool

    def page(self, ach_id: str) -> str:
        return (self.out_dir / f"{ach_id}.html").read_text()


@pytest.fixture(scope="session")
def profiles(first_release, tmp_path_factory: pytest.TempPathFactory) -> Profiles:
    from assets.publish.release_writer import list_releases
    from assets.reports.profile_render import render_profiles

    settings, [run] = first_release
    assert run.success, "the main job failed on the real snapshot"
    release = list_releases(settings.published_dir)[-1]
    browser = chromium_or_skip(required=False)
    out = tmp_path_factory.mktemp("profiles") / release.release_id
    started = time.monotonic()
    # every page, and the PDFs of the three regions whose screenshots are kept (printing twelve would cost ~20 s more;
    # the asset prints all of them with the same function)
    rendered = render_profiles(release.path, out, CONFIG_DIR, pdf=browser is not None, pdf_only_for=set(PDF_REGIONS))
    return Profiles(out, release.path, release.release_id, rendered, time.monotonic() - started, browser is not None)
