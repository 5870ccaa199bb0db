"""WA DOH life expectancy: where each period's file comes from. The Washington Tracking Network portal has no
stable download URL, so the snapshot serves both modes (the spec has no live recipe)."""

from __future__ import annotations

from pathlib import Path

from sources.core.files import SourceFile


def life_expectancy_relpath(vintage: str) -> str:
    """The snapshot file for a period ending in ``vintage`` (5-year periods: 2020 -> ``_16_20``)."""
    end = int(vintage)
    return f"wa_doh/life_expectancy_tract/Life_Expectancy_at_Birth_{(end - 4) % 100:02d}_{end % 100:02d}.csv"


def life_expectancy_path(snapshot_dir: Path, vintage: str) -> Path:
    return Path(snapshot_dir) / life_expectancy_relpath(vintage)


def life_expectancy_source(vintage: str) -> SourceFile:
    """Where a period's file comes from: the snapshot in both modes (WTN has no stable download URL)."""
    return SourceFile(f"WA DOH life expectancy {vintage}", life_expectancy_relpath(vintage), live=None)
