"""``make bench``: what a run of the pipeline costs, on the real snapshot and on generated national input.

Scenarios (each a child process, measured from outside it, so the harness's own imports and memory do not count):
- ``snapshot``: the main job (``sdoh refresh``) on the real snapshot with the project's config, in a fresh working
  folder and Dagster instance: what ``make run`` costs on a clean clone.
- ``national``: ``sdoh refresh`` on the generated national input (benchmarks/generate_national.py: every tract of
  every chosen state) from landed raw files to a published release, in a fresh working folder and instance.
- ``one_state``: after ``national``, one state's generated tract files are regenerated with another seed and
  ``sdoh refresh --source census_api --vintage 2023`` runs on the same working folder and instance. Partitions are
  by source vintage (assets/partitions.py), so this is the smallest refresh the pipeline can do for a one-state
  change: the whole 2023 vintage is landed again and everything downstream of census_api rebuilds (README).
- ``pandas`` / ``bare``: the reference scripts benchmarks/reference_pandas.py and reference_bare.py (written on
  another branch) on the same national input, then benchmarks/reference_compare.py against the national release.
  A script that does not exist yet is reported as ``missing``.

How it measures: wall time with ``time.monotonic`` around the child; peak RSS from ``os.wait4``'s ``ru_maxrss``
(the largest process of the child's tree; the pipeline runs in-process, so that is the pipeline); per-asset wall
times from the run's step statistics in the scenario's own Dagster instance (``get_run_step_stats``: start and end
of each step, checks included, summed by step over the runs of the refresh); rows published from the release's
``manifest.json``. The machine's load average is recorded before and after each scenario: these machines are
shared, so a figure taken under load says so.

Prints one JSON line (everything) and then a table; ``--json-out`` also writes the JSON to a file.

    .venv/bin/python benchmarks/run_bench.py                       # all scenarios, every state
    .venv/bin/python benchmarks/run_bench.py --scenarios national,pandas,bare --states 11,44
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = Path(__file__).resolve().parent
SCENARIOS = ("snapshot", "national", "one_state", "pandas", "bare")
REFERENCES = {"pandas": "reference_pandas.py", "bare": "reference_bare.py"}
COMPARE = "reference_compare.py"
PUBLISHED_DB = "sdoh_published.duckdb"
CHANGED_MARKER = "CHANGED_BY_ONE_STATE"  # the one_state scenario edited this input: regenerate before reusing it
TARGETS = {  # issue 22's targets; reported beside the figures, never asserted
    "snapshot": {"seconds": 45, "peak_rss_mb": 2048},
    "national": {"seconds": 120, "peak_rss_mb": 6144},
    "one_state": {"seconds": 15},
    "pipeline_over_pandas": "<= 0.2 (pipeline >= 5x faster than pandas)",
    "pipeline_over_bare": "<= 3.0 (pipeline at most 3x the bare script)",
}


@dataclass
class Measured:
    """One child process: its exit code, wall seconds, peak RSS, and what it printed."""

    returncode: int
    seconds: float
    peak_rss_mb: float
    cpu_seconds: float  # user + system CPU of the child's tree: less sensitive than wall time to a busy machine
    stdout: str
    stderr: str
    load_before: float
    load_after: float


def measure(cmd: list[str], env: dict[str, str] | None = None, cwd: Path = PROJECT_ROOT) -> Measured:
    """Run ``cmd`` to the end; wall time around it and the peak RSS from ``os.wait4`` (kilobytes on Linux)."""
    load_before = os.getloadavg()[0]
    out_path, err_path = (Path(os.devnull),) * 2
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        out_path, err_path = Path(tmp) / "out", Path(tmp) / "err"
        with out_path.open("w") as out, err_path.open("w") as err:
            started = time.monotonic()
            proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=out, stderr=err)
            _, status, usage = os.wait4(proc.pid, 0)
            seconds = time.monotonic() - started
            proc.returncode = os.waitstatus_to_exitcode(status)
        stdout, stderr = out_path.read_text(errors="replace"), err_path.read_text(errors="replace")
    return Measured(
        proc.returncode,
        round(seconds, 1),
        round(usage.ru_maxrss / 1024, 0),
        round(usage.ru_utime + usage.ru_stime, 1),
        stdout,
        stderr,
        round(load_before, 2),
        round(os.getloadavg()[0], 2),
    )


@dataclass
class Workspace:
    """Where a scenario's working data and Dagster instance live, and the settings its child process gets."""

    root: Path
    snapshot: Path
    config: Path
    env: dict[str, str] = field(default_factory=dict)
    instance_yaml: Path | None = None  # a dagster.yaml for the scenario's instance (e.g. config/deploy's Postgres one)

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    def environ(self) -> dict[str, str]:
        return {
            **os.environ,
            "SDOH_SNAPSHOT_DIR": str(self.snapshot),
            "SDOH_CONFIG_DIR": str(self.config),
            "SDOH_DATA_DIR": str(self.data_dir),
            "SDOH_MODE": "snapshot",
            "DAGSTER_HOME": str(self.root / "dagster_home"),
            "GX_ANALYTICS_ENABLED": "false",
            "DAGSTER_DISABLE_TELEMETRY": "1",
            **self.env,
        }

    def fresh(self) -> Workspace:
        if self.root.exists():
            shutil.rmtree(self.root)
        self.root.mkdir(parents=True)
        if self.instance_yaml is not None:  # the CLI leaves a dagster.yaml it did not write alone
            (self.root / "dagster_home").mkdir()
            shutil.copyfile(self.instance_yaml, self.root / "dagster_home" / "dagster.yaml")
        return self


