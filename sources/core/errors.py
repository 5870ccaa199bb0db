"""Error types shared by every source. Each agency parser raises a subclass of :class:`SourceError` whose message
names the source file (or landed answer), the record, the field and the value, so a failed run says what to fix."""

from __future__ import annotations


class ConfigError(ValueError):
    """A configuration file breaks its contract; the message names the file, the entry and the field."""


class SourceError(ValueError):
    """A source file or response was read but its content breaks the contract (file, record, field, value named)."""


class FetchError(RuntimeError):
    """Bytes could not be had: a non-200 final answer, exhausted retries, a cut-off body, a missing snapshot file.

    ``transient`` says whether trying again later may succeed: the agency was down or overloaded (HTTP 429/5xx,
    connection errors, a cut-off body) after this client's own retries. A 4xx answer (bad key, unknown variable, a
    missing file) or a missing snapshot file is not transient: the request itself is wrong, and retrying it only hides
    that. The orchestrator's step retries (``assets/raw/retries.py``) act on this flag."""

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient
