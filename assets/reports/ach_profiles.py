"""Report layer: the equity profiles of every ACH region, rendered from the newest published release.

Thin on purpose: what a page shows and how it is drawn is in the Dagster-free modules beside this one
(``profile_data``, ``profile_charts``, ``profile_maps``, ``profile_captions``, ``profile_render``), which
``sdoh report`` uses too. Nothing heavy (altair, matplotlib, geopandas, vl-convert) is imported when the code location
loads: only inside the run.

Not part of ``build_and_publish_release`` or the ``refresh_<source>`` jobs: ``sdoh refresh`` renders the profiles in a
run of their own after publishing (the ``render_ach_profiles`` job), so the whole-graph runs (and the tests built on
them) do not pay for twelve pages and PDFs. Declarative automation (the ``follow_upstream`` sensor) renders them after
any publish when it is on.
"""

from pathlib import Path

import dagster as dg

from assets.asset_attributes import apply_attributes
from assets.build_graph import build_assets
from assets.publish.published_release import published_release
from assets.resources import SdohSources


@dg.asset(
    group_name="reports",
    kinds={"html", "pdf"},
    deps=[published_release.key],
    description=(
        "Equity profiles for data walks: one self-contained HTML page (inline SVG charts and maps, no script, no "
        "network) and a PDF of it per ACH region of config/ach_regions.yaml, plus index.html and profiles.csv, "
        "rendered from the newest published release into data/published/profiles/<release_id>/ (beside the "
        "immutable release, not inside it). What a page shows: config/profiles.yaml. Already rendered by this code "
        "for this release: nothing is redone."
    ),
)
def ach_profiles(context: dg.AssetExecutionContext, sdoh: SdohSources) -> dg.MaterializeResult:
    from assets.publish.release_writer import list_releases
    from assets.reports import profile_render as render

    settings = sdoh.settings
    releases = list_releases(settings.published_dir)
    if not releases:
        raise dg.Failure("no release is published yet: materialize published_release first (make run)")
    release = releases[-1]
    out_dir = render.profiles_dir(settings.published_dir, release.release_id)
    version = context.assets_def.code_versions_by_key.get(context.asset_key)
    with render.ReleaseReader(release.path) as reader:
        regions = [r["geoid"] for r in reader.regions()]
    pdf = render.chromium_available()
    if not pdf:
        context.log.warning(f"chromium is missing ({render.CHROMIUM}): HTML pages only, no PDFs")
    if pdf and render.already_rendered(out_dir, version, regions):
        context.log.info(f"profiles of release {release.release_id} are already rendered by this code: {out_dir}")
        rendered_now = False
    else:
        render.render_into_place(release.path, out_dir, settings.config_dir, version, pdf=pdf, log=context.log.info)
        rendered_now = True
    return dg.MaterializeResult(
        metadata={
            "release_id": release.release_id,
            "profiles_dir": dg.MetadataValue.path(str(out_dir)),
            "index": dg.MetadataValue.path(str(out_dir / "index.html")),
            "regions": len(regions),
            "rendered_now": rendered_now,
            "pdfs": pdf,
            "profiles": dg.MetadataValue.md(_table(out_dir / render.PROFILES_TABLE)),
        }
    )


def _table(path: Path) -> str:
    """profiles.csv as a Markdown table for the asset's page (region, PDF pages and size)."""
    import csv

    if not path.is_file():
        return "(no profiles.csv)"
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    lines = ["| region | pdf pages | pdf bytes | charts | maps |", "|---|---|---|---|---|"]
    lines += [f"| {r['name']} | {r['pdf_pages']} | {r['pdf_bytes']} | {r['charts']} | {r['maps']} |" for r in rows]
    return "\n".join(lines)


# Owners, tags, kinds, code version and column docs (assets/reports/tables.yaml), as every other asset has them.
[ach_profiles] = apply_attributes([ach_profiles], upstream=[*build_assets(), published_release])
