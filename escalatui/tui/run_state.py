"""What a run looks like so far, folded from its events. Pure: no widgets, easy to test.

A live run and a replay both build one of these from the same events, and the widgets draw it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from escalatui.engine.events import (
    AttemptDecided,
    AttemptEnded,
    AttemptStarted,
    AwaitingDecision,
    ChecksDone,
    Delta,
    Event,
    RunFinished,
    RunStarted,
    StepFinished,
    StepStarted,
    Tier,
)
from escalatui.engine.money import known_cost

Phase = Literal["starting", "streaming", "checking", "awaiting", "between", "finished"]
RungState = Literal[
    "waiting",
    "starting",
    "cold-loading",
    "streaming",
    "checking",
    "awaiting",
    "retrying",
    "accepted",
    "escalated",
    "failed",
]


@dataclass
class Rung:
    """One tier of the current step's chain and how it is doing."""

    tier: Tier
    state: RungState = "waiting"
    warm: bool | None = None
    attempts: int = 0


@dataclass
class RunState:
    """The run as the events told it."""

    started: RunStarted | None = None
    step: StepStarted | None = None
    rungs: list[Rung] = field(default_factory=list)
    attempt: AttemptStarted | None = None
    ended: AttemptEnded | None = None
    checks: ChecksDone | None = None
    awaiting: AwaitingDecision | None = None
    decided: list[AttemptDecided] = field(default_factory=list)
    finished: RunFinished | None = None
    phase: Phase = "starting"
    cost_usd: float = 0.0
    step_done: dict[int, StepFinished] = field(default_factory=dict)
    """Finished steps by index."""

    def step_attempts(self, index: int) -> list[AttemptDecided]:
        """The decided attempts of step `index`, in order."""
        return [d for d in self.decided if d.step_index == index]

    def step_answer(self, index: int) -> AttemptDecided | None:
        """The attempt whose answer step `index` kept: the accepted one, else the last."""
        tried = self.step_attempts(index)
        accepted = [d for d in tried if d.verdict == "accept"]
        kept = accepted or tried
        return kept[-1] if kept else None

    cost_unknown: bool = False
    """Some attempt's cost is unknown: `cost_usd` is the known part."""

    @property
    def current_key(self) -> tuple[int, int] | None:
        """(step_index, attempt) of the attempt on screen."""
        a = self.attempt
        return None if a is None else (a.step_index, a.attempt)

    @property
    def can_escalate(self) -> bool:
        """A stronger tier is left above the current one."""
        if self.awaiting is not None:
            return self.awaiting.can_escalate
        if self.attempt is None:
            return False
        return self.attempt.tier.index + 1 < len(self.rungs)

    def _rung(self, index: int) -> Rung | None:
        return self.rungs[index] if 0 <= index < len(self.rungs) else None

    def apply(self, event: Event) -> None:
        """Fold one event in."""
        match event:
            case RunStarted():
                self.started = event
            case StepStarted():
                self.step = event
                self.rungs = [Rung(t) for t in event.chain]
                self.phase = "between"
            case AttemptStarted():
                self.attempt, self.ended, self.checks, self.awaiting = event, None, None, None
                self.phase = "streaming"
                rung = self._rung(event.tier.index)
                if rung is not None:
                    rung.warm = event.warm
                    rung.attempts += 1
                    rung.state = "cold-loading" if event.warm is False else "starting"
            case Delta():
                rung = self._rung(self.attempt.tier.index) if self.attempt else None
                if rung is not None and rung.state in ("starting", "cold-loading"):
                    rung.state = "streaming"
            case AttemptEnded():
                self.ended = event
                self.phase = "checking"
                self._set_current("checking")
            case ChecksDone():
                self.checks = event
            case AwaitingDecision():
                self.awaiting = event
                self.phase = "awaiting"
                self._set_current("awaiting")
            case AttemptDecided():
                self._decide(event)
            case StepFinished():
                self.phase = "between"
                self.step_done[event.step_index] = event
            case RunFinished():
                self.finished = event
                cost = known_cost(event.cost_usd)
                self.cost_usd = cost or 0.0
                self.cost_unknown = event.cost_unknown or self.cost_unknown or cost is None
                self.phase = "finished"
                self.awaiting = None

    def _set_current(self, state: RungState) -> None:
        rung = self._rung(self.attempt.tier.index) if self.attempt else None
        if rung is not None:
            rung.state = state

    def _decide(self, event: AttemptDecided) -> None:
        self.decided.append(event)
        cost = known_cost(event.cost_usd)
        self.cost_usd += cost or 0.0
        self.cost_unknown = self.cost_unknown or cost is None
        self.cost_usd += sum(known_cost(c.cost_usd) or 0.0 for c in event.checks)
        self.awaiting = None
        self.phase = "between"
        rung = self._rung(event.tier)
        if rung is None:
            return
        if event.verdict == "accept":
            rung.state = "accepted"
        elif event.next == "retry":
            rung.state = "retrying"
        elif event.next == "escalate":
            rung.state = "escalated"
        else:
            rung.state = "failed"
