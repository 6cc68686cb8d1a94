"""Per-model limits shared by every run that uses a pool (all the items of a batch): at most
`limit` streams at once, and a pause the whole queue keeps when the server asks for one (a 429
with Retry-After slows that model for everyone, not only for the request that got it)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from escalatui.clients.base import ChatClient, ChatRequest, Chunk


class ModelGate:
    """The slots and the pause of one model."""

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self._slots = asyncio.Semaphore(limit) if limit else None
        self._not_before = 0.0
        self.in_use = 0
        self.most_in_use = 0

    def hold(self, seconds: float) -> None:
        """No new stream starts for `seconds` (the server asked to slow down)."""
        self._not_before = max(self._not_before, time.monotonic() + seconds)

    @property
    def paused_for(self) -> float:
        return max(0.0, self._not_before - time.monotonic())

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        while (wait := self.paused_for) > 0:
            await asyncio.sleep(wait)
        if self._slots is not None:
            await self._slots.acquire()
        self.in_use += 1
        self.most_in_use = max(self.most_in_use, self.in_use)
        try:
            yield
        finally:
            self.in_use -= 1
            if self._slots is not None:
                self._slots.release()


class GatedClient(ChatClient):
    """A client whose streams each take a slot of the model's gate first; everything else is
    the client's own (attributes are looked up on it)."""

    def __init__(self, inner: ChatClient, gate: ModelGate) -> None:
        self.inner = inner
        self.model_gate = gate
        self.provider = inner.provider
        self.simulated = inner.simulated
        inner.gate = gate

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    async def stream(self, request: ChatRequest) -> AsyncIterator[Chunk]:
        async with self.model_gate.slot():
            async for chunk in self.inner.stream(request):
                yield chunk

    async def warm(self) -> bool | None:
        return await self.inner.warm()

    async def aclose(self) -> None:
        await self.inner.aclose()
