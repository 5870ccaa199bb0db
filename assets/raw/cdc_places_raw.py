"""Raw layer: CDC PLACES county prevalences (crude and age-adjusted, 95% limits), every configured release."""

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from assets.partitions import CDC_PLACES, SINGLE_RUN
from assets.provenance import source_files_metadata
from assets.raw.partitioned import land_partitions
from assets.raw.retries import NETWORK_RETRY_POLICY, fails_fast_unless_transient
from assets.resources import SdohSources
from sources.cdc_places import load_places_releases, parse_places_files


@dg.asset(
    retry_policy=NETWORK_RETRY_POLICY,
    group_name="raw",
    kinds={"duckdb", "polars"},
    partitions_def=CDC_PLACES.definition,
    backfill_policy=SINGLE_RUN,
    description=(
        "CDC PLACES county estimates, partitioned by release (config/cdc_places.yaml): one row per release x county x "
        "measure x crude/age-adjusted, with the published 95% limits parsed strictly from CDC's text. Live mode "
        "pages through data.cdc.gov (Socrata; SOCRATA_APP_TOKEN when set) and lands every page before parsing."
    ),
)
@fails_fast_unless_transient
def cdc_places_raw(
    context: dg.AssetExecutionContext, sdoh: SdohSources, warehouse: DuckDBResource
) -> dg.MaterializeResult:
    keys = list(context.partition_keys)
    releases = [(r, spec) for r, spec in load_places_releases(sdoh.config_path / "cdc_places.yaml") if r in keys]
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
    frame = pl.concat(frames) if frames else pl.DataFrame()
    configured = {r for r, _ in releases}
    metadata = land_partitions(context, warehouse, frame, [k for k in keys if k not in configured])
    return dg.MaterializeResult(
        metadata={
            **metadata,
            **source_files_metadata(files, sdoh.files.origin),
            "mode": sdoh.files.mode,
            "releases": ", ".join(r for r, _ in releases),
        }
    )