def step_seconds(dagster_home: Path, since: float) -> dict[str, float]:
    """Wall seconds per step (asset or check) of every run that started at or after ``since`` (epoch seconds),
    from the instance's event log; a step that ran in several runs is summed."""
    import dagster as dg

    os.environ["DAGSTER_HOME"] = str(dagster_home)
    steps: dict[str, float] = {}
    with dg.DagsterInstance.get() as instance:
        for record in instance.get_run_records():
            if (record.start_time or 0) < since - 1:
                continue
            for stat in instance.get_run_step_stats(record.dagster_run.run_id):
                if stat.start_time is not None and stat.end_time is not None:
                    steps[stat.step_key] = round(steps.get(stat.step_key, 0.0) + stat.end_time - stat.start_time, 2)
    return dict(sorted(steps.items(), key=lambda kv: -kv[1]))


def published_rows(data_dir: Path) -> dict[str, object]:
    """The newest release's id and row counts, from its manifest (what the release says it holds)."""
    manifests = sorted((data_dir / "published" / "releases").glob("*/manifest.json"))
    if not manifests:
        return {"release_id": None, "indicator_values": 0}
    manifest = json.loads(manifests[-1].read_text())
    tables = manifest.get("tables", {})
    return {
        "release_id": manifests[-1].parent.name,
        "releases": len(manifests),
        **{name: info.get("rows") for name, info in tables.items()},
    }


def refresh(ws: Workspace, *args: str) -> dict[str, object]:
    """One ``sdoh refresh`` (as ``make run`` calls it) in ``ws``: measured, with per-step times and rows published."""
    progress(f"sdoh refresh {' '.join(args)} on {ws.snapshot} (working folder {ws.root})")
    since = time.time()
    run = measure([sys.executable, "-m", "pipelines.cli", "refresh", *args], env=ws.environ())
    result: dict[str, object] = {
        "ok": run.returncode == 0,
        "returncode": run.returncode,
        "seconds": run.seconds,
        "peak_rss_mb": run.peak_rss_mb,
        "cpu_seconds": run.cpu_seconds,
        "load_before": run.load_before,
        "load_after": run.load_after,
    }
    if run.returncode != 0:
        result["error"] = _tail(run.stderr + run.stdout)
    result["rows"] = published_rows(ws.data_dir)
    result["steps"] = step_seconds(ws.root / "dagster_home", since)
    return result


