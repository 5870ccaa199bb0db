"""One writer at a time for a working folder: the warehouse and the published releases under ``<data_dir>``.

DuckDB allows one writing process per file, and a release must be built from the tables of one run only. A run
therefore holds an exclusive ``flock`` on ``<data_dir>/.writer.lock`` from the moment it first opens the warehouse
until it ends (the warehouse resource takes it, see :mod:`assets.resources`; the CLI's release commands take it
too). A second run either waits, saying who holds the lock, or stops at once naming the holder: the run id, the
process, the command and when it started, read from the lock file.

``flock`` locks belong to an open file, so the kernel releases them when the holder dies (even by SIGKILL): a
crashed run never leaves a stale lock. Re-entrant within one process (the CLI holds it while the in-process
Dagster run takes it again). No Dagster import: the CLI and the tests use it directly.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

LOCK_NAME = ".writer.lock"
_POLL_SECONDS = 0.5


class WriterBusy(RuntimeError):
    """Another process holds the working folder's writer lock."""


_held: dict[str, tuple[int, int]] = {}  # lock path -> (fd, depth) for this process
_guard = threading.Lock()


def lock_path(data_dir: Path) -> Path:
    return Path(data_dir) / LOCK_NAME


def holder(data_dir: Path) -> dict[str, Any] | None:
    """Who holds (or last held) the lock, as its holder wrote it; None if nobody ever did."""
    try:
        text = lock_path(data_dir).read_text()
    except FileNotFoundError:
        return None
    try:
        return json.loads(text) if text.strip() else None
    except json.JSONDecodeError:
        return None


def describe(info: dict[str, Any] | None) -> str:
    if not info:
        return "another process (it wrote no details)"
    run = f"run {info['run_id']}" if info.get("run_id") else "a process"
    return f"{run} (pid {info.get('pid')} on {info.get('host')}, `{info.get('command')}`, since {info.get('since')})"


@contextmanager
def hold_writer_lock(
    data_dir: Path,
    *,
    run_id: str | None = None,
    wait_seconds: float = 0.0,
    on_wait: Callable[[str], None] | None = None,
) -> Iterator[None]:
    """Hold the working folder's writer lock for the block; wait up to ``wait_seconds`` for it, else raise
    :class:`WriterBusy` naming the holder."""
    path = lock_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    key = str(path.resolve())
    with _guard:
        if key in _held:
            fd, depth = _held[key]
            _held[key] = (fd, depth + 1)
            reentered = True
        else:
            reentered = False
    if reentered:
        try:
            yield
        finally:
            with _guard:
                fd, depth = _held[key]
                _held[key] = (fd, depth - 1)
        return

    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + max(wait_seconds, 0.0)
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                who = describe(holder(data_dir))
                if time.monotonic() >= deadline:
                    raise WriterBusy(
                        f"{data_dir}: another run is writing this working folder: {who}. Wait for it to finish "
                        "(or stop it), then run again; its lock is released when it ends, even if it crashes."
                    ) from None
                if not told and on_wait is not None:
                    on_wait(f"waiting for the writer lock on {data_dir}, held by {who}")
                    told = True
                time.sleep(_POLL_SECONDS)
        info = {
            "run_id": run_id,
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "command": " ".join(os.path.basename(a) if i == 0 else a for i, a in enumerate(sys.argv))[:200],
            "since": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(info).encode(), 0)
        with _guard:
            _held[key] = (fd, 1)
        try:
            yield
        finally:
            with _guard:
                _held.pop(key, None)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def held_by_this_process(data_dir: Path) -> bool:
    with _guard:
        return str(lock_path(data_dir).resolve()) in _held
