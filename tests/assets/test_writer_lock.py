"""One writer per working folder: the lock itself, the warehouse resource that holds it for a whole Dagster run, and
the CLI that refuses (or waits) naming the run that holds it. Processes are real processes, as two `make run` or a
UI run beside a CLI run would be."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from assets.settings import PROJECT_ROOT
from assets.writer_lock import WriterBusy, hold_writer_lock, holder

HOLDER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from assets.writer_lock import hold_writer_lock
    with hold_writer_lock(Path(sys.argv[1]), run_id=sys.argv[2]):
        Path(sys.argv[3]).write_text("held")
        time.sleep(float(sys.argv[4]))
    """
)


def _start_holder(data_dir: Path, tmp_path: Path, run_id: str, seconds: float) -> subprocess.Popen:
    ready = tmp_path / f"{run_id}.ready"
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(data_dir), run_id, str(ready), str(seconds)], cwd=PROJECT_ROOT
    )
    deadline = time.monotonic() + 30
    while not ready.exists():
        assert proc.poll() is None and time.monotonic() < deadline, "the holder never took the lock"
        time.sleep(0.01)
    return proc


def test_a_second_writer_stops_at_once_naming_the_holder(tmp_path: Path) -> None:
    data = tmp_path / "data"
    proc = _start_holder(data, tmp_path, "GENERATED-run-a", 30)
    try:
        started = time.monotonic()
        with pytest.raises(WriterBusy) as busy, hold_writer_lock(data, run_id="b", wait_seconds=0):
            pass
        assert time.monotonic() - started < 2
        text = str(busy.value)
        assert "run GENERATED-run-a" in text and f"pid {proc.pid}" in text and "another run is writing" in text
        assert holder(data)["run_id"] == "GENERATED-run-a"
    finally:
        proc.kill()
        proc.wait()


def test_a_waiting_writer_says_who_it_waits_for_and_goes_on_when_the_holder_ends(tmp_path: Path) -> None:
    data = tmp_path / "data"
    proc = _start_holder(data, tmp_path, "GENERATED-run-a", 1.5)
    said = []
    started = time.monotonic()
    with hold_writer_lock(data, run_id="GENERATED-run-b", wait_seconds=30, on_wait=said.append):
        assert time.monotonic() - started > 1.0, "got the lock while the holder still held it (1.5 s)"
        assert holder(data)["run_id"] == "GENERATED-run-b"
    assert len(said) == 1 and "held by run GENERATED-run-a" in said[0]
    proc.wait()


def test_a_killed_holder_leaves_no_stale_lock(tmp_path: Path) -> None:
    data = tmp_path / "data"
    proc = _start_holder(data, tmp_path, "GENERATED-run-a", 60)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    with hold_writer_lock(data, run_id="after", wait_seconds=0):
        assert holder(data)["run_id"] == "after"


def test_the_lock_is_reentrant_within_a_process(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with hold_writer_lock(data, run_id="outer"), hold_writer_lock(data, run_id="inner", wait_seconds=0):
        assert holder(data)["run_id"] == "outer"


# A Dagster job of two assets on the project's own warehouse resource (assets.resources.LockedWarehouse): the
# first writes this run's marker into a table and pauses, the second reads the table back. Two runs of it start
# together on one working folder; if their steps interleaved, one run would read the other's marker.
RUN = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    import dagster as dg
    from assets.resources import LockedWarehouse

    data_dir, marker, out = sys.argv[1], sys.argv[2], sys.argv[3]

    @dg.asset
    def write_marker(warehouse: LockedWarehouse) -> None:
        Path(out + ".first_step").write_text(repr(time.time()))
        with warehouse.get_connection() as con:
            con.execute("create or replace table marker as select ? as m", [marker])
        time.sleep(1.5)

    @dg.asset(deps=[write_marker])
    def read_marker(context: dg.AssetExecutionContext, warehouse: LockedWarehouse) -> None:
        with warehouse.get_connection() as con:
            seen = con.execute("select m from marker").fetchone()[0]
        Path(out).write_text(json.dumps({"run_id": context.run_id, "seen": seen, "last_step": time.time()}))

    defs = dg.Definitions(
        assets=[write_marker, read_marker],
        resources={"warehouse": LockedWarehouse(database=f"{data_dir}/warehouse.duckdb", data_dir=data_dir)},
        executor=dg.in_process_executor,
    )
    job = defs.resolve_implicit_global_asset_job_def()
    started = time.time()
    with dg.DagsterInstance.ephemeral() as instance:
        result = job.execute_in_process(instance=instance, raise_on_error=False)
    report = json.loads(Path(out).read_text()) if result.success else {}
    report.update(success=result.success, started=started, first_step=float(Path(out + ".first_step").read_text()))
    Path(out).write_text(json.dumps(report))
    """
)


def test_two_runs_started_together_on_one_folder_serialize_and_each_reads_its_own_data(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    outs = {m: tmp_path / f"{m}.json" for m in ("GENERATED-A", "GENERATED-B")}
    procs = [
        subprocess.Popen([sys.executable, "-c", RUN, str(data), m, str(out)], cwd=PROJECT_ROOT)
        for m, out in outs.items()
    ]
    for proc in procs:
        assert proc.wait(timeout=120) == 0
    reports = {m: json.loads(out.read_text()) for m, out in outs.items()}
    assert all(r["success"] for r in reports.values())
    assert {m: r["seen"] for m, r in reports.items()} == {m: m for m in outs}  # no run read the other's marker
    first, second = sorted(reports.values(), key=lambda r: r["first_step"])
    assert first["last_step"] <= second["first_step"], "the two runs' steps interleaved"


def test_the_cli_refuses_with_no_wait_naming_the_run_that_holds_the_folder(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {**os.environ, "SDOH_DATA_DIR": str(data), "DAGSTER_HOME": str(tmp_path / "home")}
    with hold_writer_lock(data, run_id="GENERATED-ui-run"):
        out = subprocess.run(
            [sys.executable, "-m", "pipelines.cli", "release", "--no-wait"],
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert out.returncode == 75, out.stderr[-2000:]
    last = out.stderr.strip().splitlines()[-1]
    assert last.startswith("error:") and "run GENERATED-ui-run" in last and "another run is writing" in last
    assert not (data / "published").exists() and not (data / "warehouse" / "sdoh.duckdb").exists()