def progress(message: str) -> None:
    """What is running now, on stderr (stdout is the JSON line and the table): a full bench takes many minutes."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _tail(text: str, lines: int = 12) -> str:
    kept = [line for line in text.splitlines() if line.strip() and "Dagster" not in line and "telemetry" not in line]
    return "\n".join(kept[-lines:])


def run_reference(name: str, national: Workspace, out_dir: Path, scripts: Path = BENCH_DIR) -> dict[str, object]:
    """One reference script on the national input, then the comparison with the national release."""
    script = scripts / REFERENCES[name]
    if not script.is_file():
        return {"ok": False, "status": "missing", "script": str(script.relative_to(PROJECT_ROOT))}
    out_file = out_dir / f"reference_{name}.parquet"
    progress(f"{script.name} on {national.snapshot}")
    run = measure(
        [
            sys.executable,
            str(script),
            "--snapshot",
            str(national.snapshot),
            "--config-dir",
            str(national.config),
            "--out",
            str(out_file),
        ],
        env={**os.environ, "GX_ANALYTICS_ENABLED": "false"},
    )
    result: dict[str, object] = {
        "ok": run.returncode == 0,
        "seconds": run.seconds,
        "peak_rss_mb": run.peak_rss_mb,
        "cpu_seconds": run.cpu_seconds,
        "load_before": run.load_before,
        "load_after": run.load_after,
        "reported": _last_json(run.stdout),
    }
    if run.returncode != 0:
        result["error"] = _tail(run.stderr + run.stdout)
        return result
    result["compare"] = compare(national, out_file, scripts)
    result["ok"] = bool(result["compare"].get("same"))
    return result


def compare(national: Workspace, reference: Path, scripts: Path = BENCH_DIR) -> dict[str, object]:
    """benchmarks/reference_compare.py: pipeline's published values against a reference's (missing if not there).
    Its ``--config-dir`` (which rows are Census API values) is passed when the script takes one: the national run's
    config is not the project's."""
    script = scripts / COMPARE
    if not script.is_file():
        return {"status": "missing", "same": False}
    db = national.data_dir / "published" / PUBLISHED_DB
    extra = ["--config-dir", str(national.config)] if "--config-dir" in script.read_text() else []
    proc = subprocess.run(
        [sys.executable, str(script), "--published-db", str(db), "--reference", str(reference), *extra],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
    )
    found = _last_json(proc.stdout) or {"error": _tail(proc.stderr + proc.stdout)}
    return {**found, "returncode": proc.returncode, "same": proc.returncode == 0}


def _last_json(text: str) -> dict | None:
    for line in reversed(text.splitlines()):
        line = line.strip()
        if line.startswith("{"):
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                continue
    return None


def change_one_state(national: Workspace, state: str, seed: int) -> dict[str, object]:
    """Regenerate one state's tract tables with another seed (a new upstream answer for that state only)."""
    sys.path.insert(0, str(BENCH_DIR))
    import generate_national as gen

    tracts = gen.read_state_tracts(national.snapshot, state)
    for path in (national.snapshot / "census_api" / gen.ACS_VINTAGE / gen.REAL_TRACT_ACS / state).glob("*.json"):
        path.unlink()
    sizes = gen.write_state_acs(national.snapshot, tracts, seed)
    return {"state": state, "tracts": len(tracts.tract), "files": len(sizes), "seed": seed}


def machine() -> dict[str, object]:
    mem_kb = 0
    cpu = platform.processor()
    try:
        meminfo = Path("/proc/meminfo").read_text().splitlines()
        cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
        mem_kb = int(next(line for line in meminfo if line.startswith("MemTotal")).split()[1])
        cpu = next(line for line in cpuinfo if line.startswith("model name")).split(":", 1)[1].strip()
    except (OSError, StopIteration):
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "mem_gb": round(mem_kb / 2**20, 1),
        "python": platform.python_version(),
        "load_at_start": round(os.getloadavg()[0], 2),
    }


