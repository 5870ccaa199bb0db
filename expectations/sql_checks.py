"""Evaluate a Great Expectations suite inside DuckDB: each expectation compiled to SQL on the checked relation.

Why not GX itself: GX 1.24 validated pandas copies of the checked tables (~2 M rows for census_api_raw, and tens of
millions at national scale), and its SQL engine cannot take over on DuckDB: it raises "Regex is not supported for
dialect duckdb" for ``expect_column_values_to_match_regex``, has no row condition for ``str.startswith``, returns no
index list for compound uniqueness, and SQLAlchemy's BEGIN/ROLLBACK around each of its queries clobbers the one
pending result of the Dagster resource's DuckDB connection (a second connection to the file is refused: another
configuration). So the suites stay GX suites (the single source; tests/expectations check they still load in GX and
that this module gives GX's own outcome on hand-made tables), and the eight expectation types they use are compiled
here with GX's pandas semantics:

* a row condition (pandas ``DataFrame.query`` syntax, as the suites write it) selects the rows first;
* rows whose column is missing are skipped, except by the two null expectations; "missing" is pandas' idea of it:
  NULL, and NaN in a floating-point column;
* ``expect_compound_columns_to_be_unique`` counts every row of a duplicated key (pandas ``keep=False``) and skips
  rows where all its columns are missing; the pair expectation skips rows as ``ignore_row_if`` says;
* results keep GX's shape: failures grouped by column in suite order, at most ``max_examples`` example values and
  records (the checked column first, then the record columns, then the other checked columns), the first failing
  rows in table order, with values as pandas would show them (NaN for a missing text or float, floats for DECIMAL).

One scan counts the unexpected rows of every per-row expectation (``count(*) filter (where ...)``); uniqueness is one
``group by``; examples are read only for failures (``order by`` the row number, ``limit``). Nothing of the checked
table is copied into Python.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

ROW = "__gx_row"  # the checked relation's row number: failing rows are shown in table order, as pandas showed them
SUPPORTED = (
    "expect_column_values_to_not_be_null",
    "expect_column_values_to_be_null",
    "expect_column_values_to_be_in_set",
    "expect_column_values_to_not_be_in_set",
    "expect_column_values_to_be_between",
    "expect_column_values_to_match_regex",
    "expect_compound_columns_to_be_unique",
    "expect_column_pair_values_a_to_be_greater_than_b",
)
_FLOAT = ("DOUBLE", "FLOAT", "REAL")
_INTEGER = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT")
_NUMERIC = (*_FLOAT, *_INTEGER, "HUGEINT", "UHUGEINT", "DECIMAL")
_TEXT = ("VARCHAR",)


@dataclass
class Result:
    """One expectation's outcome, in the fields the adapter reports (GX's SUMMARY result, bounded)."""

    config: dict[str, Any]
    success: bool
    unexpected_count: int | None
    examples: list[Any]
    records: list[dict[str, Any]]
    error: str | None = None


def quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(value: Any) -> str:
    """A Python value as a DuckDB literal (value sets and row conditions come from JSON: text, numbers, booleans)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return f"'{value!r}'::double" if not math.isfinite(value) else repr(value)
    return "'" + str(value).replace("'", "''") + "'"


# ---------------------------------------------------------------------------------------------------- row conditions

