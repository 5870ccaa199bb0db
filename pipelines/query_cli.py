"""``sdoh query "SQL"``: SQL on the published DuckDB file (read-only), printed as a table, CSV or JSON.

The published file (``data/published/sdoh_published.duckdb``) is opened read-only, so a query never blocks a run
that publishes (that run swaps in a new file beside it). ``--release ID`` runs the SQL on one release's Parquet
files instead: ``indicator_values``, ``indicator_catalog``, ``geographies`` and ``disparities`` (and the same names
with ``latest_``, so the README's queries run unchanged) are views of that release's files.
"""

from __future__ import annotations

import csv
import json
import math
import sys
from decimal import Decimal
from typing import Any

from pipelines.cli_common import CliError, console, find_release, load_settings

FORMATS = ("table", "csv", "json")


def one_line(error: Exception) -> str:
    """DuckDB's message on one line: its first paragraph (``Catalog Error: Table … does not exist! Did you mean …``),
    without the echo of the SQL it adds below."""
    text = str(error).strip()
    first = text.split("\n\n")[0]
    return " ".join(line.strip() for line in first.splitlines() if line.strip() and not line.startswith("LINE "))


def _connect(settings: Any, release: str | None):
    import duckdb

    from assets.publish.release_writer import PUBLISHED_DB

    if release is None:
        db = settings.published_dir / PUBLISHED_DB
        if not db.is_file():
            raise CliError(
                f"nothing published yet: {db} does not exist; `sdoh refresh` (or `make run`) publishes the first release"
            )
        return duckdb.connect(str(db), read_only=True)
    chosen = find_release(settings, release)
    con = duckdb.connect()
    for name, entry in chosen.manifest["tables"].items():
        path = str(chosen.path / entry["file"]).replace("'", "''")
        con.execute(f"create view {name} as select * from read_parquet('{path}')")
        con.execute(f"create view latest_{name} as select * from {name}")
    return con


def _plain(value: Any) -> Any:
    """A value JSON can hold: non-finite floats become null, dates and decimals text."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _cell(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, list | tuple | dict):
        return json.dumps(_plain(value))
    return str(value)


def run(sql: str, output: str, release: str | None, max_rows: int) -> int:
    import duckdb

    if output not in FORMATS:
        raise CliError(f"--format must be one of {', '.join(FORMATS)}, got {output!r}", code=2)
    settings = load_settings()
    con = _connect(settings, release)
    try:
        try:
            cursor = con.execute(sql)
            columns = [d[0] for d in cursor.description] if cursor.description else []
            limit = max_rows + 1 if output == "table" else None
            rows = (cursor.fetchmany(limit) if limit else cursor.fetchall()) if columns else []
        except duckdb.Error as error:
            raise CliError(one_line(error)) from None
    finally:
        con.close()
    if not columns:
        print("ok (the statement returned no rows)")
        return 0
    if output == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if v is None else _cell(v) for v in row])
    elif output == "json":
        json.dump([dict(zip(columns, map(_plain, row), strict=True)) for row in rows], sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        from rich.table import Table

        table = Table(show_lines=False)
        for i, column in enumerate(columns):
            values = [r[i] for r in rows if r[i] is not None]
            numeric = bool(values) and all(
                isinstance(v, int | float | Decimal) and not isinstance(v, bool) for v in values
            )
            table.add_column(column, overflow="fold", justify="right" if numeric else "left")
        for row in rows[:max_rows]:
            table.add_row(*(_cell(v) for v in row))
        out = console()
        out.print(table)
        shown = min(len(rows), max_rows)
        more = len(rows) > max_rows
        note = "; more not shown (raise --max-rows, or --format csv for every row)" if more else ""
        out.print(f"{shown} row{'s' if shown != 1 else ''}{note}")
    return 0
