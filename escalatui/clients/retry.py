"""When and how long to wait before retrying a request (the habits of openai-python).

Bounded retries (2 by default) of connection errors, timeouts before a response, 408, 409, 429
and 5xx; backoff `min(0.5 * 2**n, 8)` seconds less up to 25% jitter; the server's
`retry-after-ms`, then `Retry-After` (seconds or an HTTP date) honoured when between 0 and the
cap, backoff when 0, negative or unreadable, and failing fast when above the cap;
`x-should-retry: true|false` overrides the status. Nothing is retried once a stream has started.
"""

from __future__ import annotations

import email.utils
import math
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Wait:
    """The decision: wait `seconds` then retry, or give up (`seconds` None) because of `why`."""

    seconds: float | None
    why: str = ""


@dataclass(frozen=True)
class RetryPolicy:
    """Bounded retries with exponential backoff and jitter; server hints honoured up to a cap.
    Tests inject small numbers (and a fixed `jitter`) so nothing sleeps long."""

    max_retries: int = 2
    base_s: float = 0.5
    max_backoff_s: float = 8.0
    max_wait_s: float = 60.0
    """A server asking for a longer wait than this fails fast instead."""
    jitter: Callable[[], float] = field(default=random.random, compare=False)

    def backoff(self, retry: int) -> float:
        """Seconds before retry number `retry` (0-based): min(0.5 * 2**n, 8) less up to 25%."""
        delay = min(self.base_s * 2 ** min(retry, 30), self.max_backoff_s)
        return delay * (1 - 0.25 * self.jitter())

    def next_wait(
        self,
        *,
        retryable: bool,
        retry: int,
        headers: Mapping[str, str] | None = None,
        remaining_s: float = math.inf,
        now: float | None = None,
    ) -> Wait:
        """Whether to retry (the `retry`-th retry, 0-based) and after how long."""
        headers = headers or {}
        override = should_retry_header(headers)
        if override is False:
            return Wait(None, "the server said not to retry (x-should-retry: false)")
        if not (retryable or override):
            return Wait(None)
        if retry >= self.max_retries:
            if not self.max_retries:
                return Wait(None)
            plural = "retry" if self.max_retries == 1 else "retries"
            return Wait(None, f"gave up after {self.max_retries} {plural}")
        asked = server_wait(headers, now)
        if asked is not None and asked > self.max_wait_s:
            return Wait(
                None,
                f"the server asked to wait {_seconds(asked)}, more than the "
                f"{self.max_wait_s:g}s cap; not waiting",
            )
        wait = asked if asked is not None and asked > 0 else self.backoff(retry)
        if wait >= remaining_s:
            return Wait(None, f"a retry in {wait:.1f}s would not fit the {remaining_s:.1f}s left")
        return Wait(wait)


def _seconds(value: float) -> str:
    return "forever" if math.isinf(value) else f"{value:.0f}s"


def _number(text: str) -> float | None:
    try:
        value = float(text.strip())
    except ValueError:
        return None
    return None if math.isnan(value) else value


def server_wait(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds the server asked us to wait (`retry-after-ms`, then `Retry-After` as seconds or
    an HTTP date), or None when it asked nothing readable. May be 0, negative or infinite."""
    ms = headers.get("retry-after-ms")
    if ms is not None and (value := _number(ms)) is not None:
        return value / 1000
    text = headers.get("retry-after")
    if text is None:
        return None
    if (value := _number(text)) is not None:
        return value
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return when.timestamp() - (time.time() if now is None else now)


def should_retry_header(headers: Mapping[str, str]) -> bool | None:
    """The server's own `x-should-retry` override, when it sends one."""
    value = headers.get("x-should-retry", "").strip().lower()
    return True if value == "true" else False if value == "false" else None