def ratios(results: dict[str, dict]) -> dict[str, float | None]:
    """pipeline/pandas and pipeline/bare on the national input (wall seconds; the pipeline does more: every source,
    checks, releases; the references compute the census_api indicator values only)."""
    national = results.get("national") or {}
    out: dict[str, float | None] = {}
    for name in REFERENCES:
        ref = results.get(name) or {}
        ok = national.get("ok") and ref.get("seconds") and ref.get("status") != "missing"
        out[f"pipeline_over_{name}"] = round(national["seconds"] / ref["seconds"], 2) if ok else None
        out[f"pipeline_over_{name}_cpu"] = (
            round(national["cpu_seconds"] / ref["cpu_seconds"], 2) if ok and ref.get("cpu_seconds") else None
        )
    return out


def table(report: dict) -> str:
    """The report as a fixed-width table: one line per scenario, then the slowest steps of the national run."""
    lines = [
        f"{'scenario':<10} {'ok':<5} {'seconds':>8} {'cpu s':>7} {'peak RSS MB':>12} {'rows published':>15}  "
        "target / note"
    ]
    for name, r in report["scenarios"].items():
        rows = r.get("rows", {}).get("indicator_values") if isinstance(r.get("rows"), dict) else None
        if r.get("compare"):
            rows = r["compare"].get("rows_reference")
        target = TARGETS.get(name, {})
        note = ", ".join(f"<= {v} {'s' if k == 'seconds' else 'MB'}" for k, v in target.items())
        if r.get("status") == "missing":
            note = f"missing: {r.get('script')}"
        elif r.get("compare"):
            c = r["compare"]
            note = f"compare: {c.get('status') or ('same' if c.get('same') else 'DIFFERENT')} " + ", ".join(
                f"{k}={c[k]}" for k in ("missing", "extra", "value_mismatches") if k in c
            )
        lines.append(
            f"{name:<10} {('yes' if r.get('ok') else 'NO'):<5} {r.get('seconds', '-')!s:>8} {r.get('cpu_seconds', '-')!s:>7} "
            f"{r.get('peak_rss_mb', '-')!s:>12} {rows if rows is not None else '-'!s:>15}  {note}"
        )
    for key, value in report["ratios"].items():
        target = TARGETS.get(key.removesuffix("_cpu"))
        lines.append(f"{key}: {value if value is not None else '-'} (target {target})")
    for name in ("national", "snapshot", "one_state"):
        steps = (report["scenarios"].get(name) or {}).get("steps") or {}
        if steps:
            lines.append(f"slowest steps, {name} (seconds; all {len(steps)} in the JSON):")
            lines.extend(f"  {s:<55} {v:>7}" for s, v in list(steps.items())[:12])
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenarios", default=",".join(SCENARIOS), help=f"comma-separated, of {', '.join(SCENARIOS)}")
    parser.add_argument("--states", default="all", help="national input's states: 'all' or FIPS such as 11,44")
    parser.add_argument("--seed", type=int, default=22)
    parser.add_argument("--one-state", default="53", help="the state the one_state scenario changes (FIPS)")
    parser.add_argument("--work", type=Path, default=PROJECT_ROOT / "data" / "bench", help="working folder")
    parser.add_argument("--reuse-input", action="store_true", help="keep generated input already in --work")
    parser.add_argument("--real-snapshot", type=Path, default=None, help="default: SDOH_SNAPSHOT_DIR or ../shared/data")
    parser.add_argument("--json-out", type=Path, default=None)
    parser.add_argument(
        "--instance-yaml",
        type=Path,
        default=None,
        help="dagster.yaml for every scenario's Dagster instance (default: the project's SQLite one), e.g. "
        "config/deploy/dagster.yaml with DAGSTER_PG_* set: the runs are then stored in PostgreSQL",
    )
    parser.add_argument(
        "--references-dir",
        type=Path,
        default=BENCH_DIR,
        help="folder holding reference_pandas.py, reference_bare.py, reference_compare.py (default: benchmarks/)",
    )
    args = parser.parse_args(argv)
    wanted = [s.strip() for s in args.scenarios.split(",") if s.strip()]
    unknown = [s for s in wanted if s not in SCENARIOS]
    if unknown:
        parser.error(f"unknown scenario(s) {unknown}; choose from {SCENARIOS}")
    report = run(wanted, args)
    line = json.dumps(report, separators=(",", ":"))
    print(line, flush=True)
    print(table(report), flush=True)
    if args.json_out:
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(line + "\n")
    return 0 if all(r.get("ok") or r.get("status") == "missing" for r in report["scenarios"].values()) else 1


