"""Headless approval by a person at the terminal: one key per decision, read from stdin.

Used by `--headless` with `--approval manual|escalation`. It never decides in a person's place:
without a terminal on stdin the run does not start (see `needs_person`).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import termios
import tty
from collections.abc import Iterator
from typing import TextIO

from escalatui.config.models import Approval, Task
from escalatui.engine.decisions import Action, Decision
from escalatui.engine.events import AwaitingDecision
from escalatui.inert import inert

KEYS: dict[str, Action] = {"a": "approve", "r": "retry", "e": "escalate", "x": "abort"}
MAX_SHOWN_CHARS = 4000
MAX_FEEDBACK_CHARS = 10_000


def needs_person(task: Task, override: Approval | None) -> Approval | None:
    """The approval mode that asks a person in this run, or None when the checks decide."""
    if override is not None:
        return None if override == "auto" else override
    for mode in (task.approval, *(s.approval for s in task.steps)):
        if mode is not None and mode != "auto":
            return mode
    return None


def stdin_is_terminal() -> bool:
    """Whether a person can answer on stdin."""
    try:
        return sys.stdin is not None and os.isatty(sys.stdin.fileno())
    except (OSError, ValueError):
        return False


def no_person_message(mode: Approval, from_flag: bool) -> str:
    where = f"--approval {mode}" if from_flag else f"the task's approval = {mode!r}"
    return (
        f"{where} needs a person: stdin is not a terminal; "
        "use --approval auto or run without --headless"
    )


class TerminalDecider:
    """Shows the answer and the checks' proposal on `out`, then reads one key from `fd`:
    a approve, r retry, e escalate, x abort, f type a feedback line then r or e."""

    def __init__(self, fd: int | None = None, out: TextIO | None = None) -> None:
        self.fd = sys.stdin.fileno() if fd is None else fd
        self.out = out or sys.stderr

    def _say(self, text: str) -> None:
        self.out.write(text)
        self.out.flush()

    async def decide(self, request: AwaitingDecision) -> Decision:
        self._show(request)
        # Keys typed before the question was shown must not answer it: cbreak drops them.
        with _cbreak(self.fd):
            return await self._ask(request)

    async def _ask(self, request: AwaitingDecision) -> Decision:
        feedback: str | None = None
        while True:
            choices = "[a]pprove [r]etry " + ("[e]scalate " if request.can_escalate else "")
            self._say(f"{choices}[x] abort [f]eedback > ")
            key = await self._key()
            self._say((key if key.isprintable() else "") + "\n")
            action = KEYS.get(key)
            if key == "f":
                feedback = await self._line("feedback (one line, then r or e): ") or None
                continue
            if action is None:
                self._say("  keys: a r e x f\n")
                continue
            if action == "escalate" and not request.can_escalate:
                self._say("  no stronger model in the chain; retry or abort\n")
                continue
            if action == "approve" and feedback is not None:
                self._say("  feedback goes with retry or escalate; press r or e\n")
                continue
            if action == "approve" and request.proposed != "accept":
                self._say("  accept although the checks failed? press a again > ")
                again = await self._key()
                self._say("\n")
                if again != "a":
                    self._say("  cancelled\n")
                    continue
            return Decision(action, feedback)

    def _show(self, request: AwaitingDecision) -> None:
        answer = request.output
        if len(answer) > MAX_SHOWN_CHARS:
            answer = answer[:MAX_SHOWN_CHARS] + f"\n… ({len(request.output)} characters in all)"
        lines = [
            f"[{request.step}] #{request.attempt} waits for your decision "
            f"(checks propose {request.proposed})",
            "--- answer ---",
            inert(answer),
        ]
        if not request.complete:
            lines.append("(the answer is incomplete)")
        if request.feedback:
            lines += ["--- checks ---", inert(request.feedback)]
        self._say("\n".join(lines) + "\n")

    async def _key(self) -> str:
        """One key, without waiting for Enter (Ctrl+C still interrupts)."""
        data = await _read(self.fd, 1)
        if not data:
            raise EOFError("stdin closed while a decision was awaited")
        return data.decode("utf-8", "replace")

    async def _line(self, prompt: str) -> str:
        """A line typed with the terminal's own editing (canonical mode, echoed)."""
        self._say(prompt)
        data = b""
        with _canonical(self.fd):
            while not data.endswith(b"\n") and len(data) < MAX_FEEDBACK_CHARS:
                chunk = await _read(self.fd, 1024)
                if not chunk:
                    raise EOFError("stdin closed while feedback was typed")
                data += chunk
        return data.decode("utf-8", "replace").strip()


@contextlib.contextmanager
def _cbreak(fd: int) -> Iterator[None]:
    """Keys arrive one by one, unechoed; the terminal is restored however the wait ends."""
    try:
        saved = termios.tcgetattr(fd)
    except termios.error:
        yield
        return
    try:
        tty.setcbreak(fd, termios.TCSAFLUSH)
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


@contextlib.contextmanager
def _canonical(fd: int) -> Iterator[None]:
    try:
        raw = termios.tcgetattr(fd)
    except termios.error:
        yield
        return
    line = list(raw)
    line[3] |= termios.ICANON | termios.ECHO
    termios.tcsetattr(fd, termios.TCSANOW, line)
    try:
        yield
    finally:
        termios.tcsetattr(fd, termios.TCSANOW, raw)


async def _read(fd: int, size: int) -> bytes:
    """Read from `fd` through the event loop: no blocked thread keeps the process alive, and
    cancelling (Ctrl+C, a signal) stops the wait at once."""
    loop = asyncio.get_running_loop()
    ready: asyncio.Future[None] = loop.create_future()

    def wake() -> None:
        if not ready.done():
            ready.set_result(None)

    loop.add_reader(fd, wake)
    try:
        await ready
    finally:
        loop.remove_reader(fd)
    return os.read(fd, size)
