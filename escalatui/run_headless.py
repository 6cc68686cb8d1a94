"""Run a task with no TUI: the engine, the session log and the headless printer."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

from escalatui.clients.registry import ClientPool, known_secrets
from escalatui.config import LoadedTask, UserConfig
from escalatui.config.models import Approval
from escalatui.engine.decisions import Decider
from escalatui.engine.drive import drive
from escalatui.engine.events import Event, RunFinished
from escalatui.engine.runner import Runner
from escalatui.headless import HeadlessPrinter
from escalatui.inert import inert
from escalatui.session import SessionWriteError, SessionWriter
from escalatui.terminal_decider import TerminalDecider, needs_person, no_person_message

EXIT_FOR_STATUS = {"accepted": 0, "failed": 1, "budget": 1, "cancelled": 130}


def config_keys(user: UserConfig) -> dict[str, str]:
    return {k: v.get_secret_value() for k, v in user.keys.items()}


def make_runner(
    loaded: LoadedTask,
    user: UserConfig,
    task_input: str | None,
    approval: Approval | None,
    **kw: Any,
) -> Runner:
    """The runner the CLI and the TUI both use."""
    pool = ClientPool(
        loaded.task.models,
        config_keys(user),
        trusted_hosts=user.trusted_hosts,
        own_specs=user.models,
    )
    return Runner(
        loaded.task, pool, input=task_input, approval=approval, task_path=loaded.path, **kw
    )


def run_headless(
    loaded: LoadedTask,
    user: UserConfig,
    session_dir: Path,
    task_input: str | None,
    approval: Approval | None,
    json_mode: bool,
) -> int:
    """Exit code: 0 accepted, 1 failed or budget, 2 bad input (no person to ask, session log
    unusable), 130 interrupted (Ctrl+C, SIGTERM, SIGHUP, stdout gone)."""
    decider: Decider | None = None
    mode = needs_person(loaded.task, approval)
    if mode is not None:
        if not _stdin_is_terminal():
            print(f"error: {no_person_message(mode, approval is not None)}", file=sys.stderr)
            return 2
        decider = TerminalDecider()
    keys = config_keys(user)
    writer = SessionWriter(session_dir, known_secrets(keys, loaded.task.models))
    try:
        writer.check_writable()
    except SessionWriteError as exc:
        print(inert(f"error: {exc} (set --session-dir or ESCALATUI_SESSION_DIR)"), file=sys.stderr)
        return 2
    printer = HeadlessPrinter(json_mode=json_mode)
    runner = make_runner(loaded, user, task_input, approval, decider=decider)

    warned = False

    def log(event: Event) -> None:
        nonlocal warned
        writer.handle(event)
        printer.session_path = str(writer.path) if writer.path else None
        if writer.failed and not warned:
            warned = True
            print(inert(f"warning: {writer.failed}"), file=sys.stderr)

    try:
        finished = asyncio.run(_until_signal(drive(runner, [log, printer])))
    except (KeyboardInterrupt, asyncio.CancelledError, EOFError) as exc:
        why = "stdin closed" if isinstance(exc, EOFError) else "interrupted"
        _quietly(inert(f"{why}; session: {writer.path}"))
        return 130
    except BrokenPipeError:
        # stdout was closed (`| head`): stop like any Unix tool; the log already ends with a
        # `cancelled` run record.
        _silence_stdout()
        return 130
    finally:
        writer.close()
    return EXIT_FOR_STATUS.get(finished.status, 1)


def _silence_stdout() -> None:
    """Point stdout at devnull, so flushing it at exit does not complain about the pipe."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def _stdin_is_terminal() -> bool:
    try:
        return sys.stdin is not None and os.isatty(sys.stdin.fileno())
    except (OSError, ValueError):
        return False


def _quietly(message: str) -> None:
    """A last line on stderr; a closed stderr is no reason for a traceback."""
    with contextlib.suppress(OSError, ValueError):
        print(message, file=sys.stderr)


async def _until_signal(run: Coroutine[Any, Any, RunFinished]) -> RunFinished:
    """Run `run`; SIGTERM and SIGHUP cancel it like Ctrl+C does (asyncio.run handles SIGINT),
    so the partial attempt and a `cancelled` run record reach the log."""
    task = asyncio.ensure_future(run)
    loop = asyncio.get_running_loop()
    installed = []
    for sig in (signal.SIGTERM, signal.SIGHUP):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, task.cancel)
            installed.append(sig)
    try:
        return await task
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
