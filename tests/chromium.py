"""Headless Chromium for the browser tests (the Dagster UI, the equity profiles, the dashboard): finding it, driving
one tab over the DevTools protocol until a page has drawn what it must show, and stopping it with its helpers.

Why the DevTools protocol and a condition, not ``--dump-dom --virtual-time-budget``: the Dagster UI lays out its
asset graph in a web worker and a Streamlit page draws from websocket messages; neither is bound by Chromium's
virtual time, so a budget that is enough on a quiet machine is not on a loaded CI runner (CI once saw the asset graph
page before its groups were drawn). Waiting for what the page must show, up to a generous deadline, is both faster
when the machine is quiet and safe when it is not.

Chromium's helper processes (renderer, crashpad) can outlive the browser for a moment and keep writing to its
profile folder (CI once failed removing it: "Directory not empty: 'Default'"). So the browser is started in a process
group of its own (``start_new_session=True``) and the whole group is stopped.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from assets.reports.profile_render import CHROMIUM_FLAGS
from assets.settings import PROJECT_ROOT
from tests.ci_installs import wait_ready_file

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
READY_ENV = "SDOH_BROWSER_READY_FILE"  # .ci/run touches it when its background apt-get ends (its exit code inside)


def artifacts_dir(name: str) -> Path:
    """Where a browser test keeps its screenshots and pages for people to look at: ``$SDOH_TEST_ARTIFACTS/<name>``
    (default ``data/test-artifacts/<name>``)."""
    path = Path(os.environ.get("SDOH_TEST_ARTIFACTS") or PROJECT_ROOT / "data" / "test-artifacts") / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def chromium_or_skip(required: bool = True) -> str | None:
    """The chromium path, once .ci/run's background install is done. Missing: a failure in CI, a skip locally (or
    None when ``required`` is false, for a test that can do part of its work without a browser)."""
    wait_ready_file(READY_ENV, "chromium")
    if Path(CHROMIUM).is_file():
        return CHROMIUM
    message = f"chromium is missing at {CHROMIUM}: apt-get install chromium (.ci/run installs it)"
    if os.environ.get("CI"):
        pytest.fail(message)
    if required:
        pytest.skip(message)
    return None


def visible_text(html: str) -> str:
    """A page's text from its DOM, roughly: scripts and styles dropped, tags dropped (text inside SVG kept),
    whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)).split())


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


class Tab:
    """One page of a headless Chromium, driven over its DevTools websocket."""

    def __init__(self, ws) -> None:
        self.ws = ws
        self.next_id = 0

    def call(self, method: str, **params):
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv(timeout=60))
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression: str):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        return result.get("result", {}).get("value")

    def wait_for(self, expression: str, timeout: float) -> bool:
        """Poll a JavaScript condition until it holds (True) or ``timeout`` seconds pass (False)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.evaluate(expression):
                return True
            time.sleep(0.25)
        return False

    def open(self, url: str, done: str, timeout: float) -> bool:
        """Navigate to ``url`` and wait until the JavaScript condition ``done`` holds."""
        self.call("Page.navigate", url=url)
        return self.wait_for(f"document.location.href === {json.dumps(url)} && ({done})", timeout)

    def dom(self) -> str:
        return self.evaluate("document.documentElement.outerHTML")

    def screenshot(self, path: Path, content_selector: str = "body") -> None:
        """The page down to the bottom of ``content_selector`` (plus a margin), within the window: the window is
        opened tall enough instead of resized, because resizing makes Streamlit slide its sidebar shut."""
        box = self.evaluate(
            f"(() => {{ const r = document.querySelector({json.dumps(content_selector)}).getBoundingClientRect();"
            " return [window.innerWidth, window.innerHeight, Math.ceil(r.bottom)]; })()"
        )
        width, window_height, bottom = box
        clip = {"x": 0, "y": 0, "width": width, "height": min(window_height, bottom + 48), "scale": 1}
        data = self.call("Page.captureScreenshot", format="png", clip=clip)["data"]
        path.write_bytes(base64.b64decode(data))


@contextlib.contextmanager
def devtools_chromium(chromium: str, *flags: str) -> Iterator[tuple[int, str]]:
    """A headless Chromium with a new profile, its DevTools port open on loopback and a blank page; yields (port,
    the browser's websocket path). Stopped afterwards: its whole process group, and a file its helpers leave in the
    profile does not fail the test."""
    with tempfile.TemporaryDirectory(prefix="sdoh-chromium-", ignore_cleanup_errors=True) as profile:
        process = subprocess.Popen(
            [
                chromium,
                *CHROMIUM_FLAGS,
                "--hide-scrollbars",
                *flags,
                f"--user-data-dir={profile}",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            active = Path(profile) / "DevToolsActivePort"  # "<port>\n<browser websocket path>" once it listens
            deadline = time.monotonic() + 60
            while not (active.is_file() and len(active.read_text().splitlines()) >= 2):
                if process.poll() is not None:
                    raise RuntimeError(f"chromium exited with {process.returncode}")
                if time.monotonic() > deadline:
                    raise RuntimeError("chromium did not open its DevTools port within 60 s")
                time.sleep(0.1)
            port, path = active.read_text().splitlines()[:2]
            yield int(port), path
        finally:
            stop_group(process)


@contextlib.contextmanager
def chromium_tab(chromium: str, width: int = 1400, height: int = 3200) -> Iterator[Tab]:
    """One blank tab of a :func:`devtools_chromium`, ``width`` x ``height``."""
    import requests
    from websockets.sync.client import connect

    with devtools_chromium(chromium, f"--window-size={width},{height}") as (port, _):
        targets = requests.get(f"http://127.0.0.1:{port}/json/list", timeout=10).json()
        page = next(t for t in targets if t["type"] == "page")
        with connect(page["webSocketDebuggerUrl"], max_size=None) as ws:
            tab = Tab(ws)
            tab.call("Page.enable")
            tab.call("Runtime.enable")
            yield tab
