"""Time-limited regex checks two ways: a helper Python process per run (how `regex` checks ran
before: a worker started for each run, killed on timeout) against the `regex` package's own
`timeout=` in a thread of this process (how they run now).

N small checks each way (each is one run's check, so the process way pays one start per run),
then a catastrophic pattern on 'a'*40+'b': `(a+)+$` (runaway for `re`; `regex` defuses it) and
`(a|aa)+$` (runaway for both), each of which must stop at the time limit.

Prints numbers and a ratio; asserts nothing about speed. Run: `python tests/bench/bench_regex.py`
(`--n 200 --timeout 1`).
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time

import regex

# The process way: a fresh interpreter answers one search (as one run's worker did).
_CHILD = (
    "import re, sys; sys.stdout.write('1' if re.search(sys.argv[1], sys.stdin.read()) else '0')"
)
TEXT = "The answer is 42.\n" * 20
PATTERN = r"answer is \d+"
EVIL_TEXT = "a" * 40 + "b"


def process_search(pattern: str, text: str, timeout_s: float) -> str:
    try:
        done = subprocess.run(
            [sys.executable, "-I", "-c", _CHILD, pattern],
            input=text.encode(),
            capture_output=True,
            timeout=timeout_s,
        )
    except subprocess.TimeoutExpired:
        return "timed out"
    return "match" if done.stdout == b"1" else "no match"


async def thread_search(pattern: str, text: str, timeout_s: float) -> str:
    compiled = regex.compile(pattern, regex.VERSION0)
    try:
        found = await asyncio.to_thread(compiled.search, text, timeout=timeout_s, concurrent=True)
    except TimeoutError:
        return "timed out"
    return "match" if found else "no match"


def timed(label: str, work: object) -> float:
    t0 = time.perf_counter()
    result = asyncio.run(work) if asyncio.iscoroutine(work) else work()  # type: ignore[operator]
    elapsed = time.perf_counter() - t0
    print(f"  {label:<44} {elapsed * 1000:9.1f} ms   {result}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--timeout", type=float, default=1.0)
    args = parser.parse_args()
    n, limit = args.n, args.timeout

    async def many_threads() -> str:
        results = [await thread_search(PATTERN, TEXT, limit) for _ in range(n)]
        return f"{results.count('match')}/{n} matched"

    def many_processes() -> str:
        results = [process_search(PATTERN, TEXT, limit) for _ in range(n)]
        return f"{results.count('match')}/{n} matched"

    print(f"{n} small regex checks, one per run:")
    proc = timed("process per run (re, killable)", many_processes)
    thread = timed("regex timeout= in a thread", many_threads())
    print(f"  per check: process {proc / n * 1000:.1f} ms, regex {thread / n * 1000:.3f} ms;")
    print(f"  the process way is {proc / thread:.0f}x slower")
    print(f"catastrophic patterns on 'a'*40+'b', limit {limit} s:")
    for pattern in (r"(a+)+$", r"(a|aa)+$"):
        timed(f"process per run: {pattern}", lambda p=pattern: process_search(p, EVIL_TEXT, limit))
        timed(f"regex timeout=:  {pattern}", thread_search(pattern, EVIL_TEXT, limit))


if __name__ == "__main__":
    main()
