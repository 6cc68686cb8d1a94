"""A run driven from the TUI: the run service, with a person as the Decider."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from escalatui.engine.decisions import Action, Decision
from escalatui.engine.drive import Sink
from escalatui.engine.events import AwaitingDecision, Event, RunFinished
from escalatui.run_session import RunRequest, RunSession
from escalatui.tui.summary import RunRecord

FROZEN_RUN_ID = "0123456789ab"
FROZEN_NOW = "2025-01-01T12:00:00.000Z"


class PersonDecider:
    """The engine's Decider answered by keys: `decide()` shows the question and waits for
    `resolve()`. Cancelling the run cancels the wait, so quitting at a prompt is clean."""

    def __init__(self, show: Callable[[Event], object]) -> None:
        self._show = show
        self.request: AwaitingDecision | None = None
        self._answer: asyncio.Future[Decision] | None = None

    @property
    def waiting(self) -> bool:
        return self._answer is not None and not self._answer.done()

    async def decide(self, request: AwaitingDecision) -> Decision:
        self._answer = asyncio.get_running_loop().create_future()
        self.request = request
        self._show(request)
        try:
            return await self._answer
        finally:
            self.request, self._answer = None, None

    def resolve(self, decision: Decision) -> bool:
        """Answer the pending question; False when none is pending."""
        if not self.waiting:
            return False
        assert self._answer is not None
        self._answer.set_result(decision)
        return True


class LiveRun:
    """One task run from the TUI: the run service with a person as its Decider, and a record
    for the summary printed after the app exits. `frozen` pins the run id and clock (tests and
    snapshots only)."""

    def __init__(
        self, request: RunRequest, show: Callable[[Event], object], frozen: bool = False
    ) -> None:
        self.decider = PersonDecider(show)
        if frozen:
            self.session = RunSession(
                request, decider=self.decider, run_id=FROZEN_RUN_ID, now=lambda: FROZEN_NOW
            )
        else:
            self.session = RunSession(request, decider=self.decider)
        self.record = RunRecord()

    async def run(self, sinks: list[Sink]) -> RunFinished:
        return await self.session.run([self.record, *sinks])

    def act(self, action: Action, feedback: str | None = None) -> str:
        """A person's action: answers a pending question, else interrupts the running stream
        (or is kept for the attempt's decision, while its checks run). Says which it did."""
        return self.session.act(action, feedback, self.decider.resolve)
