"""The human-decision protocol: the engine awaits a Decider; the TUI, headless mode and tests
each implement one. RunControl lets a person act while a stream is still running."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, Protocol

from escalatui.engine.events import AwaitingDecision, Verdict

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


def action_for(verdict: Verdict, can_escalate: bool) -> Action:
    """The action that carries out a proposed verdict."""
    if verdict == "accept":
        return "approve"
    if verdict == "retry":
        return "retry"
    if verdict in ("escalate", "error") and can_escalate:
        return "escalate"
    return "abort"


class PolicyDecider:
    """Headless stand-in for a person: does what the checks propose, logged as `policy`."""

    async def decide(self, request: AwaitingDecision) -> Decision:
        return Decision(action_for(request.proposed, request.can_escalate), by_human=False)


class ScriptedDecider:
    """Answers from a fixed list (tests); records every request it saw."""

    def __init__(self, decisions: Iterable[Decision | Action]) -> None:
        self._decisions = [d if isinstance(d, Decision) else Decision(d) for d in decisions]
        self.requests: list[AwaitingDecision] = []

    async def decide(self, request: AwaitingDecision) -> Decision:
        self.requests.append(request)
        if not self._decisions:
            raise AssertionError(f"no scripted decision left for {request}")
        return self._decisions.pop(0)


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
