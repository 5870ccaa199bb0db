"""Raw layer: CDC/ATSDR Social Vulnerability Index county tables, every configured vintage."""

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from assets.provenance import source_files_metadata
from assets.resources import SdohSources
from assets.warehouse import write_table
from sources.cdc_svi import load_svi_config, parse_svi_file


@dg.asset(
    group_name="raw",
    kinds={"duckdb", "polars"},
    description=(
        "CDC/ATSDR SVI county tables (config/cdc_svi.yaml: 2022, 2020 inputs, 2018), one row per county x column; "
        "FIPS codes zero-padded, -999 and ACS annotation codes nulls with the reason. Live mode downloads CDC's "
        "CSVs and lands them before parsing."
    ),
)
def cdc_svi_raw(
    context: dg.AssetExecutionContext, sdoh: SdohSources, warehouse: DuckDBResource
) -> dg.MaterializeResult:
    vintages = load_svi_config(sdoh.config_path / "cdc_svi.yaml")
    frames, files = [], []
    for vintage, spec in sorted(vintages.items()):
        landed = sdoh.files.get_one(spec.source_file)
        frame = parse_svi_file(landed, vintage, spec.period)
        frames.append(frame)
        files.append(landed)
        context.log.info(
            f"SVI {vintage}: {frame['geoid'].n_unique():,} counties x {frame['variable'].n_unique()} columns"
        )
    metadata = write_table(warehouse, "raw.cdc_svi_raw", pl.concat(frames))
    return dg.MaterializeResult(
        metadata={
            **metadata,
            **source_files_metadata(files, sdoh.files.origin),
            "mode": sdoh.files.mode,
            "vintages": ", ".join(sorted(vintages)),
        }
    )
