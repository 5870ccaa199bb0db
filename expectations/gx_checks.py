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
floating-point column of ``meta.table`` (pandas cannot tell NaN from a missing value, so this runs in DuckDB). Expectation ``meta.severity`` is ``critical`` (a failure blocks
everything downstream, so no release is published), ``warning`` or ``info`` (reported, not blocking).

Great Expectations takes ~4 s to import, so it is imported inside ``run_suite`` only: loading the code location
stays fast.
"""

import json
import logging
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_duckdb import DuckDBResource

from assets.resources import SdohSources

SEVERITIES = ("critical", "warning", "info")
_MAX_EXAMPLES = 5
PROJECT_ROOT = Path(__file__).resolve().parent.parent
CHECKS_CONFIG = "checks.yaml"
FINITE = "expect_numeric_values_to_be_finite"
_FLOAT_TYPES = ("DOUBLE", "FLOAT", "REAL")


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
    for exp in suite.get("expectations") or []:
        severity = (exp.get("meta") or {}).get("severity", "critical")
        if severity not in SEVERITIES:
            raise ValueError(f"{path}: expectation {exp.get('type')} has severity {severity!r}; expected {SEVERITIES}")
    return suite


def suite_columns(suite: dict[str, Any]) -> list[str]:
    """Columns the suite reads (so checks load only what they need from a large table)."""
    cols: list[str] = list(suite["meta"].get("record_columns") or [])
    for exp in suite["expectations"]:
        kwargs = exp.get("kwargs") or {}
        cols += [kwargs["column"]] if "column" in kwargs else []
        cols += list(kwargs.get("column_list") or [])
        cols += [kwargs[k] for k in ("column_A", "column_B") if k in kwargs]
        # every identifier in a row condition may be a column; the caller keeps those the table has
        cols += re.findall(r"[A-Za-z_][A-Za-z0-9_]*", kwargs.get("row_condition") or "")
    return list(dict.fromkeys(cols))


def run_suite(suite: dict[str, Any], frame: Any, parameters: dict[str, list[Any]]) -> SuiteOutcome:
    """Validate a pandas frame against a suite with an ephemeral GX context."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.core.expectation_suite import ExpectationSuite
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    context = gx.get_context(mode="ephemeral")
    try:
        from great_expectations.data_context.types.base import ProgressBarsConfig

        context.variables.progress_bars = ProgressBarsConfig(globally=False)
    except Exception:  # progress bars are cosmetic; older/newer GX may differ
        pass
    batch = context.data_sources.add_pandas("frames").add_dataframe_asset(suite["name"])
    batch_definition = batch.add_batch_definition_whole_dataframe("whole")
    gx_suite = ExpectationSuite(name=suite["name"])
    for exp in suite["expectations"]:
        gx_suite.add_expectation_configuration(
            ExpectationConfiguration(type=exp["type"], kwargs=exp.get("kwargs") or {}, meta=exp.get("meta") or {})
        )
    gx_suite = context.suites.add(gx_suite)
    validation = context.validation_definitions.add(
        gx.ValidationDefinition(name=f"{suite['name']}_validation", data=batch_definition, suite=gx_suite)
    )
    record_columns = [c for c in suite["meta"].get("record_columns") or [] if c in frame.columns]
    result = validation.run(
        batch_parameters={"dataframe": frame},
        expectation_parameters=parameters,
        result_format={
            "result_format": "SUMMARY",
            "unexpected_index_column_names": record_columns,
            "partial_unexpected_count": _MAX_EXAMPLES,
        },
    )
    outcomes = []
    for r in result.results:
        cfg = r.expectation_config
        meta = cfg.meta or {}
        info = r.exception_info or {}
        raised = info.get("raised_exception") if isinstance(info, dict) else False
        records = r.result.get("partial_unexpected_index_list") or []
        outcomes.append(
            ExpectationOutcome(
                expectation=cfg.type,
                column=cfg.kwargs.get("column") or (",".join(cfg.kwargs.get("column_list") or []) or None),
                severity=meta.get("severity", "critical"),
                success=bool(r.success),
                unexpected_count=r.result.get("unexpected_count"),
                examples=list(r.result.get("partial_unexpected_list") or [])[:_MAX_EXAMPLES],
                records=[dict(rec) for rec in records[:_MAX_EXAMPLES] if isinstance(rec, dict)],
                why=meta.get("why"),
                error=(info.get("exception_message") if raised else None),
            )
        )
    return SuiteOutcome(suite["name"], suite["meta"]["table"], len(frame), outcomes)


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


