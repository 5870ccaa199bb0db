"""Where a run-failure alert goes: a JSON line appended to a file, and optionally a POST of the same JSON.

Kept free of Dagster (the sensor in :mod:`pipelines.sensors` builds the alert from the run's events) so the two
delivery rules are plain and testable:

- The file (``SDOH_ALERT_FILE``, default ``<SDOH_DATA_DIR>/alerts.jsonl``) always gets the alert: one JSON object per
  line, appended with one ``write`` so concurrent sensors do not interleave lines.
- The webhook (``SDOH_ALERT_WEBHOOK_URL``, optional) gets a POST with a short timeout and no retries: an alert that
  arrives minutes late is worth less than a sensor that answers, and the file already holds it. A failed POST is
  returned as a message for the log, never raised. The URL is never shown in full: webhook URLs carry their
  token in the path or the query string, so messages name only its scheme and host.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

WEBHOOK_TIMEOUT_SECONDS = 5.0


def append_alert(path: Path, alert: dict[str, Any]) -> None:
    """Append ``alert`` as one JSON line to ``path`` (its folder is created)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    line = json.dumps(alert, sort_keys=True, default=str) + "\n"
    with open(path, "a", encoding="utf-8") as out:
        out.write(line)


def shown_url(url: str) -> str:
    """``https://hooks.example.org/…``: scheme and host only, since the rest may be the webhook's secret."""
    parts = urlsplit(url)
    host = parts.hostname or "?"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}/…"


def post_alert(url: str, alert: dict[str, Any], timeout: float = WEBHOOK_TIMEOUT_SECONDS) -> str | None:
    """POST ``alert`` as JSON to ``url``; return None when it was accepted (2xx), else a one-line reason."""
    where = shown_url(url)
    try:
        response = requests.post(url, json=alert, timeout=timeout)
    except requests.RequestException as exc:
        # requests' messages repeat the URL (path and query included): name the exception class only.
        return f"alert webhook {where} failed: {type(exc).__name__} (no answer within {timeout:g} s or no connection)"
    with response:
        if 200 <= response.status_code < 300:
            return None
        return f"alert webhook {where} answered HTTP {response.status_code}; the alert is in the alert file only"
