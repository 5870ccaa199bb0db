"""Raw layer: CDC PLACES county prevalences (crude and age-adjusted, 95% limits), every configured release."""

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from assets.provenance import source_files_metadata
from assets.resources import SdohSources
from assets.warehouse import write_table
from sources.cdc_places import load_places_releases, parse_places_files


@dg.asset(
    group_name="raw",
    kinds={"duckdb", "polars"},
    description=(
        "CDC PLACES county estimates for every release in config/cdc_places.yaml: one row per release x county x "
        "measure x crude/age-adjusted, with the published 95% limits parsed strictly from CDC's text. Live mode "
        "pages through data.cdc.gov (Socrata; SOCRATA_APP_TOKEN when set) and lands every page before parsing."
    ),
)
def cdc_places_raw(
    context: dg.AssetExecutionContext, sdoh: SdohSources, warehouse: DuckDBResource
) -> dg.MaterializeResult:
    releases = load_places_releases(sdoh.config_path / "cdc_places.yaml")
    frames, files = [], []
    for release, spec in releases:
        landed = sdoh.files.get(spec)
        frame = parse_places_files(landed, release)
        frames.append(frame)
        files += landed
        context.log.info(
            f"PLACES release {release}: {frame['geoid'].n_unique():,} counties, "
            f"{frame['variable'].n_unique()} measure values, BRFSS years {sorted(frame['vintage_year'].unique())}"
        )
    metadata = write_table(warehouse, "raw.cdc_places_raw", pl.concat(frames))
    return dg.MaterializeResult(
        metadata={
            **metadata,
            **source_files_metadata(files, sdoh.files.origin),
            "mode": sdoh.files.mode,
            "releases": ", ".join(r for r, _ in releases),
        }
    )
