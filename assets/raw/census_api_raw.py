"""Raw layer: every Census Data API response the indicators need, through the census package, in either mode."""

from collections import Counter
from collections.abc import Iterator

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from assets.partitions import CENSUS_API, SINGLE_RUN
from assets.provenance import source_files_metadata
from assets.raw.partitioned import land_partitions
from assets.raw.retries import NETWORK_RETRY_POLICY, fails_fast_unless_transient
from assets.resources import SdohSources
from sources.census_api import CensusFetcher, parse_table, plan_requests
from sources.core.landing import LandedFile
from sources.indicator_config import load_project_config


@dg.asset(
    retry_policy=NETWORK_RETRY_POLICY,
    group_name="raw",
    kinds={"duckdb", "polars"},
    partitions_def=CENSUS_API.definition,
    backfill_policy=SINGLE_RUN,
    description=(
        "Cells of the Census Data API responses named by config/indicators.yaml (and, in the tables those read, "
        "the terms of config/checks.yaml's arithmetic identities): one row per geography x "
        "requested variable, as returned (raw string, parsed number, annotation reason), with the file and "
        "sha256 each came from. Partitioned by API vintage (the year in /data/<year>/). Calls go through the census "
        "package; live answers land under data/raw/census_api before parsing."
    ),
)
@fails_fast_unless_transient
def census_api_raw(
    context: dg.AssetExecutionContext, sdoh: SdohSources, warehouse: DuckDBResource
) -> dg.MaterializeResult:
    config = load_project_config(sdoh.config_path)
    keys = list(context.partition_keys)
    wanted = config.indicator_variables.filter(pl.col("vintage_year").is_in(keys))
    calls = plan_requests(wanted, config.census_datasets, config.identities)
    fetcher = CensusFetcher(sdoh.files)
    files: dict[str, LandedFile] = {}
    by_table: dict[str, list] = {}
    for call in calls:
        by_table.setdefault(call.snapshot_relpath, []).append(call)
    annotated: Counter[str] = Counter()

    def parsed_tables() -> Iterator[pl.DataFrame]:
        """One table's cells at a time, written to the warehouse as they come (never the whole landing in memory)."""
        for n, (relpath, table_calls) in enumerate(by_table.items(), start=1):
            responses = [fetcher.fetch(call) for call in table_calls]
            parsed = parse_table(responses)
            sources = pl.DataFrame(
                {
                    "variable": [v for r in responses for v in r.request.variables],
                    "source_file": [r.shown for r in responses for _ in r.request.variables],
                    "source_sha256": [r.sha256 for r in responses for _ in r.request.variables],
                }
            )
            for r in responses:
                files[r.shown] = LandedFile(r.source_path, r.sha256, r.url, len(r.body), r.shown)
            annotated.update(
                dict(parsed.filter(pl.col("annotation").is_not_null())["annotation"].value_counts().iter_rows())
            )
            context.log.info(
                f"[{n}/{len(by_table)}] {relpath}: {parsed['geoid'].n_unique():,} geographies x "
                f"{parsed['variable'].n_unique()} variables"
            )
            yield parsed.join(sources, on="variable", how="left", validate="m:1").with_columns(
                pl.lit(sdoh.files.mode).alias("mode")
            )

    metadata = land_partitions(context, warehouse, parsed_tables())
    used = [k for k, n in metadata["rows_by_partition"].data.items() if n]
    return dg.MaterializeResult(
        metadata={
            **metadata,
            **source_files_metadata(files.values(), sdoh.files.origin),
            "mode": sdoh.files.mode,
            "api_calls": len(calls),
            "response_files": len(files),
            "vintages": ", ".join(sorted(used)),
            "null_cells_by_reason": dg.MetadataValue.json(dict(sorted(annotated.items()))),
        }
    )
