"""The `regex` check: `re.search` semantics, stopped after `timeout_s` of searching.

The search runs in a thread with the `regex` package's own time limit (config/patterns.py), so
the run and the TUI go on meanwhile, and catastrophic backtracking ends as a check error.
tests/bench/bench_regex.py measured this against the helper process per run it replaces.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from typing import TypeVar

from escalatui.config.models import RegexCheck
from escalatui.config.patterns import compile_pattern, flag_bits, search
from escalatui.engine.events import CheckOutcome

T = TypeVar("T")


async def off_loop(work: Callable[[], T]) -> T:
    """`work()` in a daemon thread. Not asyncio's executor: Python waits for those threads at
    exit, so a run ended (a signal, a quit) mid-search would wait out the search's time limit;
    a daemon thread is left behind instead. A cancelled await leaves it to finish on its own."""
    loop = asyncio.get_running_loop()
    done: asyncio.Future[T] = loop.create_future()

    def settle(result: T | None, error: BaseException | None) -> None:
        if done.done():
            return
        if error is not None:
            done.set_exception(error)
        else:
            done.set_result(result)  # type: ignore[arg-type]

    def run() -> None:
        try:
            result, error = work(), None
        except BaseException as exc:  # handed to the awaiting task
            result, error = None, exc
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            loop.call_soon_threadsafe(settle, result, error)

    threading.Thread(target=run, name="escalatui-pattern", daemon=True).start()
    return await done


async def check_regex(check: RegexCheck, answer: str) -> CheckOutcome:
    """Passes when the pattern matches; a timeout is a check error, never a pass."""
    try:
        compiled = compile_pattern(check.pattern, flag_bits(check.flags))
        matched = await off_loop(lambda: search(compiled, answer, check.timeout_s))
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
