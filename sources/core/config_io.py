"""Reading the project's YAML configuration files, with errors that name the file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from sources.core.errors import ConfigError

# libyaml's parser with PyYAML's safe constructor (the same objects as ``yaml.safe_load``), about ten times faster:
# the config is read by many assets of every run (the pure-Python parser took 1.4 s of a one-vintage census_api_raw
# run reading indicators.yaml and its companions twice).
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_yaml(text: str) -> Any:
    """``yaml.safe_load`` with libyaml when the installed PyYAML has it."""
    return yaml.load(text, Loader=SAFE_LOADER)


def load_yaml(path: Path) -> Any:
    """Parse one YAML file; a missing or malformed file is a :class:`ConfigError` naming it."""
    try:
        return parse_yaml(Path(path).read_text())
    except FileNotFoundError:
        raise ConfigError(f"{path}: configuration file not found") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
