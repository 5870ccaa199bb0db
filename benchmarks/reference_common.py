"""What the two reference scripts share: their command line, the indicator definitions as plain rows, the snapshot
file each measurement reads, and the one JSON line they print.

The references (benchmarks/reference_pandas.py, benchmarks/reference_bare.py) recompute the pipeline's published
Census API indicator values by hand, so the benchmark can compare the pipeline's speed and its numbers with a plain
script's. What to compute is data (config/indicators.yaml, config/census_api.yaml, config/reliability.yaml,
config/race_ethnicity_groups.yaml): the definitions are read with the project's own config checker
(``sources.indicator_config.check``, pure Python; its package imports Polars but nothing here uses it), so a template,
``total_from_groups`` or ``unavailable_groups`` means the same thing as in the pipeline. Every number, sum, MOE
and suppression rule is computed by each reference on its own; nothing here touches a value.

Which rows: every Census API measurement (dataset ``acs/...`` or ``dec/...``) at its own geography level (county or
tract), every group, every configured vintage whose ``census_api/<vintage>/`` folder is in the snapshot; rows built by
aggregating tracts into counties are the pipeline's geography work and are not recomputed (reference_compare.py
leaves them out on the pipeline's side too).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as `python benchmarks/x.py` from any checkout: this checkout's sources/
    sys.path.insert(0, str(ROOT))

CENSUS_DATASET_PREFIXES = ("acs/", "dec/")
GEO_COLUMNS = {"county": ("state", "county"), "tract": ("state", "county", "tract")}
OUTPUT_COLUMNS = ["indicator_id", "vintage", "geo_type", "geoid", "group_id", "estimate", "moe"]


@dataclass(frozen=True)
class Facts:
    """config/census_api.yaml and config/reliability.yaml as plain values."""

    estimate_suffix: dict[str, str]  # dataset -> E, N or ""
    moe_suffix: dict[str, str | None]  # dataset -> M or None (no MOE column)
    sampling_error: dict[str, bool]  # dataset -> whether its numbers carry sampling error
    controlled: set[tuple[str, str, str]]  # (dataset, geo_level, variable) whose null MOE means "controlled"
    open_ended: list[tuple[str, str, float]]  # (dataset, table_prefix, code): a value that is an interval edge
    annotation_codes: frozenset[str]  # API values that stand for "no number" (-666666666, ...)
    controlled_code: str  # the code (and its annotation symbol) that means MOE 0
    controlled_symbol: str
    annotation_symbols: frozenset[str]
    min_denominator: float
    min_numerator: float


@dataclass(frozen=True)
class Definitions:
    """The expanded definitions: one spec row per variable read, the files to read, the unavailable groups."""

    spec: list[dict[str, Any]]  # indicator_id, vintage_year, vintage, dataset, geo_level, state, county, group_id,
    # role, variable, sign, method, moe_kind, scale, file (relative to the snapshot)
    files: dict[
        str, dict[str, Any]
    ]  # file -> {dataset, geo_level, state, county, vintage_year, variables: {var: moe?}}
    unavailable: list[dict[str, Any]]  # indicator_id, vintage_year, geo_level, state, county, group_id
    facts: Facts
    missing_files: list[str]


def parse_args(name: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=f"{name}: recompute the pipeline's Census API indicator values")
    parser.add_argument("--snapshot", type=Path, required=True, help="snapshot folder (holds census_api/)")
    parser.add_argument("--config-dir", type=Path, default=ROOT / "config", help="the project's config/ folder")
    parser.add_argument("--out", type=Path, required=True, help="Parquet file to write")
    return parser.parse_args()


def vintage_label(dataset: str, vintage_year: str) -> str:
    """ACS 5-year vintages are periods (2018 -> 2014-2018); decennial vintages are the year."""
    return f"{int(vintage_year) - 4}-{vintage_year}" if dataset.startswith("acs/acs5") else vintage_year


def snapshot_relpath(vintage: str, dataset: str, geo_level: str, state: str | None, county: str | None, table: str):
    """Where the snapshot keeps a table: census_api/<vintage>/<dataset>/<geo_level>/[<state>/[<county>/]]<table>.json
    (county as its 3 digits, as the API's `in=county:` clause has it)."""
    parts = ["census_api", vintage, dataset, geo_level]
    if state:
        parts.append(state)
    if county:
        parts.append(county[2:])
    return "/".join([*parts, f"{table}.json"])


def load_facts(config_dir: Path) -> Facts:
    from sources.core.acs_codes import ANNOTATION_CODES, ANNOTATION_SYMBOLS
    from sources.core.config_io import load_yaml

    census = load_yaml(config_dir / "census_api.yaml")
    rules = load_yaml(config_dir / "reliability.yaml")
    datasets = census.get("datasets") or {}
    controlled_code = "-555555555"
    return Facts(
        estimate_suffix={d: s.get("estimate_suffix") or "" for d, s in datasets.items()},
        moe_suffix={d: s.get("moe_suffix") for d, s in datasets.items()},
        sampling_error={d: bool(s.get("sampling_error", True)) for d, s in datasets.items()},
        controlled={
            (r["dataset"], r["geo_level"], r["variable"]) for r in census.get("controlled_moe_variables") or []
        },
        open_ended=[(r["dataset"], r["table_prefix"], float(r["code"])) for r in census.get("open_ended_values") or []],
        annotation_codes=frozenset(ANNOTATION_CODES),
        controlled_code=controlled_code,
        controlled_symbol=next(s for s, code in ANNOTATION_SYMBOLS.items() if code == controlled_code),
        annotation_symbols=frozenset(ANNOTATION_SYMBOLS),
        min_denominator=float(rules["suppression"]["min_denominator"]),
        min_numerator=float(rules["suppression"]["min_numerator"]),
    )


def census_source_levels(config_dir: Path) -> set[tuple[str, str, str]]:
    """(indicator_id, vintage label, geo_type) of every configured Census API measurement at its own geography."""
    from sources.core.config_io import load_yaml
    from sources.indicator_config.check import check_indicators

    groups = load_yaml(config_dir / "race_ethnicity_groups.yaml")["groups"]
    indicators = check_indicators(config_dir / "indicators.yaml", {g["id"]: g.get("iteration") for g in groups})
    return {
        (ind.indicator_id, vintage_label(m.dataset, v), m.geo_level)
        for ind in indicators
        for m in ind.measurements
        if m.dataset.startswith(CENSUS_DATASET_PREFIXES)
        for v in m.vintages
    }


def load_definitions(config_dir: Path, snapshot: Path) -> Definitions:
    """Expand config/indicators.yaml's Census API measurements into spec rows, for the vintages in the snapshot."""
    from sources.core.config_io import load_yaml
    from sources.indicator_config.check import check_indicators

    groups = load_yaml(config_dir / "race_ethnicity_groups.yaml")["groups"]
    iteration = {g["id"]: g.get("iteration") for g in groups}
    indicators = check_indicators(config_dir / "indicators.yaml", iteration)
    facts = load_facts(config_dir)
    folder = snapshot / "census_api"
    present = {p.name for p in folder.iterdir() if p.is_dir()} if folder.is_dir() else set()
    spec: list[dict[str, Any]] = []
    unavailable: list[dict[str, Any]] = []
    files: dict[str, dict[str, Any]] = {}
    for ind in indicators:
        for m in ind.measurements:
            if not m.dataset.startswith(CENSUS_DATASET_PREFIXES):
                continue
            for vintage in m.vintages:
                if vintage not in present:
                    continue
                for state, county in m.places:
                    for group_id, reason in m.unavailable_groups.items():
                        unavailable.append(
                            {
                                "indicator_id": ind.indicator_id,
                                "vintage_year": vintage,
                                "vintage": vintage_label(m.dataset, vintage),
                                "geo_level": m.geo_level,
                                "state": state,
                                "county": county,
                                "group_id": group_id,
                                "reason": reason,
                            }
                        )
                    for group_id, roles in m.roles_by_group.items():
                        for role, names in roles.items():
                            for signed in names:
                                variable = signed.lstrip("-")
                                table = m.table or variable.split("_")[0]
                                file = snapshot_relpath(vintage, m.dataset, m.geo_level, state, county, table)
                                entry = files.setdefault(
                                    file,
                                    {
                                        "dataset": m.dataset,
                                        "geo_level": m.geo_level,
                                        "vintage_year": vintage,
                                        "table": table,
                                        "variables": {},
                                    },
                                )
                                # the MOE column is read when any measurement reading this variable publishes one
                                wants_moe = m.moe_kind == "published"
                                entry["variables"][variable] = entry["variables"].get(variable, False) or wants_moe
                                spec.append(
                                    {
                                        "indicator_id": ind.indicator_id,
                                        "vintage_year": vintage,
                                        "vintage": vintage_label(m.dataset, vintage),
                                        "dataset": m.dataset,
                                        "geo_level": m.geo_level,
                                        "state": state,
                                        "county": county,
                                        "group_id": group_id,
                                        "role": role,
                                        "variable": variable,
                                        "sign": -1.0 if signed.startswith("-") else 1.0,
                                        "method": m.method,
                                        "moe_kind": m.moe_kind,
                                        "scale": float(m.scale),
                                        "file": file,
                                    }
                                )
    missing = sorted(f for f in files if not (snapshot / f).is_file())
    for f in missing:  # a vintage folder without one of its tables: those rows are not computed (said on stderr)
        print(f"reference: {f} is not in the snapshot; its rows are skipped", file=sys.stderr)
        del files[f]
    spec = [s for s in spec if s["file"] in files]
    return Definitions(spec, files, unavailable, facts, missing)


class Run:
    """Wall time from the script's start (imports included), CPU time and peak memory, printed as one JSON line."""

    def __init__(self, name: str, started: float) -> None:
        self.name = name
        self.started = started

    def report(self, rows: int) -> None:
        peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kilobytes on Linux
        print(
            json.dumps(
                {
                    "name": self.name,
                    "seconds": round(time.perf_counter() - self.started, 3),
                    "peak_rss_mb": round(peak_kb / 1024, 1),
                    # CPU time (user + system, all threads) beside wall time: the machine is shared, wall time is not
                    # this script's alone
                    "cpu_seconds": round(time.process_time(), 3),
                    "rows": rows,
                }
            ),
            flush=True,
        )
