"""What ``sdoh refresh`` prints: one line per step while a run executes, and, when the run stops, the error a person
can act on.

The command reads the run's records back from the Dagster instance's event log as they are stored (so the run's job
stays exactly the code location's job; see ``pipelines/launch.py``). Every record, at every level, goes to a log file
(``<working data>/logs/<run_id>.log``); the step events (``STEP_START``, ``ASSET_MATERIALIZATION``,
``ASSET_CHECK_EVALUATION``, ``STEP_SUCCESS``, ``STEP_FAILURE``, ``STEP_SKIPPED``) become progress lines:

    [12/36] stg_census_api__estimates  ok       3.1s  512,956 rows

When the run fails, :meth:`RunConsole.report_failure` reads the run's events (``ExecuteInProcessResult``) and prints,
last, the user error raised in each failed step (the parser's own message, which names the file, the record, the
field and the value, not Dagster's "Error occurred while executing op" wrapper around it) and the description and
failures of each failed blocking asset check, then where the full log is and that no release was published.
"""

from __future__ import annotations

import logging
import sys
import time
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import dagster as dg

# The console logger's own key: this command's logger stands in for Dagster's default console logger, so the run
# config stored with the run ({"loggers": {"console": {}}}) stays valid for the job as the UI has it (re-execution).
LOGGER_KEY = "console"
FILE_FORMAT = "%(asctime)s %(levelname)-7s %(message)s"
MAX_CHECK_FAILURE_LINES = 10  # a failed check lists at most this many failed expectations; the log has them all
MAX_LABEL_WIDTH = 45  # longer step names push their line's columns right
STEP_END_EVENTS = {"STEP_SUCCESS", "STEP_FAILURE", "STEP_SKIPPED"}


