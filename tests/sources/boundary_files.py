"""The snapshot files of a boundary layer, as the pipeline reads them (for tests and benchmarks)."""

from __future__ import annotations

from pathlib import Path

from sources.census_geo import layer_source
from sources.core.files import SourceFiles


def snapshot_layer(snapshot_dir: Path, name: str, spec: dict) -> list:
    """A boundary layer's snapshot files, through the pipeline's own seam (sources.core.files.SourceFiles)."""
    files = SourceFiles("snapshot", snapshot_dir, snapshot_dir / "unused-landing")
    return files.get(layer_source("", name, spec))
