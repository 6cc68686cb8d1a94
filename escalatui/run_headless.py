"""Run a task with no TUI: the engine, the session log and the headless printer."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Coroutine
from typing import Any

from escalatui.engine.decisions import Decider
from escalatui.engine.events import Event, RunFinished
from escalatui.headless import HeadlessPrinter
from escalatui.inert import inert
from escalatui.run_session import EXIT_BAD_INPUT, EXIT_INTERRUPTED, RunRequest, RunSession
from escalatui.session import SessionWriteError
from escalatui.terminal_decider import (
    TerminalDecider,
    needs_person,
    no_person_message,
    stdin_is_terminal,
)


def run_headless(request: RunRequest, json_mode: bool) -> int:
    """Exit code: 0 accepted, 1 failed or budget, 2 bad input (no person to ask, session log
    unusable), 130 interrupted (Ctrl+C, SIGTERM, SIGHUP, stdout gone)."""
    decider: Decider | None = None
    mode = needs_person(request.loaded.task, request.approval)
    if mode is not None:
        if not stdin_is_terminal():
            message = no_person_message(mode, request.approval is not None)
            print(f"error: {message}", file=sys.stderr)
            return EXIT_BAD_INPUT
        decider = TerminalDecider()
    session = RunSession(request, decider=decider)
    try:
        session.check_writable()
    except SessionWriteError as exc:
        print(inert(f"error: {exc} (set --session-dir or ESCALATUI_SESSION_DIR)"), file=sys.stderr)
        return EXIT_BAD_INPUT
    printer = HeadlessPrinter(json_mode=json_mode)
    session.on_log_failure = lambda problem: print(inert(f"warning: {problem}"), file=sys.stderr)

    def note_path(event: Event) -> None:  # the printer names the log in its last lines
        path = session.session_path
        printer.session_path = str(path) if path else None

    try:
        asyncio.run(_until_signal(session.run([note_path, printer])))
    except (KeyboardInterrupt, asyncio.CancelledError, EOFError) as exc:
        why = "stdin closed" if isinstance(exc, EOFError) else "interrupted"
        _quietly(inert(f"{why}; session: {session.session_path}"))
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # stdout was closed (`| head`): stop like any Unix tool; the log already ends with a
        # `cancelled` run record.
        _silence_stdout()
        return EXIT_INTERRUPTED
    return session.exit_code


def _silence_stdout() -> None:
    """Point stdout at devnull, so flushing it at exit does not complain about the pipe."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


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
