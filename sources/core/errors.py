"""Error types shared by every source. Each agency parser raises a subclass of :class:`SourceError` whose message
names the source file (or landed answer), the record, the field and the value, so a failed run says what to fix."""

from __future__ import annotations


class ConfigError(ValueError):
    """A configuration file breaks its contract; the message names the file, the entry and the field."""


class SourceError(ValueError):
    """A source file or response was read but its content breaks the contract (file, record, field, value named)."""


class FetchError(RuntimeError):
    """Bytes could not be had: a non-200 final answer, exhausted retries, a cut-off body, a missing snapshot file."""
