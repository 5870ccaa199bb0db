"""Helpers every asset uses to write a table to the DuckDB warehouse and describe it in Dagster metadata."""

from __future__ import annotations

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
    warehouse: Any, qualified: str, frame: pl.DataFrame, column: str, replaced: list[str], kept: list[str]
) -> dict[str, Any]:
    """Replace the rows of some partitions of ``schema.table`` with ``frame``, in one transaction.

    ``replaced`` are the values of ``column`` this run lands (their old rows are deleted, even when the new frame has
    none for them); rows whose value is in neither ``replaced`` nor ``kept`` (partitions deleted from the instance)
    are dropped, so the table holds exactly the materialized partitions. A frame whose columns differ from the
    table's (a parser that gained a column) replaces the table only when this run lands every partition; otherwise it
    stops with what to run, rather than mixing two layouts in one table."""
    with warehouse.get_connection() as con:
        schema, _ = qualified.split(".")
        con.execute(f"create schema if not exists {schema}")
        [(exists,)] = con.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            qualified.split("."),
        ).fetchall()
        if not frame.width:  # nothing landed for these partitions (no configured indicator uses them)
            if not exists:
                return {"dagster/row_count": dg.MetadataValue.int(0)}
        elif exists:
            old = [(c[0], str(c[1])) for c in con.execute(f"describe {qualified}").fetchall()]
            con.register("_incoming", frame.to_arrow())
            try:
                new = [(c[0], str(c[1])) for c in con.execute("describe _incoming").fetchall()]
            finally:
                con.unregister("_incoming")
            if old != new and frame.height:
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
        if not exists:
            replace_table(con, qualified, frame)
        else:
            con.register("_incoming", frame.to_arrow())
            con.execute("begin transaction")
            try:
                con.execute(
                    f"delete from {qualified} where {column} in (select unnest(?)) "
                    f"or {column} not in (select unnest(?))",
                    [replaced, [*replaced, *kept]],
                )
                if frame.width:
                    con.execute(f"insert into {qualified} by name select * from _incoming")
            except BaseException:
                con.execute("rollback")
                raise
            finally:
                con.unregister("_incoming")
            con.execute("commit")
        return table_metadata(con, qualified)


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
