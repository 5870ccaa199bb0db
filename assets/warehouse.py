"""Helpers every asset uses to write a table to the DuckDB warehouse and describe it in Dagster metadata."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import dagster as dg
import polars as pl

PREVIEW_ROWS = 5


def replace_table(con: Any, qualified: str, frame: pl.DataFrame) -> None:
    """Create or replace ``schema.table`` from a Polars frame in one transaction."""
    con.register("_incoming", frame.to_arrow())
    try:
        create_table_as(con, qualified, "select * from _incoming")
    finally:
        con.unregister("_incoming")


def write_table(warehouse: Any, qualified: str, frame: pl.DataFrame) -> dict[str, Any]:
    """Replace ``schema.table`` with ``frame`` through the warehouse resource; return its Dagster metadata."""
    with warehouse.get_connection() as con:
        replace_table(con, qualified, frame)
        return table_metadata(con, qualified)


def write_partitions(
    warehouse: Any,
    qualified: str,
    frames: pl.DataFrame | Iterable[pl.DataFrame],
    column: str,
    replaced: list[str],
    kept: list[str],
) -> dict[str, Any]:
    """Replace the rows of some partitions of ``schema.table`` with ``frames``, in one transaction.

    ``frames`` may be one frame or an iterable of frames with the same columns (e.g. one per parsed response): each
    is appended to a temporary table as it comes, so a caller that yields them holds one in memory at a time, not
    the whole landing. ``replaced`` are the values of ``column`` this run lands (their old rows are deleted, even
    when no row comes for them); rows whose value is in neither ``replaced`` nor ``kept`` (partitions deleted from
    the instance) are dropped, so the table holds exactly the materialized partitions. A layout whose columns
    differ from the table's (a parser that gained a column) replaces the table only when this run lands every
    partition; otherwise it stops with what to run, rather than mixing two layouts in one table. The metadata has
    ``rows_by_value``: this run's rows per value of ``column``."""
    with warehouse.get_connection() as con:
        schema, _ = qualified.split(".")
        con.execute(f"create schema if not exists {schema}")
        incoming = _stage_frames(con, [frames] if isinstance(frames, pl.DataFrame) else frames)
        [(exists,)] = con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            qualified.split("."),
        ).fetchall()
        if incoming is None:  # nothing landed for these partitions (no configured indicator uses them)
            if not exists:
                return {"dagster/row_count": dg.MetadataValue.int(0), "rows_by_value": {}}
        elif exists:
            old = [(c[0], str(c[1])) for c in con.execute(f"describe {qualified}").fetchall()]
            new = [(c[0], str(c[1])) for c in con.execute(f"describe {incoming}").fetchall()]
            if old != new and con.execute(f"select count(*) from {incoming}").fetchone()[0]:
                others = con.execute(
                    f"select distinct {column} from {qualified} where {column} not in (select unnest(?))",
                    [replaced],
                ).fetchall()
                if any(value in kept for (value,) in others):
                    raise ValueError(
                        f"{qualified}: the parser's columns changed ({_columns(old)} -> {_columns(new)}) and this run "
                        f"lands only {', '.join(replaced)}; refresh every partition of the source in one run"
                    )
                exists = 0
        rows_by_value = (
            dict(con.execute(f"select {column}::varchar, count(*) from {incoming} group by 1").fetchall())
            if incoming
            else {}
        )
        if not exists:
            create_table_as(con, qualified, f"select * from {incoming}")
        else:
            con.execute("begin transaction")
            try:
                con.execute(
                    f"delete from {qualified} where {column} in (select unnest(?)) "
                    f"or {column} not in (select unnest(?))",
                    [replaced, [*replaced, *kept]],
                )
                if incoming:
                    con.execute(f"insert into {qualified} by name select * from {incoming}")
            except BaseException:
                con.execute("rollback")
                raise
            con.execute("commit")
        if incoming:
            con.execute(f"drop table {incoming}")
        return {**table_metadata(con, qualified), "rows_by_value": rows_by_value}


STAGE_BATCH_ROWS = 500_000  # frames are gathered up to this many rows per insert: few inserts, bounded memory


def _stage_frames(con: Any, frames: Iterable[pl.DataFrame], batch_rows: int = STAGE_BATCH_ROWS) -> str | None:
    """Append the frames to a temporary table, ``batch_rows`` at a time as they come; its name, or None when no
    frame had columns. Memory holds at most one batch (plus the frame that completes it)."""
    name = None
    batch: list[pl.DataFrame] = []

    def flush() -> None:
        nonlocal name
        if not batch:
            return
        con.register("_incoming_frame", pl.concat(batch, how="vertical") if len(batch) > 1 else batch[0])
        try:
            if name is None:
                name = "_incoming_rows"
                con.execute(f"create or replace temp table {name} as select * from _incoming_frame")
            else:
                con.execute(f"insert into {name} by name select * from _incoming_frame")
        finally:
            con.unregister("_incoming_frame")
        batch.clear()

    for frame in frames:
        if frame.width:
            batch.append(frame)
        if sum(f.height for f in batch) >= batch_rows:
            flush()
    flush()
    return name


def _columns(columns: list[tuple[str, str]]) -> str:
    return ", ".join(f"{name} {kind}" for name, kind in columns)


def create_table_as(con: Any, qualified: str, select_sql: str) -> None:
    """``create or replace table`` in one transaction: on error the previous table stays as it was."""
    con.execute(f"create schema if not exists {qualified.split('.')[0]}")
    con.execute("begin transaction")
    try:
        con.execute(f"create or replace table {qualified} as\n{select_sql}")
    except BaseException:
        con.execute("rollback")
        raise
    con.execute("commit")


def table_metadata(con: Any, qualified: str) -> dict[str, Any]:
    """Row count, column schema and a markdown preview: what a user expects to see for a table in the UI."""
    rows = con.execute(f"select count(*) from {qualified}").fetchone()[0]
    columns = con.execute(f"describe {qualified}").fetchall()
    preview = con.sql(f"select * from {qualified} limit {PREVIEW_ROWS}").pl()
    return {
        "dagster/row_count": dg.MetadataValue.int(int(rows)),
        "dagster/column_schema": dg.TableSchema(columns=[dg.TableColumn(name=c[0], type=str(c[1])) for c in columns]),
        "dagster/table_name": qualified,
        "preview": dg.MetadataValue.md(_markdown(preview)),
    }


def _markdown(frame: pl.DataFrame) -> str:
    if frame.is_empty():
        return "_empty_"
    header = "| " + " | ".join(frame.columns) + " |\n|" + "---|" * frame.width + "\n"
    body = "\n".join("| " + " | ".join("" if v is None else str(v) for v in row) + " |" for row in frame.iter_rows())
    return header + body
