"""Step retries for the assets that call the agencies: transient failures are retried by Dagster, others fail at once.

The HTTP client already retries inside a step (``sources/core/http.py``); a Dagster ``RetryPolicy`` on top waits
minutes rather than seconds, for an agency that is down for a while. Retrying is only right when trying again may
succeed, so :func:`retried_only_when_transient` turns every other failure (a bad key, an unknown variable, any other
4xx, a parse error, a missing snapshot file: the request or the data is wrong) and every failure in snapshot mode into
``dg.Failure(allow_retries=False)``, whose message says it was not retried. The policy comes from
``config/operations.yaml`` (read once, at import: it is part of the definitions the UI shows).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import dagster as dg

from assets.settings import operations_config
from sources.core.errors import FetchError

_BACKOFF = {"exponential": dg.Backoff.EXPONENTIAL, "linear": dg.Backoff.LINEAR}
_JITTER = {"plus_minus": dg.Jitter.PLUS_MINUS, "full": dg.Jitter.FULL, "none": None}


def network_retry_policy() -> dg.RetryPolicy:
    """The step retry policy of ``config/operations.yaml`` ``step_retries``."""
    spec = operations_config("step_retries")
    return dg.RetryPolicy(
        max_retries=int(spec.get("max_retries", 3)),
        delay=float(spec.get("delay_seconds", 60)),
        backoff=_BACKOFF[spec.get("backoff", "exponential")],
        jitter=_JITTER[spec.get("jitter", "plus_minus")],
    )


NETWORK_RETRY_POLICY = network_retry_policy()


def is_transient(error: BaseException) -> bool:
    """Whether trying the same request later may succeed (see :class:`sources.core.errors.FetchError`)."""
    return isinstance(error, FetchError) and error.transient


@contextmanager
def retried_only_when_transient(mode: str) -> Iterator[None]:
    """Let a transient live-mode failure through to Dagster's retry policy; fail everything else at once."""
    try:
        yield
    except dg.Failure:
        raise
    except Exception as error:
        if mode == "live" and is_transient(error):
            raise
        why = "snapshot files do not change when retried" if mode != "live" else "the request or the data is wrong"
        raise dg.Failure(
            description=f"{type(error).__name__}: {error}\n(not retried: {why})", allow_retries=False
        ) from error


def fails_fast_unless_transient(compute: Callable[..., Any]) -> Callable[..., Any]:
    """Decorate an asset's compute function (under ``@dg.asset``) with :func:`retried_only_when_transient`, in the
    mode of its ``sdoh`` resource. ``functools.wraps`` keeps the signature Dagster reads the resources from."""

    @functools.wraps(compute)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        sdoh = kwargs.get("sdoh") or next((a for a in args if hasattr(a, "files") and hasattr(a, "mode")), None)
        with retried_only_when_transient(getattr(sdoh, "mode", "snapshot")):
            return compute(*args, **kwargs)

    return wrapper
