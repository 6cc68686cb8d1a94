"""The clocks of one attempt, and which of them fired.

- first token: nothing has arrived yet; the allowance is the model's `timeout_s`, so a cold load
  fits in it (llama-swap waits up to 120 s, Ollama up to 5 min);
- idle: content stopped for `idle_timeout_s`; keep-alive comments do *not* reset it (they would
  reset httpx's read timeout forever);
- total: the whole attempt, retries included, must end within `timeout_s`.
The connect timeout is httpx's own and is reported where it fires.
"""

from __future__ import annotations

import asyncio


class Deadlines:
    """Tracks progress and answers the deadline for the next network read."""

    def __init__(self, total_s: float, idle_s: float) -> None:
        self.loop = asyncio.get_running_loop()
        self.total_s = total_s
        self.idle_s = idle_s
        self.started = self.loop.time()
        self.total_at = self.started + total_s
        self.last_progress: float | None = None
        self.chars = 0

    def progress(self, chars: int = 0) -> None:
        """Content (or reasoning) arrived: the idle watchdog starts again."""
        self.last_progress = self.loop.time()
        self.chars += chars

    def remaining(self) -> float:
        return max(0.0, self.total_at - self.loop.time())

    def read_deadline(self) -> float:
        """Loop time by which the next read must return."""
        if self.last_progress is None:
            return self.total_at
        return min(self.total_at, self.last_progress + self.idle_s)

    def fired(self) -> str:
        """Which deadline passed, in words a person can act on."""
        now = self.loop.time()
        if self.last_progress is None:
            return (
                f"no first token within {self.total_s:g}s (the model's timeout_s, which a "
                "cold load must fit in; keep-alive comments do not count)"
            )
        if now + 1e-3 >= self.total_at and self.last_progress + self.idle_s > self.total_at:
            return (
                f"total deadline: the attempt ran past timeout_s={self.total_s:g}s while still "
                f"streaming ({self.chars} characters so far)"
            )
        return (
            f"no content for {self.idle_s:g}s after {self.chars} characters (idle_timeout_s; "
            "keep-alive comments do not count)"
        )
