"""Batch scale: items per second, per-item overhead against a single run, peak memory from 1k
to 10k items (flat), and 1,000 concurrent streams against the local fake server against bare
httpx doing the same. Prints numbers; asserts nothing about speed.

Run: `.venv/bin/python tests/bench/bench_batch.py` (`--items 10000 --concurrency 64`,
`--streams 1000`, `--quick` for a short run). Each memory figure comes from a child process
(its peak RSS), so one measurement does not inherit another's heap.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from httpx_sse import EventSource

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # tests/, for fakeserver
sys.path.insert(0, str(HERE))  # this file, for the sim responders

from bench_engine import ServerProcess, body  # noqa: E402

from escalatui.batch.inputs import Item  # noqa: E402
from escalatui.batch.scheduler import Batch, BatchOptions  # noqa: E402
from escalatui.config import LoadedTask, UserConfig  # noqa: E402
from escalatui.config.models import Task  # noqa: E402
from escalatui.run_session import RunRequest, RunSession  # noqa: E402


def number(messages: list[dict[str, str]]) -> int:
    return int(re.search(r"\d+", messages[-1]["content"]).group())  # type: ignore[union-attr]


def tiny(messages: list[dict[str, str]]) -> str:
    """Right on two inputs in three."""
    n = number(messages)
    return str(2 * n + (n % 3 == 0))


def big(messages: list[dict[str, str]]) -> str:
    return str(2 * number(messages))


def task(models: dict[str, dict[str, object]]) -> Task:
    return Task.model_validate(
        {
            "name": "bench",
            "chain": list(models),
            "models": models,
            "steps": [
                {
                    "name": "answer",
                    "prompt": "Double {input}",
                    "checks": [{"kind": "regex", "pattern": r"^\d*[02468]$"}],
                }
            ],
        }
    )


SIM = {
    "tiny": {"provider": "sim", "respond": "bench_batch:tiny", "cost_usd": 0.0001},
    "big": {"provider": "sim", "respond": "bench_batch:big", "cost_usd": 0.01},
}


def request(t: Task, tmp: Path, input: str | None = None) -> RunRequest:
    return RunRequest(LoadedTask(tmp / "bench.toml", t), UserConfig(), tmp / "s", input=input)


async def sim_batch(n: int, concurrency: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        items = [Item(f"i{k}", str(k), k) for k in range(n)]
        t0 = time.perf_counter()
        end = await Batch(request(task(SIM), tmp), items, BatchOptions(concurrency)).run(
            lambda e: None
        )
        wall = time.perf_counter() - t0
        assert end.counts == {"accepted": n}, end.counts
    return {"items": n, "wall_s": wall, "items_per_s": n / wall}


async def single_runs(n: int) -> float:
    """Seconds per item when each is its own run, one after another."""
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        t = task(SIM)
        t0 = time.perf_counter()
        for k in range(n):
            await RunSession(request(t, tmp, str(k))).run([])
        return (time.perf_counter() - t0) / n


def child(kind: str, n: int, concurrency: int) -> dict[str, float]:
    """Run one measurement in a fresh process and read its figures and peak RSS."""
    out = subprocess.run(
        [sys.executable, __file__, "--child", kind, str(n), str(concurrency)],
        capture_output=True,
        text=True,
        timeout=3600,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


async def streams(n: int) -> None:
    server = ServerProcess("text", "one two three four five six seven eight")
    try:
        served = {"provider": "openai", "base_url": server.base_url, "model": "m"}
        t = task({"only": {**served, "max_retries": 0}})
        t = Task.model_validate(
            {**t.model_dump(by_alias=True), "steps": [{"name": "answer", "prompt": "Say {input}"}]}
        )
        limits = httpx.Limits(max_connections=n, max_keepalive_connections=n)

        async def bare() -> float:
            async with httpx.AsyncClient(trust_env=False, timeout=120, limits=limits) as http:

                async def one() -> None:
                    async with http.stream(
                        "POST", server.base_url + "/v1/chat/completions", json=body("m")
                    ) as resp:
                        parts = []
                        async for sse in EventSource(resp).aiter_sse():
                            if sse.data != "[DONE]":
                                data = json.loads(sse.data)
                                for c in data.get("choices", []):
                                    parts.append(c["delta"].get("content") or "")

                t0 = time.perf_counter()
                await asyncio.gather(*(one() for _ in range(n)))
                return time.perf_counter() - t0

        async def batch() -> float:
            with tempfile.TemporaryDirectory() as d:
                items = [Item(f"i{k}", str(k), k) for k in range(n)]
                t0 = time.perf_counter()
                end = await Batch(request(t, Path(d)), items, BatchOptions(n)).run(lambda e: None)
                wall = time.perf_counter() - t0
                assert end.counts == {"accepted": n}, end.counts
                return wall

        pairs = []
        for _ in range(3):
            pairs.append((await bare(), await batch()))
        b = statistics.median(p[0] for p in pairs)
        e = statistics.median(p[1] for p in pairs)
        print(f"{n} concurrent streams against the fake server (median of 3, interleaved)")
        print(f"  bare httpx, {n} streams at once : {b:6.2f} s  {b / n * 1000:6.2f} ms/stream")
        print(f"  batch, {n} items at once        : {e:6.2f} s  {e / n * 1000:6.2f} ms/item")
        print(f"  batch / bare: x{e / b:.2f}; overhead per attempt {(e - b) / n * 1000:+.2f} ms")
    finally:
        server.close()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--streams", type=int, default=1000)
    parser.add_argument("--quick", action="store_true", help="1k items, 200 streams")
    parser.add_argument("--child", nargs=3)
    args = parser.parse_args()
    if args.child:
        kind, n, c = args.child
        figures = await sim_batch(int(n), int(c))
        figures["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(figures))
        return
    big_n = 1000 if args.quick else args.items
    small_n = max(100, big_n // 10)
    per_run = await single_runs(100)
    print(f"sim cascade (2 tiers, 1/3 of items escalate), concurrency {args.concurrency}")
    print(f"  one run at a time        : {per_run * 1000:7.2f} ms per item (100 runs)")
    rows = {n: child("sim", n, args.concurrency) for n in (small_n, big_n)}
    for n, f in rows.items():
        per_item = f["wall_s"] / n
        print(
            f"  batch of {n:>6} items     : {f['items_per_s']:7.0f} items/s  "
            f"{per_item * 1000:6.2f} ms per item (x{per_item / per_run:.2f} of one run)  "
            f"peak RSS {f['peak_rss_mb']:6.1f} MB"
        )
    a, b = rows[small_n], rows[big_n]
    print(
        f"  {big_n // small_n}x the items: peak RSS x{b['peak_rss_mb'] / a['peak_rss_mb']:.2f}, "
        f"items/s x{b['items_per_s'] / a['items_per_s']:.2f}"
    )
    await streams(200 if args.quick else args.streams)


if __name__ == "__main__":
    asyncio.run(main())
