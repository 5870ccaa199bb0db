"""What every vintage-partitioned raw asset does after parsing: land its partitions' rows and describe them."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import dagster as dg
import polars as pl

from assets.partitions import BY_ASSET
from assets.warehouse import write_partitions


def land_partitions(
    context: dg.AssetExecutionContext,
    warehouse: Any,
    frames: pl.DataFrame | Iterable[pl.DataFrame],
    unconfigured: list[str] | None = None,
) -> dict[str, Any]:
    """Write this run's partitions of the asset's raw table; return metadata naming them and their rows.

    ``frames`` is one frame or an iterable of frames (e.g. one per parsed response, yielded as they are parsed, so
    only one is in memory at a time). ``unconfigured`` are partition keys that no configured indicator or release
    uses (None: the keys that landed no rows): they land no rows, and the metadata and the log say how to start
    using them."""
    source = BY_ASSET[context.assets_def.key.path[-1]]
    keys = list(context.partition_keys)
    known = context.instance.get_dynamic_partitions(source.name)
    metadata = write_partitions(
        warehouse,
        source.raw_table,
        frames,
        source.row_column,
        [source.row_value(k) for k in keys],
        [source.row_value(k) for k in known],
    )
    counts = metadata.pop("rows_by_value")
    rows = {k: counts.get(source.row_value(k), 0) for k in keys}
    if unconfigured is None:
        unconfigured = [k for k in keys if not rows[k]]
    for key in unconfigured:
        context.log.warning(
            f"{source.label} {key} is a partition, but nothing in config/ uses it, so it lands no rows: "
            f"add it to the config of {source.source} to publish it"
        )
    return {
        **metadata,
        "dagster/row_count": dg.MetadataValue.int(sum(rows.values())),  # this run's partitions; the table's below
        "table_rows": metadata["dagster/row_count"],
        "partitions": ", ".join(keys),
        "rows_by_partition": dg.MetadataValue.json(rows),
        **({"unconfigured_partitions": ", ".join(unconfigured)} if unconfigured else {}),
    }
