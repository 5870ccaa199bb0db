"""Turn the Great Expectations suites in ``expectations/suites/*.json`` into blocking Dagster asset checks.

Each suite file is a GX 1.x expectation suite whose ``meta`` names the asset it checks, the DuckDB table to
read, the columns that identify a record in failure messages, and run-time parameters (value sets read from
other tables, e.g. the known county GEOIDs).

A suite may instead validate the result of a query: ``meta.query_file`` (a ``.sql`` file, path from the project
root, e.g. ``expectations/queries/*.sql``) computes the frame, typically one row per group or per problem for checks
on aggregates (completeness, identities, value domains joined with the indicator's unit). The tables it reads
become the check's dependencies (read from the SQL with sqlglot). ``meta.config_tables`` names sections of
``config/checks.yaml`` (in the configured config folder) that the query reads as relations ``cfg_<section>``,
each with the columns it needs, so tolerances and expected coverage are data, not SQL.

Every suite also gets one built-in expectation, ``expect_numeric_values_to_be_finite``: no NaN or infinity in any
floating-point column of ``meta.table`` (pandas, whose semantics the suites keep, cannot tell NaN from a missing
value). Expectation ``meta.severity`` is ``critical`` (a failure blocks everything downstream, so no release is
published), ``warning`` or ``info`` (reported, not blocking).

The checks run in DuckDB, on the check's own cursor of the warehouse connection: each expectation is compiled to SQL
(``expectations/sql_checks.py``, which says why GX's own SQL engine cannot do it), so no checked table is copied into
Python and Great Expectations is not imported at run time (it took ~4 s); the suites stay GX suites, and
tests/expectations check that the compiled checks give GX's own outcomes.
"""

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_duckdb import DuckDBResource

from assets.resources import SdohSources
from sources.core.config_io import parse_yaml

SEVERITIES = ("critical", "warning", "info")
_MAX_EXAMPLES = 5
PROJECT_ROOT = Path(__file__).resolve().parent.parent
CHECKS_CONFIG = "checks.yaml"
FINITE = "expect_numeric_values_to_be_finite"
_FLOAT_TYPES = ("DOUBLE", "FLOAT", "REAL")
CHECKED = "gx_checked"  # the temporary view of the rows a check validates (on the check's own cursor)
ROW = "__gx_row"  # its row number in table order (expectations/sql_checks.py shows failing rows in that order)
_QUERY_RESULT = "gx_query_result"  # a query suite's result, a temporary table on the check's cursor


@dataclass
class ExpectationOutcome:
    expectation: str
    column: str | None
    severity: str
    success: bool
    unexpected_count: int | None
    examples: list[Any] = field(default_factory=list)
    records: list[dict[str, Any]] = field(default_factory=list)
    why: str | None = None
    error: str | None = None

    def message(self, suite: str) -> str:
        what = f"{suite}: {self.expectation}" + (f" on column {self.column!r}" if self.column else "")
        if self.error:
            return f"{what} could not run: {self.error}"
        found = f"{self.unexpected_count} unexpected value(s)" if self.unexpected_count is not None else "failed"
        shown = "; ".join(
            ", ".join(f"{k}={v}" for k, v in rec.items()) for rec in self.records[:_MAX_EXAMPLES]
        ) or ", ".join(repr(v) for v in self.examples[:_MAX_EXAMPLES])
        return f"{what}: {found}" + (f", e.g. {shown}" if shown else "") + (f" ({self.why})" if self.why else "")


@dataclass
class SuiteOutcome:
    suite: str
    table: str
    rows: int
    outcomes: list[ExpectationOutcome]

    @property
    def failed(self) -> list[ExpectationOutcome]:
        return [o for o in self.outcomes if not o.success]

    @property
    def critical_failures(self) -> list[ExpectationOutcome]:
        return [o for o in self.failed if o.severity == "critical"]


