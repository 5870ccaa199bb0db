"""Source vintages as Dagster partitions: one dynamic partition set per upstream source that publishes in vintages.

Why partitions: the agencies publish in vintages (ACS 5-year periods, PLACES and SVI releases, CHAS periods), a new
vintage arrives once a year or less, and each vintage's files never change afterwards. So each raw asset is
partitioned by its source's vintage: refreshing one vintage, or adding one that an agency just published, lands only
that vintage, and everything downstream (unpartitioned) rebuilds from whatever partitions are in the raw table.

Why dynamic (not static from config): a new vintage is noticed by a sensor (``pipelines/sensors.py``) that adds the
partition when the agency publishes it, before anyone edits config. Config still decides which vintages an indicator
uses (``config/indicators.yaml``); a partition that no indicator uses lands nothing and says so in its metadata.

Why not states as a second dimension: see ``docs/operations.md`` (a state is a slice of one response file for every
county-level table, and the single DuckDB writer serializes the runs anyway).

This module is cheap to import (no config is read here); :func:`configured_partition_keys` reads config when asked.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

# `backfill_policy` is marked beta in Dagster 1.13 (pinned); it is what makes a backfill one run (see SINGLE_RUN).
warnings.filterwarnings("ignore", message=r"Parameter `backfill_policy`", category=dg.BetaWarning)


@dataclass(frozen=True)
class SourcePartitions:
    """A source whose raw asset is partitioned by vintage, and how its raw table's rows map to partition keys.

    ``row_column`` is the raw table's column that says which vintage a row belongs to, and ``row_value`` turns a
    partition key into that column's value (HUD names its periods '2018thru2022', the rows say '2018-2022')."""

    source: str
    asset_name: str
    definition: dg.DynamicPartitionsDefinition
    row_column: str
    label: str
    row_value: Callable[[str], str] = str

    @property
    def name(self) -> str:
        return self.definition.name or ""

    @property
    def raw_table(self) -> str:
        return f"raw.{self.asset_name}"


def _chas_period(key: str) -> str:
    return key.replace("thru", "-")


CENSUS_API = SourcePartitions(
    "census_api",
    "census_api_raw",
    dg.DynamicPartitionsDefinition(name="census_api_vintage"),
    "vintage_year",
    "Census Data API vintage (the year in /data/<year>/: an ACS 5-year period's last year, or a decennial census)",
)
CDC_PLACES = SourcePartitions(
    "cdc_places",
    "cdc_places_raw",
    dg.DynamicPartitionsDefinition(name="cdc_places_release"),
    "release",
    "CDC PLACES release year",
)
CDC_SVI = SourcePartitions(
    "cdc_svi",
    "cdc_svi_raw",
    dg.DynamicPartitionsDefinition(name="cdc_svi_release"),
    "vintage_year",
    "CDC/ATSDR SVI release year",
)
HUD_CHAS = SourcePartitions(
    "hud_chas",
    "hud_chas_raw",
    dg.DynamicPartitionsDefinition(name="hud_chas_period"),
    "vintage",
    "HUD CHAS period (HUD's name, e.g. 2018thru2022)",
    _chas_period,
)

PARTITIONED_SOURCES: tuple[SourcePartitions, ...] = (CENSUS_API, CDC_PLACES, CDC_SVI, HUD_CHAS)
BY_SOURCE = {s.source: s for s in PARTITIONED_SOURCES}
BY_ASSET = {s.asset_name: s for s in PARTITIONED_SOURCES}

# One run per backfill: every raw asset writes the one DuckDB warehouse, which allows one writer process, so a
# backfill of N vintages is one run that lands them in turn rather than N runs queued behind the writer lock.
SINGLE_RUN = dg.BackfillPolicy.single_run()


def configured_partition_keys(config_dir: Path) -> dict[str, list[str]]:
    """Partition keys each source's config names (the vintages the indicators use), by source name."""
    import polars as pl

    from sources.cdc_places import load_places_releases
    from sources.cdc_svi import load_svi_config
    from sources.census_api.plan import CENSUS_DATASET_PREFIXES
    from sources.hud_chas import load_chas_config
    from sources.indicator_config import load_project_config

    config = load_project_config(config_dir)
    census = config.indicator_variables.filter(
        pl.any_horizontal(pl.col("dataset").str.starts_with(prefix) for prefix in CENSUS_DATASET_PREFIXES)
    )
    return {
        "census_api": sorted(set(census["vintage_year"].to_list())),
        "cdc_places": sorted(r for r, _ in load_places_releases(config_dir / "cdc_places.yaml")),
        "cdc_svi": sorted(load_svi_config(config_dir / "cdc_svi.yaml")),
        "hud_chas": [load_chas_config(config_dir / "hud_chas.yaml").release],
    }


def sync_configured_partitions(instance: dg.DagsterInstance, config_dir: Path) -> dict[str, list[str]]:
    """Add every configured vintage that the instance does not know yet as a partition; return what was added.

    Partitions are never deleted here: a vintage dropped from config keeps its materializations (history), and
    deleting a partition is a deliberate act in the UI or ``sdoh``."""
    added: dict[str, list[str]] = {}
    for source, keys in configured_partition_keys(config_dir).items():
        definition = BY_SOURCE[source]
        known = set(instance.get_dynamic_partitions(definition.name))
        new = [k for k in keys if k not in known]
        if new:
            instance.add_dynamic_partitions(definition.name, new)
            added[source] = new
    return added


def run_partition_keys(
    tags: dict[str, str], instance: dg.DagsterInstance, source: SourcePartitions
) -> list[str] | None:
    """The partition keys of ``source`` a run covers, from its tags (one key, or a range of a single-run backfill);
    None when the run is not partitioned."""
    if "dagster/partition" in tags:
        return [tags["dagster/partition"]]
    start, end = tags.get(RANGE_START_TAG), tags.get(RANGE_END_TAG)
    if start is None or end is None:
        return None
    keys = instance.get_dynamic_partitions(source.name)
    if start not in keys or end not in keys:
        return None
    return keys[keys.index(start) : keys.index(end) + 1]


RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


def partition_range_tags(keys: list[str]) -> dict[str, str]:
    """Tags that make one run materialize every partition from the first to the last of ``keys``."""
    return {RANGE_START_TAG: keys[0], RANGE_END_TAG: keys[-1]}


def one_vintage_tags(key: str) -> dict[str, str]:
    """Run tags that land one partition: a range of one key, not Dagster's ``dagster/partition`` tag. In a run tagged
    with one partition, Dagster records the checks of the unpartitioned assets downstream (the refresh jobs hold
    them) against that partition, so they would not count as checks of the tables just built, and the publish step
    would refuse them (seen: "checked an older materialization")."""
    return partition_range_tags([key])
