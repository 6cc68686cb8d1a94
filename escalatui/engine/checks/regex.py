"""The `regex` check, run in a helper process so catastrophic backtracking can be killed."""

from __future__ import annotations

import asyncio
import json
import sys

from escalatui.config.models import RegexCheck
from escalatui.engine.events import CheckOutcome

_WORKER = r"""
import json, re, sys
for line in sys.stdin:
    req = json.loads(line)
    try:
        rx = re.compile(req["pattern"], re.MULTILINE if req["multiline"] else 0)
        out = {"matches": [rx.search(text) is not None for text in req["texts"]]}
    except re.error as exc:
        out = {"error": str(exc)}
    sys.stdout.write(json.dumps(out) + "\n")
    sys.stdout.flush()
"""


class RegexWorker:
    """One long-lived Python process that answers searches; killed and restarted on timeout."""

    def __init__(self) -> None:
        self._proc: asyncio.subprocess.Process | None = None
        self._lock = asyncio.Lock()

    async def _process(self) -> asyncio.subprocess.Process:
        if self._proc is None or self._proc.returncode is not None:
            self._proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-I",
                "-c",
                _WORKER,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                limit=1 << 20,
            )
        return self._proc

    async def search(
        self, pattern: str, text: str, timeout_s: float, multiline: bool = True
    ) -> bool:
        """True when `pattern` matches; TimeoutError past `timeout_s`; ValueError if invalid."""
        return (await self.search_many(pattern, [text], timeout_s, multiline))[0]

    async def search_many(
        self, pattern: str, texts: list[str], timeout_s: float, multiline: bool = True
    ) -> list[bool]:
        """Whether `pattern` matches each text, in one round trip (see `search`)."""
        request = {"pattern": pattern, "texts": texts, "multiline": multiline}
        async with self._lock:
            proc = await self._process()
            assert proc.stdin and proc.stdout
            proc.stdin.write(json.dumps(request).encode() + b"\n")
            try:
                await proc.stdin.drain()
                # asyncio.timeout: unlike wait_for on 3.11, it never swallows a cancellation
                async with asyncio.timeout(timeout_s):
                    line = await proc.stdout.readline()
            except (TimeoutError, ConnectionError):
                await self.aclose()
                raise TimeoutError from None
            except BaseException:
                # Cancelled mid-search: its late reply would answer the next request. Kill it.
                self._kill()
                raise
            if not line:
                await self.aclose()
                raise ValueError("the regex worker died")
            reply = json.loads(line)
            if "error" in reply:
                raise ValueError(reply["error"])
            return [bool(m) for m in reply["matches"]]

    def _kill(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.returncode is None:
            proc.kill()

    async def aclose(self) -> None:
        """Stop the worker (the next search starts a new one)."""
        proc = self._proc
        self._kill()
        if proc is not None:
            await proc.wait()


async def check_regex(check: RegexCheck, answer: str, worker: RegexWorker) -> CheckOutcome:
    """Passes when the pattern matches; a timeout is a check error, never a pass."""
    try:
        matched = await worker.search(check.pattern, answer, check.timeout_s)
    except TimeoutError:
        return CheckOutcome(
            "regex",
            False,
            error=f"regex timed out after {check.timeout_s}s (catastrophic backtracking?)",
        )
    except ValueError as exc:
        return CheckOutcome("regex", False, error=f"regex failed: {exc}", config_error=True)
    if matched:
        return CheckOutcome("regex", True)
    return CheckOutcome(
        "regex", False, check.feedback or f"The answer does not match /{check.pattern}/."
    )
