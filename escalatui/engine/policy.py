"""What the checks propose and what a decision makes of an attempt: pure functions of the
attempt, its check outcomes and where the step stands on its chain."""

from __future__ import annotations

from dataclasses import dataclass

from escalatui.config.models import Approval, Step, Task
from escalatui.engine.attempt import AttemptState
from escalatui.engine.checks import feedback_of
from escalatui.engine.decisions import Action
from escalatui.engine.events import CheckOutcome, DecidedBy, Next, Tier, Verdict

# Errors that another try on the same model cannot fix: go up the chain at once.
ESCALATE_AT_ONCE = frozenset({"context", "config", "auth", "quota", "forbidden"})


@dataclass
class Ladder:
    """Where a step is on its chain."""

    tiers: tuple[Tier, ...]
    retries: int
    index: int = 0
    tries_here: int = 0

    @property
    def can_escalate(self) -> bool:
        return self.index + 1 < len(self.tiers)

    @property
    def tier(self) -> Tier:
        return self.tiers[self.index]

    def move(self, action: Action) -> None:
        """Retry on this rung, or climb to the next one."""
        if action == "retry":
            self.tries_here += 1
        else:
            self.index += 1
            self.tries_here = 0


def ladder_for(task: Task, step: Step) -> Ladder:
    """The step's chain as tiers, with its retries."""
    tiers = []
    for i, name in enumerate(task.chain_for(step)):
        spec = task.models[name]
        label = spec.label or name
        tiers.append(
            Tier(
                index=i,
                model=name,
                provider=spec.provider,
                provider_model=spec.model or "(default)",
                label=label,
                simulated=spec.provider == "sim",
            )
        )
    retries = step.retries if step.retries is not None else task.retries
    return Ladder(tuple(tiers), retries)


def propose(
    state: AttemptState, outcomes: list[CheckOutcome], ladder: Ladder
) -> tuple[Verdict, str | None]:
    """The checks' verdict on an attempt, and the feedback for the next one."""
    if any(o.config_error for o in outcomes):
        return "rejected", feedback_of(outcomes)
    if state.checkable and all(o.passed for o in outcomes):
        return "accept", None
    cut = "- Your previous answer was cut off at the token limit; be shorter."
    if not state.checkable:
        feedback = cut if state.finish_reason == "length" else None
    else:
        feedback = feedback_of(outcomes)
        if not state.complete:  # checked although cut off: say both
            feedback = f"{feedback}\n{cut}" if feedback else cut
    if state.error_kind not in ESCALATE_AT_ONCE and ladder.tries_here < ladder.retries:
        return "retry", feedback
    return ("escalate" if ladder.can_escalate else "rejected"), feedback


def asks_decider(mode: Approval, proposed: Verdict) -> bool:
    """manual: every verdict waits; escalation: only before moving up the chain."""
    return mode == "manual" or (mode == "escalation" and proposed == "escalate")


def verdict_for(
    state: AttemptState, outcomes: list[CheckOutcome], action: Action, by: DecidedBy, ladder: Ladder
) -> tuple[Verdict, Next]:
    """The verdict logged for an attempt once decided, and what happens next."""
    if action == "approve":
        return "accept", "done"
    if action == "abort" or (action == "escalate" and not ladder.can_escalate):
        return "rejected", "stop"
    nxt: Next = "retry" if action == "retry" else "escalate"
    errored = state.broken or any(o.error for o in outcomes)
    if errored and by != "human":
        return "error", nxt
    return ("retry" if action == "retry" else "escalate"), nxt
