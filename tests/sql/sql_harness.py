"""Run one SQL model of dbt_like_sql/ on small hand-made tables in an in-memory DuckDB.

Each test builds only the upstream tables (and columns) a model reads, runs the model's SQL body (the file minus its
leading ``/* YAML */`` header, as assets/sql_models.py reads it) after the shared macros, and checks the output.
Kept free of the pipeline's Python packages (plain duckdb and the SQL files), so a refactor of assets/ or pipelines/
cannot break these tests, and a failure points at the SQL.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import duckdb

SQL_DIR = Path(__file__).resolve().parents[2] / "dbt_like_sql"
_HEADER = re.compile(r"^\s*/\*(.*?)\*/", re.DOTALL)

# config/reliability.yaml as the seed holds it (seeds.seed_reliability_rules); tests override single values
RELIABILITY_RULES: dict[str, float] = {
    "high_below_cv_pct": 12.0,
    "low_above_cv_pct": 40.0,
    "min_denominator": 20.0,
    "min_numerator": 11.0,
    "acs_level": 0.90,
    "z_90": 1.645,
    "z_95": 1.96,
}
# config/geographies.yaml allocation rules (seeds.seed_allocation_rules)
ALLOCATION_RULES: dict[str, float] = {"min_area_share": 0.001, "min_population_coverage": 0.95}


def model_sql(model: str) -> str:
    """SQL body of ``<layer>/<name>.sql``: the file without its leading YAML comment header."""
    text = (SQL_DIR / model).read_text()
    match = _HEADER.match(text)
    if not match:
        raise ValueError(f"{model}: a model starts with a /* YAML */ header")
    return text[match.end() :].strip()


def connect() -> duckdb.DuckDBPyConnection:
    """In-memory DuckDB with the shared macros (dbt_like_sql/macros/*.sql) loaded, as before every model run."""
    con = duckdb.connect()
    for path in sorted((SQL_DIR / "macros").glob("*.sql")):
        con.execute(path.read_text())
    return con


def create_table(
    con: duckdb.DuckDBPyConnection, qualified: str, columns: Mapping[str, str], rows: Iterable[Mapping[str, Any]]
) -> None:
    """Create ``schema.table`` with the given column types and insert rows given as dicts (absent keys are null).

    A key that is not a declared column is an error, so a renamed column cannot be dropped silently."""
    schema = qualified.split(".")[0]
    con.execute(f"create schema if not exists {schema}")
    names = list(columns)
    definitions = ", ".join(f'"{n}" {columns[n]}' for n in names)
    con.execute(f"create table {qualified} ({definitions})")
    values = []
    for row in rows:
        unknown = set(row) - set(names)
        if unknown:
            raise KeyError(f"{qualified}: no column(s) {sorted(unknown)}")
        values.append([row.get(n) for n in names])
    if values:
        con.executemany(f"insert into {qualified} values ({', '.join('?' for _ in names)})", values)


def create_rules(con: duckdb.DuckDBPyConnection, qualified: str, rules: Mapping[str, float]) -> None:
    """A one-row rules seed (all DOUBLE), e.g. seeds.seed_reliability_rules."""
    create_table(con, qualified, dict.fromkeys(rules, "double"), [rules])


def run_model(con: duckdb.DuckDBPyConnection, model: str) -> list[dict[str, Any]]:
    """Materialize the model as its own ``schema.table`` (so a downstream model can read it) and return its rows."""
    layer, name = model.removesuffix(".sql").split("/")
    con.execute(f"create schema if not exists {layer}")
    con.execute(f"create or replace table {layer}.{name} as {model_sql(model)}")
    return fetch(con, f"select * from {layer}.{name}")


def fetch(con: duckdb.DuckDBPyConnection, sql: str) -> list[dict[str, Any]]:
    cur = con.execute(sql)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def by_key(rows: Iterable[Mapping[str, Any]], *keys: str) -> dict[Any, dict[str, Any]]:
    """Index output rows by one column (value) or several (tuple); a duplicate key is an error (grain check)."""
    out: dict[Any, dict[str, Any]] = {}
    for row in rows:
        key = row[keys[0]] if len(keys) == 1 else tuple(row[k] for k in keys)
        if key in out:
            raise AssertionError(
                f"duplicate output row for {dict(zip(keys, key if len(keys) > 1 else [key], strict=True))}"
            )
        out[key] = dict(row)
    return out
