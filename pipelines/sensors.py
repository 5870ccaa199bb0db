"""Sensors: new vintages published by the agencies (or dropped into the snapshot), and alerts on failed runs."""

from __future__ import annotations

import dagster as dg


def build_sensors(refresh_jobs: dict[str, dg.UnresolvedAssetJobDefinition]) -> list[dg.SensorDefinition]:
    return []
