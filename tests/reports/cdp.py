"""A minimal Chrome DevTools Protocol client (over the ``websockets`` package) for the profile tests: open a page in
headless Chromium, collect what its console, its JavaScript runtime and its network did while it loaded, and take a
full-page screenshot.

Why CDP and not ``--enable-logging=stderr``: the log mixes Chromium's own noise (GPU, D-Bus, sandbox) with the
page's messages in a format that changes between versions; CDP reports the page's console calls, uncaught
exceptions, log entries (failed loads, blocked resources) and every network request as structured events.
"""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.chromium import devtools_chromium

LOCAL_SCHEMES = ("file:", "data:", "about:")


@dataclass
class PageReport:
    url: str
    console: list[dict[str, Any]] = field(default_factory=list)  # Runtime.consoleAPICalled (type, text)
    exceptions: list[str] = field(default_factory=list)  # Runtime.exceptionThrown
    log_entries: list[dict[str, Any]] = field(default_factory=list)  # Log.entryAdded (level, text, url)
    requests: list[str] = field(default_factory=list)  # Network.requestWillBeSent URLs
    height: int = 0

    @property
    def errors(self) -> list[str]:
        """Console errors and warnings, uncaught exceptions and error log entries."""
        found = [
            f"console.{c['type']}: {c['text']}" for c in self.console if c["type"] in ("error", "warning", "assert")
        ]
        found += [f"exception: {e}" for e in self.exceptions]
        found += [
            f"log {e['level']}: {e['text']} {e.get('url', '')}" for e in self.log_entries if e["level"] == "error"
        ]
        return found

    @property
    def external_requests(self) -> list[str]:
        return [u for u in self.requests if not u.startswith(LOCAL_SCHEMES)]


class Browser:
    """One headless Chromium for several pages (one tab each, one after another)."""

    def __init__(self, chromium: str, width: int = 1100) -> None:
        from websockets.sync.client import connect

        self.width = width
        self._stack = contextlib.ExitStack()
        try:
            port, path = self._stack.enter_context(devtools_chromium(chromium))
            self.ws = self._stack.enter_context(
                connect(f"ws://127.0.0.1:{port}{path}", max_size=2**28, open_timeout=30)
            )
        except BaseException:
            self._stack.close()
            raise
        self._ids = itertools.count(1)

    def close(self) -> None:
        """Close the DevTools connection, then stop the browser (tests/chromium.py)."""
        self._stack.close()

    def __enter__(self) -> Browser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _send(self, method: str, params: dict | None = None, session: str | None = None, timeout: float = 60) -> dict:
        """Send a command and wait for its answer; events that arrive meanwhile go to ``self._events``."""
        message_id = next(self._ids)
        message = {"id": message_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        self.ws.send(json.dumps(message))
        deadline = time.monotonic() + timeout
        while True:
            reply = json.loads(self.ws.recv(timeout=max(0.1, deadline - time.monotonic())))
            if reply.get("id") == message_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self._events.append(reply)

    def open(self, url: str, screenshot: Path | None = None, timeout: float = 60) -> PageReport:
        """Load ``url`` in a new tab, wait for its load event, and report what happened; optionally save a
        full-page PNG."""
        self._events: list[dict] = []
        target = self._send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self._send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        report = PageReport(url)
        try:
            for domain in ("Runtime", "Log", "Page", "Network"):
                self._send(f"{domain}.enable", session=session)
            self._send(
                "Emulation.setDeviceMetricsOverride",
                {"width": self.width, "height": 900, "deviceScaleFactor": 1, "mobile": False},
                session=session,
            )
            self._events.clear()
            self._send("Page.navigate", {"url": url}, session=session)
            deadline = time.monotonic() + timeout
            loaded = False
            while not loaded:
                loaded = any(e.get("method") == "Page.loadEventFired" for e in self._events)
                if not loaded:
                    self._events.append(json.loads(self.ws.recv(timeout=max(0.1, deadline - time.monotonic()))))
            time.sleep(0.05)  # a console message sent right after the load event (the pages have no script)
            metrics = self._send("Page.getLayoutMetrics", session=session)
            report.height = int(metrics["cssContentSize"]["height"])
            if screenshot is not None:
                shot = self._send(
                    "Page.captureScreenshot",
                    {
                        "format": "png",
                        "captureBeyondViewport": True,
                        "fromSurface": True,
                        "clip": {"x": 0, "y": 0, "width": self.width, "height": report.height, "scale": 1},
                    },
                    session=session,
                    timeout=120,
                )
                screenshot.write_bytes(base64.b64decode(shot["data"]))
        finally:
            self._collect(report, session)
            self._send("Target.closeTarget", {"targetId": target})
        return report

    def _collect(self, report: PageReport, session: str) -> None:
        for event in self._events:
            if event.get("sessionId") != session:
                continue
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.consoleAPICalled":
                text = " ".join(str(a.get("value", a.get("description", ""))) for a in params.get("args", []))
                report.console.append({"type": params.get("type"), "text": text})
            elif method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                report.exceptions.append(details.get("exception", {}).get("description") or details.get("text", ""))
            elif method == "Log.entryAdded":
                entry = params.get("entry", {})
                report.log_entries.append(
                    {"level": entry.get("level"), "text": entry.get("text"), "url": entry.get("url")}
                )
            elif method == "Network.requestWillBeSent":
                report.requests.append(params.get("request", {}).get("url", ""))
