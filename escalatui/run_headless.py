"""Run a task with no TUI: the engine, the session log and the headless printer."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path
from typing import Any

from escalatui.clients.registry import ClientPool, known_secrets
from escalatui.config import LoadedTask, UserConfig
from escalatui.config.models import Approval
from escalatui.engine.drive import drive
from escalatui.engine.events import Event
from escalatui.engine.runner import Runner
from escalatui.headless import HeadlessPrinter
from escalatui.inert import inert
from escalatui.session import SessionWriteError, SessionWriter

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
    """Exit code: 0 accepted, 1 failed or budget, 2 session log unusable, 130 interrupted."""
    keys = config_keys(user)
    writer = SessionWriter(session_dir, known_secrets(keys, loaded.task.models))
    try:
        writer.check_writable()
    except SessionWriteError as exc:
        print(inert(f"error: {exc} (set --session-dir or ESCALATUI_SESSION_DIR)"), file=sys.stderr)
        return 2
    printer = HeadlessPrinter(json_mode=json_mode)
    runner = make_runner(loaded, user, task_input, approval)

    warned = False

    def log(event: Event) -> None:
        nonlocal warned
        writer.handle(event)
        printer.session_path = str(writer.path) if writer.path else None
        if writer.failed and not warned:
            warned = True
            print(inert(f"warning: {writer.failed}"), file=sys.stderr)

    try:
        finished = asyncio.run(drive(runner, [log, printer]))
    except KeyboardInterrupt:
        print(inert(f"interrupted; session: {writer.path}"), file=sys.stderr)
        return 130
    except BrokenPipeError:
        # stdout was closed (`| head`): stop like any Unix tool; the log already ends with a
        # `cancelled` run record. Point stdout at devnull so exiting does not complain.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 130
    finally:
        writer.close()
    return EXIT_FOR_STATUS.get(finished.status, 1)
