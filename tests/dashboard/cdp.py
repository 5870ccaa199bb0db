"""Headless Chromium driven over the DevTools protocol (websockets, already a dependency), for pages that render
after load: a Streamlit page draws its content from messages on a websocket, which ``--dump-dom`` and
``--virtual-time-budget`` do not wait for. Open a URL, wait until a JavaScript condition holds, then take the DOM
and a full-page screenshot."""

from __future__ import annotations

import base64
import json
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import requests
from websockets.sync.client import connect

from assets.reports.profile_render import CHROMIUM_FLAGS
from tests.chromium import stop_group

FLAGS = (*CHROMIUM_FLAGS, "--hide-scrollbars")


class Tab:
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
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.evaluate(expression):
                return True
            time.sleep(0.25)
        return False

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


@contextmanager
def chromium_tab(chromium: str, width: int = 1400, height: int = 3200):
    """A headless Chromium with a new profile and one blank tab; stopped afterwards."""
    # Chromium's helper processes (renderer, crashpad) may still write to the profile for a moment after the browser
    # exits: the browser runs in its own process group, the whole group is stopped, and a file left behind does not
    # fail the test (seen once in CI: "Directory not empty: 'Default'").
    with tempfile.TemporaryDirectory(ignore_cleanup_errors=True) as profile:
        process = subprocess.Popen(
            [
                chromium,
                *FLAGS,
                f"--user-data-dir={profile}",
                f"--window-size={width},{height}",
                "--remote-debugging-address=127.0.0.1",
                "--remote-debugging-port=0",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            port_file = Path(profile) / "DevToolsActivePort"
            deadline = time.monotonic() + 60
            while not (port_file.is_file() and port_file.read_text().strip()) and time.monotonic() < deadline:
                if process.poll() is not None:
                    raise RuntimeError(f"chromium exited with {process.returncode}")
                time.sleep(0.1)
            port = int(port_file.read_text().split()[0])
            targets = requests.get(f"http://127.0.0.1:{port}/json/list", timeout=10).json()
            page = next(t for t in targets if t["type"] == "page")
            with connect(page["webSocketDebuggerUrl"], max_size=None) as ws:
                tab = Tab(ws)
                tab.call("Page.enable")
                tab.call("Runtime.enable")
                yield tab
        finally:
            stop_group(process)
