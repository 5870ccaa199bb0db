"""Stopping a headless Chromium that a browser test started (tests/reports/cdp.py, tests/dashboard/cdp.py).

Chromium's helper processes (renderer, crashpad) can outlive the browser for a moment and keep writing to its
profile folder (CI once failed removing it: "Directory not empty: 'Default'"). So the browser is started in a process
group of its own (``start_new_session=True``) and the whole group is stopped here.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess


def stop_group(process: subprocess.Popen) -> None:
    """SIGTERM to the browser's process group, SIGKILL if it is still running after 10 s, then SIGKILL to helpers
    that outlived it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=10)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
