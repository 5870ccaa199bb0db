"""Compare a reference script's output with what the pipeline published, row by row, so the benchmark's speed ratios
are only reported for identical numbers.

    .venv/bin/python benchmarks/reference_compare.py --published-db data/published/sdoh_published.duckdb \\
        --reference refs.parquet

The pipeline's side is the latest release (view latest_indicator_values; table indicator_values when the file has no
such view), restricted to the rows the references compute: Census API measurements (config/indicators.yaml,
dataset acs/... or dec/...) at their own geography level (county or tract), i.e. (indicator_id, vintage, geo_type)
of such a measurement, leaving out rows the pipeline built by aggregating smaller areas (method "aggregated ..." or
"not aggregated ..."), which need its geography crosswalks. Key: indicator_id, vintage, geo_type, geoid, group_id;
estimate and moe must be equal within 1e-9 relative, a null equal only to a null.

Prints one JSON line {"rows_pipeline", "rows_reference", "missing" (published, not in the reference), "extra" (in the
reference, not published), "value_mismatches", "duplicate_keys", "examples"} and exits 1 when they differ.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import duckdb
from reference_common import ROOT, census_source_levels

KEY = ["indicator_id", "vintage", "geo_type", "geoid", "group_id"]
RELATIVE_TOLERANCE = 1e-9
MAX_EXAMPLES = 10


def same(column: str) -> str:
    """SQL: the pipeline's and the reference's value of `column` agree (both null, or within the tolerance)."""
    p, r = f"p.{column}", f"r.{column}"
    return (
        f"(({p} is null and {r} is null) or ({p} is not null and {r} is not null and "
        f"abs({p} - {r}) <= {RELATIVE_TOLERANCE} * greatest(abs({p}), abs({r}))))"
    )


def compare(published_db: Path, reference: Path, config_dir: Path) -> dict:
    con = duckdb.connect()
    con.execute("set enable_progress_bar = false")  # stdout carries the one JSON line
    con.execute(f"attach '{published_db}' as pub (read_only)")
    views = {r[0] for r in con.execute("select view_name from duckdb_views() where database_name = 'pub'").fetchall()}
    source = "pub.latest_indicator_values" if "latest_indicator_values" in views else "pub.indicator_values"
    levels = sorted(census_source_levels(config_dir))
    con.execute("create temp table levels (indicator_id varchar, vintage varchar, geo_type varchar)")
    con.executemany("insert into levels values (?, ?, ?)", levels)
    con.execute(
        f"""
        create temp table pipeline as
        select v.indicator_id, v.vintage, v.geo_type, v.geoid, v.group_id, v.estimate, v.moe
        from {source} as v
        semi join levels as l using (indicator_id, vintage, geo_type)
        where v.geo_type in ('county', 'tract')
            and not starts_with(v.method, 'aggregated')
            and not starts_with(v.method, 'not aggregated')
        """
    )
    con.execute(
        "create temp table reference as select indicator_id, vintage, geo_type, geoid, group_id, "
        "cast(estimate as double) as estimate, cast(moe as double) as moe from read_parquet(?)",
        [str(reference)],
    )
    keys = ", ".join(KEY)
    duplicates = sum(
        con.execute(f"select count(*) - count(distinct ({keys})) from {table}").fetchone()[0]
        for table in ("pipeline", "reference")
    )
    con.execute(
        f"""
        create temp table joined as
        select
            {", ".join(f"coalesce(p.{k}, r.{k}) as {k}" for k in KEY)},
            p.indicator_id is not null as in_pipeline,
            r.indicator_id is not null as in_reference,
            p.estimate as pipeline_estimate, r.estimate as reference_estimate,
            p.moe as pipeline_moe, r.moe as reference_moe,
            {same("estimate")} and {same("moe")} as equal
        from pipeline as p
        full outer join reference as r using ({keys})
        """
    )
    counts = con.execute(
        """
        select
            (select count(*) from pipeline),
            (select count(*) from reference),
            count(*) filter (where in_pipeline and not in_reference),
            count(*) filter (where in_reference and not in_pipeline),
            count(*) filter (where in_pipeline and in_reference and not equal)
        from joined
        """
    ).fetchone()
    examples = con.execute(
        f"""
        select
            case when not in_reference then 'missing' when not in_pipeline then 'extra' else 'value_mismatch' end
                as kind,
            {keys}, pipeline_estimate, reference_estimate, pipeline_moe, reference_moe
        from joined
        where not (in_pipeline and in_reference and equal)
        order by kind, {keys}
        limit {MAX_EXAMPLES}
        """
    )
    names = [d[0] for d in examples.description]
    return {
        "rows_pipeline": counts[0],
        "rows_reference": counts[1],
        "missing": counts[2],
        "extra": counts[3],
        "value_mismatches": counts[4],
        "duplicate_keys": duplicates,
        "examples": [dict(zip(names, row, strict=True)) for row in examples.fetchall()],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="compare a reference's values with the pipeline's published ones")
    parser.add_argument("--published-db", type=Path, required=True)
    parser.add_argument("--reference", type=Path, required=True)
    parser.add_argument("--config-dir", type=Path, default=ROOT / "config", help="which rows are Census API values")
    args = parser.parse_args()
    result = compare(args.published_db, args.reference, args.config_dir)
    print(json.dumps(result, default=str), flush=True)
    differ = result["missing"] or result["extra"] or result["value_mismatches"] or result["duplicate_keys"]
    sys.exit(1 if differ else 0)


if __name__ == "__main__":
    main()
