"""Write-audit-publish, step 2: audit the STAGED release's tables before it may become latest.

The audits are SQL files in ``dbt_like_sql/audits/`` (one row per problem: table, record, field, value, problem). They
read the staged Parquet files and the previous latest release through temporary views (``staged_<table>``,
``previous_<table>``) on the warehouse connection, whose ``seeds`` schema holds the configuration they compare
against. Temporary views live in the connection only: nothing is written to the warehouse.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from assets.publish.release_writer import PUBLISHED_TABLES, Release
from assets.settings import SQL_DIR

AUDIT_DIR = SQL_DIR / "audits"
MAX_SHOWN = 20  # problems listed per audit in the error, the ledger and the manifest


@dataclass
class AuditResult:
    audit: str
    problems: int
    examples: list[dict[str, str]] = field(default_factory=list)

    def lines(self) -> list[str]:
        shown = [
            f"  {e['table_name']}: {e['record']}: {e['field']} = {e['value']}: {e['problem']}" for e in self.examples
        ]
        more = self.problems - len(self.examples)
        return [f"{self.audit}: {self.problems} problem(s)", *shown, *([f"  ... and {more} more"] if more > 0 else [])]


def _views(con: duckdb.DuckDBPyConnection, prefix: str, release: Release | None, like: str = "staged") -> None:
    for name in PUBLISHED_TABLES:
        if release is not None and name in release.manifest["tables"]:
            path = release.path / release.manifest["tables"][name]["file"]
            con.execute(f"create or replace temp view {prefix}_{name} as select * from read_parquet('{path}')")
        else:  # no previous release: an empty table shaped like the staged one
            con.execute(f"create or replace temp view {prefix}_{name} as select * from {like}_{name} where false")


def audit_staged_release(
    con: duckdb.DuckDBPyConnection,
    staged: Release,
    previous: Release | None,
    max_row_drop_share: float,
    skip: frozenset[str] = frozenset(),
    audit_dir: Path = AUDIT_DIR,
) -> list[AuditResult]:
    """Run every audit in ``audit_dir`` (except ``skip``) on the staged release; return one result per audit."""
    _views(con, "staged", staged)
    _views(con, "previous", previous)
    con.execute(f"set variable max_row_drop_share = {float(max_row_drop_share)!r}")
    results = []
    try:
        for path in sorted(audit_dir.glob("*.sql")):
            if path.stem in skip:
                continue
            sql = path.read_text()
            total = con.execute(f"select count(*) from (\n{sql}\n)").fetchone()[0]
            cursor = con.execute(f"select * from (\n{sql}\n) order by all limit {MAX_SHOWN}")
            cols = [d[0] for d in cursor.description]
            rows = cursor.fetchall()
            results.append(
                AuditResult(path.stem, int(total), [dict(zip(cols, map(str, r), strict=True)) for r in rows])
            )
    finally:
        for prefix in ("staged", "previous"):
            for name in PUBLISHED_TABLES:
                con.execute(f"drop view if exists {prefix}_{name}")
    return results
