"""The steps a reply's plan is made of, and the request record a plan is run for."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Head:
    """Send the status line and headers; ``chunked`` frames every later body write."""

    status: int
    headers: tuple[tuple[str, str], ...] = ()
    chunked: bool = True


@dataclass(frozen=True)
class End:
    """Finish the body cleanly (chunked terminator when chunked): the response is complete."""


@dataclass(frozen=True)
class Drop:
    """Drop the connection now, without finishing the body: FIN, or RST when ``reset``."""

    reset: bool = False


END = End()
Step = Head | bytes | float | End | Drop
"""``bytes`` are body data (one write, one HTTP chunk), a ``float`` is a pause in seconds."""


@dataclass
class Request:
    """One request as received, plus what the fake did with it (updated while it answers)."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    json: Any
    at: float = field(default_factory=time.monotonic)
    reply: str = ""
    chunks_sent: int = 0
    bytes_sent: int = 0
    completed: bool = False
    client_disconnected: bool = False

    @property
    def model(self) -> str | None:
        """The ``model`` field of a JSON body, if any."""
        value = self.json.get("model") if isinstance(self.json, dict) else None
        return value if isinstance(value, str) else None

    @property
    def wants_stream(self) -> bool:
        """True unless the JSON body says ``"stream": false``."""
        return not (isinstance(self.json, dict) and self.json.get("stream") is False)

    @property
    def is_chat(self) -> bool:
        return self.method == "POST" and self.path.endswith("/chat/completions")
