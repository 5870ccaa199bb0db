"""Benchmark: fetch (census package, snapshot session) and parse every Census API response in the snapshot with the
pipeline's own code path, the one live mode uses too.

Prints files, cells, geographies, wall time and peak memory. The architecture notes give a floor for the same
work with a bare Polars + DuckDB script: ~1.5 s and ~0.7 GB on a 2-core machine.

    .venv/bin/python benchmarks/bench_census_parse.py
"""

from __future__ import annotations

import json
import resource
import time
from pathlib import Path

import polars as pl

from assets.settings import settings_from_env
from sources.census_api import GEOGRAPHY_COLUMNS, CensusFetcher, parse_table, plan_calls
from sources.core.files import SourceFiles


def plan_from_file(root: Path, path: Path):
    """Rebuild the request a snapshot file answers from its path and header (every E/M/N variable in it)."""
    rel = path.relative_to(root).parts
    vintage, table = rel[0], path.stem
    geo_index = next(i for i, p in enumerate(rel) if p in GEOGRAPHY_COLUMNS)
    dataset, geography = "/".join(rel[1:geo_index]), rel[geo_index]
    extra = rel[geo_index + 1 : -1]
    state = extra[0] if len(extra) > 0 else None
    county = extra[1] if len(extra) > 1 else None
    with open(path) as f:
        first = f.readline().strip().rstrip(",")
    header = json.loads(first[1:] if first.startswith("[[") else first)
    variables = [h for h in header if h not in ("NAME", "state", "county", "tract", "GEO_ID")]
    return plan_calls(vintage, dataset, geography, table, variables, state=state, county=county)


def main() -> None:
    snapshot = settings_from_env().snapshot_dir
    root = snapshot / "census_api"
    fetcher = CensusFetcher(SourceFiles("snapshot", snapshot, settings_from_env().landing_dir))
    files = sorted(root.rglob("*.json"))
    started = time.perf_counter()
    frames = [parse_table([fetcher.fetch(call) for call in plan_from_file(root, path)]) for path in files]
    table = pl.concat(frames)
    elapsed = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"files parsed:      {len(files)}")
    print(f"cells:             {table.height:,}")
    print(f"geographies:       {table.select('geo_level', 'geoid').n_unique():,}")
    print(f"wall time:         {elapsed:.2f} s  ({table.height / elapsed / 1e6:.2f} M cells/s)")
    print(f"peak RSS:          {peak_mb:,.0f} MB")
    print("floor (bare Polars + DuckDB, ARCHITECTURE.md): ~1.5 s, ~0.7 GB")


if __name__ == "__main__":
    main()