def run(wanted: list[str], args: argparse.Namespace) -> dict:
    """Run the wanted scenarios in a fixed order (national before the ones that read its release)."""
    sys.path.insert(0, str(PROJECT_ROOT))
    from assets.settings import CONFIG_DIR, settings_from_env

    real = (args.real_snapshot or settings_from_env().snapshot_dir).resolve()
    work = args.work.resolve()
    report: dict = {"machine": machine(), "states": args.states, "seed": args.seed, "scenarios": {}}
    results = report["scenarios"]
    if "snapshot" in wanted:
        ws = Workspace(work / "runs" / "snapshot", real, CONFIG_DIR, instance_yaml=args.instance_yaml).fresh()
        results["snapshot"] = refresh(ws, "--no-profiles")  # build and publish; the profiles are rendering, not this
    input_dir = work / f"input_{args.states.replace(',', '_')}_seed{args.seed}"
    national = Workspace(
        work / "runs" / "national", input_dir / "snapshot", input_dir / "config", instance_yaml=args.instance_yaml
    )
    if {"national", "one_state", "pandas", "bare"} & set(wanted):
        reusable = (input_dir / "snapshot" / "PROVENANCE.md").is_file() and not (input_dir / CHANGED_MARKER).exists()
        if not (args.reuse_input and reusable):
            gen = measure(
                [
                    sys.executable,
                    str(BENCH_DIR / "generate_national.py"),
                    "--out",
                    str(input_dir),
                    "--states",
                    args.states,
                    "--seed",
                    str(args.seed),
                    "--snapshot",
                    str(real),
                ]
            )
            report["generate"] = {"ok": gen.returncode == 0, "seconds": gen.seconds, **(_last_json(gen.stdout) or {})}
            if gen.returncode != 0:
                report["generate"]["error"] = _tail(gen.stderr)
                return {**report, "ratios": ratios(results)}
    if "national" in wanted:
        results["national"] = refresh(national.fresh(), "--no-profiles")
    for name in ("pandas", "bare"):
        if name in wanted:
            results[name] = run_reference(name, national, work / "runs", args.references_dir.resolve())
    if "one_state" in wanted:
        if not (results.get("national") or {}).get("ok"):
            results["one_state"] = {"ok": False, "error": "needs a successful national run in the same invocation"}
        else:
            states = sorted(p.name for p in (national.snapshot / "census_api/2023/acs/acs5/tract").iterdir())
            state = args.one_state.zfill(2) if args.one_state.zfill(2) in states else states[0]
            (input_dir / CHANGED_MARKER).write_text(f"state {state} regenerated with seed {args.seed + 1}\n")
            change = change_one_state(national, state, args.seed + 1)
            results["one_state"] = {
                **refresh(national, "--source", "census_api", "--vintage", "2023"),
                "changed": change,
            }
    report["ratios"] = ratios(results)
    return report


if __name__ == "__main__":
    raise SystemExit(main())
