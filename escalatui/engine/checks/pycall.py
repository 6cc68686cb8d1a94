"""The `python` check: `module:function(answer[, context])` returns None to pass or feedback."""

from __future__ import annotations

import asyncio
import importlib
import inspect
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from escalatui.config.models import PythonCheck
from escalatui.engine.events import CheckOutcome


def _load(ref: str, base_dir: Path | None) -> Any:
    if base_dir is not None and str(base_dir) not in sys.path:
        sys.path.insert(0, str(base_dir))  # a task's own helpers sit beside it
    module_name, _, func_name = ref.partition(":")
    return getattr(importlib.import_module(module_name), func_name)


async def _in_daemon_thread(func: Callable[..., Any], *args: Any) -> Any:
    """Run `func` in a daemon thread. A thread cannot be killed, so one that never returns must
    not hold up the event loop's shutdown or the interpreter's exit (asyncio.to_thread would)."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[Any] = loop.create_future()

    def settle(ok: bool, value: Any) -> None:
        if not future.done():
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)

    def work() -> None:
        try:
            result = (True, func(*args))
        except Exception as exc:  # handed to the awaiting task, which reports it
            result = (False, exc)
        except BaseException as exc:  # sys.exit() in a check must not end the run
            result = (False, RuntimeError(f"{type(exc).__name__} {exc}".strip()))
        try:
            loop.call_soon_threadsafe(settle, *result)
        except RuntimeError:
            pass  # the loop is gone: nobody is waiting any more

    threading.Thread(target=work, name="python-check", daemon=True).start()
    return await future


async def check_python(
    check: PythonCheck, answer: str, context: dict[str, Any], base_dir: Path | None
) -> CheckOutcome:
    """A crash, a timeout or a strange return value is a check error, never a pass."""
    try:
        func = _load(check.call, base_dir)
    except Exception as exc:
        return CheckOutcome(
            kind="python", passed=False, error=f"cannot load {check.call}: {exc}", config_error=True
        )
    try:
        takes_context = len(inspect.signature(func).parameters) >= 2
    except (TypeError, ValueError):
        takes_context = False
    args = (answer, context) if takes_context else (answer,)
    try:
        # asyncio.timeout: unlike wait_for on 3.11, it never swallows a cancellation
        async with asyncio.timeout(check.timeout_s):
            result = await _in_daemon_thread(func, *args)
    except TimeoutError:
        return CheckOutcome(
            kind="python", passed=False, error=f"{check.call} timed out after {check.timeout_s}s"
        )
    except Exception as exc:
        return CheckOutcome(
            kind="python", passed=False, error=f"{check.call} raised {type(exc).__name__}: {exc}"
        )
    if result is None or result is True:
        return CheckOutcome(kind="python", passed=True)
    if result is False:
        return CheckOutcome(
            kind="python",
            passed=False,
            feedback=check.feedback or f"{check.call} rejected the answer.",
        )
    if isinstance(result, str):
        return CheckOutcome(kind="python", passed=False, feedback=check.feedback or result)
    return CheckOutcome(
        kind="python",
        passed=False,
        error=f"{check.call} returned {type(result).__name__}; expected None or a feedback string",
    )
