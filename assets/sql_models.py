"""SQL models in ``dbt_like_sql/`` as Dagster assets: one file = one DuckDB table = one asset.

The folder is the schema (``staging``, ``intermediate``, ``marts``), the file stem the table and the asset
name. Dependencies are read from the SQL itself with sqlglot (every ``schema.table`` it selects from), so a
model that starts reading another table gets the edge without any Python change. The leading ``/* ... */``
block is YAML (description, grain, columns, or ``columns_from: <layer>/<model>.sql`` for a table with the same
columns as another, plus any ``columns_added``) and feeds the asset description, the column docs in the UI and
the data dictionary.

One directive, like dbt's ``union_relations``: ``{{ union_models("staging", "stg_*") }}`` in a model's body becomes
the ``union all`` of every model of that folder whose name matches, each selecting the calling model's documented
columns in order. ``int_source_estimates`` stacks every staging model this way, so a new source's staging model joins
the indicators without an edit there; a matched model that lacks one of the columns is an error naming it.
"""

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import sqlglot
from dagster_duckdb import DuckDBResource
from sqlglot import exp

from assets.warehouse import create_table_as, table_metadata
from sources.core.config_io import parse_yaml

MODEL_LAYERS = ("staging", "intermediate", "marts")
MACRO_DIR = "macros"
SQL_HEADER = re.compile(r"^\s*/\*(.*?)\*/", re.DOTALL)  # a model's (or published view's) /* YAML */ header
_UNION_MODELS = re.compile(r'\{\{\s*union_models\(\s*"(\w+)"\s*,\s*"([\w*?]+)"\s*\)\s*\}\}')


@dataclass(frozen=True)
class SqlModel:
    name: str
    schema: str
    path: Path
    sql: str
    description: str
    grain: str
    columns: dict[str, str]
    upstream: tuple[str, ...]

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"


def read_model(path: Path) -> SqlModel:
    text = path.read_text()
    match = SQL_HEADER.match(text)
    if not match:
        raise ValueError(f"{path}: a model starts with a /* YAML */ header (description, grain, columns)")
    header = parse_yaml(match.group(1)) or {}
    if header.get("columns_from"):
        # a table with the same columns as another model documents them once, there; `columns_added` documents the
        # ones this model adds, placed after the column `columns_added_after` names (else at the end)
        base = dict(read_model(path.parent.parent / header["columns_from"]).columns)
        added = {str(k): str(v) for k, v in (header.get("columns_added") or {}).items()}
        after = header.get("columns_added_after")
        if after is not None and after not in base:
            raise ValueError(f"{path}: columns_added_after names {after!r}, which {header['columns_from']} lacks")
        merged: dict[str, str] = {}
        for name, doc in base.items():
            merged[name] = doc
            if name == after:
                merged.update(added)
        header["columns"] = merged if after is not None else {**base, **added}
    for key in ("description", "grain", "columns"):
        if not header.get(key):
            raise ValueError(f"{path}: header has no `{key}`")
    columns = {str(k): str(v) for k, v in header["columns"].items()}
    body = expand_union_models(text[match.end() :].strip(), path, list(columns))
    return SqlModel(
        name=path.stem,
        schema=path.parent.name,
        path=path,
        sql=body,
        description=" ".join(str(header["description"]).split()),
        grain=str(header["grain"]),
        columns=columns,
        upstream=referenced_tables(body),
    )


def expand_union_models(body: str, path: Path, columns: list[str]) -> str:
    """Replace each ``{{ union_models("<folder>", "<glob>") }}`` with the union of the matching models (see above)."""

    def union(match: re.Match[str]) -> str:
        schema, pattern = match.groups()
        paths = sorted((path.parent.parent / schema).glob(f"{pattern}.sql"))
        if not paths:
            raise ValueError(f"{path}: union_models({schema!r}, {pattern!r}) matches no model")
        parts = []
        for member in paths:
            documented = read_model(member).columns
            missing = [c for c in columns if c not in documented]
            if missing:
                raise ValueError(
                    f"{member}: {path.stem} stacks every {schema}/{pattern} model on its columns, and this one "
                    f"lacks {missing} (add them, null where the source has none)"
                )
            parts.append("select\n    " + ",\n    ".join(columns) + f"\nfrom {schema}.{member.stem}")
        return "\n\nunion all\n\n".join(parts)

    return _UNION_MODELS.sub(union, body)


def referenced_tables(sql: str) -> tuple[str, ...]:
    """Tables a query reads, as ``schema.table`` (CTE names and unqualified names are not tables)."""
    tree = sqlglot.parse_one(sql, read="duckdb")
    ctes = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    found = {f"{t.db}.{t.name}" for t in tree.find_all(exp.Table) if t.db and t.name not in ctes}
    return tuple(sorted(found))


def load_macros(con, sql_dir: Path) -> None:
    """Create the shared SQL macros (``dbt_like_sql/macros/*.sql``) on a connection before a model uses them."""
    for path in sorted((sql_dir / MACRO_DIR).glob("*.sql")):
        con.execute(path.read_text())


def discover_models(sql_dir: Path) -> list[SqlModel]:
    return [read_model(p) for layer in MODEL_LAYERS for p in sorted((sql_dir / layer).glob("*.sql"))]


def build_model_asset(model: SqlModel) -> dg.AssetsDefinition:
    deps = [dg.AssetKey(t.split(".")[1]) for t in model.upstream]
    column_schema = dg.TableSchema(columns=[dg.TableColumn(n, description=d) for n, d in model.columns.items()])

    @dg.asset(
        name=model.name,
        group_name=model.schema,
        kinds={"duckdb", "sql"},
        deps=deps,
        description=f"{model.description}\n\nGrain: {model.grain}. SQL: dbt_like_sql/{model.schema}/{model.path.name}",
        metadata={
            "dagster/column_schema": column_schema,
            "sql_file": f"dbt_like_sql/{model.schema}/{model.path.name}",
        },
        code_version=hashlib.sha256(model.sql.encode()).hexdigest()[:16],
    )
    def _model(context: dg.AssetExecutionContext, warehouse: DuckDBResource) -> dg.MaterializeResult:
        with warehouse.get_connection() as con:
            load_macros(con, model.path.parent.parent)
            create_table_as(con, model.qualified, model.sql)
            metadata = table_metadata(con, model.qualified)
            actual = [r[0] for r in con.execute(f"describe {model.qualified}").fetchall()]
        undocumented = [c for c in actual if c not in model.columns]
        missing = [c for c in model.columns if c not in actual]
        if undocumented or missing:
            raise ValueError(
                f"{model.path}: header columns disagree with the table: undocumented {undocumented}, absent {missing}"
            )
        context.log.info(f"{model.qualified}: {metadata['dagster/row_count'].value:,} rows")
        return dg.MaterializeResult(metadata=metadata)

    return _model


def build_model_assets(sql_dir: Path) -> list[dg.AssetsDefinition]:
    return [build_model_asset(m) for m in discover_models(sql_dir)]
