"""Settings read from environment variables, each with a default that works on a fresh clone.

Kept free of Dagster so the CLI, the tests and the code location share one definition of where the
snapshot, the working data and the published files live. It lives in ``assets/`` (below the code location in
``pipelines/``) because the resource and the release writer read it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONFIG_DIR = PROJECT_ROOT / "config"
SQL_DIR = PROJECT_ROOT / "dbt_like_sql"
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations" / "suites"

MODES = ("snapshot", "live")


class SettingsError(ValueError):
    """A wrong ``SDOH_*`` setting. The message is one line naming the variable, what it may be and what it was
    (``SDOH_MODE must be one of ('snapshot', 'live'), got 'bogus'``): the CLI prints it as ``error: <message>``
    and ``pipelines.settings_check`` stops the code location's import with it."""


@dataclass(frozen=True)
class Settings:
    """Where data comes from and goes. The Census API key is never part of this object's repr."""

    snapshot_dir: Path
    data_dir: Path
    mode: str
    census_api_base_url: str
    config_dir: Path = CONFIG_DIR
    census_geo_base_url: str = "https://www2.census.gov"
    writer_lock_wait_seconds: float = 1800.0
    alert_file: Path | None = None  # None: <data_dir>/alerts.jsonl (see alerts_path)
    alert_webhook_url: str | None = field(default=None, repr=False)  # may carry a token in its path or query

    @property
    def alerts_path(self) -> Path:
        """Where the run-failure sensor appends its alerts (one JSON object per line)."""
        return self.alert_file or self.data_dir / "alerts.jsonl"

    @property
    def warehouse_path(self) -> Path:
        return self.data_dir / "warehouse" / "sdoh.duckdb"

    @property
    def landing_dir(self) -> Path:
        return self.data_dir / "raw"

    @property
    def published_dir(self) -> Path:
        return self.data_dir / "published"


@cache
def operations_config(section: str) -> dict:
    """One section of ``config/operations.yaml`` (schedules, sensors, step retries, freshness), read once per
    process: the code location reads it while it loads, which the UI repeats on every reload."""
    from sources.core.config_io import load_yaml

    return dict((load_yaml(CONFIG_DIR / "operations.yaml") or {}).get(section) or {})


def _resolve(value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else (PROJECT_ROOT / path).resolve()


def settings_from_env(environ: dict[str, str] | None = None) -> Settings:
    """Build settings from `SDOH_*` variables; relative paths are taken from the project root."""
    env = os.environ if environ is None else environ
    mode = env.get("SDOH_MODE", "snapshot").strip().lower() or "snapshot"
    if mode not in MODES:
        raise SettingsError(f"SDOH_MODE must be one of {MODES}, got {mode!r}")
    alert_file = (env.get("SDOH_ALERT_FILE") or "").strip()
    return Settings(
        snapshot_dir=_resolve(env.get("SDOH_SNAPSHOT_DIR") or "../shared/data"),
        data_dir=_resolve(env.get("SDOH_DATA_DIR") or "data"),
        mode=mode,
        census_api_base_url=(env.get("SDOH_CENSUS_API_BASE_URL") or "https://api.census.gov/data").rstrip("/"),
        config_dir=_resolve(env.get("SDOH_CONFIG_DIR") or str(CONFIG_DIR)),
        census_geo_base_url=(env.get("SDOH_CENSUS_GEO_BASE_URL") or "https://www2.census.gov").rstrip("/"),
        writer_lock_wait_seconds=_seconds(env, "SDOH_WRITER_LOCK_WAIT", 1800.0),
        alert_file=_alert_file(alert_file) if alert_file else None,
        alert_webhook_url=_webhook_url(env, "SDOH_ALERT_WEBHOOK_URL"),
    )


def _alert_file(value: str) -> Path:
    path = _resolve(value)
    if path.is_dir():
        raise SettingsError(f"SDOH_ALERT_FILE must be a file to append alerts to, got the folder {str(path)!r}")
    return path


def _webhook_url(env, name: str) -> str | None:
    """An http(s) URL with a host, or None. The value is never repeated in the error: it may hold a token."""
    value = (env.get(name) or "").strip()
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SettingsError(
            f"{name} must be an http:// or https:// URL with a host (value not shown: it may hold a token)"
        )
    return value


def _seconds(env, name: str, default: float) -> float:
    value = (env.get(name) or "").strip()
    if not value:
        return default
    try:
        return max(float(value), 0.0)
    except ValueError:
        raise SettingsError(f"{name} must be a number of seconds, got {value!r}") from None
