"""Waiting for what .ci/run installs in the background while the tests already run (Debian packages by one apt-get;
the dashboard's own environment): each writes its exit code to a file named by an environment variable when it
ends, and a test that needs it waits here instead of CI waiting for every install up front. Locally the variables
are unset and nothing waits."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

APT_READY_ENV = "SDOH_APT_READY_FILE"  # Debian packages (chromium, poppler-utils, postgresql): one apt-get


def wait_ready_file(variable: str, what: str, timeout: float = 600) -> None:
    """Wait (``timeout`` seconds at most) for the file .ci/run writes when a background install ends; fail naming
    ``what`` if the install failed or never ended."""
    ready = os.environ.get(variable)
    if not ready:
        return
    deadline = time.monotonic() + timeout
    while not Path(ready).exists() and time.monotonic() < deadline:
        time.sleep(1)
    status = Path(ready).read_text().strip() if Path(ready).is_file() else "timeout"
    if status not in ("", "0"):
        pytest.fail(f"installing {what} failed ({status}); see .ci/run's log")
