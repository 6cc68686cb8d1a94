"""How long each network fault takes to be detected and reported, with the settings shown.

Prints a table; asserts nothing. Run: `/tmp/v/bin/python tests/bench/bench_faults.py`.
Each row is one stream against a FakeServer on 127.0.0.1 (or a dead/blocked loopback port),
timed from the call to `stream()` to the ProviderError (or, for cancel, to the server seeing the
client leave). Retries use openai-python's default shape (2 retries, 0.5 s * 2**n, jitter), so
rows with retries include the backoff sleeps by design.
"""

from __future__ import annotations

import asyncio
import socket
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path[:0] = [str(Path(__file__).resolve().parents[1])]
from fakeserver import FakeServer, Reply, refused_url  # noqa: E402

from escalatui.clients.base import ChatRequest, ProviderError  # noqa: E402
from escalatui.clients.llamaswap import LlamaSwapClient  # noqa: E402
from escalatui.clients.openai import OpenAIClient  # noqa: E402
from escalatui.clients.retry import RetryPolicy  # noqa: E402

TIMEOUT_S, IDLE_S, CONNECT_S = 3.0, 2.0, 1.0


def client(base: str, retries: int = 2, cls: type[OpenAIClient] = OpenAIClient) -> OpenAIClient:
    return cls(
        base_url=base,
        model="m",
        policy=RetryPolicy(max_retries=retries),
        connect_timeout_s=CONNECT_S,
        idle_timeout_s=IDLE_S,
    )


async def detect(c: OpenAIClient, timeout_s: float = TIMEOUT_S) -> tuple[float, str]:
    """Seconds until the stream failed, and how it was reported."""
    start = time.perf_counter()
    request = ChatRequest([{"role": "user", "content": "hi"}], timeout_s=timeout_s)
    try:
        async for _ in c.stream(request):
            pass
        outcome = "completed"
    except ProviderError as exc:
        outcome = f"{exc.kind}: {str(exc).split(': ', 1)[1][:70]}"
    finally:
        await c.aclose()
    return time.perf_counter() - start, outcome


def blocked_port() -> tuple[str, list[socket.socket]]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    held = [listener]
    for _ in range(4):
        filler = socket.socket()
        filler.setblocking(False)
        try:
            filler.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        held.append(filler)
    return f"http://127.0.0.1:{port}", held


async def cancel_seen(server: FakeServer) -> tuple[float, str]:
    server.enqueue(Reply.drip("x" * 2000, delay_s=0.01))
    c = client(server.base_url)
    request = ChatRequest([{"role": "user", "content": "hi"}], timeout_s=30)

    async def consume() -> None:
        async for _ in c.stream(request):
            pass

    task = asyncio.create_task(consume())
    await server.await_until(
        lambda: bool(server.chat_requests) and server.chat_requests[-1].chunks_sent > 5
    )
    start = time.perf_counter()
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await server.await_until(lambda: server.disconnects >= 1, timeout=10)
    await c.aclose()
    return time.perf_counter() - start, f"server saw the disconnect: {server.disconnects >= 1}"


async def probe_stalled(server: FakeServer) -> tuple[float, str]:
    server.override("/running", Reply.stall(30))
    c = client(server.base_url, cls=LlamaSwapClient)
    start = time.perf_counter()
    warm = await c.warm()
    await c.aclose()
    return time.perf_counter() - start, f"warm = {warm} (unknown)"


async def main() -> None:
    rows: list[tuple[str, str, float, str]] = []

    async def row(
        name: str, settings: str, run: Callable[[], Awaitable[tuple[float, str]]]
    ) -> None:
        seconds, outcome = await run()
        rows.append((name, settings, seconds, outcome))

    def served(reply: Reply | list[Reply], **kw: Any) -> Callable[[], Awaitable[tuple[float, str]]]:
        async def run() -> tuple[float, str]:
            with FakeServer() as server:
                server.enqueue(*(reply if isinstance(reply, list) else [reply]))
                return await detect(client(server.base_url, **kw))

        return run

    await row("connection refused", "0 retries", lambda: detect(client(refused_url(), 0)))
    await row("connection refused", "2 retries", lambda: detect(client(refused_url())))
    await row("DNS failure", "0 retries", lambda: detect(client("http://nonexistent.invalid", 0)))
    await row("DNS failure", "2 retries", lambda: detect(client("http://nonexistent.invalid")))
    url, held = blocked_port()
    await row(
        "connect timeout", f"connect {CONNECT_S:g}s, 0 retries", lambda: detect(client(url, 0))
    )
    for sock in held:
        sock.close()
    await row("401 / 402 / 403", "no retry", served(Reply.openrouter_error(401, "bad key")))
    await row("429 Retry-After 3600", "cap 60 s", served(Reply.rate_limited("3600")))
    await row("429 x3 Retry-After 0.2", "2 retries", served([Reply.rate_limited("0.2")] * 3))
    await row("500 x3", "2 retries", served([Reply.error(500, "boom")] * 3))
    await row("HTML 502 x3", "2 retries", served([Reply.html_502()] * 3))
    await row("context window (400)", "no retry", served(Reply.context_exceeded("llamacpp")))
    await row("stream cut", "never retried", served(Reply.cut(after_chunks=3)))
    await row("clean end, no [DONE]", "", served(Reply.clean_end_no_done()))
    await row("mid-stream error chunk", "", served(Reply.midstream_error(after_chunks=3)))
    await row(
        "keep-alives forever",
        f"idle_timeout_s {IDLE_S:g}",
        served(Reply.keepalives_forever(every_s=0.5, max_s=30, content="started ")),
    )
    await row("no response at all", f"timeout_s {TIMEOUT_S:g}", served(Reply.stall(30)))
    await row(
        "slow drip past timeout_s",
        f"timeout_s {TIMEOUT_S:g}",
        served(Reply.drip("y" * 1000, delay_s=0.05)),
    )
    with FakeServer() as server:
        await row("cancel mid-stream", "", lambda: cancel_seen(server))
    with FakeServer() as server:
        await row("stalled warm probe", "probe 2 s", lambda: probe_stalled(server))

    print("| fault | settings | detected after | reported as |\n|---|---|---|---|")
    for name, settings, seconds, outcome in rows:
        print(f"| {name} | {settings} | {seconds:.2f} s | {outcome} |")


if __name__ == "__main__":
    asyncio.run(main())
