"""Raw layer: HUD CHAS county tables with their MOEs, columns named from HUD's data dictionary."""

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from assets.provenance import source_files_metadata
from assets.resources import SdohSources
from assets.warehouse import write_table
from sources.hud_chas import dictionary_source, load_chas_config, parse_chas_file, read_chas_dictionary, table_source


@dg.asset(
    group_name="raw",
    kinds={"duckdb", "polars"},
    description=(
        "HUD CHAS 2018-2022 county tables (config/hud_chas.yaml: tables 1, 8 and 9), one row per county x cell with "
        "its published MOE, each cell named from HUD's data dictionary labels (e.g. renter_hispanic_gt50). Live "
        "mode downloads HUD's zip, lands it, and extracts the tables (landed too) before parsing."
    ),
)
def hud_chas_raw(
    context: dg.AssetExecutionContext, sdoh: SdohSources, warehouse: DuckDBResource
) -> dg.MaterializeResult:
    config = load_chas_config(sdoh.config_path / "hud_chas.yaml")
    frames, files = [], []
    for table, spec in sorted(config.tables.items()):
        dictionary_file = sdoh.files.get_one(dictionary_source(config, table))
        table_file = sdoh.files.get_one(table_source(config, table))
        dictionary = read_chas_dictionary(dictionary_file.path, spec.label_map)
        frame = parse_chas_file(table_file, table, dictionary, config.missing_markers)
        frames.append(frame)
        files += [dictionary_file, table_file]
        context.log.info(
            f"CHAS table {table}: {frame['geoid'].n_unique():,} counties x {frame['variable'].n_unique()} cells"
        )
    metadata = write_table(warehouse, "raw.hud_chas_raw", pl.concat(frames))
    return dg.MaterializeResult(
        metadata={
            **metadata,
            **source_files_metadata(files, sdoh.files.origin),
            "mode": sdoh.files.mode,
            "tables": ", ".join(map(str, sorted(config.tables))),
        }
    )
