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


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Hold Ctrl+C until the block ends (then raise KeyboardInterrupt); a process started
    with SIGINT ignored keeps ignoring it."""
    came: list[int] = []

    def remember(signum: int, frame: FrameType | None) -> None:
        came.append(signum)

    try:
        previous = signal.signal(signal.SIGINT, remember)
    except ValueError:  # not the main thread: nothing to hold
        yield
        return
    if previous is signal.SIG_IGN:
        signal.signal(signal.SIGINT, previous)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
    if came:
        raise KeyboardInterrupt
