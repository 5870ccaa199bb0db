"""Reading the project's YAML configuration files, with errors that name the file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from sources.core.errors import ConfigError


def load_yaml(path: Path) -> Any:
    """Parse one YAML file; a missing or malformed file is a :class:`ConfigError` naming it."""
    try:
        return yaml.safe_load(Path(path).read_text())
    except FileNotFoundError:
        raise ConfigError(f"{path}: configuration file not found") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
