"""Expand checked indicators into the tidy frames the SQL models join against: the catalog (one row per indicator)
and the variable spec (one row per indicator x vintage x dataset x geography level x place x group x role x
variable)."""

from __future__ import annotations

from typing import Any

import polars as pl

from sources.core.errors import ConfigError
from sources.indicator_config.check import Indicator

SPEC_KEY = ["indicator_id", "vintage_year", "dataset", "geo_level", "state", "county", "group_id", "role", "variable"]


def catalog_frame(indicators: list[Indicator]) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "indicator_id": ind.indicator_id,
                "label": ind.fields["label"],
                "description": " ".join(str(ind.fields["description"]).split()),
                "unit": ind.fields["unit"],
                "direction": ind.fields["direction"],
                "universe": ind.fields["universe"],
                "source": ind.fields["source"],
                "methods": ", ".join(sorted({m.method for m in ind.measurements})),
            }
            for ind in indicators
        ]
    )


def variable_spec(indicators: list[Indicator], path: str = "config/indicators.yaml") -> pl.DataFrame:
    rows: list[dict[str, Any]] = []
    for ind in indicators:
        for m in ind.measurements:
            for vintage in m.vintages:
                for state, county in m.places:
                    for group_id, roles in m.roles_by_group.items():
                        for role, names in roles.items():
                            for signed in names:
                                variable = signed.lstrip("-")
                                rows.append(
                                    {
                                        "indicator_id": ind.indicator_id,
                                        "vintage_year": vintage,
                                        "dataset": m.dataset,
                                        "table": m.table or variable.split("_")[0],
                                        "geo_level": m.geo_level,
                                        "state": state,
                                        "county": county,
                                        "group_id": group_id,
                                        "role": role,
                                        "variable": variable,
                                        "sign": -1.0 if signed.startswith("-") else 1.0,
                                        "method": m.method,
                                        "moe_kind": m.moe_kind,
                                        "moe_published": m.moe_kind not in ("not_published", "not_applicable"),
                                        "request_moe": m.moe_kind == "published",
                                        "scale": m.scale,
                                        "aggregation": m.aggregation,
                                        "aggregation_note": m.aggregation_note,
                                    }
                                )
    spec = pl.DataFrame(rows, schema_overrides={"state": pl.String, "county": pl.String, "aggregation_note": pl.String})
    dupes = spec.group_by(SPEC_KEY).len().filter(pl.col("len") > 1)
    if dupes.height:
        row = dupes.row(0, named=True)
        raise ConfigError(
            f"{path}: indicator {row['indicator_id']!r} lists {row['variable']} twice for {row['group_id']}"
        )
    return spec


def unavailable_groups_frame(indicators: list[Indicator]) -> pl.DataFrame:
    """Groups a measurement's source has no value for (config `unavailable_groups`), with the reason: one row per
    indicator x vintage x dataset x geography level x place x group. The SQL publishes them as rows without a value."""
    rows = [
        {
            "indicator_id": ind.indicator_id,
            "vintage_year": vintage,
            "dataset": m.dataset,
            "geo_level": m.geo_level,
            "state": state,
            "county": county,
            "group_id": group_id,
            "reason": reason,
        }
        for ind in indicators
        for m in ind.measurements
        for vintage in m.vintages
        for state, county in m.places
        for group_id, reason in m.unavailable_groups.items()
    ]
    return pl.DataFrame(
        rows,
        schema={
            "indicator_id": pl.String,
            "vintage_year": pl.String,
            "dataset": pl.String,
            "geo_level": pl.String,
            "state": pl.String,
            "county": pl.String,
            "group_id": pl.String,
            "reason": pl.String,
        },
    )
