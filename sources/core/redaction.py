"""Keep secrets (API keys, app tokens) out of every log line, error message and landed sidecar."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

REDACTED = "<redacted>"
_KEY_PARAMETER = re.compile(r"(key=)[^&\s]+", re.IGNORECASE)


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """Remove each secret value (raw and URL-encoded) and any ``key=`` query value from a URL or message."""
    for value in secrets:
        if value:
            for form in {value, quote_plus(value), quote(value, safe="")}:
                text = text.replace(form, REDACTED)
    return _KEY_PARAMETER.sub(rf"\1{REDACTED}", text)
