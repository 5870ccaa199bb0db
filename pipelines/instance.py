"""The Dagster instance folder (``DAGSTER_HOME``) the CLI and `make dev` share, set up from config/dagster_instance.yaml."""

from __future__ import annotations

import os
from pathlib import Path

from assets.settings import CONFIG_DIR, PROJECT_ROOT

TEMPLATE = CONFIG_DIR / "dagster_instance.yaml"
_OURS = ("# The Dagster instance's settings for this project", "# Dagster instance for local runs")


def dagster_home() -> Path:
    return Path(os.environ.get("DAGSTER_HOME") or PROJECT_ROOT / "data" / "dagster_home")


def ensure_instance_yaml(home: Path | None = None) -> Path:
    """Write ``dagster.yaml`` from the project's template unless the user wrote their own (then it is left alone)."""
    home = home or dagster_home()
    home.mkdir(parents=True, exist_ok=True)
    target = home / "dagster.yaml"
    current = target.read_text() if target.is_file() else ""
    if (not current or current.startswith(_OURS)) and current != TEMPLATE.read_text():
        target.write_text(TEMPLATE.read_text())
    return target


def sync_partitions() -> dict[str, list[str]]:
    """Add the configured vintages as partitions of the instance in ``DAGSTER_HOME`` (what `make dev` shows)."""
    import dagster as dg

    from assets.partitions import sync_configured_partitions
    from assets.settings import settings_from_env

    os.environ["DAGSTER_HOME"] = str(dagster_home())
    with dg.DagsterInstance.get() as instance:
        return sync_configured_partitions(instance, settings_from_env().config_dir)


if __name__ == "__main__":
    print(ensure_instance_yaml())
    for source, keys in sync_partitions().items():
        print(f"added {source} partitions: {', '.join(keys)}")
