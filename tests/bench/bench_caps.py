"""Peak memory (max RSS) of one client attempt against hostile bodies, each in a fresh child
process, next to an honest answer measured the same way in the same run.

Prints numbers; asserts nothing. Run: `.venv/bin/python tests/bench/bench_caps.py`.

The FakeServer runs in this (parent) process, so the child's RSS is the client's alone: the
interpreter, escalatui's imports, httpx, and whatever the attempt buffers. Each hostile body goes
on for gigabytes unless the client stops reading; the caps (sse.py, body.py, reader.py) must end
the attempt with an error while the child stays far below 300 MB.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # tests/, for fakeserver

from fakeserver import FakeServer, Reply  # noqa: E402

CHILD = """
import asyncio, json, resource, sys
from escalatui.clients.base import ChatRequest, ProviderError
from escalatui.clients.openai import OpenAIClient

async def main():
    client = OpenAIClient(base_url=sys.argv[1], model="m", idle_timeout_s=60)
    chars, error = 0, None
    try:
        request = ChatRequest([{"role": "user", "content": "hi"}], timeout_s=120)
        async for chunk in client.stream(request):
            chars += len(chunk.text)
    except ProviderError as exc:
        error = str(exc)
    finally:
        await client.aclose()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"chars": chars, "error": error, "peak_mb": round(peak_mb, 1)}))

asyncio.run(main())
"""

CASES = {
    "honest answer (4 M chars)": lambda: Reply.megabytes(4_000_000, chunk_chars=1000),
    "endless line": lambda: Reply.endless_line(),
    "endless event (1 KB data lines)": lambda: Reply.endless_line(
        prefix=b"", fill=b"data: " + b"x" * 1000 + b"\n"
    ),
    "gzip bomb of zeros (2 GiB)": lambda: Reply.gzip_bomb(b"\0"),
    "deflate bomb of zeros (2 GiB)": lambda: Reply.gzip_bomb(b"\0", encoding="deflate"),
    "gzip bomb of comment lines": lambda: Reply.gzip_bomb(b": " + b"z" * 2000 + b"\n\n"),
    "gzip bomb as a plain JSON body": lambda: Reply.gzip_bomb(
        b" ", content_type="application/json"
    ),
}


def main() -> None:
    print(f"{'case':36} {'peak RSS':>10}  outcome")
    with FakeServer() as server:
        for name, make in CASES.items():
            server.enqueue(make())
            done = subprocess.run(
                [sys.executable, "-c", CHILD, server.base_url],
                capture_output=True,
                text=True,
                timeout=300,
            )
            if done.returncode != 0:
                print(f"{name:36} child failed: {done.stderr[-500:]}")
                continue
            result = json.loads(done.stdout)
            outcome = result["error"] or f"complete, {result['chars']:,} characters"
            outcome = outcome.split(": ", 1)[-1][:90]
            print(f"{name:36} {result['peak_mb']:>7.1f} MB  {outcome}")


if __name__ == "__main__":
    main()