def _parameters(con: Any, suite: dict[str, Any]) -> dict[str, list[Any]]:
    params: dict[str, list[Any]] = {}
    for name, source in (suite["meta"].get("parameters") or {}).items():
        rows = con.execute(f'select distinct "{source["column"]}" from {source["table"]}').fetchall()
        params[name] = [r[0] for r in rows]
    return params


def load_checks_config(config_dir: Path) -> dict[str, Any]:
    """``config/checks.yaml``: tolerances and expected coverage the query checks read (sections of records)."""
    import yaml

    path = Path(config_dir) / CHECKS_CONFIG
    try:
        raw = yaml.safe_load(path.read_text())
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
    columns = suite_columns(suite)
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
            if query_file:
                cursor = con.cursor()
                for name, frame in relations.items():
                    cursor.register(name, frame)
                frame = cursor.execute((PROJECT_ROOT / query_file).read_text()).df()
                cursor.close()
            else:
                table, scope = _checked_scope(con, context, meta["asset"], meta["table"])
                present = {r[0] for r in con.execute(f"describe {table}").fetchall()}
                select = ", ".join(f'"{c}"' for c in columns if c in present)
                frame = con.execute(f"select {select} from {table}").df()
            parameters = _parameters(con, suite)
            finite = finite_outcome(
                con, table if not query_file else meta["table"], list(meta.get("record_columns") or [])
            )
        context.log.info(
            f"validating {len(frame):,} rows of {source}{scope if not query_file else ''} against "
            f"{len(suite['expectations'])} expectations"
        )
        outcome = run_suite(suite, frame, parameters)
        outcome.outcomes.insert(0, finite)
        for failure in outcome.failed:
            (context.log.error if failure.severity == "critical" else context.log.warning)(
                failure.message(suite["name"])
            )
        return _check_result(outcome, key)

    return _check


def _checked_scope(con: Any, context: Any, asset: str, table: str) -> tuple[str, str]:
    """The rows a check validates: the whole table, or, for a vintage-partitioned raw table, the partitions this run
    landed (a temporary view). Every row of such a table was validated in the run that landed it, and its suite's
    expectations are per row or per key within a vintage, so validating the other vintages again proves nothing new
    and would make a one-vintage refresh pay for all of them."""
    from assets.partitions import BY_ASSET, run_partition_keys

    source = BY_ASSET.get(asset)
    if source is None:
        return table, ""
    # only when this run landed the table: then the run's partition tags are the table's (one partitioned asset a run)
    [latest] = context.instance.fetch_materializations(dg.AssetKey(asset), limit=1).records or [None]
    keys = run_partition_keys(context.run.tags, context.instance, source)
    if latest is None or latest.run_id != context.run.run_id or not keys:
        return table, ""
    values = ", ".join("'" + source.row_value(k).replace("'", "''") + "'" for k in keys)  # a view takes no parameters
    con.execute(
        f"create or replace temp view gx_checked_partitions as select * from {table} "
        f"where {source.row_column} in ({values})"
    )
    return "gx_checked_partitions", f" (partitions landed by this run: {', '.join(keys)})"


def suite_check_keys(suite_dir: Path) -> list[dg.AssetCheckKey]:
    """The key of every check the suites define (what the publish step requires to have passed), without GX."""
    keys = []
    for path in sorted(suite_dir.glob("*.json")):
        suite = load_suite(path)
        keys.append(dg.AssetCheckKey(dg.AssetKey(suite["meta"]["asset"]), f"gx_{suite['name']}"))
    return keys


def build_suite_checks(suite_dir: Path) -> list[dg.AssetChecksDefinition]:
    return [build_suite_check(p) for p in sorted(suite_dir.glob("*.json"))]
