"""Raw layer: CDC PLACES county prevalences (crude and age-adjusted, 95% limits), every configured release."""

import csv
import os
from pathlib import Path

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from assets.warehouse import relative_paths, write_table
from pipelines.resources import SdohSettings
from sources.cdc_places import fetch_socrata, parse_places_gis, parse_places_long, read_landed_pages
from sources.project_config import load_yaml


@dg.asset(
    group_name="raw",
    kinds={"duckdb", "polars"},
    description=(
        "CDC PLACES county estimates for every release in config/cdc_places.yaml: one row per release x county x "
        "measure x crude/age-adjusted, with the published 95% limits parsed strictly from CDC's text. Live mode "
        "pages through data.cdc.gov (Socrata; SOCRATA_APP_TOKEN when set) and lands every page before parsing."
    ),
)
def cdc_places_raw(
    context: dg.AssetExecutionContext, sdoh: SdohSettings, warehouse: DuckDBResource
) -> dg.MaterializeResult:
    config = load_yaml(sdoh.settings.config_dir / "cdc_places.yaml")
    root = Path(sdoh.settings.snapshot_dir)
    frames = []
    for release in config["releases"]:
        if sdoh.mode == "live":
            pages = fetch_socrata(
                config["socrata_base_url"],
                release["socrata_dataset"],
                sdoh.settings.landing_dir,
                where=release.get("socrata_where"),
                app_token=os.environ.get("SOCRATA_APP_TOKEN") or None,
            )
            frame = parse_places_long(
                read_landed_pages(pages), f"socrata:{release['socrata_dataset']}", release["release"]
            )
        elif release["format"] == "gis_friendly":
            frame = parse_places_gis(root / release["snapshot"], release["release"])
        else:
            path = root / release["snapshot"]
            with open(path, newline="", encoding="utf-8-sig") as f:
                frame = parse_places_long(csv.DictReader(f), str(path), release["release"])
        frame = relative_paths(frame, "source_file", root)
        frames.append(frame)
        context.log.info(
            f"PLACES release {release['release']}: {frame['geoid'].n_unique():,} counties, "
            f"{frame['variable'].n_unique()} measure values, BRFSS years {sorted(frame['vintage'].unique())}"
        )
    result = pl.concat(frames)
    metadata = write_table(warehouse, "raw.cdc_places_raw", result)
    return dg.MaterializeResult(
        metadata={**metadata, "mode": sdoh.mode, "releases": ", ".join(r["release"] for r in config["releases"])}
    )
