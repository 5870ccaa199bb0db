"""CDC/ATSDR SVI: which releases the pipeline reads (config/cdc_svi.yaml) and where their bytes come from."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from sources.core.config_io import load_yaml
from sources.core.errors import ConfigError
from sources.core.files import Download, SourceFile

_VINTAGE = re.compile(r"^\d{4}$")
_PERIOD = re.compile(r"^\d{4}-\d{4}$")


@dataclass(frozen=True)
class SviVintage:
    """One release in ``config/cdc_svi.yaml``."""

    vintage: str
    period: str  # the ACS 5-year period it is built from
    snapshot: str  # relative to the snapshot folder
    live_url: str  # not verified from the development sandbox; see the config

    def snapshot_path(self, snapshot_dir: Path) -> Path:
        return Path(snapshot_dir) / self.snapshot

    @property
    def source_file(self) -> SourceFile:
        """The snapshot file, or live CDC's CSV download (landed under cdc_svi/ first)."""
        name = self.live_url.rsplit("/", 1)[-1]
        return SourceFile(f"CDC SVI {self.vintage}", self.snapshot, Download((self.live_url,), (f"cdc_svi/{name}",)))


def load_svi_config(path: Path) -> dict[str, SviVintage]:
    """Read and check ``config/cdc_svi.yaml``: vintage -> file, ACS period and live URL."""
    raw = load_yaml(Path(path))
    if not isinstance(raw, dict) or not isinstance(raw.get("vintages"), dict) or not raw["vintages"]:
        raise ConfigError(f"{path}: expected `vintages`, a mapping of release year -> snapshot and period")
    pattern = raw.get("live_url")
    if not isinstance(pattern, str) or "{vintage}" not in pattern:
        raise ConfigError(f"{path}: field live_url has value {pattern!r}; it must contain {{vintage}}")
    out: dict[str, SviVintage] = {}
    for key, entry in raw["vintages"].items():
        vintage = str(key)
        if not _VINTAGE.match(vintage) or not isinstance(entry, dict):
            raise ConfigError(f"{path}: vintages entry {key!r} must be a year with a mapping")
        period = str(entry.get("period") or "")
        if not _PERIOD.match(period):
            raise ConfigError(f"{path}: vintage {vintage} field period has value {entry.get('period')!r}")
        if not entry.get("snapshot"):
            raise ConfigError(f"{path}: vintage {vintage} lacks field `snapshot`")
        out[vintage] = SviVintage(vintage, period, str(entry["snapshot"]), pattern.format(vintage=vintage))
    return out
