"""The one small interface every provider adapter implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, Literal

if TYPE_CHECKING:
    from escalatui.clients.gate import ModelGate
    from escalatui.clients.keys import KeyRing
    from escalatui.config.models import ModelSpec

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
    """A model behind a provider. `stream` yields Chunks and raises ProviderError.

    A provider describes itself in the class attributes below; clients/registry.py lists the
    classes and derives everything the rest of the code asks about providers from them."""

    provider: str = "?"
    """The `provider` name task files use."""
    simulated: bool = False
    """Its answers are made up (always labelled so, and its `cost_usd` is its cost)."""
    local: ClassVar[bool] = False
    """Runs on the user's machine: free unless the model is given a price or a cost."""
    needs_base_url: ClassVar[bool] = False
    """A model must give `base_url` (the provider has no usual address)."""
    needs_model: ClassVar[bool] = False
    """A model must give `model` (the provider's own model id)."""
    key_env: ClassVar[str | None] = None
    """The environment variable its API key usually comes from."""
    key_home: ClassVar[str | None] = None
    """The provider's own address (scheme, host, port): its keys may always go there."""
    key_required: ClassVar[bool] = False
    """The provider refuses every request without a key (a run without one cannot start)."""
    options: ClassVar[tuple[str, ...]] = ()
    """`[models.X]` keys only this provider reads."""
    warm_probe: ClassVar[str | None] = None
    """Where `warm()` learns whether the model is loaded (None: it cannot say)."""
    default_concurrency: ClassVar[int | None] = None
    """Streams at once when a model sets no `max_concurrency` (None: no limit)."""
    gate: ModelGate | None = None
    """The model's shared limits, set by the pool; a client told to slow down holds it."""

    @classmethod
    def from_spec(cls, spec: ModelSpec, ring: KeyRing) -> ChatClient:
        """The client for a task's model; `ring` holds the user's keys and where they may go.
        Every registered provider defines it (a wrapper or a test double need not)."""
        raise ProviderError(f"{spec.provider}: no client can be built for it", kind="config")

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
