"""Raw layer: every Census Data API response the indicators need, landed (live) or read in place (snapshot)."""

from itertools import groupby
from pathlib import Path

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from assets.warehouse import replace_table, table_metadata
from pipelines.resources import SdohSettings
from sources.census_api import parse_table
from sources.project_config import load_project_config


@dg.asset(
    group_name="raw",
    kinds={"duckdb", "polars"},
    description=(
        "Cells of the Census Data API responses named by config/indicators.yaml: one row per geography x "
        "requested variable, as returned (raw string, parsed number, annotation reason), with the file and "
        "sha256 each came from. Live mode lands every response under data/raw/census_api before parsing."
    ),
)
def census_api_raw(
    context: dg.AssetExecutionContext, sdoh: SdohSettings, warehouse: DuckDBResource
) -> dg.MaterializeResult:
    config = load_project_config(sdoh.settings.config_dir)
    calls = config.census_requests()
    fetcher = sdoh.census_fetcher()
    root = Path(sdoh.snapshot_dir) if fetcher.mode == "snapshot" else sdoh.settings.landing_dir
    tables: list[pl.DataFrame] = []
    files = 0
    by_table = groupby(calls, key=lambda c: c.snapshot_relpath)
    for n, (relpath, table_calls) in enumerate(by_table, start=1):
        responses = [fetcher.fetch(call) for call in table_calls]
        parsed = parse_table(responses)
        sources = pl.DataFrame(
            {
                "variable": [v for r in responses for v in r.request.variables],
                "source_file": [_relative(r.source_path, root) for r in responses for _ in r.request.variables],
                "source_sha256": [r.sha256 for r in responses for _ in r.request.variables],
            }
        )
        tables.append(parsed.join(sources, on="variable", how="left", validate="m:1"))
        files += len({r.source_path for r in responses})
        context.log.info(
            f"[{n}] {relpath}: {parsed['geoid'].n_unique():,} geographies x {len(parsed['variable'].unique())} variables"
        )
    frame = pl.concat(tables).with_columns(pl.lit(fetcher.mode).alias("mode"))
    with warehouse.get_connection() as con:
        replace_table(con, "raw.census_api_raw", frame)
        metadata = table_metadata(con, "raw.census_api_raw")
    annotated = frame.filter(pl.col("annotation").is_not_null()).group_by("annotation").len().sort("annotation")
    return dg.MaterializeResult(
        metadata={
            **metadata,
            "mode": fetcher.mode,
            "api_calls": len(calls),
            "response_files": files,
            "vintages": ", ".join(sorted(frame["vintage"].unique())),
            "null_cells_by_reason": dg.MetadataValue.json(
                {r["annotation"]: r["len"] for r in annotated.iter_rows(named=True)}
            ),
        }
    )


def _relative(path: Path, root: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)
