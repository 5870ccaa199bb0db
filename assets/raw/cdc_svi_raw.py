"""Raw layer: CDC/ATSDR Social Vulnerability Index county tables, every configured vintage."""

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from assets.partitions import CDC_SVI, SINGLE_RUN
from assets.provenance import source_files_metadata
from assets.raw.partitioned import land_partitions
from assets.raw.retries import NETWORK_RETRY_POLICY, fails_fast_unless_transient
from assets.resources import SdohSources
from sources.cdc_svi import load_svi_config, parse_svi_file


@dg.asset(
    retry_policy=NETWORK_RETRY_POLICY,
    group_name="raw",
    kinds={"duckdb", "polars"},
    partitions_def=CDC_SVI.definition,
    backfill_policy=SINGLE_RUN,
    description=(
        "CDC/ATSDR SVI county tables (config/cdc_svi.yaml: 2022, 2020 inputs, 2018), one row per county x column, "
        "partitioned by SVI release; "
        "FIPS codes zero-padded, -999 and ACS annotation codes nulls with the reason. Live mode downloads CDC's "
        "CSVs and lands them before parsing."
    ),
)
@fails_fast_unless_transient
def cdc_svi_raw(
    context: dg.AssetExecutionContext, sdoh: SdohSources, warehouse: DuckDBResource
) -> dg.MaterializeResult:
    configured = load_svi_config(sdoh.config_path / "cdc_svi.yaml")
    keys = list(context.partition_keys)
    vintages = {k: v for k, v in configured.items() if k in keys}
    frames, files = [], []
    for vintage, spec in sorted(vintages.items()):
        landed = sdoh.files.get_one(spec.source_file)
        frame = parse_svi_file(landed, vintage, spec.period)
        frames.append(frame)
        files.append(landed)
        context.log.info(
            f"SVI {vintage}: {frame['geoid'].n_unique():,} counties x {frame['variable'].n_unique()} columns"
        )
    frame = pl.concat(frames) if frames else pl.DataFrame()
    metadata = land_partitions(context, warehouse, frame, [k for k in keys if k not in vintages])
    return dg.MaterializeResult(
        metadata={
            **metadata,
            **source_files_metadata(files, sdoh.files.origin),
            "mode": sdoh.files.mode,
            "vintages": ", ".join(sorted(vintages)),
        }
    )
