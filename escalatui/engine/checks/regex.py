"""The `regex` check, run in a helper process so catastrophic backtracking can be killed."""

from __future__ import annotations

import asyncio
import json
import sys

from escalatui.config.models import RegexCheck
from escalatui.config.patterns import flag_bits
from escalatui.engine.checks import watchdog
from escalatui.engine.events import CheckOutcome

# The worker answers each request line with a length line and then that many bytes, so a
# reply's size is not bound by a line limit (200k schema items make a 200k-character reply).
# Matches come back as one "0"/"1" character per text. Any compile failure is reported, not
# only re.error: OverflowError (`a{4294967296}`) and RecursionError (deep nesting) too.
_WORKER = r"""
import json, re, sys
for line in sys.stdin:
    req = json.loads(line)
    try:
        rx = re.compile(req["pattern"], req["flags"])
        out = {"matches": "".join("1" if rx.search(t) else "0" for t in req["texts"])}
    except RecursionError:
        out = {"error": "groups nested too deeply"}
    except Exception as exc:
        out = {"error": str(exc) or type(exc).__name__}
    reply = json.dumps(out).encode()
    sys.stdout.buffer.write(b"%d\n" % len(reply) + reply)
    sys.stdout.buffer.flush()
"""


class RegexWorker:
    """One long-lived Python process that answers searches; killed and restarted on timeout."""

    def __init__(self) -> None:
        self._proc: asyncio.subprocess.Process | None = None
        self._lock = asyncio.Lock()

    async def _process(self) -> asyncio.subprocess.Process:
        if self._proc is None or self._proc.returncode is not None:
            watchdog.start()
            self._proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-I",
                "-c",
                _WORKER,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                # Mid-search it reads no stdin, so it would not notice escalatui ending: the
                # watchdog kills it then (its own session gives it a group to kill).
                start_new_session=True,
            )
            watchdog.watch(self._proc.pid)
        return self._proc

    async def search(self, pattern: str, text: str, timeout_s: float, flags: int = 0) -> bool:
        """True when `pattern` matches (`re.search` with `flags`); TimeoutError past
        `timeout_s`; ValueError if the pattern does not compile."""
        return (await self.search_many(pattern, [text], timeout_s, flags))[0]

    async def search_many(
        self, pattern: str, texts: list[str], timeout_s: float, flags: int = 0
    ) -> list[bool]:
        """Whether `pattern` matches each text, in one round trip (see `search`)."""
        request = {"pattern": pattern, "texts": texts, "flags": flags}
        async with self._lock:
            proc = await self._process()
            assert proc.stdin and proc.stdout
            proc.stdin.write(json.dumps(request).encode() + b"\n")
            try:
                await proc.stdin.drain()
                # asyncio.timeout: unlike wait_for on 3.11, it never swallows a cancellation
                async with asyncio.timeout(timeout_s):
                    size = await proc.stdout.readline()
                    reply = await proc.stdout.readexactly(int(size)) if size else b""
            except (TimeoutError, ConnectionError):
                await self.aclose()
                raise TimeoutError from None
            except asyncio.IncompleteReadError:
                reply = b""
            except BaseException:
                # Cancelled mid-search: its late reply would answer the next request. Kill it.
                self._kill()
                raise
            if not reply:
                await self.aclose()
                raise ValueError("the regex worker died")
            answer = json.loads(reply)
            if "error" in answer:
                raise ValueError(answer["error"])
            return [m == "1" for m in answer["matches"]]

    def _kill(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            if proc.returncode is None:
                proc.kill()
            watchdog.release(proc.pid)

    async def aclose(self) -> None:
        """Stop the worker (the next search starts a new one)."""
        proc = self._proc
        self._kill()
        if proc is not None:
            await proc.wait()


async def check_regex(check: RegexCheck, answer: str, worker: RegexWorker) -> CheckOutcome:
    """Passes when the pattern matches; a timeout is a check error, never a pass."""
    try:
        matched = await worker.search(
            check.pattern, answer, check.timeout_s, flag_bits(check.flags)
        )
    except TimeoutError:
        return CheckOutcome(
            kind="regex",
            passed=False,
            error=f"regex timed out after {check.timeout_s}s (catastrophic backtracking?)",
        )
    except ValueError as exc:
        return CheckOutcome(
            kind="regex", passed=False, error=f"regex failed: {exc}", config_error=True
        )
    if matched:
        return CheckOutcome(kind="regex", passed=True)
    return CheckOutcome(
        kind="regex",
        passed=False,
        feedback=check.feedback or f"The answer does not match /{check.pattern}/.",
    )
