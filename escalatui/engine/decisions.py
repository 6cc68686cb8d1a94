"""The human-decision protocol: the engine awaits a Decider; the TUI, headless mode and tests
each implement one (the checks' own stand-in, PolicyDecider, is in engine.policy). RunControl
lets a person act while a stream is still running."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Literal, Protocol

from escalatui.engine.events import AwaitingDecision

Action = Literal["approve", "retry", "escalate", "abort"]


@dataclass(frozen=True)
class Decision:
    """What to do with an attempt; `feedback` replaces the checks' feedback when given."""

    action: Action
    feedback: str | None = None
    by_human: bool = True


class Decider(Protocol):
    """Anything that can answer an AwaitingDecision."""

    async def decide(self, request: AwaitingDecision) -> Decision: ...


class RunControl:
    """Acts on the run from outside the event loop's consumer: interrupt the current stream.

    `interrupt()` while a stream runs cancels it at once (its partial output is kept, marked
    incomplete) and the given action decides the attempt. Outside a stream the action is kept
    and used at the next decision point.
    """

    def __init__(self) -> None:
        self._queue: asyncio.Queue[object] | None = None
        self.pending: Decision | None = None

    def attach(self, queue: asyncio.Queue[object] | None) -> None:
        """Called by the engine around each stream. An action taken just before the stream
        started (while the model was probed) stops it at once."""
        self._queue = queue
        if queue is not None and self.pending is not None:
            queue.put_nowait(self.pending)

    @property
    def streaming(self) -> bool:
        return self._queue is not None

    def interrupt(self, action: Action, feedback: str | None = None) -> None:
        """Stop the current attempt and `action` it (approve, retry, escalate, abort)."""
        self.pending = Decision(action, feedback)
        if self._queue is not None:
            self._queue.put_nowait(self.pending)

    def take(self) -> Decision | None:
        """The pending human action, once."""
        pending, self.pending = self.pending, None
        return pending
