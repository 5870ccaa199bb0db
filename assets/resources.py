"""The Dagster resources every asset uses: where source bytes come from (one seam for snapshot and live) and the
DuckDB warehouse. They live below the assets' code location (``pipelines/`` only assembles them)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource
from pydantic import PrivateAttr

from assets.settings import CONFIG_DIR, Settings, operations_config, settings_from_env
from assets.writer_lock import hold_writer_lock
from sources.core.files import SourceFiles
from sources.core.http import RetrySettings

CREDENTIALS = ("CENSUS_API_KEY", "SOCRATA_APP_TOKEN")
CENSUS_PACKAGE_BASE_URL = "https://api.census.gov/data"


class SdohSources(dg.ConfigurableResource):
    """Where the snapshot and the working data are, the run's mode, and the agencies' base URLs.

    ``files`` is the one seam between snapshot and live (:class:`sources.core.files.SourceFiles`): assets ask it for
    a source spec's bytes and never look at the mode. Credentials are EnvVars, so the UI shows their names only.
    """

    snapshot_dir: str
    data_dir: str
    mode: str = "snapshot"
    census_api_base_url: str = CENSUS_PACKAGE_BASE_URL
    census_api_key: str | None = None
    socrata_app_token: str | None = None
    config_dir: str = str(CONFIG_DIR)
    census_geo_base_url: str = "https://www2.census.gov"

    _settings: Settings | None = PrivateAttr(default=None)
    _files: SourceFiles | None = PrivateAttr(default=None)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = Settings(
                Path(self.snapshot_dir),
                Path(self.data_dir),
                self.mode,
                self.census_api_base_url,
                Path(self.config_dir),
                self.census_geo_base_url,
            )
        return self._settings

    @property
    def config_path(self) -> Path:
        return self.settings.config_dir

    @property
    def files(self) -> SourceFiles:
        """Source bytes in this run's mode (live answers landed under ``<data_dir>/raw`` first)."""
        if self._files is None:
            self._files = SourceFiles(
                mode=self.mode,
                snapshot_dir=self.settings.snapshot_dir,
                landing_dir=self.settings.landing_dir,
                retry=RetrySettings(),
                credentials={
                    "CENSUS_API_KEY": self.census_api_key or "",
                    "SOCRATA_APP_TOKEN": self.socrata_app_token or "",
                },
                rewrites={CENSUS_PACKAGE_BASE_URL: self.census_api_base_url},
            )
        return self._files


class LockedWarehouse(DuckDBResource):
    """The DuckDB warehouse, written by one run at a time.

    While a run uses it, the run holds the working folder's writer lock (:mod:`assets.writer_lock`): from the first
    step that opens the warehouse to the end of the run (the job runs in one process, so the resource is set up
    once per run). A second run that would write the same folder waits up to ``lock_wait_seconds``, logging who holds
    the lock, then fails naming the holder; its steps never touch the tables of the run that holds it.
    """

    data_dir: str
    lock_wait_seconds: float = 1800.0

    @contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Iterator[LockedWarehouse]:
        run_id = context.run.run_id if context.run is not None else None
        log = context.log.warning if context.log is not None else print
        with hold_writer_lock(Path(self.data_dir), run_id=run_id, wait_seconds=self.lock_wait_seconds, on_wait=log):
            yield self


def build_resources(settings: Settings | None = None) -> dict[str, object]:
    s = settings or settings_from_env()
    s.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    # EnvVars, so the UI shows the variable's name and never its value.
    secrets = {name: dg.EnvVar(name) if os.environ.get(name) else None for name in CREDENTIALS}
    return {
        "sdoh": SdohSources(
            snapshot_dir=str(s.snapshot_dir),
            data_dir=str(s.data_dir),
            mode=s.mode,
            census_api_base_url=s.census_api_base_url,
            census_api_key=secrets["CENSUS_API_KEY"],
            socrata_app_token=secrets["SOCRATA_APP_TOKEN"],
            config_dir=str(s.config_dir),
            census_geo_base_url=s.census_geo_base_url,
        ),
        "warehouse": LockedWarehouse(
            database=str(s.warehouse_path),
            data_dir=str(s.data_dir),
            lock_wait_seconds=s.writer_lock_wait_seconds,
            connection_config=dict(operations_config("warehouse")),  # e.g. DuckDB's memory_limit
        ),
    }
