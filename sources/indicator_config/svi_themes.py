"""config/svi.yaml: which SVI variables make each theme, per release, and the scopes to rank in."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from sources.core.config_io import load_yaml
from sources.core.errors import ConfigError


def load_svi_themes(config_dir: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    """config/svi.yaml: (vintage_year, theme, variable, reverse) rows and the ranking scopes to compute."""
    path = Path(config_dir) / "svi.yaml"
    raw = load_yaml(path)
    scopes = raw.get("ranking_scopes") or []
    for scope in scopes:
        if scope not in ("national", "state"):
            raise ConfigError(f"{path}: field `ranking_scopes` has value {scope!r}; expected national or state")
    rows = []
    for vintage, themes in (raw.get("themes") or {}).items():
        if set(map(int, themes)) != {1, 2, 3, 4}:
            raise ConfigError(f"{path}: vintage {vintage!r} must define themes 1-4, got {sorted(themes)}")
        for theme, variables in themes.items():
            for entry in variables:
                spec = entry if isinstance(entry, dict) else {"variable": entry}
                variable = str(spec.get("variable", ""))
                if not re.fullmatch(r"ep_[a-z0-9]+", variable):
                    raise ConfigError(
                        f"{path}: vintage {vintage!r} theme {theme} has variable {variable!r}; expected ep_<name>"
                    )
                rows.append(
                    {
                        "vintage_year": str(vintage),
                        "theme": int(theme),
                        "variable": variable,
                        "reverse": bool(spec.get("reverse", False)),
                    }
                )
    themes_frame = pl.DataFrame(rows)
    dupes = themes_frame.group_by("vintage_year", "variable").len().filter(pl.col("len") > 1)
    if dupes.height:
        raise ConfigError(f"{path}: vintage {dupes['vintage_year'][0]!r} lists {dupes['variable'][0]} in two themes")
    return themes_frame, pl.DataFrame({"scope": [str(s) for s in scopes]}, schema={"scope": pl.String})
