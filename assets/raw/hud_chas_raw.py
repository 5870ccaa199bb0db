"""Raw layer: HUD CHAS county tables with their MOEs, columns named from HUD's data dictionary."""

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from assets.partitions import HUD_CHAS, SINGLE_RUN
from assets.provenance import source_files_metadata
from assets.raw.partitioned import land_partitions
from assets.raw.retries import NETWORK_RETRY_POLICY, fails_fast_unless_transient
from assets.resources import SdohSources
from sources.hud_chas import dictionary_source, load_chas_config, parse_chas_file, read_chas_dictionary, table_source


@dg.asset(
    retry_policy=NETWORK_RETRY_POLICY,
    group_name="raw",
    kinds={"duckdb", "polars"},
    partitions_def=HUD_CHAS.definition,
    backfill_policy=SINGLE_RUN,
    description=(
        "HUD CHAS county tables (config/hud_chas.yaml: tables 1, 8 and 9), partitioned by HUD's period (e.g. 2018thru2022), "
        "one row per county x cell with "
        "its published MOE, each cell named from HUD's data dictionary labels (e.g. renter_hispanic_gt50). Live "
        "mode downloads HUD's zip, lands it, and extracts the tables (landed too) before parsing."
    ),
)
@fails_fast_unless_transient
def hud_chas_raw(
    context: dg.AssetExecutionContext, sdoh: SdohSources, warehouse: DuckDBResource
) -> dg.MaterializeResult:
    config = load_chas_config(sdoh.config_path / "hud_chas.yaml")
    keys = list(context.partition_keys)
    frames, files = [], []
    for table, spec in sorted(config.tables.items()) if config.release in keys else ():
        dictionary_file = sdoh.files.get_one(dictionary_source(config, table))
        table_file = sdoh.files.get_one(table_source(config, table))
        dictionary = read_chas_dictionary(dictionary_file.path, spec.label_map)
        frame = parse_chas_file(table_file, table, dictionary, config.missing_markers)
        frames.append(frame)
        files += [dictionary_file, table_file]
        context.log.info(
            f"CHAS table {table}: {frame['geoid'].n_unique():,} counties x {frame['variable'].n_unique()} cells"
        )
    frame = pl.concat(frames) if frames else pl.DataFrame()
    metadata = land_partitions(context, warehouse, frame, [k for k in keys if k != config.release])
    return dg.MaterializeResult(
        metadata={
            **metadata,
            **source_files_metadata(files, sdoh.files.origin),
            "mode": sdoh.files.mode,
            "tables": ", ".join(map(str, sorted(config.tables))),
        }
    )
