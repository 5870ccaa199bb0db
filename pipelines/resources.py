"""Dagster resources: project settings (from env vars) and the DuckDB warehouse."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from pipelines.settings import CONFIG_DIR, Settings, settings_from_env
from sources.census_api import LiveFetcher, SnapshotFetcher


class SdohSettings(dg.ConfigurableResource):
    """Where the snapshot, the working data and the Census API are; the API key is an EnvVar, never shown."""

    snapshot_dir: str
    data_dir: str
    mode: str = "snapshot"
    census_api_base_url: str = "https://api.census.gov/data"
    census_api_key: str | None = None
    config_dir: str = str(CONFIG_DIR)
    census_geo_base_url: str = "https://www2.census.gov"

    @property
    def settings(self) -> Settings:
        return Settings(
            Path(self.snapshot_dir),
            Path(self.data_dir),
            self.mode,
            self.census_api_base_url,
            Path(self.config_dir),
            self.census_geo_base_url,
        )

    def census_fetcher(self) -> SnapshotFetcher | LiveFetcher:
        if self.mode == "live":
            return LiveFetcher(self.census_api_base_url, self.census_api_key, self.settings.landing_dir)
        return SnapshotFetcher(Path(self.snapshot_dir), self.census_api_base_url)


def build_resources(settings: Settings | None = None) -> dict[str, object]:
    s = settings or settings_from_env()
    s.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    # An EnvVar, so the UI shows the variable's name and never its value.
    key: str | dg.EnvVar | None = dg.EnvVar("CENSUS_API_KEY") if os.environ.get("CENSUS_API_KEY") else None
    return {
        "sdoh": SdohSettings(
            snapshot_dir=str(s.snapshot_dir),
            data_dir=str(s.data_dir),
            mode=s.mode,
            census_api_base_url=s.census_api_base_url,
            census_api_key=key,
            config_dir=str(s.config_dir),
            census_geo_base_url=s.census_geo_base_url,
        ),
        "warehouse": DuckDBResource(database=str(s.warehouse_path)),
    }
