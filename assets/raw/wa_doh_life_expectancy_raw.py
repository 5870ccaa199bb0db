"""Raw layer: Washington Tracking Network life expectancy at birth by 2010 census tract, with 95% limits."""

from pathlib import Path

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from assets.warehouse import write_table
from pipelines.resources import SdohSettings
from sources.project_config import load_project_config
from sources.wa_doh_life_expectancy import DATASET, life_expectancy_path, parse_life_expectancy


@dg.asset(
    group_name="raw",
    kinds={"duckdb", "polars"},
    description=(
        "WA DOH (Washington Tracking Network) life expectancy at birth for every Washington 2010 census tract and "
        "each period named in config/indicators.yaml: estimate and published 95% limits; the portal's markers "
        "(-- no data, ** suppressed, NR not reliable) become null estimates with the reason. Read from the "
        "snapshot in both modes (WTN has no API with stable URLs)."
    ),
)
def wa_doh_life_expectancy_raw(
    context: dg.AssetExecutionContext, sdoh: SdohSettings, warehouse: DuckDBResource
) -> dg.MaterializeResult:
    spec = load_project_config(sdoh.settings.config_dir).indicator_variables
    vintages = sorted(spec.filter(pl.col("dataset") == DATASET)["vintage"].unique().to_list())
    root = Path(sdoh.settings.snapshot_dir)
    frames = []
    for vintage in vintages:
        path = life_expectancy_path(root, vintage)
        frame = parse_life_expectancy(path, vintage)
        frames.append(frame.with_columns(pl.lit(str(path.relative_to(root))).alias("source_file")))
        context.log.info(f"{path.name}: {frame.height:,} tracts, {frame['estimate'].null_count()} without a value")
    result = pl.concat(frames) if frames else None
    metadata = write_table(warehouse, "raw.wa_doh_life_expectancy_raw", result)
    reasons = result.filter(pl.col("annotation").is_not_null()).group_by("annotation").len()
    return dg.MaterializeResult(
        metadata={
            **metadata,
            "periods": ", ".join(result["period"].unique().sort()),
            "null_estimates_by_reason": dg.MetadataValue.json(dict(reasons.iter_rows())),
        }
    )
