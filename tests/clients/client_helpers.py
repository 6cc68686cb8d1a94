"""Running one stream against a client and looking at what came out."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from fakeserver import FakeServer

from escalatui.clients.base import ChatClient, ChatRequest, Chunk, ProviderError, Usage
from escalatui.clients.openai import OpenAIClient
from escalatui.clients.retry import RetryPolicy

FAST = RetryPolicy(max_retries=2, base_s=0.01, max_backoff_s=0.05, max_wait_s=2.0, jitter=lambda: 0)
"""openai-python's shape of retries, with sleeps small enough for tests."""


@dataclass
class Outcome:
    """Everything one stream produced, and the error that ended it (if any)."""

    chunks: list[Chunk] = field(default_factory=list)
    error: ProviderError | None = None

    @property
    def text(self) -> str:
        return "".join(c.text for c in self.chunks)

    @property
    def notices(self) -> list[str]:
        return [c.notice for c in self.chunks if c.notice]

    @property
    def infos(self) -> list[str]:
        return [c.info for c in self.chunks if c.info]

    @property
    def finish_reason(self) -> str | None:
        reasons = [c.finish_reason for c in self.chunks if c.finish_reason]
        return reasons[-1] if reasons else None

    @property
    def usage(self) -> Usage | None:
        found = [c.usage for c in self.chunks if c.usage]
        return found[-1] if found else None


def request(timeout_s: float = 5.0, **kw: Any) -> ChatRequest:
    return ChatRequest([{"role": "user", "content": "hi"}], timeout_s=timeout_s, **kw)


async def collect(client: ChatClient, timeout_s: float = 5.0) -> Outcome:
    """Stream one request to the end (or its error)."""
    out = Outcome()
    try:
        async for chunk in client.stream(request(timeout_s)):
            out.chunks.append(chunk)
    except ProviderError as exc:
        out.error = exc
    return out


def client_for(base_url: str, cls: type[OpenAIClient] = OpenAIClient, **kw: Any) -> OpenAIClient:
    """A client with test-sized retries and timeouts (override any of them)."""
    options: dict[str, Any] = {
        "model": "m",
        "policy": FAST,
        "connect_timeout_s": 1.0,
        "idle_timeout_s": 2.0,
    }
    options.update(kw)
    return cls(base_url=base_url, **options)


def serve() -> Iterator[FakeServer]:
    """A FakeServer for one test (use as `server = pytest.fixture(serve, name="server")`)."""
    with FakeServer() as fake:
        yield fake
    assert fake.errors == []  # the fake itself never crashed
