"""Raw layer: CDC/ATSDR Social Vulnerability Index county tables, every configured vintage."""

from pathlib import Path

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from assets.warehouse import relative_paths, write_table
from pipelines.resources import SdohSettings
from sources.cdc_svi import load_svi_config, parse_svi
from sources.http_download import download_to_landing
from sources.project_config import load_yaml


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
    context: dg.AssetExecutionContext, sdoh: SdohSettings, warehouse: DuckDBResource
) -> dg.MaterializeResult:
    config_path = sdoh.settings.config_dir / "cdc_svi.yaml"
    vintages = load_svi_config(config_path)
    root = Path(sdoh.settings.snapshot_dir)
    frames = []
    for vintage, spec in sorted(vintages.items()):
        if sdoh.mode == "live":
            url = load_yaml(config_path)["live_url"].format(vintage=vintage)
            path = download_to_landing(url, sdoh.settings.landing_dir, f"cdc_svi/{url.rsplit('/', 1)[-1]}").path
        else:
            path = spec.snapshot_path(root)
        frame = parse_svi(path, vintage, spec.period)
        frames.append(relative_paths(frame, "source_file", root))
        context.log.info(
            f"SVI {vintage}: {frame['geoid'].n_unique():,} counties x {frame['variable'].n_unique()} columns"
        )
    result = pl.concat(frames)
    metadata = write_table(warehouse, "raw.cdc_svi_raw", result)
    return dg.MaterializeResult(metadata={**metadata, "mode": sdoh.mode, "vintages": ", ".join(sorted(vintages))})
