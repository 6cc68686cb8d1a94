"""When and how long to wait before retrying a request (the habits of openai-python)."""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries with exponential backoff and jitter; server hints honoured up to a cap."""

    max_retries: int = 2
    base_s: float = 0.5
    max_backoff_s: float = 8.0
    max_wait_s: float = 60.0
    """A server asking for a longer wait than this fails fast instead."""

    def backoff(self, retry: int) -> float:
        """Seconds before retry number `retry` (0-based): min(0.5 * 2**n, 8) less up to 25%."""
        delay = min(self.base_s * 2**retry, self.max_backoff_s)
        return delay * (1 - 0.25 * random.random())


def server_wait(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds the server asked us to wait (`retry-after-ms`, `Retry-After`), or None."""
    ms = headers.get("retry-after-ms")
    if ms is not None:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def should_retry_header(headers: Mapping[str, str]) -> bool | None:
    """The server's own `x-should-retry` override, when it sends one."""
    value = headers.get("x-should-retry", "").strip().lower()
    return True if value == "true" else False if value == "false" else None
