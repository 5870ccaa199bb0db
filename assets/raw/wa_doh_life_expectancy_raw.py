"""Raw layer: Washington Tracking Network life expectancy at birth by 2010 census tract, with 95% limits."""

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from assets.provenance import source_files_metadata
from assets.raw.retries import NETWORK_RETRY_POLICY, fails_fast_unless_transient
from assets.resources import SdohSources
from assets.warehouse import write_table
from sources.indicator_config import load_project_config
from sources.wa_doh import DATASET, life_expectancy_source, parse_life_expectancy


@dg.asset(
    retry_policy=NETWORK_RETRY_POLICY,
    group_name="raw",
    kinds={"duckdb", "polars"},
    description=(
        "WA DOH (Washington Tracking Network) life expectancy at birth for every Washington 2010 census tract and "
        "each period named in config/indicators.yaml: estimate and published 95% limits; the portal's markers "
        "(-- no data, ** suppressed, NR not reliable) become null estimates with the reason. Read from the "
        "snapshot in both modes (WTN has no API with stable URLs)."
    ),
)
@fails_fast_unless_transient
def wa_doh_life_expectancy_raw(
    context: dg.AssetExecutionContext, sdoh: SdohSources, warehouse: DuckDBResource
) -> dg.MaterializeResult:
    spec = load_project_config(sdoh.config_path).indicator_variables
    vintages = sorted(spec.filter(pl.col("dataset") == DATASET)["vintage_year"].unique().to_list())
    frames, files = [], []
    for vintage in vintages:
        landed = sdoh.files.get_one(life_expectancy_source(vintage))
        frame = parse_life_expectancy(landed.path, vintage, landed.shown)
        frames.append(frame)
        files.append(landed)
        context.log.info(f"{landed.shown}: {frame.height:,} tracts, {frame['estimate'].null_count()} without a value")
    result = pl.concat(frames)
    metadata = write_table(warehouse, "raw.wa_doh_life_expectancy_raw", result)
    reasons = result.filter(pl.col("annotation").is_not_null()).group_by("annotation").len()
    return dg.MaterializeResult(
        metadata={
            **metadata,
            **source_files_metadata(files, sdoh.files.origin),
            "periods": ", ".join(result["vintage"].unique().sort()),
            "null_estimates_by_reason": dg.MetadataValue.json(dict(reasons.iter_rows())),
        }
    )
