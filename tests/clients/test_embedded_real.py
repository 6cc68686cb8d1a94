"""Against the real llama.cpp server of the `embedded` provider: cold, warm, cold again after
the server sleeps; a cancel mid-stream after which the server really stops generating."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from client_helpers import collect
from conftest import needs_embedded

from escalatui.clients import embedded
from escalatui.clients.base import ChatRequest
from escalatui.clients.embedded import EmbeddedClient
from escalatui.clients.registry import ClientPool
from escalatui.config.models import Task
from escalatui.engine.decisions import Decision
from escalatui.engine.events import AttemptDecided, AwaitingDecision
from escalatui.engine.runner import Runner

pytestmark = [needs_embedded, pytest.mark.embedded, pytest.mark.timeout(90)]


@pytest.fixture
def fresh_servers() -> Iterator[None]:
    embedded.shutdown_all()
    yield
    embedded.shutdown_all()


async def eventually(predicate: Any, timeout: float = 15.0) -> bool:
    """Await an async predicate until true (polling), bounded."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if await predicate():
            return True
        await asyncio.sleep(0.1)
    return False


async def test_cold_then_warm_then_cold_again_after_sleep(fresh_servers: None) -> None:
    client = EmbeddedClient(ctx_size=1024, idle_s=2)
    try:
        assert await client.warm() is False  # no server yet
        first = await collect(client, timeout_s=60)
        assert first.error is None and first.finish_reason is not None and first.text
        assert await client.warm() is True  # loaded, and reused
        assert await eventually(lambda: _is(client, False))  # idle_s passed: asleep
        again = await collect(client, timeout_s=60)  # the request wakes it
        assert again.error is None and again.text
        assert await client.warm() is True
    finally:
        await client.aclose()


async def _is(client: EmbeddedClient, value: bool) -> bool:
    return await client.warm() is value


class SlowFirstDecider:
    """A person who takes 5 s over the first answer (the server, idle_s=2, falls asleep
    meanwhile), asks for a retry twice, then approves."""

    def __init__(self) -> None:
        self.calls = 0

    async def decide(self, request: AwaitingDecision) -> Decision:
        self.calls += 1
        if self.calls == 1:
            await asyncio.sleep(5)
        return Decision("retry" if self.calls < 3 else "approve")


async def test_engine_records_cold_warm_and_cold_after_sleep(fresh_servers: None) -> None:
    task = Task.model_validate(
        {
            "name": "e",
            "chain": ["local"],
            "approval": "manual",
            "models": {
                "local": {"provider": "embedded", "max_tokens": 8, "idle_s": 2, "ctx_size": 1024}
            },
            "steps": [{"name": "s", "prompt": "Say hi."}],
        }
    )
    runner = Runner(task, ClientPool(task.models), decider=SlowFirstDecider())
    try:
        records = [e async for e in runner.events() if isinstance(e, AttemptDecided)]
    finally:
        await runner.pool.aclose()
    # started cold; asleep after the slow decision; warm when asked again at once
    assert [r.warm for r in records] == [False, False, True]
    assert all(r.ttft_ms is not None and r.output for r in records)


async def slots(address: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(trust_env=False, timeout=2) as http:
        data = (await http.get(address + "/slots")).json()
    assert isinstance(data, list)
    return data


async def test_cancel_mid_stream_stops_the_server_generating(fresh_servers: None) -> None:
    client = EmbeddedClient(ctx_size=2048, idle_s=300)
    inner = await client._ensure()
    plain_body = inner.body

    def endless(request: ChatRequest) -> dict[str, Any]:
        # ignore_eos: left alone, the model would write max_tokens (many seconds of work)
        return {**plain_body(request), "ignore_eos": True, "max_tokens": 1500}

    inner.body = endless  # type: ignore[method-assign]
    address = client._running_address()
    assert address is not None
    got: list[str] = []

    async def consume() -> None:
        request = ChatRequest([{"role": "user", "content": "Tell a long story."}], timeout_s=60)
        async for chunk in client.stream(request):
            got.append(chunk.text)

    task = asyncio.create_task(consume())
    try:
        assert await eventually(_true(lambda: len("".join(got)) > 20), timeout=30)
        assert (await slots(address))[0]["is_processing"] is True
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        pieces = len(got)

        async def idle() -> bool:
            return (await slots(address))[0]["is_processing"] is False

        assert await eventually(idle, timeout=5)
        assert pieces < 1000  # stopped long before the 1500 tokens it was asked for
        inner.body = plain_body  # type: ignore[method-assign]
        # the one slot is free again (a generous bound: a loaded 2-core machine is slow)
        follow_up = await collect(client, timeout_s=90)
        assert follow_up.error is None and follow_up.text
    finally:
        task.cancel()
        await client.aclose()


def _true(check: Any) -> Any:
    async def predicate() -> bool:
        return bool(check())

    return predicate