def load_suite(path: Path) -> dict[str, Any]:
    suite = json.loads(path.read_text())
    meta = suite.get("meta") or {}
    for key in ("asset", "table"):
        if not meta.get(key):
            raise ValueError(f"{path}: suite meta has no `{key}`")
    if meta.get("query_file") and not (PROJECT_ROOT / meta["query_file"]).is_file():
        raise ValueError(f"{path}: suite meta `query_file` {meta['query_file']!r} is not a file under {PROJECT_ROOT}")
    from expectations.sql_checks import check_supported

    for exp in suite.get("expectations") or []:
        try:
            check_supported(exp)
        except ValueError as err:
            raise ValueError(f"{path}: {err}") from None
        severity = (exp.get("meta") or {}).get("severity", "critical")
        if severity not in SEVERITIES:
            raise ValueError(f"{path}: expectation {exp.get('type')} has severity {severity!r}; expected {SEVERITIES}")
    return suite


def run_suite_in_duckdb(
    con: Any, relation: str, suite: dict[str, Any], parameters: dict[str, tuple[str, str]]
) -> SuiteOutcome:
    """Validate ``relation`` (a table or view with a ``__gx_row`` column in table order) against a suite, in DuckDB:
    each expectation compiled to SQL (expectations/sql_checks.py says why not GX's own engine); only counts and at
    most ``_MAX_EXAMPLES`` failing records per expectation come back to Python."""
    from expectations.sql_checks import evaluate

    rows, results = evaluate(
        con, relation, suite["expectations"], list(suite["meta"].get("record_columns") or []), parameters, _MAX_EXAMPLES
    )
    outcomes = []
    for r in results:
        kwargs, meta = r.config.get("kwargs") or {}, r.config.get("meta") or {}
        outcomes.append(
            ExpectationOutcome(
                expectation=r.config["type"],
                column=kwargs.get("column") or (",".join(kwargs.get("column_list") or []) or None),
                severity=meta.get("severity", "critical"),
                success=r.success,
                unexpected_count=r.unexpected_count,
                examples=r.examples[:_MAX_EXAMPLES],
                records=r.records[:_MAX_EXAMPLES],
                why=meta.get("why"),
                error=r.error,
            )
        )
    return SuiteOutcome(suite["name"], suite["meta"]["table"], rows, outcomes)


def _check_result(outcome: SuiteOutcome, key: dg.AssetCheckKey | None = None) -> dg.AssetCheckResult:
    failed = outcome.failed
    critical = outcome.critical_failures
    metadata: dict[str, Any] = {
        "table": outcome.table,
        "rows_validated": outcome.rows,
        "expectations": len(outcome.outcomes),
        "failed_expectations": len(failed),
        "results": dg.MetadataValue.md(
            "| expectation | column | severity | result | unexpected |\n|---|---|---|---|---|\n"
            + "\n".join(
                f"| {o.expectation} | {o.column or ''} | {o.severity} | {'pass' if o.success else 'FAIL'} | "
                f"{o.unexpected_count if o.unexpected_count is not None else ''} |"
                for o in outcome.outcomes
            )
        ),
    }
    if failed:
        metadata["failures"] = dg.MetadataValue.text("\n".join(o.message(outcome.suite) for o in failed))
        # the keys of the failing rows, at most _MAX_EXAMPLES per failed expectation (bounded metadata)
        metadata["failing_records"] = dg.MetadataValue.json(
            [
                {
                    "expectation": o.expectation,
                    "column": o.column,
                    "severity": o.severity,
                    "unexpected_count": o.unexpected_count,
                    "records": [{k: _jsonable(v) for k, v in r.items()} for r in o.records[:_MAX_EXAMPLES]]
                    or [_jsonable(v) for v in o.examples[:_MAX_EXAMPLES]],
                }
                for o in failed
            ]
        )
    return dg.AssetCheckResult(
        asset_key=key.asset_key if key else None,
        check_name=key.name if key else None,
        passed=not failed,
        severity=dg.AssetCheckSeverity.ERROR if critical else dg.AssetCheckSeverity.WARN,
        metadata=metadata,
        description=(
            "; ".join(o.message(outcome.suite) for o in (critical or failed)[:3])
            if failed
            else f"{len(outcome.outcomes)} expectations passed"
        ),
    )


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    return str(value)