def shown_path(path: Path) -> str:
    """`path` relative to the current folder when it lies inside it (``data/logs/…``), else absolute."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def user_error(error: Any) -> tuple[str, str]:
    """(exception class, message) of the error a step raised, without Dagster's wrappers.

    Dagster wraps an exception raised in an asset in ``DagsterExecutionStepExecutionError`` ("Error occurred while
    executing op …") and keeps the original as its cause; the first cause that is not Dagster's own is the user's
    (a parser's ``SourceError`` rather than the ``ValueError`` it was raised from). Falls back to the outermost
    error when every error in the chain is Dagster's."""
    chain = []
    while error is not None:
        chain.append(error)
        error = error.cause
    if not chain:
        return "", ""
    # A `dg.Failure` raised from an error (assets/raw/retries.py) stands for that error: show the error itself.
    chosen = next(
        (e for e in chain if not e.cls_name.startswith("Dagster") and not (e.cls_name == "Failure" and e.cause)),
        chain[0],
    )
    message = chosen.message.strip()
    head, sep, rest = message.partition(":")
    if sep and head.rsplit(".", 1)[-1] == chosen.cls_name:  # "sources.census_api.parse.CensusResponseError: …"
        message = rest.strip()
    return chosen.cls_name, message


def _indented(text: str, limit: int | None = None) -> list[str]:
    lines = [line for line in text.splitlines() if line.strip()]
    shown = lines if limit is None else lines[:limit]
    more = [f"    … and {len(lines) - len(shown)} more (see the full log)"] if len(lines) > len(shown) else []
    return [f"    {line}" for line in shown] + more


# Dagster's own console logger is quieted for runs this command starts (its records still all reach the event log,
# which this command reads): run config, so the run's job stays exactly the code location's job.
QUIET_CONSOLE = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


class RunConsole:
    """Console and log file of one run started from the command line.

    :meth:`on_record` is handed every event log entry of the run as it is stored (``pipelines.launch.EventTail``):
    each goes to the log file, step events become progress lines. :meth:`execute` runs a job object in process the
    same way (the tests' small jobs); the CLI runs the code location's jobs through ``pipelines.launch``."""

    def __init__(
        self,
        total: int,
        log_dir: Path,
        out: TextIO | None = None,
        err: TextIO | None = None,
        run_id: str | None = None,
        step_names: Iterable[str] = (),
    ):
        self.run_id = run_id or str(uuid.uuid4())
        self.log_path = Path(log_dir) / f"{self.run_id}.log"
        self.total = total
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.tty = self.out.isatty()
        self.finished = 0
        self.check_steps: set[str] = set()
        self._started: dict[str, float] = {}
        self._rows: dict[str, list[int | None]] = {}
        self._partitions: dict[str, list[str]] = {}
        self._checks: dict[str, Any] = {}
        self._width = min(MAX_LABEL_WIDTH, max((len(n) for n in step_names), default=20))
        self._log: TextIO | None = None

    @classmethod
    def for_job(cls, job: dg.JobDefinition, log_dir: Path, **kwargs: Any) -> RunConsole:
        return cls(len(job.graph.nodes), log_dir, step_names=[n.name for n in job.graph.nodes], **kwargs)

    # -- the log -----------------------------------------------------------------------------------------------
    def open_log(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("a", encoding="utf-8")

    def close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def on_record(self, entry: Any) -> None:
        """One stored event log entry of the run: to the log file; step events and warnings to the console."""
        if self._log is not None:
            self._log.write(_log_text(entry) + "\n")
            self._log.flush()
        event = entry.dagster_event
        if event is not None:
            self.on_event(event)
        elif entry.level == logging.WARNING and entry.step_key not in self.check_steps:
            self.warning(entry.user_message)

    def execute(
        self, job: dg.JobDefinition, instance: dg.DagsterInstance, run_config: dict | None = None
    ) -> dg.ExecuteInProcessResult:
        """Run a job object in process on `instance`, printing its steps as they finish; never raises on failure."""
        from pipelines.launch import EventTail

        self.open_log()
        tail = EventTail(instance, self.run_id, self.on_record)
        tail.start()
        try:
            return job.execute_in_process(
                run_config={**(run_config or {}), **QUIET_CONSOLE},
                instance=instance,
                run_id=self.run_id,
                raise_on_error=False,
            )
        finally:
            tail.stop()
            self.close_log()

    def _print(self, line: str) -> None:
        if self.tty:
            line = "\r\033[K" + line
        print(line, file=self.out, flush=True)

    def warning(self, message: str) -> None:
        self._print(f"{'':{len(self._counter(0))}} warning: {message}")

    def _counter(self, n: int) -> str:
        width = len(str(self.total))
        return f"[{n:>{width}}/{self.total}]"

    def on_event(self, event: dg.DagsterEvent) -> None:
        kind, step = event.event_type_value, event.step_key
        if step is None:
            return
        if kind == "STEP_START":
            self._started[step] = time.monotonic()
            if self.tty:
                self.out.write(f"\r\033[K{self._counter(self.finished + 1)} {step} …")
                self.out.flush()
        elif kind == "ASSET_MATERIALIZATION":
            materialization = event.step_materialization_data.materialization
            if materialization.partition:  # a single-run backfill: one event per partition, the run's rows on each
                self._partitions.setdefault(step, []).append(materialization.partition)
                if len(self._partitions[step]) > 1:
                    return
            row_count = materialization.metadata.get("dagster/row_count")
            self._rows.setdefault(step, []).append(getattr(row_count, "value", None))
        elif kind == "ASSET_CHECK_EVALUATION":
            self.check_steps.add(step)
            self._checks[step] = event.event_specific_data
        elif kind in STEP_END_EVENTS:
            self.finished += 1
            self._print(self._step_line(step, kind))

    def _step_line(self, step: str, kind: str) -> str:
        seconds = time.monotonic() - self._started.get(step, time.monotonic())
        check = self._checks.get(step)
        label, detail = step, ""
        if check is not None:
            key = check.asset_check_key
            asset = key.asset_key.to_user_string()
            label = f"check {key.name}" if asset in key.name else f"check {key.to_user_string()}"  # gx_<asset>
            if check.passed:
                status, detail = "passed", check.description or ""
            elif check.severity == dg.AssetCheckSeverity.ERROR:
                status, detail = "FAILED", "blocking check; what it found is printed at the end"
            else:
                status, detail = "warn", (check.description or "").splitlines()[0] if check.description else ""
        elif kind == "STEP_SUCCESS":
            status = "ok"
            rows = self._rows.get(step, [])
            counted = [r for r in rows if r is not None]
            partitions = self._partitions.get(step, [])
            parts = [f"{len(rows)} assets"] if len(rows) > 1 else []
            parts += [f"{len(partitions)} partitions"] if len(partitions) > 1 else []
            parts += [f"{sum(counted):,} rows"] if counted else []
            detail = ", ".join(parts)
        elif kind == "STEP_FAILURE":
            status, detail = "FAILED", "the error is printed at the end"
        else:
            status = "skipped"
        line = f"{self._counter(self.finished)} {label:<{self._width}}  {status:<7}{seconds:6.1f}s"
        return f"{line}  {detail}".rstrip()

    # -- the end -----------------------------------------------------------------------------------------------
    def failure_lines(self, result: dg.ExecuteInProcessResult) -> list[str]:
        """What went wrong, in the words of the errors themselves: failed blocking checks, then failed steps."""
        events = result.all_events
        failed_checks = [
            e.event_specific_data
            for e in events
            if e.event_type_value == "ASSET_CHECK_EVALUATION"
            and not e.event_specific_data.passed
            and e.event_specific_data.severity == dg.AssetCheckSeverity.ERROR
        ]
        lines: list[str] = []
        for event in events:
            if not event.is_step_failure:
                continue
            cls_name, message = user_error(event.step_failure_data.error)
            if cls_name == "DagsterAssetCheckFailedError":
                continue  # "1 blocking asset check failed": said below, with what the check found
            lines += [f"{event.step_key} failed:", *_indented(f"{cls_name}: {message}" if cls_name else message)]
        for check in failed_checks:
            asset = check.asset_check_key.asset_key.to_user_string()
            lines.append(
                f"check {check.asset_check_key.to_user_string()} failed: {asset} was written, "
                "but nothing that reads it ran:"
            )
            failures = check.metadata.get("failures")
            text = getattr(failures, "text", None) or check.description or "(no description)"
            lines += _indented(text, MAX_CHECK_FAILURE_LINES)
        if not lines:  # the run stopped outside any step (e.g. a resource failed to start)
            for event in events:
                error = getattr(event.event_specific_data, "error", None)
                if error is not None:
                    cls_name, message = user_error(error)
                    lines += [f"{event.event_type_value.lower()}:", *_indented(f"{cls_name}: {message}")]
        return lines

    def report_failure(self, result: dg.ExecuteInProcessResult, elapsed: float) -> None:
        """Print, to stderr and last, what stopped the run, where the full log is and that nothing was published."""
        failed_steps = sum(1 for e in result.all_events if e.is_step_failure)
        not_run = self.total - self.finished
        print(
            f"run {result.run_id} failed after {elapsed:.0f}s: {failed_steps} of {self.total} steps failed, "
            f"{not_run} did not run (they need what a failed step or blocking check would have produced)",
            file=self.err,
        )
        for line in self.failure_lines(result):
            print(line, file=self.err)
        print(f"full log: {shown_path(self.log_path)}", file=self.err)
        published = any(
            e.is_step_materialization and e.asset_key == dg.AssetKey("published_release") for e in result.all_events
        )
        print(
            "a release was written before the run failed; see the log"
            if published
            else "no release was published; the earlier releases are unchanged",
            file=self.err,
            flush=True,
        )


def _log_text(entry: Any) -> str:
    """An event log entry as the log file shows it: time, level, step, event type, message, and any error in full."""
    when = datetime.fromtimestamp(entry.timestamp, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")
    event = entry.dagster_event
    text = entry.user_message or ""
    kind = f"{event.event_type.name} " if event is not None else ""  # RUN_START (its stored value is PIPELINE_START)
    step = f"[{entry.step_key}] " if entry.step_key else ""
    line = f"{when} {logging.getLevelName(entry.level):<7} {step}{kind}{text}"
    error = getattr(getattr(event, "event_specific_data", None), "error", None) if event is not None else None
    return f"{line}\n{error.to_string()}" if error is not None else line
