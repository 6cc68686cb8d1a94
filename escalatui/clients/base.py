"""The one small interface every provider adapter implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from escalatui.clients.gate import ModelGate

ErrorKind = Literal[
    "auth",
    "quota",
    "forbidden",
    "context",
    "rate",
    "server",
    "connect",
    "timeout",
    "protocol",
    "bad_request",
    "stream",
    "config",
    "other",
]


@dataclass(frozen=True)
class ChatRequest:
    """One chat completion to stream."""

    messages: list[dict[str, str]]
    temperature: float | None = None
    max_tokens: int | None = None
    timeout_s: float = 120.0


@dataclass(frozen=True)
class Usage:
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cost_usd: float | None = None


@dataclass(frozen=True)
class Chunk:
    """A piece of a stream: text, a finish reason, usage, a `notice` (a retry: it goes into the
    attempt's `retries`) or an `info` line (the model is loading, a malformed line was skipped)."""

    text: str = ""
    finish_reason: str | None = None
    usage: Usage | None = None
    notice: str | None = None
    info: str | None = None


@dataclass
class ProviderError(Exception):
    """A failure talking to a model, with a plain message that never holds a key."""

    message: str
    kind: ErrorKind = "other"
    status: int | None = None
    retryable: bool = False
    body: str | None = field(default=None, repr=False)

    def __str__(self) -> str:
        return self.message


class ChatClient(ABC):
    """A model behind a provider. `stream` yields Chunks and raises ProviderError."""

    provider: str = "?"
    simulated: bool = False
    gate: ModelGate | None = None
    """The model's shared limits, set by the pool; a client told to slow down holds it."""

    @abstractmethod
    def stream(self, request: ChatRequest) -> AsyncIterator[Chunk]:
        """Stream one completion. A mid-stream failure raises after the chunks already sent."""

    async def warm(self) -> bool | None:
        """Is the model loaded? None when the provider cannot say (never a guess)."""
        return None

    async def aclose(self) -> None:
        """Release connections and servers."""
        return None


COMPLETE_REASONS = frozenset({"stop", "end_turn", "eos", "stop_sequence", "tool_calls"})
