"""``sdoh report --ach ID | --all``: equity profiles (HTML page and PDF per ACH region) from a published release.

Reads only the release's folder (``--release``: an id, ``latest`` or a release folder), so any retained release can be
rendered again. Default output: the folder the ``ach_profiles`` asset writes, ``data/published/profiles/<release_id>/``
(pages of other regions already there are kept; ``index.html`` and ``profiles.csv`` list every page in the folder);
``--out DIR`` writes elsewhere. ``--no-pdf`` skips Chromium (HTML only).
"""

from __future__ import annotations

from pathlib import Path

from pipelines.cli_common import CliError, find_release, load_settings


def run(ach: str | None, all_regions: bool, release_given: str | None, out_dir: Path | None, pdf: bool) -> int:
    if bool(ach) == bool(all_regions):
        raise CliError("give --ach ID (one region) or --all (every region of the release)", code=2)
    settings = load_settings()
    release = find_release(settings, release_given or "latest")
    from assets.reports import profile_render as render
    from assets.reports.profile_data import ProfileError

    target = out_dir or render.profiles_dir(settings.published_dir, release.release_id)
    if pdf and not render.chromium_available():
        raise CliError(f"chromium is missing at {render.CHROMIUM} (apt-get install chromium), or use --no-pdf")
    try:
        rendered = render.render_profiles(
            release.path, target, settings.config_dir, [ach] if ach else None, pdf=pdf, log=print
        )
    except ProfileError as error:
        raise CliError(str(error), code=2) from None
    for p in rendered:
        pages = f", PDF {p.pdf_pages} pages ({p.pdf_bytes:,} bytes)" if p.pdf else ""
        print(f"{p.ach_id}: {p.html}{pages}; {p.charts} charts, {p.maps} maps")
    print(f"index: {target / 'index.html'} (release {release.release_id})")
    return 0
