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
