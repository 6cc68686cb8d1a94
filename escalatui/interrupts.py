"""Ctrl+C while the program starts: remembered, then acted on once start-up is done.

A KeyboardInterrupt raised in the middle of an import can land inside a compiled library that
reports it as "Exception ignored" and carries on (pydantic's core does, while it builds a
schema): the Ctrl+C would be lost. So while modules load and the task is read, SIGINT only sets
a flag; leaving the block restores the usual handler and raises KeyboardInterrupt if it came.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator
from types import FrameType


class Held:
    """Whether a SIGINT came while it was held (see `held_until_taken`)."""

    def __init__(self) -> None:
        self.came = False

    def remember(self, signum: int, frame: FrameType | None) -> None:
        self.came = True


@contextlib.contextmanager
def held_until_taken() -> Iterator[Held]:
    """Hold Ctrl+C for the block: a SIGINT only sets `came` (a process started with SIGINT
    ignored keeps ignoring it). The TUI is run in one until its event loop takes SIGINT over:
    a signal before that would reach asyncio's default, which cancels the app while its
    screens are being built (tracebacks, or an app that goes on); the app asks `came`."""
    held = Held()
    try:
        previous = signal.signal(signal.SIGINT, held.remember)
    except ValueError:  # not the main thread: nothing to hold
        yield held
        return
    if previous is signal.SIG_IGN:
        signal.signal(signal.SIGINT, previous)
    try:
        yield held
    finally:
        signal.signal(signal.SIGINT, previous)


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Hold Ctrl+C until the block ends (then raise KeyboardInterrupt); a process started
    with SIGINT ignored keeps ignoring it."""
    with held_until_taken() as held:
        yield
    if held.came:
        raise KeyboardInterrupt
