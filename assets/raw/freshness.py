"""Freshness of the raw sources: is the newest vintage landed as new as the agency's calendar says it should be?

A Dagster freshness policy says how long ago an asset was materialized; what goes stale here is the data's period
(an ACS 2015-2019 table landed yesterday is still five years old). So each vintage-partitioned raw asset has a
non-blocking check comparing its newest materialized partition with the current year, against the lag the agency's
calendar allows (``config/operations.yaml`` ``freshness``). It warns, never blocks: old data is still true data.
"""

import datetime as dt
import re

import dagster as dg

from assets.partitions import PARTITIONED_SOURCES, SourcePartitions
from assets.settings import operations_config

CHECK_NAME = "newest_vintage_is_recent"


def vintage_end_year(key: str) -> int | None:
    """The last year a partition key covers ('2023' -> 2023, '2018thru2022' -> 2022)."""
    years = re.findall(r"\d{4}", key)
    return int(years[-1]) if years else None


def newest_vintage_lag(keys: list[str], today: dt.date) -> tuple[str | None, int | None]:
    """(newest key, years between its last year and ``today``'s year)."""
    dated = [(vintage_end_year(k), k) for k in keys if vintage_end_year(k) is not None]
    if not dated:
        return None, None
    year, key = max(dated)
    return key, today.year - year


def _freshness_check(source: SourcePartitions, max_lag_years: int) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=source.asset_name,
        name=CHECK_NAME,
        blocking=False,
        description=(
            f"Warns when the newest {source.label} landed ends more than {max_lag_years} years before the current "
            "year (config/operations.yaml `freshness`): a newer vintage is probably published; see the new-data "
            f"sensor `new_{source.source}_vintages`."
        ),
    )
    def check(context: dg.AssetCheckExecutionContext) -> dg.AssetCheckResult:
        keys = sorted(context.instance.get_materialized_partitions(dg.AssetKey(source.asset_name)))
        newest, lag = newest_vintage_lag(keys, dt.date.today())
        fresh = lag is not None and lag <= max_lag_years
        return dg.AssetCheckResult(
            passed=fresh,
            severity=dg.AssetCheckSeverity.WARN,
            description=(
                f"newest {source.label} landed: {newest} ({lag} years before {dt.date.today().year}; "
                f"allowed {max_lag_years})"
                if newest
                else f"no {source.label} landed yet"
            ),
            metadata={"newest_vintage": newest or "", "lag_years": lag if lag is not None else -1},
        )

    return check


def _limits() -> dict[str, int]:
    limits = operations_config("freshness")
    return {s.source: int(limits[s.source]["max_lag_years"]) for s in PARTITIONED_SOURCES if s.source in limits}


def build_freshness_checks() -> list[dg.AssetChecksDefinition]:
    limits = _limits()
    return [_freshness_check(s, limits[s.source]) for s in PARTITIONED_SOURCES if s.source in limits]


def freshness_check_keys() -> list[dg.AssetCheckKey]:
    """The keys of :func:`build_freshness_checks` (the publish step asks the instance for their latest results)."""
    limits = _limits()
    return [dg.AssetCheckKey(dg.AssetKey(s.asset_name), CHECK_NAME) for s in PARTITIONED_SOURCES if s.source in limits]