_TOKEN = re.compile(
    r"""\s*(?:
      (?P<call>[A-Za-z_][A-Za-z0-9_]*\.(?:notnull|isnull|notna|isna)\(\s*\))
    | (?P<startswith>[A-Za-z_][A-Za-z0-9_]*\.str\.startswith\(\s*(?:'[^']*'|"[^"]*")\s*\))
    | (?P<op>==|!=|<=|>=|<|>)
    | (?P<logic>\band\b|\bor\b|&|\|)
    | (?P<paren>[()])
    | (?P<string>'[^']*'|"[^"]*")
    | (?P<number>[+-]?\d+(?:\.\d*)?(?:[eE][+-]?\d+)?)
    | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)


def condition_columns(condition: str) -> list[str]:
    """The columns a row condition reads (checked against the relation before it runs)."""
    return list(dict.fromkeys(tok for kind, tok in _tokens(condition) if kind == "column"))


def _tokens(condition: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = condition.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise ValueError(f"row condition {condition!r}: cannot read it from {text[pos:]!r}")
        pos = match.end()
        kind = match.lastgroup or ""
        token = match.group(kind)
        if kind in ("call", "startswith"):
            out.append(("column", token.split(".", 1)[0]))
        elif kind == "name":
            if token in ("True", "False", "None", "not", "in"):
                raise ValueError(f"row condition {condition!r}: {token!r} is not supported")
            out.append(("column", token))
        out.append((kind, token))
    return out


def translate_condition(condition: str, missing: Callable[[str], str]) -> str:
    """A pandas ``DataFrame.query`` row condition as a DuckDB predicate with pandas' truth values: comparisons with a
    missing value are false (``!=``: true), ``x.isnull()`` is true for NULL and NaN, ``x.str.startswith('p')`` is false
    for a missing text. ``missing(column)`` gives the SQL for "this column is missing". Supports the subset the suites
    use: comparisons of a column with a literal, notnull/isnull, str.startswith, and/or/&/| and parentheses; anything
    else is an error (at suite load, not at run time)."""
    tokens = [t for t in _tokens(condition) if t[0] != "column"]
    sql: list[str] = []
    i = 0
    expect_operand = True
    while i < len(tokens):
        kind, token = tokens[i]
        if kind == "paren":
            sql.append(token)
            expect_operand = token == "("
            i += 1
        elif kind == "logic" and not expect_operand:
            sql.append(" and " if token in ("and", "&") else " or ")
            expect_operand = True
            i += 1
        elif kind == "call" and expect_operand:
            column, method = token.split(".", 1)
            test = missing(column)
            sql.append(f"({test})" if method.startswith("isn") else f"(not ({test}))")
            expect_operand = False
            i += 1
        elif kind == "startswith" and expect_operand:
            column = token.split(".", 1)[0]
            prefix = token[token.index("(") + 1 : token.rindex(")")].strip()[1:-1]
            sql.append(f"coalesce(starts_with({quote(column)}, {literal(prefix)}), false)")
            expect_operand = False
            i += 1
        elif kind == "name" and expect_operand and i + 2 < len(tokens) and tokens[i + 1][0] == "op":
            op, (value_kind, value) = tokens[i + 1][1], tokens[i + 2]
            if value_kind == "string":
                value_sql = literal(value[1:-1])
            elif value_kind == "number":
                value_sql = value
            else:
                raise ValueError(f"row condition {condition!r}: compare {token!r} with a literal, not {value!r}")
            col, sql_op = quote(token), "<>" if op == "!=" else ("=" if op == "==" else op)
            if op == "!=":
                sql.append(f"(({missing(token)}) or {col} <> {value_sql})")
            else:
                sql.append(f"(not ({missing(token)}) and {col} {sql_op} {value_sql})")
            expect_operand = False
            i += 3
        else:
            raise ValueError(f"row condition {condition!r}: unexpected {token!r}")
    if expect_operand or sql.count("(") != sql.count(")"):
        raise ValueError(f"row condition {condition!r}: incomplete")
    return "(" + "".join(sql) + ")"


def check_supported(expectation: dict[str, Any]) -> None:
    """Raise if an expectation cannot be compiled (its type, or its row condition's syntax)."""
    if expectation.get("type") not in SUPPORTED:
        raise ValueError(f"expectation type {expectation.get('type')!r} is not compiled to SQL; supported: {SUPPORTED}")
    kwargs = expectation.get("kwargs") or {}
    if kwargs.get("row_condition"):
        if kwargs.get("condition_parser", "pandas") != "pandas":
            raise ValueError(f"row condition {kwargs['row_condition']!r}: write it in pandas query syntax")
        translate_condition(kwargs["row_condition"], lambda c: f"{quote(c)} is null")


# ---------------------------------------------------------------------------------------------------- evaluation


class _Relation:
    """The checked relation's columns and their DuckDB types (pandas' "missing" depends on the type)."""

    def __init__(self, con: Any, relation: str) -> None:
        self.name = relation
        self.types = {name: str(kind).upper() for name, kind, *_ in con.execute(f"describe {relation}").fetchall()}

    def missing(self, column: str) -> str:
        col = quote(column)
        return f"{col} is null or isnan({col})" if self.kind(column) in _FLOAT else f"{col} is null"

    def kind(self, column: str) -> str:
        return self.types[column].split("(")[0]


def _domain_columns(cfg: dict[str, Any]) -> list[str]:
    kwargs = cfg.get("kwargs") or {}
    if "column_list" in kwargs:
        return list(kwargs["column_list"])
    if "column_A" in kwargs:
        return [kwargs["column_A"], kwargs["column_B"]]
    return [kwargs["column"]]


def _value_set_sql(rel: _Relation, column: str, value_set: Any, parameters: dict[str, tuple[str, str]]) -> str:
    """The SQL list a column is compared with: a literal list (values of another type never match, as in pandas'
    ``isin``), or a ``$PARAMETER`` read in DuckDB from the table and column the suite's meta names."""
    if isinstance(value_set, dict) and "$PARAMETER" in value_set:
        name = value_set["$PARAMETER"]
        if name not in parameters:
            raise ValueError(f"parameter {name!r} is not defined in the suite's meta.parameters")
        table, source = parameters[name]
        return f"(select {quote(source)} from {table} where {quote(source)} is not null)"
    kind = rel.kind(column)
    if kind in _NUMERIC:
        values = [v for v in value_set if isinstance(v, int | float) and not isinstance(v, bool)]
    elif kind in _TEXT:
        values = [v for v in value_set if isinstance(v, str)]
    else:
        values = list(value_set)
    return "(" + ", ".join(literal(v) for v in values) + ")" if values else "(null)"


def _predicates(rel: _Relation, cfg: dict[str, Any], parameters: dict[str, tuple[str, str]]) -> tuple[str, str]:
    """(domain, unexpected) predicates of a per-row expectation: the rows it judges and those that fail."""
    kind, kwargs = cfg["type"], cfg.get("kwargs") or {}
    domain = [translate_condition(kwargs["row_condition"], rel.missing)] if kwargs.get("row_condition") else []
    if kind == "expect_column_pair_values_a_to_be_greater_than_b":
        a, b = kwargs["column_A"], kwargs["column_B"]
        ignore = kwargs.get("ignore_row_if", "both_values_are_missing")
        if ignore == "either_value_is_missing":
            domain.append(f"not ({rel.missing(a)} or {rel.missing(b)})")
        elif ignore == "both_values_are_missing":
            domain.append(f"not (({rel.missing(a)}) and ({rel.missing(b)}))")
        op = ">=" if kwargs.get("or_equal") else ">"
        return " and ".join(domain) or "true", f"not coalesce({quote(a)} {op} {quote(b)}, false)"
    column = kwargs["column"]
    col, missing = quote(column), rel.missing(column)
    if kind == "expect_column_values_to_not_be_null":
        return " and ".join(domain) or "true", f"({missing})"
    if kind == "expect_column_values_to_be_null":
        return " and ".join(domain) or "true", f"not ({missing})"
    domain.append(f"not ({missing})")
    where = " and ".join(domain)
    if kind in ("expect_column_values_to_be_in_set", "expect_column_values_to_not_be_in_set"):
        members = _value_set_sql(rel, column, kwargs["value_set"], parameters)
        inside = f"coalesce({col} in {members}, false)"
        return where, (f"not {inside}" if kind == "expect_column_values_to_be_in_set" else inside)
    if kind == "expect_column_values_to_be_between":
        if rel.kind(column) not in _NUMERIC:
            raise ValueError(f"column {column!r} is {rel.types[column]}, not a number")
        bounds = []
        if kwargs.get("min_value") is not None:
            bounds.append(f"{col} {'>' if kwargs.get('strict_min') else '>='} {literal(kwargs['min_value'])}")
        if kwargs.get("max_value") is not None:
            bounds.append(f"{col} {'<' if kwargs.get('strict_max') else '<='} {literal(kwargs['max_value'])}")
        return where, f"not coalesce({' and '.join(bounds) or 'true'}, false)"
    if kind == "expect_column_values_to_match_regex":
        return where, f"not coalesce(regexp_matches(cast({col} as varchar), {literal(kwargs['regex'])}), false)"
    raise ValueError(f"expectation type {kind!r} is not compiled to SQL")


def _pandas_value(value: Any, kind: str) -> Any:
    """A DuckDB value as the pandas frame showed it: a missing text or float is NaN, a missing integer pandas' NA,
    DECIMAL and HUGEINT are floats."""
    if value is None:
        if kind in _INTEGER:
            import pandas as pd  # only for this rare case: a missing integer in a failing record

            return pd.NA
        return float("nan")
    if isinstance(value, Decimal) or kind in ("DECIMAL", "HUGEINT", "UHUGEINT"):
        return float(value)
    return value


def _examples(
    con: Any, rel: _Relation, cfg: dict[str, Any], where: str, record_columns: list[str], limit: int
) -> tuple[list[Any], list[dict[str, Any]]]:
    """The first failing rows in table order: GX's partial_unexpected_list and partial_unexpected_index_list."""
    domain = _domain_columns(cfg)
    keys = list(dict.fromkeys([domain[0], *record_columns, *domain[1:]]))
    rows = con.execute(
        f"select {', '.join(quote(c) for c in keys)} from {rel.name} where {where} order by {ROW} limit {limit}"
    ).fetchall()
    records = [{c: _pandas_value(v, rel.kind(c)) for c, v in zip(keys, row, strict=True)} for row in rows]
    if "column_list" in (cfg.get("kwargs") or {}):
        examples: list[Any] = [{c: r[c] for c in domain} for r in records]
    elif len(domain) == 2:
        examples = [(r[domain[0]], r[domain[1]]) for r in records]
    else:
        examples = [r[domain[0]] for r in records]
    return examples, (records if record_columns else [])


def _unique_failures(con: Any, rel: _Relation, cfg: dict[str, Any]) -> tuple[int, str]:
    """(duplicated rows, predicate for them) of a compound uniqueness expectation."""
    kwargs = cfg.get("kwargs") or {}
    cols = [quote(c) for c in kwargs["column_list"]]
    domain = [translate_condition(kwargs["row_condition"], rel.missing)] if kwargs.get("row_condition") else []
    ignore = kwargs.get("ignore_row_if", "all_values_are_missing")
    missing = [f"({rel.missing(c)})" for c in kwargs["column_list"]]
    if ignore == "all_values_are_missing":
        domain.append(f"not ({' and '.join(missing)})")
    elif ignore == "any_value_is_missing":
        domain.append(f"not ({' or '.join(missing)})")
    where = " and ".join(domain) or "true"
    dup = f"select {', '.join(cols)} from {rel.name} where {where} group by {', '.join(cols)} having count(*) > 1"
    count = con.execute(
        f"select coalesce(sum(n), 0) from (select count(*) as n from {rel.name} where {where} "
        f"group by {', '.join(cols)} having count(*) > 1)"
    ).fetchone()[0]
    match = " and ".join(f"d.{c} is not distinct from {rel.name}.{c}" for c in cols)
    return int(count), f"{where} and exists (select 1 from ({dup}) d where {match})"


def evaluate(
    con: Any,
    relation: str,
    expectations: list[dict[str, Any]],
    record_columns: list[str],
    parameters: dict[str, tuple[str, str]],
    max_examples: int,
) -> tuple[int, list[Result]]:
    """Evaluate expectations on ``relation`` (a table or view with a ``__gx_row`` column giving table order) in
    DuckDB. Returns the relation's row count and one result per expectation, in GX's order (an expectation that
    cannot run first, then grouped by column in suite order)."""
    rel = _Relation(con, relation)
    records = [c for c in record_columns if c in rel.types]
    failed_to_run: list[Result] = []
    per_row: list[tuple[dict[str, Any], str, str]] = []
    unique: list[dict[str, Any]] = []
    for cfg in _gx_order(expectations):
        kwargs = cfg.get("kwargs") or {}
        needed = _domain_columns(cfg) + (
            condition_columns(kwargs["row_condition"]) if kwargs.get("row_condition") else []
        )
        absent = [c for c in needed if c not in rel.types]
        try:
            if absent:
                raise ValueError(f"column(s) {absent} not in {relation}")
            if cfg["type"] == "expect_compound_columns_to_be_unique":
                unique.append(cfg)
            else:
                per_row.append((cfg, *_predicates(rel, cfg, parameters)))
        except ValueError as err:
            failed_to_run.append(Result(cfg, False, None, [], [], error=str(err)))
    counts = con.execute(
        "select count(*)"
        + "".join(f", count(*) filter (where ({domain}) and ({bad}))" for _, domain, bad in per_row)
        + f" from {relation}"
    ).fetchone()
    rows, results = int(counts[0]), {}
    for (cfg, domain, bad), n in zip(per_row, counts[1:], strict=True):
        examples, recs = _examples(con, rel, cfg, f"({domain}) and ({bad})", records, max_examples) if n else ([], [])
        results[id(cfg)] = Result(cfg, n == 0, int(n), examples, recs)
    for cfg in unique:
        n, where = _unique_failures(con, rel, cfg)
        examples, recs = _examples(con, rel, cfg, where, records, max_examples) if n else ([], [])
        results[id(cfg)] = Result(cfg, n == 0, n, examples, recs)
    return rows, failed_to_run + [results[id(c)] for c in _gx_order(expectations) if id(c) in results]


def _gx_order(expectations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """GX's validator groups a suite's expectations by ``column`` (first appearance; those without one together)."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for cfg in expectations:
        column = (cfg.get("kwargs") or {}).get("column")
        groups.setdefault(column if isinstance(column, str) else "\0nocolumn", []).append(cfg)
    return [cfg for group in groups.values() for cfg in group]
