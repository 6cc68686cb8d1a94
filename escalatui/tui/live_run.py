"""A run driven from the TUI: the engine, its session log, and a person as the Decider."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

from escalatui.clients.registry import known_secrets
from escalatui.config import LoadedTask, UserConfig
from escalatui.config.models import Approval
from escalatui.engine.decisions import Action, Decision
from escalatui.engine.drive import Sink, drive
from escalatui.engine.events import AwaitingDecision, Event, RunFinished
from escalatui.run_headless import config_keys, make_runner
from escalatui.session import SessionWriter
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
    """One task run: build it, `run(sink)` it in a worker, `act()` on it from keys."""

    def __init__(
        self,
        loaded: LoadedTask,
        user: UserConfig,
        session_dir: Path,
        task_input: str | None,
        approval: Approval | None,
        show: Callable[[Event], object],
        frozen: bool = False,
    ) -> None:
        self.loaded = loaded
        self.decider = PersonDecider(show)
        extra: dict[str, object] = {}
        if frozen:
            extra = {"run_id": FROZEN_RUN_ID, "now": lambda: FROZEN_NOW}
        self.runner = make_runner(loaded, user, task_input, approval, decider=self.decider, **extra)
        self.writer = SessionWriter(
            session_dir, known_secrets(config_keys(user), loaded.task.models)
        )
        self.finished: RunFinished | None = None
        self.record = RunRecord()  # for the summary printed after the app exits

    async def run(self, sinks: list[Sink]) -> RunFinished:
        """Drive the run to its end, logging every event; the log is closed however it ends."""
        try:
            self.finished = await drive(self.runner, [self.writer.handle, self.record, *sinks])
            return self.finished
        finally:
            self.writer.close()

    def act(self, action: Action, feedback: str | None = None) -> str:
        """A person's action: answers a pending question, else interrupts the running stream
        (or is kept for the attempt's decision, while its checks run). Says which it did."""
        decision = Decision(action, feedback)
        if self.decider.resolve(decision):
            return "decided"
        self.runner.control.interrupt(action, feedback)
        return "interrupted" if self.runner.control.streaming else "queued"
