"""CDC PLACES: which releases the pipeline reads (config/cdc_places.yaml) and where each one's bytes come from."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sources.cdc_places.parse import GIS_FRIENDLY, LONG_CSV
from sources.cdc_places.socrata import SocrataPages
from sources.core.config_io import load_yaml
from sources.core.errors import ConfigError
from sources.core.files import SourceFile

FORMATS = (GIS_FRIENDLY, LONG_CSV)


def load_places_releases(path: Path) -> list[tuple[str, SourceFile]]:
    """(release, source file) per configured release: the snapshot file in its format, or live Socrata pages."""
    config: Any = load_yaml(path)
    base = config.get("socrata_base_url") if isinstance(config, dict) else None
    if not base or not config.get("releases"):
        raise ConfigError(f"{path}: expected `socrata_base_url` and a list of `releases`")
    out = []
    for n, release in enumerate(config["releases"], start=1):
        for key in ("release", "format", "snapshot", "socrata_dataset"):
            if not release.get(key):
                raise ConfigError(f"{path}: release #{n} lacks field `{key}`")
        if release["format"] not in FORMATS:
            raise ConfigError(f"{path}: release {release['release']!r} field format has value {release['format']!r}")
        name = str(release["release"])
        out.append(
            (
                name,
                SourceFile(
                    f"CDC PLACES {name}",
                    str(release["snapshot"]),
                    SocrataPages(base, str(release["socrata_dataset"]), release.get("socrata_where")),
                    format=str(release["format"]),
                ),
            )
        )
    return out
