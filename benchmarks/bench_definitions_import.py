"""Benchmark: how long the code location takes to load, which the UI pays on every reload (target: <= 1.5 s).

Each sample is a fresh Python process that imports ``pipelines.definitions`` and builds its Definitions (what
``dg dev`` / the code server does: ``@dg.definitions`` builds them at load, not at import). Prints the samples,
the median and the heavy modules that must stay out of the import path (geopandas, great_expectations).

    .venv/bin/python benchmarks/bench_definitions_import.py [samples]
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile

PROBE = """
import sys, time
t = time.perf_counter()
import pipelines.definitions as d
imported = time.perf_counter() - t
defs = d.defs()
defs.resolve_asset_graph()
loaded = time.perf_counter() - t
heavy = sorted(m for m in ("geopandas", "great_expectations", "shapely") if m in sys.modules)
print(imported, loaded, ",".join(heavy))
"""


def main(samples: int = 5) -> None:
    rows = []
    with tempfile.TemporaryDirectory() as data:
        env = {"SDOH_DATA_DIR": data, "GX_ANALYTICS_ENABLED": "false", "PATH": ""}
        for _ in range(samples):
            out = subprocess.run(
                [sys.executable, "-W", "ignore", "-c", PROBE], capture_output=True, text=True, env=env, check=True
            ).stdout.split()
            rows.append((float(out[0]), float(out[1]), out[2] if len(out) > 2 else ""))
    imported = statistics.median(r[0] for r in rows)
    loaded = statistics.median(r[1] for r in rows)
    print(f"{'sample':>6}  {'import s':>8}  {'load s':>7}  heavy modules")
    for n, (i, load, heavy) in enumerate(rows, start=1):
        print(f"{n:>6}  {i:8.2f}  {load:7.2f}  {heavy or '-'}")
    print(
        json.dumps(
            {
                "benchmark": "definitions_import",
                "samples": samples,
                "median_import_seconds": round(imported, 3),
                "median_load_seconds": round(loaded, 3),
                "target_seconds": 1.5,
                "heavy_modules_loaded": sorted({h for r in rows for h in r[2].split(",") if h}),
            }
        )
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
