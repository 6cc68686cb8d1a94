"""Simulated models for offline demos and tests: deterministic, and always labelled simulated."""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import AsyncIterator, Callable

from escalatui.clients.base import ChatClient, ChatRequest, Chunk, ProviderError, Usage
from escalatui.clients.keys import KeyRing
from escalatui.config.models import ModelSpec

Responder = Callable[[list[dict[str, str]]], str]


def load_callable(ref: str) -> Callable[..., object]:
    """Import `module:function`."""
    module_name, _, func_name = ref.partition(":")
    try:
        func = getattr(importlib.import_module(module_name), func_name)
    except (ImportError, AttributeError) as exc:
        raise ProviderError(f"cannot load {ref}: {exc}", kind="config") from None
    if not callable(func):
        raise ProviderError(f"{ref} is not callable", kind="config")
    return func


class SimClient(ChatClient):
    """Streams canned `responses` (one per call, the last repeats) or a `respond` callable's."""

    provider = "sim"
    simulated = True
    local = True
    options = ("responses", "respond", "delay_s", "chunk_chars", "cost_usd")
    warm_probe = "itself: warm once it has answered"

    def __init__(self, spec: ModelSpec) -> None:
        self.spec = spec
        self.calls = 0
        self._loaded = False

    @classmethod
    def from_spec(cls, spec: ModelSpec, ring: KeyRing) -> SimClient:
        """A simulated model needs no key: `ring` is not read."""
        return cls(spec)

    async def warm(self) -> bool:
        return self._loaded

    def _answer(self, messages: list[dict[str, str]]) -> str:
        if self.spec.respond:
            answer = load_callable(self.spec.respond)(messages)
            if not isinstance(answer, str):
                raise ProviderError(
                    f"{self.spec.respond} returned {type(answer).__name__}, not text", kind="config"
                )
            return answer
        responses = self.spec.responses or [""]
        return responses[min(self.calls, len(responses) - 1)]

    async def stream(self, request: ChatRequest) -> AsyncIterator[Chunk]:
        answer = self._answer(request.messages)
        self.calls += 1
        self._loaded = True
        size = self.spec.chunk_chars
        for start in range(0, len(answer), size):
            if self.spec.delay_s:
                await asyncio.sleep(self.spec.delay_s)
            yield Chunk(text=answer[start : start + size])
        prompt_chars = sum(len(m.get("content", "")) for m in request.messages)
        yield Chunk(
            finish_reason="stop",
            usage=Usage(
                prompt_tokens=max(1, prompt_chars // 4),
                completion_tokens=max(1, len(answer) // 4),
                cost_usd=self.spec.cost_usd,
            ),
        )