def _parameters(suite: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """``meta.parameters``: value sets read in DuckDB from another table's column (e.g. the known county GEOIDs)."""
    return {name: (src["table"], src["column"]) for name, src in (suite["meta"].get("parameters") or {}).items()}


def load_checks_config(config_dir: Path) -> dict[str, Any]:
    """``config/checks.yaml``: tolerances and expected coverage the query checks read (sections of records)."""

    path = Path(config_dir) / CHECKS_CONFIG
    try:
        raw = parse_yaml(path.read_text())
    except FileNotFoundError:
        raise ValueError(f"{path}: not found; the data checks read their tolerances from it") from None
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: expected a mapping of sections")
    return raw


def config_relations(suite: dict[str, Any], config: dict[str, Any], path: Path) -> dict[str, Any]:
    """The ``config_tables`` a suite's query reads, as pandas frames named ``cfg_<section>``; a missing section or
    a record without a needed column is an error naming the file, the section and the column."""
    import pandas as pd

    frames = {}
    for section, columns in (suite["meta"].get("config_tables") or {}).items():
        records = config.get(section)
        if not isinstance(records, list):
            raise ValueError(
                f"{path}: section `{section}` (a list of records) is missing; suite {suite['name']} reads it"
            )
        for n, record in enumerate(records, start=1):
            missing = [c for c in columns if c not in (record or {})]
            if missing:
                raise ValueError(f"{path}: section `{section}` record #{n} has no {missing}")
        frame = pd.DataFrame([{c: r[c] for c in columns} for r in records], columns=columns)
        for c in columns:  # a list becomes a comma-separated string (SQL: string_split); text stays text
            if frame[c].dtype == object:
                frame[c] = (
                    frame[c]
                    .map(
                        lambda v: (
                            ",".join(str(x) for x in v) if isinstance(v, list) else (None if v is None else str(v))
                        )
                    )
                    .astype("string")
                )
        frames[f"cfg_{section}"] = frame
    return frames


def _query_tables(suite: dict[str, Any]) -> tuple[str, ...]:
    from assets.sql_models import referenced_tables

    query_file = suite["meta"].get("query_file")
    return referenced_tables((PROJECT_ROOT / query_file).read_text()) if query_file else ()


def finite_outcome(con: Any, table: str, record_columns: list[str]) -> ExpectationOutcome:
    """No NaN or infinity in any floating-point column of `table` (checked in DuckDB: pandas reads NaN as missing)."""
    described = con.execute(f"describe {table}").fetchall()
    floats = [name for name, kind, *_ in described if str(kind).upper() in _FLOAT_TYPES]
    keys = [c for c in record_columns if c in {d[0] for d in described}]
    if not floats:
        return ExpectationOutcome(FINITE, None, "critical", True, 0)
    bad = " or ".join(f'not isfinite("{c}")' for c in floats)
    count = con.execute(f"select count(*) from {table} where {bad}").fetchone()[0]
    records: list[dict[str, Any]] = []
    columns: list[str] = []
    if count:
        select = ", ".join(f'"{c}"' for c in [*keys, *floats])
        rows = con.execute(f"select {select} from {table} where {bad} limit {_MAX_EXAMPLES}").fetchall()
        for row in rows:
            record = {k: row[i] for i, k in enumerate(keys)}
            values = row[len(keys) :]
            for c, v in zip(floats, values, strict=True):
                if v is not None and not math.isfinite(v):
                    record[c] = v
                    columns.append(c)
            records.append(record)
    return ExpectationOutcome(
        FINITE,
        ",".join(dict.fromkeys(columns)) or None,
        "critical",
        count == 0,
        count,
        records=records,
        why="NaN or infinity in a numeric column would pass every range check as if it were missing",
    )


def build_suite_check(path: Path) -> dg.AssetChecksDefinition:
    suite = load_suite(path)
    meta = suite["meta"]
    query_file = meta.get("query_file")
    tables = [p["table"] for p in (meta.get("parameters") or {}).values()] + list(_query_tables(suite))
    deps = list(dict.fromkeys(dg.AssetKey(t.split(".")[-1]) for t in tables if t.split(".")[-1] != meta["asset"]))
    source = f"query {query_file} (" + meta["table"] + ")" if query_file else meta["table"]

    key = dg.AssetCheckKey(dg.AssetKey(meta["asset"]), f"gx_{suite['name']}")

    # A multi-asset check of one spec, not `@asset_check`: its output is named after the check. Dagster orders the
    # blocking checks an asset's readers wait for by output name, and every `@asset_check` output is "result", so
    # with several blocking checks on one table (int_source_estimates has four) the order, and with it the job's
    # snapshot id, changed from one process to the next: the UI then called every run "a different version".
    @dg.multi_asset_check(
        specs=[
            dg.AssetCheckSpec(
                key.name,
                asset=key.asset_key,
                blocking=True,
                description=f"Great Expectations suite {path.name}: {meta.get('description', '')}",
                additional_deps=deps,
            )
        ],
        name=f"{key.asset_key.to_python_identifier()}_{key.name}",  # the step key an `@asset_check` had
    )
    def _check(
        context: dg.AssetCheckExecutionContext, warehouse: DuckDBResource, sdoh: SdohSources
    ) -> dg.AssetCheckResult:
        config_dir = Path(sdoh.config_path)
        relations = (
            config_relations(suite, load_checks_config(config_dir), config_dir / CHECKS_CONFIG)
            if meta.get("config_tables")
            else {}
        )
        with warehouse.get_connection() as con:
            cursor = con.cursor()  # the config relations and the checked view live on this cursor only
            try:
                if query_file:
                    for name, frame in relations.items():
                        cursor.register(name, frame)
                    # one row per problem or group (measured on the snapshot: at most a few thousand rows), kept
                    # in DuckDB so the query runs once for all of the suite's counts and examples
                    cursor.execute(f"create temp table {_QUERY_RESULT} as {(PROJECT_ROOT / query_file).read_text()}")
                    cursor.execute(f"create temp view {CHECKED} as select *, rowid as {ROW} from {_QUERY_RESULT}")
                    scope = ""
                else:
                    scope = _checked_scope(cursor, context, meta["asset"], meta["table"])
                outcome = run_suite_in_duckdb(cursor, CHECKED, suite, _parameters(suite))
                finite = finite_outcome(
                    cursor, meta["table"] if query_file else CHECKED, list(meta.get("record_columns") or [])
                )
            finally:
                cursor.close()
        context.log.info(
            f"validated {outcome.rows:,} rows of {source}{scope} against {len(suite['expectations'])} expectations "
            "in DuckDB"
        )
        outcome.outcomes.insert(0, finite)
        for failure in outcome.failed:
            (context.log.error if failure.severity == "critical" else context.log.warning)(
                failure.message(suite["name"])
            )
        return _check_result(outcome, key)

    return _check


def _checked_scope(con: Any, context: Any, asset: str, table: str) -> str:
    """Create the temporary view ``CHECKED`` of the rows a check validates, numbered in table order, and say which:
    the whole table, or, for a vintage-partitioned raw table, the partitions this run landed. Every row of such a
    table was validated in the run that landed it, and its suite's expectations are per row or per key within a
    vintage, so validating the other vintages again proves nothing new and would make a one-vintage refresh pay for
    all of them."""
    from assets.partitions import BY_ASSET, run_partition_keys

    view = f"create or replace temp view {CHECKED} as select *, rowid as {ROW} from {table}"
    source = BY_ASSET.get(asset)
    keys: list[str] = []
    if source is not None:
        # only when this run landed the table: then the run's partition tags are the table's (one partitioned asset
        # a run)
        [latest] = context.instance.fetch_materializations(dg.AssetKey(asset), limit=1).records or [None]
        keys = run_partition_keys(context.run.tags, context.instance, source)
        if latest is None or latest.run_id != context.run.run_id:
            keys = []
    if not keys:
        con.execute(view)
        return ""
    values = ", ".join("'" + source.row_value(k).replace("'", "''") + "'" for k in keys)  # a view takes no parameters
    con.execute(f"{view} where {source.row_column} in ({values})")
    return f" (partitions landed by this run: {', '.join(keys)})"


def suite_check_keys(suite_dir: Path) -> list[dg.AssetCheckKey]:
    """The key of every check the suites define (what the publish step requires to have passed), without GX."""
    keys = []
    for path in sorted(suite_dir.glob("*.json")):
        suite = load_suite(path)
        keys.append(dg.AssetCheckKey(dg.AssetKey(suite["meta"]["asset"]), f"gx_{suite['name']}"))
    return keys


def build_suite_checks(suite_dir: Path) -> list[dg.AssetChecksDefinition]:
    return [build_suite_check(p) for p in sorted(suite_dir.glob("*.json"))]
