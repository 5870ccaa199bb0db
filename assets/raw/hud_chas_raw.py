"""Raw layer: HUD CHAS county tables with their MOEs, columns named from HUD's data dictionary."""

from pathlib import Path

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from assets.warehouse import relative_paths, write_table
from pipelines.resources import SdohSettings
from sources.http_download import download_to_landing
from sources.hud_chas import chas_live_files, load_chas_config, parse_chas_table, read_chas_dictionary


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
    context: dg.AssetExecutionContext, sdoh: SdohSettings, warehouse: DuckDBResource
) -> dg.MaterializeResult:
    config = load_chas_config(sdoh.settings.config_dir / "hud_chas.yaml")
    root = Path(sdoh.settings.snapshot_dir)
    if sdoh.mode == "live":
        landed = download_to_landing(config.live_url, sdoh.settings.landing_dir, config.landing_relpath)
        paths = chas_live_files(
            landed.path, sdoh.settings.landing_dir / "hud_chas", {t: s.member for t, s in config.tables.items()}
        )
    else:
        paths = {t: root / s.snapshot for t, s in config.tables.items()}
    frames = []
    for table, spec in sorted(config.tables.items()):
        dictionary = read_chas_dictionary(root / spec.dictionary, spec.label_map)
        frame = parse_chas_table(paths[table], table, dictionary, missing_markers=config.missing_markers)
        frames.append(relative_paths(frame, "source_file", root))
        context.log.info(
            f"CHAS table {table}: {frame['geoid'].n_unique():,} counties x {frame['variable'].n_unique()} cells"
        )
    result = pl.concat(frames)
    metadata = write_table(warehouse, "raw.hud_chas_raw", result)
    return dg.MaterializeResult(metadata={**metadata, "mode": sdoh.mode, "tables": ", ".join(map(str, sorted(paths)))})
